"""Demo data for `make run`: a staff account, and a few activities of the plan marked as
delivered with participants and the answers their surveys received (evaluations,
follow-ups with tangible results, a needs assessment), so every page and every KPI has
something to show. The answers are drawn by `synthetic.AnswerSampler`, within each
questionnaire's rules."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.common import clock
from app.journeys.invitations import sync_invitations
from app.journeys.scheduling import ScheduleError, deliver_activity
from app.journeys.settings import JourneySettings
from app.kpis.findings import FindingRules, refresh_findings
from app.models import (
    Activity,
    ActivityStatus,
    Attendance,
    Gender,
    Invitation,
    Member,
    Modality,
    Participant,
    QuestionnaireKind,
    Role,
    SurveyRound,
    User,
)
from app.surveys.model import Definition
from app.surveys.responses import store_submitted
from app.surveys.rounds import (
    NewRound,
    close_round,
    create_round,
    picker_options,
)
from app.surveys.synthetic import AnswerSampler
from app.surveys.versions import latest_versions
from app.workplan.plan_years import get_plan_year

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
    responses_added: int = 0


def ensure_demo_staff(session: Session, email: str, password: str | None) -> tuple[str, str]:
    """The demo account exists with a known password (reset on every run). It is an
    administrator, so that whoever tries the app sees every page (users, tokens, audit)."""
    password = password or secrets.token_urlsafe(12)
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        user = User(email=email, name="Demo administrator", role=Role.ADMIN)
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
    today: date | None = None,
) -> DemoResult:
    """Demo data for plan year ``year`` as it stands on ``today`` (by default the clock's
    date): activities that ended before it are delivered and answered."""
    today = today or clock.today()
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
                ActivityStatus.DELIVERED if activity.ends_on < today else ActivityStatus.CONFIRMED
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
    slugs = _demo_rounds(session, plan_year, settings, today) if plan_year is not None else {}
    contact = None
    first = session.scalar(
        select(Activity)
        .where(Activity.status == ActivityStatus.DELIVERED)
        .order_by(Activity.id)
        .options(selectinload(Activity.members))
    )
    if first is not None and first.members:
        contact = ensure_demo_contact_point(session, first.members[0], password)
    responses = 0
    if added and plan_year is not None and settings is not None:
        # Only on the run that made the participants: answers are never added twice.
        spared = first.members[0].id if first is not None and first.members else None
        responses = _demo_answers(session, plan_year, settings, spared, today)
    return DemoResult(email, password, delivered, added, slugs, contact, responses)


def _demo_rounds(
    session: Session, plan_year, settings: JourneySettings | None, today: date
) -> dict[str, str]:
    """The first delivered activity delivered "for real" (its evaluation open, its
    follow-up scheduled) and an open needs assessment for the plan year, made once."""
    slugs: dict[str, str] = {}
    activity = session.scalar(
        select(Activity)
        .where(Activity.plan_year_id == plan_year.id, Activity.status == ActivityStatus.DELIVERED)
        .order_by(Activity.id)
    )
    if activity is not None and settings is not None and is_running(plan_year, today):
        try:
            delivery = deliver_activity(session, activity, settings, today)
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
            opens, closes = needs_dates(plan_year, today)
            existing = create_round(
                session,
                NewRound(
                    version=needs,
                    plan_year=plan_year,
                    opens_on=opens,
                    closes_on=closes,
                    open_link=False,
                    open_now=True,
                ),
            )
        slugs["needs-assessment"] = existing.slug
    return slugs


def is_running(plan_year, today: date) -> bool:
    return plan_year.starts_on <= today <= plan_year.ends_on


def needs_dates(plan_year, today: date) -> tuple[date, date]:
    """The needs assessment's dates, inside its plan year: open from today for a month
    (to the year's end at most) while the year runs; otherwise its first month and a
    half, as it would have run."""
    if is_running(plan_year, today):
        return today, min(today + timedelta(days=30), plan_year.ends_on)
    opens = plan_year.starts_on + timedelta(days=7)
    return opens, opens + timedelta(days=30)


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


def _demo_answers(
    session: Session,
    plan_year,
    settings: JourneySettings,
    spared_member_id: int | None,
    today: date,
) -> int:
    """Past surveys as they would have gone: the evaluation and follow-up rounds of the
    delivered activities (all but the first, whose evaluation is open now), closed, each
    answered by part of its participants; the needs assessment answered by a dozen Members
    (not the demo contact point's, left for them to answer). Then the year's findings."""
    rng = random.Random(f"demo-answers-{plan_year.label}")
    versions = {v.questionnaire.key: v for v in latest_versions(session)}
    if not all(
        key in versions
        for key in (
            settings.evaluation_questionnaire,
            settings.follow_up_questionnaire,
            settings.needs_questionnaire,
        )
    ):
        return 0
    pickers = picker_options(session, plan_year)
    activities = session.scalars(
        select(Activity)
        .where(Activity.plan_year_id == plan_year.id, Activity.status == ActivityStatus.DELIVERED)
        .order_by(Activity.id)
    ).all()
    added = 0
    for index, activity in enumerate(activities):
        if activity.ends_on is None or activity.ends_on >= today:
            continue
        # While the year runs, the first workshop's evaluation is open now (for the demo's
        # visitor to answer); every other round runs from its activity's end.
        delivery = deliver_activity(session, activity, settings, activity.ends_on)
        left_open = delivery.evaluation if index == 0 and is_running(plan_year, today) else None
        # One workshop went less well, so the post-action log has something to act on.
        tone = 2.8 if index == 2 else rng.uniform(3.6, 4.6)
        for survey_round, share in [
            (delivery.evaluation, 0.75),
            *((wave, 0.5) for wave in delivery.follow_ups),
        ]:
            if survey_round.opens_on > today or survey_round is left_open:
                continue
            over = survey_round.closes_on is not None and survey_round.closes_on < today
            # A round still open has had part of its answers so far.
            added += _answer_round(
                session,
                survey_round,
                settings,
                pickers,
                rng,
                tone,
                today,
                share if over else share / 2,
            )
            if over:
                close_round(session, survey_round)
    needs = session.scalar(
        select(SurveyRound).where(
            SurveyRound.plan_year_id == plan_year.id,
            SurveyRound.kind == QuestionnaireKind.NEEDS_ASSESSMENT,
        )
    )
    if needs is not None and needs.opens_on <= today:
        added += _answer_round(
            session,
            needs,
            settings,
            pickers,
            rng,
            4.0,
            today,
            count=12,
            spared_member_id=spared_member_id,
        )
        if needs.closes_on is not None and needs.closes_on < today:
            close_round(session, needs)
    refresh_findings(session, plan_year.label, FindingRules(), today)
    return added


def _answer_round(
    session: Session,
    survey_round: SurveyRound,
    settings: JourneySettings,
    pickers,
    rng: random.Random,
    tone: float,
    today: date,
    share: float = 0.0,
    count: int | None = None,
    spared_member_id: int | None = None,
) -> int:
    """Invite whoever the round is for, and submit answers for some of them: a ``share``
    of the invitations, or ``count`` of them, on days between the round's opening and
    today (never in the future)."""
    sync_invitations(session, survey_round, settings.invitation_key)
    invitations = [
        i
        for i in session.scalars(
            select(Invitation)
            .where(Invitation.round_id == survey_round.id, Invitation.submitted_at.is_(None))
            .order_by(Invitation.id)
        )
        if i.member_id != spared_member_id
    ]
    wanted = count if count is not None else round(len(invitations) * share)
    definition = Definition.from_json(survey_round.version.definition)
    activity = survey_round.activity
    # Dates answered (a result, a step taken) fall after the workshop.
    earliest = activity.ends_on if activity is not None else survey_round.opens_on
    sampler = AnswerSampler(definition, pickers, earliest=earliest)
    member_codes = dict(session.execute(select(Member.id, Member.code)).all())
    last = min(survey_round.closes_on or today, today)
    for invitation in rng.sample(invitations, min(wanted, len(invitations))):
        fixed = {}
        if survey_round.kind is QuestionnaireKind.NEEDS_ASSESSMENT:
            fixed = {
                q.key: member_codes[invitation.member_id]
                for q in definition.questions()
                if q.type == "member"
            }
        day = min(survey_round.opens_on + timedelta(days=rng.randint(0, 10)), last)
        sampler.today = day  # nothing answered is dated after the answer itself
        values = sampler.sample(rng, tone + rng.uniform(-0.5, 0.5), fixed)
        submitted_at = datetime(day.year, day.month, day.day, rng.randint(7, 18), tzinfo=UTC)
        # Answered today: not later than now.
        submitted_at = min(submitted_at, clock.utcnow())
        # The link was opened, then the questionnaire started, before it was submitted.
        invitation.opened_at = invitation.opened_at or submitted_at - timedelta(minutes=25)
        invitation.started_at = invitation.started_at or submitted_at - timedelta(minutes=20)
        store_submitted(
            session, survey_round, definition, values, submitted_at, invitation=invitation
        )
    return min(wanted, len(invitations))
