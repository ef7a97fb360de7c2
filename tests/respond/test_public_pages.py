"""What respondents and contact points see around the survey: a header that names the
office and carries no staff link, a public home page and a 404 page that do not lead to
the staff login, a favicon served by the app itself."""

from __future__ import annotations

from tests.conftest import login, post_form
from tests.journey import answer_needs, make_journey, open_link, start_survey

OFFICE = "WCO Regional Office for Capacity Building, Asia/Pacific"
STAFF_WORDS = ("Surveys &amp; KPIs", "Surveys & KPIs", "/auth/login", "/manage/")


def _public(html: str) -> None:
    assert OFFICE in html
    for word in STAFF_WORDS:
        assert word not in html, word


def test_respondent_pages_name_the_office_and_carry_no_staff_link(app, session, client):
    journey = make_journey(session, app)
    journey.dispatch()
    slug = journey.delivery.evaluation.slug
    open_link(client, journey.link_for("ana@customs.gov.np"))
    _public(client.get(f"/s/{slug}").get_data(as_text=True))
    start_survey(client, slug)
    _public(client.get(f"/s/{slug}/0").get_data(as_text=True))


def test_the_contact_points_pages_carry_no_staff_link_and_lead_back_to_the_portal(
    app, session, client
):
    from datetime import date

    from app.journeys.scheduling import ensure_needs_round
    from app.workplan.plan_years import get_or_create_plan_year, label_for_date

    journey = make_journey(session, app)
    plan_year = get_or_create_plan_year(session, label_for_date(date.today()))
    survey_round = ensure_needs_round(session, plan_year, journey.settings, date.today())
    session.commit()
    login(client, "cp@customs.gov.np")
    _public(client.get("/portal/").get_data(as_text=True))
    post_form(client, f"/portal/needs/{survey_round.id}/answer", {}, page="/portal/")
    answer_needs(client, survey_round.slug)
    thanks = client.get(f"/s/{survey_round.slug}/thanks").get_data(as_text=True)
    _public(thanks)
    assert 'href="/portal/"' in thanks and "Back to your administration" in thanks
    # The administration's own thanks (it is known): said once.
    main = thanks.split("<main", 1)[1]
    assert "priorities will be taken into account" in main and main.count("Thank you") == 1


def test_staff_keep_their_header_on_their_own_pages(client, staff_user):
    login(client, staff_user.email)
    page = client.get("/manage/").get_data(as_text=True)
    assert "ROCB A/P <span>Surveys & KPIs</span>" in page and "/manage/outbox" in page


def test_the_public_home_and_404_pages_do_not_lead_to_the_staff_login(client):
    home = client.get("/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    _public(html)
    assert "Open the link in the email you received" in html
    missing = client.get("/s/no-such-survey")
    assert missing.status_code == 404
    _public(missing.get_data(as_text=True))
    link = client.get("/i/not-a-real-token")
    assert link.status_code == 404
    _public(link.get_data(as_text=True))
    # Staff still log in at the login page's own address.
    assert client.get("/auth/login").status_code == 200


def test_a_favicon_is_served_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.' in page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/x-icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    icon.close()
