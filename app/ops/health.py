"""/healthz: the process answers. /readyz: it can serve: the database answers, its schema
is at the migrations' head, and the dispatch ran well recently (READY_DISPATCH_MAX_AGE_MINUTES;
0 leaves that out). /metrics: see app/ops/metrics.py."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from app.common import clock
from app.common.clock import aware
from app.extensions import db
from app.models import DispatchRun
from app.ops.metrics import metrics_response

bp = Blueprint("ops", __name__)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@cache
def migrations_head() -> str:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


def readiness() -> dict[str, str]:
    """Each check's problem, by name; empty when ready."""
    problems: dict[str, str] = {}
    try:
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as error:
        db.session.rollback()
        return {"database": f"not reachable or not set up: {type(error).__name__}"}
    if version != migrations_head():
        problems["migrations"] = f"the schema is at {version}, the code at {migrations_head()}"
    max_age = int(current_app.config["READY_DISPATCH_MAX_AGE_MINUTES"])
    if max_age > 0:
        last = db.session.scalar(
            select(func.max(DispatchRun.finished_at)).where(DispatchRun.outcome == "ok")
        )
        if last is None:
            problems["dispatch"] = "the dispatch has not run yet"
        elif clock.utcnow() - aware(last) > timedelta(minutes=max_age):
            problems["dispatch"] = (
                f"the last good dispatch run ended at {aware(last):%Y-%m-%d %H:%M} UTC"
            )
    return problems


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    problems = readiness()
    if problems:
        return jsonify({"status": "not ready", "problems": problems}), 503
    return {"status": "ready"}


@bp.route("/metrics")
def metrics():
    return metrics_response(db.session, clock.utcnow())
