"""A participant answers the evaluation on a phone in Chromium; a low satisfaction reveals
the follow-up question as they answer."""

import pytest

pytestmark = pytest.mark.browser


def choose(page, question_key: str, label: str) -> None:
    page.locator(f'[data-key="{question_key}"]').get_by_label(label, exact=True).check()


def test_participant_completes_the_evaluation_on_a_phone(live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/s/{live_server.evaluation_slug}")
    page.get_by_role("button", name="Start").click()

    assert page.get_by_role("heading", name="The workshop").is_visible()
    assert page.get_by_text("Section 1 of 4").is_visible()
    # Sending the section empty shows the problems at the top, linked to the questions.
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible() and "Choose an answer." in summary.inner_text()

    for key in ("objectives_met", "relevance", "content_quality", "facilitators", "organisation"):
        choose(page, key, "Agree")
    choose(page, "duration", "About right")
    page.get_by_role("button", name="Save and continue").click()

    follow_up = page.locator('[data-key="what_went_wrong"]')
    assert follow_up.is_hidden()
    choose(page, "overall_satisfaction", "Dissatisfied")
    assert follow_up.is_visible()  # revealed as the respondent answers, without a reload
    choose(page, "overall_satisfaction", "Satisfied")
    assert follow_up.is_hidden()
    choose(page, "overall_satisfaction", "Very dissatisfied")
    follow_up.get_by_role("textbox").fill("The sessions went too fast.")
    choose(page, "recommend", "6")
    page.get_by_role("button", name="Save and continue").click()

    choose(page, "knowledge_before", "Low")
    choose(page, "knowledge_after", "Good")
    page.get_by_label("Which part was most useful to you, and why?").fill("The case studies.")
    page.get_by_role("button", name="Save and continue").click()

    assert page.get_by_text("Section 4 of 4").is_visible()
    page.get_by_label("My action plan for the next six months").fill(
        "Brief my unit on post-clearance audit planning by March."
    )
    choose(page, "support_needed", "No")
    assert page.locator('[data-key="support_details"]').is_hidden()
    page.get_by_role("button", name="Save and check your answers").click()
    assert page.get_by_role("heading", name="Check your answers before you submit them")
    assert page.get_by_text("Brief my unit on post-clearance audit planning by March.")
    page.get_by_role("button", name="Submit answers").click()

    assert page.get_by_role("heading", name="Your answers have been submitted").is_visible()
    # An open-link respondent is promised nothing that cannot happen.
    assert "six months" not in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The back button and a refresh do not submit twice.
    page.go_back()
    page.reload()
    assert page.get_by_text("already been submitted").is_visible()
