"""A round's responses as a workbook for people: labels or codes, real dates, a header
that says what each column is, and a file name that says what and when."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from app.models import Member
from tests.conftest import login
from tests.kpi_world import build, respond


def _workbook(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, load_workbook(io.BytesIO(response.data))


def _rows(sheet) -> list[list]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.fixture()
def world(session):
    """The KPI test year, with one more follow-up answer through the shared link: an IT
    system result with its date, a text that looks like a formula, no Member."""
    world = build(session)
    respond(
        session,
        world.rounds["F1"],
        None,
        {
            ("result_category", 1, ""): "it_system",
            ("result_description", 1, ""): "=cmd|' /C calc'!A0",
            ("result_date", 1, ""): date(2026, 2, 3),
            ("barriers", 0, "budget"): "budget",
        },
    )
    session.commit()
    return world


def test_the_workbook_gives_labels_member_names_and_real_dates(client, staff_user, session, world):
    follow_up = world.rounds["F1"]
    fiji = session.scalar(select(Member.name).where(Member.code == "FJI"))
    with time_machine.travel(datetime(2026, 7, 2, 9, tzinfo=UTC), tick=False):
        login(client, staff_user.email)
        response, workbook = _workbook(client, f"/manage/rounds/{follow_up.id}/responses.xlsx")
    # what (the kind, the workshop's date and title, the round), the part and the day
    name = response.headers["Content-Disposition"]
    title = re.sub(r"[^a-z0-9]+", "-", world.activities["A1"].title.lower()).strip("-")
    start = world.activities["A1"].starts_on.isoformat()
    assert name == (
        f"attachment; filename=follow-up-{start}-{title}-round-{follow_up.id}"
        "-responses-2026-07-02.xlsx"
    )
    assert workbook.sheetnames == ["Responses", "Repeat groups", "About"]

    sheet = workbook["Responses"]
    rows = _rows(sheet)
    labels, keys, data = rows[0], rows[1], rows[2:]
    assert labels[:3] == ["Response", "Submitted", "Member"]
    assert keys[:3] == ["_response_id", "_submitted_at", "_member"]
    assert sheet["A1"].font.b and sheet.freeze_panes == "B3"
    widths = {key: sheet.column_dimensions[chr(ord("A") + i)].width for i, key in enumerate(keys)}
    # wide enough for what they hold: a date and time, "Fiji (FJI)", the longest category
    assert widths["_submitted_at"] >= len("2026-05-01 00:00") and widths["_member"] >= 20
    assert widths["barriers"] >= 40 and sheet.row_dimensions[1].height >= 30
    assert len(data) == 3
    by_id = {row[0]: dict(zip(keys, row, strict=True)) for row in data}
    first = by_id[world.responses[("F1", "p1")].id]
    assert first["_member"] == f"{fiji} (FJI)"
    assert set(first["barriers"].split("; ")) == {"Workload and lack of time", "No budget"}
    assert first["_submitted_at"] == datetime(2026, 5, 1, 0, 0)  # a date, not text
    assert sheet.cell(row=3, column=2).number_format == "yyyy-mm-dd hh:mm"
    shared = [row for row in by_id.values() if row["_member"] is None]
    assert len(shared) == 1  # the shared link's response has no Member

    repeats = _rows(workbook["Repeat groups"])
    repeat_keys = repeats[1]
    entries = [dict(zip(repeat_keys, row, strict=True)) for row in repeats[2:]]
    assert sorted(e["result_category"] for e in entries) == [
        "IT system or tool",
        "Law or regulation",
        "New or changed procedure",
        "New or changed procedure",
    ]
    dated = next(e for e in entries if e["result_category"] == "IT system or tool")
    assert dated["result_date"] == datetime(2026, 2, 3, 0, 0)  # openpyxl reads dates back so
    assert dated["result_description"] == "'=cmd|' /C calc'!A0"  # never a formula
    row_of_date = 3 + [e["result_date"] for e in entries].index(dated["result_date"])
    date_column = repeat_keys.index("result_date") + 1
    assert workbook["Repeat groups"].cell(row_of_date, date_column).number_format == "yyyy-mm-dd"
    about = [row[0] for row in _rows(workbook["About"])]
    assert any("as labels" in note for note in about)
    assert "Produced on 2026-07-02" in about


def test_the_workbook_with_codes_gives_them_as_stored(staff_client, world):
    follow_up = world.rounds["F1"]
    _, coded = _workbook(staff_client, f"/manage/rounds/{follow_up.id}/responses.xlsx?values=codes")
    refused = staff_client.get(f"/manage/rounds/{follow_up.id}/responses.xlsx?values=both")
    coded_rows = _rows(coded["Responses"])
    coded_first = next(
        dict(zip(coded_rows[1], row, strict=True))
        for row in coded_rows[2:]
        if row[0] == world.responses[("F1", "p1")].id
    )
    assert coded_first["_member"] == "FJI"
    assert set(coded_first["barriers"].split("; ")) == {"workload", "budget"}
    coded_repeats = _rows(coded["Repeat groups"])
    assert "procedure" in {
        row[coded_repeats[1].index("result_category")] for row in coded_repeats[2:]
    }
    assert any("as codes" in row[0] for row in _rows(coded["About"]))
    assert refused.status_code == 400
    assert "values" in refused.get_data(as_text=True)


def test_an_evaluation_scale_reads_as_its_labels(staff_client, world):
    evaluation = world.rounds["E1"]
    _, workbook = _workbook(staff_client, f"/manage/rounds/{evaluation.id}/responses.xlsx")
    rows = _rows(workbook["Responses"])
    keys = rows[1]
    satisfaction = sorted(row[keys.index("overall_satisfaction")] for row in rows[2:])
    assert satisfaction == ["Dissatisfied", "Neutral", "Very satisfied"]  # 2, 3, 5
    recommend = sorted(row[keys.index("recommend")] for row in rows[2:])
    assert recommend == [5, 9, 10]  # a 0-10 rating stays a number


def test_the_round_page_offers_both_workbooks(staff_client, world):
    evaluation = world.rounds["E1"]
    page = staff_client.get(f"/manage/rounds/{evaluation.id}").get_data(as_text=True)
    assert f'href="/manage/rounds/{evaluation.id}/responses.xlsx">with labels</a>' in page
    assert (
        f'href="/manage/rounds/{evaluation.id}/responses.xlsx?values=codes">with codes</a>' in page
    )
