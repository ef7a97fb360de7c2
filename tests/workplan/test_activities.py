"""Listing with filters, and the rules for creating and editing activities."""

from datetime import date

import pytest

from app.models import ActivityKind, ActivityStatus, Modality
from app.workplan.activities import (
    ActivityData,
    ActivityError,
    ActivityFilters,
    create_activity,
    list_activities,
    update_activity,
)
from tests.factories import ActivityFactory, WorkPlanItemFactory, member, plan_year


@pytest.fixture()
def sample(session):
    item_a = WorkPlanItemFactory(code="1-(a)")
    item_b = WorkPlanItemFactory(code="1-(b)")
    fiji = ActivityFactory(
        title="National workshop on Valuation for Fiji",
        members=[member("FJI")],
        items=[item_a],
        status=ActivityStatus.DELIVERED,
    )
    tonga = ActivityFactory(
        title="National workshop on AEO for Tonga",
        members=[member("TON")],
        items=[item_a, item_b],
        venue="Nuku'alofa",
    )
    regional = ActivityFactory(
        title="Regional workshop on Free Zone", kind=ActivityKind.REGIONAL_WORKSHOP, items=[item_b]
    )
    other_year = ActivityFactory(plan_year=plan_year("2024-2025"), members=[member("FJI")])
    return {"fiji": fiji, "tonga": tonga, "regional": regional, "other_year": other_year}


def titles(session, **filters):
    rows, total = list_activities(session, ActivityFilters(year="2025-2026", **filters))
    assert total == len(rows)
    return {a.title for a in rows}


def test_filters(session, sample):
    fiji, tonga, regional = sample["fiji"].title, sample["tonga"].title, sample["regional"].title
    assert titles(session) == {fiji, tonga, regional}
    assert titles(session, item="1-(a)") == {fiji, tonga}
    assert titles(session, item="1-(b)") == {tonga, regional}
    assert titles(session, member="fji") == {fiji}
    assert titles(session, kind=ActivityKind.REGIONAL_WORKSHOP) == {regional}
    assert titles(session, status=ActivityStatus.DELIVERED) == {fiji}
    assert titles(session, text="nuku") == {tonga}
    assert titles(session, item="1-(a)", member="TON") == {tonga}
    assert titles(session, item="9-(z)") == set()


def test_pagination_reports_the_total(session, sample):
    rows, total = list_activities(session, ActivityFilters(year="2025-2026"), page=2, per_page=2)
    assert total == 3 and len(rows) == 1


def data(**overrides) -> ActivityData:
    values = {"title": "National workshop on PCA for Nepal", "kind": ActivityKind.NATIONAL_WORKSHOP}
    values.update(overrides)
    return ActivityData(**values)


def test_create_and_update(session):
    year = plan_year()
    item = WorkPlanItemFactory(code="1-(q)")
    activity = create_activity(
        session,
        year,
        data(member_ids=[member("NPL").id], item_ids=[item.id], experts=3, accredited_experts=1),
    )
    assert [m.code for m in activity.members] == ["NPL"]
    assert [i.code for i in activity.items] == ["1-(q)"]
    update_activity(
        session,
        activity,
        data(
            status=ActivityStatus.DELIVERED,
            modality=Modality.VIRTUAL,
            starts_on=date(2025, 10, 6),
            ends_on=date(2025, 10, 8),
            item_ids=[item.id],
        ),
    )
    assert activity.status is ActivityStatus.DELIVERED and activity.members == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "  "}, "title", "Give the activity a title"),
        (
            {"starts_on": date(2025, 9, 5), "ends_on": date(2025, 9, 1)},
            "ends_on",
            "end date is before",
        ),
        ({"experts": 1, "accredited_experts": 2}, "accredited_experts", "cannot be more"),
        ({"status": ActivityStatus.DELIVERED}, "starts_on", "needs its start and end dates"),
        ({"member_ids": [999999]}, "members", "does not exist"),
    ],
)
def test_invalid_activity_data_names_the_field(session, overrides, field, message):
    with pytest.raises(ActivityError, match=message) as raised:
        create_activity(session, plan_year(), data(**overrides))
    assert raised.value.field == field


def test_items_of_another_year_are_refused(session):
    old_item = WorkPlanItemFactory(plan_year=plan_year("2024-2025"), code="1-(a)")
    with pytest.raises(ActivityError, match="items of 2025-2026"):
        create_activity(session, plan_year(), data(item_ids=[old_item.id]))
