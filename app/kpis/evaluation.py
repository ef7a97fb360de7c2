"""Participants' evaluation (KPI 3-(h)): responses and response rate, the 1-5 distribution
of overall satisfaction, its mean and top-2-box share, the Net Promoter Score, the mean of
each dimension and the knowledge gain; for the year, per activity and per work-plan item,
with groups under the minimum size suppressed. Every figure comes from one grouped query
that counts each (question, matrix row, score)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, exists, func, literal, select
from sqlalchemy.orm import Session

from app.kpis.rates import mean, pairs, rate
from app.kpis.scope import Scope
from app.models import (
    Answer,
    Attendance,
    Invitation,
    Participant,
    QuestionnaireKind,
    Response,
    ResponseStatus,
    SurveyRound,
    WorkPlanItem,
    activity_items,
)


@dataclass
class EvaluationGroup:
    """Evaluation figures of a group of responses (all, one activity, one item)."""

    responses: int = 0
    invited: int = 0  # participants of the evaluated activities (the rate's denominator)
    # The rate's numerator: the responses, or under a Member filter the filtered Members'
    # participants who answered (a used personal invitation, anonymous rounds too).
    respondents: int = 0
    distribution: dict[str, int] = field(default_factory=lambda: {str(i): 0 for i in range(1, 6)})
    overall_mean: float | None = None
    top2_share: float | None = None
    nps: float | None = None
    dimensions: dict[str, float | None] = field(default_factory=dict)
    knowledge_gain: float | None = None
    suppressed: bool = False

    @property
    def response_rate(self) -> float | None:
        return rate(self.respondents, self.invited)


def evaluation_rounds(scope: Scope) -> list:
    """Conditions on SurveyRound for the participant-evaluation rounds whose submitted
    responses the year's evaluation figures count: those of the year's activities in
    scope."""
    return [
        SurveyRound.kind == QuestionnaireKind.EVALUATION,
        # An activity's rounds belong to its plan year: this narrows the join early.
        SurveyRound.plan_year_id == scope.plan_year.id,
        SurveyRound.activity_id.in_(scope.activity_ids()),
    ]


def evaluation_kpis(scope: Scope, min_group: int, breakdown: bool = True):
    """Overall and (with ``breakdown``) per activity and per work-plan item. The answers
    are read once, as counts: how many times each score was given to each question (per
    activity when there is a breakdown, in total otherwise). Every figure follows from
    those counts: the scores are whole numbers, so sums and means are exact."""
    session = scope.session
    rounds = select(SurveyRound.id, SurveyRound.activity_id).where(*evaluation_rounds(scope))
    submitted = (
        select(Response.id, SurveyRound.activity_id)
        .join(SurveyRound, SurveyRound.id == Response.round_id)
        .where(Response.round_id.in_(rounds.with_only_columns(SurveyRound.id)))
        .where(Response.status == ResponseStatus.SUBMITTED)
    )
    responses = submitted.where(scope.member_condition(Response.member_id)).subquery()
    # The evaluated activities: at least one submitted response, whoever gave it.
    evaluated = submitted.with_only_columns(SurveyRound.activity_id).distinct()

    def keyed(activity_id):
        """What a query selects and groups by: the activity (breakdown) or one constant
        group (totals only)."""
        return (activity_id, [activity_id]) if breakdown else (literal(None), [])

    # Responses and participants per activity (participants: the rate's denominator).
    group, group_by = keyed(responses.c.activity_id)
    counts = dict.fromkeys(session.scalars(evaluated) if scope.member_ids is not None else [], 0)
    if not breakdown and counts:
        counts = {None: 0}
    counts.update(
        (k, n)
        for k, n in session.execute(
            select(group, func.count()).select_from(responses).group_by(*group_by)
        )
        if n
    )
    group, group_by = keyed(Attendance.activity_id)
    attendance = (
        select(group, func.count())
        .select_from(Attendance)
        .where(Attendance.activity_id.in_(evaluated))
        .group_by(*group_by)
    )
    respondents = dict(counts)
    if scope.member_ids is not None:
        attendance = attendance.join(Participant, Participant.id == Attendance.participant_id)
        attendance = attendance.where(scope.member_condition(Participant.member_id))
        respondents = pairs(session, _answered(attendance, scope.plan_year.id))
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
    sums_of = _score_sums(session, responses, figures, keyed) if any(counts.values()) else {}

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
            group.respondents += respondents.get(activity_id, 0)
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


def _answered(attendance, plan_year_id: int):
    """``attendance`` (the filtered Members' participants of the evaluated activities,
    counted per activity or in total) narrowed to those who answered: their personal
    invitation to an evaluation round of that activity was used to submit a response.
    The invitation says so even in an anonymous round, whose responses keep no Member."""
    return attendance.where(
        exists()
        .where(
            Invitation.participant_id == Attendance.participant_id,
            Invitation.submitted_at.is_not(None),
            SurveyRound.id == Invitation.round_id,
            SurveyRound.activity_id == Attendance.activity_id,
            SurveyRound.kind == QuestionnaireKind.EVALUATION,
            SurveyRound.plan_year_id == plan_year_id,
        )
        .correlate(Attendance)
    )


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
    respondents: int = 0

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
            responses=group.responses,
            invited=group.invited,
            respondents=group.respondents,
            dimensions=dict.fromkeys(names),
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
