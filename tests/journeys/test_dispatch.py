"""`flask rounds dispatch`: invitations, reminders to non-respondents only, escalation,
closing-soon notices, idempotence, and SMTP failures against a real local SMTP server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.common.mail import SmtpBackend
from app.models import Invitation, Message, MessageStatus
from tests.journey import answer_evaluation, make_journey, open_link


def test_first_dispatch_invites_participants_with_an_email(session, app):
    journey = make_journey(session, app)
    report = journey.dispatch()
    evaluation = journey.delivery.evaluation
    invitations = session.scalars(
        select(Invitation).where(Invitation.round_id == evaluation.id)
    ).all()
    # Cy has no email address: invited (visible to staff) but nothing can be sent.
    assert sorted(i.name for i in invitations) == [
        "Ana Sharma",
        "Bo Thapa",
        "Cy Lama",
        "Dee Wangmo",
    ]
    assert report.planned["invitation"] == 3 and report.sent["invitation"] == 3
    assert {m.to_email for m in journey.sent("invitation")} == {
        "ana@customs.gov.np",
        "bo@customs.gov.np",
        "dee@customs.gov.bt",
    }
    message = journey.messages("invitation", "ana@customs.gov.np")[0]
    assert "Dear Ana Sharma" in message.body_text
    assert "National workshop on PCA for Nepal" in message.body_text
    assert journey.link_for("ana@customs.gov.np").startswith("http://surveys.test/i/")
    assert '<a href="http://surveys.test/i/' in message.body_html
    # The needs assessment of the current plan year does not exist (no plan year stored
    # for today): nothing else was planned.
    assert report.planned["reminder"] == 0


def test_dispatch_twice_in_a_row_sends_nothing_twice(session, app):
    journey = make_journey(session, app)
    journey.dispatch()
    again = journey.dispatch()
    assert sum(again.planned.values()) == 0 and sum(again.sent.values()) == 0
    later_same_day = journey.dispatch(days=0.1)
    assert sum(later_same_day.sent.values()) == 0
    assert len(journey.messages()) == 3


def test_reminders_go_to_non_respondents_only_then_the_contact_point(session, app, client):
    journey = make_journey(session, app)
    journey.dispatch()
    slug = journey.delivery.evaluation.slug
    open_link(client, journey.link_for("ana@customs.gov.np"))
    answer_evaluation(client, slug)  # Ana answers; Bo and Dee do not

    assert sum(journey.dispatch(days=3).planned.values()) == 0  # too early
    first = journey.dispatch(days=4)
    assert first.sent["reminder"] == 2
    assert {m.to_email for m in journey.sent("reminder")} == {
        "bo@customs.gov.np",
        "dee@customs.gov.bt",
    }
    second = journey.dispatch(days=8)
    assert second.sent["reminder"] == 2 and second.sent["escalation"] == 0
    assert len(journey.sent("reminder")) == 4
    third = journey.dispatch(days=12)
    assert third.sent["reminder"] == 0  # two at most
    [escalation] = journey.sent("escalation")
    assert escalation.to_email == "cp@customs.gov.np"
    assert "Bo Thapa" in escalation.body_text
    assert "Ana Sharma" not in escalation.body_text and "Dee" not in escalation.body_text
    assert "Nepal" in escalation.subject
    closing = journey.sent("closing_soon")
    assert {m.to_email for m in closing} == {"bo@customs.gov.np", "dee@customs.gov.bt"}
    assert sum(journey.dispatch(days=13).sent.values()) == 0


def test_smtp_failure_is_retried_and_never_recorded_as_sent(session, app, smtp_server):
    journey = make_journey(session, app)
    backend = SmtpBackend("127.0.0.1", smtp_server.port, "surveys@rocb-ap.example")
    smtp_server.handler.reject = True
    failed = journey.dispatch(backend=backend)
    assert failed.failed == 3 and sum(failed.sent.values()) == 0
    assert smtp_server.received == []
    waiting = journey.messages()
    assert all(m.status is MessageStatus.PENDING and m.sent_at is None for m in waiting)
    assert all("451" in m.last_error and m.attempts == 1 for m in waiting)

    smtp_server.handler.reject = False
    retried = journey.dispatch(days=0.01, backend=backend)
    assert retried.sent["invitation"] == 3 and retried.failed == 0
    assert sorted(r.to[0] for r in smtp_server.received) == [
        "ana@customs.gov.np",
        "bo@customs.gov.np",
        "dee@customs.gov.bt",
    ]
    received = smtp_server.received[0]
    assert received.subject == "Workshop evaluation: your answers, please"
    assert "/i/" in received.text
    assert all(m.status is MessageStatus.SENT and m.attempts == 2 for m in journey.messages())
    assert journey.dispatch(days=0.02, backend=backend).sent == {}
    assert len(smtp_server.received) == 3


def test_a_mail_server_that_is_down_stops_the_run_and_keeps_everything(session, app):
    from tests.smtp import free_port

    journey = make_journey(session, app)
    backend = SmtpBackend("127.0.0.1", free_port(), "surveys@rocb-ap.example", timeout=2)
    report = journey.dispatch(backend=backend)
    assert report.failed == 3 and report.errors and "stopped after 3 failures" in report.errors[0]
    assert (
        session.scalar(
            select(func.count()).select_from(Message).where(Message.status == MessageStatus.PENDING)
        )
        == 3
    )


def test_a_message_claimed_by_a_dead_dispatch_is_sent_later(session, app):
    journey = make_journey(session, app)
    report = journey.dispatch()
    message = journey.sent("invitation")[0]
    # Simulate a dispatch that claimed a message and died before sending it: its claim is
    # dated on the journey's own clock, an hour before the next run.
    next_run = journey.at(0.5)
    message.status = MessageStatus.SENDING
    message.claimed_at = next_run - timedelta(hours=1)
    message.sent_at = None
    session.commit()
    later = journey.dispatch(days=0.5)
    assert later.sent["invitation"] == 1
    assert report.sent["invitation"] == 3


def test_a_claim_younger_than_the_timeout_is_left_to_its_dispatch(session, app):
    journey = make_journey(session, app)
    journey.dispatch()
    message = journey.sent("invitation")[0]
    next_run = journey.at(0.5)
    message.status = MessageStatus.SENDING
    message.claimed_at = next_run - timedelta(minutes=journey.settings.claim_timeout_minutes - 1)
    message.sent_at = None
    session.commit()
    later = journey.dispatch(days=0.5)
    assert later.sent["invitation"] == 0
    session.refresh(message)
    assert message.status is MessageStatus.SENDING
