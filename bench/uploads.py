"""Hostile participant lists: how long each takes to be refused (or read) and how much the
process grows meanwhile. Targets (issue "Trust boundaries"): under 1 second and under
20 MB for each file.

Each file is written to disk first and read by a process of its own through the same
function the import page uses (`read_participant_file` with the page's row limit), from
an open file, as an upload arrives. Its growth is the peak resident memory (VmHWM) after
reading minus the resident memory before.

    .venv/bin/python bench/uploads.py            # every case, with a 1,000,000-row XLSX
    .venv/bin/python bench/uploads.py --quick    # without the 1,000,000-row XLSX

The last line gives each case's time and growth as ratios of the targets (at most 1).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.uploads import (  # noqa: E402
    dimension_bomb,
    long_csv,
    one_long_line,
    sniffer_bomb,
    wide_row,
    zip_bomb,
)

TIME_TARGET = 1.0  # seconds
MEMORY_TARGET = 20.0  # MB
MAX_ROWS = 5000  # PARTICIPANT_IMPORT_MAX_ROWS

CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from app.workplan.participants import ParticipantFileError, read_participant_file

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

with open({path!r}, "rb") as stream:
    before = rss("VmRSS:")
    start = time.perf_counter()
    try:
        outcome = "read %d rows" % len(read_participant_file({name!r}, stream, {rows}))
    except ParticipantFileError as error:
        outcome = "refused: " + str(error)
    seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "growth": rss("VmHWM:") - before, "outcome": outcome}}))
"""


def million_row_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["name", "email", "member", "gender", "position"])
    for n in range(1_000_000):
        sheet.append([f"Person {n}", f"p{n}@customs.example", "FJI", "female", "Officer"])
    workbook.save(path)


def measure(path: Path, name: str) -> dict:
    code = CHILD.format(root=str(ROOT), path=str(path), name=name, rows=MAX_ROWS)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1,000,000-row XLSX")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cases: list[tuple[str, Path]] = []

        def write(label: str, filename: str, data: bytes) -> None:
            path = Path(folder) / filename
            path.write_bytes(data)
            cases.append((label, path))

        write("dimension bomb, A1:XFD3000", "claims.xlsx", dimension_bomb(3000))
        write("dimension bomb, A1:XFD40000", "claims-40000.xlsx", dimension_bomb(40_000))
        write("zip bomb, 1 GB of padding", "zip-bomb.xlsx", zip_bomb(1024))
        write("1,000,000-row CSV", "million.csv", long_csv(1_000_000))
        write("one row storing 2.3M cells", "wide.xlsx", wide_row())
        write("CSV against delimiter guessing", "sniff.csv", sniffer_bomb(1_500_000))
        write("4.9 MB line of empty fields", "commas.csv", one_long_line(4.9))
        if not options.quick:
            started = time.perf_counter()
            path = Path(folder) / "million.xlsx"
            million_row_xlsx(path)
            print(f"(1,000,000-row XLSX written in {time.perf_counter() - started:.0f} s)")
            cases.append(("1,000,000-row XLSX", path))
        ratios = []
        for label, path in cases:
            figures = measure(path, path.name)
            size = path.stat().st_size / 1024 / 1024
            print(
                f"{label:32} {size:7.2f} MB file  {figures['seconds']:6.3f} s  "
                f"+{figures['growth']:5.1f} MB  {figures['outcome'][:70]}"
            )
            ratios.append(
                f"{label}: time {figures['seconds'] / TIME_TARGET:.2f}, "
                f"memory {max(figures['growth'], 0) / MEMORY_TARGET:.2f}"
            )
        print("ratios to the targets (1 s, 20 MB): " + "; ".join(ratios))


if __name__ == "__main__":
    main()
