"""Emails a respondent asks for: a copy of their submitted answers, and their personal
link again (to finish later). Both are queued in the outbox and sent by the dispatch, like
every other message.

A copy is sent once per invitation (its ``dedupe_key``), only for a participant's own
invitation in a round that is not anonymous: the outbox keeps the text with the address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common.mail import to_html
from app.journeys.dispatch import resend_invitation
from app.journeys.settings import JourneySettings
from app.models import Invitation, Message, MessageKind, SurveyRound
from app.surveys.readback import ReadSection


def answers_text(title: str, lines: list[str], sections: list[ReadSection]) -> str:
    """The answers as plain text: each section's title, then each question and answer."""
    parts = [title, *lines, ""]
    for section in sections:
        parts += [section.title, "=" * min(len(section.title), 60)]
        for answer in section.answers:
            text = answer.text()
            parts.append(f"{answer.label}\n  " + text.replace("\n", "\n  "))
        parts.append("")
    return "\n".join(parts)


def copy_key(invitation: Invitation) -> str:
    return f"answers-copy:{invitation.id}"


def copy_queued(session: Session, invitation: Invitation) -> bool:
    return (
        session.scalar(select(Message.id).where(Message.dedupe_key == copy_key(invitation)))
        is not None
    )


def queue_answers_copy(
    session: Session,
    survey_round: SurveyRound,
    invitation: Invitation,
    title: str,
    lines: list[str],
    sections: list[ReadSection],
) -> Message | None:
    """The copy of the answers, queued to the invitation's address; None when one was
    queued before (or the invitation has no address)."""
    if not invitation.email or copy_queued(session, invitation):
        return None
    body = (
        gettext("Dear %(name)s,", name=invitation.name)
        + "\n\n"
        + gettext("Here is a copy of your answers, as you submitted them.")
        + "\n\n"
        + answers_text(title, lines, sections)
        + "\nROCB A/P\n"
    )
    message = Message(
        # Sent like an invitation, to the invitation's address; not tied to the invitation,
        # so that it counts in none of the invitation's figures.
        kind=MessageKind.INVITATION,
        dedupe_key=copy_key(invitation),
        round_id=survey_round.id,
        to_email=invitation.email,
        subject=gettext("Your answers: %(survey)s", survey=title)[:300],
        body_text=body,
        body_html=to_html(body),
    )
    session.add(message)
    session.flush()
    return message


# A personal link is emailed again at most once in this time.
LINK_AGAIN_AFTER = timedelta(minutes=15)


def queue_link_again(
    session: Session, settings: JourneySettings, invitation: Invitation, now: datetime
) -> bool:
    """Queue the invitation (the same personal link) again; False when it was already
    queued on request less than LINK_AGAIN_AFTER ago."""
    recent = session.scalar(
        select(Message.id).where(
            Message.invitation_id == invitation.id,
            Message.dedupe_key.like(f"resend:{invitation.id}:%"),
            Message.created_at >= now - LINK_AGAIN_AFTER,
        )
    )
    if recent is not None:
        return False
    for message in resend_invitation(session, settings, invitation, now):
        message.created_at = now
    session.flush()
    return True
