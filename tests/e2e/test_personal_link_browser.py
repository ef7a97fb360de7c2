"""A participant opens the personal link from their invitation on a phone, completes the
evaluation, and sees the confirmation."""

import pytest

from tests.e2e.test_evaluation_browser import choose

pytestmark = pytest.mark.browser


def test_participant_answers_through_their_personal_link(live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}{live_server.personal_link}")
    # The token is gone from the address bar once the link is opened.
    assert "/i/" not in page.url and "/s/" in page.url
    page.get_by_role("button", name="Start").click()
    for key in ("objectives_met", "relevance", "content_quality", "facilitators", "organisation"):
        choose(page, key, "Strongly agree")
    choose(page, "duration", "Too short")
    page.get_by_role("button", name="Save and continue").click()
    choose(page, "overall_satisfaction", "Very satisfied")
    choose(page, "recommend", "10")
    page.get_by_role("button", name="Save and continue").click()
    choose(page, "knowledge_before", "Moderate")
    choose(page, "knowledge_after", "Very good")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("My action plan for the next six months").fill(
        "Set up CEN data entry for seizures at the Colombo port by April."
    )
    choose(page, "support_needed", "Yes")
    page.get_by_label("What support will you need?").fill("A CEN user account.")
    page.get_by_role("button", name="Save and check your answers").click()
    assert page.get_by_role("heading", name="Check your answers before you submit them")
    assert page.get_by_text("A CEN user account.").is_visible()
    page.get_by_role("button", name="Submit answers").click()
    assert page.get_by_role("heading", name="Your answers have been submitted").is_visible()
    # A participant of a round that is not anonymous is told what comes next, once.
    thanks = page.locator("main").inner_text()
    assert "In about six months we will ask how your action plan went." in thanks
    assert thanks.count("Thank you") == 1
    # The link now shows that the answers are in.
    page.goto(f"{live_server.url}{live_server.personal_link}")
    assert page.get_by_text("already been submitted").is_visible()
