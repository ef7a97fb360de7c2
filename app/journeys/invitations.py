"""Invitations: who is asked to answer a round, and their personal links.

A personal link carries a 256-bit token: HMAC-SHA256(INVITATION_KEY, nonce), where the
nonce (random, 128 bits) is stored with the invitation and the token is not. The database
holds only SHA-256(token) for look-up, yet the app can rebuild the same link to resend it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    Attendance,
    Invitation,
    Member,
    Participant,
    QuestionnaireKind,
    Role,
    SurveyRound,
    User,
)
from app.models.base import utcnow


def make_token(key: bytes, nonce: str) -> str:
    digest = hmac.new(key, f"invitation:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_invitation(
    key: bytes, survey_round: SurveyRound, member: Member, participant: Participant | None = None
) -> Invitation:
    nonce = secrets.token_hex(16)
    return Invitation(
        round=survey_round,
        participant=participant,
        member=member,
        member_key=None if participant else member.id,
        email=(participant.email or "") if participant else "",
        name=participant.name if participant else member.name,
        token_nonce=nonce,
        token_hash=hash_token(make_token(key, nonce)),
    )


def invitation_link(base_url: str, key: bytes, invitation: Invitation) -> str:
    return f"{base_url}/i/{make_token(key, invitation.token_nonce)}"


def find_invitation(session: Session, token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))


def contact_points(session: Session, member_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.member_id == member_id, User.role == Role.CONTACT_POINT, User.active.is_(True)
            )
            .order_by(User.email)
        )
    )


@dataclass
class InvitationSync:
    created: int = 0


def sync_invitations(session: Session, survey_round: SurveyRound, key: bytes) -> InvitationSync:
    """Invite whoever a round is for and is not invited yet: an activity's participants
    (one without an email gets an invitation too, whose link staff can hand over), or, for
    a needs assessment, every active Member administration (its contact points answer).
    Safe to repeat."""
    result = InvitationSync()
    if survey_round.kind is QuestionnaireKind.NEEDS_ASSESSMENT:
        invited = set(
            session.scalars(
                select(Invitation.member_key).where(
                    Invitation.round_id == survey_round.id, Invitation.member_key.is_not(None)
                )
            )
        )
        for member in session.scalars(
            select(Member).where(Member.active.is_(True)).order_by(Member.code)
        ):
            if member.id not in invited:
                session.add(new_invitation(key, survey_round, member))
                result.created += 1
    elif survey_round.activity_id is not None:
        invited = set(
            session.scalars(
                select(Invitation.participant_id).where(
                    Invitation.round_id == survey_round.id, Invitation.participant_id.is_not(None)
                )
            )
        )
        participants = session.scalars(
            select(Participant)
            .join(Attendance, Attendance.participant_id == Participant.id)
            .where(Attendance.activity_id == survey_round.activity_id)
            .order_by(Participant.id)
        )
        for participant in participants:
            if participant.id not in invited:
                session.add(new_invitation(key, survey_round, participant.member, participant))
                result.created += 1
    session.flush()
    return result


def mark_opened(invitation: Invitation) -> None:
    if invitation.opened_at is None:
        invitation.opened_at = utcnow()
