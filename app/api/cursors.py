"""Opaque cursors and the links of a page.

A cursor is the key of the last row a client saw, for one list: base64url of a small JSON
array ``[list, moment or null, id]``. It holds no data the client may not see (a moment
and an id of a row of that list) and is checked when it comes back: a cursor of another
list, or one that was altered, is a 400 naming ``cursor``."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from flask import request, url_for

from app.api.problems import ApiError, param
from app.common.keyset import Page, utc


def encode(kind: str, key: tuple[Any, ...]) -> str:
    values = [kind, *(v.isoformat() if isinstance(v, datetime) else v for v in key)]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad(reason: str) -> ApiError:
    return ApiError(
        400,
        "The cursor is not one this list gave: start again without it, or use the "
        "`next` or `resume` link as given.",
        [param("cursor", reason, "query")],
    )


def decode(kind: str, cursor: str | None, moments: bool = True) -> tuple[Any, ...] | None:
    """The key in ``cursor`` for the list ``kind``: (moment, id), or (id,) when the list
    is ordered by id alone (``moments`` false)."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, binascii.Error):
        raise _bad("not a cursor") from None
    if not isinstance(values, list) or not values or values[0] != kind:
        raise _bad(f"not a cursor of the {kind} list")
    key = values[1:]
    identifier = key[-1] if key else None
    if (
        len(key) != (2 if moments else 1)
        or not isinstance(identifier, int)
        or isinstance(identifier, bool)
        or not 0 <= identifier < 2**31
    ):
        raise _bad("an altered cursor")
    if not moments:
        return (identifier,)
    try:
        moment = utc(datetime.fromisoformat(key[0]))
    except (TypeError, ValueError):
        raise _bad("an altered cursor") from None
    return (moment, identifier)


def page_links(
    kind: str, page: Page[Any], cursor: str | None, **view_args: Any
) -> tuple[dict[str, str | None], dict[str, str]]:
    """The ``next`` and ``resume`` links of a page (absolute, with the request's other
    query parameters), and its ``Link: <next>; rel="next"`` header.

    ``resume`` starts after the last row of this page (after the cursor given, on an empty
    page): followed later, it gives only what changed since."""
    resume_cursor = encode(kind, page.last_key) if page.last_key is not None else cursor
    args = {k: v for k, v in request.args.items() if k != "cursor"}

    def link(position: str | None) -> str:
        extra = {"cursor": position} if position else {}
        return url_for(request.endpoint or "", _external=True, **view_args, **args, **extra)

    resume = link(resume_cursor)
    next_link = resume if page.more else None
    headers = {"Link": f'<{next_link}>; rel="next"'} if next_link else {}
    return {"next": next_link, "resume": resume}, headers
