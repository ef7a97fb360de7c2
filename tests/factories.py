"""factory-boy factories bound to the test session (they flush, never commit)."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Attendance,
    Gender,
    Member,
    Participant,
    PlanYear,
    Role,
    User,
    WorkPlanItem,
)
from app.workplan.plan_years import get_or_create_plan_year

_current: dict[str, Session | None] = {"session": None}


def use_session(session: Session | None) -> None:
    """Bind the factories (and the helpers below) to the test's session."""
    _current["session"] = session


def current_session() -> Session:
    session = _current["session"]
    assert session is not None, "use the `session` fixture in tests that create data"
    return session


# A cheap hash for tests: the login path is the same, only the work factor differs.
FAST_HASH = generate_password_hash("correct horse battery staple", method="pbkdf2:sha256:1000")


def member(code: str) -> Member:
    found = current_session().scalar(select(Member).where(Member.code == code))
    assert found is not None, f"reference Member {code} not loaded"
    return found


def plan_year(label: str = "2025-2026") -> PlanYear:
    return get_or_create_plan_year(current_session(), label)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@rocb-ap.example")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.STAFF
    password_hash = FAST_HASH
    active = True

    @factory.lazy_attribute
    def member(self):
        return member("FJI") if Role(self.role) is Role.CONTACT_POINT else None


class WorkPlanItemFactory(BaseFactory):
    class Meta:
        model = WorkPlanItem

    plan_year = factory.LazyFunction(plan_year)
    pillar = 1
    code = factory.Sequence(lambda n: f"1-({chr(ord('a') + n % 26) * (1 + n // 26)})")
    position = factory.Sequence(lambda n: 100 + n)
    title = factory.Sequence(lambda n: f"Item {n}")
    rsp = "RSP 1.1.1 – 1st milestone"
    kpi = "Number of Members"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from app.models import Pillar

        year = kwargs["plan_year"]
        session = current_session()
        session.flush()
        exists = session.scalar(
            select(Pillar).where(Pillar.plan_year_id == year.id, Pillar.number == kwargs["pillar"])
        )
        if exists is None:
            session.add(
                Pillar(
                    plan_year_id=year.id,
                    number=kwargs["pillar"],
                    title=f"Pillar {kwargs['pillar']}",
                )
            )
            session.flush()
        return super()._create(model_class, *args, **kwargs)


class ActivityFactory(BaseFactory):
    class Meta:
        model = Activity

    plan_year = factory.LazyFunction(plan_year)
    title = factory.Sequence(lambda n: f"National workshop number {n}")
    kind = ActivityKind.NATIONAL_WORKSHOP
    status = ActivityStatus.PLANNED
    venue = ""
    experts = 0
    accredited_experts = 0
    members = factory.LazyFunction(list)
    items = factory.LazyFunction(list)


class ParticipantFactory(BaseFactory):
    class Meta:
        model = Participant

    name = factory.Sequence(lambda n: f"Participant {n}")
    email = factory.Sequence(lambda n: f"participant{n}@customs.example")
    member = factory.LazyFunction(lambda: member("FJI"))
    gender = Gender.FEMALE
    position = "Customs officer"


class AttendanceFactory(BaseFactory):
    class Meta:
        model = Attendance

    activity = factory.SubFactory(ActivityFactory)
    participant = factory.SubFactory(ParticipantFactory)
