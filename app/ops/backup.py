"""A consistent copy of the database while the application runs: SQLite through its
online backup API, PostgreSQL through `pg_dump --format=custom` (restored with
`pg_restore`; docs/operations.md has both ways back)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL


class BackupError(RuntimeError):
    pass


def back_up(url: URL, destination: Path) -> None:
    """Write a backup of the database at ``url`` to ``destination`` (a new file)."""
    if destination.exists():
        raise BackupError(f"{destination} exists already: choose a new file name.")
    if not destination.parent.is_dir():
        raise BackupError(f"{destination.parent} is not a folder.")
    if url.get_backend_name() == "sqlite":
        _sqlite(url, destination)
    elif url.get_backend_name() == "postgresql":
        _postgresql(url, destination)
    else:
        raise BackupError(f"No backup for a {url.get_backend_name()} database.")


def _sqlite(url: URL, destination: Path) -> None:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database has nothing to back up.")
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    target = sqlite3.connect(destination)
    try:
        with target:
            source.backup(target)  # page by page, consistent even while others write
    finally:
        source.close()
        target.close()


def _postgresql(url: URL, destination: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # never on the command line, where ps shows it
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", "--file", str(destination), "--dbname", libpq],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        destination.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[-1000:]}")
