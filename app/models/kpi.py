"""What the KPI roll-ups need beyond answers: the tangible-results register (3-(j)), the
post-action log (3-(i)), and the kept reports of closed plan years with the count of
changes that tells when they are out of date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.activity import Activity
from app.models.base import Base, utcnow
from app.models.enums import LabelledEnum, db_enum
from app.models.member import Member
from app.models.user import User
from app.models.workplan import PlanYear, WorkPlanItem


class ResultStatus(LabelledEnum):
    REPORTED = ("reported", "Reported, not reviewed")
    VERIFIED = ("verified", "Verified")
    REJECTED = ("rejected", "Rejected")


class TangibleResult(Base):
    """One tangible result a follow-up respondent reported (one entry of the repeat group
    tagged tangible_result). It counts in KPI 3-(j) only once staff have verified it."""

    __tablename__ = "tangible_results"
    __table_args__ = (
        UniqueConstraint("response_id", "entry"),
        CheckConstraint("status <> 'rejected' OR reason <> ''", name="rejection_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    entry: Mapped[int] = mapped_column(Integer)
    plan_year_id: Mapped[int] = mapped_column(ForeignKey("plan_years.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    category: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    achieved_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ResultStatus] = mapped_column(
        db_enum(ResultStatus, "result_status"), default=ResultStatus.REPORTED, index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    activity: Mapped[Activity | None] = relationship()
    member: Mapped[Member | None] = relationship()
    reviewed_by: Mapped[User | None] = relationship()


class FindingKind(LabelledEnum):
    LOW_SATISFACTION = ("low_satisfaction", "Low overall satisfaction")
    LOW_DIMENSION = ("low_dimension", "Low rating of one aspect")
    UNCOVERED_NEED = ("uncovered_need", "High-priority need not covered")
    BARRIER = ("barrier", "Barrier reported by several participants")


class Finding(Base):
    """Something in a year's results that planning should react to (KPI 3-(i)). Flagged
    by the rules in `app/kpis/findings.py`; ``key`` keeps one row per thing."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("plan_year_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_year_id: Mapped[int] = mapped_column(ForeignKey("plan_years.id"), index=True)
    kind: Mapped[FindingKind] = mapped_column(db_enum(FindingKind, "finding_kind"))
    key: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # False once a refresh no longer finds it (kept: actions may point to it).
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    plan_year: Mapped[PlanYear] = relationship()
    activity: Mapped[Activity | None] = relationship()
    member: Mapped[Member | None] = relationship()
    actions: Mapped[list[PlanningAction]] = relationship(
        back_populates="finding", order_by="PlanningAction.id"
    )


class PlanningAction(Base):
    """What staff decided because of a finding, linked to what it changed next year."""

    __tablename__ = "planning_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("work_plan_items.id"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="actions")
    item: Mapped[WorkPlanItem | None] = relationship()
    activity: Mapped[Activity | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class KpiChange(Base):
    """How many times the data of a plan year's KPIs changed, counted by database triggers
    (migration 0009): on PostgreSQL one row per writing transaction (``txid``), on SQLite
    one row per plan year (``txid`` 0, also where old rows are folded). The year's
    revision is the sum of ``changes``: it only grows."""

    __tablename__ = "kpi_changes"

    plan_year_id: Mapped[int] = mapped_column(
        ForeignKey("plan_years.id", ondelete="CASCADE"), primary_key=True
    )
    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger)


class KpiCache(Base):
    """A closed plan year's KPI report as computed at ``revision`` (see KpiChange), for
    one set of filters and settings (``key``). Stale once the year's revision moves."""

    __tablename__ = "kpi_cache"

    plan_year_id: Mapped[int] = mapped_column(
        ForeignKey("plan_years.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    # JSON, not PostgreSQL's JSONB: the order of keys (items in the plan's order) is kept.
    report: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
