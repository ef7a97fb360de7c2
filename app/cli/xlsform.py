"""`flask surveys export-xlsform` and `flask surveys import-xlsform`: questionnaires in and
out as XLSForm (ODK, KoboToolbox, SurveyCTO)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from app.cli.commands import surveys_cli
from app.extensions import db
from app.surveys.rounds import picker_options
from app.surveys.versions import find_version, list_questionnaires
from app.surveys.xlsform_export import xlsform_bytes
from app.surveys.xlsform_import import import_xlsform
from app.surveys.xlsform_yaml import ImportTargetError, save_definition_file
from app.workplan.plan_years import list_plan_years


@surveys_cli.command("export-xlsform")
@click.argument("key")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option(
    "--year", help="Plan year whose activities and items fill the pickers (default: the newest)."
)
def export_xlsform(key: str, out: Path, number: int | None, year: str | None) -> None:
    """Write version N (default: the latest) of questionnaire KEY as an XLSForm to OUT."""
    questionnaire = next((q for q in list_questionnaires(db.session) if q.key == key), None)
    if questionnaire is None:
        known = ", ".join(q.key for q in list_questionnaires(db.session)) or "none: run sync"
        raise click.ClickException(f"No questionnaire {key!r} (stored: {known}).")
    version = find_version(db.session, key, number) if number else questionnaire.latest
    if version is None:
        raise click.ClickException(f"{key} has no version {number}.")
    years = list_plan_years(db.session)
    plan_year = (
        next((y for y in years if y.label == year), None) if year else next(iter(years), None)
    )
    if year and plan_year is None:
        raise click.ClickException(f"No plan year {year}.")
    data = xlsform_bytes(version.definition, version.number, picker_options(db.session, plan_year))
    try:
        out.write_bytes(data)
    except OSError as error:
        raise click.ClickException(f"{out}: {error.strerror}") from None
    click.echo(f"Written {out}: {key} v{version.number} as XLSForm ({len(data):,} bytes).")


@surveys_cli.command("import-xlsform")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", help="Questionnaire key (default: the form_id of the settings sheet).")
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the questionnaire file in (default: surveys/).",
)
@click.option("--overwrite", is_flag=True, help="Replace a file of the same name.")
def import_xlsform_command(
    source: Path, key: str | None, into: Path | None, overwrite: bool
) -> None:
    """Write the XLSForm SOURCE as a questionnaire file (then: surveys validate, sync).
    Nothing is written if any part of the form cannot be taken."""
    try:
        with source.open("rb") as stream:
            result = import_xlsform(stream, source.name, key)
    except OSError as error:
        raise click.ClickException(f"{source}: {error.strerror}") from None
    for notice in result.notices:
        click.echo(f"note    {source.name}: {notice}")
    if not result.ok:
        for problem in result.problems:
            click.echo(f"error   {source.name}: {problem}")
        raise click.ClickException(f"{len(result.problems)} problem(s); nothing was written")
    folder = into or Path(current_app.config["SURVEYS_DIR"])
    assert result.key and result.yaml_text
    try:
        target = save_definition_file(result.key, result.yaml_text, folder, source.name, overwrite)
    except ImportTargetError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Written {target} ({result.key}); check it with: flask surveys validate {target}")
