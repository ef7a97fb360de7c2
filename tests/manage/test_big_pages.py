"""A round with thousands of invitations and an activity with thousands of participants:
their pages show one page of the list, with the same statements for 100 rows or 6,000
(bench/pages.py times them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from app.journeys.invitations import hash_token
from app.models import (
    Attendance,
    Invitation,
    Member,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    RoundStatus,
)
from app.surveys.rounds import NewRound, create_round
from app.surveys.versions import sync_definitions
from tests.factories import ActivityFactory, plan_year
from tests.samples import SURVEYS

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _people(session, activity, count: int, tag: str) -> list[int]:
    """``count`` participants of ``activity`` (inserted in bulk), spread over the Members."""
    members = session.scalars(select(Member.id).order_by(Member.id)).all()
    session.execute(
        insert(Participant),
        [
            {
                "name": f"Participant {tag} {n:05d}",
                "email": f"p{n}.{tag}@customs.example",
                "member_id": members[n % len(members)],
                "gender": "undisclosed",
                "position": "",
                "created_at": NOW,
            }
            for n in range(count)
        ],
    )
    ids = session.scalars(
        select(Participant.id).where(Participant.email.like(f"%.{tag}@customs.example"))
    ).all()
    session.execute(
        insert(Attendance),
        [{"activity_id": activity.id, "participant_id": p, "created_at": NOW} for p in ids],
    )
    return list(ids)


def _invited_round(session, version, count: int, tag: str):
    """A round of an activity with ``count`` participants, each invited, with an
    invitation message and a reminder for every other one."""
    activity = ActivityFactory(plan_year=plan_year("2025-2026"), kind="national_workshop")
    people = _people(session, activity, count, tag)
    survey_round = create_round(
        session, NewRound(version=version, activity=activity, opens_on=date(2026, 3, 1))
    )
    survey_round.status = RoundStatus.OPEN
    session.flush()
    members = dict(session.execute(select(Participant.id, Participant.member_id)).all())
    session.execute(
        insert(Invitation),
        [
            {
                "round_id": survey_round.id,
                "participant_id": person,
                "member_id": members[person],
                "email": f"x{n}@customs.example",
                "name": f"Participant {tag} {n:05d}",
                "token_hash": hash_token(f"{tag}-{n}"),
                "token_nonce": f"{n:032d}",
                "created_at": NOW,
                "submitted_at": NOW if n % 3 == 0 else None,
            }
            for n, person in enumerate(people)
        ],
    )
    invitations = session.scalars(
        select(Invitation.id).where(Invitation.round_id == survey_round.id)
    ).all()
    session.execute(
        insert(Message),
        [
            {
                "kind": kind,
                "dedupe_key": f"{tag}-{kind.value}-{invitation}",
                "round_id": survey_round.id,
                "invitation_id": invitation,
                "number": number,
                "to_email": "x@customs.example",
                "subject": "Your evaluation",
                "body_text": "",
                "body_html": "",
                "status": MessageStatus.SENT,
                "created_at": NOW,
                "sent_at": NOW + timedelta(days=number),
            }
            for invitation in invitations
            for kind, number in [(MessageKind.INVITATION, 0), (MessageKind.REMINDER, 1)]
            if kind is MessageKind.INVITATION or invitation % 2
        ],
    )
    session.commit()
    return survey_round


@pytest.fixture()
def evaluation(session):
    [version] = [
        v
        for v in sync_definitions(session, [SURVEYS]).created
        if v.questionnaire.key == "participant-evaluation"
    ]
    return version


def _statements(client, count_queries, url: str) -> tuple[int, str]:
    before = count_queries.count
    response = client.get(url)
    assert response.status_code == 200
    return count_queries.count - before, response.get_data(as_text=True)


def test_the_round_page_makes_the_same_statements_for_100_or_6000_invitations(
    staff_client, session, evaluation, count_queries
):
    small = _invited_round(session, evaluation, 100, "small")
    large = _invited_round(session, evaluation, 6000, "large")
    small_count, _ = _statements(staff_client, count_queries, f"/manage/rounds/{small.id}")
    large_count, html = _statements(staff_client, count_queries, f"/manage/rounds/{large.id}")
    assert small_count == large_count
    assert large_count <= 12
    assert "Invitations (6000)" in html and "Page 1 of 60" in html
    assert html.count('<th scope="row">Participant large') == 100
    assert "Participant large 00099<" in html and "Participant large 00100<" not in html
    assert html.count('class="link-button">Resend') == 66  # the 34 submitted have none
    last_count, last = _statements(
        staff_client, count_queries, f"/manage/rounds/{large.id}?page=60"
    )
    assert last_count == large_count
    assert "Participant large 05999<" in last and "Page 60 of 60" in last
    assert f'href="/manage/rounds/{large.id}?page=59#invitations">Previous' in last
    past = staff_client.get(f"/manage/rounds/{large.id}?page=61").get_data(as_text=True)
    assert "No invitation on page 61" in past
    assert staff_client.get(f"/manage/rounds/{large.id}?page=0").status_code == 400


def test_the_participants_page_makes_the_same_statements_for_100_or_6000_people(
    staff_client, session, count_queries
):
    year = plan_year("2025-2026")
    small = ActivityFactory(plan_year=year, kind="national_workshop")
    large = ActivityFactory(plan_year=year, kind="regional_workshop")
    _people(session, small, 100, "small")
    _people(session, large, 6000, "large")
    session.commit()
    small_count, _ = _statements(
        staff_client, count_queries, f"/manage/activities/{small.id}/participants"
    )
    large_count, html = _statements(
        staff_client, count_queries, f"/manage/activities/{large.id}/participants?page=2"
    )
    assert small_count == large_count
    assert large_count <= 12
    assert "(6000)" in html and "Page 2 of 60" in html
    assert html.count('<th scope="row">Participant large') == 100
    assert "Participant large 00100<" in html and "Participant large 00200<" not in html
    assert "<abbr title=" in html  # each one's Member, loaded with them


def test_recording_needs_answers_offers_every_unanswered_member_across_pages(
    app, staff_client, session, monkeypatch
):
    """The "Record an administration's answers" form reads the unanswered Members itself:
    Members whose invitation is on another page are offered (or not) all the same."""
    from app.journeys.invitations import new_invitation

    [version] = [
        v
        for v in sync_definitions(session, [SURVEYS]).created
        if v.questionnaire.key == "needs-assessment"
    ]
    survey_round = create_round(
        session,
        NewRound(
            version=version,
            plan_year=plan_year("2025-2026"),
            opens_on=date.today() - timedelta(days=1),
        ),
    )
    survey_round.status = RoundStatus.OPEN
    members = session.scalars(select(Member).where(Member.active.is_(True))).all()
    answered = {m.code for m in members[::4]}
    for member in members:
        invitation = new_invitation(b"key", survey_round, member)
        invitation.submitted_at = NOW if member.code in answered else None
        session.add(invitation)
    session.commit()
    monkeypatch.setitem(app.config, "INVITATIONS_PER_PAGE", 5)
    for page in (1, 4):
        html = staff_client.get(f"/manage/rounds/{survey_round.id}?page={page}").get_data(
            as_text=True
        )
        offered = {code for code in (m.code for m in members) if f'value="{code}"' in html}
        assert offered == {m.code for m in members} - answered
        assert f"Page {page} of {(len(members) + 4) // 5}" in html
