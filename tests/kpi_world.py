"""A small, fully known year for the KPI tests. Every expected figure in
tests/kpis/test_figures.py is worked out by hand from what is written here.

Plan year 2025-2026, items 1-(a), 1-(q) (pillar 1) and 3-(k) (pillar 3).
Activities:
  A1 national workshop, in person, delivered, hosts FJI, items 1-(a) 3-(k), 3 experts (1 accredited)
  A2 regional workshop, virtual, delivered, hosts FJI NPL, item 1-(q), 2 experts (2 accredited)
  A3 meeting, delivered, hosts NPL, item 1-(a)                       (not a CB activity)
  A4 national workshop, planned, hosts NPL, item 1-(q)              (not delivered)
  A5 national workshop, cancelled, hosts TON, item 1-(a)
Participants: p1 FJI female, p2 FJI male, p3 FJI female, p4 TON undisclosed attend A1;
              p1, p5 NPL male, p6 NPL female attend A2.
Rounds (today = 2026-06-30):
  E1 evaluation of A1: invited p1-p4; submitted p1 p2 p3; p4 left a draft
  E2 evaluation of A2: invited p1 p5 p6; submitted p5 p6
  N  needs assessment: invited FJI NPL TON; submitted FJI NPL
  F1 follow-up of A1 (opens 2026-03-01): invited p1-p4; submitted p1 p2
  F2 follow-up of A1, second wave (opens 2026-09-01): not open during the year
  D  a draft round (never opened)
Answers:
  E1 overall 5 3 2, recommend 10 9 5, relevance 4 3 2, knowledge before 2 3 1 / after 4 4 3
  E2 overall 3 4,   recommend 7 8,    relevance 4 2,   knowledge before 3 3 / after 3 4
  N  FJI: risk_management high, post_clearance_audit high, valuation low
     NPL: post_clearance_audit high, aeo high
  F1 p1: results (procedure, legislation), barriers workload budget
     p2: result (procedure), barrier workload
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from app.journeys.invitations import new_invitation
from app.models import (
    ActivityStatus,
    Answer,
    Invitation,
    Modality,
    Response,
    ResponseStatus,
    RoundStatus,
    SurveyRound,
)
from app.surveys.responses import hash_token
from app.surveys.rounds import NewRound, create_round
from app.surveys.tangible_results import register_tangible_results
from app.surveys.versions import sync_definitions
from tests.factories import (
    ActivityFactory,
    AttendanceFactory,
    ParticipantFactory,
    WorkPlanItemFactory,
    member,
    plan_year,
)
from tests.samples import SURVEYS

TODAY = date(2026, 6, 30)
KEY = b"kpi-tests"


@dataclass
class World:
    session: object
    activities: dict
    people: dict
    rounds: dict
    responses: dict


def _round(session, version, opens, closes=None, activity=None, year=None, status="open"):
    survey_round = create_round(
        session,
        NewRound(
            version=version, activity=activity, plan_year=year, opens_on=opens, closes_on=closes
        ),
    )
    survey_round.status = RoundStatus(status)
    return survey_round


_counter = {"n": 0}


def respond(session, survey_round, invitation, values: dict, submitted=True) -> Response:
    """A response as the app stores it, with typed answer rows."""
    _counter["n"] += 1
    response = Response(
        round=survey_round,
        version_id=survey_round.version_id,
        status=ResponseStatus.SUBMITTED if submitted else ResponseStatus.DRAFT,
        resume_token_hash=hash_token(f"kpi-{_counter['n']}-{id(values)}"),
        member_id=invitation.member_id if invitation else None,
        submitted_at=datetime(2026, 5, 1, tzinfo=UTC) if submitted else None,
    )
    session.add(response)
    session.flush()
    if invitation is not None:
        invitation.response_id = response.id
        if submitted:
            invitation.submitted_at = response.submitted_at
    for (key, entry, item), value in values.items():
        row = Answer(response_id=response.id, question_key=key, entry=entry, item=item)
        if isinstance(value, int):
            row.value_number = Decimal(value)
        elif isinstance(value, date):
            row.value_date = value
        elif key in ("result_description",):
            row.value_text = value
        else:
            row.value_choice = value
        session.add(row)
    session.flush()
    return response


def build(session) -> World:
    versions = {v.questionnaire.key: v for v in sync_definitions(session, [SURVEYS]).created}
    year = plan_year("2025-2026")
    plan_year("2024-2025")
    items = {
        code: WorkPlanItemFactory(plan_year=year, code=code, pillar=pillar, position=position)
        for code, pillar, position in (("1-(a)", 1, 100), ("1-(q)", 1, 116), ("3-(k)", 3, 310))
    }
    fji, npl, ton = member("FJI"), member("NPL"), member("TON")
    activities = {
        "A1": ActivityFactory(
            plan_year=year,
            title="A1",
            kind="national_workshop",
            modality=Modality.IN_PERSON,
            status=ActivityStatus.DELIVERED,
            members=[fji],
            items=[items["1-(a)"], items["3-(k)"]],
            experts=3,
            accredited_experts=1,
            starts_on=date(2025, 9, 1),
            ends_on=date(2025, 9, 5),
        ),
        "A2": ActivityFactory(
            plan_year=year,
            title="A2",
            kind="regional_workshop",
            modality=Modality.VIRTUAL,
            status=ActivityStatus.DELIVERED,
            members=[fji, npl],
            items=[items["1-(q)"]],
            experts=2,
            accredited_experts=2,
            starts_on=date(2025, 11, 3),
            ends_on=date(2025, 11, 7),
        ),
        "A3": ActivityFactory(
            plan_year=year,
            title="A3",
            kind="meeting",
            status=ActivityStatus.DELIVERED,
            members=[npl],
            items=[items["1-(a)"]],
        ),
        "A4": ActivityFactory(
            plan_year=year,
            title="A4",
            kind="national_workshop",
            status=ActivityStatus.PLANNED,
            members=[npl],
            items=[items["1-(q)"]],
        ),
        "A5": ActivityFactory(
            plan_year=year,
            title="A5",
            kind="national_workshop",
            status=ActivityStatus.CANCELLED,
            members=[ton],
            items=[items["1-(a)"]],
        ),
    }
    people = {
        "p1": ParticipantFactory(name="p1", member=fji, gender="female"),
        "p2": ParticipantFactory(name="p2", member=fji, gender="male"),
        "p3": ParticipantFactory(name="p3", member=fji, gender="female"),
        "p4": ParticipantFactory(name="p4", member=ton, gender="undisclosed"),
        "p5": ParticipantFactory(name="p5", member=npl, gender="male"),
        "p6": ParticipantFactory(name="p6", member=npl, gender="female"),
    }
    for name in ("p1", "p2", "p3", "p4"):
        AttendanceFactory(activity=activities["A1"], participant=people[name])
    for name in ("p1", "p5", "p6"):
        AttendanceFactory(activity=activities["A2"], participant=people[name])

    evaluation, follow_up = versions["participant-evaluation"], versions["follow-up-action"]
    rounds = {
        "E1": _round(
            session, evaluation, date(2025, 9, 5), date(2025, 9, 19), activity=activities["A1"]
        ),
        "E2": _round(
            session,
            evaluation,
            date(2025, 11, 7),
            date(2025, 11, 21),
            activity=activities["A2"],
            status="closed",
        ),
        "N": _round(
            session,
            versions["needs-assessment"],
            date(2025, 7, 1),
            date(2025, 8, 31),
            year=year,
            status="closed",
        ),
        "F1": _round(
            session, follow_up, date(2026, 3, 1), date(2026, 3, 31), activity=activities["A1"]
        ),
        "F2": _round(
            session, follow_up, date(2026, 9, 1), date(2026, 9, 30), activity=activities["A1"]
        ),
        "D": _round(
            session, evaluation, date(2025, 10, 1), None, activity=activities["A2"], status="draft"
        ),
    }
    rounds["F2"].wave = 2

    def invite(round_key, person=None, member_=None) -> Invitation:
        invitation = new_invitation(KEY, rounds[round_key], member_ or person.member, person)
        session.add(invitation)
        session.flush()
        return invitation

    inv = {}
    for name in ("p1", "p2", "p3", "p4"):
        inv[("E1", name)] = invite("E1", people[name])
        inv[("F1", name)] = invite("F1", people[name])
    for name in ("p1", "p5", "p6"):
        inv[("E2", name)] = invite("E2", people[name])
    for member_ in (fji, npl, ton):
        inv[("N", member_.code)] = invite("N", member_=member_)

    def evaluation_answers(overall, recommend, relevance, before, after):
        return {
            ("overall_satisfaction", 0, ""): overall,
            ("recommend", 0, ""): recommend,
            ("relevance", 0, ""): relevance,
            ("knowledge_before", 0, ""): before,
            ("knowledge_after", 0, ""): after,
        }

    responses = {}
    for name, figures in (
        ("p1", (5, 10, 4, 2, 4)),
        ("p2", (3, 9, 3, 3, 4)),
        ("p3", (2, 5, 2, 1, 3)),
    ):
        responses[("E1", name)] = respond(
            session, rounds["E1"], inv[("E1", name)], evaluation_answers(*figures)
        )
    responses[("E1", "p4")] = respond(
        session, rounds["E1"], inv[("E1", "p4")], evaluation_answers(1, 0, 1, 1, 1), submitted=False
    )
    for name, figures in (("p5", (3, 7, 4, 3, 3)), ("p6", (4, 8, 2, 3, 4))):
        responses[("E2", name)] = respond(
            session, rounds["E2"], inv[("E2", name)], evaluation_answers(*figures)
        )
    responses[("N", "FJI")] = respond(
        session,
        rounds["N"],
        inv[("N", "FJI")],
        {
            ("member", 0, ""): "FJI",
            ("priorities", 0, "risk_management"): "high",
            ("priorities", 0, "post_clearance_audit"): "high",
            ("priorities", 0, "valuation"): "low",
        },
    )
    responses[("N", "NPL")] = respond(
        session,
        rounds["N"],
        inv[("N", "NPL")],
        {
            ("member", 0, ""): "NPL",
            ("priorities", 0, "post_clearance_audit"): "high",
            ("priorities", 0, "aeo"): "high",
        },
    )
    responses[("F1", "p1")] = respond(
        session,
        rounds["F1"],
        inv[("F1", "p1")],
        {
            ("result_category", 1, ""): "procedure",
            ("result_description", 1, ""): "New PCA procedure adopted",
            ("result_category", 2, ""): "legislation",
            ("result_description", 2, ""): "Draft amendment",
            ("barriers", 0, "workload"): "workload",
            ("barriers", 0, "budget"): "budget",
        },
    )
    responses[("F1", "p2")] = respond(
        session,
        rounds["F1"],
        inv[("F1", "p2")],
        {
            ("result_category", 1, ""): "procedure",
            ("result_description", 1, ""): "Risk profile in use",
            ("barriers", 0, "workload"): "workload",
        },
    )
    for key in (("F1", "p1"), ("F1", "p2")):
        register_tangible_results(session, responses[key])
    session.flush()
    return World(session, activities, people, rounds, responses)


def round_ids(world: World) -> dict[str, int]:
    return {name: r.id for name, r in world.rounds.items()}


def all_rounds(session) -> list[SurveyRound]:
    return list(session.query(SurveyRound))


def previous_years_workshop(session, world):
    """A 2024-2025 national workshop on item 1-(a) held in April 2025 (evaluated in
    April 2025) and followed up in October 2025, in the 2025-2026 plan year's dates."""
    earlier = plan_year("2024-2025")
    item = WorkPlanItemFactory(plan_year=earlier, code="1-(a)", pillar=1, position=100)
    spring = ActivityFactory(
        plan_year=earlier,
        title="Spring workshop",
        kind="national_workshop",
        modality=Modality.IN_PERSON,
        status=ActivityStatus.DELIVERED,
        members=[member("TON")],
        items=[item],
        starts_on=date(2025, 4, 7),
        ends_on=date(2025, 4, 11),
    )
    _round(session, world.rounds["E1"].version, date(2025, 4, 11), date(2025, 4, 25), spring)
    follow_up = _round(
        session, world.rounds["F1"].version, date(2025, 10, 1), date(2025, 10, 31), spring
    )
    session.flush()
    return spring, follow_up
