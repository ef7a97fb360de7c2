"""The round page: closing asks for a ticked confirmation; when invitations go out is said
in plain words, with no command names."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.common import clock
from app.journeys.dispatch import run_dispatch
from app.models import AuditEntry, RoundStatus, SurveyRound
from tests.conftest import post_form
from tests.journey import make_journey


def text(response) -> str:
    return response.get_data(as_text=True)


def status_of(session, round_id: int) -> RoundStatus:
    session.expire_all()
    return session.get(SurveyRound, round_id).status


def test_closing_a_round_needs_the_confirmation_box(app, session, staff_client):
    journey = make_journey(session, app)
    evaluation = journey.delivery.evaluation
    page = f"/manage/rounds/{evaluation.id}"
    html = text(staff_client.get(page))
    assert 'name="close-confirm"' in html and "Yes, stop accepting answers now" in html
    assert "nothing is deleted, and you can open it again" in html

    refused = post_form(staff_client, f"{page}/close", {}, page=page, follow_redirects=True)
    assert "Not closed: tick “Yes, stop accepting answers now” to close the round." in text(refused)
    assert status_of(session, evaluation.id) is RoundStatus.OPEN
    unticked = post_form(staff_client, f"{page}/close", {"close-confirm": ""}, page=page)
    assert unticked.status_code == 302 and status_of(session, evaluation.id) is RoundStatus.OPEN
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "round.close")).all() == []

    closed = post_form(
        staff_client, f"{page}/close", {"close-confirm": "y"}, page=page, follow_redirects=True
    )
    assert "Round closed: it no longer accepts answers" in text(closed)
    assert status_of(session, evaluation.id) is RoundStatus.CLOSED
    # Closed, the page offers to open it again, without the box.
    assert 'name="close-confirm"' not in text(closed) and "Open the round" in text(closed)
    opened = post_form(staff_client, f"{page}/open", {}, page=page)
    assert opened.status_code == 302 and status_of(session, evaluation.id) is RoundStatus.OPEN


def test_the_round_page_says_when_invitations_go_out_without_command_names(
    app, session, staff_client
):
    journey = make_journey(session, app)
    page = f"/manage/rounds/{journey.delivery.evaluation.id}"
    never = text(staff_client.get(page))
    assert "sent by the automatic dispatch, every 5 minutes." in never
    assert "nothing is sent until an administrator starts it" in never
    assert "No invitation yet: once the round is open, the automatic dispatch invites" in never
    assert "flask" not in never.lower()

    run_dispatch(session, journey.backend, journey.settings, clock.utcnow(), session.commit, "h")
    ran = text(staff_client.get(page))
    assert "Last dispatch:" in ran and "3 sent." in ran
    assert "It has not run since then" not in ran and "flask" not in ran.lower()


def test_a_late_dispatch_is_pointed_out(app, session, staff_client):
    journey = make_journey(session, app)
    an_hour_ago = clock.utcnow() - timedelta(hours=1)
    run_dispatch(session, journey.backend, journey.settings, an_hour_ago, session.commit, "h")
    from app.models import DispatchRun

    for run in session.scalars(select(DispatchRun)):
        run.started_at = run.finished_at = an_hour_ago
    session.commit()
    html = text(staff_client.get("/manage/outbox"))
    assert "It has not run since then: ask an administrator to check it." in html


def test_the_empty_pages_name_no_command(staff_client):
    assert "flask" not in text(staff_client.get("/manage/")).lower()
    assert "flask" not in text(staff_client.get("/manage/surveys")).lower()
