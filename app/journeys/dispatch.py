"""`flask rounds dispatch`: plan whatever messages are due, then send what is waiting.

Safe to run from cron every few minutes, twice in a row or two at once:
- each message has a unique ``dedupe_key`` ("reminder:<invitation>:<n>:<address>"), so
  planning the same message twice stores it once (a concurrent insert waits, then fails on
  the constraint and is skipped);
- each message is claimed before sending with an UPDATE ... WHERE status = 'pending', which
  only one process can win;
- a message is marked sent only after the mail server accepted it; a failure puts it back
  in the queue for the next run (a dispatch that died mid-send is reclaimed after
  MESSAGE_CLAIM_TIMEOUT_MINUTES).
"""

from __future__ import annotations

import contextlib
import smtplib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

from babel.dates import format_date
from sqlalchemy import case, func, select, text, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.common.clock import aware, utcnow
from app.common.mail import MailBackend, mark_sent
from app.journeys.invitations import contact_points, invitation_link, sync_invitations
from app.journeys.mail import NO_CLOSING_DATE, render, template_for
from app.journeys.personal_data import purge_invitation_addresses
from app.journeys.scheduling import ScheduleError, ensure_needs_round
from app.journeys.settings import JourneySettings
from app.models import (
    DispatchRun,
    Invitation,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    RoundStatus,
    SurveyRound,
)
from app.surveys.model import text_in
from app.surveys.versions import definition_of
from app.workplan.plan_years import get_plan_year, label_for_date

# After this many failures in a row (the mail server is down), stop trying for this run.
MAX_CONSECUTIVE_FAILURES = 3


@dataclass
class DispatchReport:
    invitations_created: int = 0
    planned: Counter = field(default_factory=Counter)
    sent: Counter = field(default_factory=Counter)
    failed: int = 0
    addresses_removed: int = 0
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        kinds = [k.value for k in MessageKind]
        return [
            f"invitations created: {self.invitations_created}",
            "planned: " + ", ".join(f"{k} {self.planned.get(k, 0)}" for k in kinds),
            "sent:    " + ", ".join(f"{k} {self.sent.get(k, 0)}" for k in kinds),
            f"failed (kept for the next run): {self.failed}",
            *(
                [f"invitation addresses removed (retention): {self.addresses_removed}"]
                if self.addresses_removed
                else []
            ),
            *(f"  error: {e}" for e in self.errors),
        ]


def accepting_rounds(session: Session, today: date) -> list[SurveyRound]:
    return list(
        session.scalars(
            select(SurveyRound)
            .where(
                SurveyRound.status == RoundStatus.OPEN,
                SurveyRound.opens_on <= today,
                (SurveyRound.closes_on.is_(None)) | (SurveyRound.closes_on >= today),
            )
            .order_by(SurveyRound.id)
        )
    )


def message_language(settings: JourneySettings, preferred: str | None) -> str:
    """The language of a person's messages: their preferred one when rounds are offered in
    it (ROUND_LANGUAGES), else English."""
    return preferred if preferred and preferred in settings.message_languages else "en"


def _context(survey_round: SurveyRound, name: str, link: str = "", language: str = "en") -> dict:
    closes = survey_round.closes_on
    survey = survey_round.version.title
    if language != "en":
        survey = text_in(definition_of(survey_round.version).title, language) or survey
    return {
        "name": name,
        "survey": survey,
        "activity": survey_round.activity.title if survey_round.activity else "",
        "closes_on": format_date(closes, "d MMMM y", locale=language)
        if closes
        else NO_CLOSING_DATE.get(language, NO_CLOSING_DATE["en"]),
        "link": link,
        "member": "",
        "missing": [],
        # An anonymous round's draft stays with the browser, not with the link.
        "anonymous": survey_round.anonymous,
    }


def _enqueue(
    session: Session,
    report: DispatchReport,
    kind: MessageKind,
    key: str,
    survey_round: SurveyRound,
    to_email: str,
    context: dict,
    invitation: Invitation | None = None,
    number: int = 0,
    language: str = "en",
) -> None:
    if session.scalar(select(Message.id).where(Message.dedupe_key == key)) is not None:
        return
    subject, body = template_for(session, kind, language)
    rendered = render(subject, body, context)
    savepoint = session.begin_nested()
    try:
        session.add(
            Message(
                kind=kind,
                dedupe_key=key,
                round_id=survey_round.id,
                invitation=invitation,
                number=number,
                to_email=to_email,
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
            )
        )
        session.flush()
    except IntegrityError:
        savepoint.rollback()  # another dispatch planned it first
        return
    savepoint.commit()
    report.planned[kind.value] += 1


def _recipients(
    session: Session, settings: JourneySettings, invitation: Invitation
) -> list[tuple[str, str, str]]:
    """(address, name, language of their messages): the participant, or the
    administration's contact points, each in the language they chose."""
    if invitation.participant_id is not None:
        if not invitation.email:
            return []
        preferred = invitation.participant.language if invitation.participant else None
        return [(invitation.email, invitation.name, message_language(settings, preferred))]
    return [
        (u.email, u.name, message_language(settings, u.language))
        for u in contact_points(session, invitation.member_id)
    ]


def plan_messages(
    session: Session, settings: JourneySettings, now: datetime, report: DispatchReport
) -> None:
    today = now.date()
    plan_year = get_plan_year(session, label_for_date(today))
    if plan_year is not None:
        try:
            ensure_needs_round(session, plan_year, settings, today)
        except ScheduleError as error:
            report.errors.append(str(error))
    interval = timedelta(days=settings.reminder_interval_days)
    for survey_round in accepting_rounds(session, today):
        # One dispatch plans a round at a time: a second run waits here (row lock on
        # PostgreSQL) and then finds the invitations and messages already made.
        session.refresh(survey_round, with_for_update=True)
        report.invitations_created += sync_invitations(
            session, survey_round, settings.invitation_key
        ).created
        history = _history(session, survey_round)
        waiting = session.scalars(
            select(Invitation)
            .where(Invitation.round_id == survey_round.id, Invitation.submitted_at.is_(None))
            .order_by(Invitation.id)
            .options(selectinload(Invitation.participant).load_only(Participant.language))
        ).all()
        closing_soon = (
            survey_round.closes_on is not None
            and (survey_round.closes_on - today).days <= settings.closing_soon_days
        )
        for invitation in waiting:
            link = invitation_link(settings.base_url, settings.invitation_key, invitation)
            seen = history.get(invitation.id, {})
            last_sent, reminders = seen.get("last_sent"), seen.get("reminders", 0)
            due_reminder = (
                last_sent is not None
                and reminders < settings.max_reminders
                and now - aware(last_sent) >= interval
            )
            for address, name, language in _recipients(session, settings, invitation):
                context = _context(survey_round, name, link, language)
                _enqueue(
                    session,
                    report,
                    MessageKind.INVITATION,
                    f"invitation:{invitation.id}:{address}",
                    survey_round,
                    address,
                    context,
                    invitation,
                    language=language,
                )
                if due_reminder:
                    number = reminders + 1
                    _enqueue(
                        session,
                        report,
                        MessageKind.REMINDER,
                        f"reminder:{invitation.id}:{number}:{address}",
                        survey_round,
                        address,
                        context,
                        invitation,
                        number,
                        language=language,
                    )
                if closing_soon and last_sent is not None:
                    _enqueue(
                        session,
                        report,
                        MessageKind.CLOSING_SOON,
                        f"closing:{invitation.id}:{address}",
                        survey_round,
                        address,
                        context,
                        invitation,
                        language=language,
                    )
        _plan_escalations(session, settings, now, survey_round, waiting, history, report)


def _history(session: Session, survey_round: SurveyRound) -> dict[int, dict]:
    """Per invitation: when it was last contacted and how many reminders were planned."""
    rows = session.execute(
        select(
            Message.invitation_id,
            func.max(case((Message.status == MessageStatus.SENT, Message.sent_at))),
            func.max(case((Message.kind == MessageKind.REMINDER, Message.number), else_=0)),
            func.max(
                case(
                    (
                        (Message.kind == MessageKind.REMINDER)
                        & (Message.status == MessageStatus.SENT),
                        Message.number,
                    ),
                    else_=0,
                )
            ),
        )
        .where(
            Message.round_id == survey_round.id,
            Message.invitation_id.is_not(None),
            Message.kind.in_([MessageKind.INVITATION, MessageKind.REMINDER]),
        )
        .group_by(Message.invitation_id)
    ).all()
    return {
        invitation_id: {
            "last_sent": last_sent,
            "reminders": planned or 0,
            "reminders_sent": sent or 0,
        }
        for invitation_id, last_sent, planned, sent in rows
    }


def _plan_escalations(
    session: Session,
    settings: JourneySettings,
    now: datetime,
    survey_round: SurveyRound,
    waiting: Sequence[Invitation],
    history: dict[int, dict],
    report: DispatchReport,
) -> None:
    """Once every non-respondent of a Member has had the last reminder, and the reminder
    interval has passed since (or the round closes within CLOSING_SOON_DAYS), their
    contact points get one message listing who has not answered."""
    interval = timedelta(days=settings.reminder_interval_days)
    closing = (
        survey_round.closes_on is not None
        and (survey_round.closes_on - now.date()).days <= settings.closing_soon_days
    )
    by_member: dict[int, list[Invitation]] = {}
    for invitation in waiting:
        if invitation.participant_id is not None:
            by_member.setdefault(invitation.member_id, []).append(invitation)
    for member_id, invitations in sorted(by_member.items()):
        contacted = [i for i in invitations if i.email]

        def exhausted(invitation: Invitation) -> bool:
            seen = history.get(invitation.id, {})
            return (
                seen.get("reminders_sent", 0) >= settings.max_reminders
                and seen.get("last_sent") is not None
                and (closing or now - aware(seen["last_sent"]) >= interval)
            )

        # People without an email cannot be reminded: they are listed for the contact
        # point as soon as the others have had their reminders (or the round closes).
        if not all(exhausted(i) for i in contacted) or not (contacted or closing):
            continue
        missing = sorted(i.name for i in invitations)
        member = invitations[0].member
        for user in contact_points(session, member_id):
            language = message_language(settings, user.language)
            context = _context(survey_round, user.name, language=language)
            context.update(member=member.name, missing=missing)
            _enqueue(
                session,
                report,
                MessageKind.ESCALATION,
                f"escalation:{survey_round.id}:{member_id}:{user.id}",
                survey_round,
                user.email,
                context,
                language=language,
            )


def deliver_pending(
    session: Session,
    backend: MailBackend,
    now: datetime,
    claim_timeout_minutes: int,
    commit: Callable[[], None],
    report: DispatchReport,
) -> None:
    """Send every waiting message, each claimed first so that no other run sends it."""
    session.execute(
        update(Message)
        .where(
            Message.status == MessageStatus.SENDING,
            Message.claimed_at < now - timedelta(minutes=claim_timeout_minutes),
        )
        .values(status=MessageStatus.PENDING)
    )
    commit()
    waiting = session.scalars(
        select(Message.id).where(Message.status == MessageStatus.PENDING).order_by(Message.id)
    ).all()
    with backend.connection():  # one connection to the mail server for the whole run
        _deliver(session, backend, now, commit, report, waiting)


def _deliver(
    session: Session,
    backend: MailBackend,
    now: datetime,
    commit: Callable[[], None],
    report: DispatchReport,
    waiting: Sequence[int],
) -> None:
    failures_in_a_row = 0
    for message_id in waiting:
        claim = (
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.PENDING)
            .values(status=MessageStatus.SENDING, claimed_at=now, attempts=Message.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        claimed = cast(CursorResult, session.execute(claim)).rowcount
        commit()
        if claimed != 1:
            continue  # another dispatch took it
        message = session.get(Message, message_id)
        if message is None:
            continue
        session.refresh(message)
        try:
            backend.send(message)
        except (smtplib.SMTPException, OSError) as error:
            message.status = MessageStatus.PENDING
            message.last_error = f"{type(error).__name__}: {error}"[:1000]
            commit()
            report.failed += 1
            failures_in_a_row += 1
            if failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
                report.errors.append(
                    f"stopped after {failures_in_a_row} failures in a row: {message.last_error}"
                )
                break
            continue
        failures_in_a_row = 0
        mark_sent(message, now, backend)
        commit()
        report.sent[message.kind.value] += 1


def dispatch(
    session: Session,
    backend: MailBackend,
    settings: JourneySettings,
    now: datetime,
    commit: Callable[[], None],
) -> DispatchReport:
    report = DispatchReport()
    plan_messages(session, settings, now, report)
    commit()
    deliver_pending(session, backend, now, settings.claim_timeout_minutes, commit, report)
    report.addresses_removed = purge_invitation_addresses(
        session, now.date(), settings.email_retention_days
    )
    commit()
    return report


# The key of the PostgreSQL advisory lock a dispatch run holds ("rocb" in ASCII).
DISPATCH_LOCK = 0x726F6362


@contextlib.contextmanager
def dispatch_lock(engine: Engine) -> Iterator[bool]:
    """Whether this process may run the dispatch now. On PostgreSQL, one run at a time
    across every instance (an advisory lock held on a connection of its own, released
    with it even if the process dies); on SQLite every run may go (BEGIN IMMEDIATE and the
    message claims keep them apart)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        acquired = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": DISPATCH_LOCK}
            ).scalar()
        )
        connection.commit()
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": DISPATCH_LOCK})
                connection.commit()


def run_dispatch(
    session: Session,
    backend: MailBackend,
    settings: JourneySettings,
    now: datetime,
    commit: Callable[[], None],
    host: str,
) -> tuple[DispatchRun | None, DispatchReport | None]:
    """One recorded dispatch run: (None, None) when another instance is running one. The
    run's row says when, where and how it ended: "ok" when it went through (messages the
    mail server refused are counted, and retried next time), "failed" when an error
    stopped it (the error is raised again after it is recorded)."""
    with dispatch_lock(session.get_bind().engine) as acquired:
        if not acquired:
            return None, None
        run = DispatchRun(started_at=now, host=host[:200], outcome="running")
        session.add(run)
        commit()
        try:
            report = dispatch(session, backend, settings, now, commit)
        except Exception as error:
            session.rollback()
            run.outcome, run.finished_at = "failed", utcnow()
            run.summary = f"{type(error).__name__}: {error}"[:2000]
            commit()
            raise
        run.outcome, run.finished_at = "ok", utcnow()
        run.sent, run.failed = sum(report.sent.values()), report.failed
        run.summary = "\n".join(report.lines())
        commit()
        return run, report


def last_dispatch_run(session: Session) -> DispatchRun | None:
    """The newest run that ended (well or not)."""
    return session.scalar(
        select(DispatchRun)
        .where(DispatchRun.finished_at.is_not(None))
        .order_by(DispatchRun.finished_at.desc())
        .limit(1)
    )


def resend_invitation(
    session: Session, settings: JourneySettings, invitation: Invitation, now: datetime
) -> list[Message]:
    """Queue the invitation again (same personal link) to each of its addresses."""
    survey_round = invitation.round
    link = invitation_link(settings.base_url, settings.invitation_key, invitation)
    messages = []
    for address, name, language in _recipients(session, settings, invitation):
        subject, body = template_for(session, MessageKind.INVITATION, language)
        rendered = render(subject, body, _context(survey_round, name, link, language))
        message = Message(
            kind=MessageKind.INVITATION,
            round_id=survey_round.id,
            invitation=invitation,
            to_email=address,
            dedupe_key=f"resend:{invitation.id}:{address}:{now.timestamp()}",
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
        )
        session.add(message)
        messages.append(message)
    session.flush()
    return messages
