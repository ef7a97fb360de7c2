"""A bounded schemathesis run: requests generated from the OpenAPI document, sent to the
app in process with a read token and with a read-and-write token, find no 5xx and no
answer that breaks the document (status, content type, headers, body)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.accounts.api_tokens import issue_api_token
from app.common import clock
from tests.factories import UserFactory
from tests.journey import make_journey

# What the run asks of every answer. Not schemathesis' "positive data acceptance": a value
# the schema allows can still be refused for its meaning (an opaque cursor made up by the
# generator, a year that is not two consecutive years), with a 400 problem naming it.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Examples per operation and token: 10 operations x 2 tokens x 15 stay under a minute.
EXAMPLES = 15


@pytest.fixture()
def world(app, session):
    """Rows for the generated requests to find: a delivered activity, its rounds and
    invitations, one submitted response."""
    journey = make_journey(session, app)
    journey.dispatch()
    staff = UserFactory(role="staff")
    tokens = {}
    for scope in ("read", "write"):
        _row, tokens[scope] = issue_api_token(session, staff, clock.utcnow(), scope, scope=scope)
    session.commit()
    return tokens


@pytest.mark.parametrize("scope", ["read", "write"])
def test_generated_requests_find_no_5xx_and_no_answer_off_the_document(app, world, scope):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {world[scope]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10
    called: dict[str, set[int]] = {}

    for operation in operations:
        _run(operation, headers, called)
    assert len(called) == 10
    # Read tokens are refused every write; read-and-write tokens reach the writes' checks.
    writes = [label for label in called if label.startswith("POST")]
    for label in writes:
        assert (called[label] == {403}) == (scope == "read"), (label, called[label])


def _run(operation, headers: dict, called: dict[str, set[int]]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        called.setdefault(operation.label, set()).add(response.status_code)

    check()
