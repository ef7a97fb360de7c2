"""Analysis export benchmark (PostgreSQL): time and peak memory of a round's
analysis-ready export in each format, at two sizes.

It builds, in a database of its own, two participant-evaluation rounds answered 5,000 and
50,000 times (the answers drawn by `app.surveys.synthetic`, as bench/exports.py builds
its round), then writes each round's export in each format (csv, sav, dta, xlsx) to a
temporary file, each in a process of its own, and prints the time and the peak resident
memory of that process (VmHWM) over its baseline after start-up.

The CSV is written as the rows are read (memory flat with the number of responses); SPSS
and Stata files are written by pyreadstat from a frame held in memory (memory grows with
the number of responses: the figures say by how much).

    .venv/bin/python bench/analysis_exports.py                # 5,000 and 50,000 responses
    .venv/bin/python bench/analysis_exports.py --responses 300 --small 100   # a quick run

By default it creates the database ``rocb_bench_analysis_<pid>`` on --server and drops it
at the end (--keep keeps it); --database-url measures a database it built before.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.extensions import db  # noqa: E402
from app.models import Activity, Response, SurveyRound  # noqa: E402
from bench.kpis import EXPORT_TITLE, Decade, drop_database, vacuum  # noqa: E402
from bench.web import bench_app, create_database, memory_mb  # noqa: E402

FORMATS = ("csv", "sav", "dta", "xlsx")


def build(session, sizes: list[int]) -> None:
    from app.surveys.versions import sync_definitions
    from app.workplan.members import load_reference_members

    started = time.perf_counter()
    load_reference_members(session)
    sync_definitions(session, [ROOT / "surveys"])
    decade = Decade(session, scale=1.0, years=1)
    decade.members()
    decade.pools()
    for year, responses in zip((2013, 2015), sizes, strict=True):
        decade.export_round(year, responses)
    decade.ids.fix_sequences()
    session.commit()
    rows = decade.copier.written
    print(
        f"Built in {time.perf_counter() - started:.0f} s: {rows['responses']} responses, "
        f"{rows['answers']} answer rows.",
        flush=True,
    )


def rounds(session) -> list[tuple[int, int]]:
    """(round id, submitted responses) of the export rounds, smaller first."""
    return [
        (int(r), int(n))
        for r, n in session.execute(
            sa.select(SurveyRound.id, sa.func.count(Response.id))
            .join(Activity, Activity.id == SurveyRound.activity_id)
            .join(Response, Response.round_id == SurveyRound.id)
            .where(Activity.title.like(f"{EXPORT_TITLE}%"))
            .group_by(SurveyRound.id)
            .order_by(sa.func.count(Response.id))
        )
    ]


def child(url: str, round_id: int, fmt: str) -> None:
    """In a process of its own: one export, its time and its peak memory."""
    from app.kpis.analysis_files import round_plan, write_export

    app = bench_app(url)
    with app.app_context():
        survey_round = db.session.get(SurveyRound, round_id)
        plan = round_plan(db.session, survey_round)
        db.session.execute(sa.select(1))
        before = memory_mb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM from here
        started = time.perf_counter()
        with tempfile.TemporaryFile() as out:
            write_export(db.session, plan, fmt, "bench", out)
            size = out.tell()
        seconds = time.perf_counter() - started
        peak = memory_mb("VmHWM")
        db.session.remove()
    print(json.dumps({"seconds": seconds, "bytes": size, "before_mb": before, "peak_mb": peak}))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-url", help="a database built by an earlier run (--keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database it creates")
    parser.add_argument("--child", nargs=2, metavar=("ROUND_ID", "FORMAT"))
    args = parser.parse_args()
    if args.child:
        child(args.database_url, int(args.child[0]), args.child[1])
        return 0

    created = args.database_url is None
    url = args.database_url or create_database(args.server, "analysis")
    figures: dict[tuple[int, str], dict] = {}
    try:
        app = bench_app(url)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            if not db.session.scalar(sa.select(sa.func.count()).select_from(Activity)):
                print(f"Building rounds of {args.small} and {args.responses} responses")
                build(db.session, [args.small, args.responses])
                vacuum(url)
            measured = rounds(db.session)
            db.session.remove()
            db.engine.dispose()
        for round_id, responses in measured:
            for fmt in FORMATS:
                command = [sys.executable, __file__, "--child", str(round_id), fmt]
                output = subprocess.run(
                    [*command, "--database-url", url], check=True, capture_output=True, text=True
                ).stdout
                figures[(responses, fmt)] = json.loads(output.strip().splitlines()[-1])
    finally:
        if created and not args.keep:
            drop_database(args.server, url)
    print("\nAnalysis export of one participant-evaluation round, each in its own process")
    print(f"  {'responses':>9} {'format':>6} {'seconds':>8} {'MB written':>10} {'peak MB':>8}")
    for (responses, fmt), f in figures.items():
        growth = f["peak_mb"] - f["before_mb"]
        print(
            f"  {responses:>9} {fmt:>6} {f['seconds']:>8.2f} {f['bytes'] / 1e6:>10.1f} "
            f"{f['peak_mb']:>8.0f} (+{growth:.0f} over {f['before_mb']:.0f} at start)"
        )
    largest = max(responses for responses, _ in figures)
    peaks = ", ".join(f"{fmt} {figures[(largest, fmt)]['peak_mb']:.0f} MB" for fmt in FORMATS)
    print(f"analysis: {largest} responses; peak rss {peaks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
