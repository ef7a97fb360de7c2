"""The KPIs of work-plan items 3-(f) to 3-(j), computed in SQL for one plan year.

Each KPI is defined once, here; docs/kpis.md explains every figure in words. The number of
queries does not depend on the amount of data (grouped queries only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, distinct, func, literal, or_, select
from sqlalchemy.orm import Session

from app.common import clock
from app.kpis.scope import KpiError, KpiFilters, Scope
from app.models import (
    Activity,
    ActivityStatus,
    Answer,
    Attendance,
    Finding,
    Gender,
    Invitation,
    Member,
    Participant,
    PlanningAction,
    PlanYear,
    QuestionnaireKind,
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


def pairs(session: Session, query) -> dict:
    """A two-column query as a dict."""
    return dict(session.execute(query).all())


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def mean(value) -> float | None:
    return None if value is None else round(float(value), 2)


@dataclass
class EvaluationGroup:
    """Evaluation figures of a group of responses (all, one activity, one item)."""

    responses: int = 0
    invited: int = 0  # participants of the evaluated activities (the rate's denominator)
    distribution: dict[str, int] = field(default_factory=lambda: {str(i): 0 for i in range(1, 6)})
    overall_mean: float | None = None
    top2_share: float | None = None
    nps: float | None = None
    dimensions: dict[str, float | None] = field(default_factory=dict)
    knowledge_gain: float | None = None
    suppressed: bool = False

    @property
    def response_rate(self) -> float | None:
        return rate(self.responses, self.invited)


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
    assessments (the needs heatmap; the Member filter is not applied)."""
    rows = scope.session.execute(
        scope.answers(
            QuestionnaireKind.NEEDS_ASSESSMENT,
            "need_priority",
            Member.code,
            Answer.item,
            Answer.value_choice,
        ).join(Member, Member.id == Response.member_id)
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


# -- 3-(h) participants' evaluation ----------------------------------------------------------


def evaluation_kpis(scope: Scope, min_group: int, breakdown: bool = True):
    """Overall and (with ``breakdown``) per activity and per work-plan item. The answers
    are read once, as counts: how many times each score was given to each question (per
    activity when there is a breakdown, in total otherwise). Every figure follows from
    those counts: the scores are whole numbers, so sums and means are exact."""
    session = scope.session
    responses = (
        select(Response.id, SurveyRound.activity_id)
        .join(SurveyRound, SurveyRound.id == Response.round_id)
        .where(
            SurveyRound.kind == QuestionnaireKind.EVALUATION,
            # An activity's rounds belong to its plan year: this narrows the join early.
            SurveyRound.plan_year_id == scope.plan_year.id,
            SurveyRound.activity_id.in_(scope.activity_ids()),
            Response.status == ResponseStatus.SUBMITTED,
            scope.member_condition(Response.member_id),
        )
        .subquery()
    )

    def keyed(activity_id):
        """What a query selects and groups by: the activity (breakdown) or one constant
        group (totals only)."""
        return (activity_id, [activity_id]) if breakdown else (literal(None), [])

    # Responses and participants per activity (participants: the rate's denominator).
    group, group_by = keyed(responses.c.activity_id)
    counts = {
        k: n
        for k, n in session.execute(
            select(group, func.count()).select_from(responses).group_by(*group_by)
        )
        if n
    }
    group, group_by = keyed(Attendance.activity_id)
    attendance = (
        select(group, func.count())
        .select_from(Attendance)
        .where(Attendance.activity_id.in_(select(responses.c.activity_id)))
        .group_by(*group_by)
    )
    if scope.member_ids is not None:
        attendance = attendance.join(Participant, Participant.id == Attendance.participant_id)
        attendance = attendance.where(scope.member_condition(Participant.member_id))
    invited = pairs(session, attendance)
    items_of: dict[int, list[str]] = {}
    if breakdown:
        for activity_id, code in session.execute(
            select(activity_items.c.activity_id, WorkPlanItem.code)
            .join(WorkPlanItem, WorkPlanItem.id == activity_items.c.work_plan_item_id)
            .where(activity_items.c.activity_id.in_(list(counts) or [-1]))
        ):
            items_of.setdefault(activity_id, []).append(code)

    figures = _Figures(scope.roles)
    sums_of = _score_sums(session, responses, figures, keyed) if counts else {}

    def targets(activity_id):
        if not breakdown:
            return ["all"]
        return [
            "all",
            ("activity", activity_id),
            *(("item", code) for code in items_of.get(activity_id, [])),
        ]

    groups: dict[object, _Accumulator] = {}
    for activity_id, number in counts.items():
        for target in targets(activity_id):
            group = groups.get(target)
            if group is None:
                group = groups[target] = figures.accumulator()
            group.responses += number
            group.invited += invited.get(activity_id, 0)
            if activity_id in sums_of:
                group.add(sums_of[activity_id])
    overall_group = figures.result(groups.get("all") or figures.accumulator(), min_group)
    by_activity = {
        key[1]: figures.result(acc, min_group)
        for key, acc in groups.items()
        if isinstance(key, tuple) and key[0] == "activity"
    }
    by_item = {
        key[1]: figures.result(acc, min_group)
        for key, acc in groups.items()
        if isinstance(key, tuple) and key[0] == "item"
    }
    return overall_group, by_activity, by_item


def _score_sums(session: Session, responses, figures: _Figures, keyed) -> dict:
    """The counts and sums of `_Figures`, per activity (or for the one constant group):
    one query counts the answers of each question, matrix row and score."""
    answered = (
        select(
            responses.c.activity_id,
            Answer.question_key,
            Answer.item,
            # The score itself where its distribution matters (overall satisfaction, NPS);
            # elsewhere the sum and the number of the scores are enough, one row a question.
            case((Answer.question_key.in_(figures.distribution_keys), Answer.value_number)).label(
                "score"
            ),
            Answer.value_number.label("value"),
        )
        .select_from(responses)
        .join(Answer, Answer.response_id == responses.c.id)
        .where(Answer.question_key.in_(figures.keys), Answer.value_number.is_not(None))
        # A subquery, so that the outer query groups by the score's name: grouping by the
        # CASE itself would repeat its parameters, which PostgreSQL sees as another
        # expression.
        .subquery()
    )
    question = [answered.c.question_key, answered.c.item, answered.c.score]
    group, group_by = keyed(answered.c.activity_id)
    # Core rather than ORM execution: thousands of plain rows for the dashboard.
    rows = session.connection().execute(
        select(group, *question, func.sum(answered.c.value), func.count()).group_by(
            *group_by, *question
        )
    )
    sums_of: dict[object, list[float]] = {}
    for row in rows:
        activity_id, question_key, item, score, total, number = tuple(row)
        sums = sums_of.get(activity_id)
        if sums is None:
            sums = sums_of[activity_id] = figures.empty()
        figures.count(
            sums, question_key, item, None if score is None else float(score), float(total), number
        )
    return sums_of


@dataclass
class _Accumulator:
    """Responses, participants, and the counts and sums of `_Figures` of one group. The
    answers are whole numbers, so adding them as floats is exact."""

    sums: list[float]
    responses: int = 0
    invited: int = 0

    def add(self, numbers: list[float]) -> None:
        self.sums = [a + b for a, b in zip(self.sums, numbers, strict=True)]


class _Figures:
    """The evaluation figures of the year's questions, as a list of counts and sums: five
    counts of the overall scores 1 to 5, three NPS counts (rated, promoters, detractors),
    a sum and a count per dimension (sorted by name), then a sum and a count for knowledge
    before and for knowledge after. `count` adds answers to it; `result` reads it.

    An answer counts in every role its question carries in the year's versions."""

    OVERALL, RECOMMEND, SUM = "overall", "recommend", "sum"
    NPS_AT, DIMENSIONS_AT = 5, 8  # the overall scores start at 0

    def __init__(self, roles) -> None:
        self.dimension_names = sorted(roles.dimensions)
        self.size = self.DIMENSIONS_AT + 2 * len(self.dimension_names) + 4
        self.knowledge_at = self.size - 4  # before (sum, count), after (sum, count)
        # question key -> [(what, where)], whatever the matrix row
        self.by_key: dict[str, list[tuple[str, int]]] = {}
        # (question key, matrix row or "") -> [(what, where)]
        self.by_row: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for question in roles.of("overall_satisfaction"):
            self.by_key.setdefault(question, []).append((self.OVERALL, 0))
        for question in roles.of("recommend"):
            self.by_key.setdefault(question, []).append((self.RECOMMEND, self.NPS_AT))
        for index, name in enumerate(self.dimension_names):
            for row in roles.dimensions[name]:
                self.by_row.setdefault(row, []).append((self.SUM, self.DIMENSIONS_AT + 2 * index))
        for offset, role in ((0, "knowledge_before"), (2, "knowledge_after")):
            for question in roles.of(role):
                self.by_key.setdefault(question, []).append((self.SUM, self.knowledge_at + offset))
        self.distribution_keys = sorted(
            roles.of("overall_satisfaction") | roles.of("recommend")
        ) or ["-"]
        self.keys = sorted(self.by_key.keys() | {key for key, _row in self.by_row}) or ["-"]
        self._actions: dict[tuple[str, str | None], list[tuple[str, int]]] = {}

    def empty(self) -> list[float]:
        return [0.0] * self.size

    def accumulator(self) -> _Accumulator:
        return _Accumulator(sums=self.empty())

    def count(
        self,
        sums: list[float],
        key: str,
        row: str | None,
        score: float | None,
        total: float,
        number: int,
    ) -> None:
        """Add ``number`` answers to question ``key`` (matrix ``row``) whose scores add up
        to ``total``; ``score`` is their one score when the key is in
        ``distribution_keys``."""
        actions = self._actions.get((key, row))
        if actions is None:
            actions = self._actions[key, row] = self.by_key.get(key, []) + self.by_row.get(
                (key, row or ""), []
            )
        for what, where in actions:
            if what == self.SUM:
                sums[where] += total
                sums[where + 1] += number
            elif what == self.OVERALL:
                if score in (1, 2, 3, 4, 5):
                    sums[where + int(score) - 1] += number
            elif score is not None:  # recommend: rated, promoters (9-10), detractors (0-6)
                sums[where] += number
                if score >= 9:
                    sums[where + 1] += number
                elif score <= 6:
                    sums[where + 2] += number

    def result(self, group: _Accumulator, min_group: int) -> EvaluationGroup:
        """The figures of a group; only its number of responses when it is smaller than
        ``min_group`` (suppressed)."""
        names = self.dimension_names
        figures = EvaluationGroup(
            responses=group.responses, invited=group.invited, dimensions=dict.fromkeys(names)
        )
        if group.responses < min_group:
            figures.suppressed = group.responses > 0
            return figures
        sums = group.sums
        scores = [int(n) for n in sums[0:5]]
        answered = sum(scores)
        figures.distribution = {str(v): n for v, n in enumerate(scores, start=1)}
        if answered:
            figures.overall_mean = mean(
                sum(v * n for v, n in enumerate(scores, start=1)) / answered
            )
            figures.top2_share = rate(scores[3] + scores[4], answered)
        rated, promoters, detractors = sums[self.NPS_AT : self.NPS_AT + 3]
        if rated:
            figures.nps = round((promoters - detractors) * 100 / rated, 1)
        for index, name in enumerate(names):
            at = self.DIMENSIONS_AT + 2 * index
            total, number = sums[at : at + 2]
            if number:
                figures.dimensions[name] = mean(total / number)
        before_sum, before_n, after_sum, after_n = sums[self.knowledge_at :]
        if before_n and after_n:
            figures.knowledge_gain = mean(after_sum / after_n - before_sum / before_n)
        return figures


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
