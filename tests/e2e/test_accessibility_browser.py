"""Every page a respondent or a contact point sees, checked by axe-core against WCAG 2.0,
2.1 and 2.2 levels A and AA, in English and in French: the login page (and its error),
each questionnaire's landing page and every section (blank, with its errors, answered), the
thank-you, already-submitted, closed and invitation-only pages, and the portal. Then a
participant completes the evaluation with the keyboard alone (Tab, Space, Enter, and typing
the text answers).

Pages are found by their markup (input names, button values), not by their English
words, so the French walk follows the same path.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import CONTACT_POINTS, PHONE, STAFF_PASSWORD

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDE = {"width": 1280, "height": 900}
PRIMARY = 'form.survey button[value="next"], form.survey button[value="submit"]'

# Answers every visible question still unanswered (the first choice, a number, a date, a
# sentence); repeat groups may stay empty. Run again when an answer reveals a question.
FILL = """form => {
  const shown = e => !e.closest('[hidden]') && !e.closest('.repeat');
  const inputs = [...form.elements].filter(e => e.name && e.name !== 'csrf_token' && shown(e));
  const changed = e => e.dispatchEvent(new Event(e.type === 'radio' || e.type === 'checkbox'
    || e.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}));
  const seen = new Set();
  for (const e of inputs) {
    if (e.type === 'submit' || e.type === 'hidden') continue;
    if (e.type === 'radio' || e.type === 'checkbox') {
      if (seen.has(e.name)) continue;
      seen.add(e.name);
      const group = inputs.filter(x => x.name === e.name);
      if (!group.some(x => x.checked)) { group[0].checked = true; changed(group[0]); }
    } else if (e.tagName === 'SELECT') {
      const option = [...e.options].find(o => o.value);
      if (!e.value && option) { e.value = option.value; changed(e); }
    } else if (!e.value) {
      e.value = e.type === 'date' ? '2026-01-15'
        : (e.inputMode === 'numeric' || e.inputMode === 'decimal') ? '3'
        : 'A concrete step agreed with the team.';
      changed(e);
    }
  }
}"""


class Audit:
    """Runs axe on pages and keeps every violation, to report them all at once."""

    def __init__(self, lang: str):
        self.axe = Axe()
        self.lang = lang
        self.pages: list[str] = []
        self.violations: list[str] = []

    def check(self, page, what: str) -> None:
        page.wait_for_load_state()
        results = self.axe.run(
            page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_TAGS},
                "resultTypes": ["violations"],
            },
        )
        self.pages.append(what)
        for violation in results.response["violations"]:
            targets = [node["target"] for node in violation["nodes"][:3]]
            self.violations.append(
                f"[{self.lang}] {what} ({page.url}): "
                f"{violation['id']}: {violation['help']} {targets}"
            )


def answer_sections(page, audit: Audit, name: str) -> None:
    """Answer every section the questionnaire shows, checking each one blank, with the
    errors of an empty send, and answered; then the page that comes after the sections
    (the thank-you page, or a review to submit from)."""
    tried: set[str] = set()
    for _ in range(25):
        if "/review" in page.url or not page.locator(PRIMARY).count():
            break  # past the sections
        path = page.url.split("?")[0]
        heading = page.locator("h1").inner_text()
        if path not in tried:
            tried.add(path)
            audit.check(page, f"{name}: section '{heading}'")
            with page.expect_navigation():
                page.locator(PRIMARY).first.click()
            if page.locator(".error-summary").count():
                audit.check(page, f"{name}: section '{heading}' with errors")
            continue
        for _ in range(3):
            page.evaluate(FILL, page.locator("form.survey").element_handle())
        audit.check(page, f"{name}: section '{heading}' answered")
        with page.expect_navigation():
            page.locator(PRIMARY).first.click()
    for _ in range(3):
        if "/thanks" in page.url:
            break
        # After the sections: a page to check the answers and submit them from.
        audit.check(page, f"{name}: review, {page.locator('h1').inner_text()}")
        with page.expect_navigation():
            page.locator(
                'main button[value="submit"], main form button[type="submit"]'
            ).last.click()
    assert "/thanks" in page.url, f"{name}: never reached the thank-you page ({page.url})"
    audit.check(page, f"{name}: thank-you page")


def walk_open_link(browser, audit: Audit, base: str, slug: str, name: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{base}/s/{slug}?lang={audit.lang}")
    audit.check(page, f"{name}: landing page")
    page.locator("main form button").first.click()
    answer_sections(page, audit, name)
    page.goto(f"{base}/s/{slug}/copy")
    audit.check(page, f"{name}: copy of the answers")
    page.goto(f"{base}/s/{slug}")
    audit.check(page, f"{name}: already submitted")
    context.close()


def walk_portal(browser, audit: Audit, base: str) -> None:
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    page.goto(f"{base}/auth/login?lang={audit.lang}")
    audit.check(page, "login page")
    page.fill('input[name="email"]', CONTACT_POINTS[audit.lang])
    page.fill('input[name="password"]', "not the password")
    page.locator('main button[type="submit"]').click()
    audit.check(page, "login page with an error")
    page.fill('input[name="email"]', CONTACT_POINTS[audit.lang])
    page.fill('input[name="password"]', STAFF_PASSWORD)
    page.locator('main button[type="submit"]').click()
    page.goto(f"{base}/portal/")
    audit.check(page, "portal home")
    for path in ("/portal/participants", "/portal/results"):
        page.goto(base + path)
        audit.check(page, f"portal {path}")
    page.goto(f"{base}/portal/")
    page.locator("form[action*='/needs/'] button").first.click()
    audit.check(page, "needs assessment: landing page")
    page.locator("main form button").first.click()
    answer_sections(page, audit, "needs assessment")
    page.goto(f"{base}/portal/")
    audit.check(page, "portal home after the needs assessment")
    page.locator("a[href*='/portal/needs/responses/']").first.click()
    audit.check(page, "portal: the needs answers")
    context.close()


def test_the_audit_reports_what_axe_finds(browser):
    """The check itself works: a page with an unlabelled field and a low-contrast text fails."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>Form</h1>'
        '<input type="text"><p style="color:#ccc;background:#fff">faint</p></main></body></html>'
    )
    audit = Audit("en")
    audit.check(page, "a broken page")
    context.close()
    found = "\n".join(audit.violations)
    assert "label" in found and "color-contrast" in found, found


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_wcag_a_or_aa_violation_on_respondent_and_portal_pages(live_server, browser, lang):
    audit = Audit(lang)
    base = live_server.url
    walk_open_link(browser, audit, base, live_server.evaluation_slug, "evaluation")
    walk_open_link(browser, audit, base, live_server.follow_up_slug, "follow-up")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{base}/s/{live_server.closed_slug}?lang={lang}")
    audit.check(page, "closed round")
    page.goto(f"{base}/s/{live_server.invitation_only_slug}?lang={lang}")
    audit.check(page, "invitation-only round")
    page.goto(f"{base}/?lang={lang}")
    audit.check(page, "public home page")
    page.goto(f"{base}/no-such-page?lang={lang}")
    audit.check(page, "page not found")
    context.close()
    # "Save and finish later" on a first section: the page saying how to come back.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{base}/s/{live_server.evaluation_slug}?lang={lang}")
    with page.expect_navigation():
        page.locator("main form button").first.click()
    with page.expect_navigation():
        page.locator('main button[value="save"]').first.click()
    audit.check(page, "evaluation: saved for later")
    context.close()
    walk_portal(browser, audit, base)

    assert not audit.violations, "\n".join(audit.violations)
    names = " | ".join(audit.pages)
    for expected in (
        "evaluation: landing page",
        "with errors",
        "follow-up: thank-you page",
        "evaluation: already submitted",
        "evaluation: saved for later",
        "evaluation: copy of the answers",
        "evaluation: review",
        "public home page",
        "page not found",
        "closed round",
        "invitation-only round",
        "login page with an error",
        "needs assessment: thank-you page",
        "portal: the needs answers",
    ):
        assert expected in names, (expected, names)
    assert len(audit.pages) >= 30, names


def test_a_participant_completes_the_evaluation_with_the_keyboard_only(live_server, browser):
    """Tab to move, Space to choose, Enter to send; text is typed. The first choice of
    each question is the one Tab lands on."""
    context = browser.new_context(viewport=PHONE, is_mobile=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{live_server.evaluation_slug}")
    focused = """() => {
      const e = document.activeElement;
      const form = e && e.closest('form');
      if (!form) return {kind: 'outside', tag: e ? e.tagName : ''};
      if (e.type === 'radio' || e.type === 'checkbox') {
        const group = form.querySelectorAll(`[name="${e.name}"]`);
        return {kind: 'choice', answered: [...group].some(i => i.checked)};
      }
      if (e.tagName === 'TEXTAREA' || (e.tagName === 'INPUT' && e.type === 'text'))
        return {kind: 'text', empty: e.value === ''};
      if (e.tagName === 'BUTTON') return {kind: 'button', value: e.value || 'start'};
      return {kind: e.tagName};
    }"""
    sent = 0
    for _ in range(400):
        if "/thanks" in page.url:
            break
        page.keyboard.press("Tab")
        state = page.evaluate(focused)
        if state["kind"] == "choice" and not state["answered"]:
            page.keyboard.press("Space")
        elif state["kind"] == "text" and state["empty"]:
            page.keyboard.type("Brief my unit on audit planning by March.")
        elif state["kind"] == "button" and state["value"] in ("start", "next", "submit"):
            url = page.url
            with page.expect_navigation():
                page.keyboard.press("Enter")
            sent += 1
            assert page.url != url, f"the page did not move on: {page.url}"
            assert not page.locator(".error-summary").count(), page.locator("main").inner_text()
    assert "/thanks" in page.url, page.url
    assert sent >= 5  # the start and four sections
    context.close()
