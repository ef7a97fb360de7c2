"""Questionnaires, their immutable versions, rounds, responses and typed answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.activity import Activity
from app.models.base import Base, utcnow
from app.models.enums import QuestionnaireKind, ResponseStatus, RoundStatus, db_enum
from app.models.workplan import PlanYear


class Questionnaire(Base):
    """A questionnaire as a whole, identified by the stable ``key`` of its definition."""

    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[QuestionnaireKind] = mapped_column(
        db_enum(QuestionnaireKind, "questionnaire_kind")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number"
    )

    @property
    def latest(self) -> QuestionnaireVersion | None:
        return self.versions[-1] if self.versions else None


class QuestionnaireVersion(Base):
    """One distinct content of a definition. Never changed once stored: a round pins the
    version its respondents saw, and changing the file makes a new version."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "number"),
        UniqueConstraint("questionnaire_id", "content_hash"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    definition: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(Text)
    source_path: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")

    @property
    def label(self) -> str:
        return f"{self.questionnaire.key} v{self.number}"


@event.listens_for(QuestionnaireVersion, "before_update")
def _versions_are_immutable(mapper, connection, target) -> None:
    raise ValueError(
        f"questionnaire version {target.id} is immutable: change the file and sync to make "
        "a new version"
    )


class SurveyRound(Base):
    """One questionnaire version asked of one target: an activity (evaluation, follow-up)
    or a plan year (needs assessment), between two dates."""

    __tablename__ = "survey_rounds"
    __table_args__ = (
        CheckConstraint("closes_on IS NULL OR closes_on >= opens_on", name="closes_after_open"),
        CheckConstraint(
            "kind NOT IN ('evaluation', 'follow_up') OR activity_id IS NOT NULL",
            name="activity_rounds_have_an_activity",
        ),
        Index("ix_survey_rounds_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"), index=True)
    kind: Mapped[QuestionnaireKind] = mapped_column(
        db_enum(QuestionnaireKind, "questionnaire_kind")
    )
    plan_year_id: Mapped[int] = mapped_column(ForeignKey("plan_years.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[RoundStatus] = mapped_column(
        db_enum(RoundStatus, "round_status"), default=RoundStatus.DRAFT
    )
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    # The shared link (/s/<slug>): unguessable, shown to staff for the QR code.
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    # Whether anyone with the shared link may answer (in-room QR code). Personal
    # invitations work either way.
    open_link: Mapped[bool] = mapped_column(Boolean, default=True)
    # An anonymous round keeps no link from a response to a person or an invitation.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # Follow-up rounds: 1 for the first wave (e.g. +6 months), 2 for the next...
    wave: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Moved by every change of the row (opened, closed, dates): the API's incremental pulls.
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    version: Mapped[QuestionnaireVersion] = relationship()
    plan_year: Mapped[PlanYear] = relationship()
    activity: Mapped[Activity | None] = relationship()

    def accepts_answers(self, today: date) -> bool:
        return (
            self.status is RoundStatus.OPEN
            and self.opens_on <= today
            and (self.closes_on is None or today <= self.closes_on)
        )


class Response(Base):
    """One respondent's answers to a round. It pins the version it answers."""

    __tablename__ = "responses"
    __table_args__ = (
        # A round's responses in order: exports read them in batches by id.
        Index("ix_responses_round_id_id", "round_id", "id"),
        # Submitted responses by round, alone: the KPIs count and join them without
        # reading the table (an index-only scan on PostgreSQL, member_id included).
        Index(
            "ix_responses_submitted_round",
            "round_id",
            "id",
            postgresql_where=text("status = 'submitted'"),
            sqlite_where=text("status = 'submitted'"),
            postgresql_include=["member_id"],
        ),
        CheckConstraint("current_section >= 0", name="current_section_non_negative"),
        CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL)", name="submitted_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    status: Mapped[ResponseStatus] = mapped_column(
        db_enum(ResponseStatus, "response_status"), default=ResponseStatus.DRAFT
    )
    current_section: Mapped[int] = mapped_column(Integer, default=0)
    # SHA-256 of the token kept in the respondent's session; the token itself is not stored.
    resume_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The Member the answers speak for: the invitee's, for rounds that are not anonymous
    # (KPIs roll up by Member). NULL for anonymous and open-link answers.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set by the code, never automatically: anonymous rounds keep only the day.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    round: Mapped[SurveyRound] = relationship()
    version: Mapped[QuestionnaireVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Submission(Base):
    """The final submit of a response. UNIQUE(response_id) is what makes a double click,
    a refresh or a second tab submit a response at most once."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Answer(Base):
    """One typed value: a question's answer, one selected choice, one matrix row, or one
    sub-question of one repeat entry."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_key", "entry", "item"),
        CheckConstraint("entry >= 0", name="entry_non_negative"),
        Index("ix_answers_question_key", "question_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(64))
    # 0 outside repeat groups; 1, 2, ... for the entries of a repeat group.
    entry: Mapped[int] = mapped_column(Integer, default=0)
    # "" for a plain answer; the row key of a matrix; the value of one selected choice;
    # "__other__" for the "other, please specify" text.
    item: Mapped[str] = mapped_column(String(64), default="")
    value_text: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    value_date: Mapped[date | None] = mapped_column(Date)
    value_choice: Mapped[str | None] = mapped_column(String(64))

    response: Mapped[Response] = relationship(back_populates="answers")
