"""Back up, lose the database, restore into a fresh one: the KPIs, the responses and the
personal links are as they were (the way docs/operations.md says, on the suite's database
kind: SQLite's backup API, or pg_dump and pg_restore)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.kpis.figures import compute_kpis
from app.kpis.scope import KpiFilters
from app.models import Response, ResponseStatus
from app.workplan.members import load_reference_members
from tests import factories
from tests.conftest import fresh_database_url
from tests.journey import answer_evaluation, make_journey, open_link
from tests.kpi_world import TODAY, build


def _app(url: str):
    return create_app(
        {"APP_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url, "SERVER_NAME": "localhost"}
    )


def _state(app) -> dict:
    """What must survive: the year's KPI JSON and the responses by status."""
    with app.app_context():
        kpis = compute_kpis(db.session, "2025-2026", KpiFilters(), 3, TODAY).as_api()
        statuses = db.session.execute(
            sa.select(Response.status, sa.func.count()).group_by(Response.status)
        ).all()
        db.session.remove()
        return {"kpis": json.dumps(kpis, sort_keys=True), "responses": dict(statuses)}


def _drop(url: str) -> None:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink()
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{parsed.database}" WITH (FORCE)')
    admin.dispose()


def _restore(backup: Path, url: str, tmp_path: Path) -> str:
    """The restore commands of docs/operations.md, into a new database; its URL."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        restored = tmp_path / "restored.sqlite3"
        shutil.copyfile(backup, restored)
        return f"sqlite:///{restored}"
    name = f"{parsed.database}_restored"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    target = parsed.set(database=name, drivername="postgresql")
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            target.render_as_string(hide_password=False),
            str(backup),
        ],
        check=True,
        capture_output=True,
    )
    return parsed.set(database=name).render_as_string(hide_password=False)


def test_a_backup_restored_into_a_fresh_database_works_as_before(tmp_path_factory, tmp_path):
    from flask_migrate import upgrade

    url = fresh_database_url(tmp_path_factory, "backup")
    app = _app(url)
    with app.app_context():
        upgrade()
        load_reference_members(db.session)
        factories.use_session(db.session)
        try:
            build(db.session)  # a year of activities, rounds and answers
            journey = make_journey(db.session, app)  # a workshop with personal links
        finally:
            factories.use_session(None)
        journey.dispatch()
        links = {p: journey.link_for(f"{p}@customs.gov.np") for p in ("ana", "bo")}
        slug = journey.delivery.evaluation.slug
        db.session.remove()
    ana = app.test_client()
    open_link(ana, links["ana"])
    answer_evaluation(ana, slug)
    before = _state(app)
    assert before["responses"][ResponseStatus.SUBMITTED] > 1

    backup = tmp_path / "rocb.backup"
    result = app.test_cli_runner().invoke(args=["backup", "create", str(backup)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output and backup.stat().st_size > 0
    again = app.test_cli_runner().invoke(args=["backup", "create", str(backup)])
    assert again.exit_code == 1 and "exists already" in again.output
    with app.app_context():
        db.engine.dispose()
    _drop(url)

    restored = _app(_restore(backup, url, tmp_path))
    try:
        assert _state(restored) == before
        # Bo's link still opens his survey; Ana's says she has answered.
        bo = restored.test_client()
        assert open_link(bo, links["bo"]).location == f"/s/{slug}"
        answered = restored.test_client().get("/i/" + links["ana"].rsplit("/i/", 1)[1])
        assert answered.status_code == 200 and "already" in answered.get_data(as_text=True)
    finally:
        with restored.app_context():
            url_restored = str(db.engine.url.render_as_string(hide_password=False))
            db.engine.dispose()
        if not url_restored.startswith("sqlite"):
            _drop(url_restored)


def test_a_backup_is_refused_where_it_cannot_be_written(app, runner, tmp_path):
    missing = tmp_path / "no-such-folder" / "rocb.backup"
    result = runner.invoke(args=["backup", "create", str(missing)])
    assert result.exit_code == 1 and "is not a folder" in result.output


@pytest.fixture(autouse=True)
def _no_factories_left():
    yield
    factories.use_session(None)
