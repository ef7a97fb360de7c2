"""The KPIs of work-plan items 3-(f) to 3-(j), computed in SQL for one plan year.

Each KPI is defined once: here, or for the evaluation figures of 3-(h) in
`app.kpis.evaluation` and for needs coverage in `app.kpis.needs`; docs/kpis.md explains
every figure in words. The number of queries does not depend on the amount of data
(grouped queries only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import String, case, cast, distinct, func, literal, null, or_, select, union_all
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
    SubRegion,
    SurveyRound,
    TangibleResult,
    WorkPlanItem,
    activity_items,
    activity_members,
)
from app.workplan.activities import item_code_key
from app.workplan.plan_years import get_plan_year

QUESTIONNAIRE_KINDS = ("needs_assessment", "evaluation", "follow_up")
SUBREGION_ORDER = {s.value: index for index, s in enumerate(SubRegion)}


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
    category_labels: dict[str, str] = field(default_factory=dict)
    score_labels: dict[str, str] = field(default_factory=dict)

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
    year: str | PlanYear,
    filters: KpiFilters | None = None,
    min_group_size: int = 3,
    today: date | None = None,
    breakdown: bool = True,
) -> KpiReport:
    """The year's KPIs (``year``: its label, or the stored plan year). Without
    ``breakdown`` (the API, which shows only the totals) the evaluation figures are not
    also computed per activity and per work-plan item, nor the verified results per item;
    the totals are the same either way."""
    plan_year = year if isinstance(year, PlanYear) else get_plan_year(session, year)
    if plan_year is None:
        raise KpiError(f"year: no plan stored for {year}")
    scope = Scope(session, plan_year, filters or KpiFilters(), today or clock.today())
    evaluation, by_activity, by_item = evaluation_kpis(scope, min_group_size, breakdown)
    activities, details = activity_kpis(scope)
    tangible, tangible_by_item = tangible_kpis(scope, breakdown)
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
        category_labels=scope.roles.category_labels,
        score_labels=scope.roles.score_labels,
    )


# -- 3-(f) surveys conducted ---------------------------------------------------------------


def round_conditions(scope: Scope) -> list:
    """Conditions on SurveyRound for the rounds open during the year: opened (not
    drafts), on or before today, with dates that overlap the plan year; narrowed by the
    filters."""
    year = scope.plan_year
    conditions = [
        SurveyRound.status != RoundStatus.DRAFT,
        SurveyRound.opens_on <= min(year.ends_on, scope.today),
        or_(SurveyRound.closes_on.is_(None), SurveyRound.closes_on >= year.starts_on),
    ]
    if scope.filters.on_activities:
        # By their dates too: a round about an earlier year's activity counts this year.
        conditions.append(SurveyRound.activity_id.in_(scope.matching_activity_ids()))
    if scope.member_ids is not None:
        conditions.append(
            SurveyRound.id.in_(
                select(Invitation.round_id).where(scope.member_condition(Invitation.member_id))
            )
        )
    return conditions


def rounds_in_scope(scope: Scope):
    return select(SurveyRound.id).where(*round_conditions(scope))


def round_counts(scope: Scope) -> tuple:
    """Three correlated counts of a SurveyRound: its invitations (to the filtered
    Members' people), those that led to a submitted response, and its submitted responses
    (given by the filtered Members); on the per-round indexes."""

    def per_round(what, model, *conditions):
        return (
            select(what)
            .select_from(model)
            .where(model.round_id == SurveyRound.id, *conditions)
            .correlate(SurveyRound)
            .scalar_subquery()
        )

    invited = per_round(func.count(), Invitation, scope.member_condition(Invitation.member_id))
    answered = per_round(
        func.count(Invitation.submitted_at),
        Invitation,
        scope.member_condition(Invitation.member_id),
    )
    responses = per_round(
        func.count(),
        Response,
        Response.status == ResponseStatus.SUBMITTED,
        scope.member_condition(Response.member_id),
    )
    return invited, answered, responses


def survey_kpis(scope: Scope) -> dict:
    """One query: the rounds by kind, each round's invitations and submitted responses
    counted where it stands, on the per-round indexes (a few index entries a round, not
    a join of every submitted response of every year)."""
    invited, answered, responses = round_counts(scope)
    by_kind = dict.fromkeys(QUESTIONNAIRE_KINDS, 0)
    totals = [0, 0, 0]
    for kind, number, *counts in scope.session.execute(
        select(
            SurveyRound.kind,
            func.count(),
            func.sum(invited),
            func.sum(answered),
            func.sum(responses),
        )
        .where(*round_conditions(scope))
        .group_by(SurveyRound.kind)
    ):
        key = kind.value if hasattr(kind, "value") else kind
        if key in by_kind:
            by_kind[key] = number
        totals = [total + int(count or 0) for total, count in zip(totals, counts, strict=True)]
    invited_total, answered_total, responses_total = totals
    return {
        "rounds": sum(by_kind.values()),
        "by_kind": by_kind,
        "invitations": invited_total,
        "responses": responses_total,
        "response_rate": rate(answered_total, invited_total),
    }


# -- 3-(g) capacity-building activities ------------------------------------------------------


def activity_kpis(scope: Scope) -> tuple[dict, dict]:
    session = scope.session
    delivered = scope.delivered_cb_ids()
    by_kind: dict[str, int] = {}
    by_modality: dict[str, int] = {}
    experts = accredited = 0
    # One grouped query for kinds, modalities and experts.
    for kind, modality, number, kind_experts, kind_accredited in session.execute(
        select(
            Activity.kind,
            Activity.modality,
            func.count(),
            func.coalesce(func.sum(Activity.experts), 0),
            func.coalesce(func.sum(Activity.accredited_experts), 0),
        )
        .where(Activity.id.in_(delivered))
        .group_by(Activity.kind, Activity.modality)
        .order_by(Activity.kind, Activity.modality)
    ):
        by_kind[kind.value] = by_kind.get(kind.value, 0) + number
        key = modality.value if modality else "not_set"
        by_modality[key] = by_modality.get(key, 0) + number
        experts += int(kind_experts)
        accredited += int(kind_accredited)
    by_subregion, sie = _host_figures(scope, delivered)
    item_rows, by_pillar, item_titles = _item_figures(scope, delivered)
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
        "by_item": item_rows,
        "item_titles": item_titles,
        "sie_activities": sie,
        "experts": experts,
        "accredited_experts": accredited,
        "high_needs": high_needs,
    }
    return summary, details


def _host_figures(scope: Scope, delivered) -> tuple[dict[str, int], int]:
    """Delivered activities by the sub-region of their host Members, and those with a
    Small Island Economy among them: two counts of distinct activities, one statement."""
    hosted = (
        select(activity_members.c.activity_id, Member.subregion, Member.is_small_island_economy)
        .join(Member, Member.id == activity_members.c.member_id)
        .where(activity_members.c.activity_id.in_(delivered))
        .subquery()
    )
    rows: list[Any] = list(
        scope.session.execute(
            union_all(
                select(
                    cast(hosted.c.subregion, String).label("subregion"),
                    func.count(distinct(hosted.c.activity_id)),
                ).group_by(hosted.c.subregion),
                select(null().label("subregion"), func.count(distinct(hosted.c.activity_id))).where(
                    hosted.c.is_small_island_economy.is_(True)
                ),
            )
        )
    )
    by_subregion = {subregion: n for subregion, n in rows if subregion is not None}
    sie = next((n for subregion, n in rows if subregion is None), 0)
    return dict(sorted(by_subregion.items(), key=lambda pair: SUBREGION_ORDER[pair[0]])), sie


def _item_figures(scope: Scope, delivered) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """Delivered activities by work-plan item (in the natural order of the codes: 1-(a)
    ... 1-(z), 1-(aa)), by pillar (an activity serving two items of a pillar counts
    once), and each item's text; one statement."""
    served = (
        select(
            activity_items.c.activity_id,
            WorkPlanItem.code,
            WorkPlanItem.pillar,
            WorkPlanItem.title,
        )
        .join(WorkPlanItem, WorkPlanItem.id == activity_items.c.work_plan_item_id)
        .where(activity_items.c.activity_id.in_(delivered))
        .subquery()
    )
    rows = scope.session.execute(
        union_all(
            select(
                served.c.code,
                served.c.pillar,
                served.c.title,
                func.count(distinct(served.c.activity_id)),
            ).group_by(served.c.code, served.c.pillar, served.c.title),
            select(
                null(), served.c.pillar, null(), func.count(distinct(served.c.activity_id))
            ).group_by(served.c.pillar),
        )
    ).all()
    items = sorted((row for row in rows if row[0] is not None), key=lambda r: item_code_key(r[0]))
    by_item = {code: n for code, _pillar, _title, n in items}
    titles = {code: title for code, _pillar, title, _n in items}
    by_pillar = {str(pillar): n for code, pillar, _title, n in rows if code is None}
    return by_item, by_pillar, titles


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
    actions = (
        select(func.count())
        .select_from(PlanningAction)
        .where(PlanningAction.finding_id.in_(findings))
        .scalar_subquery()
    )
    total, actioned, actions_total = scope.session.execute(
        select(func.count(), func.count(case((Finding.actions.any(), 1))), actions).where(
            Finding.id.in_(findings)
        )
    ).one()
    return {"findings": total, "actioned": actioned, "actions": actions_total or 0}


# -- 3-(j) tangible results -----------------------------------------------------------------


def results_in_scope(scope: Scope):
    conditions = [
        TangibleResult.plan_year_id == scope.plan_year.id,
        scope.member_condition(TangibleResult.member_id),
    ]
    if scope.filters.on_activities:
        conditions.append(TangibleResult.activity_id.in_(scope.activity_ids()))
    return conditions


def tangible_kpis(scope: Scope, breakdown: bool = True) -> tuple[dict, dict[str, int]]:
    """Results by status, and the verified ones by Member and by category (one
    statement); with ``breakdown``, the verified ones by work-plan item too."""
    session = scope.session
    conditions = results_in_scope(scope)
    verified = [*conditions, TangibleResult.status == ResultStatus.VERIFIED]
    rows = session.execute(
        union_all(
            select(literal("status"), cast(TangibleResult.status, String), func.count())
            .where(*conditions)
            .group_by(TangibleResult.status),
            select(literal("member"), Member.code, func.count())
            .select_from(TangibleResult)
            .join(Member, Member.id == TangibleResult.member_id)
            .where(*verified)
            .group_by(Member.code),
            select(literal("category"), TangibleResult.category, func.count())
            .where(*verified)
            .group_by(TangibleResult.category),
        )
    ).all()
    by_status = {s.value: 0 for s in ResultStatus}
    by_status.update({key: n for what, key, n in rows if what == "status"})
    by_member = dict(sorted((key, n) for what, key, n in rows if what == "member"))
    by_category = dict(sorted((key, n) for what, key, n in rows if what == "category"))
    by_item: dict[str, int] = {}
    if breakdown:
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
