"""Plan years: the WCO financial year, 1 July to 30 June, labelled "2025-2026"."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import PlanYear


class PlanYearError(ValueError):
    pass


def parse_label(label: str) -> tuple[date, date]:
    """The first and last day of the plan year ``label`` ("2025-2026")."""
    match = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", label or "")
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise PlanYearError(
            f"{label!r} is not a plan year: write it as two consecutive years, e.g. 2025-2026"
        )
    start = int(match.group(1))
    if not 1900 <= start <= 2200:
        raise PlanYearError(f"{label!r} is not a plan year this office could have")
    return date(start, 7, 1), date(start + 1, 6, 30)


def label_for_date(day: date) -> str:
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{start + 1}"


def normalise_label(label: str) -> str:
    starts_on, _ = parse_label(label)
    return f"{starts_on.year}-{starts_on.year + 1}"


def get_plan_year(session: Session, label: str) -> PlanYear | None:
    return session.scalar(select(PlanYear).where(PlanYear.label == normalise_label(label)))


def get_or_create_plan_year(session: Session, label: str) -> PlanYear:
    label = normalise_label(label)
    plan_year = get_plan_year(session, label)
    if plan_year is None:
        starts_on, ends_on = parse_label(label)
        plan_year = PlanYear(label=label, starts_on=starts_on, ends_on=ends_on)
        session.add(plan_year)
        session.flush()
    return plan_year


def list_plan_years(session: Session) -> list[PlanYear]:
    return list(session.scalars(select(PlanYear).order_by(PlanYear.starts_on.desc())))


def current_plan_year(session: Session, today: date) -> PlanYear | None:
    """The stored plan year that contains ``today``, else the latest one stored."""
    return get_plan_year(session, label_for_date(today)) or next(
        iter(list_plan_years(session)), None
    )
