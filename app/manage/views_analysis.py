"""Staff downloads of analysis-ready exports: one round, or every round of a
questionnaire in a plan year, as CSV, SPSS or Stata (each a zip with the codebook) or
XLSX. Every download is in the audit trail."""

from __future__ import annotations

from flask import Response, abort, request

from app.common import clock
from app.extensions import db
from app.kpis.analysis import AnalysisPlan
from app.kpis.analysis_files import (
    AnalysisExportError,
    export_file,
    export_name,
    file_name,
    round_plan,
    year_plan,
)
from app.kpis.exports import file_chunks, round_about
from app.manage.blueprint import bp
from app.models import Questionnaire
from app.web.audit import audit
from app.web.lookups import round_or_404
from app.workplan.plan_years import PlanYearError, get_plan_year

FORMATS = "any(csv, sav, dta, xlsx)"
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}


@bp.route(f"/rounds/<int:round_id>/analysis.<{FORMATS}:fmt>")
def round_analysis_export(round_id: int, fmt: str):
    survey_round = round_or_404(round_id)
    plan = _in_language(round_plan(db.session, survey_round))
    name = export_name(round_about(survey_round), clock.utcnow())
    audit("download.analysis", survey_round, f"round {round_id} as {fmt.upper()}{_lang(plan)}")
    db.session.commit()
    return _download(export_file(db.session, plan, fmt, name), name, fmt)


@bp.route(f"/surveys/<key>/<year>/analysis.<{FORMATS}:fmt>")
def survey_year_analysis_export(key: str, year: str, fmt: str):
    questionnaire = db.session.query(Questionnaire).filter_by(key=key).one_or_none()
    try:
        plan_year = get_plan_year(db.session, year)
    except PlanYearError as error:
        abort(400, f"Plan year {year!r}: {error}.")
    if questionnaire is None or plan_year is None:
        abort(404)
    try:
        plan = year_plan(db.session, key, plan_year)
    except AnalysisExportError as error:
        abort(404, str(error))
    _in_language(plan)
    name = export_name(f"{key}-{plan_year.label}", clock.utcnow())
    audit(
        "download.analysis",
        questionnaire,
        f"{key} {plan_year.label} ({len(plan.rounds)} rounds) as {fmt.upper()}{_lang(plan)}",
    )
    db.session.commit()
    return _download(export_file(db.session, plan, fmt, name), name, fmt)


def _in_language(plan: AnalysisPlan) -> AnalysisPlan:
    """The labels of .sav and .dta files in ``?lang=`` (default English); 400 for a
    language the questionnaire does not use."""
    try:
        return plan.in_language(request.args.get("lang") or "en")
    except ValueError as error:
        abort(400, f"Parameter lang: {error}.")


def _lang(plan: AnalysisPlan) -> str:
    return "" if plan.lang == "en" else f", labels in {plan.lang}"


def _download(handle, name: str, fmt: str) -> Response:
    return Response(
        file_chunks(handle),
        mimetype=MIMETYPES["xlsx" if fmt == "xlsx" else "zip"],
        headers={"Content-Disposition": f"attachment; filename={file_name(name, fmt)}"},
    )
