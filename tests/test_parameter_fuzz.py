"""Every parameter is checked: whatever query string or form body reaches whatever route,
as whichever role, the answer is a page or JSON (400, 404, a redirect...), never a server
error. Routes come from `app.url_map`, with the real ids of tests/test_access.py's world."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_access import (  # noqa: F401 (world is a fixture)
    ACCESS,
    ACCOUNT,
    ADMIN,
    API,
    CONTACT,
    PUBLIC,
    ROLES,
    STAFF,
    _client_for,
    _csrf,
    _path,
    world,
)

PARAMETERS = (
    "year",
    "page",
    "status",
    "member",
    "kind",
    "modality",
    "item",
    "subregion",
    "q",
    "lang",
    "check",
    "activity",
    "version",
    "download",
    "next",
    "action",
    "actor",
    "object_type",
    "object_id",
)
ODD_VALUES = ("'", "-1", "²", "9" * 4400, "0000-0001", "\x00", "a" * 3000)


def _rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint not in ("auth.logout",)),
        key=lambda r: r.endpoint,
    )


def _send(client, rule, path: str, query: dict, body: dict, token: str, headers=None):
    if "GET" in rule.methods:
        response = client.get(path, query_string=query, headers=headers or {})
    else:
        response = client.post(
            path, query_string=query, data={"csrf_token": token, **body}, headers=headers or {}
        )
    response.close()
    return response


# The role that gets past each kind of route's access check (the API's token is sent as
# a header): the parameters are read only behind it.
REACHING = {
    PUBLIC: "anonymous",
    ACCOUNT: "staff",
    STAFF: "staff",
    ADMIN: "admin",
    CONTACT: "contact",
    API: "staff",
}


def test_every_parameter_of_every_route_with_odd_values(app, world):  # noqa: F811
    """One parameter at a time (a first bad one would hide the others), as the role that
    reaches the route."""
    from tests.test_access import _link_of_bo

    clients = {role: _client_for(app, role, _link_of_bo()) for role in ROLES}
    tokens = {role: _csrf(client) for role, client in clients.items()}
    api = {"Authorization": f"Bearer {world.api_token}"}
    errors = []
    for rule in _rules(app):
        path = _path(app, rule, world.ids)
        role = REACHING[ACCESS[rule.endpoint]]
        headers = api if ACCESS[rule.endpoint] == API else {}
        for name in PARAMETERS:
            for value in ODD_VALUES:
                response = _send(
                    clients[role], rule, path, {name: value}, {name: value}, tokens[role], headers
                )
                if response.status_code >= 500:
                    errors.append(f"{role} {rule.endpoint} {path} {name}={value[:20]!r}")
    assert not errors, "\n".join(errors)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_random_query_strings_and_bodies_never_cause_a_server_error(app, world):  # noqa: F811
    from tests.test_access import _link_of_bo

    link = _link_of_bo()
    rules = _rules(app)
    clients = {role: _client_for(app, role, link) for role in ROLES}
    tokens = {role: _csrf(client) for role, client in clients.items()}
    names = st.sampled_from(PARAMETERS) | st.text(min_size=1, max_size=12)
    values = st.text(max_size=40) | st.sampled_from(ODD_VALUES)

    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        role=st.sampled_from(ROLES),
        rule=st.sampled_from(rules),
        query=st.dictionaries(names, values, max_size=5),
        body=st.dictionaries(names, values, max_size=5),
    )
    def check(role, rule, query, body):
        path = _path(app, rule, world.ids)
        response = _send(clients[role], rule, path, query, body, tokens[role])
        assert response.status_code < 500, f"{role} {rule.endpoint} {query} {body}"

    check()


def test_ids_too_large_for_the_database_are_not_found(app, world):  # noqa: F811
    """A path id past the database's integers answers 404 on every route that takes one."""
    from tests.test_access import _link_of_bo

    clients = {role: _client_for(app, role, _link_of_bo()) for role in ROLES}
    tokens = {role: _csrf(client) for role, client in clients.items()}
    api = {"Authorization": f"Bearer {world.api_token}"}
    checked = 0
    for rule in _rules(app):
        numeric = [a for a in rule.arguments if a.endswith("_id") or a in ("number", "index")]
        if not numeric:
            continue
        role = REACHING[ACCESS[rule.endpoint]]
        headers = api if ACCESS[rule.endpoint] == API else {}
        for huge in (2**31, 10**20):
            path = _path(app, rule, {**world.ids, **dict.fromkeys(numeric, huge)})
            response = _send(clients[role], rule, path, {}, {}, tokens[role], headers)
            assert response.status_code == 404, f"{rule.endpoint} {path}"
            checked += 1
    assert checked > 40


def test_text_in_the_address_with_a_nul_character_is_refused(app, world):  # noqa: F811
    """Text segments of an address (a round's slug, a questionnaire key, a plan year, a
    link's token) never reach the database with a NUL character (PostgreSQL refuses it)."""
    from tests.test_access import _link_of_bo

    clients = {role: _client_for(app, role, _link_of_bo()) for role in ROLES}
    checked = 0
    for rule in _rules(app):
        texts = [a for a in rule.arguments if a in ("slug", "key", "label", "token")]
        if not texts or "GET" not in rule.methods:
            continue
        role = REACHING[ACCESS[rule.endpoint]]
        path = _path(app, rule, {**world.ids, **dict.fromkeys(texts, "ab\x00cd")})
        response = clients[role].get(path)
        response.close()
        assert response.status_code == 400, f"{rule.endpoint} {path}"
        checked += 1
    assert checked >= 6
