"""Big pages benchmark (PostgreSQL): a round's page and an activity's participants page
with 100 rows and with 6,000.

It builds, in a database of its own, two activities (100 and 6,000 participants), an
evaluation round for each with every participant invited (an invitation message each, a
reminder for every other one, a third of them answered), then requests each page through
the whole application (a Flask test client logged in as staff), the pages taking turns,
and prints the median time and the number of SQL statements of each, the first page and
the last. The pages show one page of the list (100 rows), so the time should not grow
with the list.

    .venv/bin/python bench/pages.py              # 15 runs
    .venv/bin/python bench/pages.py --runs 5

By default it creates the database ``rocb_bench_pages_<pid>`` on --server and drops it at
the end (--keep keeps it); --database-url measures a database it built before.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Activity,
    Invitation,
    Message,
    MessageKind,
    MessageStatus,
    RoundStatus,
)
from bench.kpis import drop_database, vacuum  # noqa: E402
from bench.web import (  # noqa: E402
    bench_app,
    create_database,
    delivered_workshop,
    staff_client,
)

SIZES = (100, 6000)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def build(session) -> None:
    from app.journeys.invitations import hash_token
    from app.surveys.rounds import NewRound, create_round
    from app.surveys.versions import latest_versions, sync_definitions
    from app.workplan.members import load_reference_members
    from app.workplan.plan_years import get_or_create_plan_year

    load_reference_members(session)
    sync_definitions(session, [ROOT / "surveys"])
    version = next(
        v for v in latest_versions(session) if v.questionnaire.key == "participant-evaluation"
    )
    year = get_or_create_plan_year(session, "2025-2026")
    for size in SIZES:
        activity, people = delivered_workshop(
            session, year, f"Regional workshop of {size} participants", size, f" of {size}", NOW
        )
        survey_round = create_round(
            session, NewRound(version=version, activity=activity, opens_on=date(2026, 2, 27))
        )
        survey_round.status = RoundStatus.OPEN
        session.flush()
        session.execute(
            sa.insert(Invitation),
            [
                {
                    "round_id": survey_round.id,
                    "participant_id": p.id,
                    "member_id": p.member_id,
                    "email": p.email,
                    "name": p.name,
                    "token_hash": hash_token(f"pages-{size}-{n}"),
                    "token_nonce": f"{n:032d}",
                    "created_at": NOW,
                    "opened_at": NOW if n % 2 == 0 else None,
                    "submitted_at": NOW if n % 3 == 0 else None,
                }
                for n, p in enumerate(people)
            ],
        )
        invitations = session.scalars(
            sa.select(Invitation.id).where(Invitation.round_id == survey_round.id)
        ).all()
        session.execute(
            sa.insert(Message),
            [
                {
                    "kind": kind,
                    "dedupe_key": f"pages-{kind.value}-{invitation}",
                    "round_id": survey_round.id,
                    "invitation_id": invitation,
                    "number": number,
                    "to_email": "participant@customs.example",
                    "subject": "Your evaluation of the workshop",
                    "body_text": "",
                    "body_html": "",
                    "status": MessageStatus.SENT,
                    "created_at": NOW,
                    "sent_at": NOW + timedelta(days=4 * number),
                }
                for invitation in invitations
                for kind, number in [(MessageKind.INVITATION, 0), (MessageKind.REMINDER, 1)]
                if kind is MessageKind.INVITATION or invitation % 2
            ],
        )
    session.commit()


def pages(session) -> dict[str, str]:
    """The pages to time: (what, rows) -> address."""
    from app.models import SurveyRound

    found = {}
    for size in SIZES:
        activity_id, round_id = session.execute(
            sa.select(Activity.id, SurveyRound.id)
            .join(SurveyRound, SurveyRound.activity_id == Activity.id)
            .where(Activity.title == f"Regional workshop of {size} participants")
        ).one()
        last = (size + 99) // 100
        found[f"round page, {size} invitations"] = f"/manage/rounds/{round_id}"
        found[f"round page, {size} invitations, last page"] = (
            f"/manage/rounds/{round_id}?page={last}"
        )
        found[f"participants page, {size} participants"] = (
            f"/manage/activities/{activity_id}/participants"
        )
        found[f"participants page, {size} participants, last page"] = (
            f"/manage/activities/{activity_id}/participants?page={last}"
        )
    return found


def measure(app, addresses: dict[str, str], runs: int) -> dict[str, tuple[float, int]]:
    """Median time and statement count of each page; the pages take turns."""
    client = staff_client(app)
    statements = {"n": 0}

    def count(*_args) -> None:
        statements["n"] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    times: dict[str, list[float]] = {name: [] for name in addresses}
    counts: dict[str, int] = {}
    for run in range(runs + 1):
        for name, address in addresses.items():
            before = statements["n"]
            started = time.perf_counter()
            response = client.get(address)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{address} answered {response.status_code}")
            if run:  # the first turn warms up
                times[name].append(elapsed)
            counts[name] = statements["n"] - before
    sa.event.remove(engine, "before_cursor_execute", count)
    return {name: (statistics.median(times[name]), counts[name]) for name in addresses}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-url", help="a database built by an earlier run (--keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database it creates")
    args = parser.parse_args()
    created = args.database_url is None
    url = args.database_url or create_database(args.server, "pages")
    try:
        app = bench_app(url)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            if not db.session.scalar(sa.select(sa.func.count()).select_from(Activity)):
                started = time.perf_counter()
                build(db.session)
                vacuum(url)
                print(f"Built in {time.perf_counter() - started:.0f} s.")
            addresses = pages(db.session)
            db.session.remove()
        figures = measure(app, addresses, args.runs)
        with app.app_context():
            db.engine.dispose()
    finally:
        if created and not args.keep:
            drop_database(args.server, url)
    print(f"\nPages through the application (test client), median of {args.runs} runs:")
    for name, (seconds, statements) in figures.items():
        print(f"  {name:48} {seconds * 1000:7.1f} ms  {statements:3} SQL statements")
    small, large = SIZES
    ratios = [
        figures[f"round page, {large} invitations"][0]
        / figures[f"round page, {small} invitations"][0],
        figures[f"participants page, {large} participants"][0]
        / figures[f"participants page, {small} participants"][0],
    ]
    print(
        f"pages: round {large}/{small} ratio {ratios[0]:.2f}; "
        f"participants {large}/{small} ratio {ratios[1]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
