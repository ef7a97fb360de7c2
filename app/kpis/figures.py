"""The KPIs of work-plan items 3-(f) to 3-(j), computed in SQL for one plan year.

Each KPI is defined once: here, or for the evaluation figures of 3-(h) in
`app.kpis.evaluation` and for needs coverage in `app.kpis.needs`; docs/kpis.md explains
every figure in words. The number of queries does not depend on the amount of data
(grouped queries only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, distinct, func, or_, select
from sqlalchemy.orm import Session

from app.common import clock
from app.kpis.evaluation import EvaluationGroup, evaluation_kpis
from app.kpis.needs import needs_coverage
from app.kpis.rates import pairs, rate
from app.kpis.scope import KpiError, KpiFilters, Scope
from app.models import (
    Activity,
    Attendance,
    Finding,
    Gender,
    Invitation,
    Member,
    Participant,
    PlanningAction,
    PlanYear,
    Response,
    ResponseStatus,
    ResultStatus,
    RoundStatus,
    SurveyRound,
    TangibleResult,
    WorkPlanItem,
    activity_items,
    activity_members,
)
from app.workplan.plan_years import get_plan_year

QUESTIONNAIRE_KINDS = ("needs_assessment", "evaluation", "follow_up")


@dataclass
class KpiReport:
    year: str
    filters: KpiFilters
    surveys: dict
    activities: dict
    activity_details: dict
    evaluation: EvaluationGroup
    evaluation_by_activity: dict[int, EvaluationGroup]
    evaluation_by_item: dict[str, EvaluationGroup]
    post_action: dict
    tangible: dict
    tangible_by_item: dict[str, int]
    area_labels: dict[str, str] = field(default_factory=dict)

    def as_api(self) -> dict:
        """The documented JSON shape of GET /api/v1/kpis."""
        evaluation = self.evaluation
        return {
            "year": self.year,
            "filters": self.filters.as_dict(),
            "surveys_conducted": self.surveys,
            "activities": self.activities,
            "evaluation": {
                "responses": evaluation.responses,
                "response_rate": evaluation.response_rate,
                "overall_mean": evaluation.overall_mean,
                "overall_distribution": evaluation.distribution,
                "top2_share": evaluation.top2_share,
                "nps": evaluation.nps,
                "dimensions": evaluation.dimensions,
                "knowledge_gain": evaluation.knowledge_gain,
            },
            "post_action": self.post_action,
            "tangible_results": self.tangible,
        }


def compute_kpis(
    session: Session,
    year: str,
    filters: KpiFilters | None = None,
    min_group_size: int = 3,
    today: date | None = None,
    breakdown: bool = True,
) -> KpiReport:
    """The year's KPIs. Without ``breakdown`` (the API, which shows only the totals) the
    evaluation figures are not also computed per activity and per work-plan item; the
    totals are the same either way."""
    plan_year = get_plan_year(session, year)
    if plan_year is None:
        raise KpiError(f"year: no plan stored for {year}")
    scope = Scope(session, plan_year, filters or KpiFilters(), today or clock.today())
    evaluation, by_activity, by_item = evaluation_kpis(scope, min_group_size, breakdown)
    activities, details = activity_kpis(scope)
    tangible, tangible_by_item = tangible_kpis(scope)
    return KpiReport(
        year=plan_year.label,
        filters=scope.filters,
        surveys=survey_kpis(scope),
        activities=activities,
        activity_details=details,
        evaluation=evaluation,
        evaluation_by_activity=by_activity,
        evaluation_by_item=by_item,
        post_action=post_action_kpis(scope),
        tangible=tangible,
        tangible_by_item=tangible_by_item,
        area_labels=scope.roles.area_labels,
    )


# -- 3-(f) surveys conducted ---------------------------------------------------------------


def rounds_in_scope(scope: Scope):
    """Rounds open during the year: opened (not drafts), on or before today, with dates
    that overlap the plan year; narrowed by the filters."""
    year = scope.plan_year
    conditions = [
        SurveyRound.status != RoundStatus.DRAFT,
        SurveyRound.opens_on <= min(year.ends_on, scope.today),
        or_(SurveyRound.closes_on.is_(None), SurveyRound.closes_on >= year.starts_on),
    ]
    if scope.filters.on_activities:
        conditions.append(SurveyRound.activity_id.in_(scope.activity_ids()))
    if scope.member_ids is not None:
        conditions.append(
            SurveyRound.id.in_(
                select(Invitation.round_id).where(scope.member_condition(Invitation.member_id))
            )
        )
    return select(SurveyRound.id).where(*conditions)


def survey_kpis(scope: Scope) -> dict:
    session = scope.session
    rounds = rounds_in_scope(scope)
    by_kind = dict.fromkeys(QUESTIONNAIRE_KINDS, 0)
    for kind, number in session.execute(
        select(SurveyRound.kind, func.count())
        .where(SurveyRound.id.in_(rounds))
        .group_by(SurveyRound.kind)
    ):
        key = kind.value if hasattr(kind, "value") else kind
        if key in by_kind:
            by_kind[key] = number
    invited, answered = session.execute(
        select(func.count(), func.count(Invitation.submitted_at)).where(
            Invitation.round_id.in_(rounds), scope.member_condition(Invitation.member_id)
        )
    ).one()
    responses = session.scalar(
        select(func.count())
        .select_from(Response)
        .where(
            Response.round_id.in_(rounds),
            Response.status == ResponseStatus.SUBMITTED,
            scope.member_condition(Response.member_id),
        )
    )
    return {
        "rounds": sum(by_kind.values()),
        "by_kind": by_kind,
        "invitations": invited,
        "responses": responses or 0,
        "response_rate": rate(answered, invited),
    }


# -- 3-(g) capacity-building activities ------------------------------------------------------


def activity_kpis(scope: Scope) -> tuple[dict, dict]:
    session = scope.session
    delivered = scope.delivered_cb_ids()
    by_kind = {
        kind.value: number
        for kind, number in session.execute(
            select(Activity.kind, func.count())
            .where(Activity.id.in_(delivered))
            .group_by(Activity.kind)
        )
    }
    by_modality = {
        (m.value if m else "not_set"): n
        for m, n in session.execute(
            select(Activity.modality, func.count())
            .where(Activity.id.in_(delivered))
            .group_by(Activity.modality)
        )
    }
    by_subregion = {
        s.value: n
        for s, n in session.execute(
            select(Member.subregion, func.count(distinct(activity_members.c.activity_id)))
            .join(activity_members, activity_members.c.member_id == Member.id)
            .where(activity_members.c.activity_id.in_(delivered))
            .group_by(Member.subregion)
        )
    }
    item_rows = session.execute(
        select(
            WorkPlanItem.code,
            WorkPlanItem.pillar,
            func.count(distinct(activity_items.c.activity_id)),
        )
        .join(activity_items, activity_items.c.work_plan_item_id == WorkPlanItem.id)
        .where(activity_items.c.activity_id.in_(delivered))
        .group_by(WorkPlanItem.code, WorkPlanItem.pillar, WorkPlanItem.position)
        .order_by(WorkPlanItem.position)
    ).all()
    by_pillar = {
        str(p): n
        for p, n in session.execute(
            select(WorkPlanItem.pillar, func.count(distinct(activity_items.c.activity_id)))
            .join(activity_items, activity_items.c.work_plan_item_id == WorkPlanItem.id)
            .where(activity_items.c.activity_id.in_(delivered))
            .group_by(WorkPlanItem.pillar)
        )
    }
    # Each person once, however many of the activities they attended.
    people, women, disclosed, members = session.execute(
        select(
            func.count(),
            func.count(case((Participant.gender == Gender.FEMALE, 1))),
            func.count(case((Participant.gender != Gender.UNDISCLOSED, 1))),
            func.count(distinct(Participant.member_id)),
        ).where(
            Participant.id.in_(
                select(Attendance.participant_id).where(Attendance.activity_id.in_(delivered))
            ),
            scope.member_condition(Participant.member_id),
        )
    ).one()
    sie = session.scalar(
        select(func.count(distinct(activity_members.c.activity_id)))
        .join(Member, Member.id == activity_members.c.member_id)
        .where(
            activity_members.c.activity_id.in_(delivered), Member.is_small_island_economy.is_(True)
        )
    )
    experts, accredited = session.execute(
        select(
            func.coalesce(func.sum(Activity.experts), 0),
            func.coalesce(func.sum(Activity.accredited_experts), 0),
        ).where(Activity.id.in_(delivered))
    ).one()
    coverage, uncovered, high_needs = needs_coverage(scope)
    summary = {
        "delivered": sum(by_kind.values()),
        "by_kind": by_kind,
        "participants": people,
        "women_share": rate(women, disclosed),
        "members_reached": members,
        "needs_coverage": coverage,
        "uncovered_needs": uncovered,
    }
    details = {
        "by_modality": by_modality,
        "by_subregion": by_subregion,
        "by_pillar": by_pillar,
        "by_item": {code: n for code, _pillar, n in item_rows},
        "sie_activities": sie or 0,
        "experts": int(experts),
        "accredited_experts": int(accredited),
        "high_needs": high_needs,
    }
    return summary, details


# -- 3-(i) post action ----------------------------------------------------------------------


def findings_in_scope(scope: Scope):
    conditions = [Finding.plan_year_id == scope.plan_year.id]
    if scope.filters.on_activities:
        conditions.append(Finding.activity_id.in_(scope.activity_ids()))
    if scope.member_ids is not None:
        conditions.append(
            or_(
                scope.member_condition(Finding.member_id),
                Finding.activity_id.in_(scope.activity_ids()),
            )
        )
    return select(Finding.id).where(*conditions)


def post_action_kpis(scope: Scope) -> dict:
    findings = findings_in_scope(scope)
    total, actioned = scope.session.execute(
        select(func.count(), func.count(case((Finding.actions.any(), 1)))).where(
            Finding.id.in_(findings)
        )
    ).one()
    actions = scope.session.scalar(
        select(func.count())
        .select_from(PlanningAction)
        .where(PlanningAction.finding_id.in_(findings))
    )
    return {"findings": total, "actioned": actioned, "actions": actions or 0}


# -- 3-(j) tangible results -----------------------------------------------------------------


def results_in_scope(scope: Scope):
    conditions = [
        TangibleResult.plan_year_id == scope.plan_year.id,
        scope.member_condition(TangibleResult.member_id),
    ]
    if scope.filters.on_activities:
        conditions.append(TangibleResult.activity_id.in_(scope.activity_ids()))
    return conditions


def tangible_kpis(scope: Scope) -> tuple[dict, dict[str, int]]:
    session = scope.session
    conditions = results_in_scope(scope)
    by_status = {s.value: 0 for s in ResultStatus}
    for status, number in session.execute(
        select(TangibleResult.status, func.count())
        .where(*conditions)
        .group_by(TangibleResult.status)
    ):
        by_status[status.value if hasattr(status, "value") else status] = number
    verified = [*conditions, TangibleResult.status == ResultStatus.VERIFIED]
    by_member = pairs(
        session,
        select(Member.code, func.count())
        .select_from(TangibleResult)
        .join(Member, Member.id == TangibleResult.member_id)
        .where(*verified)
        .group_by(Member.code)
        .order_by(Member.code),
    )
    by_category = pairs(
        session,
        select(TangibleResult.category, func.count())
        .where(*verified)
        .group_by(TangibleResult.category)
        .order_by(TangibleResult.category),
    )
    by_item = pairs(
        session,
        select(WorkPlanItem.code, func.count())
        .join(activity_items, activity_items.c.work_plan_item_id == WorkPlanItem.id)
        .join(TangibleResult, TangibleResult.activity_id == activity_items.c.activity_id)
        .where(*verified)
        .group_by(WorkPlanItem.code, WorkPlanItem.position)
        .order_by(WorkPlanItem.position),
    )
    return {
        "reported": by_status["reported"],
        "verified": by_status["verified"],
        "rejected": by_status["rejected"],
        "by_member": by_member,
        "by_category": by_category,
    }, by_item


def previous_year_label(plan_year: PlanYear) -> str:
    start = plan_year.starts_on.year - 1
    return f"{start}-{start + 1}"
