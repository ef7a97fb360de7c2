"""A staff member logs in on a phone-sized screen and filters the activity list."""

import re

import pytest

from tests.e2e.conftest import STAFF_EMAIL, STAFF_PASSWORD

pytestmark = pytest.mark.browser


def test_staff_logs_in_and_filters_activities_by_item(live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/manage/activities")
    assert "/auth/login" in page.url  # not logged in yet

    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("The email or password is not right.").is_visible()

    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/manage/plan/2025-2026/activities"))
    total = page.locator("#result-count").inner_text()
    assert total.startswith("103 activities")

    page.get_by_label("Work-plan item").select_option("1-(q)")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"item=1-%28q%29|item=1-\(q\)"))
    assert page.locator("#result-count").inner_text() == "7 activities match these filters."
    titles = page.locator(".card-title").all_inner_texts()
    assert len(titles) == 7
    assert all("PCA" in t or "Post Clearance Audit" in t for t in titles)

    page.get_by_label("Member").select_option("NPL")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert page.locator(".card-title").all_inner_texts() == ["National workshop on PCA for Nepal"]

    # Nothing overflows sideways on a phone.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390
