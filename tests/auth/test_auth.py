"""Login, logout, access control and CSRF, through HTTP."""

import pytest

from tests.conftest import TEST_PASSWORD, csrf_token, login, post_form
from tests.factories import UserFactory, member

STAFF_PAGES = [
    "/manage/",
    "/manage/activities",
    "/manage/members",
    "/manage/plan/2025-2026",
    "/manage/plan/2025-2026/activities",
    "/manage/plan/2025-2026/activities/new",
]


def test_login_page_renders_with_a_form(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label for="email">Email</label>' in html
    assert 'name="csrf_token"' in html


@pytest.mark.parametrize("email", ["staff@rocb.example", "nobody@rocb.example"])
def test_failed_login_says_the_same_thing_whoever_you_are(client, session, email):
    UserFactory(email="staff@rocb.example")
    response = login(client, email, "wrong password!")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "The email or password is not right." in html
    assert "nobody" not in html.lower().replace('value="nobody@rocb.example"', "")
    assert client.get("/manage/").status_code == 302


def test_successful_login_then_logout(client, session):
    user = UserFactory(email="staff@rocb.example")
    response = login(client, "staff@rocb.example")
    assert response.status_code == 302 and response.location.endswith("/")
    assert client.get("/manage/members").status_code == 200
    # Logging out needs a POST with the token; a GET does nothing.
    assert client.get("/auth/logout").status_code == 405
    page = client.get("/manage/members").get_data(as_text=True)
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert client.get("/manage/members").status_code == 302
    assert user.email == "staff@rocb.example"


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_redirect_anonymous_visitors_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login?next=" in response.location


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_contact_points_cannot_open_staff_pages(client, session, path):
    UserFactory(email="cp@customs.fj", role="contact_point", member=member("FJI"))
    login(client, "cp@customs.fj")
    assert client.get(path).status_code == 403


def test_contact_point_lands_on_their_home(client, session):
    UserFactory(email="cp@customs.to", name="Sione", role="contact_point", member=member("TON"))
    response = login(client, "cp@customs.to")
    assert response.status_code == 302
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "<h1>Tonga</h1>" in page and "Annual Needs Survey" in page


def test_login_redirects_to_next_but_never_off_site(client, session):
    UserFactory(email="s@rocb.example")
    page = client.get("/auth/login").get_data(as_text=True)
    token = csrf_token(page)
    response = client.post(
        "/auth/login?next=/manage/members",
        data={"csrf_token": token, "email": "s@rocb.example", "password": TEST_PASSWORD},
    )
    assert response.location.endswith("/manage/members")
    client.post("/auth/logout", data={"csrf_token": token})
    page = client.get("/auth/login").get_data(as_text=True)
    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={"csrf_token": csrf_token(page), "email": "s@rocb.example", "password": TEST_PASSWORD},
    )
    assert "evil.example" not in response.location


def test_a_post_without_csrf_token_is_refused_with_a_clear_page(client, session):
    UserFactory(email="s@rocb.example")
    response = client.post(
        "/auth/login", data={"email": "s@rocb.example", "password": TEST_PASSWORD}
    )
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_deactivated_user_is_signed_out(client, session):
    user = UserFactory(email="s@rocb.example")
    login(client, "s@rocb.example")
    assert client.get("/manage/members").status_code == 200
    user.active = False
    session.flush()
    assert client.get("/manage/members").status_code == 302


def test_empty_login_form_lists_errors_at_the_top(client):
    response = post_form(client, "/auth/login", {"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert '<a href="#email">Email: Enter your email.</a>' in html
    assert 'aria-describedby="email-error"' in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not Found" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/auth/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_health_check(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_a_next_address_with_control_characters_goes_home(client, session):
    UserFactory(email="s@rocb.example")
    page = client.get("/auth/login").get_data(as_text=True)
    response = client.post(
        "/auth/login?next=/%0D%0ASet-Cookie:%20x=1",
        data={"csrf_token": csrf_token(page), "email": "s@rocb.example", "password": TEST_PASSWORD},
    )
    assert response.status_code == 302 and response.location == "/"
