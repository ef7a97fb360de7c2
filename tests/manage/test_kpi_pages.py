"""The KPI pages, exports and history import, on the hand-computed year."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models import Finding, Response, ResultStatus, TangibleResult, WorkPlanItem
from tests.conftest import login, post_form
from tests.factories import ActivityFactory, AttendanceFactory, ParticipantFactory, member
from tests.kpi_world import build, respond


@pytest.fixture()
def world(session):
    built = build(session)
    session.commit()
    return built


def kpi_cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-kpi="([a-z_0-9.]+)">([^<]*)<', html))


def test_dashboard_shows_the_kpis(staff_client, session, world):
    html = staff_client.get("/manage/kpis?year=2025-2026").get_data(as_text=True)
    cells = kpi_cells(html)
    assert cells["surveys.rounds"] == "4" and cells["surveys.invitations"] == "14"
    assert cells["surveys.response_rate"] == "64%"
    assert cells["activities.delivered"] == "2" and cells["activities.participants"] == "6"
    assert cells["activities.women_share"] == "60%"
    assert cells["activities.needs_coverage"] == "75%"
    assert cells["evaluation.response_rate"] == "71%"
    assert cells["evaluation.overall_mean"] == "3.4" and cells["evaluation.nps"] == "20.0"
    assert "Nepal (NPL) · Authorized Economic Operators and mutual recognition" in html
    assert "<figcaption>Delivered by kind</figcaption>" in html
    assert '<th scope="row">National workshop</th>' in html
    assert '<th scope="row">Pillar 3</th>' in html
    assert "fewer than 3 responses" in html  # A2 in the by-activity table
    # Delivered by work-plan item: code and text, natural order, against 2024-2025 (none).
    by_item = html.split('id="delivered-by-item"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<th scope="row">([^<]*)</th><td><a [^>]*>(\d+)</a></td><td>(\d+)</td><td>([^<]*)</td>',
        by_item,
    )
    assert [
        (name.split(" ", 1)[0], now, before, change.strip()) for name, now, before, change in rows
    ] == [
        ("1-(a)", "1", "0", "+1"),
        ("1-(q)", "1", "0", "+1"),
        ("3-(k)", "1", "0", "+1"),
    ]
    item = session.scalar(select(WorkPlanItem).where(WorkPlanItem.code == "1-(q)"))
    assert f"1-(q) {item.title}" in by_item
    fiji = kpi_cells(
        staff_client.get("/manage/kpis?year=2025-2026&member=FJI").get_data(as_text=True)
    )
    assert fiji["activities.participants"] == "3" and fiji["activities.women_share"] == "67%"
    bad = staff_client.get("/manage/kpis?year=2025-2026&kind=party")
    assert bad.status_code == 302
    assert "Cannot show these KPIs" in staff_client.get(bad.location).get_data(as_text=True)


def test_kpi_definitions_page_shows_the_documented_formulas(staff_client, world):
    dashboard = staff_client.get("/manage/kpis?year=2025-2026").get_data(as_text=True)
    assert 'href="/manage/kpis/definitions"' in dashboard
    response = staff_client.get("/manage/kpis/definitions")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>How each KPI is counted</h1>" in html
    assert "<h2>3-(h) Participants' evaluation</h2>" in html
    assert "<td><code>member</code></td>" in html  # the filters table is a table
    assert "the percentage of promoters (9 or\n  10) minus the percentage of detractors" in html


def test_dashboard_query_count_does_not_depend_on_data_size(
    client, staff_user, session, world, count_queries
):
    # In March 2026, 2025-2026 is the open year, computed on every view; 2024-2025 is
    # closed, and its report is kept (app/kpis/cache.py) from the first view on.
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=True):
        login(client, staff_user.email)

        def queries() -> int:
            before = count_queries.count
            assert client.get("/manage/kpis?year=2025-2026").status_code == 200
            return count_queries.count - before

        first = queries()
        small = queries()
        year = world.rounds["E1"].plan_year
        for _ in range(25):
            activity = ActivityFactory(
                plan_year=year,
                kind="national_workshop",
                status="delivered",
                members=[member("WSM")],
            )
            person = ParticipantFactory(member=member("WSM"), gender="female")
            AttendanceFactory(activity=activity, participant=person)
        for _ in range(15):
            respond(
                session,
                world.rounds["E1"],
                None,
                {("overall_satisfaction", 0, ""): 4, ("recommend", 0, ""): 9},
            )
        session.commit()
        large = queries()
    assert small == large
    assert small < first  # the closed year is read back, not computed again
    # The open year's grouped queries, and one read of the closed year's report.
    assert large <= 45


def test_kpi_table_exports(client, staff_user, world):
    # Logged in at the moment travelled to: a session cookie signed later (the real
    # date) would be refused as coming from the future.
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), tick=False):
        login(client, staff_user.email)
        _check_kpi_table_exports(client)


def _check_kpi_table_exports(staff_client) -> None:
    response = staff_client.get("/manage/kpis.csv?year=2025-2026")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=rocb-kpis-2025-2026-2026-12-02.csv"
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == [
        "Work-plan item",
        "Indicator",
        "Breakdown",
        "2025-2026",
        "2024-2025",
        "Change",
    ]
    by_name = {tuple(row[1:3]): row for row in rows[1:]}
    assert by_name[("Survey rounds conducted", "")] == [
        "3-(f)",
        "Survey rounds conducted",
        "",
        "4",
        "0",
        "4",
    ]
    assert by_name[("CB activities delivered", "")][3:] == ["2", "0", "2"]
    assert by_name[("Net Promoter Score", "")][3] == "20.0"
    workbook = load_workbook(
        io.BytesIO(staff_client.get("/manage/kpis.xlsx?year=2025-2026&member=FJI").data)
    )
    sheet = workbook.active
    assert sheet.title == "KPIs 2025-2026"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["3-(g)", "CB activities delivered", None, 2, 0, 2] in values
    notes = [row[0].value for row in workbook["About"].iter_rows()]
    assert "Filters: member: FJI" in notes and "Produced on 2026-12-02" in notes
    name = staff_client.get("/manage/kpis.xlsx?year=2025-2026&member=FJI").headers
    assert name["Content-Disposition"].endswith("filename=rocb-kpis-2025-2026-FJI-2026-12-02.xlsx")


def test_response_exports_neutralise_formulas_and_list_repeats(staff_client, session, world):
    evaluation = world.rounds["E1"]
    respond(
        session,
        evaluation,
        None,
        {
            ("overall_satisfaction", 0, ""): 4,
            ("suggestions", 0, ""): '=HYPERLINK("x")',
            ("most_useful", 0, ""): "+1 case studies",
            ("action_plan", 0, ""): "@SUM(A1)",
            ("duration", 0, ""): "-too-long",
        },
    )
    session.commit()
    text = staff_client.get(f"/manage/rounds/{evaluation.id}/responses.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, labels, *data = rows
    assert header[:3] == ["_response_id", "_submitted_at", "_member"]
    assert (
        labels[header.index("overall_satisfaction")]
        == "Overall, how satisfied are you with the workshop?"
    )
    last = dict(zip(header, data[-1], strict=True))
    assert last["suggestions"] == '\'=HYPERLINK("x")'
    assert last["most_useful"] == "'+1 case studies"
    assert last["action_plan"] == "'@SUM(A1)"
    assert last["duration"] == "'-too-long"
    assert last["overall_satisfaction"] == "4"
    assert len(data) == 4  # three earlier responses and this one (drafts are left out)
    assert {row[2] for row in data[:3]} == {"FJI"}

    workbook = load_workbook(
        io.BytesIO(staff_client.get(f"/manage/rounds/{evaluation.id}/responses.xlsx").data)
    )
    sheet = workbook["Responses"]
    cells = {c.value: c for row in sheet.iter_rows(min_row=4) for c in row}
    formula = cells['\'=HYPERLINK("x")']
    assert formula.data_type == "s"  # text, not a formula
    follow_up = world.rounds["F1"]
    repeats = staff_client.get(f"/manage/rounds/{follow_up.id}/repeats.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(repeats.lstrip("\ufeff"))))
    assert rows[0][:3] == ["_response_id", "_group", "_entry"]
    entries = [
        (r[1], r[2], dict(zip(rows[0], r, strict=True))["result_category"]) for r in rows[2:]
    ]
    assert entries == [
        ("tangible_results", "1", "procedure"),
        ("tangible_results", "2", "legislation"),
        ("tangible_results", "1", "procedure"),
    ]
    workbook = load_workbook(
        io.BytesIO(staff_client.get(f"/manage/rounds/{follow_up.id}/responses.xlsx").data)
    )
    assert workbook.sheetnames == ["Responses", "Repeat groups", "About"]
    assert workbook["Repeat groups"].max_row == 5


def test_activity_report_page_and_pdf(staff_client, world):
    a1, a2 = world.activities["A1"].id, world.activities["A2"].id
    html = staff_client.get(f"/manage/activities/{a1}/report").get_data(as_text=True)
    assert "4 participants, 3 responses (75%)" in html
    assert "Overall, how satisfied are you with the workshop?" in html and "mean 3.33" in html
    pdf = staff_client.get(f"/manage/activities/{a1}/report.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    suppressed = staff_client.get(f"/manage/activities/{a2}/report").get_data(as_text=True)
    assert "Fewer than 3 responses" in suppressed and "mean" not in suppressed
    assert staff_client.get(f"/manage/activities/{a2}/report.pdf").data.startswith(b"%PDF")


def test_post_action_log(staff_client, session, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "BARRIER_MIN_REPORTS", 2)
    url = "/manage/post-action?year=2025-2026"
    refreshed = post_form(staff_client, "/manage/post-action/refresh?year=2025-2026", {}, page=url)
    page = staff_client.get(refreshed.location).get_data(as_text=True)
    assert "Findings checked: 4 new, 4 current, 0 no longer found." in page
    assert "Workload and lack of time" in page
    finding = session.scalar(select(Finding).where(Finding.key == "uncovered_need:NPL:aeo"))
    done = post_form(
        staff_client,
        f"/manage/findings/{finding.id}/actions",
        {"decision": "Plan an AEO workshop for Nepal.", "item": "1-(q)"},
        page=url,
    )
    assert "Planning action recorded." in staff_client.get(done.location).get_data(as_text=True)
    kpis = staff_client.get("/manage/kpis?year=2025-2026").get_data(as_text=True)
    assert kpi_cells(kpis)["actioned"] == "1"


def test_results_register_review(staff_client, session, world):
    url = "/manage/results?year=2025-2026"
    page = staff_client.get(url).get_data(as_text=True)
    assert "New PCA procedure adopted" in page and page.count('class="panel result"') == 3
    first = session.scalars(select(TangibleResult).order_by(TangibleResult.id)).first()
    refused = post_form(
        staff_client,
        f"/manage/results/{first.id}/review",
        {"status": "rejected", "reason": ""},
        page=url,
    )
    assert refused.status_code == 422
    assert "Say why the result is rejected" in refused.get_data(as_text=True)
    post_form(
        staff_client,
        f"/manage/results/{first.id}/review",
        {"status": "verified", "confirmed": "yes"},
        page=url,
    )
    session.expire_all()
    assert session.get(TangibleResult, first.id).status is ResultStatus.VERIFIED
    assert "verified" in staff_client.get(url + "&status=verified").get_data(as_text=True)


def test_needs_heatmap(staff_client, world):
    html = staff_client.get("/manage/needs?year=2025-2026").get_data(as_text=True)
    assert re.search(r">4</a> high-priority needs, 75% covered", html)
    cell = "Nepal (NPL) · Authorized Economic Operators and mutual recognition: high"
    assert f'title="{cell}"' in html
    # Areas by the questionnaire's labels, Members by name and code; no machine key shows.
    head = html[html.index('<table class="heatmap">') : html.index("</thead>")]
    assert "<span>Risk management and targeting</span>" in head
    assert "<span>Authorized Economic Operators and mutual recognition</span>" in head
    assert "<span>HS classification and advance rulings</span>" in head
    for key in ("aeo", "risk management", "hs classification", "ipr environment", "_"):
        assert f"<span>{key}" not in head
    row = html[html.index('<th scope="row" class="member">Nepal (NPL)</th>') :]
    row = row[: row.index("</tr>")]
    assert row.count(", not covered</span>") == 1
    assert '<th scope="row" class="member">Fiji (FJI)</th>' in html


EVALUATION_HEADER = (
    "objectives_met,relevance,content_quality,facilitators,organisation,"
    "duration,overall_satisfaction,recommend,knowledge_before,"
    "knowledge_after,action_plan,support_needed,_member\n"
)


def test_history_import(runner, session, world, tmp_path):
    target = world.rounds["D"]  # an evaluation round
    good = tmp_path / "2019.csv"
    good.write_text(
        EVALUATION_HEADER
        + "4,4,4,4,4,about_right,4,9,2,4,Brief my unit on valuation rules.,no,FJI\n"
        + "5,5,5,5,5,too_short,5,10,1,5,Write a guide for PCA auditors.,no,\n"
    )
    result = runner.invoke(args=["responses", "import", str(target.id), str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 responses" in result.output
    imported = session.scalars(
        select(Response).where(Response.round_id == target.id).order_by(Response.id)
    ).all()
    assert [r.status.value for r in imported] == ["submitted", "submitted"]
    assert imported[0].member_id == member("FJI").id and imported[1].member_id is None

    bad = tmp_path / "bad.csv"
    bad.write_text(
        EVALUATION_HEADER
        + "4,4,4,4,4,about_right,4,9,2,4,Brief my unit on valuation rules.,no,FJI\n"
        + "4,4,4,4,4,sometimes,9,9,2,4,short,no,XXX\n"
    )
    refused = runner.invoke(args=["responses", "import", str(target.id), str(bad)])
    assert refused.exit_code == 1
    assert "row 3, column duration: Choose one of the options shown." in refused.output
    assert "row 3, column overall_satisfaction: Choose one of the options shown." in refused.output
    assert "row 3, column _member: 'XXX' is not a Member code" in refused.output
    assert "nothing was imported" in refused.output
    assert (
        session.scalar(
            select(func.count()).select_from(Response).where(Response.round_id == target.id)
        )
        == 2
    )
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("colour\nred\n")
    refused = runner.invoke(args=["responses", "import", str(target.id), str(unknown)])
    assert "not question keys of participant-evaluation v1: colour" in refused.output
