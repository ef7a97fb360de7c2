"""Small arithmetic the KPI figures share: rates, means, two-column queries as dicts."""

from __future__ import annotations

from sqlalchemy.orm import Session


def pairs(session: Session, query) -> dict:
    """A two-column query as a dict."""
    return dict(session.execute(query).all())


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def mean(value) -> float | None:
    return None if value is None else round(float(value), 2)
