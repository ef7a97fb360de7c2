"""The Members page: contact points shown to all staff; administrators edit a Member's
name, Small Island Economy flag, active flag and joining date, with an audit entry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.models import AuditEntry, Member
from tests.conftest import login, post_form
from tests.factories import UserFactory, member

EDIT = "/manage/members/SLB/edit"


def text(response) -> str:
    return response.get_data(as_text=True)


def row_of(html: str, code: str) -> str:
    row = html[html.index(f'<tr id="member-{code}">') :]
    return row[: row.index("</tr>")]


def fresh(session, code: str) -> Member:
    session.expire_all()
    return session.scalar(select(Member).where(Member.code == code))


def audit_entries(session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture()
def admin_client(client, session):
    UserFactory(email="admin@rocb.example", role="admin")
    session.commit()
    assert login(client, "admin@rocb.example").status_code == 302
    return client


FORM = {
    "name": "Solomon Islands",
    "joined_on": "2023-07-01",
    "is_small_island_economy": "y",
    "active": "y",
}


def test_an_administrator_edits_a_member_and_the_audit_trail_says_what_changed(
    admin_client, session
):
    page = text(admin_client.get("/manage/members"))
    assert f'href="{EDIT}"' in row_of(page, "SLB")
    saved = post_form(admin_client, EDIT, {**FORM, "is_small_island_economy": ""})
    assert saved.status_code == 302 and saved.location.endswith("/manage/members#member-SLB")
    slb = fresh(session, "SLB")
    assert (slb.is_small_island_economy, slb.active, slb.joined_on) == (
        False,
        True,
        date(2023, 7, 1),
    )
    [entry] = audit_entries(session, "member.update")
    assert (entry.actor_label, entry.object_type, entry.object_id) == (
        "admin@rocb.example",
        "members",
        str(slb.id),
    )
    assert "is_small_island_economy: 'True' -> 'False'" in entry.summary
    assert "joined_on: '2023-01-01' -> '2023-07-01'" in entry.summary
    row = row_of(text(admin_client.get("/manage/members")), "SLB")
    assert "<td>2023</td>" in row

    # Renamed and made inactive.
    post_form(admin_client, EDIT, {**FORM, "name": "  Solomon  Islands Customs ", "active": ""})
    slb = fresh(session, "SLB")
    assert (slb.name, slb.active) == ("Solomon Islands Customs", False)
    assert "<td>No</td>" in row_of(text(admin_client.get("/manage/members")), "SLB")
    assert len(audit_entries(session, "member.update")) == 2


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"joined_on": "2023-02-30"}, "&#39;2023-02-30&#39; is not a date: write it as year"),
        ({"joined_on": "next year"}, "&#39;next year&#39; is not a date"),
        ({"joined_on": (date.today() + timedelta(days=400)).isoformat()}, "is after today"),
        ({"name": "Fiji"}, "Another Member (FJI) already has this name."),
        ({"name": "  "}, "Give the administration&#39;s name."),
    ],
)
def test_a_bad_value_is_a_clear_error_and_changes_nothing(admin_client, session, changes, says):
    before = fresh(session, "SLB")
    kept = (before.name, before.is_small_island_economy, before.active, before.joined_on)
    refused = post_form(admin_client, EDIT, {**FORM, "is_small_island_economy": "", **changes})
    assert refused.status_code == 400
    assert says in text(refused) and "There is a problem" in text(refused)
    after = fresh(session, "SLB")
    assert (after.name, after.is_small_island_economy, after.active, after.joined_on) == kept
    assert audit_entries(session, "member.update") == []


def test_staff_see_the_members_read_only_and_may_not_edit(staff_client, session):
    page = text(staff_client.get("/manage/members"))
    assert "/edit" not in row_of(page, "SLB")
    assert "Only administrators change a Member" in page
    assert staff_client.get(EDIT).status_code == 403
    refused = post_form(
        staff_client, EDIT, {**FORM, "is_small_island_economy": ""}, page="/manage/members"
    )
    assert refused.status_code == 403
    assert fresh(session, "SLB").is_small_island_economy is True
    assert audit_entries(session, "member.update") == []


def test_an_unknown_member_is_404(admin_client):
    assert admin_client.get("/manage/members/XXX/edit").status_code == 404


def test_each_member_shows_its_contact_points(staff_client, session):
    UserFactory(
        email="mere@customs.gov.fj", name="Mere Tuilau", role="contact_point", member=member("FJI")
    )
    UserFactory(
        email="old@customs.gov.fj",
        name="Old Contact",
        role="contact_point",
        active=False,
        member=member("FJI"),
    )
    UserFactory(
        email="sione@customs.gov.to", name="Sione", role="contact_point", member=member("TON")
    )
    session.commit()
    html = text(staff_client.get("/manage/members"))
    fiji = row_of(html, "FJI")
    assert "Mere Tuilau" in fiji and 'href="mailto:mere@customs.gov.fj"' in fiji
    assert "Old Contact" in fiji and "disabled" in fiji
    assert "Sione" not in fiji and "Sione" in row_of(html, "TON")
    assert "none" in row_of(html, "AFG")
