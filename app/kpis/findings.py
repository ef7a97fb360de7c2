"""Findings (KPI 3-(i)): what a year's results say planning should react to, and the
actions staff record against them.

Rules (thresholds in the configuration):
- low satisfaction: an activity's mean overall satisfaction is below LOW_SCORE_THRESHOLD
  (only groups of at least MIN_GROUP_SIZE responses);
- low dimension: an activity's mean for one dimension (relevance, content...) is below it;
- uncovered need: a Member rated a thematic area high priority and no activity of the year
  addresses it (see needs coverage);
- barrier: one barrier is reported by at least BARRIER_MIN_REPORTS follow-up respondents
  of the year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from app.common import clock
from app.kpis.figures import KpiReport, compute_kpis
from app.kpis.scope import KpiError, KpiFilters, Scope
from app.models import (
    Activity,
    Answer,
    Finding,
    FindingKind,
    Member,
    PlanningAction,
    QuestionnaireKind,
    QuestionnaireVersion,
    SurveyRound,
    User,
    WorkPlanItem,
)
from app.surveys.model import Definition, text_in
from app.workplan.plan_years import get_plan_year


class ActionError(ValueError):
    pass


@dataclass(frozen=True)
class FindingRules:
    low_score: float = 3.5
    barrier_min_reports: int = 3
    min_group: int = 3

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FindingRules:
        """LOW_SCORE_THRESHOLD, BARRIER_MIN_REPORTS and MIN_GROUP_SIZE."""
        return cls(
            low_score=float(config["LOW_SCORE_THRESHOLD"]),
            barrier_min_reports=int(config["BARRIER_MIN_REPORTS"]),
            min_group=int(config["MIN_GROUP_SIZE"]),
        )


@dataclass
class Refresh:
    created: int = 0
    current: int = 0
    retired: int = 0


def barrier_counts(scope: Scope) -> list[tuple[str, int]]:
    """(barrier value, number of follow-up respondents reporting it) for the year."""
    rows = scope.session.execute(
        scope.answers(
            QuestionnaireKind.FOLLOW_UP,
            "barrier",
            Answer.value_choice,
            func.count(distinct(Answer.response_id)),
        )
        .where(Answer.value_choice.is_not(None))
        .group_by(Answer.value_choice)
        .order_by(Answer.value_choice)
    )
    return [(value, count) for value, count in rows]


def _barrier_labels(session: Session, scope: Scope) -> dict[str, str]:
    labels: dict[str, str] = {"other": "Other"}
    for data in session.scalars(
        select(QuestionnaireVersion.definition).where(
            QuestionnaireVersion.id.in_(
                select(SurveyRound.version_id).where(
                    SurveyRound.plan_year_id == scope.plan_year.id,
                    SurveyRound.kind == QuestionnaireKind.FOLLOW_UP,
                )
            )
        )
    ):
        definition = Definition.from_json(data)
        for question in definition.with_role("barrier"):
            labels.update({c.value: text_in(c.label) for c in question.choices})
    return labels


def refresh_findings(
    session: Session, year: str, rules: FindingRules, today: date | None = None
) -> Refresh:
    """Flag what the rules find now; keep earlier findings (actions may point to them),
    marking those no longer found as not current."""
    report = compute_kpis(session, year, KpiFilters(), rules.min_group, today)
    plan_year = get_plan_year(session, year)
    if plan_year is None:  # compute_kpis has refused an unknown year already
        raise KpiError(f"year: no plan stored for {year}")
    scope = Scope(session, plan_year, KpiFilters(), today or clock.today())
    candidates = {
        **_low_score_findings(session, report, rules, _dimension_labels(scope)),
        **_uncovered_need_findings(session, report, year),
        **_barrier_findings(scope, rules),
    }
    existing = {
        f.key: f
        for f in session.scalars(select(Finding).where(Finding.plan_year_id == plan_year.id))
    }
    result = Refresh()
    for key, fields in candidates.items():
        finding = existing.get(key)
        if finding is None:
            session.add(Finding(plan_year_id=plan_year.id, key=key, **fields))
            result.created += 1
        else:
            finding.summary = fields["summary"]
            finding.current = True
        result.current += 1
    for key, finding in existing.items():
        if key not in candidates and finding.current:
            finding.current = False
            result.retired += 1
    session.flush()
    return result


def _dimension_labels(scope: Scope) -> dict[str, str]:
    """Dimension name -> the statement respondents rated, from the evaluation
    questionnaires the year used ("relevance" -> "The content is relevant to my job.")."""
    labels: dict[str, str] = {}
    for data in scope.session.scalars(
        select(QuestionnaireVersion.definition).where(
            QuestionnaireVersion.id.in_(
                select(SurveyRound.version_id).where(
                    SurveyRound.plan_year_id == scope.plan_year.id,
                    SurveyRound.kind == QuestionnaireKind.EVALUATION,
                )
            )
        )
    ):
        for question in Definition.from_json(data).all_questions():
            if question.kpi and question.kpi.startswith("dimension:"):
                labels.setdefault(question.kpi.split(":", 1)[1], text_in(question.label))
            for row in question.rows:
                kpi = row.get("kpi") or ""
                if kpi.startswith("dimension:"):
                    labels.setdefault(kpi.split(":", 1)[1], text_in(row.get("label")))
    return labels


def _low_score_findings(
    session: Session, report: KpiReport, rules: FindingRules, dimension_labels: dict[str, str]
) -> dict:
    """Activities whose mean satisfaction, or one of whose dimensions, is below the
    threshold (suppressed groups are never judged)."""
    candidates: dict[str, dict] = {}
    low = [(a, g) for a, g in report.evaluation_by_activity.items() if not g.suppressed]
    titles = dict(
        session.execute(
            select(Activity.id, Activity.title).where(Activity.id.in_([a for a, _ in low] or [-1]))
        ).all()
    )
    for activity_id, group in low:
        title = titles.get(activity_id, f"activity {activity_id}")
        if group.overall_mean is not None and group.overall_mean < rules.low_score:
            candidates[f"low_satisfaction:{activity_id}"] = {
                "kind": FindingKind.LOW_SATISFACTION,
                "activity_id": activity_id,
                "summary": f"{title}: mean overall satisfaction {group.overall_mean} "
                f"(below {rules.low_score}, {group.responses} responses)",
            }
        for name, value in sorted(group.dimensions.items()):
            if value is not None and value < rules.low_score:
                statement = dimension_labels.get(name)
                rated = (
                    f"“{statement}” ({name.replace('_', ' ')})"
                    if statement
                    else name.replace("_", " ")
                )
                candidates[f"low_dimension:{activity_id}:{name}"] = {
                    "kind": FindingKind.LOW_DIMENSION,
                    "activity_id": activity_id,
                    "summary": f"{title}: {rated} rated {value} on average "
                    f"(below {rules.low_score})",
                }
    return candidates


def _uncovered_need_findings(session: Session, report: KpiReport, year: str) -> dict:
    members = dict(session.execute(select(Member.code, Member.id)).all())
    names = dict(session.execute(select(Member.code, Member.name)).all())
    candidates: dict[str, dict] = {}
    for need in report.activities["uncovered_needs"]:
        code, area = need["member"], need["area"]
        member = f"{names[code]} ({code})" if code in names else code
        area_label = report.area_labels.get(area) or area.replace("_", " ")
        candidates[f"uncovered_need:{code}:{area}"] = {
            "kind": FindingKind.UNCOVERED_NEED,
            "member_id": members.get(code),
            "summary": f"{member} rates “{area_label}” as a high priority, and no activity "
            f"of {year} addresses it",
        }
    return candidates


def _barrier_findings(scope: Scope, rules: FindingRules) -> dict:
    labels = _barrier_labels(scope.session, scope)
    candidates: dict[str, dict] = {}
    for barrier, reports in barrier_counts(scope):
        if reports >= rules.barrier_min_reports:
            candidates[f"barrier:{barrier}"] = {
                "kind": FindingKind.BARRIER,
                "summary": f"“{labels.get(barrier, barrier)}” is a barrier for {reports} "
                "follow-up respondents",
            }
    return candidates


def add_action(
    session: Session,
    finding: Finding,
    decision: str,
    user: User | None,
    item_code: str | None = None,
    activity_id: int | None = None,
    item_id: int | None = None,
) -> PlanningAction:
    """Record what was decided; it may point to a work-plan item (by id, or by code: the
    latest plan year's item with that code) or an activity."""
    decision = decision.strip()
    if not decision:
        raise ActionError("Write what was decided.")
    item = None
    if item_id is not None:
        item = session.get(WorkPlanItem, item_id)
        if item is None:
            raise ActionError(f"No work-plan item {item_id}.")
    elif item_code:
        item = session.scalar(
            select(WorkPlanItem)
            .where(WorkPlanItem.code == item_code.strip())
            .order_by(WorkPlanItem.plan_year_id.desc())
        )
        if item is None:
            raise ActionError(f"No work-plan item {item_code!r}.")
    if activity_id is not None and session.get(Activity, activity_id) is None:
        raise ActionError(f"No activity {activity_id}.")
    action = PlanningAction(
        finding=finding,
        decision=decision,
        item=item,
        activity_id=activity_id,
        created_by_id=user.id if user else None,
    )
    session.add(action)
    session.flush()
    return action
