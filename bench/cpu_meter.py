"""Per-request server cost, for the respondent benchmark (bench/respond.py).

Wrapped around a WSGI app inside a gunicorn worker (sync workers: one request at a time
per process), it adds two headers to every response:

- ``X-Bench-CPU-Us``: CPU time the request cost, in microseconds: the worker process
  (``time.process_time``) plus the PostgreSQL backends of this worker's connections (their
  on-CPU time from ``/proc/<pid>/schedstat``, in nanoseconds; the benchmark runs on the
  database's machine);
- ``X-Bench-DB-CPU-Us``: the PostgreSQL part of it;
- ``X-Bench-Statements``: SQL statements the request sent (savepoints excluded).

The time after the headers are sent (closing the session, returning the connection) is
not counted, for either app.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

_backends: set[int] = set()  # PostgreSQL backend pids of this process's connections
_statements = [0]


@event.listens_for(Pool, "connect")
def _remember_backend(dbapi_connection, connection_record) -> None:
    pid = getattr(getattr(dbapi_connection, "info", None), "backend_pid", None)
    if pid:
        _backends.add(int(pid))


@event.listens_for(Engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany) -> None:
    if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
        _statements[0] += 1


def _backend_seconds() -> float:
    total = 0
    for pid in list(_backends):
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            _backends.discard(pid)  # that connection was closed
    return total / 1e9


class CpuMeter:
    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        app_started, db_started = time.process_time(), _backend_seconds()
        _statements[0] = 0

        def measured_start(status, headers, exc_info=None):
            app_spent = time.process_time() - app_started
            db_spent = _backend_seconds() - db_started
            headers.append(("X-Bench-CPU-Us", str(round((app_spent + db_spent) * 1e6))))
            headers.append(("X-Bench-DB-CPU-Us", str(round(db_spent * 1e6))))
            headers.append(("X-Bench-Statements", str(_statements[0])))
            return start_response(status, headers, exc_info)

        return self.app(environ, measured_start)
