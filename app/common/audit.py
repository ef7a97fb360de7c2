"""The audit trail: who did what to which object, when, with a short before/after summary.

Every staff and admin write and every download of personal data adds one entry, from the
request or command that did it (`record`). Entries are only ever added: the model refuses
an update or a delete before it is sent (`app/models/user.py`), and database triggers
(migration 0007) refuse it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry, User

COMMAND_LINE = "command line"
SUMMARY_LIMIT = 2000


def record(
    session: Session,
    actor: User | str | None,
    action: str,
    target: object | None = None,
    summary: str = "",
    address: str = "",
) -> AuditEntry:
    """Add an entry. ``actor`` is the user who acted, or a label ("command line");
    ``action`` names what was done ("activity.update"); ``target`` is the model object
    acted on (its table and id are kept), if any."""
    if isinstance(actor, User):
        actor_id, label = actor.id, actor.email
    else:
        actor_id, label = None, actor or "unknown"
    entry = AuditEntry(
        actor_id=actor_id,
        actor_label=label[:254],
        action=action[:64],
        object_type=getattr(target, "__tablename__", "") if target is not None else "",
        object_id=str(getattr(target, "id", "") or "") if target is not None else "",
        summary=summary[:SUMMARY_LIMIT],
        address=(address or "")[:64],
    )
    session.add(entry)
    session.flush()
    return entry


def snapshot(target: object, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` now, to compare with after a change (`changes`)."""
    return {name: _plain(getattr(target, name)) for name in fields}


def changes(before: dict[str, Any], target: object, personal: Iterable[str] = ()) -> str:
    """``field: old -> new`` for each field of ``before`` that ``target`` changed. The
    values of ``personal`` fields are not written, only that they changed: the trail is
    never erased, a person's data must be."""
    hidden = set(personal)
    parts = []
    for name, old in before.items():
        new = _plain(getattr(target, name))
        if new != old:
            parts.append(
                f"{name} changed" if name in hidden else f"{name}: {_shown(old)} -> {_shown(new)}"
            )
    return "; ".join(parts) or "no change"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple, set)):
        return tuple(sorted(str(getattr(v, "code", None) or getattr(v, "id", v)) for v in value))
    if isinstance(value, (date, datetime, Decimal)):
        return str(value)
    return value


def _shown(value: Any) -> str:
    if value in (None, ""):
        return "(empty)"
    if isinstance(value, tuple):
        return ", ".join(value) or "(none)"
    text = str(value)
    return repr(text[:80] + "…") if len(text) > 80 else repr(text)


def entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEntry]:
    """Entries, newest first, matching the filters given (``action`` matches a prefix,
    ``actor`` part of the label)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if actor:
        query = query.where(AuditEntry.actor_label.contains(actor.strip().lower()))
    if action:
        query = query.where(AuditEntry.action.startswith(action.strip()))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    return list(session.scalars(query.offset(offset).limit(limit)))
