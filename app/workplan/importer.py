"""Import the Annual Work Plan annex into the database, and export what is stored."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Activity, Member, Pillar, PlanYear, WorkPlanItem
from app.workplan.annex import AnnexText, ParseWarning, read_annex
from app.workplan.members import MemberDirectory
from app.workplan.merging import PlannedActivity, build_activities
from app.workplan.plan_years import get_or_create_plan_year, get_plan_year, normalise_label


class WorkPlanImportError(ValueError):
    """The file cannot be imported at all (nothing was written)."""


@dataclass
class ParsedPlan:
    annex: AnnexText
    activities: list[PlannedActivity]
    warnings: list[ParseWarning]


@dataclass
class ImportSummary:
    year: str
    items: int = 0
    items_created: int = 0
    items_updated: int = 0
    activities: int = 0
    activities_created: int = 0
    activities_updated: int = 0
    cb_activities: int = 0
    item_links: int = 0
    member_links: int = 0
    warnings: list[ParseWarning] = field(default_factory=list)
    items_by_pillar: dict[int, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        pillars = ", ".join(f"pillar {p}: {n}" for p, n in sorted(self.items_by_pillar.items()))
        return [
            f"Plan year {self.year}",
            f"  items:      {self.items} ({pillars}); {self.items_created} new, "
            f"{self.items_updated} updated",
            f"  activities: {self.activities} distinct ({self.cb_activities} count as CB "
            f"activities); {self.activities_created} new, {self.activities_updated} updated",
            f"  links:      {self.item_links} activity-item, {self.member_links} activity-Member",
            f"  warnings:   {len(self.warnings)}",
        ]


def parse_workplan(text: str, directory: MemberDirectory) -> ParsedPlan:
    annex = read_annex(text)
    activities, warnings = build_activities(annex.items, directory)
    return ParsedPlan(annex, activities, [*annex.warnings, *warnings])


def import_workplan(session: Session, text: str, year: str) -> ImportSummary:
    """Create or update the plan year's pillars, items and activities from the annex text.

    Items are matched by code and activities by their normalised title, so importing the
    same file twice changes nothing. Re-importing refreshes what the plan states (texts,
    kinds, item links, host Members); status, dates, modality, venue, experts and
    participants, which staff maintain, are never touched.
    """
    label = normalise_label(year)
    directory = MemberDirectory.from_session(session)
    if not directory.members:
        raise WorkPlanImportError(
            "No Members in the database: run `flask members load` before importing a plan."
        )
    parsed = parse_workplan(text, directory)
    if not parsed.annex.items:
        raise WorkPlanImportError(
            "No work-plan items found: is this the text of the Annual Work Plan annex "
            "(items like 'a) Upon request, ...' under numbered pillar headings)?"
        )
    summary = ImportSummary(year=label, warnings=list(parsed.warnings))
    if parsed.annex.document_year and parsed.annex.document_year != label:
        summary.warnings.insert(
            0,
            ParseWarning(
                None,
                f"the file is titled as the {parsed.annex.document_year} plan "
                f"but is imported as {label}",
            ),
        )
    plan_year = get_or_create_plan_year(session, label)
    _store_pillars(session, plan_year, parsed)
    items = _store_items(session, plan_year, parsed, summary)
    _store_activities(session, plan_year, parsed, items, summary)
    return summary


def _store_pillars(session: Session, plan_year: PlanYear, parsed: ParsedPlan) -> None:
    pillars = {
        p.number: p
        for p in session.scalars(select(Pillar).where(Pillar.plan_year_id == plan_year.id))
    }
    for parsed_pillar in parsed.annex.pillars:
        pillar = pillars.get(parsed_pillar.number)
        if pillar is None:
            pillar = Pillar(plan_year_id=plan_year.id, number=parsed_pillar.number, title="")
            session.add(pillar)
            pillars[parsed_pillar.number] = pillar
        pillar.title = parsed_pillar.title
    session.flush()


def _store_items(
    session: Session, plan_year: PlanYear, parsed: ParsedPlan, summary: ImportSummary
) -> dict[str, WorkPlanItem]:
    """Create or update the items the annex lists; returns every item of the year by code."""
    items = {
        i.code: i
        for i in session.scalars(
            select(WorkPlanItem).where(WorkPlanItem.plan_year_id == plan_year.id)
        )
    }
    for parsed_item in parsed.annex.items:
        item = items.get(parsed_item.code)
        if item is None:
            item = WorkPlanItem(plan_year_id=plan_year.id, code=parsed_item.code)
            session.add(item)
            items[parsed_item.code] = item
            summary.items_created += 1
        else:
            summary.items_updated += 1
        item.pillar = parsed_item.pillar
        item.position = parsed_item.position
        item.title = parsed_item.title
        item.rsp = parsed_item.rsp
        item.kpi = parsed_item.kpi
        summary.items_by_pillar[parsed_item.pillar] = (
            summary.items_by_pillar.get(parsed_item.pillar, 0) + 1
        )
    session.flush()
    summary.items = len(parsed.annex.items)
    return items


def _store_activities(
    session: Session,
    plan_year: PlanYear,
    parsed: ParsedPlan,
    items: dict[str, WorkPlanItem],
    summary: ImportSummary,
) -> None:
    """Create or update the activities, matched by their normalised titles; only what the
    plan states changes (title, kind, Members, items)."""
    members = {m.code: m for m in session.scalars(select(Member))}
    existing = {
        a.source_key: a
        for a in session.scalars(
            select(Activity)
            .where(Activity.plan_year_id == plan_year.id, Activity.source_key.is_not(None))
            .options(selectinload(Activity.members), selectinload(Activity.items))
        )
    }
    for planned in parsed.activities:
        activity = next((existing[k] for k in sorted(planned.keys) if k in existing), None)
        if activity is None:
            activity = Activity(plan_year_id=plan_year.id, members=[], items=[])
            session.add(activity)
            summary.activities_created += 1
        else:
            summary.activities_updated += 1
        activity.title = planned.title
        activity.kind = planned.kind
        activity.source_key = planned.key
        activity.members = [members[c] for c in sorted(planned.members)]
        activity.items = sorted((items[c] for c in planned.items), key=lambda i: i.position)
        summary.item_links += len(planned.items)
        summary.member_links += len(planned.members)
        summary.cb_activities += int(activity.counts_as_cb_activity)
    summary.activities = len(parsed.activities)
    session.flush()


def export_workplan(session: Session, year: str) -> dict:
    """The stored plan of ``year`` in the documented export shape."""
    plan_year = get_plan_year(session, year)
    if plan_year is None:
        raise WorkPlanImportError(f"No plan stored for {normalise_label(year)}.")
    items = session.scalars(
        select(WorkPlanItem)
        .where(WorkPlanItem.plan_year_id == plan_year.id)
        .order_by(WorkPlanItem.position)
    ).all()
    activities = session.scalars(
        select(Activity)
        .where(Activity.plan_year_id == plan_year.id)
        .order_by(Activity.id)
        .options(selectinload(Activity.members), selectinload(Activity.items))
    ).all()
    return {
        "year": plan_year.label,
        "items": [
            {"code": i.code, "pillar": i.pillar, "title": i.title, "rsp": i.rsp, "kpi": i.kpi}
            for i in items
        ],
        "activities": [
            {
                "id": a.id,
                "title": a.title,
                "kind": a.kind.value,
                "counts_as_cb_activity": a.counts_as_cb_activity,
                "items": [i.code for i in a.items],
                "members": [m.code for m in a.members],
            }
            for a in activities
        ],
    }
