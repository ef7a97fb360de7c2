"""How many SQL statements each respondent request sends.

A respondent's request reads the round, their invitation and their response in one
statement, keeps the parsed questionnaire in memory, reads picker lists only for a
section that asks a picker question, and a section POST locks and reads the draft once and
writes only the rows that changed. The budget per kind of request does not grow with the
number of Members, activities, work-plan items, other responses or earlier answers.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.models import Answer, Invitation, Member, Response, ResponseStatus, Submission
from app.surveys import versions
from app.surveys.responses import AlreadySubmitted, submit_draft
from app.surveys.versions import definition_by_id, sync_definitions
from tests.conftest import csrf_token
from tests.factories import ActivityFactory, WorkPlanItemFactory, member
from tests.journey import EVALUATION_ANSWERS, answer_evaluation, make_journey, open_link
from tests.samples import ALL_TYPES

# Statements per kind of request (the first request of a process also reads the version).
# On PostgreSQL a section POST writes its new answer rows with the response's update, and
# the final submit takes the invitation, inserts the Submission and submits the response,
# each in one statement; elsewhere these are separate statements.
BUDGET = {
    "personal link": 2,
    "landing": 2,
    "start": 3,
    "section GET": 2,
    "section POST": 4,
    "review": 2,
    "final submit": 5,
    "thanks": 1,
}
BUDGET_POSTGRESQL = {**BUDGET, "section POST": 3, "final submit": 3}
SESSION_BUDGET = 45


def _session_counts(client, count_queries, link: str, slug: str) -> list[tuple[str, int]]:
    """Statements of each request of one whole evaluation, from the personal link to
    the review of the answers, the final submit from it and the thank-you page (14
    requests), with the parsed questionnaire not yet in memory."""
    versions._PARSED.clear()
    counts: list[tuple[str, int]] = []

    def counted(kind: str, send, *args, **kwargs):
        before = count_queries.count
        response = send(*args, **kwargs)
        counts.append((kind, count_queries.count - before))
        return response

    counted("personal link", open_link, client, link)
    page = counted("landing", client.get, f"/s/{slug}").get_data(as_text=True)
    started = counted(
        "start", client.post, f"/s/{slug}/start", data={"csrf_token": csrf_token(page)}
    )
    assert started.status_code == 302
    for index, answers in enumerate(EVALUATION_ANSWERS):
        shown = counted("section GET", client.get, f"/s/{slug}/{index}")
        assert shown.status_code == 200
        data = {"csrf_token": csrf_token(shown.get_data(as_text=True)), **answers}
        sent = counted("section POST", client.post, f"/s/{slug}/{index}", data=data)
        assert sent.status_code == 302, sent.get_data(as_text=True)[-600:]
    assert sent.location.endswith("/review")
    review = counted("review", client.get, f"/s/{slug}/review")
    assert "Check your answers" in review.get_data(as_text=True)
    data = {"csrf_token": csrf_token(review.get_data(as_text=True))}
    sent = counted("final submit", client.post, f"/s/{slug}/review", data=data)
    assert sent.location.endswith("/thanks")
    thanks = counted("thanks", client.get, f"/s/{slug}/thanks")
    assert "have been submitted" in thanks.get_data(as_text=True)
    return counts


def _grow_the_tables(session, slug: str, app) -> None:
    """Many more Members, activities, items and other respondents' answers."""
    for number in range(60):
        session.add(
            Member(
                code=f"Z{number:02d}",
                name=f"Administration {number}",
                subregion=member("NPL").subregion,
                active=True,
            )
        )
    for number in range(80):
        ActivityFactory(title=f"Other workshop {number}")
    for number in range(40):
        WorkPlanItemFactory(code=f"9-({number})")
    session.commit()


def test_an_evaluation_session_stays_within_its_statement_budget(
    app, session, client, count_queries, connection
):
    journey = make_journey(session, app)
    journey.dispatch()
    slug = journey.delivery.evaluation.slug
    first = _session_counts(client, count_queries, journey.link_for("ana@customs.gov.np"), slug)

    # Other participants answer (more answer rows and responses in the table), and the
    # plan grows, before a third participant answers in a browser of their own.
    _grow_the_tables(session, slug, app)
    other = app.test_client()
    answer_evaluation_from_link(other, journey.link_for("bo@customs.gov.np"), slug)
    later = _session_counts(
        app.test_client(), count_queries, journey.link_for("dee@customs.gov.bt"), slug
    )

    assert later == first  # the same statements per request, whatever the tables hold
    budget = BUDGET_POSTGRESQL if connection.dialect.name == "postgresql" else BUDGET
    for kind, count in first:
        assert count <= budget[kind], (kind, count, first)
    assert sum(count for _, count in first) <= SESSION_BUDGET, first

    # The answers are all there, once: three submitted responses, a row per answer.
    submitted = session.scalars(
        select(Response).where(Response.status == ResponseStatus.SUBMITTED)
    ).all()
    assert len(submitted) == 3
    for response in submitted:
        rows = session.scalars(select(Answer).where(Answer.response_id == response.id)).all()
        assert len(rows) == sum(len(a) for a in EVALUATION_ANSWERS)


def answer_evaluation_from_link(client, link: str, slug: str) -> None:
    open_link(client, link)
    answer_evaluation(client, slug)


def _ana_started(session, app, client) -> tuple[str, str]:
    """Ana, invited to a delivered workshop's evaluation, has opened her link and started
    it: the round's slug and the CSRF token of her browser's pages."""
    journey = make_journey(session, app)
    journey.dispatch()
    slug = journey.delivery.evaluation.slug
    open_link(client, journey.link_for("ana@customs.gov.np"))
    page = client.get(f"/s/{slug}").get_data(as_text=True)
    client.post(f"/s/{slug}/start", data={"csrf_token": csrf_token(page)})
    return slug, csrf_token(client.get(f"/s/{slug}/0").get_data(as_text=True))


def _ana_draft(session, client, slug: str, token: str, sections: list[dict]):
    """Ana's started evaluation with ``sections`` answered in turn (saved as a draft):
    her invitation, the response and its questionnaire."""
    for index, answers in enumerate(sections):
        sent = client.post(f"/s/{slug}/{index}", data={"csrf_token": token, **answers})
        assert sent.status_code == 302
    invitation = session.scalar(select(Invitation).where(Invitation.email == "ana@customs.gov.np"))
    response = session.get(Response, invitation.response_id)
    return (
        invitation,
        response,
        definition_by_id(session, response.version_id, response.version.content_hash),
    )


def test_a_section_post_rewrites_only_the_answers_that_changed(app, session, client):
    slug, token = _ana_started(session, app, client)
    first = {**EVALUATION_ANSWERS[0], "csrf_token": token}
    assert client.post(f"/s/{slug}/0", data=first).status_code == 302
    invitation = session.scalar(select(Invitation).where(Invitation.email == "ana@customs.gov.np"))

    def rows() -> dict[str, tuple[int, str | None]]:
        session.expire_all()
        return {
            a.question_key: (a.id, a.value_choice)
            for a in session.scalars(
                select(Answer).where(Answer.response_id == invitation.response_id)
            )
        }

    before = rows()
    changed = {**first, "relevance": "2"}
    assert client.post(f"/s/{slug}/0", data=changed).status_code == 302
    after = rows()
    assert after.keys() == before.keys()
    assert after["relevance"][0] != before["relevance"][0]  # that row was written again
    assert {k: v for k, v in after.items() if k != "relevance"} == {
        k: v for k, v in before.items() if k != "relevance"
    }  # every other row is the same row, untouched


def test_the_parsed_questionnaire_is_kept_per_version_and_content(session):
    result = sync_definitions(session, [ALL_TYPES])
    version = result.created[0]
    versions._PARSED.clear()
    parsed = definition_by_id(session, version.id, version.content_hash)
    assert definition_by_id(session, version.id, version.content_hash) is parsed
    # The same id with other content (a database reset or restored) is read again.
    other = definition_by_id(session, version.id, "another hash")
    assert other is not parsed and other.key == parsed.key


def test_a_stored_draft_is_submitted_once_and_only_when_complete(app, session, client):
    slug, token = _ana_started(session, app, client)
    invitation, response, definition = _ana_draft(
        session, client, slug, token, EVALUATION_ANSWERS[:-1]
    )

    missing = submit_draft(session, response, definition, invitation)
    assert [key for _, key, _ in missing] == ["action_plan", "support_needed"]
    session.commit()
    session.expire_all()
    assert response.status is ResponseStatus.DRAFT and invitation.submitted_at is None

    last = len(EVALUATION_ANSWERS) - 1
    data = {"csrf_token": token, "action": "previous", **EVALUATION_ANSWERS[last]}
    assert client.post(f"/s/{slug}/{last}", data=data).status_code == 302  # saved, not sent
    session.expire_all()
    assert submit_draft(session, response, definition, invitation) == []
    session.commit()
    session.expire_all()
    assert response.status is ResponseStatus.SUBMITTED and invitation.submitted_at is not None
    with pytest.raises(AlreadySubmitted):
        submit_draft(session, response, definition, invitation)


def test_a_draft_whose_invitation_was_used_elsewhere_is_not_submitted(app, session, client):
    """In an anonymous round two devices may hold drafts for one invitation: the first to
    submit takes it. The other's final submit (one statement on PostgreSQL) then leaves
    nothing behind: no Submission row, the response still a draft."""
    slug, token = _ana_started(session, app, client)
    invitation, response, definition = _ana_draft(session, client, slug, token, EVALUATION_ANSWERS)
    used_at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    invitation.submitted_at = used_at  # taken by the other device's submit
    session.commit()

    with pytest.raises(AlreadySubmitted):
        submit_draft(session, response, definition, invitation)
    session.rollback()
    session.expire_all()
    assert response.status is ResponseStatus.DRAFT and response.submitted_at is None
    assert session.scalar(select(Submission).where(Submission.response_id == response.id)) is None
    assert invitation.submitted_at.replace(tzinfo=UTC) == used_at  # SQLite drops the zone
    # The answers saved with the sections are still there.
    rows = session.scalars(select(Answer).where(Answer.response_id == response.id)).all()
    assert len(rows) == sum(len(a) for a in EVALUATION_ANSWERS)
