"""The records behind a dashboard figure (drill-down). Each function selects what a figure
of `figures.py`, `evaluation.py` or `needs.py` counts, from the same conditions, narrowed
by the bar, row or cell a person followed: the list it opens shows as many records as the
figure says.

The narrowing comes as query parameters beside the dashboard's own filters (``member``,
``subregion``, ``item``, ``kind``, ``modality``):

- activities: ``host_subregion`` (a host Member of that sub-region), ``pillar`` (serves an
  item of that pillar), ``serves`` (serves the item of that code), ``sie`` (a Small Island
  Economy among the hosts), ``modality=not_set``;
- rounds: ``figure`` (``surveys``: the rounds of 3-(f); ``evaluation``: the evaluation
  rounds of 3-(h)) and ``round_kind``;
- tangible results: ``status``, ``category``, ``serves``;
- participants: ``gender`` (the women of the women's share), or the Members reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, exists, func, select

from app.kpis.evaluation import evaluation_rounds
from app.kpis.figures import results_in_scope, round_conditions, round_counts
from app.kpis.scope import KpiError, KpiFilters, Scope
from app.models import (
    Activity,
    Attendance,
    Gender,
    Member,
    Participant,
    QuestionnaireKind,
    ResultStatus,
    SubRegion,
    SurveyRound,
    TangibleResult,
    WorkPlanItem,
    activity_items,
    activity_members,
)

NO_MODALITY = "not_set"  # the "Not set" bar of the delivered activities by modality
ROUND_FIGURES = ("surveys", "evaluation")


def _text(values, name: str) -> str:
    return (values.get(name) or "").strip()


def drill_filters(values) -> KpiFilters:
    """The dashboard's filters from query-string values (``modality=not_set`` is a
    breakdown, not a filter); a KpiError names a value that is not valid."""
    if _text(values, "modality") == NO_MODALITY:
        values = {k: v for k, v in values.items() if k != "modality"}
    return KpiFilters.parse(values)


@dataclass(frozen=True)
class ActivityBreakdown:
    """The bar or row of the delivered activities a link comes from."""

    host_subregion: SubRegion | None = None
    pillar: int | None = None
    serves: str | None = None  # a work-plan item code
    small_islands: bool = False
    no_modality: bool = False

    @classmethod
    def parse(cls, values) -> ActivityBreakdown:
        subregion = _text(values, "host_subregion")
        pillar = _text(values, "pillar")
        try:
            host = SubRegion(subregion) if subregion else None
        except ValueError:
            raise KpiError(
                f"host_subregion: {subregion!r} is not one of "
                f"{', '.join(s.value for s in SubRegion)}"
            ) from None
        if pillar and not (pillar.isdigit() and len(pillar) < 3):
            raise KpiError(f"pillar: {pillar!r} is not a pillar number")
        return cls(
            host_subregion=host,
            pillar=int(pillar) if pillar else None,
            serves=_text(values, "serves")[:20] or None,
            small_islands=_text(values, "sie") in ("1", "yes", "on"),
            no_modality=_text(values, "modality") == NO_MODALITY,
        )


def counted_activity_ids(scope: Scope, breakdown: ActivityBreakdown) -> Select:
    """The delivered capacity-building activities of 3-(g) (`Scope.delivered_cb_ids`, as
    the dashboard counts them), narrowed to one bar or row of their breakdowns."""
    query = scope.delivered_cb_ids()
    hosts = select(activity_members.c.activity_id).join(
        Member, Member.id == activity_members.c.member_id
    )
    if breakdown.host_subregion is not None:
        query = query.where(
            Activity.id.in_(hosts.where(Member.subregion == breakdown.host_subregion))
        )
    if breakdown.small_islands:
        query = query.where(Activity.id.in_(hosts.where(Member.is_small_island_economy.is_(True))))
    if breakdown.pillar is not None or breakdown.serves:
        served = [
            activity_items.c.activity_id == Activity.id,
            WorkPlanItem.id == activity_items.c.work_plan_item_id,
        ]
        if breakdown.pillar is not None:
            served.append(WorkPlanItem.pillar == breakdown.pillar)
        if breakdown.serves:
            served.append(WorkPlanItem.code == breakdown.serves)
        query = query.where(exists().where(*served))
    if breakdown.no_modality:
        query = query.where(Activity.modality.is_(None))
    return query


@dataclass
class CountedRound:
    round: SurveyRound
    invited: int
    answered: int
    responses: int


def counted_rounds(
    scope: Scope, figure: str, kind: QuestionnaireKind | None = None
) -> list[CountedRound]:
    """The rounds a figure counts, each with its invitations, the invitations answered
    and its submitted responses as the figure counts them (under a Member filter: that
    Member's). ``figure`` is ``surveys`` (3-(f)) or ``evaluation`` (3-(h)); ``kind``
    keeps the rounds of one questionnaire kind. One statement."""
    if figure not in ROUND_FIGURES:
        raise KpiError(f"figure: {figure!r} is not one of {', '.join(ROUND_FIGURES)}")
    conditions = round_conditions(scope) if figure == "surveys" else evaluation_rounds(scope)
    if kind is not None:
        conditions = [*conditions, SurveyRound.kind == kind]
    invited, answered, responses = round_counts(scope)
    rows = scope.session.execute(
        select(SurveyRound, invited, answered, responses)
        .where(*conditions)
        .order_by(SurveyRound.opens_on.desc(), SurveyRound.id.desc())
    )
    return [
        CountedRound(survey_round, int(i or 0), int(a or 0), int(r or 0))
        for survey_round, i, a, r in rows
    ]


# The category of results that gave none (a history import, an older questionnaire).
NO_CATEGORY = "none"


def counted_result_conditions(
    scope: Scope,
    status: ResultStatus | None = None,
    category: str | None = None,
    serves: str | None = None,
) -> list:
    """Conditions on TangibleResult for the results 3-(j) counts (`results_in_scope`),
    of one status, category, or work-plan item of their activity if asked."""
    conditions = results_in_scope(scope)
    if status is not None:
        conditions.append(TangibleResult.status == status)
    if category:
        conditions.append(TangibleResult.category == ("" if category == NO_CATEGORY else category))
    if serves:
        conditions.append(
            TangibleResult.activity_id.in_(
                select(activity_items.c.activity_id)
                .join(WorkPlanItem, WorkPlanItem.id == activity_items.c.work_plan_item_id)
                .where(WorkPlanItem.code == serves)
            )
        )
    return conditions


def _attended(scope: Scope):
    """Each person who attended a delivered CB activity in scope, with how many of them,
    within the Member filter (as `figures.activity_kpis` counts participants)."""
    attended = (
        select(Attendance.participant_id, func.count().label("activities"))
        .where(Attendance.activity_id.in_(scope.delivered_cb_ids()))
        .group_by(Attendance.participant_id)
        .subquery()
    )
    return attended, [scope.member_condition(Participant.member_id)]


def counted_participants(
    scope: Scope, gender: Gender | None = None, page: int = 1, per_page: int = 200
) -> tuple[list, int]:
    """A page of the participants 3-(g) counts (each person once), of one gender if
    asked: rows of (participant, Member, activities attended), by Member and name; and
    how many there are."""
    attended, conditions = _attended(scope)
    if gender is not None:
        conditions.append(Participant.gender == gender)
    query = (
        select(Participant, Member, attended.c.activities)
        .join(attended, attended.c.participant_id == Participant.id)
        .join(Member, Member.id == Participant.member_id)
        .where(*conditions)
    )
    total = scope.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = scope.session.execute(
        query.order_by(Member.name, Participant.name, Participant.id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def counted_members(scope: Scope) -> list:
    """The Members reached (3-(g)): rows of (code, name, participants, women, gender
    known) for each Member whose people attended a delivered CB activity in scope."""
    attended, conditions = _attended(scope)
    return list(
        scope.session.execute(
            select(
                Member.code,
                Member.name,
                func.count(),
                func.count(case((Participant.gender == Gender.FEMALE, 1))),
                func.count(case((Participant.gender != Gender.UNDISCLOSED, 1))),
            )
            .select_from(Participant)
            .join(attended, attended.c.participant_id == Participant.id)
            .join(Member, Member.id == Participant.member_id)
            .where(*conditions)
            .group_by(Member.code, Member.name)
            .order_by(Member.name)
        )
    )
