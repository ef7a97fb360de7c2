"""The audit trail: one entry for each kind of staff write and each download of personal
data, with who, what and a before/after summary; entries are never changed or deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.common import clock
from app.common.audit import record
from app.models import AuditEntry, Finding, TangibleResult, User
from app.models.user import AuditTrailError
from tests.conftest import login, post_form
from tests.factories import UserFactory, member, plan_year
from tests.journey import make_journey
from tests.kpi_world import build


def _entries(session, action: str) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _one(session, action: str) -> AuditEntry:
    found = _entries(session, action)
    assert len(found) == 1, f"{action}: {[(e.action, e.summary) for e in found]}"
    return found[0]


def test_every_kind_of_staff_write_leaves_one_entry(app, session, client):
    build(session)
    journey = make_journey(session, app)
    journey.dispatch()
    UserFactory(email="admin@rocb.example", role="admin")
    session.commit()
    login(client, "admin@rocb.example")
    year = plan_year("2025-2026")

    # Activities.
    created = post_form(
        client,
        f"/manage/plan/{year.label}/activities/new",
        {"title": "Regional workshop on AEO", "kind": "regional_workshop", "status": "planned"},
    )
    assert created.status_code == 302
    activity_id = int(created.location.rsplit("/", 1)[1])
    entry = _one(session, "activity.create")
    assert (entry.actor_label, entry.object_type, entry.object_id) == (
        "admin@rocb.example",
        "activities",
        str(activity_id),
    )
    post_form(
        client,
        f"/manage/activities/{activity_id}/edit",
        {
            "title": "Regional workshop on AEO and MRA",
            "kind": "regional_workshop",
            "status": "confirmed",
            "venue": "Suva",
        },
    )
    summary = _one(session, "activity.update").summary
    assert "title: 'Regional workshop on AEO' -> 'Regional workshop on AEO and MRA'" in summary
    assert "status: 'planned' -> 'confirmed'" in summary and "venue: (empty) -> 'Suva'" in summary

    # Participants.
    page = f"/manage/activities/{activity_id}/participants"
    post_form(
        client,
        page,
        {"name": "Ana", "email": "ana@x.example", "member": member("FJI").id, "gender": "female"},
    )
    person = _one(session, "participant.add")
    post_form(
        client,
        f"{page}/{person.object_id}/edit",
        {
            "name": "Ana Tuilagi",
            "email": "ana@x.example",
            "member": member("FJI").id,
            "gender": "female",
        },
    )
    updated = _one(session, "participant.update").summary
    assert updated == "name changed" and "Ana" not in updated  # erasable data stays out
    post_form(client, f"{page}/{person.object_id}/remove", {}, page=page)
    assert _one(session, "participant.remove").object_id == person.object_id

    # Rounds, invitations, message texts.
    evaluation = journey.delivery.evaluation
    round_page = f"/manage/rounds/{evaluation.id}"
    post_form(client, f"{round_page}/close", {"close-confirm": "y"}, page=round_page)
    post_form(client, f"{round_page}/open", {}, page=round_page)
    assert _one(session, "round.close").object_id == str(evaluation.id)
    assert _one(session, "round.open").object_id == str(evaluation.id)
    new_end = (evaluation.closes_on + timedelta(days=3)).isoformat()
    post_form(client, f"{round_page}/extend", {"closes_on": new_end}, page=round_page)
    assert f"-> '{new_end}'" in _one(session, "round.extend").summary
    invitation = journey.people["ana"].id
    from app.models import Invitation

    invite = session.scalar(
        select(Invitation).where(
            Invitation.round_id == evaluation.id, Invitation.participant_id == invitation
        )
    )
    post_form(client, f"{round_page}/invitations/{invite.id}/resend", {}, page=round_page)
    assert _one(session, "invitation.resend").summary == "1 message(s)"
    post_form(
        client,
        "/manage/email-templates/reminder",
        {"subject": "Please: {{ survey }}", "body": "Dear {{ name }}: {{ link }}"},
    )
    assert "-> 'Please: {{ survey }}'; text changed" in _one(session, "message_text.update").summary


def test_reviews_findings_downloads_and_accounts_leave_entries(app, session, client):
    world = build(session)
    UserFactory(email="admin@rocb.example", role="admin")
    session.commit()
    login(client, "admin@rocb.example")
    # KPIs: results, findings.
    result = session.scalars(select(TangibleResult)).first()
    results_page = "/manage/results?year=2025-2026"
    post_form(
        client,
        f"/manage/results/{result.id}/review",
        {"status": "verified", "confirmed": "yes"},
        page=results_page,
    )
    assert "status: 'reported' -> 'verified'" in _one(session, "result.review").summary
    post_form(
        client,
        "/manage/post-action/refresh?year=2025-2026",
        {},
        page="/manage/post-action?year=2025-2026",
    )
    assert _one(session, "findings.refresh").summary.startswith("2025-2026:")
    finding = session.scalars(select(Finding)).first()
    post_form(
        client,
        f"/manage/findings/{finding.id}/actions",
        {"decision": "Add a session on MRA"},
        page="/manage/post-action?year=2025-2026",
    )
    assert _one(session, "finding.action").summary == "Add a session on MRA"

    # Downloads of personal data.
    client.get(f"/manage/rounds/{world.rounds['E1'].id}/responses.csv").close()
    client.get(f"/manage/activities/{world.activities['A1'].id}/report.pdf").close()
    client.get("/manage/kpis.csv?year=2025-2026").close()
    assert _one(session, "download.responses").summary == "responses as CSV"
    assert _one(session, "download.evaluation_report").summary == "PDF"
    assert _one(session, "download.kpis").summary == "2025-2026 as CSV"

    # Accounts and tokens.
    post_form(
        client,
        "/manage/users/new",
        {"email": "new@rocb.example", "name": "New", "role": "staff", "member": ""},
    )
    new_user = session.scalar(select(User).where(User.email == "new@rocb.example"))
    post_form(
        client,
        f"/manage/users/{new_user.id}/role",
        {"role": "admin", "member": ""},
        page=f"/manage/users/{new_user.id}",
    )
    assert "role: 'staff' -> 'admin'" in _one(session, "user.role").summary
    post_form(
        client, f"/manage/users/{new_user.id}/disable", {}, page=f"/manage/users/{new_user.id}"
    )
    assert _one(session, "user.disable").object_id == str(new_user.id)

    # The audit page shows and filters them.
    html = client.get("/manage/audit?action=user.").get_data(as_text=True)
    assert "user.role" in html and "download.kpis" not in html
    by_object = client.get(f"/manage/audit?object_type=users&object_id={new_user.id}")
    assert "user.disable" in by_object.get_data(as_text=True)


def test_writes_through_the_api_are_recorded_with_the_token(app, session, client):
    from app.accounts.api_tokens import issue_api_token

    year = plan_year("2025-2026")
    user = UserFactory(email="robot@rocb.example", role="staff")
    _row, token = issue_api_token(session, user, clock.utcnow(), "planning sheet")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post(
        "/api/v1/activities",
        headers=headers,
        json={"year": year.label, "title": "Sub-regional workshop on HS", "kind": "training"},
    )
    assert made.status_code == 201
    entry = _one(session, "activity.create")
    assert entry.actor_label == "robot@rocb.example"
    assert "through the API token 'planning sheet'" in entry.summary
    assert client.get(f"/api/v1/kpis?year={year.label}", headers=headers).status_code == 200
    kpis = _one(session, "download.kpis")
    assert kpis.summary == "2025-2026 as JSON (through the API token 'planning sheet')"


def test_staff_cannot_read_the_audit_trail_but_administrators_can(client, session):
    UserFactory(email="staff@rocb.example", role="staff")
    login(client, "staff@rocb.example")
    assert client.get("/manage/audit").status_code == 403
    assert client.get("/manage/tokens").status_code == 403


def test_the_model_never_changes_or_deletes_an_entry(session):
    entry = record(session, "command line", "test.write", None, "before")
    session.commit()
    entry.summary = "after"
    with pytest.raises(AuditTrailError):
        session.flush()
    session.rollback()
    session.delete(session.get(AuditEntry, entry.id))
    with pytest.raises(AuditTrailError):
        session.flush()
    session.rollback()
    assert session.get(AuditEntry, entry.id).summary == "before"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET summary = 'x' WHERE id = :id",
        "DELETE FROM audit_entries WHERE id = :id",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(connection, statement):
    """Whatever code sends the statement: the triggers of migration 0007."""
    entry_id = connection.execute(
        sa.text(
            "INSERT INTO audit_entries (at, actor_label, action, object_type, object_id, "
            "summary, address) VALUES (CURRENT_TIMESTAMP, 'x', 'test', '', '', 'kept', '') "
            "RETURNING id"
        )
    ).scalar_one()
    savepoint = connection.begin_nested()
    with pytest.raises(sa.exc.DBAPIError, match="never changed or deleted"):
        connection.execute(sa.text(statement), {"id": entry_id})
    savepoint.rollback()
    kept = connection.execute(
        sa.text("SELECT summary FROM audit_entries WHERE id = :id"), {"id": entry_id}
    ).scalar_one()
    assert kept == "kept"


def test_a_nul_character_in_any_parameter_is_a_400_naming_it(client, session):
    UserFactory(email="admin@rocb.example", role="admin")
    login(client, "admin@rocb.example")
    refused = client.get("/manage/audit", query_string={"actor": "a\x00b"})
    assert refused.status_code == 400
    assert "Parameter actor: it holds a NUL character." in refused.get_data(as_text=True)
