"""The KPI benchmark keeps working: a small synthetic decade on PostgreSQL, where the KPI
service and the benchmark's hand-written SQL must give the same figures, and its last
line gives the ratios."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import fresh_database_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the benchmark runs on PostgreSQL",
)
def test_benchmark_runs_and_agrees_with_hand_written_sql(tmp_path_factory):
    url = fresh_database_url(tmp_path_factory, "bench")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "kpis.py"),
            "--database-url",
            url,
            "--scale",
            "0.01",
            "--years",
            "2",
            "--runs",
            "1",
            "--export",
            "20000",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "same figures as the hand-written query: yes" in out
    assert "API: GET /api/v1/kpis, 3-(f) to 3-(j), computed" in out
    assert re.fullmatch(
        r"kpis: api/hand-written ratio \d+\.\d\d; dashboard/hand-written ratio \d+\.\d\d",
        out.strip().splitlines()[-1],
    )
    assert "CSV       200 responses: peak" in out and "XLSX      200 responses" in out


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the benchmark runs on PostgreSQL",
)
def test_export_benchmark_runs_and_the_download_is_the_python_pivot(tmp_path_factory):
    url = fresh_database_url(tmp_path_factory, "bench_exports")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "exports.py"),
            "--database-url",
            url,
            "--responses",
            "300",
            "--quick",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "300 responses" in out and "the same bytes as the Python pivot's file: yes" in out
    assert re.fullmatch(
        r"export: csv/copy ratio \d+\.\d\d; peak rss \d+ MB", out.strip().splitlines()[-1]
    )


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the benchmark runs on PostgreSQL",
)
def test_pages_benchmark_runs(tmp_path_factory):
    url = fresh_database_url(tmp_path_factory, "bench_pages")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pages.py"), "--database-url", url, "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "round page, 6000 invitations" in result.stdout
    assert re.fullmatch(
        r"pages: round 6000/100 ratio \d+\.\d\d; participants 6000/100 ratio \d+\.\d\d",
        result.stdout.strip().splitlines()[-1],
    )


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the benchmark runs on PostgreSQL",
)
def test_analysis_export_benchmark_runs(tmp_path_factory):
    url = fresh_database_url(tmp_path_factory, "bench_analysis")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "analysis_exports.py"),
            *("--database-url", url, "--responses", "60", "--small", "20"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^\s+60\s+sav\s", result.stdout, re.MULTILINE)
    assert re.fullmatch(
        r"analysis: 60 responses; peak rss csv \d+ MB, sav \d+ MB, dta \d+ MB, xlsx \d+ MB",
        result.stdout.strip().splitlines()[-1],
    )


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the benchmark runs on PostgreSQL",
)
def test_respondent_benchmark_runs_and_loses_nothing():
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "respond.py"),
            "--runs",
            "1",
            "--seconds",
            "3",
            "--clients",
            "6",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"respond: section-post cpu ratio \d+\.\d\d; final-submit p95 ratio \d+\.\d\d; "
        r"statements/session \d+; lost 0; doubled 0",
        last,
    ), result.stdout
    assert int(re.search(r"statements/session (\d+)", last).group(1)) <= 45
