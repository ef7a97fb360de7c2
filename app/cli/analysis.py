"""`flask responses export-analysis`: analysis-ready exports of a round, or of every round
of a questionnaire in a plan year (`app.kpis.analysis_files`)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.common import clock
from app.common.audit import COMMAND_LINE, record
from app.extensions import db
from app.kpis.analysis_files import (
    FORMATS,
    AnalysisExportError,
    export_name,
    file_name,
    round_plan,
    write_export,
    year_plan,
)
from app.kpis.exports import round_about
from app.models import Questionnaire, SurveyRound
from app.workplan.plan_years import PlanYearError, get_plan_year


@click.command("export-analysis")
@with_appcontext
@click.argument("round_id", required=False)
@click.argument("out", type=click.Path(path_type=Path), required=False)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--survey", "key", help="A questionnaire key: export every round of it in --year.")
@click.option("--year", help="The plan year of --survey, e.g. 2025-2026.")
@click.option("--lang", default="en", show_default=True, help="The language of .sav/.dta labels.")
def export_analysis(
    round_id: str | None,
    out: Path | None,
    fmt: str,
    key: str | None,
    year: str | None,
    lang: str,
) -> None:
    """Write an analysis-ready export: ROUND_ID [OUT], or --survey KEY --year YEAR [OUT].

    csv, sav and dta write a zip (responses, repeat entries, codebook); xlsx a workbook.
    OUT is a file, or a folder where the file is named after what and when (default:
    the current folder)."""
    if key:
        if out is not None:
            raise click.UsageError("with --survey, give only OUT (no ROUND_ID)")
        out = Path(round_id) if round_id else None
        plan, target, what = _year_export(key, year)
    else:
        survey_round = _round(round_id)
        plan, target, what = (
            round_plan(db.session, survey_round),
            survey_round,
            round_about(survey_round),
        )
    try:
        plan.in_language(lang)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--lang") from None
    name = export_name(what, clock.utcnow())
    path = _path(out, name, fmt)
    try:
        with path.open("wb") as stream:
            write_export(db.session, plan, fmt, name, stream)
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror}") from None
    record(db.session, COMMAND_LINE, "download.analysis", target, f"{what} as {fmt.upper()}")
    db.session.commit()
    click.echo(f"Wrote {path} ({len(plan.rounds)} round(s), {path.stat().st_size:,} bytes).")


def _round(round_id: str | None) -> SurveyRound:
    if round_id is None:
        raise click.UsageError("give ROUND_ID, or --survey KEY --year YEAR")
    if not round_id.isdigit():
        raise click.BadParameter(
            f"{round_id!r} is not a round id (a whole number)", param_hint="ROUND_ID"
        )
    survey_round = db.session.get(SurveyRound, int(round_id))
    if survey_round is None:
        raise click.ClickException(f"No round {round_id}.")
    return survey_round


def _year_export(key: str, year: str | None):
    if not year:
        raise click.UsageError("--survey needs --year (e.g. --year 2025-2026)")
    try:
        plan_year = get_plan_year(db.session, year)
    except PlanYearError as error:
        raise click.BadParameter(str(error), param_hint="--year") from None
    questionnaire = db.session.query(Questionnaire).filter_by(key=key).one_or_none()
    if questionnaire is None:
        raise click.ClickException(f"No questionnaire {key!r} (see `flask surveys sync`).")
    if plan_year is None:
        raise click.ClickException(f"No plan year {year} is stored.")
    try:
        plan = year_plan(db.session, key, plan_year)
    except AnalysisExportError as error:
        raise click.ClickException(str(error)) from None
    return plan, questionnaire, f"{key}-{plan_year.label}"


def _path(out: Path | None, name: str, fmt: str) -> Path:
    if out is None or out.is_dir():
        return (out or Path()) / file_name(name, fmt)
    return out
