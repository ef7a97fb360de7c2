"""gunicorn settings of the production profile (`make serve`): `gunicorn --config
python:app.ops.gunicorn_conf wsgi:app`. Every value can be changed from the environment:
BIND, WEB_CONCURRENCY (workers), GUNICORN_TIMEOUT, GUNICORN_MAX_REQUESTS."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# A worker is replaced after this many requests (with jitter, so not all at once): memory
# that a long export grew is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The application is loaded once, in the master, before the workers are forked: a worker
# that replaces one starts in milliseconds instead of importing everything again (about
# 2 s of CPU that the other workers' requests would wait for), and the workers share the
# loaded code's memory. Nothing connects to PostgreSQL or Redis while the app is created,
# so no connection is shared across the fork. New code needs a restart, not a reload (HUP).
preload_app = True
# The app writes its own JSON access lines (one per request, with the request id).
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No control socket in the service user's home (read-only under systemd's ProtectSystem).
control_socket_disable = True

# Each worker writes its metrics to files here and /metrics adds them up (the folder is
# emptied at start: what a previous run counted is not this one's).
made_metrics_folder = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
metrics_folder = Path(
    os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="rocb-metrics-")
)
metrics_folder.mkdir(parents=True, exist_ok=True)
for stale in metrics_folder.glob("*.db"):
    stale.unlink()
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_folder)


def child_exit(server, worker) -> None:
    """A worker that ended stops counting in the live gauges (counters keep its counts)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if made_metrics_folder:
        shutil.rmtree(metrics_folder, ignore_errors=True)


def on_starting(server) -> None:
    """Refuse settings that cannot serve several workers (checked once, in the master)."""
    from app import create_app
    from app.ops.serving import ServingError, check_profile

    application = create_app()
    try:
        check_profile(application.config, server.cfg.workers, "DATABASE_URL" in os.environ)
    except ServingError as error:
        on_exit(server)
        raise SystemExit(f"Refusing to start: {error}") from None
    finally:
        with application.app_context():
            from app.extensions import db

            db.engine.dispose()
