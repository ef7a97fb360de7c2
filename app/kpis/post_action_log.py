"""The post-action log (KPI 3-(i)) as staff read it: the year's findings narrowed by
filters a person can bookmark, and the lists a planning action picks its work-plan item
and activity from (each pick is checked against the same lists)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, exists, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.kpis.scope import KpiFilters, Scope
from app.models import (
    Activity,
    Finding,
    FindingKind,
    Member,
    PlanningAction,
    PlanYear,
    WorkPlanItem,
    activity_items,
    activity_members,
)
from app.workplan.activities import year_items
from app.workplan.plan_years import get_plan_year, label_for_date

ITEM_TITLE_LENGTH = 90  # characters of an item's text shown in its picker label


class FilterError(ValueError):
    """A filter value that is not one the log offers; the message names the parameter."""


class PickError(ValueError):
    """A pick that is not in the offered list; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class FindingFilters:
    kind: FindingKind | None = None
    actioned: bool | None = None
    member: str | None = None  # ISO code
    item: str | None = None  # work-plan item code
    # Only the findings this select of ids returns (those a KPI 3-(i) figure counts).
    within: Select | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> FindingFilters:
        """From query parameters; FilterError names a value that is not one of the choices
        (unknown Members and items are checked by `filtered_findings`)."""
        kind = args.get("kind") or None
        try:
            parsed_kind = FindingKind(kind) if kind else None
        except ValueError:
            choices = ", ".join(k.value for k in FindingKind)
            raise FilterError(f"kind: one of {choices}") from None
        actioned = args.get("actioned") or None
        if actioned not in (None, "yes", "no"):
            raise FilterError("actioned: yes or no")
        return cls(
            kind=parsed_kind,
            actioned=None if actioned is None else actioned == "yes",
            member=(args.get("member") or "").strip().upper() or None,
            item=(args.get("item") or "").strip() or None,
        )

    def as_args(self) -> dict[str, str]:
        """The filters as query parameters (only those set)."""
        values = {
            "kind": self.kind.value if self.kind else None,
            "actioned": None if self.actioned is None else ("yes" if self.actioned else "no"),
            "member": self.member,
            "item": self.item,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def any(self) -> bool:
        return bool(self.as_args())


@dataclass
class FindingLog:
    findings: list[Finding]
    total: int  # the year's findings, whatever the filters
    filters: FindingFilters = field(default_factory=FindingFilters)


def filtered_findings(
    session: Session, plan_year: PlanYear, filters: FindingFilters, today: date
) -> FindingLog:
    """The year's findings the filters keep, current ones first, with their actions.

    Member: the finding names the Member, or its activity has it among its host or
    beneficiary Members. Work-plan item: the finding's activity serves the item, one of its
    actions changes an item with that code, or it is an uncovered need in a thematic area
    the needs questionnaire maps to the item."""
    conditions: list[ColumnElement[bool]] = [Finding.plan_year_id == plan_year.id]
    if filters.kind is not None:
        conditions.append(Finding.kind == filters.kind)
    if filters.within is not None:
        conditions.append(Finding.id.in_(filters.within))
    if filters.actioned is not None:
        has_action = exists().where(PlanningAction.finding_id == Finding.id)
        conditions.append(has_action if filters.actioned else ~has_action)
    if filters.member:
        member_id = session.scalar(select(Member.id).where(Member.code == filters.member))
        if member_id is None:
            raise FilterError(f"member: no Member with the code {filters.member!r}")
        conditions.append(
            or_(
                Finding.member_id == member_id,
                Finding.activity_id.in_(
                    select(activity_members.c.activity_id).where(
                        activity_members.c.member_id == member_id
                    )
                ),
            )
        )
    if filters.item:
        conditions.append(_item_condition(session, plan_year, filters.item, today))
    findings = list(
        session.scalars(
            select(Finding)
            .where(*conditions)
            .order_by(Finding.current.desc(), Finding.kind, Finding.id)
            .options(
                selectinload(Finding.actions).selectinload(PlanningAction.item),
                selectinload(Finding.actions).selectinload(PlanningAction.activity),
                selectinload(Finding.actions).selectinload(PlanningAction.created_by),
                selectinload(Finding.activity),
                selectinload(Finding.member),
            )
        )
    )
    total = session.scalar(
        select(func.count(Finding.id)).where(Finding.plan_year_id == plan_year.id)
    )
    return FindingLog(findings, total or 0, filters)


def _item_condition(
    session: Session, plan_year: PlanYear, code: str, today: date
) -> ColumnElement[bool]:
    item_ids = list(
        session.scalars(
            select(WorkPlanItem.id).where(
                WorkPlanItem.plan_year_id == plan_year.id, WorkPlanItem.code == code
            )
        )
    )
    if not item_ids:
        raise FilterError(f"item: no work-plan item {code!r} in the {plan_year.label} plan")
    areas = [
        area
        for area, codes in Scope(session, plan_year, KpiFilters(), today).roles.areas.items()
        if code in codes
    ]
    return or_(
        Finding.activity_id.in_(
            select(activity_items.c.activity_id).where(
                activity_items.c.work_plan_item_id.in_(item_ids)
            )
        ),
        exists().where(
            PlanningAction.finding_id == Finding.id,
            PlanningAction.item_id == WorkPlanItem.id,
            WorkPlanItem.code == code,
        ),
        or_(
            false(),
            *(
                (Finding.kind == FindingKind.UNCOVERED_NEED) & Finding.key.like(f"%:{area}")
                for area in areas
            ),
        ),
    )


# The pickers of the planning-action form.


def item_label(item: WorkPlanItem) -> str:
    """ "1-(a) Risk management ..." (long texts cut) as the picker shows it."""
    title = " ".join(item.title.split())
    if len(title) > ITEM_TITLE_LENGTH:
        title = title[: ITEM_TITLE_LENGTH - 1].rstrip() + "…"
    return f"{item.code} {title}"


def action_items(session: Session, plan_year: PlanYear) -> list[tuple[str, WorkPlanItem]]:
    """(label, item) for the plan year's work-plan items, in the plan's order."""
    return [(item_label(item), item) for item in year_items(session, plan_year)]


def action_years(session: Session, plan_year: PlanYear) -> list[PlanYear]:
    """The plan year and, when stored, the next one (an action often changes its plan)."""
    following = get_plan_year(session, label_for_date(plan_year.ends_on + timedelta(days=1)))
    return [plan_year, following] if following is not None else [plan_year]


def action_activities(session: Session, plan_year: PlanYear) -> list[tuple[str, int]]:
    """(label, id) for the activities of the plan year and the next stored one:
    "2025-10-14 · Regional workshop on AEO" (dates first, undated last). Labels that
    would repeat get the activity's number."""
    rows = session.execute(
        select(Activity.id, Activity.starts_on, Activity.title)
        .where(Activity.plan_year_id.in_([y.id for y in action_years(session, plan_year)]))
        .order_by(Activity.starts_on.is_(None), Activity.starts_on, Activity.title, Activity.id)
    ).all()
    labels = [
        (f"{starts_on.isoformat() if starts_on else 'no date'} · {' '.join(title.split())}", id_)
        for id_, starts_on, title in rows
    ]
    seen: dict[str, int] = {}
    for label, _ in labels:
        seen[label] = seen.get(label, 0) + 1
    return [(f"{label} (no. {id_})" if seen[label] > 1 else label, id_) for label, id_ in labels]


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


def pick_item(session: Session, plan_year: PlanYear, text: str) -> WorkPlanItem | None:
    """The item a pick names: its label from the list, or its code alone ("1-(d)")."""
    text = (text or "").strip()
    if not text:
        return None
    options = action_items(session, plan_year)
    for label, item in options:
        if _plain(label) == _plain(text) or item.code.casefold() == _plain(text):
            return item
    raise PickError(
        "item",
        f"Work-plan item: “{text[:80]}” is not an item of the {plan_year.label} plan. "
        "Pick one from the list, or leave it empty.",
    )


def pick_activity(session: Session, plan_year: PlanYear, text: str) -> int | None:
    """The activity a pick names (its label from the list); None when empty."""
    text = (text or "").strip()
    if not text:
        return None
    for label, activity_id in action_activities(session, plan_year):
        if _plain(label) == _plain(text):
            return activity_id
    years = " or ".join(y.label for y in action_years(session, plan_year))
    raise PickError(
        "activity",
        f"Activity: “{text[:80]}” is not an activity of {years}. Pick one from the list "
        "(date · title), or leave it empty.",
    )


@dataclass
class Picks:
    item: WorkPlanItem | None = None
    activity_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)  # form field -> message


def check_picks(session: Session, plan_year: PlanYear, item_text: str, activity_text: str) -> Picks:
    """Both picks of a planning action, each refused with its own message."""
    picks = Picks()
    try:
        picks.item = pick_item(session, plan_year, item_text)
    except PickError as error:
        picks.errors[error.field] = error.message
    try:
        picks.activity_id = pick_activity(session, plan_year, activity_text)
    except PickError as error:
        picks.errors[error.field] = error.message
    return picks
