"""The dashboard's figures lead to the records they count, and speak in labels people read:
on the hand-computed year of tests/kpi_world.py."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.kpis.findings import FindingRules, add_action, refresh_findings
from app.models import Finding, ResultStatus, TangibleResult
from tests.conftest import post_form
from tests.factories import WorkPlanItemFactory
from tests.kpi_world import TODAY, build, respond


@pytest.fixture()
def world(session):
    built = build(session)
    session.commit()
    return built


def drill_links(page: str) -> list[tuple[str, str, str]]:
    """(what, figure, address) of every figure of the page that links to its records."""
    found = [
        (what, value, href)
        for href, what, value in re.findall(
            r'<a class="drill" href="([^"]+)" data-kpi="([^"]+)">([^<]*)</a>', page
        )
    ]
    found += [
        ("row", value, href)
        for href, value in re.findall(r'<a class="drill" href="([^"]+)">(\d+)</a>', page)
    ]
    found += [
        ("bar", value, href)
        for href, value in re.findall(r'<td class="chart-value"><a href="([^"]+)">(\d+)<span', page)
    ]
    return [(what, value, html_lib.unescape(href)) for what, value, href in found]


def records(client, what: str, href: str) -> int:
    """How many records the list at ``href`` shows, as the figure ``what`` counts them."""
    response = client.get(href)
    assert response.status_code == 200, href
    page = response.get_data(as_text=True)
    path = urlsplit(href).path
    if path.endswith("/activities"):
        total = int(re.search(r'<p id="result-count" role="status">(\d+) activit', page)[1])
        assert page.count('class="card" data-activity-id=') == total
        return total
    if path == "/manage/surveys":
        column = {"surveys.invitations": "invitations", "surveys.responses": "responses"}
        column["evaluation.responses"] = "responses"
        if what in column:
            return int(re.search(rf'data-total="{column[what]}">(\d+)<', page)[1])
        return page.count("<tr data-round-id=")
    if path == "/manage/results":
        return page.count('class="panel result"')
    if path == "/manage/needs":
        return page.count("<tr data-response-id=")
    if path == "/manage/kpis/participants":
        total = int(re.search(r'<p id="record-count" role="status">(\d+) participant', page)[1])
        assert page.count("<tr data-participant-id=") == total  # one page at this size
        return total
    if path == "/manage/post-action":
        if what == "actions":
            lists = re.findall(r"<h3>Actions</h3>\s*<ul>(.*?)</ul>", page, re.S)
            return sum(block.count("<li>") for block in lists)
        return page.count('<section class="panel finding')
    if path == "/manage/kpis/members-reached":
        return page.count("<tr data-member=")
    raise AssertionError(f"no list known for {href}")


def check_every_count(client, url: str, minimum: int) -> list[tuple[str, str, str]]:
    """Follow every counting link of the dashboard at ``url``: each list shows as many
    records as the figure says. Returns the links."""
    links = drill_links(client.get(url).get_data(as_text=True))
    checked = 0
    for what, value, href in links:
        if not value.isdigit():  # rates and shares link to the same lists
            continue
        assert records(client, what, href) == int(value), (what, href)
        checked += 1
    assert checked >= minimum
    return links


def test_every_count_of_the_dashboard_opens_its_records(staff_client, session, world):
    first = session.scalars(select(TangibleResult).order_by(TangibleResult.id)).first()
    first.status = ResultStatus.VERIFIED
    session.commit()
    links = check_every_count(staff_client, "/manage/kpis?year=2025-2026", 25)
    by_href = {(what, value): href for what, value, href in links}
    assert by_href[("activities.delivered", "2")].startswith(
        "/manage/plan/2025-2026/activities?counted=delivered"
    )
    assert ("surveys.rounds", "4") in by_href and ("surveys.responses", "9") in by_href
    assert ("activities.sie", "2") in by_href and ("evaluation.responses", "5") in by_href
    assert ("verified", "1") in by_href and ("reported", "2") in by_href
    assert ("activities.participants", "6") in by_href
    assert ("activities.members_reached", "3") in by_href
    hrefs = [href for _what, _value, href in links]
    assert any("host_subregion=pacific" in href for href in hrefs)
    assert any("modality=virtual" in href for href in hrefs)
    assert any("pillar=3" in href for href in hrefs)
    assert any("serves=1-%28q%29" in href or "serves=1-(q)" in href for href in hrefs)
    assert any("category=procedure" in href for href in hrefs)
    assert any("round_kind=follow_up" in href for href in hrefs)


@pytest.mark.parametrize(
    ("filters", "delivered"),
    [
        ("member=FJI", "2"),
        # Tonga hosted nothing delivered, but its participant attended A1: as the KPIs count.
        ("member=TON", "1"),
        ("kind=national_workshop", "1"),
        ("subregion=south_asia&modality=virtual", "1"),
        ("item=1-(a)", "1"),
    ],
)
def test_the_dashboards_filters_are_carried_into_the_lists(staff_client, world, filters, delivered):
    url = f"/manage/kpis?year=2025-2026&{filters}"
    links = check_every_count(staff_client, url, 8)
    wanted = parse_qs(filters)
    for _what, _value, href in links:
        query = parse_qs(urlsplit(href).query)
        if urlsplit(href).path == "/manage/post-action":
            # the log's own filters take the plain names: the dashboard's are prefixed
            query = {k.removeprefix("kpi_"): v for k, v in query.items() if k != "member"}
        for name, values in wanted.items():
            if name == "member" and "member" in query and "status" in query:
                continue  # a bar of verified results by Member names its own Member
            assert query.get(name) == values, href
    counted = {what: value for what, value, _href in links}
    assert counted["activities.delivered"] == delivered


def test_the_activity_list_of_a_figure_says_what_it_counts(staff_client, world):
    page = staff_client.get(
        "/manage/plan/2025-2026/activities?counted=delivered&member=TON"
    ).get_data(as_text=True)
    assert "Delivered capacity-building activities counted in KPI 3-(g)" in page
    assert "Member: Tonga (TON), as host or through its participants" in page
    assert ">A1</a>" in page and ">A5</a>" not in page
    # Filtering further stays within the figure's records.
    assert '<input type="hidden" name="counted" value="delivered">' in page
    # The plain list keeps its own meaning: Members named as hosts.
    plain = staff_client.get("/manage/plan/2025-2026/activities?member=TON").get_data(as_text=True)
    assert ">A5</a>" in plain and ">A1</a>" not in plain
    bad = staff_client.get("/manage/plan/2025-2026/activities?counted=delivered&pillar=x")
    assert bad.status_code == 400
    assert "pillar: &#39;x&#39; is not a pillar number" in bad.get_data(as_text=True)
    assert staff_client.get("/manage/surveys?year=2025-2026&figure=nope").status_code == 400
    assert staff_client.get("/manage/results?year=2025-2026&kind=party").status_code == 400
    assert staff_client.get("/manage/needs?year=2025-2026&area=nowhere").status_code == 400


def test_a_heatmap_cell_opens_the_answer_behind_it(staff_client, world):
    page = staff_client.get("/manage/needs?year=2025-2026").get_data(as_text=True)
    cell = html_lib.unescape(
        re.search(r'<a href="(/manage/needs\?[^"]*member=NPL[^"]*area=aeo[^"]*)"', page)[1]
    )
    answer = staff_client.get(cell).get_data(as_text=True)
    rows = re.findall(r"<tr data-response-id=.*?</tr>", answer, re.S)
    assert len(rows) == 1
    assert "Nepal (NPL)" in rows[0] and "Authorized Economic Operators" in rows[0]
    assert "<td>high</td>" in rows[0] and "<td>no</td>" in rows[0]  # high, not covered
    high = staff_client.get("/manage/needs?year=2025-2026&priority=high").get_data(as_text=True)
    assert high.count("<tr data-response-id=") == 4


def test_labels_people_read(staff_client, session, world):
    a1 = world.activities["A1"]
    year = a1.plan_year
    a1.items = [
        *a1.items,
        WorkPlanItemFactory(plan_year=year, code="1-(aa)", title="Enforcement item"),
        WorkPlanItemFactory(plan_year=year, code="1-(b)", title="Second item"),
    ]
    for result in session.scalars(select(TangibleResult)):
        result.status = ResultStatus.VERIFIED
    session.commit()
    page = staff_client.get("/manage/kpis?year=2025-2026").get_data(as_text=True)
    by_item = page[page.index("<h3>By work-plan item</h3>") :]
    by_item = by_item[: by_item.index("</table>")]
    rows = re.findall(r'<th scope="row">([^<]*)</th>', by_item)
    assert [row.split(" ", 1)[0] for row in rows] == ["1-(a)", "1-(b)", "1-(q)", "1-(aa)", "3-(k)"]
    assert "1-(aa) Enforcement item" in rows and "1-(b) Second item" in rows
    # Scores and result categories by their questionnaire labels, in full.
    assert '<th scope="row">5 Very satisfied</th>' in page
    assert '<th scope="row">New or changed procedure</th>' in page
    assert '<th scope="row">Law or regulation</th>' in page
    assert '<th scope="row">Fiji (FJI)</th>' in page
    assert "…" not in page and ">procedure<" not in page
    assert "Net Promoter Score" in page
    register = staff_client.get("/manage/results?year=2025-2026").get_data(as_text=True)
    assert "New or changed procedure" in register and "Procedure ·" not in register


def test_participants_and_women_counted(staff_client, world):
    page = staff_client.get("/manage/kpis?year=2025-2026").get_data(as_text=True)
    links = {what: href for what, _value, href in drill_links(page)}
    women = staff_client.get(links["activities.women_share"]).get_data(as_text=True)
    # 60%: 3 women of the 5 participants whose gender is known.
    assert women.count("<tr data-participant-id=") == 3
    assert "Women among the participants" in women
    people = staff_client.get(links["activities.participants"]).get_data(as_text=True)
    assert people.count("Prefers not to say") == 1  # p4, in the count, not in the share
    fiji = staff_client.get("/manage/kpis/members-reached?year=2025-2026&member=FJI")
    assert fiji.get_data(as_text=True).count("<tr data-member=") == 1
    fiji_people = staff_client.get("/manage/kpis/participants?year=2025-2026&member=FJI")
    assert fiji_people.get_data(as_text=True).count("<tr data-participant-id=") == 3
    assert staff_client.get("/manage/kpis/participants?year=2025-2026&gender=x").status_code == 400
    assert staff_client.get("/manage/kpis/members-reached?member=ZZZ").status_code == 400


@pytest.mark.parametrize("filters", ["", "&member=FJI", "&member=NPL", "&item=1-(a)"])
def test_the_post_action_counts_open_the_findings_they_count(staff_client, session, filters):
    build(session)
    refresh_findings(session, "2025-2026", FindingRules(barrier_min_reports=2), TODAY)
    workload = session.scalars(select(Finding).where(Finding.key.like("barrier:%"))).one()
    add_action(session, workload, "Ask heads of training to free time.", None)
    add_action(session, workload, "Budget a second session.", None)
    session.commit()
    links = check_every_count(staff_client, f"/manage/kpis?year=2025-2026{filters}", 3)
    post_action = {what: (value, href) for what, value, href in links if "post-action" in href}
    assert set(post_action) == {"findings", "actioned", "actions"}
    if not filters:
        assert post_action["findings"][0] == "4"
        assert (post_action["actioned"][0], post_action["actions"][0]) == ("1", "2")
        assert "counted=kpi" not in post_action["findings"][1]
    else:
        query = parse_qs(urlsplit(post_action["findings"][1]).query)
        assert query["counted"] == ["kpi"]
        name, value = filters.lstrip("&").split("=")
        assert query[f"kpi_{name}"] == [value]
        page = staff_client.get(post_action["findings"][1]).get_data(as_text=True)
        assert "Counted in KPI 3-(i) with" in page


def test_a_bad_kpi_filter_on_the_post_action_log_is_refused(staff_client, world):
    response = staff_client.get("/manage/post-action?year=2025-2026&counted=kpi&kpi_member=XXX")
    assert response.status_code == 400
    assert "member" in response.get_data(as_text=True)


def test_a_need_two_answers_gave_is_listed_once_as_it_is_counted(staff_client, session, world):
    # A second answer for Fiji (another contact point) again rates risk management high.
    second = respond(
        session,
        world.rounds["N"],
        None,
        {("member", 0, ""): "FJI", ("priorities", 0, "risk_management"): "high"},
    )
    second.member_id = world.responses[("N", "FJI")].member_id
    session.commit()
    links = check_every_count(staff_client, "/manage/kpis?year=2025-2026", 20)
    high = [href for what, _value, href in links if "priority=high" in href]
    assert high, "the high-priority needs figure links to its answers"
    page = staff_client.get("/manage/needs?year=2025-2026&priority=high").get_data(as_text=True)
    rows = re.findall(r"<tr data-response-id=\"(\d+)\"", page)
    assert len(rows) == 4  # four (Member, area) pairs rated high, as counted
    assert str(second.id) in rows  # the latest answer of the pair


def test_the_counted_findings_stay_counted_through_an_action(staff_client, session):
    build(session)
    refresh_findings(session, "2025-2026", FindingRules(barrier_min_reports=2), TODAY)
    session.commit()
    log = "/manage/post-action?year=2025-2026&counted=kpi&kpi_member=TON"
    page = staff_client.get(log).get_data(as_text=True)
    shown = re.findall(r'<section class="panel finding[^"]*" id="finding-(\d+)"', page)
    total = session.scalar(select(func.count(Finding.id)))
    assert 0 < len(shown) < total  # Tonga's findings only
    assert '<input type="hidden" name="kpi_member" value="TON">' in page  # the filter form
    done = post_form(
        staff_client,
        f"/manage/findings/{shown[0]}/actions?year=2025-2026&counted=kpi&kpi_member=TON",
        {"decision": "Offer Tonga a place in the next regional workshop."},
        page=log,
    )
    assert done.status_code == 302
    query = parse_qs(urlsplit(done.headers["Location"]).query)
    assert query["counted"] == ["kpi"] and query["kpi_member"] == ["TON"]
    refused = post_form(
        staff_client,
        f"/manage/findings/{shown[0]}/actions?counted=kpi&kpi_member=TON",
        {"decision": ""},
        page=log,
    )
    assert refused.status_code == 422
    again = re.findall(r'id="finding-(\d+)"', refused.get_data(as_text=True))
    assert sorted(set(again)) == sorted(shown)  # still Tonga's findings
    assert "Counted in KPI 3-(i) with member TON" in refused.get_data(as_text=True)


def test_an_action_sent_with_a_bad_filter_in_its_address_gets_no_traceback(staff_client, session):
    build(session)
    refresh_findings(session, "2025-2026", FindingRules(barrier_min_reports=2), TODAY)
    session.commit()
    first = session.scalars(select(Finding.id)).first()
    for query in ("member=ZZ", "item=9-(z)", "counted=kpi&kpi_member=ZZ"):
        response = post_form(
            staff_client,
            f"/manage/findings/{first}/actions?{query}",
            {"decision": ""},
            page="/manage/post-action?year=2025-2026",
        )
        assert response.status_code == 422, query
        assert "The planning action was not recorded" in response.get_data(as_text=True)


def test_results_without_a_category_open_as_counted(staff_client, session, world):
    results = list(session.scalars(select(TangibleResult).order_by(TangibleResult.id)))
    for result in results[:2]:
        result.status = ResultStatus.VERIFIED
    results[0].category = ""  # as a history import may leave it
    session.commit()
    page = staff_client.get("/manage/kpis?year=2025-2026").get_data(as_text=True)
    bars = [link for link in drill_links(page) if "category=" in link[2]]
    empty = [link for link in bars if "category=none" in link[2]]
    assert len(empty) == 1 and empty[0][1] == "1"
    assert records(staff_client, "bar", empty[0][2]) == 1
    assert "Not given" in page
