"""Respondents' journeys through HTTP: delivery, personal links, drafts, reminders and
escalation, anonymity, the longitudinal link, closed rounds, rate limits."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.models import (
    Activity,
    ActivityStatus,
    Invitation,
    QuestionnaireKind,
    Response,
    ResponseStatus,
    RoundStatus,
    SurveyRound,
)
from tests.conftest import csrf_token, post_form
from tests.journey import (
    EVALUATION_ANSWERS,
    answer_evaluation,
    finish_section,
    make_journey,
    open_link,
    post_section,
    start_survey,
)


def test_the_whole_journey(app, session, staff_client, client):
    journey = make_journey(session, app)
    # Delivering (done by make_journey through the service) opened the evaluation for 14
    # days and scheduled the follow-up wave 6 months after the end date.
    evaluation, [follow_up] = journey.delivery.evaluation, journey.delivery.follow_ups
    assert journey.activity.status is ActivityStatus.DELIVERED
    assert evaluation.status is RoundStatus.OPEN
    assert evaluation.closes_on - evaluation.opens_on == timedelta(days=14)
    assert follow_up.opens_on.month == (journey.activity.ends_on.month + 6 - 1) % 12 + 1
    assert not follow_up.open_link and follow_up.wave == 1

    journey.dispatch()
    link = journey.link_for("ana@customs.gov.np")
    landing = open_link(client, link)
    # The token leaves the address bar and is never sent on as a referrer.
    assert landing.location == f"/s/{evaluation.slug}"
    assert landing.headers["Referrer-Policy"] == "no-referrer"
    assert "Start" in client.get(landing.location).get_data(as_text=True)

    start_survey(client, evaluation.slug)
    assert post_section(client, evaluation.slug, 0, EVALUATION_ANSWERS[0]).status_code == 302
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.email == "ana@customs.gov.np", Invitation.round_id == evaluation.id
        )
    )
    assert invitation.opened_at and invitation.started_at and not invitation.submitted_at
    assert invitation.response.current_section == 1  # the draft is saved

    # The same personal link on another device resumes the same draft.
    phone = app.test_client()
    open_link(phone, link)
    resumed = start_survey(phone, evaluation.slug)
    assert resumed.location.endswith(f"/s/{evaluation.slug}/1")
    for index in (1, 2):
        post_section(phone, evaluation.slug, index, EVALUATION_ANSWERS[index])
    done = finish_section(phone, evaluation.slug, 3, EVALUATION_ANSWERS[3])
    assert done.location.endswith("/thanks")
    session.expire_all()
    assert invitation.submitted_at is not None
    assert invitation.response.status is ResponseStatus.SUBMITTED

    # The next dispatch reminds only those who have not answered...
    journey.dispatch(days=4)
    assert {m.to_email for m in journey.sent("reminder")} == {
        "bo@customs.gov.np",
        "dee@customs.gov.bt",
    }
    # ... and after the last reminder the contact point hears who has not.
    journey.dispatch(days=8)
    journey.dispatch(days=12)
    [escalation] = journey.sent("escalation")
    assert escalation.to_email == "cp@customs.gov.np"
    assert "Bo Thapa" in escalation.body_text and "Cy Lama" in escalation.body_text
    assert "Ana Sharma" not in escalation.body_text

    # Staff see it all on the round page.
    page = staff_client.get(f"/manage/rounds/{evaluation.id}").get_data(as_text=True)
    assert "4 invited, 1 opened, 1 started, 1 submitted (25%)" in page
    assert "4 reminders sent" in page


def test_a_used_link_shows_the_already_submitted_page(app, session, client):
    journey = make_journey(session, app)
    journey.dispatch()
    link = journey.link_for("bo@customs.gov.np")
    open_link(client, link)
    answer_evaluation(client, journey.delivery.evaluation.slug)
    again = client.get("/" + link.split("/", 3)[3])
    assert again.status_code == 200
    assert "already been submitted" in again.get_data(as_text=True)
    other_device = app.test_client().get("/" + link.split("/", 3)[3])
    assert "already been submitted" in other_device.get_data(as_text=True)


def test_a_link_to_a_closed_round_says_so_and_who_to_contact(app, session, client):
    journey = make_journey(session, app)
    journey.dispatch()
    journey.delivery.evaluation.status = RoundStatus.CLOSED
    session.commit()
    response = client.get("/" + journey.link_for("bo@customs.gov.np").split("/", 3)[3])
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "This survey is closed" in html and "rocb-ap@example.org" in html
    assert client.get("/i/not-a-real-token").status_code == 404


def test_an_anonymous_round_keeps_no_link_to_the_person(app, session, client):
    journey = make_journey(session, app, anonymous=True)
    journey.dispatch()
    evaluation = journey.delivery.evaluation
    assert evaluation.anonymous
    open_link(client, journey.link_for("ana@customs.gov.np"))
    answer_evaluation(client, evaluation.slug)
    session.expire_all()
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.email == "ana@customs.gov.np", Invitation.round_id == evaluation.id
        )
    )
    response = session.scalar(select(Response).where(Response.round_id == evaluation.id))
    assert response.status is ResponseStatus.SUBMITTED
    assert invitation.submitted_at is not None  # the invitation is used...
    assert invitation.response_id is None  # ...but points to no response
    # Only the day is kept, so times cannot be matched with the invitation.
    assert (response.started_at.hour, response.started_at.minute) == (0, 0)
    assert (response.submitted_at.hour, response.submitted_at.minute) == (0, 0)
    # Nobody answers twice: the used link, on this device or another, is refused.
    again = app.test_client()
    link_path = "/" + journey.link_for("ana@customs.gov.np").split("/", 3)[3]
    assert "already been submitted" in again.get(link_path).get_data(as_text=True)


def test_anonymous_drafts_on_two_devices_submit_once(app, session):
    journey = make_journey(session, app, anonymous=True)
    journey.dispatch()
    slug = journey.delivery.evaluation.slug
    link = journey.link_for("ana@customs.gov.np")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        open_link(device, link)
        start_survey(device, slug)
        for index in (0, 1, 2):
            post_section(device, slug, index, EVALUATION_ANSWERS[index])
    # The phone still shows the review when the laptop submits.
    assert post_section(phone, slug, 3, EVALUATION_ANSWERS[3]).location.endswith("/review")
    phone_token = csrf_token(phone.get(f"/s/{slug}/review").get_data(as_text=True))
    assert finish_section(laptop, slug, 3, EVALUATION_ANSWERS[3]).location.endswith("/thanks")
    second = phone.post(f"/s/{slug}/review", data={"csrf_token": phone_token})
    assert "already been submitted" in phone.get(second.location).get_data(as_text=True)
    submitted = session.scalar(
        select(func.count())
        .select_from(Response)
        .where(Response.status == ResponseStatus.SUBMITTED)
    )
    assert submitted == 1


def test_the_open_link_is_answered_once_per_device(app, session, client):
    journey = make_journey(session, app)
    slug = journey.delivery.evaluation.slug
    answer_evaluation(client, slug)
    assert "already been submitted" in client.get(f"/s/{slug}").get_data(as_text=True)
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    again = client.post(f"/s/{slug}/start", data={"csrf_token": token})
    assert "already been submitted" in client.get(again.location).get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_a_follow_up_round_is_by_invitation_only(app, session, client):
    journey = make_journey(session, app)
    follow_up = journey.delivery.follow_ups[0]
    follow_up.opens_on = date.today()
    session.commit()
    response = client.get(f"/s/{follow_up.slug}")
    assert response.status_code == 403
    assert "This survey is by invitation" in response.get_data(as_text=True)


def test_the_follow_up_shows_the_participant_their_action_plan(app, session, client):
    journey = make_journey(session, app)
    journey.dispatch()
    open_link(client, journey.link_for("ana@customs.gov.np"))
    answer_evaluation(
        client,
        journey.delivery.evaluation.slug,
        plan="Train my five colleagues on PCA selection by June.",
    )
    follow_up = journey.delivery.follow_ups[0]
    days = (follow_up.opens_on - journey.start.date()).days
    follow_up.opens_on = date.today()  # the views use today's date
    session.commit()
    journey.dispatch(days=days)
    # The follow-up invitation goes out when the wave opens.
    device = app.test_client()
    open_link(device, journey.link_for("ana@customs.gov.np", round_id=follow_up.id))
    start_survey(device, follow_up.slug)
    page = device.get(f"/s/{follow_up.slug}/0").get_data(as_text=True)
    assert "as you wrote it at the end of the workshop" in page
    assert "Train my five colleagues on PCA selection by June." in page
    assert "How far have you got with the action plan" in page
    # Someone else's follow-up does not show Ana's plan.
    other = app.test_client()
    open_link(other, journey.link_for("bo@customs.gov.np", round_id=follow_up.id))
    start_survey(other, follow_up.slug)
    other_page = other.get(f"/s/{follow_up.slug}/0").get_data(as_text=True)
    assert "as you wrote it at the end of the workshop" not in other_page


def test_staff_deliver_an_activity_from_its_page(session, staff_client):
    from app.surveys.versions import sync_definitions
    from tests.factories import ActivityFactory
    from tests.samples import SURVEYS

    sync_definitions(session, [SURVEYS])
    activity = ActivityFactory(title="Regional workshop on Free Zone", kind="regional_workshop")
    url = f"/manage/activities/{activity.id}"
    refused = post_form(staff_client, f"{url}/deliver", {}, page=url)
    assert "Not marked delivered: Give the activity" in staff_client.get(refused.location).get_data(
        as_text=True
    )
    activity.starts_on, activity.ends_on = date.today() - timedelta(days=3), date.today()
    activity.follow_up_months = "6, 12"
    session.commit()
    delivered = post_form(staff_client, f"{url}/deliver", {}, page=url)
    page = staff_client.get(delivered.location).get_data(as_text=True)
    assert "Delivered. The evaluation is open until" in page
    rounds = session.scalars(
        select(SurveyRound).where(SurveyRound.activity_id == activity.id).order_by(SurveyRound.id)
    ).all()
    assert [r.kind for r in rounds] == [
        QuestionnaireKind.EVALUATION,
        QuestionnaireKind.FOLLOW_UP,
        QuestionnaireKind.FOLLOW_UP,
    ]
    assert [r.wave for r in rounds] == [None, 1, 2]
    session.expire_all()
    assert session.get(Activity, activity.id).status is ActivityStatus.DELIVERED
    # Delivering again creates nothing more.
    post_form(staff_client, f"{url}/deliver", {}, page=url)
    assert session.scalar(select(func.count()).select_from(SurveyRound)) == 3


def test_round_page_resend_qr_extend_outbox_and_message_texts(app, session, staff_client):
    journey = make_journey(session, app)
    journey.dispatch()
    evaluation = journey.delivery.evaluation
    page_url = f"/manage/rounds/{evaluation.id}"
    page = staff_client.get(page_url).get_data(as_text=True)
    assert "Bo Thapa" in page and "<td>no email</td>" in page  # Cy Lama
    assert f"http://surveys.test/s/{evaluation.slug}" in page  # from BASE_URL
    bo = session.scalar(select(Invitation).where(Invitation.email == "bo@customs.gov.np"))
    resent = post_form(staff_client, f"{page_url}/invitations/{bo.id}/resend", {}, page=page_url)
    assert "Invitation sent again to bo@customs.gov.np." in staff_client.get(
        resent.location
    ).get_data(as_text=True)
    assert len(journey.messages("invitation", "bo@customs.gov.np")) == 2
    png = staff_client.get(f"{page_url}/qr.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    svg = staff_client.get(f"{page_url}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    new_date = (evaluation.closes_on + timedelta(days=7)).isoformat()
    post_form(staff_client, f"{page_url}/extend", {"closes_on": new_date}, page=page_url)
    session.expire_all()
    assert evaluation.closes_on.isoformat() == new_date
    outbox = staff_client.get("/manage/outbox").get_data(as_text=True)
    assert "Workshop evaluation: your answers, please" in outbox
    message = journey.messages("invitation", "ana@customs.gov.np")[0]
    detail = staff_client.get(f"/manage/outbox/{message.id}").get_data(as_text=True)
    assert "Dear Ana Sharma" in detail

    edit = "/manage/email-templates/reminder"
    bad = post_form(staff_client, edit, {"subject": "Hi {{ nobody }}", "body": "x"})
    assert bad.status_code == 400 and "cannot be filled in" in bad.get_data(as_text=True)
    # A text that computes (a huge range, a product, nested loops) is refused, with where.
    for body, says in (
        ("{{ range(100000000) }}", "line 1 of the text: call is not allowed"),
        ("{{ 'a' * 100000000 }}", "line 1 of the text: mul is not allowed"),
        ("x\n{{ name.__class__ }}", "line 2 of the text: getattr is not allowed"),
        ("{{ name" + "|join(name" * 12 + ")" * 12 + " }}", "the filter &#39;join&#39; is not"),
        ("{{ name|default(name) }}", "a filter&#39;s value must be written out"),
        ("{% if name %}" * 100 + "x" + "{% endif %}" * 100, "nested too deeply"),
        ("{{ " + "(" * 100 + "name" + ")" * 100 + " }}", "nested too deeply"),
    ):
        refused = post_form(staff_client, edit, {"subject": "Reminder", "body": body})
        assert refused.status_code == 400 and says in refused.get_data(as_text=True)
    good = post_form(
        staff_client,
        edit,
        {"subject": "Still waiting: {{ survey }}", "body": "Dear {{ name }}, please: {{ link }}"},
    )
    assert good.status_code == 302
    journey.dispatch(days=4)
    reminder = journey.sent("reminder")[0]
    assert reminder.subject == "Still waiting: Workshop evaluation"
    assert reminder.body_text.startswith("Dear ") and "/i/" in reminder.body_text


def test_rate_limits_on_the_open_link_and_the_login(limited_app):
    limited = limited_app(
        RATELIMIT_OPEN_LINK_START="2 per minute",
        RATELIMIT_LOGIN="3 per minute",
        RATELIMIT_PERSONAL_LINK="2 per minute",
    )
    client = limited.test_client()
    statuses = [client.post("/s/no-such-round/start").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    logins = [
        client.post("/auth/login", data={"email": "x@y.example", "password": "nope"}).status_code
        for _ in range(4)
    ]
    assert logins[:3] == [401, 401, 401] and logins[3] == 429
    assert "Too Many Requests" in client.post("/auth/login").get_data(as_text=True)
    # Guessing personal links is slowed down per address too.
    links = [client.get(f"/i/guess-{n}").status_code for n in range(3)]
    assert links == [404, 404, 429]
