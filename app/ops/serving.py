"""What the production server profile refuses to run with, checked before gunicorn forks
its workers (app/ops/gunicorn_conf.py) so that a wrong setting stops the start with a sentence
instead of a server that half works."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ServingError(RuntimeError):
    pass


def check_profile(config: Mapping[str, Any], workers: int, database_url_set: bool) -> None:
    """Raise ServingError when the settings cannot serve ``workers`` processes safely."""
    if not database_url_set:
        raise ServingError(
            "make serve needs DATABASE_URL (e.g. postgresql://rocb@127.0.0.1/rocb): the "
            "production profile never falls back to the instance's SQLite file."
        )
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    if workers > 1 and uri.startswith("sqlite"):
        raise ServingError(
            f"{workers} workers on SQLite: run the production profile on PostgreSQL "
            "(DATABASE_URL=postgresql://...), or with WEB_CONCURRENCY=1."
        )
    if workers > 1 and str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        raise ServingError(
            f"{workers} workers with RATELIMIT_STORAGE_URI=memory://: each worker would count "
            f"alone and every limit would be {workers} times looser. Point it at Redis "
            "(RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0), or run WEB_CONCURRENCY=1."
        )
