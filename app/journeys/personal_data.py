"""A participant's personal data: everything held about them, for a copy they ask for;
erasing it on request; and removing invitations' email addresses once their round has
been closed for the retention period.

Erasure keeps what the KPIs count (the person's Member and gender, their attendances,
invitations and answers) but nothing that names them: their name becomes "Erased
participant N", their email and position go, and so do the copies of their name and
address in invitations and messages. Free-text answers are kept as they were written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, selectinload

from app.models import (
    Answer,
    Attendance,
    Invitation,
    Message,
    Participant,
    SurveyRound,
)
from app.surveys.answers import values_from_rows, values_to_json
from app.surveys.model import Definition

ERASED_ADDRESS = "erased@invalid"
REMOVED_BODY = "[removed: this message went to a participant whose personal data was erased]"


def erased_name(participant: Participant) -> str:
    return f"Erased participant {participant.id}"


def participant_record(session: Session, participant: Participant) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data (the copy they may ask for)."""
    attendances = session.scalars(
        select(Attendance)
        .where(Attendance.participant_id == participant.id)
        .options(selectinload(Attendance.activity))
    ).all()
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.participant_id == participant.id)
        .options(selectinload(Invitation.round), selectinload(Invitation.response))
        .order_by(Invitation.id)
    ).all()
    return {
        "participant": {
            "id": participant.id,
            "name": participant.name,
            "email": participant.email,
            "member": participant.member.code,
            "gender": participant.gender.value,
            "position": participant.position,
            "recorded_on": _day(participant.created_at),
            "erased_on": _day(participant.erased_at),
        },
        "activities": [
            {
                "id": a.activity.id,
                "title": a.activity.title,
                "starts_on": _day(a.activity.starts_on),
                "ends_on": _day(a.activity.ends_on),
            }
            for a in attendances
        ],
        "surveys": [_invitation_record(session, i) for i in invitations],
        "messages": [
            {"subject": m.subject, "sent_on": _day(m.sent_at), "to": m.to_email}
            for m in session.scalars(
                select(Message)
                .where(Message.invitation_id.in_([i.id for i in invitations] or [-1]))
                .order_by(Message.id)
            )
        ],
    }


def _invitation_record(session: Session, invitation: Invitation) -> dict[str, Any]:
    record: dict[str, Any] = {
        "round": invitation.round.title,
        "opened_on": _day(invitation.opened_at),
        "submitted_on": _day(invitation.submitted_at),
    }
    response = invitation.response
    if response is not None:
        definition = Definition.from_json(response.version.definition)
        rows = list(session.scalars(select(Answer).where(Answer.response_id == response.id)))
        record["answers"] = values_to_json(values_from_rows(definition, rows))
    elif invitation.submitted_at is not None:
        record["answers"] = "anonymous round: the answers are not linked to the person"
    return record


def _day(moment: date | datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment.date() if isinstance(moment, datetime) else moment).isoformat()


@dataclass
class Erasure:
    invitations: int
    messages: int


def erase_participant(session: Session, participant: Participant, now: datetime) -> Erasure:
    """Remove what names the person, everywhere it is copied; keep what the KPIs count."""
    address = participant.email
    participant.name = erased_name(participant)
    participant.email = None
    participant.position = ""
    participant.erased_at = now
    invitation_ids = list(
        session.scalars(select(Invitation.id).where(Invitation.participant_id == participant.id))
    )
    session.execute(
        update(Invitation)
        .where(Invitation.participant_id == participant.id)
        .values(name=erased_name(participant), email="")
        .execution_options(synchronize_session="fetch")
    )
    conditions: list[ColumnElement[bool]] = [Message.invitation_id.in_(invitation_ids or [-1])]
    if address:
        conditions.append(Message.to_email == address)
    messages = session.execute(
        update(Message)
        .where(or_(*conditions))
        .values(to_email=ERASED_ADDRESS, body_text=REMOVED_BODY, body_html=REMOVED_BODY)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return Erasure(len(invitation_ids), int(getattr(messages, "rowcount", 0) or 0))


def purge_invitation_addresses(session: Session, today: date, retention_days: int) -> int:
    """Remove the email copied into the invitations of rounds closed ``retention_days``
    or more before ``today`` (the participant record keeps its own, for later activities).
    Returns how many invitations lost their address."""
    cutoff = today - timedelta(days=retention_days)
    closed = select(SurveyRound.id).where(SurveyRound.closes_on < cutoff)
    result = session.execute(
        update(Invitation)
        .where(Invitation.round_id.in_(closed), Invitation.email != "")
        .values(email="")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
