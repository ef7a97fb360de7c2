"""Needs (KPI 3-(g) needs coverage, the needs heatmap, uncovered-need findings): what the
Members rated high priority in the year's needs assessments, and which of those needs a
planned, confirmed or delivered capacity-building activity of the year addresses."""

from __future__ import annotations

from sqlalchemy import and_, literal, select

from app.kpis.rates import rate
from app.kpis.scope import Scope
from app.models import (
    Activity,
    ActivityStatus,
    Answer,
    Member,
    QuestionnaireKind,
    Response,
    WorkPlanItem,
    activity_items,
    activity_members,
)


def high_needs_query(scope: Scope):
    """(member id, ISO code, area) rated high priority in the year's submitted needs
    assessments (one row per Member and area)."""
    return (
        scope.answers(
            QuestionnaireKind.NEEDS_ASSESSMENT,
            "need_priority",
            Response.member_id,
            Member.code,
            Answer.item,
        )
        .join(Member, Member.id == Response.member_id)
        .where(Answer.value_choice == "high", scope.member_condition(Response.member_id))
        .distinct()
    )


def need_priorities(scope: Scope) -> dict[tuple[str, str], str]:
    """(Member code, area) -> the priority the Member gave it in the year's submitted needs
    assessments (the needs heatmap), for the Members of the Member filter."""
    rows = scope.session.execute(
        scope.answers(
            QuestionnaireKind.NEEDS_ASSESSMENT,
            "need_priority",
            Member.code,
            Answer.item,
            Answer.value_choice,
        )
        .join(Member, Member.id == Response.member_id)
        .where(scope.member_condition(Response.member_id))
    )
    return {(code, area): priority for code, area, priority in rows}


def needs_coverage(scope: Scope) -> tuple[float | None, list[dict], int]:
    """Share of high-priority (Member, area) needs that a planned, confirmed or delivered
    capacity-building activity of the year addresses: it serves one of the area's
    work-plan items and names that Member among its host or beneficiary Members."""
    areas = scope.roles.areas
    needs = scope.session.execute(high_needs_query(scope).order_by(Member.code, Answer.item)).all()
    if not needs:
        return None, [], 0
    area_of: dict[str, set[str]] = {}
    for area, codes in areas.items():
        for code in codes:
            area_of.setdefault(code, set()).add(area)
    activity_ok = and_(
        Activity.plan_year_id == scope.plan_year.id,
        Activity.status != ActivityStatus.CANCELLED,
        Activity.counts_as_cb_activity,
        Activity.id.in_(scope.activity_ids()) if scope.filters.on_activities else literal(True),
    )
    # (Member, item) pairs the year's activities serve, for the Members and items that
    # matter here: small whatever the number of activities.
    served = scope.session.execute(
        select(activity_members.c.member_id, WorkPlanItem.code)
        .select_from(activity_members)
        .join(Activity, Activity.id == activity_members.c.activity_id)
        .join(activity_items, activity_items.c.activity_id == Activity.id)
        .join(WorkPlanItem, WorkPlanItem.id == activity_items.c.work_plan_item_id)
        .where(
            activity_ok,
            activity_members.c.member_id.in_({n[0] for n in needs}),
            WorkPlanItem.code.in_(sorted(area_of) or ["-"]),
        )
        .distinct()
    )
    covered = {(member_id, area) for member_id, code in served for area in area_of[code]}
    uncovered = [
        {"member": code, "area": area}
        for member_id, code, area in needs
        if (member_id, area) not in covered
    ]
    return rate(len(needs) - len(uncovered), len(needs)), uncovered, len(needs)


def need_answers(
    scope: Scope,
    member: str | None = None,
    area: str | None = None,
    priority: str | None = None,
) -> list:
    """The answers behind the heatmap's cells and the high-priority needs: each (Member,
    area) priority of the year's submitted needs assessments, within the Member filter,
    of one Member, area or priority if asked (once per Member and area for a priority);
    rows of (Member code, Member name, area, priority, response id, round id, submitted
    at), by Member and area."""
    query = (
        scope.answers(
            QuestionnaireKind.NEEDS_ASSESSMENT,
            "need_priority",
            Member.code,
            Member.name,
            Answer.item,
            Answer.value_choice,
            Response.id,
            Response.round_id,
            Response.submitted_at,
        )
        .join(Member, Member.id == Response.member_id)
        .where(scope.member_condition(Response.member_id))
        .order_by(Member.code, Answer.item, Response.id)
    )
    if member:
        query = query.where(Member.code == member.upper())
    if area:
        query = query.where(Answer.item == area)
    if not priority:
        return list(scope.session.execute(query))
    # A priority's figure counts each (Member, area) once, however many of the Member's
    # responses gave it: the list shows the latest of them (rows come in response order).
    latest = {
        (row[0], row[2]): row
        for row in scope.session.execute(query.where(Answer.value_choice == priority))
    }
    return list(latest.values())
