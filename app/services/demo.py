"""Demo data for `make run`: a staff account, and a few activities of the plan marked as
delivered with participants, so every page has something to show."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import (
    Activity,
    ActivityStatus,
    Attendance,
    Gender,
    Modality,
    Participant,
    QuestionnaireKind,
    Role,
    SurveyRound,
    User,
)
from app.services.plan_years import get_plan_year
from app.services.scheduling import ScheduleError, deliver_activity
from app.services.settings import JourneySettings
from app.services.survey_rounds import NewRound, create_round, open_round
from app.services.survey_versions import latest_versions

GIVEN_NAMES = [
    "Aiko",
    "Bilal",
    "Chen",
    "Dorji",
    "Emele",
    "Farida",
    "Gan",
    "Hana",
    "Ibrahim",
    "Jin",
    "Kalani",
    "Lina",
    "Minh",
    "Nima",
    "Oyun",
    "Priya",
    "Rangi",
    "Siosaia",
    "Tashi",
    "Uma",
    "Vikram",
    "Wei",
    "Yuki",
    "Zara",
]
FAMILY_NAMES = [
    "Ahmed",
    "Batbayar",
    "Chowdhury",
    "Dema",
    "Fonua",
    "Gurung",
    "Hassan",
    "Kim",
    "Lee",
    "Nguyen",
    "Perera",
    "Qureshi",
    "Rahman",
    "Santos",
    "Tan",
    "Vainikolo",
    "Wangchuk",
    "Yamada",
]
POSITIONS = [
    "Customs officer",
    "Senior customs officer",
    "Risk analyst",
    "Auditor",
    "Trainer",
    "Deputy director",
    "Valuation officer",
    "Intelligence officer",
]


@dataclass
class DemoResult:
    email: str
    password: str
    activities_delivered: int
    participants_added: int
    round_slugs: dict[str, str]
    contact_point_email: str | None = None


def ensure_demo_staff(session: Session, email: str, password: str | None) -> tuple[str, str]:
    """The demo staff account exists with a known password (reset on every run)."""
    password = password or secrets.token_urlsafe(12)
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        user = User(email=email, name="Demo staff member", role=Role.STAFF)
        session.add(user)
    user.active = True
    user.set_password(password)
    session.flush()
    return user.email, password


def load_demo(
    session: Session,
    year: str,
    email: str,
    password: str | None,
    activities: int = 6,
    per_activity: int = 12,
    settings: JourneySettings | None = None,
) -> DemoResult:
    email, password = ensure_demo_staff(session, email, password)
    plan_year = get_plan_year(session, year)
    delivered = added = 0
    if plan_year is not None:
        rng = random.Random(f"demo-{plan_year.label}")
        used = set(session.scalars(select(Participant.email).where(Participant.email.is_not(None))))
        candidates = [
            a
            for a in session.scalars(
                select(Activity)
                .where(Activity.plan_year_id == plan_year.id)
                .order_by(Activity.id)
                .options(selectinload(Activity.members))
            )
            if a.counts_as_cb_activity and len(a.members) == 1
        ][:activities]
        for index, activity in enumerate(candidates):
            has_participants = session.scalar(
                select(Attendance.id).where(Attendance.activity_id == activity.id).limit(1)
            )
            if has_participants:
                continue
            member = activity.members[0]
            start = plan_year.starts_on + timedelta(days=30 + 35 * index)
            activity.starts_on = start
            activity.ends_on = start + timedelta(days=4)
            activity.status = (
                ActivityStatus.DELIVERED
                if activity.ends_on < date.today()
                else ActivityStatus.CONFIRMED
            )
            activity.modality = Modality.IN_PERSON if index % 3 else Modality.HYBRID
            activity.venue = member.name
            activity.experts = 2
            activity.accredited_experts = 1
            delivered += activity.status is ActivityStatus.DELIVERED
            for _ in range(per_activity):
                address = ""
                while not address or address in used:
                    given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
                    address = (
                        f"{given}.{family}.{rng.randrange(1000)}@customs."
                        f"{member.code.lower()}.example"
                    ).lower()
                used.add(address)
                participant = Participant(
                    name=f"{given} {family}",
                    email=address,
                    member=member,
                    gender=rng.choice(
                        [Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.MALE, Gender.UNDISCLOSED]
                    ),
                    position=rng.choice(POSITIONS),
                )
                session.add(participant)
                session.add(Attendance(activity=activity, participant=participant))
                added += 1
    session.flush()
    slugs = _demo_rounds(session, plan_year, settings) if plan_year is not None else {}
    contact = None
    first = session.scalar(
        select(Activity)
        .where(Activity.status == ActivityStatus.DELIVERED)
        .order_by(Activity.id)
        .options(selectinload(Activity.members))
    )
    if first is not None and first.members:
        contact = ensure_demo_contact_point(session, first.members[0], password)
    return DemoResult(email, password, delivered, added, slugs, contact)


def _demo_rounds(session: Session, plan_year, settings: JourneySettings | None) -> dict[str, str]:
    """The first delivered activity delivered "for real" (its evaluation open, its
    follow-up scheduled) and an open needs assessment for the plan year, made once."""
    slugs: dict[str, str] = {}
    activity = session.scalar(
        select(Activity)
        .where(Activity.plan_year_id == plan_year.id, Activity.status == ActivityStatus.DELIVERED)
        .order_by(Activity.id)
    )
    if activity is not None and settings is not None:
        try:
            delivery = deliver_activity(session, activity, settings, date.today())
        except ScheduleError:
            delivery = None  # questionnaires not synced yet
        if delivery is not None:
            slugs["participant-evaluation"] = delivery.evaluation.slug
    versions = {v.questionnaire.key: v for v in latest_versions(session)}
    needs = versions.get("needs-assessment")
    if needs is not None:
        existing = session.scalar(
            select(SurveyRound).where(
                SurveyRound.kind == QuestionnaireKind.NEEDS_ASSESSMENT,
                SurveyRound.plan_year_id == plan_year.id,
            )
        )
        if existing is None:
            # The demo's plan year may be over: keep this round open for a month from today.
            existing = create_round(
                session,
                NewRound(
                    version=needs,
                    plan_year=plan_year,
                    opens_on=date.today(),
                    closes_on=date.today() + timedelta(days=30),
                ),
            )
            existing.open_link = False
            open_round(session, existing)
        slugs["needs-assessment"] = existing.slug
    return slugs


def ensure_demo_contact_point(session: Session, member, password: str) -> str:
    """A contact point for the demo activity's Member, with the demo password."""
    email = f"contact-point@customs.{member.code.lower()}.example"
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email, name=f"{member.name} contact point", role=Role.CONTACT_POINT, member=member
        )
        session.add(user)
    user.active = True
    user.set_password(password)
    session.flush()
    return email
