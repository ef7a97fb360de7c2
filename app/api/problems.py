"""Every error of /api/ as ``application/problem+json`` (RFC 9457): ``type``, ``title``,
``status``, ``detail`` and, when parameters or fields are at fault, ``invalid-params``
naming each one (``name``, ``in``: query, path, body or header, and ``reason``)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"

# Where webargs says a parameter was read, as the problem names it.
_LOCATIONS = {"query": "query", "querystring": "query", "view_args": "path", "json": "body"}


class ApiError(Exception):
    """An error the API answers with, naming the parameters at fault."""

    def __init__(
        self,
        status: int,
        detail: str,
        params: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.params = params or []
        self.headers = headers or {}


def param(name: str, reason: str, where: str = "body") -> dict[str, str]:
    return {"name": name, "in": where, "reason": reason}


def problem_response(
    status: int,
    detail: str,
    params: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if params:
        body["invalid-params"] = params
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """webargs' nested messages ({"participants": {1: {"name": [...]}}}) as
    ("participants.1.name", "...") pairs."""
    if isinstance(messages, dict):
        pairs: list[tuple[str, str]] = []
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            pairs.extend(_flatten(value, name))
        return pairs
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(prefix, " ".join(messages))]
    if isinstance(messages, list):
        return [pair for m in messages for pair in _flatten(m, prefix)]
    return [(prefix, str(messages))]


def from_http_exception(error: HTTPException) -> Response:
    """An HTTP error (routing, method, size, rate limit, or the arguments webargs refused)
    as a problem. Arguments refused in the query or the path are 400, in the body 422."""
    status = error.code or 500
    messages = (getattr(error, "data", None) or {}).get("messages")
    params: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for location, fields in messages.items():
            where = _LOCATIONS.get(location, location)
            for name, reason in _flatten(fields):
                # marshmallow names an error of the whole body (a list for an object) _schema.
                name = ".".join(part for part in name.split(".") if part != "_schema") or "body"
                params.append(param(name, reason, where))
        if params and all(p["in"] in ("query", "path") for p in params):
            status = 400
    detail = error.description or HTTPStatus(status).description
    if params:
        detail = "Some parameters are not valid: " + ", ".join(p["name"] for p in params) + "."
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    if status == 405 and "Allow" not in headers and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods or [])
    return problem_response(status, detail, params, headers)
