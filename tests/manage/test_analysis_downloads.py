"""Staff downloads of analysis-ready exports (the round page, the surveys page) and
`flask responses export-analysis`: what the files hold, their names, the audit trail,
and the errors a person gets for a wrong round, questionnaire or year."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pyreadstat
import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from app.common import clock
from app.models import AuditEntry
from tests.kpis.analysis_world import (
    THAI,
    all_types_version,
    answered_round,
    make_round,
    respond,
    workshop,
)

MOMENT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture()
def answered(session):
    rounds = answered_round(session, all_types_version(session), workshop())
    session.commit()
    return rounds


def _name(response, what: str, fmt: str) -> str:
    """The download's name without its ending: what, then the day of the export."""
    found = re.fullmatch(
        rf"attachment; filename=({what}-analysis-(\d{{8}}))-{fmt}\.zip",
        response.headers["Content-Disposition"],
    )
    assert found, response.headers["Content-Disposition"]
    assert found.group(2) in {f"{clock.utcnow() - timedelta(days=d):%Y%m%d}" for d in (0, 1)}
    return found.group(1)


def _audit(session) -> list[tuple[str, str]]:
    return [
        (e.action, e.summary)
        for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "download.analysis"))
    ]


def test_the_round_page_offers_the_analysis_files_and_each_downloads(
    staff_client, session, answered, tmp_path
):
    survey_round, full, *_ = answered
    page = staff_client.get(f"/manage/rounds/{survey_round.id}").get_data(as_text=True)
    for fmt in ("csv", "sav", "dta", "xlsx"):
        assert f'href="/manage/rounds/{survey_round.id}/analysis.{fmt}"' in page
    response = staff_client.get(f"/manage/rounds/{survey_round.id}/analysis.sav")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    name = _name(response, f"other-2025-2026-round-{survey_round.id}", "sav")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"{name}.sav", f"{name}-repeats.sav", f"{name}-codebook.csv"]
        )
        (tmp_path / "x.sav").write_bytes(archive.read(f"{name}.sav"))
    frame, meta = pyreadstat.read_sav(str(tmp_path / "x.sav"))
    assert frame["name"].tolist()[0] == THAI and int(frame["response_id"][0]) == full.id
    assert meta.variable_value_labels["agree"] == {0: "No", 1: "Yes"}

    xlsx = staff_client.get(f"/manage/rounds/{survey_round.id}/analysis.xlsx")
    assert xlsx.headers["Content-Disposition"].endswith(".xlsx")
    assert load_workbook(io.BytesIO(xlsx.data)).sheetnames == ["Responses", "Repeats", "Codebook"]
    assert _audit(session)[:2] == [
        ("download.analysis", f"round {survey_round.id} as SAV"),
        ("download.analysis", f"round {survey_round.id} as XLSX"),
    ]
    french = staff_client.get(f"/manage/rounds/{survey_round.id}/analysis.dta?lang=fr")
    with zipfile.ZipFile(io.BytesIO(french.data)) as archive:
        dta = next(n for n in archive.namelist() if n.endswith(".dta") and "repeats" not in n)
        (tmp_path / "fr.dta").write_bytes(archive.read(dta))
    assert pyreadstat.read_dta(str(tmp_path / "fr.dta"))[1].variable_value_labels["agree"] == {
        0: "Non",
        1: "Oui",
    }
    assert _audit(session)[-1] == (
        "download.analysis",
        f"round {survey_round.id} as DTA, labels in fr",
    )
    unknown = staff_client.get(f"/manage/rounds/{survey_round.id}/analysis.sav?lang=th")
    assert unknown.status_code == 400
    assert "Parameter lang: the questionnaire has no labels in" in unknown.get_data(as_text=True)
    assert staff_client.get("/manage/rounds/999999/analysis.csv").status_code == 404
    assert staff_client.get(f"/manage/rounds/{survey_round.id}/analysis.pdf").status_code == 404


def test_the_surveys_page_offers_every_round_of_a_questionnaire_in_a_year(
    staff_client, session, answered
):
    survey_round, full, short, empty = answered
    other = make_round(session, survey_round.version, anonymous=True)
    later = respond(session, other, {"name": "Lee", "age": "4"}, "KHM")
    session.commit()
    page = staff_client.get("/manage/surveys").get_data(as_text=True)
    assert "Exports for analysis" in page
    url = "/manage/surveys/all-types/2025-2026/analysis"
    for fmt in ("csv", "sav", "dta", "xlsx"):
        assert f'href="{url}.{fmt}"' in page
    response = staff_client.get(f"{url}.csv")
    name = _name(response, "all-types-2025-2026", "csv")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        text = archive.read(f"{name}.csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [int(r["response_id"]) for r in rows] == [full.id, short.id, empty.id, later.id]
    assert [r["response_member"] for r in rows] == ["FJI", "NPL", "TON", ""]  # anonymous
    assert _audit(session) == [("download.analysis", "all-types 2025-2026 (2 rounds) as CSV")]
    assert staff_client.get("/manage/surveys/nothing/2025-2026/analysis.csv").status_code == 404
    assert staff_client.get("/manage/surveys/all-types/2031-2032/analysis.csv").status_code == 404
    wrong = staff_client.get("/manage/surveys/all-types/2025/analysis.csv")
    assert wrong.status_code == 400 and "Plan year" in wrong.get_data(as_text=True)


def test_contact_points_cannot_download_analysis_files(client, session, answered):
    from tests.conftest import login
    from tests.factories import UserFactory

    UserFactory(email="cp@customs.example", role="contact_point")
    session.commit()
    login(client, "cp@customs.example")
    response = client.get(f"/manage/rounds/{answered[0].id}/analysis.csv")
    assert response.status_code == 403
    assert _audit(session) == []


def test_the_command_writes_a_round_or_a_year_and_says_where(runner, session, answered, tmp_path):
    survey_round = answered[0]
    out = tmp_path / "round.zip"
    result = runner.invoke(
        args=["responses", "export-analysis", str(survey_round.id), str(out), "--format", "dta"]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out} (1 round(s)" in result.output
    with zipfile.ZipFile(out) as archive:
        assert any(n.endswith(".dta") for n in archive.namelist())
    with time_machine.travel(MOMENT, tick=False):
        result = runner.invoke(
            args=[
                *("responses", "export-analysis", "--survey", "all-types"),
                *("--year", "2025-2026", "--format", "xlsx", str(tmp_path)),
            ]
        )
    assert result.exit_code == 0, result.output
    written = tmp_path / "all-types-2025-2026-analysis-20260115.xlsx"
    assert written.exists()
    rows = list(load_workbook(written)["Responses"].values)
    assert len(rows) == 4 and rows[1][5] == THAI
    assert [s for _a, s in _audit(session)] == [
        f"other-2025-2026-round-{survey_round.id} as DTA",
        "all-types-2025-2026 as XLSX",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999999", "x.zip"], "No round 999999."),
        (["abc", "x.zip"], "'abc' is not a round id"),
        ([], "give ROUND_ID, or --survey KEY --year YEAR"),
        (["--survey", "all-types"], "--survey needs --year"),
        (["--survey", "nothing", "--year", "2025-2026"], "No questionnaire 'nothing'"),
        (["--survey", "all-types", "--year", "2025"], "--year"),
        (["--survey", "all-types", "--year", "2031-2032"], "No plan year 2031-2032 is stored."),
        (["--survey", "all-types", "--year", "2024-2025"], "has no round in plan year 2024-2025"),
        (["1", "--format", "pdf"], "'pdf' is not one of"),
        (["ROUND", "--lang", "th"], "no labels in 'th' (its languages: en, fr)"),
    ],
)
def test_the_command_names_what_is_wrong(runner, session, answered, args, message, tmp_path):
    from tests.factories import plan_year

    plan_year("2024-2025")
    session.commit()
    args = [str(answered[0].id) if a == "ROUND" else a for a in args]
    result = runner.invoke(args=["responses", "export-analysis", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert _audit(session) == []


def test_the_command_says_when_it_cannot_write(runner, session, answered, tmp_path):
    out = tmp_path / "missing" / "x.zip"
    result = runner.invoke(args=["responses", "export-analysis", str(answered[0].id), str(out)])
    assert result.exit_code == 1 and f"{out}: No such file or directory" in result.output
    assert _audit(session) == []
