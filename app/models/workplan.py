from __future__ import annotations

from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base


class PlanYear(Base):
    """A WCO financial year, 1 July to 30 June, labelled ``2025-2026``."""

    __tablename__ = "plan_years"
    __table_args__ = (CheckConstraint("ends_on > starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(9), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    pillars: Mapped[list[Pillar]] = relationship(
        back_populates="plan_year", order_by="Pillar.number", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<PlanYear {self.label}>"


class Pillar(Base):
    """A numbered heading of the work plan ("1. Support the implementation of ...")."""

    __tablename__ = "pillars"
    __table_args__ = (
        UniqueConstraint("plan_year_id", "number"),
        CheckConstraint("number BETWEEN 1 AND 9", name="number_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_year_id: Mapped[int] = mapped_column(ForeignKey("plan_years.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)

    plan_year: Mapped[PlanYear] = relationship(back_populates="pillars")
    items: Mapped[list[WorkPlanItem]] = relationship(
        back_populates="pillar_row",
        order_by="WorkPlanItem.position",
        viewonly=True,
    )


class WorkPlanItem(Base):
    """A numbered item of the work plan, e.g. ``3-(f)``, with its RSP milestone and KPI."""

    __tablename__ = "work_plan_items"
    __table_args__ = (
        UniqueConstraint("plan_year_id", "code"),
        ForeignKeyConstraint(
            ["plan_year_id", "pillar"],
            ["pillars.plan_year_id", "pillars.number"],
            name="fk_work_plan_items_pillar_pillars",
            ondelete="CASCADE",
        ),
        CheckConstraint("pillar BETWEEN 1 AND 9", name="pillar_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_year_id: Mapped[int] = mapped_column(ForeignKey("plan_years.id", ondelete="CASCADE"))
    pillar: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(8))
    # Order within the plan year (pillar, then letter), so "z" sorts before "aa".
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    rsp: Mapped[str] = mapped_column(String(200), default="")
    kpi: Mapped[str] = mapped_column(Text, default="")

    plan_year: Mapped[PlanYear] = relationship()
    pillar_row: Mapped[Pillar] = relationship(
        primaryjoin="and_(WorkPlanItem.plan_year_id == Pillar.plan_year_id, "
        "WorkPlanItem.pillar == Pillar.number)",
        foreign_keys="[WorkPlanItem.plan_year_id, WorkPlanItem.pillar]",
        back_populates="items",
        viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<WorkPlanItem {self.code}>"
