"""The plan page: each activity once with its items as tags, filters as GET parameters,
items in their natural code order."""

from __future__ import annotations

import re
from urllib.parse import unquote

from app.models import ActivityKind, ActivityStatus, Modality
from tests.factories import ActivityFactory, WorkPlanItemFactory, member

URL = "/manage/plan/2025-2026"


def text(response) -> str:
    return response.get_data(as_text=True)


def listed_titles(html: str) -> list[str]:
    return re.findall(r'<a class="activity-title" href="[^"]+">([^<]+)</a>', html)


def tags_of(html: str, title: str) -> list[str]:
    entry = html[html.index(f">{title}</a>") :]
    entry = entry[: entry.index("</li>")]
    return re.findall(r'<a class="tag"[^>]*>([^<]+)</a>', entry)


def _plan(session):
    # Made out of code order, so the positions alone would list 1-(z) first.
    z = WorkPlanItemFactory(code="1-(z)", title="Promote the Revised Kyoto Convention")
    aa = WorkPlanItemFactory(code="1-(aa)", title="Support e-commerce frameworks")
    b = WorkPlanItemFactory(code="1-(b)", title="Assist with nCEN")
    a = WorkPlanItemFactory(code="1-(a)", title="Support the Trade Facilitation Agreement")
    wide = ActivityFactory(
        title="Regional workshop on three items",
        kind=ActivityKind.REGIONAL_WORKSHOP,
        modality=Modality.VIRTUAL,
        status=ActivityStatus.DELIVERED,
        items=[aa, z, b],
        members=[member("FJI"), member("TON")],
    )
    narrow = ActivityFactory(
        title="National workshop on nCEN for Nepal",
        modality=Modality.IN_PERSON,
        items=[b],
        members=[member("NPL")],
    )
    other = ActivityFactory(title="Meeting on the plan", kind=ActivityKind.MEETING, items=[a])
    session.commit()
    return {"a": a, "b": b, "z": z, "aa": aa}, wide, narrow, other


def test_an_activity_serving_three_items_is_listed_once_with_its_items_as_tags(
    staff_client, session
):
    _items, wide, narrow, other = _plan(session)
    html = text(staff_client.get(URL))
    assert listed_titles(html).count(wide.title) == 1
    assert sorted(listed_titles(html)) == sorted([wide.title, narrow.title, other.title])
    assert "3 activities, each listed once with the items it serves." in html
    # Its tags in natural code order, each with the item's text on hover.
    assert tags_of(html, wide.title) == ["1-(b)", "1-(z)", "1-(aa)"]
    assert 'title="1-(aa) Support e-commerce frameworks"' in html
    # Listed in the order of the first item each serves (1-(a), then 1-(b) by title).
    assert listed_titles(html) == [other.title, narrow.title, wide.title]


def test_the_plan_items_are_listed_in_natural_code_order_with_their_counts(staff_client, session):
    _plan(session)
    html = text(staff_client.get(URL))
    index = html[html.index('<details class="plan-items"') : html.index("</details>")]
    assert re.findall(r'<li id="item-([^"]+)">', index) == ["1-(a)", "1-(b)", "1-(z)", "1-(aa)"]
    b_entry = index[index.index('id="item-1-(b)"') :]
    assert "2 activities" in b_entry[: b_entry.index("</li>")]
    a_entry = index[index.index('id="item-1-(a)"') :]
    assert "1 activity<" in a_entry[: a_entry.index("</li>")]
    assert 'href="/manage/plan/2025-2026?item=1-(b)"' in index
    select = html[html.index('name="item"') :]
    select = select[: select.index("</select>")]
    assert re.findall(r'<option[^>]*value="([^"]*)"', select) == [
        "",
        "1-(a)",
        "1-(b)",
        "1-(z)",
        "1-(aa)",
    ]


def test_the_filters_narrow_the_list_and_combine(staff_client, session):
    _items, wide, narrow, other = _plan(session)
    by_item = text(staff_client.get(URL, query_string={"item": "1-(b)"}))
    assert sorted(listed_titles(by_item)) == sorted([wide.title, narrow.title])
    assert "2 of 3 activities match these filters." in by_item
    assert "Assist with nCEN" in by_item[by_item.index('class="item chosen-item"') :]
    assert listed_titles(text(staff_client.get(URL + "?kind=meeting"))) == [other.title]
    assert listed_titles(text(staff_client.get(URL + "?modality=virtual"))) == [wide.title]
    assert listed_titles(text(staff_client.get(URL + "?status=delivered"))) == [wide.title]
    combined = text(staff_client.get(URL, query_string={"item": "1-(b)", "modality": "in_person"}))
    assert listed_titles(combined) == [narrow.title]
    # A tag keeps the other filters: bookmarkable, no JavaScript needed.
    [tag] = re.findall(r'<a class="tag" href="([^"]+)"', combined)
    assert sorted(unquote(tag).split("?")[1].split("&amp;")) == ["item=1-(b)", "modality=in_person"]
    nothing = text(staff_client.get(URL + "?kind=training"))
    assert listed_titles(nothing) == [] and "No activity matches." in nothing


def test_filter_values_that_are_not_the_plans_are_a_clear_400(staff_client, session):
    _plan(session)
    for query, says in (
        ("item=9-(q)", "Parameter item: &#39;9-(q)&#39; is not an item of the 2025-2026 plan."),
        ("kind=party", "Parameter kind: one of national_workshop"),
        ("modality=telepathy", "Parameter modality: one of in_person"),
        ("status=x", "Parameter status: one of planned"),
    ):
        refused = staff_client.get(f"{URL}?{query}")
        assert refused.status_code == 400 and says in text(refused), query


def test_the_plan_page_makes_the_same_statements_for_3_or_40_activities(
    staff_client, session, count_queries
):
    items, *_ = _plan(session)

    def statements() -> int:
        before = count_queries.count
        assert staff_client.get(URL).status_code == 200
        return count_queries.count - before

    few = statements()
    for _ in range(37):
        ActivityFactory(items=[items["a"], items["z"]], members=[member("FJI")])
    session.commit()
    assert statements() == few
