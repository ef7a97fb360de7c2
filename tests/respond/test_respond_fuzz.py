"""Property: whatever a client posts to a survey section, the server answers with a page
(200, a redirect, 400 with errors, 403 when closed), never with a server error."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import csrf_token
from tests.respond.test_respond import (  # noqa: F401 (fixtures)
    BASICS,
    CHOICES,
    all_types_round,
    respondent,
)

KEYS = [
    "name",
    "code",
    "story",
    "age",
    "budget",
    "since",
    "agree",
    "because",
    "colour",
    "colours_liked",
    "colours_liked-other",
    "happy",
    "score",
    "grid",
    "grid-speed",
    "grid-cost",
    "member",
    "activity",
    "item",
    "double_age",
    "results",
    "results-0-what",
    "results-0-when",
    "results-0-how_much",
    "results-7-what",
    "results-99999999999-when",
    "results--1-what",
    "csrf_token",
]
SPECIAL = [
    "",
    " ",
    "0",
    "1",
    "-1",
    "12",
    "2,5",
    "1e9",
    "NaN",
    "Infinity",
    "99999999999999999999",
    "-0",
    "0x10",
    "2026-02-30",
    "2026-01-15",
    "1999-12-31",
    "red",
    "green",
    "other",
    "yes",
    "no",
    "FJI",
    "1-(a)",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "ABC-123",
    "x" * 6000,
]
values = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=40), st.integers().map(str))
forms = st.dictionaries(
    st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=12)),
    st.one_of(values, st.lists(values, max_size=4)),
    max_size=14,
)
actions = st.sampled_from(
    [
        "next",
        "previous",
        "submit",
        "add:results",
        "remove:results:1",
        "remove:results:x",
        "add:name",
        "remove:",
        "bogus",
        "",
    ]
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=forms, action=actions, index=st.integers(min_value=0, max_value=5))
def test_random_posts_never_cause_a_server_error(respondent, data, action, index):  # noqa: F811
    client = respondent.client
    slug = respondent.slug
    if not getattr(respondent, "advanced", False):
        # Reach every section once, so random posts land on all of them, not only the first.
        respondent.post(0, BASICS)
        respondent.post(1, CHOICES)
        respondent.post(2, {"member": "FJI"})
        respondent.advanced = True
    page = client.get(f"/s/{slug}/0").get_data(as_text=True)
    token = csrf_token(page) if 'name="csrf_token"' in page else ""
    response = client.post(
        f"/s/{slug}/{index}", data={**data, "csrf_token": token, "action": action}
    )
    assert response.status_code in (200, 302, 400, 403, 404), response.status_code
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "Something went wrong" not in body
    assert "<script>alert(1)</script>" not in body
