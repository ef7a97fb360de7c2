"""Database constraints: the rules hold even when code forgets them."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.models import Activity, Attendance, Member, Role, User
from tests.factories import ActivityFactory, AttendanceFactory, UserFactory, member, plan_year


def flush_fails(session, *objects):
    session.flush()
    savepoint = session.begin_nested()
    with session.no_autoflush:
        for obj in objects:
            session.add(obj)
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()


def test_contact_point_without_member_is_rejected(session):
    flush_fails(session, User(email="cp@x.example", name="CP", role=Role.CONTACT_POINT))


def test_staff_with_a_member_is_rejected(session):
    flush_fails(session, User(email="s@x.example", name="S", role=Role.STAFF, member=member("FJI")))


def test_contact_point_with_member_is_accepted(session):
    user = UserFactory(role=Role.CONTACT_POINT, member=member("TON"))
    assert session.get(User, user.id).member.code == "TON"


def test_duplicate_email_is_rejected_whatever_its_case(session):
    UserFactory(email="Someone@Customs.example")
    stored = session.scalar(select(User.email).where(User.email == "someone@customs.example"))
    assert stored == "someone@customs.example"
    flush_fails(
        session,
        User(email="SOMEONE@customs.EXAMPLE", name="Other", role=Role.STAFF, password_hash="x"),
    )


def test_mixed_case_email_cannot_bypass_the_model(session, connection):
    UserFactory(email="lower@x.example")
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError):
        connection.exec_driver_sql(
            "INSERT INTO users (email, name, role, active, created_at) "
            "VALUES ('LOWER@x.example', 'n', 'staff', true, CURRENT_TIMESTAMP)"
        )
    savepoint.rollback()


def test_accredited_experts_cannot_exceed_experts(session):
    flush_fails(
        session,
        Activity(
            plan_year=plan_year(),
            title="A",
            kind="national_workshop",
            experts=1,
            accredited_experts=2,
        ),
    )


def test_end_date_before_start_is_rejected(session):
    flush_fails(
        session,
        Activity(
            plan_year=plan_year(),
            title="A",
            kind="training",
            starts_on=date(2025, 9, 3),
            ends_on=date(2025, 9, 1),
        ),
    )


def test_unknown_kind_is_rejected_by_the_database(session, connection):
    year = plan_year()
    session.flush()
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError):
        connection.exec_driver_sql(
            "INSERT INTO activities (plan_year_id, title, kind, status, venue, experts, "
            "accredited_experts, created_at, updated_at) VALUES "
            f"({year.id}, 't', 'party', 'planned', '', 0, 0, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"
        )
    savepoint.rollback()


def test_one_attendance_per_participant_per_activity(session):
    attendance = AttendanceFactory()
    flush_fails(
        session,
        Attendance(activity_id=attendance.activity_id, participant_id=attendance.participant_id),
    )


def test_member_code_must_be_three_capitals(session):
    flush_fails(session, Member(code="fj", name="Nowhere", subregion="pacific"))


def test_counts_as_cb_activity_in_python_and_sql(session):
    workshop = ActivityFactory(kind="regional_workshop")
    ongoing = ActivityFactory(kind="ongoing_action")
    meeting = ActivityFactory(kind="meeting")
    assert workshop.counts_as_cb_activity and not ongoing.counts_as_cb_activity
    counted = set(session.scalars(select(Activity.id).where(Activity.counts_as_cb_activity)))
    assert workshop.id in counted
    assert ongoing.id not in counted and meeting.id not in counted
