"""The post-action log: findings in words a person reads, filters that can be bookmarked,
and planning actions whose work-plan item and activity are picked from the plan's lists."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.kpis.findings import FindingRules, add_action, refresh_findings
from app.models import Finding, PlanningAction, WorkPlanItem
from tests.conftest import post_form
from tests.factories import ActivityFactory, WorkPlanItemFactory, plan_year
from tests.kpi_world import TODAY, build

URL = "/manage/post-action?year=2025-2026"


@pytest.fixture()
def world(session):
    """The kpi world's four findings: A1's low satisfaction and low relevance (A1 hosts
    FJI, serves 1-(a) and 3-(k)), Nepal's uncovered AEO need and the workload barrier."""
    built = build(session)
    refresh_findings(session, "2025-2026", FindingRules(barrier_min_reports=2), TODAY)
    session.commit()
    return built


def finding(session, key: str) -> Finding:
    return session.scalar(select(Finding).where(Finding.key.like(key)))


def shown(html: str) -> list[str]:
    """The finding cards of a page, by their summary."""
    return re.findall(
        r'<section class="panel finding[^"]*" id="finding-\d+">.*?<p>([^<]*)</p>', html, re.S
    )


def item(session, code: str) -> WorkPlanItem:
    return session.scalar(select(WorkPlanItem).where(WorkPlanItem.code == code))


def count_line(html: str) -> str:
    return re.search(r'id="finding-count" role="status">([^<]*)<', html).group(1)


def test_findings_speak_in_the_questionnaires_words(staff_client, world):
    html = staff_client.get(URL).get_data(as_text=True)
    assert (
        "Nepal (NPL) rates “Authorized Economic Operators and mutual recognition” as a high "
        "priority, and no activity of 2025-2026 addresses it" in html
    )
    assert "rates aeo" not in html
    assert "“The content is relevant to my job.” (relevance) rated 3.0 on average" in html
    a1 = world.activities["A1"]
    assert f'Activity: <a href="/manage/activities/{a1.id}">{a1.title}</a>.' in html


def test_filters_narrow_the_log_and_can_be_cleared(staff_client, session, world):
    everything = staff_client.get(URL).get_data(as_text=True)
    assert count_line(everything) == "4 of 4 findings." and len(shown(everything)) == 4
    assert "Clear filters" not in everything

    def summaries(query: str) -> list[str]:
        html = staff_client.get(f"{URL}&{query}").get_data(as_text=True)
        found = shown(html)
        assert count_line(html) == f"{len(found)} of 4 findings match these filters."
        assert 'href="/manage/post-action?year=2025-2026">Clear filters</a>' in html
        return found

    barrier = summaries("kind=barrier")
    assert len(barrier) == 1 and "Workload and lack of time" in barrier[0]
    fiji = summaries("member=FJI")  # A1 hosts Fiji
    assert len(fiji) == 2 and all(s.startswith(world.activities["A1"].title) for s in fiji)
    assert [s[:12] for s in summaries("member=NPL")] == ["Nepal (NPL) "]
    assert summaries("member=TON") == []
    assert len(summaries("item=1-(a)")) == 2  # A1 serves 1-(a)
    assert summaries("item=1-(q)") == []
    # The need's thematic area maps to 1-(d) in the needs questionnaire.
    WorkPlanItemFactory(plan_year=plan_year(), code="1-(d)", title="AEO programmes")
    session.commit()
    assert [s[:12] for s in summaries("item=1-(d)")] == ["Nepal (NPL) "]
    # Actioned or not; an action's item also counts for the item filter.
    workload = finding(session, "barrier:%")
    q_item = item(session, "1-(q)")
    add_action(session, workload, "Ask heads of training to free time.", None, item_id=q_item.id)
    session.commit()
    assert [s[:10] for s in summaries("actioned=yes")] == ["“Workload "]
    assert len(summaries("actioned=no")) == 3
    assert [s[:10] for s in summaries("item=1-(q)")] == ["“Workload "]
    both = summaries("kind=low_dimension&member=FJI&actioned=no&item=1-(a)")
    assert len(both) == 1 and "relevance" in both[0]
    # The filter form shows what is chosen.
    html = staff_client.get(f"{URL}&kind=barrier&member=FJI").get_data(as_text=True)
    assert '<option selected value="barrier">' in html and '<option selected value="FJI">' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=nonsense", "Parameter kind: one of low_satisfaction"),
        ("actioned=maybe", "Parameter actioned: yes or no"),
        ("member=XXX", "Parameter member: no Member with the code &#39;XXX&#39;"),
        ("item=9-(z)", "Parameter item: no work-plan item &#39;9-(z)&#39; in the 2025-2026 plan"),
    ],
)
def test_an_unknown_filter_value_is_named(staff_client, world, query, message):
    response = staff_client.get(f"{URL}&{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_the_action_form_offers_pickers_of_the_plan(staff_client, session, world):
    html = staff_client.get(URL).get_data(as_text=True)
    items = re.search(r'<datalist id="plan-items">(.*?)</datalist>', html, re.S).group(1)
    activities = re.search(r'<datalist id="plan-activities">(.*?)</datalist>', html, re.S).group(1)
    a1 = world.activities["A1"]
    assert f'<option value="1-(a) {item(session, "1-(a)").title}">' in items
    assert f'<option value="{a1.starts_on.isoformat()} · {a1.title}">' in activities
    assert 'list="plan-items"' in html and 'list="plan-activities"' in html
    assert "Activity number" not in html and 'type="number"' not in html


def test_valid_picks_record_the_item_and_the_activity(staff_client, session, world):
    need = finding(session, "uncovered_need:%")
    a2 = world.activities["A2"]
    q_item = item(session, "1-(q)")
    done = post_form(
        staff_client,
        f"/manage/findings/{need.id}/actions?member=NPL",
        {
            "decision": "Add AEO sessions to Nepal's workshop.",
            "item": f"1-(q) {q_item.title}",
            "activity": f"{a2.starts_on.isoformat()} · {a2.title}",
        },
        page=URL,
    )
    assert done.status_code == 302
    assert done.location.endswith(
        f"/manage/post-action?year=2025-2026&member=NPL#finding-{need.id}"
    )
    action = session.scalar(select(PlanningAction))
    assert (action.item_id, action.activity_id) == (q_item.id, a2.id)
    page = staff_client.get(done.location).get_data(as_text=True)
    assert "Planning action recorded." in page and "→ item 1-(q)" in page
    # A code typed alone is understood too.
    post_form(
        staff_client,
        f"/manage/findings/{need.id}/actions",
        {"decision": "Also in 1-(a).", "item": "1-(A)"},
        page=URL,
    )
    assert session.scalars(select(PlanningAction.item_id).order_by(PlanningAction.id)).all() == [
        q_item.id,
        item(session, "1-(a)").id,
    ]


def test_an_unknown_pick_is_refused_by_name_and_nothing_is_lost(staff_client, session, world):
    need = finding(session, "uncovered_need:%")
    decision = "Plan a national AEO workshop for Nepal next year."
    refused = post_form(
        staff_client,
        f"/manage/findings/{need.id}/actions?kind=barrier",
        {"decision": decision, "item": "7-(zz) Nothing", "activity": "2025-01-01 · No such"},
        page=URL,
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Work-plan item: “7-(zz) Nothing” is not an item of the 2025-2026 plan" in html
    assert "Activity: “2025-01-01 · No such” is not an activity of 2025-2026" in html
    assert session.scalar(select(PlanningAction)) is None
    # The form comes back open and filled, even though the filter hides the finding.
    card = html[html.index(f'id="finding-{need.id}"') :]
    card = card[: card.index("</section>")]
    assert "<details open>" in card and f">{decision}</textarea>" in card
    assert 'value="7-(zz) Nothing"' in card and 'value="2025-01-01 · No such"' in card
    assert 'aria-invalid="true"' in card
    # An activity of another plan year is not offered, and not accepted.
    other = ActivityFactory(
        plan_year=plan_year("2023-2024"), title="Old workshop", starts_on=date(2023, 9, 1)
    )
    session.commit()
    again = post_form(
        staff_client,
        f"/manage/findings/{need.id}/actions",
        {"decision": decision, "activity": f"2023-09-01 · {other.title}"},
        page=URL,
    )
    assert again.status_code == 422 and "is not an activity of 2025-2026" in again.get_data(
        as_text=True
    )
    assert session.scalar(select(PlanningAction)) is None


def test_the_log_makes_as_many_queries_for_many_findings_as_for_few(
    staff_client, session, world, count_queries
):
    def statements(url: str) -> int:
        before = count_queries.count
        assert staff_client.get(url).status_code == 200
        return count_queries.count - before

    one = item(session, "1-(a)").id
    add_action(session, finding(session, "low_satisfaction:%"), "First", None, item_id=one)
    session.commit()
    few = statements(URL + "&item=1-(a)")
    for n in range(40):
        extra = Finding(
            plan_year_id=finding(session, "barrier:%").plan_year_id,
            kind=finding(session, "barrier:%").kind,
            key=f"barrier:extra{n}",
            summary=f"Extra barrier {n}",
            activity_id=world.activities["A1"].id,
        )
        session.add(extra)
        session.flush()
        add_action(session, extra, f"Action {n}", None, item_id=one)
    session.commit()
    many = statements(URL + "&item=1-(a)")
    assert many == few
    assert "42 of 44 findings match these filters." in staff_client.get(
        URL + "&item=1-(a)"
    ).get_data(as_text=True)
