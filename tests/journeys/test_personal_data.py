"""A participant's personal data: the copy they may ask for, erasure that leaves the KPIs
as they were, and the retention of invitations' email addresses."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from app.common import clock
from app.journeys.personal_data import (
    ERASED_ADDRESS,
    erase_participant,
    participant_record,
    purge_invitation_addresses,
)
from app.kpis.figures import compute_kpis
from app.kpis.scope import KpiFilters
from app.models import AuditEntry, Invitation, Message, Participant
from tests.conftest import login, post_form
from tests.factories import UserFactory
from tests.journey import answer_evaluation, make_journey, open_link
from tests.kpi_world import TODAY, build


def _kpis(session) -> str:
    return json.dumps(
        compute_kpis(session, "2025-2026", KpiFilters(), 3, TODAY).as_api(), sort_keys=True
    )


def test_erasure_leaves_the_kpi_json_unchanged(session):
    world = build(session)
    before = _kpis(session)
    for key in ("p1", "p5"):  # p1 answered the evaluation and the follow-up
        erase_participant(session, world.people[key], clock.utcnow())
    session.expire_all()
    assert _kpis(session) == before
    erased = session.get(Participant, world.people["p1"].id)
    assert erased.name == f"Erased participant {erased.id}"
    assert erased.email is None and erased.position == "" and erased.erased_at is not None
    invitations = session.scalars(
        select(Invitation).where(Invitation.participant_id == erased.id)
    ).all()
    assert invitations and all(i.email == "" and i.name == erased.name for i in invitations)


def test_the_copy_holds_everything_and_erasure_reaches_messages(app, session, client):
    journey = make_journey(session, app)
    journey.dispatch()
    ana = journey.people["ana"]
    open_link(client, journey.link_for("ana@customs.gov.np"))
    answer_evaluation(client, journey.delivery.evaluation.slug)
    session.expire_all()
    record = participant_record(session, ana)
    assert record["participant"]["email"] == "ana@customs.gov.np"
    assert [a["title"] for a in record["activities"]] == ["National workshop on PCA for Nepal"]
    evaluation = next(s for s in record["surveys"] if s["submitted_on"])
    assert evaluation["answers"]["overall_satisfaction"] == "4"
    assert evaluation["answers"]["action_plan"].startswith("Brief my unit")
    assert record["messages"][0]["to"] == "ana@customs.gov.np"
    erasure = erase_participant(session, ana, clock.utcnow())
    assert erasure.messages >= 1
    messages = session.scalars(select(Message).where(Message.to_email == ERASED_ADDRESS)).all()
    assert messages and all("Ana" not in m.body_text for m in messages)
    assert not session.scalars(
        select(Message).where(Message.to_email == "ana@customs.gov.np")
    ).all()


def test_staff_download_and_erase_from_the_person_s_page(app, session, client):
    journey = make_journey(session, app)
    journey.dispatch()
    ana = journey.people["ana"]
    UserFactory(email="staff@rocb.example")
    session.commit()
    login(client, "staff@rocb.example")
    page = client.get(f"/manage/participants/{ana.id}").get_data(as_text=True)
    assert "Ana Sharma" in page and "ana@customs.gov.np" in page
    copy = client.get(f"/manage/participants/{ana.id}/data.json")
    assert copy.status_code == 200 and copy.get_json()["participant"]["name"] == "Ana Sharma"
    erased = post_form(
        client, f"/manage/participants/{ana.id}/erase", {}, page=f"/manage/participants/{ana.id}"
    )
    assert erased.status_code == 302
    after = client.get(f"/manage/participants/{ana.id}").get_data(as_text=True)
    assert "Ana Sharma" not in after and f"Erased participant {ana.id}" in after
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"view.personal_data", "download.personal_data", "participant.erase"} <= actions


def test_the_command_line_exports_and_erases(app, session, runner):
    journey = make_journey(session, app)
    bo = journey.people["bo"]
    exported = runner.invoke(args=["personal-data", "export", str(bo.id)])
    assert (
        exported.exit_code == 0 and json.loads(exported.output)["participant"]["name"] == "Bo Thapa"
    )
    erased = runner.invoke(args=["personal-data", "erase", str(bo.id), "--yes"])
    assert erased.exit_code == 0, erased.output
    again = runner.invoke(args=["personal-data", "erase", str(bo.id), "--yes"])
    assert again.exit_code == 1 and "erased already" in again.output


def test_invitation_addresses_go_after_the_retention_period(app, session):
    journey = make_journey(session, app)
    journey.dispatch()
    evaluation = journey.delivery.evaluation
    closes = evaluation.closes_on

    def addresses() -> list[str]:
        session.expire_all()
        return [
            i.email
            for i in session.scalars(select(Invitation).where(Invitation.round_id == evaluation.id))
        ]

    assert purge_invitation_addresses(session, closes, 30) == 0
    assert "ana@customs.gov.np" in addresses()
    later = date.fromordinal(closes.toordinal() + 31)
    assert purge_invitation_addresses(session, later, 30) == 3
    assert set(addresses()) == {""}
    # The participant keeps their address for the next activity.
    assert session.get(Participant, journey.people["ana"].id).email == "ana@customs.gov.np"
