"""What the section pages give phones and weak connections, as the server renders it: one
message per unanswered matrix naming its rows, text limits the browser knows (maxlength
and a counter), and the hidden notice the page shows when a send failed."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.surveys.rounds import NewRound, create_round, open_round
from app.surveys.versions import sync_definitions
from tests.conftest import csrf_token
from tests.factories import ActivityFactory, WorkPlanItemFactory, plan_year
from tests.samples import ALL_TYPES, ROOT

BASICS = {
    "name": "Ana Tupou",
    "code": "ABC-123",
    "story": "Ten years in valuation.",
    "age": "12",
    "budget": "2,5",
    "since": "2010-05-01",
    "agree": "no",
    "because": "Needs more practice.",
}
CHOICES = {"colour": "blue", "colours_liked": ["red"], "happy": "4", "score": "9"}


@pytest.fixture()
def slug(session, client):
    [version] = sync_definitions(session, [ALL_TYPES]).created
    year = plan_year()
    WorkPlanItemFactory(code="1-(a)", plan_year=year)
    ActivityFactory(title="Valuation workshop", plan_year=year)
    survey_round = create_round(
        session,
        NewRound(version=version, plan_year=year, opens_on=date.today() - timedelta(days=1)),
    )
    open_round(session, survey_round)
    session.commit()
    page = client.get(f"/s/{survey_round.slug}").get_data(as_text=True)
    client.post(f"/s/{survey_round.slug}/start", data={"csrf_token": csrf_token(page)})
    return survey_round.slug


def send(client, slug: str, index: int, data: dict) -> str:
    """Post a section as the browser does and return the page the respondent ends up on
    (shown at once, or after a redirect)."""
    page = client.get(f"/s/{slug}/{index}").get_data(as_text=True)
    response = client.post(
        f"/s/{slug}/{index}",
        data={"csrf_token": csrf_token(page), "action": "next", **data},
        follow_redirects=True,
    )
    return response.get_data(as_text=True)


def summary(html: str) -> list[str]:
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return re.findall(r'<li><a href="#[^"]+">([^<]+?) <span', box.group(0)) if box else []


def test_an_empty_matrix_gives_one_message_not_one_per_row(client, slug):
    send(client, slug, 0, BASICS)
    html = send(client, slug, 1, CHOICES)
    assert summary(html) == ["Choose an answer in each of the 2 rows."]
    # The same one message above the rows, none inside them, no row marked on its own.
    assert html.count("Choose an answer in each of the 2 rows.") == 2
    assert "Not answered" not in html
    assert "Answer every row." not in html


def test_a_partly_answered_matrix_names_the_rows_left(client, slug):
    send(client, slug, 0, BASICS)
    html = send(client, slug, 1, {**CHOICES, "grid-speed": "5"})
    assert summary(html) == ["Answer every row. Not answered yet: Cost."]
    # The summary leads to the first unanswered row; that row, and only it, is marked.
    assert 'href="#grid-cost-0"' in html
    assert html.count('class="row-missing"') == 1
    legend = re.search(r"<legend>Cost <span class=\"row-missing\">([^<]+)</span>", html)
    assert legend and legend.group(1) == "Not answered"


def test_text_boxes_carry_their_limit_and_a_counter(client, slug):
    html = client.get(f"/s/{slug}/0").get_data(as_text=True)
    name = re.search(r"<input[^>]*name=\"name\"[^>]*>", html).group(0)
    assert 'maxlength="40"' in name
    assert 'aria-describedby="name-count"' in name
    assert re.search(r'id="name-count"[^>]*>Up to 40 characters\.</p>', html, re.S)
    # A long text without a limit of its own gets the questionnaire default (5,000).
    story = re.search(r"<textarea[^>]*name=\"story\"[^>]*>", html).group(0)
    assert 'maxlength="5000"' in story
    assert "Up to 5,000 characters." in html
    # The counter's texts for the browser, in the page's language.
    assert 'data-used="{used} of 40 characters used"' in html
    assert 'data-left="{left} characters left"' in html


def test_line_breaks_count_as_one_character_as_in_the_browser(client, slug):
    # 5,000 characters as the browser counts them, sent with a CRLF line break.
    story = "a" * 2500 + "\r\n" + "b" * 2499
    assert summary(send(client, slug, 0, {**BASICS, "story": story})) == []
    over = send(client, slug, 0, {**BASICS, "story": story + "c"})
    assert summary(over) == ["Write at most 5000 characters (you wrote 5001)."]


def test_the_page_holds_the_notices_for_a_failed_send(client, slug):
    html = client.get(f"/s/{slug}/0").get_data(as_text=True)
    notice = re.search(
        r"<div class=\"unsaved-notice\"[^>]*data-unsaved-notice>(.*?)</div>", html, re.S
    )
    assert notice and "hidden" in notice.group(0)
    assert "not saved yet" in notice.group(1)
    assert re.search(r"<div[^>]*hidden data-offline-notice>", html)
    assert '<script src="/static/js/survey' in html


def test_every_text_question_of_the_questionnaires_has_a_limit():
    """The three questionnaires' text answers all reach the browser with a maxlength."""
    from app.surveys.definitions import load_definition_file

    for path in sorted((ROOT / "surveys").glob("*.yaml")):
        definition = load_definition_file(path).content
        for section in definition["sections"]:
            for question in section["questions"]:
                for q in (question, *question.get("questions", [])):
                    if q["type"] in ("text", "long_text"):
                        assert q["constraints"]["max_length"]["value"] > 0, (path, q["key"])
