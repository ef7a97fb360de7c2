"""Finding what a URL names, or answering 404: shared by the blueprints."""

from __future__ import annotations

from flask import abort

from app.common import clock
from app.extensions import db
from app.models import Activity, PlanYear, QuestionnaireVersion, SurveyRound
from app.surveys.rounds import find_round_by_slug
from app.surveys.versions import find_version
from app.workplan.plan_years import current_plan_year, get_plan_year


def activity_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    return activity


def round_or_404(round_id: int) -> SurveyRound:
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        abort(404)
    return survey_round


def round_by_slug_or_404(slug: str) -> SurveyRound:
    survey_round = find_round_by_slug(db.session, slug)
    if survey_round is None:
        abort(404)
    return survey_round


def version_or_404(key: str, number: int) -> QuestionnaireVersion:
    version = find_version(db.session, key, number)
    if version is None:
        abort(404)
    return version


def plan_year_or_404(label: str) -> PlanYear:
    """The stored plan year ``label`` names; 404 for a label that is not a plan year too."""
    try:
        plan_year = get_plan_year(db.session, label)
    except ValueError:  # PlanYearError included: not a plan year at all
        abort(404)
    if plan_year is None:
        abort(404)
    return plan_year


def this_plan_year() -> PlanYear | None:
    """The stored plan year that contains today, else the latest one stored."""
    return current_plan_year(db.session, clock.today())
