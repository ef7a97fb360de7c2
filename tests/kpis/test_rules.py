"""The KPI rules that tie filtered figures to the totals (docs/kpis.md), each on the small
year of tests/kpi_world.py plus a few records added here; every expected figure is worked
out by hand in the comments."""

from __future__ import annotations

from datetime import date

import pytest

from app.journeys.invitations import new_invitation
from app.kpis.figures import compute_kpis
from app.kpis.scope import KpiFilters
from app.models import ActivityStatus
from tests.factories import (
    ActivityFactory,
    AttendanceFactory,
    ParticipantFactory,
    member,
    plan_year,
)
from tests.kpi_world import KEY, TODAY, _round, build, previous_years_workshop, respond

OVERALL = ("overall_satisfaction", 0, "")


@pytest.fixture()
def world(session):
    return build(session)


def kpis(session, year="2025-2026", breakdown=True, **filters):
    return compute_kpis(session, year, KpiFilters(**filters), 3, TODAY, breakdown)


def test_rounds_are_counted_by_their_dates_under_activity_filters(session, world):
    spring, follow_up = previous_years_workshop(session, world)
    assert follow_up.plan_year_id == spring.plan_year_id  # the round is filed under 2024-2025
    total = kpis(session).surveys
    # E1, E2, N and F1 of the world, and the spring workshop's follow-up of October 2025.
    assert total["rounds"] == 5
    assert total["by_kind"] == {"needs_assessment": 1, "evaluation": 2, "follow_up": 2}
    national = kpis(session, kind="national_workshop").surveys
    regional = kpis(session, kind="regional_workshop").surveys
    # National: E1 and F1 (A1) and the spring follow-up; regional: E2 (A2).
    assert national["rounds"] == 3
    assert national["by_kind"] == {"needs_assessment": 0, "evaluation": 1, "follow_up": 2}
    assert regional["rounds"] == 1
    # Every round about an activity is in one kind: the kinds add up to the total less the
    # needs assessment, which is about no activity.
    assert national["rounds"] + regional["rounds"] == total["rounds"] - 1
    in_person = kpis(session, modality="in_person").surveys
    assert in_person["rounds"] == 3  # A1's E1 and F1, the spring follow-up
    # The item by its code: 1-(a) of 2025-2026 (A1: E1, F1) and of 2024-2025 (spring).
    assert kpis(session, item="1-(a)").surveys["rounds"] == 3
    # The spring workshop's April evaluation ran in 2024-2025: counted there, not here.
    assert kpis(session, "2024-2025", kind="national_workshop").surveys["by_kind"] == {
        "needs_assessment": 0,
        "evaluation": 1,
        "follow_up": 0,
    }


def _invite(session, survey_round, person):
    invitation = new_invitation(KEY, survey_round, person.member, person)
    session.add(invitation)
    session.flush()
    return invitation


def evaluated_workshop(session, world, people, answering, anonymous=False, shared=0):
    """A delivered 2025-2026 national workshop attended by ``people``; its evaluation
    round invites them all; the first ``answering`` submit through their invitation,
    ``shared`` more answer through the shared link (no invitation, no Member)."""
    workshop = ActivityFactory(
        plan_year=plan_year("2025-2026"),
        kind="national_workshop",
        status=ActivityStatus.DELIVERED,
        members=[member("KHM")],
        starts_on=date(2026, 2, 2),
        ends_on=date(2026, 2, 6),
    )
    for person in people:
        AttendanceFactory(activity=workshop, participant=person)
    survey_round = _round(
        session, world.rounds["E1"].version, date(2026, 2, 6), date(2026, 2, 20), workshop
    )
    survey_round.anonymous = anonymous
    invitations = [_invite(session, survey_round, person) for person in people]
    for invitation in invitations[:answering]:
        response = respond(session, survey_round, invitation, {OVERALL: 4})
        if anonymous:  # an anonymous round keeps neither the Member nor the link
            response.member_id = None
            invitation.response_id = None
    for _ in range(shared):
        respond(session, survey_round, None, {OVERALL: 5})
    session.flush()
    return workshop


def test_member_rate_counts_every_participant_of_an_evaluated_activity(session, world):
    # FJI: p1, p2, p3 answered A1's evaluation; p1 also attended A2, whose evaluation
    # p5 and p6 (NPL) answered but p1 did not: 3 of 4, not 3 of 3.
    fji = kpis(session, member="FJI")
    assert (fji.evaluation.responses, fji.evaluation.invited) == (3, 4)
    assert fji.evaluation.response_rate == 0.75
    a2 = fji.evaluation_by_activity[world.activities["A2"].id]
    assert (a2.responses, a2.invited, a2.response_rate) == (0, 1, 0.0)
    # TON: p4 attended A1 and left only a draft: 0 of 1 is 0, not empty.
    ton = kpis(session, member="TON").evaluation
    assert (ton.responses, ton.invited, ton.response_rate) == (0, 1, 0.0)
    assert kpis(session, member="TON", breakdown=False).evaluation.response_rate == 0.0


def test_member_rate_six_of_eight_and_shared_link_only_unfiltered(session, world):
    khm = member("KHM")
    people = [ParticipantFactory(member=khm, gender="male") for _ in range(8)]
    workshop = evaluated_workshop(session, world, people, answering=6, shared=1)
    filtered = kpis(session, member="KHM")
    assert filtered.evaluation.responses == 6
    assert filtered.evaluation.invited == 8
    assert filtered.evaluation.response_rate == 0.75  # 6/8
    # Unfiltered: the shared-link response counts too: A1 3 + A2 2 + 7, over 4 + 3 + 8.
    everyone = kpis(session)
    assert everyone.evaluation_by_activity[workshop.id].response_rate == 0.875  # 7/8
    assert (everyone.evaluation.responses, everyone.evaluation.invited) == (12, 15)
    assert everyone.evaluation.response_rate == 0.8


def test_member_rate_counts_used_invitations_of_anonymous_rounds(session, world):
    khm = member("KHM")
    people = [ParticipantFactory(member=khm) for _ in range(4)]
    evaluated_workshop(session, world, people, answering=3, anonymous=True, shared=2)
    filtered = kpis(session, member="KHM").evaluation
    # The anonymous responses keep no Member, so none is "given by" KHM, yet three of the
    # four invitations were used to answer.
    assert (filtered.responses, filtered.respondents, filtered.invited) == (0, 3, 4)
    assert filtered.response_rate == 0.75
    subregion = kpis(session, subregion="south_east_asia").evaluation
    assert subregion.response_rate == 0.75
    everyone = kpis(session).evaluation
    assert everyone.responses == 3 + 2 + 5  # A1, A2, and 3 invited + 2 shared
