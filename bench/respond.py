"""Respondent path: whole evaluation sessions against the application under gunicorn, and
the same answers stored by a bare Flask + SQLAlchemy app in one POST (bench/bare_app.py).

    .venv/bin/python bench/respond.py [--quick] [--seconds S] [--runs N] [--clients C]

Both run under the production gunicorn settings (4 sync workers each, the same
PostgreSQL database; the application's rate limits in Redis, raised so that one test
machine is not refused). 50 clients (threads, one HTTP connection per request, as a
sync worker serves) drive A then B then A..., each run for a bounded time:

- A: an evaluation session through a personal link, 14 requests: the link, the landing
  page, start, the GET and POST of each of the 4 sections, the review of the answers and
  the final submit from it. Every tenth session sends its final submit twice at once (a
  double click).
- B: one POST of the same 12 answers to the bare app (one INSERT of 12 rows, one commit).

Every response carries the server CPU it cost (the worker plus its PostgreSQL backends)
and the SQL statements it sent (bench/cpu_meter.py). After the runs, the database must
hold exactly one submitted response per completed session and one submission per
response: "lost" counts completed sessions without their response, "doubled" responses
or submissions beyond one per invitation. The last line is (here folded in two)

    respond: section-post cpu ratio X; final-submit p95 ratio Y;
    statements/session N; lost L; doubled D

X: mean server CPU of a section POST over that of a bare POST;
Y: the 95th percentile of the final submit's latency (sessions without a double click,
whose submits are timed apart) over that of the bare POST, both at the same number of
clients (the median over the interleaved pairs of runs, each ratio);
N: the median statements of a whole session. Targets: X <= 2.5, Y <= 2.0, N <= 45,
L = D = 0. `--quick` (2 pairs of 20-second runs) finishes within 4 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from web import create_database, delivered_workshop  # noqa: E402

GUNICORN = Path(sys.executable).with_name("gunicorn")
FLASK = Path(sys.executable).with_name("flask")
ANSWERS = [
    {
        "objectives_met": "4",
        "relevance": "5",
        "content_quality": "4",
        "facilitators": "5",
        "organisation": "4",
        "duration": "about_right",
    },
    {"overall_satisfaction": "4", "recommend": "9"},
    {"knowledge_before": "2", "knowledge_after": "4"},
    {"action_plan": "Brief my unit on PCA risk profiles by March.", "support_needed": "no"},
]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# -- data ---------------------------------------------------------------------------------


def build(url: str, sessions: int) -> tuple[str, list[tuple[int, str]]]:
    """An open evaluation round of a delivered workshop with ``sessions`` participants,
    each invited with a known personal link. Returns the round's slug and the
    (invitation id, token) pairs."""
    from app import create_app
    from app.extensions import db
    from app.journeys.invitations import hash_token
    from app.models import (
        Invitation,
        RoundStatus,
    )
    from app.surveys.rounds import NewRound, create_round
    from app.surveys.versions import latest_versions, sync_definitions
    from app.workplan.members import load_reference_members
    from app.workplan.plan_years import get_or_create_plan_year

    app = create_app({"APP_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url})
    now = datetime.now(UTC)
    with app.app_context():
        session = db.session
        load_reference_members(session)
        sync_definitions(session, [ROOT / "surveys"])
        version = next(
            v for v in latest_versions(session) if v.questionnaire.key == "participant-evaluation"
        )
        year = get_or_create_plan_year(session, "2025-2026")
        activity, people = delivered_workshop(
            session, year, "Regional workshop on post-clearance audit", sessions, "", now
        )
        survey_round = create_round(
            session, NewRound(version=version, activity=activity, opens_on=date(2026, 2, 27))
        )
        survey_round.status = RoundStatus.OPEN
        session.flush()
        tokens = {p.id: secrets.token_urlsafe(32) for p in people}
        session.execute(
            sa.insert(Invitation),
            [
                {
                    "round_id": survey_round.id,
                    "participant_id": p.id,
                    "member_id": p.member_id,
                    "email": p.email,
                    "name": p.name,
                    "token_hash": hash_token(tokens[p.id]),
                    "token_nonce": f"{n:032d}",
                    "created_at": now,
                }
                for n, p in enumerate(people)
            ],
        )
        invitations = session.execute(
            sa.select(Invitation.id, Invitation.participant_id).where(
                Invitation.round_id == survey_round.id
            )
        ).all()
        slug = survey_round.slug
        session.commit()
        db.engine.dispose()
    return slug, [(i.id, tokens[i.participant_id]) for i in invitations]


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "APP_CONFIG": "testing"}
    subprocess.run(
        [str(FLASK), "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    from bare_app import metadata

    metadata.create_all(engine)
    engine.dispose()


# -- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, module: str, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "--config",
                "python:app.ops.gunicorn_conf",
                "--pythonpath",
                f"{ROOT},{ROOT / 'bench'}",
                module,
            ],
            cwd=ROOT,
            env={**env, "BIND": f"127.0.0.1:{port}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn on port {self.port} stopped")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn on port {self.port} did not answer")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


# -- clients ------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    seconds: float
    cpu_us: int
    db_cpu_us: int
    statements: int
    status: int


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)  # invitation ids
    session_statements: list[int] = field(default_factory=list)
    bare_posts: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One browser: a cookie jar and one connection per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response, text, seconds


def _sample(kind: str, response, seconds: float) -> Sample:
    return Sample(
        kind,
        seconds,
        int(response.getheader("X-Bench-CPU-Us") or 0),
        int(response.getheader("X-Bench-DB-CPU-Us") or 0),
        int(response.getheader("X-Bench-Statements") or 0),
        response.status,
    )


def app_session(port: int, slug: str, invitation: tuple[int, str], double: bool, out: Results):
    """One participant's whole evaluation; returns nothing, records into ``out``."""
    client = Client(port)
    samples: list[Sample] = []

    def step(kind: str, method: str, path: str, form=None, expect=(200, 302)):
        response, text, seconds = client.send(method, path, form)
        samples.append(_sample(kind, response, seconds))
        if response.status not in expect:
            raise RuntimeError(f"{kind} {path}: {response.status} {text[-300:]}")
        return response, text

    invitation_id, token = invitation
    step("personal link", "GET", f"/i/{token}", expect=(302,))
    _, page = step("landing", "GET", f"/s/{slug}")
    csrf = CSRF.search(page).group(1)
    step("start", "POST", f"/s/{slug}/start", {"csrf_token": csrf}, expect=(302,))
    for index, answers in enumerate(ANSWERS):
        _, page = step("section GET", "GET", f"/s/{slug}/{index}")
        form = {"csrf_token": CSRF.search(page).group(1), **answers, "action": "next"}
        response, _ = step("section POST", "POST", f"/s/{slug}/{index}", form, (302,))
    # The final submit is made from the review of the answers.
    _, page = step("review", "GET", f"/s/{slug}/review")
    form = {"csrf_token": CSRF.search(page).group(1)}
    if double:
        twin = Client(port)
        twin.cookies = dict(client.cookies)
        thread = threading.Thread(target=twin.send, args=("POST", f"/s/{slug}/review", form))
        thread.start()
    # A double click's submit is timed apart: it waits for its twin's lock by design.
    kind = "double click" if double else "final submit"
    response, _ = step(kind, "POST", f"/s/{slug}/review", form, (302,))
    if double:
        thread.join()
    # A double click's twin may have been first: this request then saw "already submitted".
    with out.lock:
        out.samples.extend(samples)
        if double or response.getheader("Location", "").endswith("/thanks"):
            out.completed.append(invitation_id)
        if not double:
            out.session_statements.append(sum(s.statements for s in samples))


def drive(seconds: float, clients: int, work) -> None:
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=work, args=(deadline,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class Invitations:
    """The invitations not used yet, handed out one at a time to the clients."""

    def __init__(self, invitations: list[tuple[int, str]]) -> None:
        self.left = iter(enumerate(invitations))
        self.lock = threading.Lock()

    def take(self) -> tuple[int, tuple[int, str]] | None:
        with self.lock:
            return next(self.left, None)


def run_app(port: int, slug: str, invitations: Invitations, seconds: float, clients: int):
    out = Results()

    def work(deadline: float) -> None:
        while time.monotonic() < deadline:
            taken = invitations.take()
            if taken is None:
                return
            number, invitation = taken
            try:
                app_session(port, slug, invitation, number % 10 == 9, out)
            except Exception as error:
                with out.lock:
                    out.errors.append(str(error)[:300])

    drive(seconds, clients, work)
    return out


def run_bare(port: int, seconds: float, clients: int, run: int) -> Results:
    out = Results()
    answers = {k: v for section in ANSWERS for k, v in section.items()}

    def work(deadline: float) -> None:
        client = Client(port)
        number = 0
        while time.monotonic() < deadline:
            number += 1
            key = f"{run}-{threading.get_ident()}-{number}"
            response, text, seconds_taken = client.send(
                "POST", "/answers", {"session": key, **answers}
            )
            with out.lock:
                out.samples.append(_sample("bare POST", response, seconds_taken))
                if response.status == 204:
                    out.bare_posts += 1
                else:
                    out.errors.append(f"bare POST: {response.status} {text[:200]}")

    drive(seconds, clients, work)
    return out


# -- figures ------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def of(results: Results, kind: str) -> list[Sample]:
    return [s for s in results.samples if s.kind == kind]


def check_database(url: str, completed: list[int], bare_posts: int) -> tuple[int, int]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        per_invitation = dict(
            connection.execute(
                sa.text(
                    "SELECT i.id, count(DISTINCT r.id) FROM invitations i "
                    "JOIN responses r ON r.id = i.response_id AND r.status = 'submitted' "
                    "JOIN submissions s ON s.response_id = r.id "
                    "WHERE i.submitted_at IS NOT NULL GROUP BY i.id"
                )
            ).all()
        )
        submissions = connection.scalar(sa.text("SELECT count(*) FROM submissions"))
        submitted = connection.scalar(
            sa.text("SELECT count(*) FROM responses WHERE status = 'submitted'")
        )
        bare_rows = connection.scalar(
            sa.text("SELECT count(DISTINCT session_key) FROM bare_answers")
        )
    engine.dispose()
    lost = sum(1 for i in completed if per_invitation.get(i) != 1)
    lost += max(bare_posts - bare_rows, 0)
    doubled = max(submissions - len(per_invitation), 0) + max(submitted - len(per_invitation), 0)
    doubled += sum(n - 1 for n in per_invitation.values() if n > 1)
    return lost, doubled


def summary(label: str, samples: list[Sample]) -> str:
    times = [s.seconds * 1000 for s in samples]
    cpu = [s.cpu_us / 1000 for s in samples]
    db_cpu = [s.db_cpu_us / 1000 for s in samples]
    return (
        f"  {label:<14} {len(samples):>6} requests  cpu mean {statistics.fmean(cpu):6.2f} ms "
        f"(database {statistics.fmean(db_cpu):5.2f})  "
        f"latency p50 {statistics.median(times):7.1f} ms  p95 {p95(times):7.1f} ms  "
        f"statements mean {statistics.fmean(s.statements for s in samples):5.2f}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="pairs of runs (A then B)")
    parser.add_argument("--seconds", type=float, default=40, help="length of each run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="2 pairs of 20-second runs")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--keep", action="store_true", help="keep the database it creates")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.seconds = 2, 20
    return args


def server_env(args: argparse.Namespace, url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "APP_CONFIG": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "INVITATION_KEY": secrets.token_hex(32),
        "WEB_CONCURRENCY": str(args.workers),
        "RATELIMIT_STORAGE_URI": args.redis,
        "RATELIMIT_KEY_PREFIX": f"bench-respond-{os.getpid()}",
        # One machine plays every respondent: the limits stay on (counted in Redis) but
        # high enough that it is not refused.
        "RATELIMIT_PERSONAL_LINK": "1000000 per hour",
        "RATELIMIT_RESPONDENT_POST": "1000000 per hour",
        "RATELIMIT_OPEN_LINK_START": "1000000 per hour",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


@dataclass
class Runs:
    warm: list[Results]  # the warm-up of A, then of B
    app: list[Results]
    bare: list[Results]


def serve_and_drive(args, url: str, slug: str, invitations: list) -> Runs:
    env = server_env(args, url)
    app_server = Server("respond_wsgi:app", free_port(), env)
    bare_server = Server("bare_app:app", free_port(), env)
    runs = Runs([], [], [])
    try:
        app_server.wait()
        bare_server.wait()
        # Warm-up: each worker loads its code, templates and the questionnaire once.
        pool = Invitations(invitations)
        runs.warm.append(run_app(app_server.port, slug, pool, 3, args.clients))
        runs.warm.append(run_bare(bare_server.port, 3, args.clients, 0))
        for run in range(1, args.runs + 1):
            a = run_app(app_server.port, slug, pool, args.seconds, args.clients)
            b = run_bare(bare_server.port, args.seconds, args.clients, run)
            runs.app.append(a)
            runs.bare.append(b)
            print(f"run {run}: A {len(a.completed)} sessions, B {b.bare_posts} posts")
            print(summary("section POST", of(a, "section POST")))
            print(summary("final submit", of(a, "final submit")))
            print(summary("bare POST", of(b, "bare POST")))
    finally:
        app_server.stop()
        bare_server.stop()
    return runs


def report(args, url: str, runs: Runs) -> int:
    """Print the figures and the last line; 1 when a request failed."""
    all_app = Results(samples=[s for r in runs.app for s in r.samples])
    all_bare = Results(samples=[s for r in runs.bare for s in r.samples])
    print(
        f"\n{args.runs} pairs of {args.seconds:.0f}-second runs, {args.clients} clients, "
        f"{args.workers} sync workers each; all runs together:"
    )
    for kind in ("personal link", "landing", "start", "section GET"):
        print(summary(kind, of(all_app, kind)))
    for kind in ("section POST", "final submit", "double click"):
        print(summary(kind, of(all_app, kind)))
    print(summary("bare POST", of(all_bare, "bare POST")))
    cpu_ratios, p95_ratios = [], []
    for a, b in zip(runs.app, runs.bare, strict=True):
        bare = of(b, "bare POST")
        cpu_ratios.append(
            statistics.fmean(s.cpu_us for s in of(a, "section POST"))
            / statistics.fmean(s.cpu_us for s in bare)
        )
        p95_ratios.append(
            p95([s.seconds for s in of(a, "final submit")]) / p95([s.seconds for s in bare])
        )
    print("section-post cpu ratio per pair: " + ", ".join(f"{r:.2f}" for r in cpu_ratios))
    print("final-submit p95 ratio per pair: " + ", ".join(f"{r:.2f}" for r in p95_ratios))
    every = runs.warm + runs.app + runs.bare  # the warm-ups' sessions are checked too
    completed = [i for r in every for i in r.completed]
    lost, doubled = check_database(url, completed, sum(r.bare_posts for r in every))
    errors = [e for r in every for e in r.errors]
    statements = [n for r in runs.app for n in r.session_statements]
    double_clicks = sum(len(of(r, "double click")) for r in runs.app)
    print(
        f"sessions completed {len(completed)}; double-click sessions {double_clicks}; "
        f"errors {len(errors)}"
    )
    for error in errors[:5]:
        print("  error:", error)
    print(
        f"respond: section-post cpu ratio {statistics.median(cpu_ratios):.2f}; "
        f"final-submit p95 ratio {statistics.median(p95_ratios):.2f}; "
        f"statements/session {statistics.median(statements):.0f}; lost {lost}; doubled {doubled}"
    )
    return 1 if errors else 0


def drop_database(server: str, url: str) -> None:
    admin = sa.create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(
            f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[-1]}" WITH (FORCE)'
        )
    admin.dispose()


def main() -> int:
    args = parse_args()
    # Enough invitations for every session the runs can start.
    sessions = max(args.clients * 10, int(args.runs * args.seconds * 30))
    url = create_database(args.server, "respond")
    try:
        print(f"database {url.rsplit('/', 1)[-1]}: migrating, {sessions} invitations")
        migrate(url)
        slug, invitations = build(url, sessions)
        runs = serve_and_drive(args, url, slug, invitations)
        return report(args, url, runs)
    finally:
        if not args.keep:
            drop_database(args.server, url)


if __name__ == "__main__":
    sys.exit(main())
