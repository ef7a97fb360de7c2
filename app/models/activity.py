from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    event,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.enums import (
    CB_ACTIVITY_KINDS,
    ActivityKind,
    ActivityStatus,
    Modality,
    db_enum,
)
from app.models.member import Member
from app.models.workplan import PlanYear, WorkPlanItem

activity_members = Table(
    "activity_members",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True),
)

activity_items = Table(
    "activity_items",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "work_plan_item_id",
        ForeignKey("work_plan_items.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Activity(Base):
    """A planned or delivered activity of a plan year (workshop, programme, meeting...)."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("plan_year_id", "source_key"),
        CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="ends_after_start"
        ),
        CheckConstraint("experts >= 0", name="experts_non_negative"),
        CheckConstraint(
            "accredited_experts >= 0 AND accredited_experts <= experts",
            name="accredited_within_experts",
        ),
        # The API's pages of activities in the order they changed.
        Index("ix_activities_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_year_id: Mapped[int] = mapped_column(
        ForeignKey("plan_years.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[ActivityKind] = mapped_column(db_enum(ActivityKind, "activity_kind"))
    modality: Mapped[Modality | None] = mapped_column(db_enum(Modality, "modality"))
    status: Mapped[ActivityStatus] = mapped_column(
        db_enum(ActivityStatus, "activity_status"), default=ActivityStatus.PLANNED
    )
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(200), default="")
    experts: Mapped[int] = mapped_column(Integer, default=0)
    accredited_experts: Mapped[int] = mapped_column(Integer, default=0)
    # Months after the end date at which follow-up waves run, e.g. "6,12"; empty: the
    # office default (FOLLOW_UP_WAVES_MONTHS).
    follow_up_months: Mapped[str] = mapped_column(String(50), default="")
    # The normalised title the work-plan importer matched this activity by; re-importing
    # the plan updates the row with this key instead of adding a new one. NULL for
    # activities created by hand.
    source_key: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    plan_year: Mapped[PlanYear] = relationship()
    members: Mapped[list[Member]] = relationship(secondary=activity_members, order_by=Member.code)
    items: Mapped[list[WorkPlanItem]] = relationship(
        secondary=activity_items, order_by=WorkPlanItem.position
    )

    @hybrid_property
    def counts_as_cb_activity(self) -> bool:
        return self.kind in CB_ACTIVITY_KINDS

    @counts_as_cb_activity.inplace.expression
    @classmethod
    def _counts_as_cb_activity_expression(cls):
        return cls.kind.in_([kind.value for kind in CB_ACTIVITY_KINDS])

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.title[:40]!r}>"


@event.listens_for(Activity.members, "append")
@event.listens_for(Activity.members, "remove")
@event.listens_for(Activity.items, "append")
@event.listens_for(Activity.items, "remove")
def _links_changed(activity: Activity, *_args: object) -> None:
    """A Member or an item added or removed changes the activity (its row's columns stay
    the same, so ``onupdate`` alone would not see it)."""
    activity.updated_at = utcnow()
