"""Every response an API test receives from /api/v1 is validated against the OpenAPI
document the app generates (openapi-core): its status must be documented for the
operation, and its body and content type must match what the document says."""

from __future__ import annotations

import io
import json

import pytest
from flask.testing import FlaskClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.wrappers import Request

_documents: dict[int, OpenAPI] = {}
checked: list[str] = []  # "METHOD path status" of each response validated


def document_for(app) -> OpenAPI:
    """The app's document (served at /api/v1/openapi.json), for the test host."""
    if id(app) not in _documents:
        with app.test_request_context():
            spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
        spec["servers"] = [{"url": "http://localhost"}]
        # Problems are JSON under their own media type (RFC 9457).
        config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
        _documents[id(app)] = OpenAPI.from_dict(spec, config=config)
    return _documents[id(app)]


def validate(app, response) -> None:
    """Raise when ``response`` (of a test client) breaks the document. A path or method
    the document does not have must be answered with a problem (404, 405)."""
    try:
        # The request as sent, less its body (already read by the app).
        environ = {**response.request.environ, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"}
        document_for(app).validate_response(
            WerkzeugOpenAPIRequest(Request(environ)), WerkzeugOpenAPIResponse(response)
        )
    except (PathNotFound, OperationNotFound):
        assert response.status_code in (404, 405), response.status_code
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == response.status_code and problem["type"] == "about:blank"
        assert problem["title"] and problem["detail"]


@pytest.fixture(autouse=True)
def _responses_match_the_document(monkeypatch):
    original = FlaskClient.open

    def open_and_validate(self, *args, **kwargs):
        response = original(self, *args, **kwargs)
        request = response.request
        if request.path.startswith("/api/v1/") and request.method != "HEAD":
            validate(self.application, response)
            checked.append(f"{request.method} {request.path} {response.status_code}")
        return response

    monkeypatch.setattr(FlaskClient, "open", open_and_validate)
