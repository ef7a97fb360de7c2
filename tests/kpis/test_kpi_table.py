"""The KPI table of the Annual Report (CSV rows and the formatted XLSX), on the small year
of tests/kpi_world.py with a few activities added; every figure is worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.kpis.exports import kpi_file_name, kpi_lines, kpi_rows, kpi_xlsx
from app.kpis.figures import compute_kpis
from app.kpis.scope import KpiFilters
from app.models import ActivityStatus, WorkPlanItem
from tests.factories import ActivityFactory, WorkPlanItemFactory, member, plan_year
from tests.kpi_world import TODAY, build

BY_ITEM = "CB activities delivered, by work-plan item"


@pytest.fixture()
def world(session):
    """The world's 2025-2026 (A1 national workshop on 1-(a) and 3-(k), A2 regional
    workshop on 1-(q)), plus an accreditation workshop on a new item 1-(aa); and in
    2024-2025 a sub-regional workshop on that year's 1-(a) and a national workshop, both
    hosted by Nepal."""
    built = build(session)
    this_year, last_year = plan_year("2025-2026"), plan_year("2024-2025")
    accreditation = WorkPlanItemFactory(
        plan_year=this_year, code="1-(aa)", title="Accredit experts", position=90
    )
    ActivityFactory(
        plan_year=this_year,
        kind="accreditation",
        status=ActivityStatus.DELIVERED,
        members=[member("FJI")],
        items=[accreditation],
    )
    earlier_item = WorkPlanItemFactory(
        plan_year=last_year, code="1-(a)", title="Risk management", position=100
    )
    for kind in ("sub_regional_workshop", "national_workshop"):
        ActivityFactory(
            plan_year=last_year,
            kind=kind,
            status=ActivityStatus.DELIVERED,
            members=[member("NPL")],
            items=[earlier_item] if kind == "sub_regional_workshop" else [],
        )
    session.flush()
    return built


def reports(session, **filters):
    def year(label):
        return compute_kpis(session, label, KpiFilters(**filters), 3, TODAY)

    return year("2025-2026"), year("2024-2025")


def table(lines, indicator):
    return [
        (line.part, line.value, line.previous, line.change)
        for line in lines
        if line.indicator == indicator
    ]


def titles(session):
    return {
        item.code: item.title
        for item in session.scalars(
            select(WorkPlanItem).where(WorkPlanItem.plan_year_id == plan_year("2025-2026").id)
        )
    }


def test_counts_missing_in_one_year_are_zero_and_every_category_is_a_row(session, world):
    lines = kpi_lines(*reports(session))
    # 3 this year (A1, A2, accreditation), 2 last year; every kind either year has, in
    # the plan's order of kinds, with 0 where one year had none.
    assert table(lines, "CB activities delivered") == [
        ("", 3, 2, 1),
        ("National workshop", 1, 1, 0),
        ("Sub-regional workshop", 0, 1, -1),  # only in 2024-2025
        ("Regional workshop", 1, 0, 1),
        ("Accreditation workshop", 1, 0, 1),  # 0 last year, change +1
    ]


def test_a_member_filter_keeps_the_previous_years_only_category(session, world):
    lines = kpi_lines(*reports(session, member="NPL"))
    # Nepal this year: A2 (regional); last year: both workshops it hosted.
    assert table(lines, "CB activities delivered") == [
        ("", 1, 2, -1),
        ("National workshop", 0, 1, -1),
        ("Sub-regional workshop", 0, 1, -1),
        ("Regional workshop", 1, 0, 1),
    ]


def test_delivered_activities_by_work_plan_item_with_their_text_in_natural_order(session, world):
    text = titles(session)
    lines = kpi_lines(*reports(session))
    # A1 serves 1-(a) and 3-(k), A2 1-(q), the accreditation 1-(aa); last year's
    # sub-regional workshop served that year's 1-(a) (the national one no item).
    assert table(lines, BY_ITEM) == [
        ("", 3, 2, 1),
        (f"1-(a) {text['1-(a)']}", 1, 1, 0),
        (f"1-(q) {text['1-(q)']}", 1, 0, 1),
        ("1-(aa) Accredit experts", 1, 0, 1),
        (f"3-(k) {text['3-(k)']}", 1, 0, 1),
    ]


def test_without_a_previous_year_the_columns_stay_empty(session, world):
    this_year = compute_kpis(session, "2025-2026", KpiFilters(), 3, TODAY)
    rows = kpi_rows(this_year, None)
    assert rows[0][3:] == ["2025-2026", "Previous year", "Change"]
    assert all(row[4] is None and row[5] is None for row in rows[1:])


def test_rates_and_means_stay_empty_when_there_is_nothing_to_divide(session, world):
    lines = {(line.indicator, line.part): line for line in kpi_lines(*reports(session))}
    rate = lines[("Evaluation response rate", "")]
    # 2025-2026: 5 responses of 7 participants (A1 4, A2 3); 2024-2025: no evaluation.
    assert (rate.value, rate.previous, rate.change) == (0.7143, None, None)
    relevance = lines[("Evaluation dimensions (mean, 1-5)", "Relevance")]
    assert (relevance.value, relevance.previous, relevance.change) == (3.0, None, None)


def test_the_xlsx_has_widths_formats_and_a_clear_hierarchy(session, world, tmp_path):
    now, before = reports(session)
    path = tmp_path / "kpis.xlsx"
    with kpi_xlsx(now, before, ["ROCB A/P KPIs, plan year 2025-2026"]) as handle:
        path.write_bytes(handle.read())
    sheet = load_workbook(path)["KPIs 2025-2026"]
    # The CSV's header (tests/manage/test_kpi_pages.py reads it), bold on blue.
    assert [c.value for c in sheet[1]] == kpi_rows(now, before)[0]
    assert sheet["D1"].value == "2025-2026" and sheet["A1"].font.bold
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEF"}
    assert widths == {"A": 15, "B": 44, "C": 46, "D": 13, "E": 13, "F": 11}
    assert sheet.freeze_panes == "D2" and sheet.auto_filter.ref.startswith("A1:F")
    rows = {(row[1].value, row[2].value): row for row in sheet.iter_rows(min_row=2)}
    rate = rows[("Evaluation response rate", None)]
    assert rate[3].value == 0.7143 and rate[3].number_format == "0.0%"
    delivered = rows[("CB activities delivered", None)]
    assert [c.value for c in delivered[3:]] == [3, 2, 1]
    assert delivered[3].number_format == "#,##0"
    assert delivered[5].number_format == "+#,##0;-#,##0;0"
    assert delivered[1].font.bold
    accreditation = rows[("CB activities delivered", "Accreditation workshop")]
    assert [c.value for c in accreditation[3:]] == [1, 0, 1]
    assert not accreditation[1].font.bold
    nps = rows[("Net Promoter Score", None)]
    assert nps[3].value == 20.0 and nps[3].number_format == "0.0"
    # Dimensions are the parts of their own indicator, not of the knowledge gain.
    gain = rows[("Knowledge gain (after minus before)", None)]
    assert gain[3].number_format == "0.00" and gain[2].value is None
    relevance = rows[("Evaluation dimensions (mean, 1-5)", "Relevance")]
    assert relevance[3].value == 3.0 and relevance[3].number_format == "0.00"
    # Printed landscape, one page wide, the header on every page; long item texts get
    # rows tall enough for their lines.
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == "$1:$1"
    item_row = rows[(BY_ITEM, "1-(aa) Accredit experts")][0].row
    assert sheet.row_dimensions[item_row].height is None  # one line
    # Rounds by kind in the report's order, not alphabetical.
    assert [row[2].value for row in sheet.iter_rows(min_row=3, max_row=5)] == [
        "Needs assessments",
        "Participant evaluations",
        "Follow-up surveys",
    ]
    assert not any(
        str(row[1].value).startswith(" ") or str(row[2].value or "").startswith(" ")
        for row in sheet.iter_rows(min_row=2)
    )


def test_file_names_say_what_and_when():
    day = date(2026, 12, 2)
    assert kpi_file_name("2025-2026", {}, day, "xlsx") == "rocb-kpis-2025-2026-2026-12-02.xlsx"
    assert (
        kpi_file_name("2025-2026", {"member": "FJI", "kind": "national_workshop"}, day, "csv")
        == "rocb-kpis-2025-2026-FJI-national_workshop-2026-12-02.csv"
    )
