"""Answering surveys through HTTP the way a browser (or an automated client) does."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models import Activity, Answer, Response, ResponseStatus, RoundStatus, Submission
from app.surveys.rounds import NewRound, create_round, open_round
from app.surveys.versions import sync_definitions
from tests.conftest import csrf_token
from tests.factories import ActivityFactory, WorkPlanItemFactory, plan_year
from tests.samples import ALL_TYPES


class Respondent:
    """A browser session on one round's link."""

    def __init__(self, client, slug: str):
        self.client = client
        self.slug = slug

    def start(self):
        page = self.client.get(f"/s/{self.slug}").get_data(as_text=True)
        return self.client.post(f"/s/{self.slug}/start", data={"csrf_token": csrf_token(page)})

    def page(self, index: int):
        return self.client.get(f"/s/{self.slug}/{index}")

    def post(self, index: int, data: dict, action: str = "next"):
        page = self.client.get(f"/s/{self.slug}/{index}").get_data(as_text=True)
        token = csrf_token(page) if 'name="csrf_token"' in page else "missing"
        return self.client.post(
            f"/s/{self.slug}/{index}", data={"csrf_token": token, "action": action, **data}
        )

    def refused(self, index: int, data: dict, action: str = "next"):
        """A post that is not saved (a mistake, a repeat entry added): it redirects to the
        section's page (Post/Redirect/Get), which shows it again; that page."""
        sent = self.post(index, data, action)
        assert sent.status_code == 302, sent.status_code
        assert sent.location.split("?")[0].endswith(f"/s/{self.slug}/{index}"), sent.location
        return self.client.get(sent.location)

    def finish(self, index: int, data: dict):
        """The last section answered, then the final submit from the review."""
        sent = self.post(index, data)
        if sent.status_code != 302 or not sent.location.endswith("/review"):
            return sent
        review = self.client.get(sent.location).get_data(as_text=True)
        return self.client.post(f"/s/{self.slug}/review", data={"csrf_token": csrf_token(review)})


@pytest.fixture()
def all_types_round(session):
    [version] = sync_definitions(session, [ALL_TYPES]).created
    year = plan_year()
    WorkPlanItemFactory(code="1-(a)", plan_year=year)
    ActivityFactory(title="Valuation workshop", plan_year=year)
    survey_round = create_round(
        session,
        NewRound(version=version, plan_year=year, opens_on=date.today() - timedelta(days=1)),
    )
    open_round(session, survey_round)
    return survey_round


@pytest.fixture()
def respondent(client, all_types_round):
    person = Respondent(client, all_types_round.slug)
    assert person.start().status_code == 302
    return person


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
CHOICES = {
    "colour": "blue",
    "colours_liked": ["red", "other"],
    "colours_liked-other": "Teal",
    "happy": "4",
    "score": "9",
    "grid-speed": "5",
    "grid-cost": "3",
}


def answers(session) -> dict[tuple, Answer]:
    session.expire_all()
    return {(a.question_key, a.entry, a.item): a for a in session.scalars(select(Answer))}


def messages(response) -> list[str]:
    return re.findall(r'<li><a href="#[^"]+">([^<]+?) <span', response.get_data(as_text=True))


def test_every_question_type_end_to_end(respondent, session, all_types_round):
    first = respondent.page(0).get_data(as_text=True)
    for name in (
        'name="name"',
        'name="story"',
        'name="age"',
        'inputmode="numeric"',
        'name="budget"',
        'type="date"',
        'type="radio"',
        "Please answer honestly.",
    ):
        assert name in first, name
    assert "Section 1 of 3" in first  # the pickers section waits for ${age} > 1
    assert respondent.post(0, BASICS).status_code == 302

    second = respondent.page(1).get_data(as_text=True)
    for name in (
        'name="colours_liked-other"',
        'name="grid-speed"',
        'name="grid-cost"',
        'name="score" type="radio" value="10"',
        "<legend>Rate each",
    ):
        assert name in second, name
    assert respondent.post(1, CHOICES).status_code == 302

    activity_id = session.scalar(select(Activity.id).where(Activity.title == "Valuation workshop"))
    third = respondent.page(2).get_data(as_text=True)
    assert '<option value="FJI">Fiji</option>' in third
    assert f'<option value="{activity_id}">Valuation workshop</option>' in third
    assert (
        respondent.post(
            2, {"member": "FJI", "activity": str(activity_id), "item": "1-(a)", "double_age": "24"}
        ).status_code
        == 302
    )

    fourth = respondent.page(3).get_data(as_text=True)
    assert 'name="results-0-what"' in fourth
    added = respondent.refused(3, {"results-0-what": "New procedure"}, action="add:results")
    assert 'name="results-1-what"' in added.get_data(as_text=True)
    done = respondent.finish(
        3,
        {
            "results-0-what": "New procedure",
            "results-0-when": "2026-01-15",
            "results-0-how_much": "3",
            "results-1-what": "Law",
        },
    )
    assert done.status_code == 302 and done.location.endswith("/thanks")
    assert "have been submitted" in respondent.client.get(done.location).get_data(as_text=True)

    stored = answers(session)
    assert stored[("name", 0, "")].value_text == "Ana Tupou"
    assert stored[("age", 0, "")].value_number == Decimal(12)
    assert stored[("budget", 0, "")].value_number == Decimal("2.5")
    assert stored[("since", 0, "")].value_date == date(2010, 5, 1)
    assert stored[("agree", 0, "")].value_choice == "no"
    assert stored[("because", 0, "")].value_text == "Needs more practice."
    assert stored[("colour", 0, "")].value_choice == "blue"
    assert {k[2] for k in stored if k[0] == "colours_liked"} == {"red", "other", "__other__"}
    assert stored[("colours_liked", 0, "__other__")].value_text == "Teal"
    assert stored[("happy", 0, "")].value_number == 4
    assert stored[("score", 0, "")].value_number == 9
    assert stored[("grid", 0, "speed")].value_number == 5
    assert stored[("grid", 0, "cost")].value_choice == "3"
    assert stored[("member", 0, "")].value_choice == "FJI"
    assert stored[("activity", 0, "")].value_number == activity_id
    assert stored[("item", 0, "")].value_choice == "1-(a)"
    assert stored[("double_age", 0, "")].value_number == 24
    assert stored[("what", 1, "")].value_text == "New procedure"
    assert stored[("when", 1, "")].value_date == date(2026, 1, 15)
    assert stored[("how_much", 1, "")].value_number == 3
    assert stored[("what", 2, "")].value_text == "Law"
    assert ("how_much", 2, "") not in stored  # hidden: "Law" is too short
    assert ("intro_note", 0, "") not in stored
    response = session.scalar(select(Response))
    assert response.status is ResponseStatus.SUBMITTED
    assert response.version_id == all_types_round.version_id


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": ""}, "Answer this question."),
        ({"name": "A"}, "Write at least 2 characters."),
        ({"name": "x" * 41}, "Forty characters at most."),
        ({"code": "abc"}, "Write it like ABC-123."),
        ({"age": "twelve"}, "Enter a whole number, for example 12."),
        ({"age": "-1"}, "Years cannot be negative."),
        ({"age": "61"}, "Enter 60 or less."),
        ({"budget": "lots"}, "Enter a number, for example 2.5."),
        ({"budget": "1000.6"}, "Enter 1000.5 or less."),
        ({"budget": "99999999999999"}, "This number is too large."),
        ({"since": "2026-13-01"}, "Enter a date as YYYY-MM-DD, for example 2026-03-31."),
        ({"since": "1999-12-31"}, "Enter a date on or after 2000-01-01."),
        ({"agree": ""}, "Choose an answer."),
        ({"agree": "maybe"}, "Choose one of the options shown."),
        ({"because": ""}, "Answer this question."),
    ],
)
def test_validation_messages_on_basics(respondent, session, changes, expected):
    response = respondent.refused(0, {**BASICS, **changes})
    assert expected in messages(response)
    html = response.get_data(as_text=True)
    assert ("There is a problem" in html and 'aria-invalid="true"' in html) or "<legend>" in html
    assert session.scalar(select(func.count()).select_from(Answer)) == 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"colours_liked": ["red", "green", "blue"]}, "Two at most."),
        ({"grid-cost": ""}, "Answer every row."),
        ({"colour": ""}, "Choose an answer."),
        ({"happy": "7"}, "Choose one of the options shown."),
        ({"colours_liked": ["purple"]}, "Choose one of the options shown."),
    ],
)
def test_validation_messages_on_choices(respondent, changes, expected):
    respondent.post(0, BASICS)
    response = respondent.refused(1, {**CHOICES, **changes})
    assert any(expected in m for m in messages(response)), messages(response)


def test_constraint_expression_and_repeat_minimum(respondent):
    respondent.post(0, BASICS)
    respondent.post(1, CHOICES)
    response = respondent.refused(2, {"member": "FJI", "double_age": "25"})
    assert "That is not twice." in messages(response)
    respondent.post(2, {"member": "FJI", "double_age": "24"})
    response = respondent.refused(3, {})
    assert "Add at least 1 entry." in messages(response)


def test_a_hidden_required_question_is_not_required_and_its_answer_is_discarded(
    respondent, session
):
    # "because" is required only when agree = no; posted anyway, it is not kept.
    response = respondent.post(0, {**BASICS, "agree": "yes", "because": "typed anyway"})
    assert response.status_code == 302
    stored = answers(session)
    assert ("agree", 0, "") in stored and ("because", 0, "") not in stored


def test_changing_an_earlier_answer_discards_answers_it_hides(respondent, session):
    respondent.post(0, BASICS)  # agree = no, because answered
    respondent.post(1, CHOICES)
    respondent.post(2, {"member": "FJI", "double_age": "24"})
    assert ("member", 0, "") in answers(session)
    respondent.post(0, {**BASICS, "agree": "yes", "age": "1"})  # hides "because" and pickers
    stored = answers(session)
    assert ("because", 0, "") not in stored
    assert ("member", 0, "") not in stored and ("double_age", 0, "") not in stored
    # The pickers section is skipped: after the choices comes the results section.
    response = respondent.post(1, CHOICES)
    assert response.location.endswith("/3")


def test_drafts_resume_where_the_respondent_left_off(respondent, client):
    respondent.post(0, BASICS)
    landing = client.get(f"/s/{respondent.slug}").get_data(as_text=True)
    assert "Continue where you left off" in landing
    resumed = respondent.start()
    assert resumed.location.endswith("/1")
    back = respondent.page(0).get_data(as_text=True)
    assert 'value="Ana Tupou"' in back and 'value="2010-05-01"' in back
    # Later sections cannot be reached before the earlier ones are done.
    assert respondent.page(3).location.endswith("/1")


def test_previous_saves_without_requiring_answers(respondent, session):
    respondent.post(0, BASICS)
    response = respondent.post(1, {"colour": "green"}, action="previous")
    assert response.status_code == 302 and response.location.endswith("/0")
    assert answers(session)[("colour", 0, "")].value_choice == "green"


def test_submit_happens_exactly_once(respondent, session):
    respondent.post(0, BASICS)
    respondent.post(1, CHOICES)
    respondent.post(2, {"member": "FJI"})
    final = {"results-0-what": "New procedure"}
    assert respondent.post(3, final).location.endswith("/review")
    page = respondent.client.get(f"/s/{respondent.slug}/review").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page)}
    first = respondent.client.post(f"/s/{respondent.slug}/review", data=data)
    second = respondent.client.post(f"/s/{respondent.slug}/review", data=data)  # double click
    assert first.status_code == 302 and first.location.endswith("/thanks")
    assert second.status_code == 302  # to the landing page, which says it
    assert "already been submitted" in respondent.client.get(second.location).get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Submission)) == 1
    again = respondent.client.get(f"/s/{respondent.slug}")  # back button, refresh
    assert "already been submitted" in again.get_data(as_text=True)


def test_submit_with_a_missing_answer_in_an_earlier_section_goes_back_to_it(
    respondent, session, all_types_round
):
    respondent.post(0, BASICS)
    respondent.post(1, CHOICES)
    respondent.post(2, {"member": "FJI"})
    # A required answer goes missing from an earlier section (e.g. saved from another tab
    # before the question existed): the final submit sends the respondent back to it.
    session.query(Answer).filter(Answer.question_key == "member").delete()
    session.flush()
    response = respondent.finish(3, {"results-0-what": "x1234"})
    assert response.status_code == 302 and "/2?check=1" in response.location
    page = respondent.client.get(response.location).get_data(as_text=True)
    assert "Some required answers are missing" in page
    assert "Choose an answer." in page
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_closed_and_not_yet_open_rounds(client, session, all_types_round):
    respondent = Respondent(client, all_types_round.slug)
    respondent.start()
    respondent.post(0, BASICS)
    all_types_round.status = RoundStatus.CLOSED
    session.flush()
    response = respondent.page(1)
    assert response.status_code == 403
    assert "This survey is closed" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Answer)) > 0  # nothing deleted
    all_types_round.status = RoundStatus.OPEN
    all_types_round.opens_on = date.today() + timedelta(days=3)
    session.flush()
    html = client.get(f"/s/{all_types_round.slug}").get_data(as_text=True)
    assert "This survey is not open yet" in html
    assert client.get("/s/no-such-round").status_code == 404


def test_sections_without_a_started_response_go_to_the_landing_page(client, all_types_round):
    response = client.get(f"/s/{all_types_round.slug}/0")
    assert response.status_code == 302 and response.location.endswith(all_types_round.slug)


def test_responses_never_cross_between_browsers(client, app, all_types_round, session):
    Respondent(client, all_types_round.slug).start()
    other = Respondent(app.test_client(), all_types_round.slug)
    assert other.page(0).status_code == 302  # no response of their own yet
    other.start()
    assert session.scalar(select(func.count()).select_from(Response)) == 2
