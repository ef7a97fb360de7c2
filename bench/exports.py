"""CSV export benchmark (PostgreSQL): a round's responses downloaded from the staff page
against PostgreSQL's own COPY of the same pivot.

It builds, in a database of its own, one participant-evaluation round answered 50,000
times (the answers drawn within the questionnaire's rules by `app.surveys.synthetic`, as
bench/kpis.py builds its export rounds), then, in a process of its own:

- downloads the round's responses CSV the way a browser does, through the whole
  application (a Flask test client logged in as staff: the request, the access check,
  the audit entry, the streamed response), reading it to the last byte;
- runs the same pivot as ``COPY (...) TO STDOUT WITH (FORMAT csv)`` on a plain connection
  and reads its output, with the same session settings;
- takes turns between the two (the first of each is not timed), prints their medians,
  the peak resident memory of the process (VmHWM), and checks that the download is, byte
  for byte, the file the Python pivot of earlier versions writes.

    .venv/bin/python bench/exports.py            # 50,000 responses, 5 runs
    .venv/bin/python bench/exports.py --quick    # 2 runs (well within 4 minutes)

By default it creates the database ``rocb_bench_exports_<pid>`` on --server and drops it
at the end (--keep keeps it); --database-url measures a database it built before.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.extensions import db  # noqa: E402
from app.models import Activity, Response, SurveyRound  # noqa: E402
from bench.kpis import EXPORT_TITLE, Decade, drop_database, vacuum  # noqa: E402
from bench.web import (  # noqa: E402
    bench_app,
    create_database,
    memory_mb,
    staff_client,
    staff_password,
)

ROUND_YEAR = 2015  # the export round's plan year: 2015-2016


def build(session, responses: int) -> None:
    from app.surveys.versions import sync_definitions
    from app.workplan.members import load_reference_members

    started = time.perf_counter()
    load_reference_members(session)
    sync_definitions(session, [ROOT / "surveys"])
    decade = Decade(session, scale=1.0, years=1)
    decade.members()
    decade.pools()
    decade.export_round(ROUND_YEAR, responses)
    decade.ids.fix_sequences()
    session.commit()
    rows = decade.copier.written
    print(
        f"Built in {time.perf_counter() - started:.0f} s: one round, {rows['responses']} "
        f"responses, {rows['answers']} answer rows.",
        flush=True,
    )


def export_round(session) -> tuple[int, int]:
    """(round id, submitted responses) of the largest export round."""
    return tuple(
        session.execute(
            sa.select(SurveyRound.id, sa.func.count(Response.id))
            .join(Activity, Activity.id == SurveyRound.activity_id)
            .join(Response, Response.round_id == SurveyRound.id)
            .where(Activity.title.like(f"{EXPORT_TITLE}%"))
            .group_by(SurveyRound.id)
            .order_by(sa.func.count(Response.id).desc())
            .limit(1)
        ).one()
    )


def child(url: str, round_id: int, runs: int, check: bool) -> None:
    """In a process of its own: the download and the COPY, taking turns."""
    from app.kpis import exports
    from app.kpis.response_csv import ResponsePivot

    app = bench_app(url)
    client = staff_client(app, os.environ["BENCH_STAFF_PASSWORD"])
    before = memory_mb("VmRSS")
    # The login's password check (scrypt) alone takes some 32 MB at its peak: the peak of
    # the exports is measured from here (Linux: writing 5 to clear_refs resets VmHWM),
    # the process's own peak too.
    process_peak = memory_mb("VmHWM")
    Path("/proc/self/clear_refs").write_text("5")

    def download() -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        response = client.get(f"/manage/rounds/{round_id}/responses.csv", buffered=False)
        if response.status_code != 200:
            raise RuntimeError(f"the download answered {response.status_code}")
        for chunk in response.response:
            data = chunk.encode() if isinstance(chunk, str) else chunk
            digest.update(data)
            size += len(data)
        response.close()
        return size, digest.hexdigest()

    def copy() -> tuple[int, str]:
        with app.app_context():
            survey_round = db.session.get(SurveyRound, round_id)
            statement, params = ResponsePivot.of(survey_round).copy_statement(db.session)
            db.session.connection().exec_driver_sql("SET LOCAL extra_float_digits = 1")
            driver = db.session.connection().connection.driver_connection
            size = 0
            with driver.cursor() as cursor, cursor.copy(statement, params) as data:
                for row in data:
                    size += len(row)
            db.session.rollback()
            db.session.remove()
        return size, ""

    results = {"download": download(), "copy": copy()}
    times: dict[str, list[float]] = {"download": [], "copy": []}
    for _ in range(runs):
        for name, function in (("download", download), ("copy", copy)):
            started = time.perf_counter()
            results[name] = function()
            times[name].append(time.perf_counter() - started)
    peak = memory_mb("VmHWM")
    process_peak = max(process_peak, peak)
    same = None
    if check:
        with app.app_context():
            survey_round = db.session.get(SurveyRound, round_id)
            expected = hashlib.sha256()
            for text in exports.csv_lines(exports.response_rows(db.session, survey_round)):
                expected.update(text.encode())
            same = expected.hexdigest() == results["download"][1]
            db.session.remove()
    print(
        json.dumps(
            {
                "download": statistics.median(times["download"]),
                "copy": statistics.median(times["copy"]),
                "download_all": times["download"],
                "copy_all": times["copy"],
                "bytes": results["download"][0],
                "copy_bytes": results["copy"][0],
                "before_mb": before,
                "peak_mb": peak,
                "process_peak_mb": process_peak,
                "same": same,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 runs")
    parser.add_argument("--no-check", action="store_true", help="skip the byte comparison")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-url", help="a database built by an earlier run (--keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database it creates")
    parser.add_argument("--child", nargs=2, metavar=("ROUND_ID", "RUNS"))
    args = parser.parse_args()
    if args.child:
        child(args.database_url, int(args.child[0]), int(args.child[1]), not args.no_check)
        return 0
    runs = 2 if args.quick else args.runs

    created = args.database_url is None
    url = args.database_url or create_database(args.server, "exports")
    try:
        app = bench_app(url)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            if not db.session.scalar(sa.select(sa.func.count()).select_from(Activity)):
                print(f"Building a round of {args.responses} responses in {db.engine.url.database}")
                build(db.session, args.responses)
                vacuum(url)
            round_id, responses = export_round(db.session)
            password = staff_password(db.session)
            db.session.remove()
            db.engine.dispose()
        command = [sys.executable, __file__, "--child", str(round_id), str(runs)]
        command += ["--database-url", url] + (["--no-check"] if args.no_check else [])
        output = subprocess.run(
            command,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "BENCH_STAFF_PASSWORD": password},
        ).stdout
        figures = json.loads(output.strip().splitlines()[-1])
    finally:
        if created and not args.keep:
            drop_database(args.server, url)
    ratio = figures["download"] / figures["copy"]
    print(f"\nCSV export of round {round_id}: {responses} responses, median of {runs} runs")
    print(f"  download over the application (test client)  {figures['download']:7.2f} s")
    print(f"  COPY of the same pivot                        {figures['copy']:7.2f} s")
    print(f"  every run: download {_seconds(figures['download_all'])}")
    print(f"             COPY     {_seconds(figures['copy_all'])}")
    print(
        f"  {figures['bytes'] / 1e6:.1f} MB downloaded; resident memory of the exporting "
        f"process: {figures['before_mb']:.0f} MB before the exports, "
        f"{figures['peak_mb']:.0f} MB at their peak, {figures['process_peak_mb']:.0f} MB at "
        "the process's peak (its login included)"
    )
    if figures["same"] is not None:
        print(
            "  the same bytes as the Python pivot's file: " + ("yes" if figures["same"] else "NO")
        )
    print(f"export: csv/copy ratio {ratio:.2f}; peak rss {figures['process_peak_mb']:.0f} MB")
    return 0 if figures["same"] is not False else 1


def _seconds(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
