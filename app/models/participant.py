from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.models.activity import Activity
from app.models.base import Base, utcnow
from app.models.enums import Gender, db_enum
from app.models.member import Member


class Participant(Base):
    """A person from a Member administration who attends activities."""

    __tablename__ = "participants"
    __table_args__ = (
        CheckConstraint("email IS NULL OR email = lower(email)", name="email_lowercase"),
        # The API's pages of participants in the order they changed.
        Index("ix_participants_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Optional (some lists arrive without), unique when present: it identifies the person
    # across activities and carries their survey invitations.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    gender: Mapped[Gender] = mapped_column(db_enum(Gender, "gender"), default=Gender.UNDISCLOSED)
    position: Mapped[str] = mapped_column(String(200), default="")
    # The language they prefer for questionnaires and emails (a two-letter code), when known.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when their personal data was erased on request: the name is replaced, the email
    # and position removed; Member, gender and answers stay for the KPIs.
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Moved by every change of the row (an erasure too): the API's incremental pulls.
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    member: Mapped[Member] = relationship()
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="participant", cascade="all, delete-orphan"
    )

    @validates("email")
    def _normalise_email(self, _key: str, value: str | None) -> str | None:
        value = (value or "").strip().lower()
        return value or None

    def __repr__(self) -> str:
        return f"<Participant {self.id} {self.name!r}>"


class Attendance(Base):
    """One participant at one activity."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("activity_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    activity: Mapped[Activity] = relationship()
    participant: Mapped[Participant] = relationship(back_populates="attendances")
