"""The contact-point portal: answering the administration's needs assessment, seeing its
participants and results, and never another administration's."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.journeys.scheduling import ensure_needs_round
from app.models import Invitation, Response, ResponseStatus
from app.workplan.plan_years import get_or_create_plan_year, label_for_date
from tests.conftest import login, post_form
from tests.factories import UserFactory, member
from tests.journey import (
    answer_evaluation,
    answer_needs,
    make_journey,
    open_link,
    post_section,
)


@pytest.fixture()
def needs(app, session):
    journey = make_journey(session, app)
    from datetime import date

    plan_year = get_or_create_plan_year(session, label_for_date(date.today()))
    survey_round = ensure_needs_round(session, plan_year, journey.settings, date.today())
    session.commit()
    return journey, survey_round


def test_contact_point_answers_the_needs_assessment_for_their_administration(
    needs, client, session
):
    _journey, survey_round = needs
    login(client, "cp@customs.gov.np")
    home = client.get("/portal/").get_data(as_text=True)
    assert "Annual Needs Survey" in home and "not started" in home
    started = post_form(client, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    assert started.location == f"/s/{survey_round.slug}"
    page = client.get(f"/s/{survey_round.slug}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(f"/s/{survey_round.slug}/start", data={"csrf_token": token})
    first = client.get(f"/s/{survey_round.slug}/0").get_data(as_text=True)
    # The administration is filled in and cannot be changed to another one.
    assert '<option selected value="NPL">Nepal</option>' in first
    assert 'value="FJI"' not in first
    refused = post_section(client, survey_round.slug, 0, {"member": "FJI"})
    assert refused.status_code == 302  # to the section, which shows the post and its error
    shown = client.get(refused.location).get_data(as_text=True)
    assert "There is a problem" in shown
    answer_needs(client, survey_round.slug)
    after = client.get("/portal/").get_data(as_text=True)
    assert "submitted" in after and "See the answers" in after
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.round_id == survey_round.id, Invitation.member_key == member("NPL").id
        )
    )
    response = invitation.response
    assert response.status is ResponseStatus.SUBMITTED
    view = client.get(f"/portal/needs/responses/{response.id}").get_data(as_text=True)
    # Labels, not codes: the Member's name, "No" for no, each matrix row in its own table
    # row, in the questionnaire's order.
    assert '<th scope="row">Post-clearance audit</th><td>High</td>' in view
    assert '<span class="answer-text">Nepal</span>' in view and ">NPL<" not in view
    assert '<span class="answer-text">No</span>' in view and ">no<" not in view
    rows = re.findall(r'<th scope="row">([^<]+)</th>', view)
    assert rows.index("Risk management and targeting") < rows.index("Post-clearance audit")
    pdf = client.get(f"/portal/needs/responses/{response.id}.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for expected in ("Nepal", "Post-clearance audit", "High", "New PCA unit since July."):
        assert expected in text, expected
    # A second contact point of the same administration continues the same answer.
    UserFactory(email="cp2@customs.gov.np", role="contact_point", member=member("NPL"))
    other = client.application.test_client()
    login(other, "cp2@customs.gov.np")
    assert "submitted" in other.get("/portal/").get_data(as_text=True)


def test_an_inactive_administration_has_no_needs_assessment_to_answer(needs, client, session):
    """Its contact point gets a 404; the invitations of the active Members, made while
    looking for its own, are kept for the dispatch."""
    _journey, survey_round = needs
    nepal = member("NPL")
    nepal.active = False
    session.commit()
    login(client, "cp@customs.gov.np")
    refused = post_form(client, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    assert refused.status_code == 404
    invited = session.scalars(
        select(Invitation.member_key).where(Invitation.round_id == survey_round.id)
    ).all()
    assert len(invited) == 34 and nepal.id not in invited


def test_contact_points_see_only_their_own_administration(needs, app, session, client):
    journey, survey_round = needs
    journey.dispatch()
    # Ana (Nepal) answers the evaluation; Dee (Bhutan) too.
    ana = app.test_client()
    open_link(ana, journey.link_for("ana@customs.gov.np"))
    answer_evaluation(ana, journey.delivery.evaluation.slug)
    dee = app.test_client()
    open_link(dee, journey.link_for("dee@customs.gov.bt"))
    answer_evaluation(dee, journey.delivery.evaluation.slug)
    nepal_cp = app.test_client()
    login(nepal_cp, "cp@customs.gov.np")
    started = post_form(nepal_cp, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    assert started.status_code == 302
    answer_needs(nepal_cp, survey_round.slug)
    nepal_response = session.scalar(
        select(Response)
        .join(Invitation, Invitation.response_id == Response.id)
        .where(Invitation.member_key == member("NPL").id)
    )

    UserFactory(email="cp@customs.gov.bt", role="contact_point", member=member("BTN"))
    login(client, "cp@customs.gov.bt")
    participants = client.get("/portal/participants").get_data(as_text=True)
    assert "Dee Wangmo" in participants
    assert "Ana Sharma" not in participants and "Bo Thapa" not in participants
    # Every record of Nepal, asked for by Bhutan's contact point, does not exist.
    assert client.get(f"/portal/participants/{journey.people['ana'].id}").status_code == 404
    assert client.get(f"/portal/needs/responses/{nepal_response.id}").status_code == 404
    assert client.get(f"/portal/participants/{journey.people['dee'].id}").status_code == 200
    home = client.get("/portal/").get_data(as_text=True)
    assert "Bhutan" in home and "not started" in home  # not Nepal's submitted answer
    results = client.get("/portal/results").get_data(as_text=True)
    assert "fewer than 3 answers" in results  # Dee alone: suppressed
    # Answering the needs assessment binds Bhutan's own invitation, never Nepal's.
    post_form(client, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    landing = client.get(f"/s/{survey_round.slug}").get_data(as_text=True)
    assert "Continue" not in landing  # Nepal's draft or answer is not reachable
    # Staff pages and another Member's activity results stay closed too.
    assert client.get("/manage/").status_code == 403
    assert client.get(f"/portal/activities/{journey.activity.id}").status_code == 200
    assert client.get("/portal/activities/999999").status_code == 404


def test_a_contact_point_never_reads_one_participant_s_answers(needs, app, session, client):
    """Evaluation and follow-up answers of the Member's own people are shown only as
    aggregates: their responses, asked for one by one, do not exist for the portal."""
    journey, survey_round = needs
    journey.dispatch()
    ana = app.test_client()
    open_link(ana, journey.link_for("ana@customs.gov.np"))
    answer_evaluation(ana, journey.delivery.evaluation.slug)
    evaluation = session.scalar(
        select(Response).where(
            Response.round_id == journey.delivery.evaluation.id,
            Response.status == ResponseStatus.SUBMITTED,
        )
    )
    assert evaluation.member_id == member("NPL").id
    login(client, "cp@customs.gov.np")
    assert client.get(f"/portal/needs/responses/{evaluation.id}").status_code == 404
    post_form(client, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    answer_needs(client, survey_round.slug)
    own = session.scalar(
        select(Response).where(
            Response.round_id == survey_round.id, Response.status == ResponseStatus.SUBMITTED
        )
    )
    assert client.get(f"/portal/needs/responses/{own.id}").status_code == 200


def test_the_needs_assessment_is_answered_only_by_logged_in_contact_points(
    needs, app, session, client
):
    journey, survey_round = needs
    journey.dispatch()
    assert not survey_round.open_link
    # Nobody answers it through the round's address without an invitation.
    start_page = client.get(f"/s/{survey_round.slug}")
    assert start_page.status_code == 403
    # The emailed personal link leads a visitor to the login, not to the questions.
    link = journey.link_for("cp@customs.gov.np", round_id=survey_round.id)
    opened = client.get(link[link.index("/i/") :])
    assert opened.status_code == 302 and opened.location.startswith("/auth/login")
    assert client.get(f"/s/{survey_round.slug}").status_code == 403
    # Logged in as the administration's contact point, the same link opens the survey.
    login(client, "cp@customs.gov.np")
    again = client.get(link[link.index("/i/") :])
    assert again.status_code == 302 and again.location == f"/s/{survey_round.slug}"
    assert client.get(f"/s/{survey_round.slug}").status_code == 200


def test_staff_cannot_use_the_portal_and_anonymous_visitors_log_in(client, staff_client):
    assert staff_client.get("/portal/").status_code == 403
    response = client.application.test_client().get("/portal/participants")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_results_appear_once_the_group_is_large_enough(app, session, needs):
    journey, _ = needs
    journey.dispatch()
    from tests.factories import AttendanceFactory, ParticipantFactory

    for index in range(3):
        person = ParticipantFactory(
            name=f"Nepal officer {index}",
            member=member("NPL"),
            email=f"officer{index}@customs.gov.np",
        )
        AttendanceFactory(activity=journey.activity, participant=person)
    session.commit()
    journey.dispatch(days=0.1)
    for index in range(3):
        device = app.test_client()
        open_link(device, journey.link_for(f"officer{index}@customs.gov.np"))
        answer_evaluation(device, journey.delivery.evaluation.slug)
    viewer = app.test_client()
    login(viewer, "cp@customs.gov.np")

    def cells() -> list[str]:
        html = viewer.get("/portal/results").get_data(as_text=True)
        row = html[html.index("National workshop on PCA for Nepal") :]
        return re.findall(r"<td>([^<]*)</td>", row[: row.index("</tr>")])

    # While the evaluation is open nothing is counted: each new answer would move the
    # figures next to the list of who answered.
    assert cells()[:2] == ["6", "0"]
    from app.models import RoundStatus

    journey.delivery.evaluation.status = RoundStatus.CLOSED
    session.commit()
    # 6 participants from Nepal (Ana, Bo, Cy and three officers), 3 evaluations,
    # satisfaction 4 (all answered 4), knowledge gain 4 - 2 = 2.
    assert cells()[:4] == ["6", "3", "4.0", "2.0"]


def test_staff_record_the_needs_assessment_of_an_administration_without_a_contact_point(
    needs, client, session
):
    from app.models import AuditEntry

    _journey, survey_round = needs
    UserFactory(email="staff@rocb.example", role="staff")
    session.commit()
    login(client, "staff@rocb.example")
    page = f"/manage/rounds/{survey_round.id}"
    html = client.get(page).get_data(as_text=True)
    assert "Record an administration" in html and '<option value="TON">Tonga (TON)</option>' in html
    started = post_form(client, f"{page}/record", {"record-member": "TON"}, page=page)
    assert started.location == f"/s/{survey_round.slug}"
    answer_needs(client, survey_round.slug, member="TON")
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.round_id == survey_round.id, Invitation.member_key == member("TON").id
        )
    )
    assert invitation.response.status is ResponseStatus.SUBMITTED
    assert invitation.response.member_id == member("TON").id
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "invitation.record"))
    assert entry.actor_label == "staff@rocb.example" and "TON" in entry.summary
    # Tonga has answered: it is no longer offered, and a second recording is refused.
    after = client.get(page).get_data(as_text=True)
    assert 'value="TON"' not in after and 'value="FJI"' in after
    again = post_form(client, f"{page}/record", {"record-member": "TON"}, page=page)
    assert "Choose an administration whose answers are not in yet" in client.get(
        again.location
    ).get_data(as_text=True)


def test_only_a_needs_assessment_is_recorded_by_staff(needs, app, client, session):
    journey, _survey_round = needs
    journey.dispatch()
    UserFactory(email="staff@rocb.example", role="staff")
    session.commit()
    login(client, "staff@rocb.example")
    page = f"/manage/rounds/{journey.delivery.evaluation.id}"
    assert "Record an administration" not in client.get(page).get_data(as_text=True)
    refused = post_form(client, f"{page}/record", {"record-member": "NPL"}, page=page)
    assert refused.status_code == 404
