"""Every KPI on a small year whose figures are worked out by hand (see tests/kpi_world.py).
The same assertions run on SQLite and on PostgreSQL, so both give identical JSON."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.kpis.figures import compute_kpis
from app.kpis.findings import ActionError, FindingRules, add_action, refresh_findings
from app.kpis.results_register import ReviewError, review_result
from app.kpis.scope import KpiError, KpiFilters
from app.models import Finding, ResultStatus, TangibleResult
from tests.factories import UserFactory
from tests.kpi_world import TODAY, build


@pytest.fixture()
def world(session):
    return build(session)


def kpis(session, **filters):
    return compute_kpis(session, "2025-2026", KpiFilters(**filters), 3, TODAY).as_api()


def review_all(session, world):
    reviewer = UserFactory(role="staff")
    results = session.scalars(select(TangibleResult).order_by(TangibleResult.id)).all()
    assert [(r.category, r.entry) for r in results] == [
        ("procedure", 1),
        ("legislation", 2),
        ("procedure", 1),
    ]
    review_result(session, results[0], ResultStatus.VERIFIED, reviewer)
    review_result(
        session,
        results[1],
        ResultStatus.REJECTED,
        reviewer,
        "A draft amendment is not yet a result.",
    )
    return reviewer


def test_all_kpis_without_filters(session, world):
    review_all(session, world)
    refresh_findings(
        session, "2025-2026", FindingRules(low_score=3.5, barrier_min_reports=2), TODAY
    )
    finding = session.scalar(select(Finding).where(Finding.key == "uncovered_need:NPL:aeo"))
    add_action(session, finding, "Add a national AEO workshop for Nepal in 2026-2027.", None)
    add_action(session, finding, "Ask the AEO accredited experts pool for a trainer.", None)

    assert kpis(session) == {
        "year": "2025-2026",
        "filters": {
            "member": None,
            "subregion": None,
            "item": None,
            "kind": None,
            "modality": None,
        },
        "surveys_conducted": {
            # E1, E2, N and F1 ran during the year; F2 opens after it; D was never opened.
            "rounds": 4,
            "by_kind": {"needs_assessment": 1, "evaluation": 2, "follow_up": 1},
            "invitations": 14,  # 4 + 3 + 3 + 4
            "responses": 9,  # 3 + 2 + 2 + 2 (the draft does not count)
            "response_rate": 0.6429,  # 9 of 14 invitations answered
        },
        "activities": {
            "delivered": 2,  # A1 and A2; A3 is a meeting, A4 planned, A5 cancelled
            "by_kind": {"national_workshop": 1, "regional_workshop": 1},
            "participants": 6,  # p1 attended both and counts once
            "women_share": 0.6,  # p1, p3, p6 of the 5 who gave their gender
            "members_reached": 3,  # FJI, TON, NPL
            "needs_coverage": 0.75,  # 3 of 4 high needs have an activity
            "uncovered_needs": [{"member": "NPL", "area": "aeo"}],
        },
        "evaluation": {
            "responses": 5,
            "response_rate": 0.7143,  # 5 of the 7 participants of A1 and A2
            "overall_mean": 3.4,  # (5+3+2+3+4)/5
            "overall_distribution": {"1": 0, "2": 1, "3": 2, "4": 1, "5": 1},
            "top2_share": 0.4,  # 4 or 5: two of five
            "nps": 20.0,  # promoters 10, 9; detractor 5: (2-1)/5
            "dimensions": {
                "content": None,
                "facilitators": None,
                "objectives": None,
                "organisation": None,
                "relevance": 3.0,
            },  # (4+3+2+4+2)/5
            "knowledge_gain": 1.2,  # after 18/5 - before 12/5
        },
        "post_action": {"findings": 4, "actioned": 1, "actions": 2},
        "tangible_results": {
            "reported": 1,
            "verified": 1,
            "rejected": 1,
            "by_member": {"FJI": 1},
            "by_category": {"procedure": 1},
        },
    }


def test_member_filter(session, world):
    review_all(session, world)
    refresh_findings(
        session, "2025-2026", FindingRules(low_score=3.5, barrier_min_reports=2), TODAY
    )
    result = kpis(session, member="FJI")
    assert result["filters"]["member"] == "FJI"
    assert result["surveys_conducted"] == {
        "rounds": 4,
        "by_kind": {"needs_assessment": 1, "evaluation": 2, "follow_up": 1},
        "invitations": 8,  # E1 p1-p3, E2 p1, N FJI, F1 p1-p3
        "responses": 6,
        "response_rate": 0.75,
    }
    assert result["activities"] == {
        "delivered": 2,
        "by_kind": {"national_workshop": 1, "regional_workshop": 1},
        "participants": 3,
        "women_share": 0.6667,
        "members_reached": 1,
        "needs_coverage": 1.0,
        "uncovered_needs": [],
    }
    evaluation = result["evaluation"]
    # p1 also attended A2 and did not answer its evaluation: 3 of 4 (tests/kpis/test_rules.py)
    assert evaluation["responses"] == 3 and evaluation["response_rate"] == 0.75
    assert evaluation["overall_mean"] == 3.33  # (5+3+2)/3
    assert evaluation["overall_distribution"] == {"1": 0, "2": 1, "3": 1, "4": 0, "5": 1}
    assert evaluation["top2_share"] == 0.3333
    assert evaluation["nps"] == 33.3  # (2-1)/3
    assert evaluation["dimensions"]["relevance"] == 3.0
    assert evaluation["knowledge_gain"] == 1.67  # 11/3 - 6/3
    # A1's two findings (FJI hosted it); not Nepal's need, not the barrier.
    assert result["post_action"] == {"findings": 2, "actioned": 0, "actions": 0}
    assert result["tangible_results"]["verified"] == 1
    other = kpis(session, member="WSM")
    assert other["activities"]["delivered"] == 0 and other["evaluation"]["responses"] == 0
    assert other["tangible_results"] == {
        "reported": 0,
        "verified": 0,
        "rejected": 0,
        "by_member": {},
        "by_category": {},
    }


def test_kind_filter_and_suppression(session, world):
    result = kpis(session, kind="regional_workshop")
    assert result["surveys_conducted"] == {
        "rounds": 1,
        "by_kind": {"needs_assessment": 0, "evaluation": 1, "follow_up": 0},
        "invitations": 3,
        "responses": 2,
        "response_rate": 0.6667,
    }
    activities = result["activities"]
    assert activities["delivered"] == 1 and activities["participants"] == 3
    assert activities["women_share"] == 0.6667 and activities["members_reached"] == 2
    # Only A2 can cover needs now: both Members' PCA needs, not FJI's risk management.
    assert activities["needs_coverage"] == 0.5
    assert activities["uncovered_needs"] == [
        {"member": "FJI", "area": "risk_management"},
        {"member": "NPL", "area": "aeo"},
    ]
    # Two responses are fewer than the minimum group of 3: nothing is shown.
    assert result["evaluation"] == {
        "responses": 2,
        "response_rate": 0.6667,
        "overall_mean": None,
        "overall_distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
        "top2_share": None,
        "nps": None,
        "dimensions": {
            "content": None,
            "facilitators": None,
            "objectives": None,
            "organisation": None,
            "relevance": None,
        },
        "knowledge_gain": None,
    }


def test_subregion_modality_and_item_filters(session, world):
    south_asia = kpis(session, subregion="south_asia")
    assert south_asia["activities"]["delivered"] == 1  # A2 (NPL host and participants)
    assert south_asia["activities"]["participants"] == 2  # p5, p6
    assert south_asia["activities"]["women_share"] == 0.5
    assert south_asia["activities"]["uncovered_needs"] == [{"member": "NPL", "area": "aeo"}]
    in_person = kpis(session, modality="in_person")
    assert (
        in_person["activities"]["delivered"] == 1 and in_person["activities"]["participants"] == 4
    )
    assert in_person["evaluation"]["responses"] == 3
    assert in_person["evaluation"]["overall_mean"] == 3.33
    pca = kpis(session, item="1-(q)")
    assert pca["activities"]["delivered"] == 1 and pca["activities"]["by_kind"] == {
        "regional_workshop": 1
    }
    assert kpis(session, item="9-(z)")["activities"]["delivered"] == 0


def test_breakdowns_for_the_dashboard(session, world):
    report = compute_kpis(session, "2025-2026", KpiFilters(), 3, TODAY)
    details = report.activity_details
    assert details["by_modality"] == {"in_person": 1, "virtual": 1}
    assert details["by_subregion"] == {"pacific": 2, "south_asia": 1}
    assert details["by_pillar"] == {"1": 2, "3": 1}
    assert details["by_item"] == {"1-(a)": 1, "1-(q)": 1, "3-(k)": 1}
    assert details["sie_activities"] == 2  # Fiji is a Small Island Economy
    assert (details["experts"], details["accredited_experts"]) == (5, 3)
    a1, a2 = world.activities["A1"].id, world.activities["A2"].id
    assert report.evaluation_by_activity[a1].overall_mean == 3.33
    assert report.evaluation_by_activity[a2].suppressed
    assert report.evaluation_by_item["3-(k)"].responses == 3
    assert report.evaluation_by_item["1-(q)"].suppressed


def test_finding_rules(session, world):
    refresh = refresh_findings(
        session, "2025-2026", FindingRules(low_score=3.5, barrier_min_reports=2), TODAY
    )
    keys = sorted(f.key for f in session.scalars(select(Finding)))
    a1 = world.activities["A1"].id
    assert keys == sorted(
        [
            f"low_satisfaction:{a1}",
            f"low_dimension:{a1}:relevance",
            "uncovered_need:NPL:aeo",
            "barrier:workload",
        ]
    )
    assert refresh.created == 4
    barrier = session.scalar(select(Finding).where(Finding.key == "barrier:workload"))
    assert "Workload and lack of time" in barrier.summary and "2 follow-up" in barrier.summary
    # Stricter rules: the barrier and A1's relevance (3.0) no longer qualify.
    again = refresh_findings(
        session, "2025-2026", FindingRules(low_score=3.0, barrier_min_reports=3), TODAY
    )
    assert again.created == 0 and again.retired == 3
    current = {f.key for f in session.scalars(select(Finding).where(Finding.current))}
    assert current == {"uncovered_need:NPL:aeo"}
    with pytest.raises(ActionError, match="Write what was decided"):
        add_action(session, barrier, "  ", None)
    with pytest.raises(ActionError, match="No work-plan item"):
        add_action(session, barrier, "Plan it", None, item_code="9-(z)")


def test_verification_changes_the_tangible_results_kpi(session, world):
    assert kpis(session)["tangible_results"] == {
        "reported": 3,
        "verified": 0,
        "rejected": 0,
        "by_member": {},
        "by_category": {},
    }
    reviewer = review_all(session, world)
    assert kpis(session)["tangible_results"]["verified"] == 1
    last = session.scalars(select(TangibleResult).order_by(TangibleResult.id)).all()[2]
    review_result(session, last, ResultStatus.VERIFIED, reviewer)
    assert kpis(session)["tangible_results"] == {
        "reported": 0,
        "verified": 2,
        "rejected": 1,
        "by_member": {"FJI": 2},
        "by_category": {"procedure": 2},
    }
    with pytest.raises(ReviewError, match="Say why"):
        review_result(session, last, ResultStatus.REJECTED, reviewer, "")


def test_unknown_year_and_filters_are_errors(session, world):
    with pytest.raises(KpiError, match="year: no plan stored for 2030-2031"):
        compute_kpis(session, "2030-2031")
    with pytest.raises(KpiError, match="member: no Member with the code 'XXX'"):
        compute_kpis(session, "2025-2026", KpiFilters(member="XXX"))
    with pytest.raises(KpiError, match="kind: 'party'"):
        KpiFilters.parse({"kind": "party"})


def test_an_empty_year_has_nulls_not_errors(session):
    from tests.factories import plan_year

    plan_year("2023-2024")
    result = compute_kpis(session, "2023-2024").as_api()
    assert result["activities"]["women_share"] is None
    assert result["activities"]["needs_coverage"] is None
    assert result["evaluation"]["overall_mean"] is None
    assert result["surveys_conducted"]["response_rate"] is None


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"member": "FJI"},
        {"subregion": "south_asia"},
        {"kind": "regional_workshop"},
        {"item": "3-(k)"},
        {"modality": "virtual"},
        {"member": "WSM"},
    ],
)
def test_totals_without_the_breakdown_are_the_same(session, world, filters):
    review_all(session, world)
    full = compute_kpis(session, "2025-2026", KpiFilters(**filters), 3, TODAY)
    totals = compute_kpis(session, "2025-2026", KpiFilters(**filters), 3, TODAY, breakdown=False)
    assert totals.as_api() == full.as_api()
    assert totals.evaluation_by_activity == {} and totals.evaluation_by_item == {}
    if not filters:
        assert full.evaluation_by_activity  # the breakdown is there when asked for


def test_answer_counts_become_the_evaluation_figures():
    """The evaluation figures are read from counts of (question, matrix row, score):
    matrix-row dimensions, a likert dimension, NPS bands and knowledge, worked by hand."""
    from app.kpis.evaluation import _Accumulator, _Figures
    from app.kpis.scope import RoleKeys

    roles = RoleKeys(
        keys={
            "overall_satisfaction": {"overall"},
            "recommend": {"nps"},
            "knowledge_before": {"before"},
            "knowledge_after": {"after"},
        },
        dimensions={
            "venue": {("logistics", "venue")},
            "timing": {("logistics", "timing"), ("schedule", "")},
        },
    )
    figures = _Figures(roles)
    assert figures.keys == ["after", "before", "logistics", "nps", "overall", "schedule"]
    assert figures.distribution_keys == ["nps", "overall"]
    sums = figures.empty()
    # (key, row, score for distribution keys, sum of the scores, number of answers)
    for key, row, score, total, number in [
        ("overall", "", 5.0, 10.0, 2),
        ("overall", "", 2.0, 2.0, 1),
        ("overall", "", 0.0, 0.0, 1),  # not a 1-5 score: in no band of the distribution
        ("nps", "", 10.0, 10.0, 1),
        ("nps", "", 7.0, 14.0, 2),  # passives
        ("nps", "", 3.0, 3.0, 1),
        ("logistics", "venue", None, 9.0, 3),
        ("logistics", "timing", None, 4.0, 2),
        ("schedule", "", None, 5.0, 1),
        ("logistics", "catering", None, 1.0, 1),  # a row with no role
        ("before", "", None, 4.0, 2),
        ("after", "", None, 7.0, 2),
    ]:
        figures.count(sums, key, row, score, total, number)
    group = figures.result(_Accumulator(sums, responses=4, invited=5, respondents=4), 3)
    assert group.distribution == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 2}
    assert group.overall_mean == 4.0  # (2 + 5 + 5) / 3
    assert group.top2_share == 0.6667
    assert group.nps == 0.0  # one promoter, one detractor, four rated
    assert group.dimensions == {"timing": 3.0, "venue": 3.0}  # (4 + 5) / 3 and 9 / 3
    assert group.knowledge_gain == 1.5  # 7/2 - 4/2
    assert group.response_rate == 0.8
    small = figures.result(_Accumulator(sums, responses=2, invited=5), 3)
    assert small.suppressed and small.overall_mean is None and small.nps is None
