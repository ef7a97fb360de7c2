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
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from app.common.clock import utcnow
from app.common.keyset import Page, keyset_page
from app.models import (
    Attendance,
    Invitation,
    Member,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    QuestionnaireKind,
    Role,
    SurveyRound,
    User,
)


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
    return session.scalar(
        select(Invitation)
        .options(joinedload(Invitation.round))
        .where(Invitation.token_hash == hash_token(token))
    )


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


def invitation_changes(
    session: Session,
    survey_round: SurveyRound,
    updated_after: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Page[Invitation]:
    """A page of the round's invitations in the order they last changed (``updated_at``,
    then id: opened, started, answered, resent, erased), after the key ``after``; only
    those changed after ``updated_after`` if given. One statement (with the Member)."""
    query = (
        select(Invitation, Invitation.updated_at, Invitation.id)
        .where(Invitation.round_id == survey_round.id)
        .options(joinedload(Invitation.member))
    )
    if updated_after is not None:
        query = query.where(Invitation.updated_at > updated_after)
    return keyset_page(session, query, (Invitation.updated_at, Invitation.id), after, limit)


def round_invitations(session: Session, survey_round: SurveyRound) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation).where(Invitation.round_id == survey_round.id).order_by(Invitation.id)
        )
    )


class InvitationRow(NamedTuple):
    """One invitation of a round with what was sent for it."""

    invitation: Invitation
    invited_at: datetime | None  # when the first invitation message went out
    reminders: int  # reminders sent


@dataclass
class InvitationPage:
    """One page of a round's invitations, by name, and how many there are in all."""

    rows: list[InvitationRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


def invitation_page(
    session: Session, survey_round: SurveyRound, page: int = 1, per_page: int = 100
) -> InvitationPage:
    """A page of the round's invitations by name, each with its Member, its first sending
    and its reminders: two statements (the page, the count), whatever the round's size.
    The messages are read for the page's invitations only."""
    chosen = (
        select(Invitation.id)
        .where(Invitation.round_id == survey_round.id)
        .order_by(Invitation.name, Invitation.id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
        .subquery()
    )
    sent = (
        select(
            Message.invitation_id,
            func.min(case((Message.kind == MessageKind.INVITATION, Message.sent_at))).label(
                "invited_at"
            ),
            func.count(
                case(
                    (
                        (Message.kind == MessageKind.REMINDER)
                        & (Message.status == MessageStatus.SENT),
                        1,
                    )
                )
            ).label("reminders"),
        )
        .where(Message.invitation_id.in_(select(chosen.c.id)))
        .group_by(Message.invitation_id)
        .subquery()
    )
    rows = session.execute(
        select(Invitation, sent.c.invited_at, func.coalesce(sent.c.reminders, 0))
        .join(chosen, chosen.c.id == Invitation.id)
        .outerjoin(sent, sent.c.invitation_id == Invitation.id)
        .order_by(Invitation.name, Invitation.id)
        .options(joinedload(Invitation.member))
    ).all()
    total = session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.round_id == survey_round.id)
    )
    return InvitationPage(
        rows=[
            InvitationRow(invitation, invited_at, reminders)
            for invitation, invited_at, reminders in rows
        ],
        total=total or 0,
        page=page,
        per_page=per_page,
    )


class SurveyStatus(NamedTuple):
    """Where one participant stands in one round: "not invited", "invited", "opened",
    "started" or "submitted", since when (None when not invited), and why someone with
    an invitation is not invited yet."""

    label: str
    since: datetime | None = None
    note: str = ""


NOT_INVITED = SurveyStatus("not invited")


def participant_round_statuses(
    session: Session, round_ids: list[int], participant_ids: list[int]
) -> dict[tuple[int, int], SurveyStatus]:
    """The status of each of ``participant_ids`` in each of ``round_ids``, by
    (participant id, round id); pairs without an invitation are absent (not invited).
    One statement, whatever the numbers: the invitations with the first sending of their
    invitation email."""
    if not round_ids or not participant_ids:
        return {}
    chosen = (Invitation.round_id.in_(round_ids), Invitation.participant_id.in_(participant_ids))
    sent = (
        select(Message.invitation_id, func.min(Message.sent_at).label("invited_at"))
        .join(Invitation, Invitation.id == Message.invitation_id)
        .where(
            *chosen,
            Message.kind == MessageKind.INVITATION,
            Message.status == MessageStatus.SENT,
        )
        .group_by(Message.invitation_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Invitation.participant_id,
            Invitation.round_id,
            Invitation.email,
            sent.c.invited_at,
            Invitation.opened_at,
            Invitation.started_at,
            Invitation.submitted_at,
        )
        .outerjoin(sent, sent.c.invitation_id == Invitation.id)
        .where(*chosen)
    )
    statuses = {}
    for participant_id, round_id, email, invited, opened, started, submitted in rows:
        if submitted:
            status = SurveyStatus("submitted", submitted)
        elif started:
            status = SurveyStatus("started", started)
        elif opened:
            status = SurveyStatus("opened", opened)
        elif invited:
            status = SurveyStatus("invited", invited)
        elif email:
            status = SurveyStatus("not invited", None, "no email sent yet")
        else:
            status = SurveyStatus("not invited", None, "no email address")
        statuses[(participant_id, round_id)] = status
    return statuses


def unanswered_members(session: Session, survey_round: SurveyRound) -> list[Member]:
    """The active Members, by name, whose administration's invitation to the round
    (a needs assessment) has no submitted answer yet."""
    answered = select(Invitation.member_key).where(
        Invitation.round_id == survey_round.id,
        Invitation.member_key.is_not(None),
        Invitation.submitted_at.is_not(None),
    )
    return list(
        session.scalars(
            select(Member)
            .where(Member.active.is_(True), Member.id.not_in(answered))
            .order_by(Member.name)
        )
    )
