"""Post/Redirect/Get in a real browser: after a section sent with a mistake, corrected and
sent again, Back and Refresh show pages (never "Confirm Form Resubmission") and keep the
answers; the review's Change link goes to the section and back to the review."""

import pytest

from tests.e2e.test_evaluation_browser import choose

pytestmark = pytest.mark.browser

FIVE = ("objectives_met", "relevance", "content_quality", "facilitators", "organisation")


def test_back_and_refresh_after_a_mistake_resend_nothing_and_keep_the_answers(
    live_server, phone_page
):
    page = phone_page
    posts: list[str] = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and r.is_navigation_request() else None,
    )
    page.goto(f"{live_server.url}/s/{live_server.evaluation_slug}")
    page.get_by_role("button", name="Start").click()
    # One mistake: "duration" left out.
    for key in FIVE:
        choose(page, key, "Agree")
    page.get_by_role("button", name="Save and continue").click()
    assert page.locator(".error-summary").is_visible()
    assert page.locator('[data-key="relevance"]').get_by_label("Agree", exact=True).is_checked()
    page.reload()  # the page with the mistake is a GET: nothing is sent again
    assert page.locator(".error-summary").is_visible()
    assert page.locator('[data-key="relevance"]').get_by_label("Agree", exact=True).is_checked()

    choose(page, "duration", "About right")
    page.get_by_role("button", name="Save and continue").click()
    assert page.get_by_text("Section 2 of 4").is_visible()
    sent = len(posts)

    page.go_back()
    assert not page.url.startswith("chrome-error://")
    assert page.get_by_text("Section 1 of 4").is_visible()
    page.reload()
    assert not page.url.startswith("chrome-error://")
    assert page.get_by_text("Section 1 of 4").is_visible()
    for key in FIVE:
        assert page.locator(f'[data-key="{key}"]').get_by_label("Agree", exact=True).is_checked()
    assert page.locator('[data-key="duration"]').get_by_label("About right").is_checked()
    assert len(posts) == sent  # Back and Refresh sent no form
    page.go_back()
    page.reload()
    assert not page.url.startswith("chrome-error://")
    assert len(posts) == sent
