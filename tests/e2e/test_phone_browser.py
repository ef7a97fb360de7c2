"""A respondent on a small phone and a weak connection: the 0-10 scale on one row at
360 px, text limits counted as they type, and answers that survive a send that failed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 360, "height": 740}
STORE = "rocb-unsaved-answers"


@pytest.fixture()
def small_phone(browser):
    context = browser.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def choose(page, question_key: str, label: str) -> None:
    page.locator(f'[data-key="{question_key}"]').get_by_label(label, exact=True).check()


def start_evaluation(page, live_server) -> None:
    page.goto(f"{live_server.url}/s/{live_server.evaluation_slug}")
    page.get_by_role("button", name="Start").click()


def answer_first_section(page) -> None:
    for key in ("objectives_met", "relevance", "content_quality", "facilitators", "organisation"):
        choose(page, key, "Agree")
    choose(page, "duration", "About right")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("Section 2 of 4").wait_for()


def test_the_0_to_10_scale_holds_on_one_row_at_360_px(live_server, small_phone):
    page = small_phone
    start_evaluation(page, live_server)
    answer_first_section(page)
    scale = page.locator('[data-key="recommend"] .option')
    assert scale.count() == 11
    boxes = [scale.nth(i).bounding_box() for i in range(11)]
    assert len({round(box["y"]) for box in boxes}) == 1, boxes  # one row
    assert all(box["width"] >= 24 and box["height"] >= 44 for box in boxes), boxes  # WCAG 2.5.8
    assert boxes[-1]["x"] + boxes[-1]["width"] <= SMALL_PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    # Tapping anywhere in a number's box chooses it (its radio button fills the box).
    scale.nth(7).scroll_into_view_if_needed()
    box = scale.nth(7).bounding_box()
    page.touchscreen.tap(box["x"] + 3, box["y"] + box["height"] - 3)
    assert page.locator('[data-key="recommend"] input[value="7"]').is_checked()
    choose(page, "recommend", "10")
    assert not page.locator('[data-key="recommend"] input[value="7"]').is_checked()


def test_a_text_box_counts_what_is_typed_against_its_limit(live_server, small_phone):
    page = small_phone
    start_evaluation(page, live_server)
    answer_first_section(page)
    choose(page, "overall_satisfaction", "Dissatisfied")
    box = page.locator('[data-key="what_went_wrong"] textarea')
    limit = int(box.get_attribute("maxlength"))
    counter = page.locator(f"#{box.get_attribute('aria-describedby').split()[-1]}")
    assert counter.inner_text() == f"0 of {limit:,} characters used"
    box.fill("Too fast.")
    assert counter.inner_text() == f"9 of {limit:,} characters used"
    # The browser refuses what passes the limit.
    box.fill("")
    box.press_sequentially("x" * 3)
    page.evaluate(
        "([box, n]) => { box.value = 'y'.repeat(n); box.dispatchEvent(new Event('input')); }",
        [box.element_handle(), limit],
    )
    assert counter.inner_text() == f"{limit:,} of {limit:,} characters used"
    box.press("End")
    box.press("z")
    assert len(box.input_value()) == limit


def test_answers_survive_a_send_that_never_arrives(live_server, small_phone):
    page = small_phone
    start_evaluation(page, live_server)
    section_url = page.url
    notice = page.locator("[data-unsaved-notice]")
    assert notice.is_hidden()

    # The connection drops as the respondent sends the section.
    def drop(route):
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(section_url, drop)
    for key in ("objectives_met", "relevance", "content_quality"):
        choose(page, key, "Strongly agree")
    choose(page, "duration", "Too short")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state()
    page.unroute(section_url)

    # Back on the section, fetched again from the server (which has nothing): the answers
    # are filled in from the browser, with a message saying they are not saved yet.
    page.goto(section_url)
    assert notice.is_visible()
    assert "not saved yet" in notice.inner_text()
    assert page.evaluate("document.activeElement.id") == "unsaved-notice"
    assert (
        page.locator('[data-key="relevance"]')
        .get_by_label("Strongly agree", exact=True)
        .is_checked()
    )
    assert page.locator('[data-key="duration"]').get_by_label("Too short", exact=True).is_checked()
    assert not page.locator('[data-key="facilitators"] input:checked').count()

    # Sent again, it is saved: the copy is dropped and coming back shows no message.
    for key in ("facilitators", "organisation"):
        choose(page, key, "Agree")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("Section 2 of 4").wait_for()
    assert page.evaluate(f"sessionStorage.getItem('{STORE}')") is None
    page.goto(section_url)
    assert notice.is_hidden()
    assert (
        page.locator('[data-key="relevance"]')
        .get_by_label("Strongly agree", exact=True)
        .is_checked()
    )


def test_answers_survive_a_server_failure(live_server, small_phone):
    page = small_phone
    start_evaluation(page, live_server)
    answer_first_section(page)
    section_url = page.url

    def fail(route):
        if route.request.method == "POST":
            route.fulfill(status=502, body="Bad gateway", content_type="text/plain")
        else:
            route.continue_()

    page.route(section_url, fail)
    choose(page, "overall_satisfaction", "Very dissatisfied")
    page.locator('[data-key="what_went_wrong"] textarea').fill("The room was too cold.")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("Bad gateway").wait_for()
    page.unroute(section_url)
    page.go_back()
    page.locator("[data-unsaved-notice]").wait_for(state="visible")
    assert page.locator('[data-key="what_went_wrong"] textarea').input_value() == (
        "The room was too cold."
    )
    # Conditions follow the restored answers: the follow-up question is shown.
    assert page.locator('[data-key="what_went_wrong"]').is_visible()


def test_a_validation_error_is_not_taken_for_a_failed_send(live_server, small_phone):
    """The server answered (with the answers and what is wrong): nothing is restored."""
    page = small_phone
    start_evaluation(page, live_server)
    choose(page, "relevance", "Agree")
    page.get_by_role("button", name="Save and continue").click()
    page.locator(".error-summary").wait_for()
    assert page.locator("[data-unsaved-notice]").is_hidden()
    assert page.locator('[data-key="relevance"]').get_by_label("Agree", exact=True).is_checked()
    assert page.evaluate(f"sessionStorage.getItem('{STORE}')") is None


def test_sending_while_offline_says_so_and_keeps_the_page(live_server, small_phone):
    page = small_phone
    start_evaluation(page, live_server)
    choose(page, "relevance", "Disagree")
    page.context.set_offline(True)
    try:
        page.get_by_role("button", name="Save and continue").click()
        offline = page.locator("[data-offline-notice]")
        offline.wait_for(state="visible")
        assert "offline" in offline.inner_text()
        assert (
            page.locator('[data-key="relevance"]').get_by_label("Disagree", exact=True).is_checked()
        )
    finally:
        page.context.set_offline(False)
