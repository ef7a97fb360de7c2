"""`flask members|workplan|demo|surveys|rounds|responses|kpis ...`: thin wrappers over the
domain packages, committing at the end."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.cli.analysis import export_analysis
from app.common import clock
from app.common.audit import COMMAND_LINE, record
from app.common.mail import backend_from_config
from app.common.tables import TableFileError
from app.demo import load_demo
from app.extensions import db
from app.journeys.settings import JourneySettings
from app.kpis.findings import FindingRules, refresh_findings
from app.kpis.scope import KpiError
from app.models import SurveyRound
from app.ops.backup import BackupError, back_up
from app.ops.worker import dispatch_once, run_worker, stop_on_signals
from app.surveys.history_import import import_history
from app.surveys.languages import missing_texts
from app.surveys.versions import sync_definitions, validate_files
from app.workplan.importer import WorkPlanImportError, export_workplan, import_workplan
from app.workplan.members import load_reference_members
from app.workplan.plan_years import PlanYearError, normalise_label

members_cli = AppGroup("members", help="Member administrations.")
workplan_cli = AppGroup("workplan", help="The Annual Work Plan.")
demo_cli = AppGroup("demo", help="Demo data for trying the app.")
surveys_cli = AppGroup("surveys", help="Questionnaire definitions in surveys/.")
rounds_cli = AppGroup("rounds", help="Survey rounds: invitations, reminders, escalations.")
responses_cli = AppGroup("responses", help="Survey responses.")
kpis_cli = AppGroup("kpis", help="KPI roll-ups of the work plan.")
backup_cli = AppGroup("backup", help="Backups of the database.")


@backup_cli.command("create")
@click.argument("path", type=click.Path(path_type=Path))
def backup_create(path: Path) -> None:
    """Write a consistent copy of the database to PATH while the app runs (SQLite: its
    backup API; PostgreSQL: pg_dump's custom format). docs/operations.md: restoring."""
    try:
        back_up(db.session.get_bind().engine.url, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written: {path} ({path.stat().st_size:,} bytes).")


responses_cli.add_command(export_analysis)


@responses_cli.command("import")
@click.argument("round_id", type=int)
@click.argument("path", type=click.Path(path_type=Path))
def responses_import(round_id: int, path: Path) -> None:
    """Load earlier answers into a round from a CSV or XLSX file (all rows or none)."""
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        raise click.ClickException(f"No round {round_id}.")
    try:
        with path.open("rb") as stream:
            result = import_history(db.session, survey_round, path.name, stream, clock.utcnow())
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file.") from None
    except TableFileError as error:
        raise click.ClickException(str(error)) from None
    if result.problems:
        db.session.rollback()
        for problem in result.problems:
            click.echo(f"error   {path.name}: {problem}")
        raise click.ClickException(
            f"{len(result.problems)} problem(s) in {result.rows} rows: nothing was imported"
        )
    record(
        db.session,
        COMMAND_LINE,
        "responses.import",
        survey_round,
        f"{path.name}: {result.imported}",
    )
    db.session.commit()
    click.echo(
        f"Imported {result.imported} responses into round {round_id} ({survey_round.title})."
    )


@kpis_cli.command("findings")
@click.option("--year", required=True)
def kpis_findings(year: str) -> None:
    """Flag the year's findings (low scores, uncovered needs, common barriers)."""
    rules = FindingRules.from_config(current_app.config)
    try:
        result = refresh_findings(db.session, _year(year), rules, clock.today())
    except KpiError as error:
        raise click.ClickException(str(error)) from None
    record(db.session, COMMAND_LINE, "findings.refresh", None, f"{year}: {result.created} new")
    db.session.commit()
    click.echo(
        f"Findings {year}: {result.created} new, {result.current} current, "
        f"{result.retired} no longer found."
    )


@rounds_cli.command("dispatch")
@click.option(
    "--now",
    "now_text",
    help="Act as if it were this time (ISO 8601, UTC); for catching up or trying a schedule.",
)
def rounds_dispatch(now_text: str | None) -> None:
    """Send whatever is due: invitations, reminders, escalations, closing-soon notices.

    Safe to run from cron every few minutes; running it twice, or two at once, sends
    nothing twice. A message the mail server refuses is retried on the next run.
    """
    try:
        now = datetime.fromisoformat(now_text) if now_text else clock.utcnow()
    except ValueError:
        raise click.BadParameter(f"{now_text!r} is not an ISO date-time") from None
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    backend = backend_from_config(current_app.config)
    _run, report = dispatch_once(now, backend)
    if report is None:
        click.echo("Another dispatch run is under way (on this or another instance): nothing done.")
        return
    click.echo(f"Dispatch at {now.isoformat(timespec='minutes')} via {backend.name}:")
    for line in report.lines():
        click.echo(f"  {line}")
    if report.failed:
        raise click.exceptions.Exit(1)


@rounds_cli.command("worker")
@click.option(
    "--every",
    "every_minutes",
    type=click.FloatRange(min=0.1),
    help="Minutes between runs (default: DISPATCH_EVERY_MINUTES).",
)
def rounds_worker(every_minutes: float | None) -> None:
    """Run the dispatch now and every few minutes until stopped (SIGTERM or Ctrl-C end it
    after the current run). Safe on several instances at once; each run is recorded for
    /readyz and the outbox page."""
    every = every_minutes or float(current_app.config["DISPATCH_EVERY_MINUTES"])
    stop = threading.Event()
    stop_on_signals(stop)
    click.echo(f"Dispatch worker: a run every {every:g} minutes; SIGTERM or Ctrl-C stops it.")
    runs = run_worker(every, stop)
    click.echo(f"Dispatch worker stopped after {runs} run(s).")


def _definition_paths(paths: tuple[Path, ...]) -> list[Path]:
    return list(paths) or [Path(current_app.config["SURVEYS_DIR"])]


@surveys_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def surveys_validate(paths: tuple[Path, ...]) -> None:
    """Check definitions (default: every .yaml file in surveys/); store nothing. Also lists,
    per language a file declares, every text missing in it (a round offers a language
    only when its version is complete in it)."""
    loaded = validate_files(_definition_paths(paths))
    errors = [error for item in loaded for error in item.errors]
    for item in loaded:
        if item.ok:
            click.echo(
                f"ok      {item.path} ({item.data['key']}, {len(item.data['sections'])} sections)"
            )
            missing = missing_texts(item.data)
            counts = dict.fromkeys(item.data["languages"], 0)
            for text in missing:
                counts[text.language] += 1
            click.echo(
                "        languages: "
                + ", ".join(
                    f"{lang} complete" if not count else f"{lang} {count} text(s) missing"
                    for lang, count in counts.items()
                )
            )
            for text in missing:
                click.echo(f"missing {item.path}: {text}")
    for error in errors:
        click.echo(f"error   {error}")
    if not loaded:
        raise click.ClickException("no .yaml definition found")
    if errors:
        raise click.ClickException(f"{len(errors)} error(s); nothing was stored")


@surveys_cli.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def surveys_sync(paths: tuple[Path, ...]) -> None:
    """Store each new definition content as the next immutable version."""
    result = sync_definitions(db.session, _definition_paths(paths))
    if not result.ok:
        db.session.rollback()
        for error in result.errors:
            click.echo(f"error   {error}")
        raise click.ClickException(f"{len(result.errors)} error(s); nothing was stored")
    if result.created:
        made = ", ".join(f"{v.questionnaire.key} v{v.number}" for v in result.created)
        record(db.session, COMMAND_LINE, "surveys.sync", None, made)
    db.session.commit()
    for version in result.created:
        click.echo(
            f"new     {version.questionnaire.key} v{version.number} ({version.content_hash[:12]})"
        )
    for version in result.unchanged:
        click.echo(f"same    {version.questionnaire.key} v{version.number}")


def _year(value: str) -> str:
    try:
        return normalise_label(value)
    except PlanYearError as error:
        raise click.BadParameter(str(error)) from None


@members_cli.command("load")
def members_load() -> None:
    """Insert the 35 Members of the region that are missing (safe to run again)."""
    result = load_reference_members(db.session)
    if result.added:
        record(db.session, COMMAND_LINE, "members.load", None, f"{len(result.added)} added")
    db.session.commit()
    click.echo(f"Members: {len(result.added)} added, {len(result.present)} already present.")


@workplan_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--year", required=True, help="Plan year, e.g. 2025-2026.")
@click.option("--quiet", is_flag=True, help="Print the summary without each warning.")
def workplan_import(path: Path, year: str, quiet: bool) -> None:
    """Import the work-plan annex text at PATH (re-importing updates, never duplicates)."""
    label = _year(year)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise click.ClickException(f"{path}: is a directory, not a text file.") from None
    except PermissionError:
        raise click.ClickException(f"{path}: not readable (permission denied).") from None
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"{path}: not UTF-8 text (byte {error.start}); save the extracted text as UTF-8."
        ) from None
    try:
        summary = import_workplan(db.session, text, label)
    except WorkPlanImportError as error:
        db.session.rollback()
        raise click.ClickException(f"{path}: {error}") from None
    record(db.session, COMMAND_LINE, "workplan.import", None, f"{path.name} as {label}")
    db.session.commit()
    for line in summary.lines():
        click.echo(line)
    if not quiet:
        for warning in summary.warnings:
            click.echo(f"  warning: {path.name}: {warning}")


@workplan_cli.command("export")
@click.option("--year", required=True, help="Plan year, e.g. 2025-2026.")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
def workplan_export(year: str, fmt: str) -> None:
    """Print the stored plan of a year."""
    try:
        data = export_workplan(db.session, _year(year))
    except WorkPlanImportError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@demo_cli.command("load")
@click.option("--year", required=True, help="Plan year whose activities get demo data.")
def demo_load(year: str) -> None:
    """Create the demo administrator account (password reset on every run), demo participants and
    the answers their surveys received."""
    config = current_app.config
    if not config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException(
            "Demo data is never loaded into a production database (APP_CONFIG=production): "
            "it adds made-up participants and answers, and resets the demo account's password."
        )
    result = load_demo(
        db.session,
        _year(year),
        config["DEMO_STAFF_EMAIL"],
        config.get("DEMO_STAFF_PASSWORD"),
        settings=JourneySettings.from_config(config),
        today=clock.today(),
    )
    record(
        db.session,
        COMMAND_LINE,
        "demo.load",
        None,
        f"{_year(year)}: {result.participants_added} participants, "
        f"{result.responses_added} responses",
    )
    db.session.commit()
    click.echo(
        f"Demo data: {result.activities_delivered} activities delivered, "
        f"{result.participants_added} participants added, "
        f"{result.responses_added} survey responses added."
    )
    click.echo("")
    click.echo("  Open http://127.0.0.1:5000 and log in as the demo administrator:")
    click.echo(f"    email:    {result.email}")
    click.echo(f"    password: {result.password}")
    if result.contact_point_email:
        click.echo(f"  or as a Member contact point: {result.contact_point_email} (same password)")
    for key, slug in result.round_slugs.items():
        click.echo(f"  {key} round: /s/{slug}")
    click.echo("")


GROUPS = (
    members_cli,
    workplan_cli,
    demo_cli,
    surveys_cli,
    rounds_cli,
    responses_cli,
    kpis_cli,
    backup_cli,
)
