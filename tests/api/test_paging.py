"""Lists a page at a time: a client that follows ``next`` to the end, then ``resume``
later, reads every row once and then only what changed (rows with equal timestamps across
a page boundary included); a page costs the same statements however long the list is."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, update

from app.accounts.api_tokens import issue_api_token
from app.common import clock
from app.journeys.personal_data import erase_participant
from app.models import (
    Activity,
    Answer,
    Invitation,
    Participant,
    Response,
    ResponseStatus,
)
from app.surveys.answers import answer_rows, clean
from app.surveys.model import Definition
from app.surveys.responses import hash_token, store_submitted, submit_draft, submitted_page
from app.surveys.synthetic import AnswerSampler
from tests.factories import ActivityFactory, AttendanceFactory, ParticipantFactory, UserFactory
from tests.factories import plan_year as make_plan_year
from tests.journey import make_journey

LONG_AGO = datetime(2020, 1, 1, 8, 0, tzinfo=UTC)


@pytest.fixture()
def token(session):
    _row, token = issue_api_token(session, UserFactory(role="staff"), clock.utcnow(), "sync")
    session.commit()
    return token


def _get(client, token, url):
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def pull(client, token, url, kind):
    """Follow ``next`` to the end: the rows, the number of pages, the last ``resume``."""
    rows, pages = [], 0
    while url:
        response = _get(client, token, url)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        rows.extend(body[kind])
        pages += 1
        if body["next"]:
            assert body["next"].startswith("http://localhost/api/v1/")
            assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
        else:
            assert "Link" not in response.headers
        url, resume = body["next"], body["resume"]
    return rows, pages, resume


def test_activities_are_pulled_once_then_only_what_changed(client, session, token):
    activities = [ActivityFactory() for _ in range(7)]
    session.flush()
    # All changed at the same moment: the pages still cut between them by id.
    session.execute(update(Activity).values(updated_at=LONG_AGO))
    session.commit()
    ids = sorted(a.id for a in activities)

    rows, pages, resume = pull(client, token, "/api/v1/activities?limit=3", "activities")
    assert [r["id"] for r in rows] == ids and pages == 3
    assert {r["updated_at"] for r in rows} == {"2020-01-01T08:00:00+00:00"}

    session.expire_all()
    changed = session.get(Activity, ids[4])
    changed.title = "Renamed after the first pull"
    session.commit()
    added = ActivityFactory()
    session.commit()
    again = session.get(Activity, ids[1])
    again.venue = "Suva"
    session.commit()

    rows, pages, resume_2 = pull(client, token, resume, "activities")
    assert [r["id"] for r in rows] == [ids[4], added.id, ids[1]]
    assert rows[0]["title"] == "Renamed after the first pull" and rows[2]["venue"] == "Suva"
    # Nothing changed since: an empty page that keeps its place.
    rows, pages, resume_3 = pull(client, token, resume_2, "activities")
    assert rows == [] and pages == 1 and resume_3 == resume_2
    # The same by time: strictly after the moment given.
    since = _get(client, token, "/api/v1/activities?updated_after=2020-01-01T08:00:00Z")
    assert sorted(r["id"] for r in since.get_json()["activities"]) == sorted(
        [ids[4], added.id, ids[1]]
    )
    by_year = _get(client, token, f"/api/v1/activities?year={activities[0].plan_year.label}")
    assert len(by_year.get_json()["activities"]) == 8


def test_an_erased_participant_is_a_change(client, session, token):
    activity = ActivityFactory()
    people = [ParticipantFactory() for _ in range(5)]
    for person in people[:3]:
        AttendanceFactory(activity=activity, participant=person)
    session.flush()
    session.execute(update(Participant).values(updated_at=LONG_AGO))
    session.commit()

    rows, pages, resume = pull(client, token, "/api/v1/participants?limit=2", "participants")
    assert [r["id"] for r in rows] == sorted(p.id for p in people) and pages == 3
    first = rows[0]
    assert first["activities"] == [activity.id] and first["erased"] is False
    assert first["email"] == people[0].email and first["member"] == "FJI"

    session.expire_all()
    name = people[1].name
    erase_participant(session, session.get(Participant, people[1].id), clock.utcnow())
    session.commit()
    rows, _pages, _resume = pull(client, token, resume, "participants")
    assert [(r["id"], r["erased"], r["email"], r["position"]) for r in rows] == [
        (people[1].id, True, None, "")
    ]
    assert rows[0]["name"] != name and rows[0]["name"].startswith("Erased participant")

    of_activity, _pages, _resume = pull(
        client, token, f"/api/v1/participants?activity={activity.id}", "participants"
    )
    assert sorted(r["id"] for r in of_activity) == sorted(p.id for p in people[:3])


def test_invitations_that_were_opened_come_back(app, client, session, token):
    journey = make_journey(session, app)
    journey.dispatch()
    evaluation = journey.delivery.evaluation
    session.execute(update(Invitation).values(updated_at=LONG_AGO))
    session.commit()
    path = f"/api/v1/rounds/{evaluation.id}/invitations?limit=1"
    rows, pages, resume = pull(client, token, path, "invitations")
    invited = session.scalars(
        select(Invitation.id).where(Invitation.round_id == evaluation.id).order_by(Invitation.id)
    ).all()
    assert [r["id"] for r in rows] == list(invited) and pages == len(invited)

    opened = session.get(Invitation, invited[-1])
    opened.opened_at = clock.utcnow()
    session.commit()
    rows, _pages, _resume = pull(client, token, resume, "invitations")
    assert [r["id"] for r in rows] == [opened.id] and rows[0]["opened_at"]


def test_rounds_page_with_their_counts(app, client, session, token):
    journey = make_journey(session, app)
    journey.dispatch()
    rows, pages, _resume = pull(client, token, "/api/v1/rounds?limit=1", "rounds")
    assert pages == len(rows) == 2
    evaluation = next(r for r in rows if r["kind"] == "evaluation")
    assert evaluation["stats"]["invited"] == 4 and evaluation["stats"]["submitted"] == 0


def _values(definition, seed):
    return AnswerSampler(definition).sample(random.Random(seed))


def _store(session, survey_round, count, seed=0):
    definition = Definition.from_json(survey_round.version.definition)
    for number in range(count):
        store_submitted(
            session, survey_round, definition, _values(definition, seed + number), clock.utcnow()
        )
    session.commit()


def test_anonymous_responses_of_one_day_are_read_once_in_the_order_submitted(
    app, client, session, token
):
    journey = make_journey(session, app, anonymous=True)
    evaluation = journey.delivery.evaluation
    definition = Definition.from_json(evaluation.version.definition)
    # Started first (the lowest id), submitted after the first pull.
    draft = Response(
        round=evaluation,
        version_id=evaluation.version_id,
        status=ResponseStatus.DRAFT,
        resume_token_hash=hash_token("started-early"),
    )
    session.add(draft)
    session.flush()
    for row in answer_rows(
        definition, definition.questions(), clean(definition, _values(definition, 99))
    ):
        session.add(Answer(response_id=draft.id, **row))
    session.commit()
    _store(session, evaluation, 5)

    path = f"/api/v1/rounds/{evaluation.id}/responses?limit=2"
    rows, pages, resume = pull(client, token, path, "responses")
    assert len(rows) == 5 and pages == 3 and draft.id not in {r["id"] for r in rows}
    # An anonymous round keeps the day only: every time is the same.
    assert len({r["submitted_at"] for r in rows}) == 1
    assert all(r["member"] is None and r["answers"] for r in rows)

    assert submit_draft(session, draft, definition) == []
    session.commit()
    _store(session, evaluation, 1, seed=50)
    rows_2, _pages, resume_2 = pull(client, token, resume, "responses")
    assert rows_2[0]["id"] == draft.id and len(rows_2) == 2
    assert {r["id"] for r in rows}.isdisjoint(r["id"] for r in rows_2)
    assert pull(client, token, resume_2, "responses")[0] == []

    everything, _pages, _resume = pull(
        client, token, f"/api/v1/rounds/{evaluation.id}/responses?limit=100", "responses"
    )
    assert len(everything) == 7
    later = _get(client, token, f"{path}&submitted_after=2999-01-01T00:00:00%2B02:00")
    assert later.get_json()["responses"] == []


def _statements(connection, run):
    seen = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return seen


def test_a_page_of_responses_costs_the_same_however_many_there_are(
    app, client, connection, session, token
):
    journey = make_journey(session, app)
    evaluation = journey.delivery.evaluation
    path = f"/api/v1/rounds/{evaluation.id}/responses?limit=2"
    _store(session, evaluation, 3)
    few = _statements(connection, lambda: _get(client, token, path))
    _store(session, evaluation, 60, seed=10)
    many = _statements(connection, lambda: _get(client, token, path))
    assert len(many) == len(few)
    # Nor with the size of the page: no row is read again one by one.
    bigger = _statements(connection, lambda: _get(client, token, path.replace("=2", "=50")))
    assert len(bigger) == len(many)
    # The read is in the audit trail, naming the token.
    from app.models import AuditEntry

    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "download.responses")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.summary == "50 responses as JSON (through the API token 'sync')"
    # No statement names every response: the answers are read for the page only.
    assert max(s.count("?") + s.count("%(") for s in many) < 30

    # Memory: a page holds its rows only, not the round's.
    round_id = evaluation.id
    session.expunge_all()
    page = submitted_page(session, session.get(type(evaluation), round_id), None, None, 2)
    held = [o for o in session.identity_map.values() if isinstance(o, Response | Answer)]
    assert len(page.rows) == 2 and page.more
    assert {o.id for o in held if isinstance(o, Response)} == {r.response.id for r in page.rows}


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("updated_after=yesterday", "updated_after"),
        ("kind=picnic", "kind"),
    ],
)
def test_bad_paging_parameters_are_400_problems_naming_them(client, token, query, name):
    response = _get(client, token, f"/api/v1/rounds?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 400 and problem["type"] == "about:blank"
    assert [(p["name"], p["in"]) for p in problem["invalid-params"]] == [(name, "query")]


def test_a_cursor_of_another_list_or_altered_is_refused(client, session, token):
    make_plan_year("2025-2026")
    ActivityFactory()
    ActivityFactory()
    session.commit()
    body = _get(client, token, "/api/v1/activities?limit=1").get_json()
    cursor = body["next"].split("cursor=")[1]
    other = _get(client, token, f"/api/v1/rounds?cursor={cursor}")
    assert other.status_code == 400
    assert other.get_json()["invalid-params"][0]["reason"] == "not a cursor of the rounds list"
    import base64

    forged = base64.urlsafe_b64encode(b'["activities","2020-01-01T00:00:00",true]').decode()
    altered = _get(client, token, f"/api/v1/activities?cursor={forged}")
    assert altered.status_code == 400
    assert altered.get_json()["invalid-params"][0]["reason"] == "an altered cursor"


def test_an_activity_whose_members_change_has_changed(session):
    from app.workplan.activities import activity_changes
    from tests.factories import member

    activity = ActivityFactory(members=[member("FJI")])
    session.flush()
    session.execute(update(Activity).values(updated_at=LONG_AGO))
    session.commit()
    session.expire_all()
    activity = session.get(Activity, activity.id)
    activity.members = [member("FJI"), member("NPL")]
    session.commit()
    page = activity_changes(session, None, LONG_AGO, None, 10)
    assert [a.id for a in page.rows] == [activity.id]
    # Setting the same Members again is no change.
    session.execute(update(Activity).values(updated_at=LONG_AGO))
    session.commit()
    session.expire_all()
    activity = session.get(Activity, activity.id)
    activity.members = [member("FJI"), member("NPL")]
    session.commit()
    assert activity_changes(session, None, LONG_AGO, None, 10).rows == []
