"""Importing the work plan into the database: idempotence, updates, export, the real file."""

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import Activity, ActivityStatus, Pillar, WorkPlanItem
from app.workplan.importer import WorkPlanImportError, export_workplan, import_workplan
from app.workplan.merging import title_key
from tests.samples import PLAN_FILES, SMALL_PLAN


def stored_activities(session):
    return session.scalars(select(Activity).order_by(Activity.id)).all()


def test_import_creates_items_activities_and_links(session):
    summary = import_workplan(session, SMALL_PLAN, "2025-2026")
    assert (summary.items, summary.activities, summary.cb_activities) == (2, 3, 2)
    # Iran and AP region: 1-(a) and 1-(b) each (AP region only by cross-reference).
    assert summary.item_links == 2 + 2 + 1
    assert summary.member_links == 1 + 35
    items = session.scalars(select(WorkPlanItem).order_by(WorkPlanItem.position)).all()
    assert [(i.code, i.rsp, i.kpi) for i in items] == [
        ("1-(a)", "RSP 1.1.1 – 1st milestone", "Number of implementing Members"),
        ("1-(b)", "RSP 1.1.1 – 2nd milestone", "Number of Members"),
    ]
    iran = session.scalar(select(Activity).where(Activity.title.like("%Iran")))
    assert [i.code for i in iran.items] == ["1-(a)", "1-(b)"]
    assert [m.code for m in iran.members] == ["IRN"]
    assert iran.status is ActivityStatus.PLANNED
    assert session.scalar(select(Pillar.title)) == "Support the implementation of WCO conventions"


def test_reimporting_never_duplicates_and_keeps_staff_fields(session):
    import_workplan(session, SMALL_PLAN, "2025-2026")
    iran = session.scalar(select(Activity).where(Activity.title.like("%Iran")))
    iran.status = ActivityStatus.DELIVERED
    iran.starts_on, iran.ends_on = date(2025, 9, 1), date(2025, 9, 5)
    iran.venue = "Tehran"
    session.flush()
    changed = SMALL_PLAN.replace("assist with nCEN", "assist with the national CEN")
    summary = import_workplan(session, changed, "2025-2026")
    assert (summary.items_created, summary.items_updated) == (0, 2)
    assert (summary.activities_created, summary.activities_updated) == (0, 3)
    assert session.scalar(select(func.count()).select_from(Activity)) == 3
    assert session.scalar(select(func.count()).select_from(WorkPlanItem)) == 2
    session.expire_all()
    assert (
        session.scalar(select(WorkPlanItem.title).where(WorkPlanItem.code == "1-(b)"))
        == "Upon request, assist with the national CEN"
    )
    iran = session.scalar(select(Activity).where(Activity.title.like("%Iran")))
    assert (iran.status, iran.venue, iran.starts_on) == (
        ActivityStatus.DELIVERED,
        "Tehran",
        date(2025, 9, 1),
    )


def test_a_file_without_items_is_an_error_and_writes_nothing(session):
    with pytest.raises(WorkPlanImportError, match="No work-plan items found"):
        import_workplan(session, "Just some text\nwith no plan in it\n", "2025-2026")
    assert session.scalar(select(func.count()).select_from(WorkPlanItem)) == 0


def test_export_has_the_documented_shape(session):
    import_workplan(session, SMALL_PLAN, "2025-2026")
    data = export_workplan(session, "2025-2026")
    assert set(data) == {"year", "items", "activities"}
    assert data["year"] == "2025-2026"
    assert data["items"][0] == {
        "code": "1-(a)",
        "pillar": 1,
        "title": "Upon request, assist with risk management",
        "rsp": "RSP 1.1.1 – 1st milestone",
        "kpi": "Number of implementing Members",
    }
    by_title = {a["title"]: a for a in data["activities"]}
    iran = by_title["National workshop on Risk Management for Iran"]
    assert set(iran) == {"id", "title", "kind", "counts_as_cb_activity", "items", "members"}
    assert iran["kind"] == "national_workshop"
    assert iran["counts_as_cb_activity"] is True
    assert iran["items"] == ["1-(a)", "1-(b)"]
    assert iran["members"] == ["IRN"]
    ongoing = by_title["Upon request, consult with the WCO aiming at providing assistance"]
    assert ongoing["kind"] == "ongoing_action" and ongoing["counts_as_cb_activity"] is False


def test_export_of_a_year_not_imported_is_an_error(session):
    with pytest.raises(WorkPlanImportError, match="No plan stored for 2030-2031"):
        export_workplan(session, "2030-2031")


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.parent.name)
def test_the_real_2025_2026_plan(session, path):
    summary = import_workplan(session, path.read_text(encoding="utf-8"), "2025-2026")
    items = session.scalars(select(WorkPlanItem)).all()
    assert len(items) == 53
    assert Counter(i.pillar for i in items) == {1: 38, 2: 2, 3: 11, 4: 2}
    codes = {i.code for i in items}
    assert {"1-(a)", "1-(ll)", "2-(a)", "2-(b)", "3-(f)", "3-(k)", "4-(b)"} <= codes
    item = {i.code: i for i in items}
    assert item["3-(j)"].kpi == "Number of tangible results realized by Members"
    assert item["3-(j)"].rsp == "RSP 3.2.1 – 5th milestone"
    assert item["3-(k)"].rsp == "RSP 3.3.1 – 1st to 2nd milestones"
    assert item["1-(aa)"].rsp == "RSP 2.2.1 – 1st milestone"
    assert item["1-(o)"].title == (
        "Upon request, assist Member’s effort in implementing the "
        "resolution on Natural Disaster Relief"
    )

    data = export_workplan(session, "2025-2026")
    activities = data["activities"]
    keys = [title_key(a["title"]) for a in activities]
    assert len(keys) == len(set(keys)), "an activity is stored twice"
    assert summary.activities == len(activities) == 103
    assert sum(a["counts_as_cb_activity"] for a in activities) == 74

    by_title = {a["title"]: a for a in activities}

    def expect(title, items, members):
        activity = by_title[title]
        assert set(activity["items"]) == set(items), title
        assert set(activity["members"]) == set(members), title
        return activity

    expect(
        "National workshop on Risk Management for Iran",
        ["1-(a)", "1-(b)", "1-(c)", "1-(dd)", "1-(hh)"],
        ["IRN"],
    )
    expect(
        "National Workshop on Valuation for Fiji and Indonesia",
        ["1-(c)", "1-(p)", "3-(k)"],
        ["FJI", "IDN"],
    )
    expect(
        "National workshop on AEO for Lao People's Dem. Rep., Vanuatu, Timor-Leste, "
        "Philippines and Vietnam",
        ["1-(d)", "1-(e)", "1-(u)", "1-(hh)", "3-(k)"],
        ["LAO", "VUT", "TLS", "PHL", "VNM"],
    )
    expect("National WS on PCA for Maldives", ["1-(q)", "1-(hh)"], ["MDV"])
    expect(
        "Sub-Regional Workshop on Risk Management based on Risk Management Compendium for "
        "Fiji, Papua New Guinea, Samoa, Timor-Leste, Tonga, Vanuatu",
        ["1-(a)", "1-(b)", "1-(c)", "1-(dd)", "1-(hh)", "3-(k)"],
        ["FJI", "PNG", "WSM", "TLS", "TON", "VUT"],
    )
    expect(
        "National workshop on PCCP - Bangladesh, X-Ray Image Analysis Training in Dhaka",
        ["1-(y)", "1-(z)", "1-(dd)", "1-(ee)"],
        ["BGD"],
    )
    expect(
        "National workshop to enhance the capacity to enforce CITES for Lao People's Dem. Rep.",
        ["1-(cc)", "1-(ii)"],
        ["LAO"],
    )
    expect(
        "National workshop on adoption of procedures for the expedited release of goods "
        "for Sri Lanka and Tonga",
        ["1-(ll)", "3-(k)"],
        ["LKA", "TON"],
    )
    assert len(by_title["Regional Workshop on Risk Management for AP region"]["members"]) == 35
    rkc = expect(
        "Upon request, consult with the WCO aiming at providing assistance in implementing RKC",
        ["1-(g)"],
        [],
    )
    assert rkc["kind"] == "ongoing_action" and not rkc["counts_as_cb_activity"]
    assert by_title["Organize 23rd RTC Heads meeting"]["kind"] == "meeting"

    warnings = [str(w) for w in summary.warnings]
    assert any("'Guinea'" in w and "line 120" in w for w in warnings)
    assert any("taken as one activity" in w and "Zamiin Uud" in w for w in warnings)
    assert not any("has no RSP reference" in w or "outside any item" in w for w in warnings)

    again = import_workplan(session, path.read_text(encoding="utf-8"), "2025-2026")
    assert (again.activities_created, again.items_created) == (0, 0)
    assert session.scalar(select(func.count()).select_from(Activity)) == 103
