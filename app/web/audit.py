"""Recording, from a request, what the logged-in person did (`app.common.audit`)."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from app.common.audit import record
from app.extensions import db
from app.models import AuditEntry


def audit(action: str, target: object | None = None, summary: str = "") -> AuditEntry:
    """An audit entry for the current user's ``action`` on ``target``, with the request's
    address (behind a proxy, the address the proxy settings trust)."""
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    return record(db.session, actor, action, target, summary, request.remote_addr or "")
