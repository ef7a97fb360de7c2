"""Closed plan years' KPIs, kept in the database until their data changes.

A plan year that ended before today changes rarely (a late follow-up answer, a result
verified, a participant corrected), yet the dashboard shows it on every view as the
"previous year" column. The database counts every change to the rows a year's figures
read, whoever makes it (any app instance or process, a command, SQL typed by hand):
triggers of migrations 0009 and 0010 add to the year's count (`KpiChange`). A report is kept with
the count it was computed at (`KpiCache`) and served while the count has not moved; the
first request after a change computes it again and keeps the new one. The key of a kept
report names its filters, the minimum group size, whether it has the per-activity and
per-item breakdown, and the source of the modules that compute the figures, so that new
KPI code never serves a report of the old.

The open year (and a future one) is always computed: its data changes all the time and
its figures depend on today.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.common import clock
from app.kpis.evaluation import EvaluationGroup
from app.kpis.figures import KpiReport, compute_kpis
from app.kpis.scope import KpiError, KpiFilters
from app.models import KpiCache, KpiChange
from app.workplan.plan_years import get_plan_year

# The modules whose code decides the figures: a change to any of them is a new key.
_FIGURE_MODULES = ("figures.py", "evaluation.py", "needs.py", "rates.py", "scope.py", "cache.py")


def _code_version() -> str:
    digest = hashlib.sha256()
    for name in _FIGURE_MODULES:
        path = Path(__file__).with_name(name)
        digest.update(path.read_bytes() if path.exists() else name.encode())
    return digest.hexdigest()


CODE_VERSION = _code_version()


def year_kpis(
    session: Session,
    year: str,
    filters: KpiFilters | None = None,
    min_group_size: int = 3,
    today: date | None = None,
    breakdown: bool = True,
) -> KpiReport:
    """`compute_kpis`, served from the kept report when the year is closed and its data
    has not changed since. May write (the report it computed): the caller commits."""
    filters = filters or KpiFilters()
    today = today or clock.today()
    plan_year = get_plan_year(session, year)
    if plan_year is None:
        raise KpiError(f"year: no plan stored for {year}")
    if plan_year.ends_on >= today:
        return compute_kpis(session, plan_year, filters, min_group_size, today, breakdown)
    key = cache_key(filters, min_group_size, breakdown)
    kept = session.scalar(
        select(KpiCache.report).where(
            KpiCache.plan_year_id == plan_year.id,
            KpiCache.key == key,
            KpiCache.revision == revision_query(plan_year.id).scalar_subquery(),
        )
    )
    if kept is not None:
        return report_from_json(kept, filters)
    # Read before computing: a change committed meanwhile makes the kept report stale.
    revision = session.scalar(revision_query(plan_year.id)) or 0
    report = compute_kpis(session, plan_year, filters, min_group_size, today, breakdown)
    keep(session, plan_year.id, key, revision, report)
    return report


def revision_query(plan_year_id: int):
    """The year's count of changes: the sum of its rows, which only grows."""
    return select(func.coalesce(func.sum(KpiChange.changes), 0)).where(
        KpiChange.plan_year_id == plan_year_id
    )


def year_revision(session: Session, plan_year_id: int) -> int:
    return int(session.scalar(revision_query(plan_year_id)) or 0)


def cache_key(filters: KpiFilters, min_group_size: int, breakdown: bool) -> str:
    what = {
        "filters": filters.as_dict(),
        "min_group_size": min_group_size,
        "breakdown": breakdown,
        "code": CODE_VERSION,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def keep(session: Session, plan_year_id: int, key: str, revision: int, report: KpiReport) -> None:
    """Store (or replace) the year's report for ``key``, never over one of a later
    revision; on PostgreSQL, fold the year's change rows into one."""
    values = {
        "plan_year_id": plan_year_id,
        "key": key,
        "revision": revision,
        "report": report_to_json(report),
        "computed_at": clock.utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(KpiCache).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[KpiCache.plan_year_id, KpiCache.key],
            set_={name: statement.excluded[name] for name in ("revision", "report", "computed_at")},
            where=KpiCache.revision <= statement.excluded.revision,
        )
    )
    if dialect == "postgresql":
        fold_changes(session, plan_year_id)


def fold_changes(session: Session, plan_year_id: int) -> None:
    """Replace the year's committed change rows by their sum in its row of txid 0, in one
    statement, so a reader sees the same sum before and after (PostgreSQL: one row per
    writing transaction would otherwise pile up)."""
    session.execute(
        text(
            "WITH folded AS (DELETE FROM kpi_changes WHERE plan_year_id = :year AND txid <> 0 "
            "RETURNING changes) "
            "INSERT INTO kpi_changes (plan_year_id, txid, changes) "
            "SELECT :year, 0, sum(changes) FROM folded HAVING count(*) > 0 "
            "ON CONFLICT (plan_year_id, txid) "
            "DO UPDATE SET changes = kpi_changes.changes + excluded.changes"
        ),
        {"year": plan_year_id},
    )


# -- a report as JSON and back ----------------------------------------------------------------


def report_to_json(report: KpiReport) -> dict[str, Any]:
    """Everything of the report but its filters (they are part of the key). Activity ids
    are numbers, which JSON keys are not: the per-activity groups are kept as pairs."""
    return {
        "year": report.year,
        "surveys": report.surveys,
        "activities": report.activities,
        "activity_details": report.activity_details,
        "evaluation": asdict(report.evaluation),
        "evaluation_by_activity": [
            [activity_id, asdict(group)]
            for activity_id, group in report.evaluation_by_activity.items()
        ],
        "evaluation_by_item": {
            code: asdict(group) for code, group in report.evaluation_by_item.items()
        },
        "post_action": report.post_action,
        "tangible": report.tangible,
        "tangible_by_item": report.tangible_by_item,
        "area_labels": report.area_labels,
        "category_labels": report.category_labels,
        "score_labels": report.score_labels,
    }


def report_from_json(data: dict[str, Any], filters: KpiFilters) -> KpiReport:
    return KpiReport(
        year=data["year"],
        filters=filters,
        surveys=data["surveys"],
        activities=data["activities"],
        activity_details=data["activity_details"],
        evaluation=EvaluationGroup(**data["evaluation"]),
        evaluation_by_activity={
            activity_id: EvaluationGroup(**group)
            for activity_id, group in data["evaluation_by_activity"]
        },
        evaluation_by_item={
            code: EvaluationGroup(**group) for code, group in data["evaluation_by_item"].items()
        },
        post_action=data["post_action"],
        tangible=data["tangible"],
        tangible_by_item=data["tangible_by_item"],
        area_labels=data["area_labels"],
        category_labels=data.get("category_labels", {}),
        score_labels=data.get("score_labels", {}),
    )
