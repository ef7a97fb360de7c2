"""The production profile refuses what cannot serve several workers, before any starts."""

from __future__ import annotations

import os
import secrets
import subprocess

import pytest

from app.ops.serving import ServingError, check_profile
from tests.servers import GUNICORN, ROOT

POSTGRES = "postgresql+psycopg://rocb@127.0.0.1/rocb"
REDIS = "redis://127.0.0.1:6379/0"


def _config(database: str = POSTGRES, limits: str = REDIS) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": database, "RATELIMIT_STORAGE_URI": limits}


def test_the_profile_rules():
    check_profile(_config(), workers=4, database_url_set=True)
    check_profile(_config("sqlite:////srv/rocb.sqlite3", "memory://"), 1, True)
    with pytest.raises(ServingError, match="needs DATABASE_URL"):
        check_profile(_config(), workers=1, database_url_set=False)
    with pytest.raises(ServingError, match="4 workers on SQLite"):
        check_profile(_config("sqlite:////srv/rocb.sqlite3"), 4, True)
    with pytest.raises(ServingError, match="each worker would count alone"):
        check_profile(_config(limits="memory://"), 3, True)


@pytest.mark.parametrize(
    ("database", "limits", "says"),
    [
        ("sqlite:////tmp/rocb-refused.sqlite3", REDIS, "2 workers on SQLite"),
        ("postgresql://postgres@127.0.0.1:5432/unused", "memory://", "memory://"),
    ],
)
def test_gunicorn_refuses_to_start_with_them(database, limits, says, tmp_path):
    env = {
        **os.environ,
        "APP_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database,
        "RATELIMIT_STORAGE_URI": limits,
        "WEB_CONCURRENCY": "2",
        "BIND": "127.0.0.1:0",
        "INSTANCE_PATH": str(tmp_path),
    }
    result = subprocess.run(
        [str(GUNICORN), "--config", "python:app.ops.gunicorn_conf", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr + result.stdout and says in result.stderr
