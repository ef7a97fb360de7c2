"""Invitations to answer a round, and the messages sent about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.enums import LabelledEnum, db_enum
from app.models.member import Member
from app.models.participant import Participant
from app.models.survey import Response, SurveyRound


class Invitation(Base):
    """One person (a participant) or one administration (its contact points) invited to
    answer a round. The personal link's token is never stored: only its SHA-256, and a
    nonce from which the app (with INVITATION_KEY) can rebuild the same link to resend it.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("round_id", "participant_id"),
        # A round's invitations; on PostgreSQL the KPIs' counts (invited, answered, by
        # Member) read this index alone.
        Index(
            "ix_invitations_round_id", "round_id", postgresql_include=["member_id", "submitted_at"]
        ),
        # A round's invitations by name, a page at a time (the round's staff page).
        Index("ix_invitations_round_id_name", "round_id", "name", "id"),
        # A round's invitations in the order they changed (the API's pages).
        Index("ix_invitations_round_id_updated_at", "round_id", "updated_at", "id"),
        UniqueConstraint("round_id", "member_key"),
        CheckConstraint(
            "(participant_id IS NOT NULL AND member_key IS NULL) "
            "OR (participant_id IS NULL AND member_key IS NOT NULL)",
            name="a_person_or_an_administration",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    # The Member the invitee belongs to (for escalation and the contact-point portal).
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # Set (to member_id) only for an invitation addressed to the administration itself.
    member_key: Mapped[int | None] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(254), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_nonce: Mapped[str] = mapped_column(String(32))
    # The response, for rounds that are not anonymous. Anonymous rounds never set it.
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Moved by every change of the row (opened, started, answered, resent, erased): the
    # API's incremental pulls.
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    round: Mapped[SurveyRound] = relationship()
    participant: Mapped[Participant | None] = relationship()
    member: Mapped[Member] = relationship()
    response: Mapped[Response | None] = relationship()


class MessageKind(LabelledEnum):
    INVITATION = ("invitation", "Invitation")
    REMINDER = ("reminder", "Reminder")
    ESCALATION = ("escalation", "Escalation to the contact point")
    CLOSING_SOON = ("closing_soon", "Closing soon")
    # Account invitations and password resets: fixed texts carrying a personal link.
    ACCOUNT = ("account", "Account message")


class MessageStatus(LabelledEnum):
    PENDING = ("pending", "Waiting to be sent")
    SENDING = ("sending", "Being sent")
    SENT = ("sent", "Sent")


class Message(Base):
    """An email, from the moment it is due until it is sent. ``dedupe_key`` is unique, so
    planning the same message twice (two dispatch runs, two at once) stores it once."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(db_enum(MessageKind, "message_kind"))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("survey_rounds.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"), index=True)
    # For reminders: 1 for the first, 2 for the second...
    number: Mapped[int] = mapped_column(Integer, default=0)
    to_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(
        db_enum(MessageStatus, "message_status"), default=MessageStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    invitation: Mapped[Invitation | None] = relationship()


class EmailTemplate(Base):
    """A message text staff can edit (subject and plain text; the HTML is made from it),
    one per kind of message and language."""

    __tablename__ = "email_templates"
    __table_args__ = (UniqueConstraint("kind", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(db_enum(MessageKind, "message_kind"))
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class DispatchRun(Base):
    """One run of the dispatch (`flask rounds dispatch`, the worker, or a run skipped
    because another instance held the lock): when, where, how it ended, and its counts.
    /readyz and the staff round pages read the newest."""

    __tablename__ = "dispatch_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    host: Mapped[str] = mapped_column(String(200), default="")
    # "ok", "failed" (an error stopped it) or "skipped" (another run held the lock)
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
