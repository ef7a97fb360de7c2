"""Activities: listing with filters, creating and editing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.common.keyset import Page, keyset_page
from app.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Attendance,
    Member,
    Modality,
    Pillar,
    PlanYear,
    WorkPlanItem,
    activity_items,
    activity_members,
)

MAX_WAVES = 6  # follow-up waves of one activity (months from 1 to 60)


class ActivityError(ValueError):
    """A value a person can fix; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def parse_months(text: str) -> list[int]:
    """ "6, 12" -> [6, 12]: follow-up waves in months after an activity ends."""
    months = []
    for part in str(text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"[0-9]{1,2}", part) or not 1 <= int(part) <= 60:
            raise ValueError(f"{part!r} is not a number of months from 1 to 60")
        months.append(int(part))
    return sorted(set(months))


@dataclass
class ActivityFilters:
    year: str | None = None
    item: str | None = None  # work-plan item code, e.g. "1-(a)"
    member: str | None = None  # ISO code
    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    text: str | None = None
    modality: Modality | None = None
    # Only the activities this select of ids returns (a figure's records, for example).
    within: Select | None = None


@dataclass
class ActivityData:
    title: str
    kind: ActivityKind
    status: ActivityStatus = ActivityStatus.PLANNED
    modality: Modality | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    venue: str = ""
    experts: int = 0
    accredited_experts: int = 0
    follow_up_months: str = ""
    member_ids: list[int] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)


def filtered_activities(filters: ActivityFilters) -> Select:
    query = select(Activity).join(PlanYear, PlanYear.id == Activity.plan_year_id)
    if filters.year:
        query = query.where(PlanYear.label == filters.year)
    if filters.item:
        query = query.where(
            Activity.id.in_(
                select(activity_items.c.activity_id)
                .join(WorkPlanItem, WorkPlanItem.id == activity_items.c.work_plan_item_id)
                .where(WorkPlanItem.code == filters.item, WorkPlanItem.plan_year_id == PlanYear.id)
            )
        )
    if filters.member:
        query = query.where(
            Activity.id.in_(
                select(activity_members.c.activity_id)
                .join(Member, Member.id == activity_members.c.member_id)
                .where(Member.code == filters.member.upper())
            )
        )
    if filters.kind:
        query = query.where(Activity.kind == filters.kind)
    if filters.status:
        query = query.where(Activity.status == filters.status)
    if filters.modality:
        query = query.where(Activity.modality == filters.modality)
    if filters.text:
        pattern = f"%{filters.text.strip()}%"
        query = query.where(or_(Activity.title.ilike(pattern), Activity.venue.ilike(pattern)))
    if filters.within is not None:
        query = query.where(Activity.id.in_(filters.within))
    return query


def list_activities(
    session: Session, filters: ActivityFilters, page: int = 1, per_page: int = 50
) -> tuple[list[Activity], int]:
    """One page of activities matching ``filters`` (with their Members and items loaded)
    and the total number that match."""
    query = filtered_activities(filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(
        query.order_by(Activity.starts_on.is_(None), Activity.starts_on, Activity.id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
        .options(selectinload(Activity.members), selectinload(Activity.items))
    ).all()
    return list(rows), total or 0


def list_year_activities(session: Session, plan_year: PlanYear | None) -> list[Activity]:
    """Every activity of ``plan_year`` (of every year when None), with Members and items."""
    query = (
        select(Activity)
        .order_by(Activity.id)
        .options(selectinload(Activity.members), selectinload(Activity.items))
    )
    if plan_year is not None:
        query = query.where(Activity.plan_year_id == plan_year.id)
    return list(session.scalars(query))


def cb_activities_newest_year_first(session: Session) -> list[Activity]:
    """Capacity-building activities of every plan year, the latest year first (pickers)."""
    return list(
        session.scalars(
            select(Activity)
            .join(PlanYear)
            .where(Activity.counts_as_cb_activity)
            .order_by(PlanYear.starts_on.desc(), Activity.title)
        )
    )


def activity_titles(session: Session, activity_ids) -> dict[int, str]:
    if not activity_ids:
        return {}
    return dict(
        session.execute(
            select(Activity.id, Activity.title).where(Activity.id.in_(list(activity_ids)))
        ).all()
    )


def item_code_key(code: str) -> tuple:
    """Work-plan item codes in their natural order: by pillar number, then by the letters
    as a sequence (1-(a) ... 1-(z), 1-(aa)), not as text (1-(a), 1-(aa), 1-(b))."""
    match = re.fullmatch(r"\s*(\d+)\s*-\s*\(?([A-Za-z]*)\)?\s*", code)
    if match is None:
        return (1, code)
    letters = match.group(2).lower()
    return (0, int(match.group(1)), len(letters), letters)


def year_items(session: Session, plan_year: PlanYear) -> list[WorkPlanItem]:
    """The plan year's work-plan items in the plan's order."""
    return list(
        session.scalars(
            select(WorkPlanItem)
            .where(WorkPlanItem.plan_year_id == plan_year.id)
            .order_by(WorkPlanItem.position)
        )
    )


def items_by_codes(
    session: Session, plan_year: PlanYear, codes: list[str]
) -> dict[str, WorkPlanItem]:
    """The plan year's items whose codes are in ``codes``, by code."""
    return {
        i.code: i
        for i in session.scalars(
            select(WorkPlanItem).where(
                WorkPlanItem.plan_year_id == plan_year.id, WorkPlanItem.code.in_(codes)
            )
        )
    }


@dataclass
class PlanOverview:
    """A plan year for its staff page: its pillars, its items in natural code order with
    how many activities serve each, and its activities matching the filters, each once."""

    pillars: list[Pillar]
    items: list[WorkPlanItem]
    item_counts: dict[int, int]
    activities: list[Activity]
    activity_count: int
    cb_count: int

    def items_of_pillar(self, number: int) -> list[WorkPlanItem]:
        return [item for item in self.items if item.pillar == number]

    def items_of(self, activity: Activity) -> list[WorkPlanItem]:
        """The items ``activity`` serves, in natural code order."""
        return sorted(activity.items, key=lambda i: item_code_key(i.code))


def plan_overview(
    session: Session, plan_year: PlanYear, filters: ActivityFilters | None = None
) -> PlanOverview:
    """Five statements whatever the plan's size: pillars, items, the items' activity
    counts, the year's totals, then the matching activities (with their Members and items
    loaded). Activities are listed once, in the order of the first item they serve, then
    by start date and title."""
    pillars = list(
        session.scalars(
            select(Pillar).where(Pillar.plan_year_id == plan_year.id).order_by(Pillar.number)
        )
    )
    items = sorted(year_items(session, plan_year), key=lambda i: item_code_key(i.code))
    item_counts: dict[int, int] = dict(
        session.execute(
            select(activity_items.c.work_plan_item_id, func.count())
            .join(WorkPlanItem, WorkPlanItem.id == activity_items.c.work_plan_item_id)
            .where(WorkPlanItem.plan_year_id == plan_year.id)
            .group_by(activity_items.c.work_plan_item_id)
        ).all()
    )
    totals = session.execute(
        select(
            func.count(Activity.id),
            func.count(case((Activity.counts_as_cb_activity, Activity.id))),
        ).where(Activity.plan_year_id == plan_year.id)
    ).one()
    chosen = filters or ActivityFilters()
    chosen.year = plan_year.label
    activities = list(
        session.scalars(
            filtered_activities(chosen).options(
                selectinload(Activity.members), selectinload(Activity.items)
            )
        )
    )
    order = {item.id: n for n, item in enumerate(items)}
    activities.sort(
        key=lambda a: (
            min((order[i.id] for i in a.items), default=len(order)),
            a.starts_on is None,
            a.starts_on or date.min,
            a.title,
            a.id,
        )
    )
    return PlanOverview(
        pillars=pillars,
        items=items,
        item_counts=item_counts,
        activities=activities,
        activity_count=totals[0],
        cb_count=totals[1],
    )


def participant_counts(session: Session, activity_ids: list[int]) -> dict[int, int]:
    if not activity_ids:
        return {}
    rows = session.execute(
        select(Attendance.activity_id, func.count())
        .where(Attendance.activity_id.in_(activity_ids))
        .group_by(Attendance.activity_id)
    )
    return dict(rows.all())


def _validate(session: Session, plan_year: PlanYear, data: ActivityData) -> tuple[list, list]:
    if not data.title.strip():
        raise ActivityError("title", "Give the activity a title.")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise ActivityError("ends_on", "The end date is before the start date.")
    if data.experts < 0 or data.accredited_experts < 0:
        raise ActivityError("experts", "Numbers of experts cannot be negative.")
    if data.accredited_experts > data.experts:
        raise ActivityError(
            "accredited_experts",
            "Accredited experts are counted among the experts: there cannot be more of them.",
        )
    try:
        months = parse_months(data.follow_up_months)
    except ValueError as error:
        raise ActivityError(
            "follow_up_months", f"Write months as numbers separated by commas, e.g. 6, 12: {error}."
        ) from None
    if len(months) > MAX_WAVES:
        raise ActivityError("follow_up_months", f"Give at most {MAX_WAVES} follow-up waves.")
    if len(data.title) > 500:
        raise ActivityError("title", "The title has more than 500 characters.")
    if max(data.experts, data.accredited_experts) > 1000:
        raise ActivityError("experts", "Enter a number of experts from 0 to 1000.")
    if data.status is ActivityStatus.DELIVERED and not (data.starts_on and data.ends_on):
        raise ActivityError("starts_on", "A delivered activity needs its start and end dates.")
    members = list(session.scalars(select(Member).where(Member.id.in_(data.member_ids))))
    if len(members) != len(set(data.member_ids)):
        raise ActivityError("members", "One of the selected Members does not exist.")
    items = list(session.scalars(select(WorkPlanItem).where(WorkPlanItem.id.in_(data.item_ids))))
    if len(items) != len(set(data.item_ids)) or any(i.plan_year_id != plan_year.id for i in items):
        raise ActivityError("items", f"Choose work-plan items of {plan_year.label}.")
    return sorted(members, key=lambda m: m.code), sorted(items, key=lambda i: i.position)


def create_activity(session: Session, plan_year: PlanYear, data: ActivityData) -> Activity:
    members, items = _validate(session, plan_year, data)
    activity = Activity(plan_year=plan_year, members=members, items=items)
    _apply(activity, data)
    session.add(activity)
    session.flush()
    return activity


def update_activity(session: Session, activity: Activity, data: ActivityData) -> Activity:
    members, items = _validate(session, activity.plan_year, data)
    activity.members = members
    activity.items = items
    _apply(activity, data)
    session.flush()
    return activity


def _apply(activity: Activity, data: ActivityData) -> None:
    activity.title = data.title.strip()
    activity.kind = data.kind
    activity.status = data.status
    activity.modality = data.modality
    activity.starts_on = data.starts_on
    activity.ends_on = data.ends_on
    activity.venue = data.venue.strip()
    activity.experts = data.experts
    activity.accredited_experts = data.accredited_experts
    activity.follow_up_months = ", ".join(map(str, parse_months(data.follow_up_months)))


def activity_changes(
    session: Session,
    plan_year: PlanYear | None,
    updated_after: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Page[Activity]:
    """A page of activities in the order they last changed (``updated_at``, then id),
    after the key ``after``; only those changed after ``updated_after`` if given. Three
    statements: the page, then its Members and items."""
    query = select(Activity, Activity.updated_at, Activity.id).options(
        joinedload(Activity.plan_year), selectinload(Activity.members), selectinload(Activity.items)
    )
    if plan_year is not None:
        query = query.where(Activity.plan_year_id == plan_year.id)
    if updated_after is not None:
        query = query.where(Activity.updated_at > updated_after)
    return keyset_page(session, query, (Activity.updated_at, Activity.id), after, limit)
