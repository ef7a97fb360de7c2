"""What the benchmarks that time pages share: the app on a benchmark database, a staff
account, and a Flask test client logged in as that account (requests go through the
whole application, as a browser's would, without a network)."""

from __future__ import annotations

import os
import secrets
from datetime import date

import sqlalchemy as sa

STAFF_EMAIL = "bench-staff@rocb-ap.example"


def bench_app(url: str):
    from app import create_app

    return create_app(
        {
            "APP_CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            # The benchmark's client sends no CSRF token (the pages it times are GETs).
            "WTF_CSRF_ENABLED": False,
        }
    )


def staff_password(session) -> str:
    """A new password for the benchmark's staff account (made on the first run)."""
    from app.accounts.users import NewUser, create_user
    from app.models import User

    password = secrets.token_urlsafe(24)
    user = session.scalar(sa.select(User).where(User.email == STAFF_EMAIL))
    if user is None:
        create_user(session, NewUser(email=STAFF_EMAIL, role="staff", password=password))
    else:
        user.set_password(password)
    session.commit()
    return password


def staff_client(app, password: str | None = None):
    """A test client logged in as the benchmark's staff account (given its password, or
    giving it a new one)."""
    from app.extensions import db

    if password is None:
        with app.app_context():
            password = staff_password(db.session)
            db.session.remove()
    client = app.test_client()
    response = client.post("/auth/login", data={"email": STAFF_EMAIL, "password": password})
    if response.status_code != 302:
        raise RuntimeError(f"the benchmark could not log in: {response.status_code}")
    return client


def create_database(server: str, purpose: str) -> str:
    name = f"rocb_bench_{purpose}_{os.getpid()}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak) of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def delivered_workshop(session, year, title: str, size: int, tag: str, now):
    """A delivered regional workshop of ``year`` with ``size`` participants (emails
    ``p<n><tag>@customs.example``, Members in turn) who attended it. Returns the activity
    and the participants' rows (id, member_id, name, email) in id order."""
    from app.models import (
        Activity,
        ActivityKind,
        ActivityStatus,
        Attendance,
        Member,
        Participant,
    )

    members = session.scalars(sa.select(Member.id).order_by(Member.id)).all()
    activity = Activity(
        plan_year=year,
        title=title,
        kind=ActivityKind.REGIONAL_WORKSHOP,
        status=ActivityStatus.DELIVERED,
        starts_on=date(2026, 2, 23),
        ends_on=date(2026, 2, 27),
    )
    session.add(activity)
    session.flush()
    session.execute(
        sa.insert(Participant),
        [
            {
                "name": f"Participant {n:05d}{tag}",
                "email": f"p{n}{tag.replace(' ', '.')}@customs.example",
                "member_id": members[n % len(members)],
                "gender": ["female", "male", "undisclosed"][n % 3],
                "position": "Officer",
                "created_at": now,
            }
            for n in range(size)
        ],
    )
    people = session.execute(
        sa.select(Participant.id, Participant.member_id, Participant.name, Participant.email)
        .where(Participant.email.like(f"%{tag.replace(' ', '.')}@customs.example"))
        .order_by(Participant.id)
    ).all()
    session.execute(
        sa.insert(Attendance),
        [{"activity_id": activity.id, "participant_id": p.id, "created_at": now} for p in people],
    )
    return activity, people
