"""Keyset pagination: a page of rows read in a stable order, after the key of the last row
a reader saw. Unlike an offset, the key stays right while rows are added or change
between two pages, and a page costs the same wherever it starts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import QueryableAttribute, Session

T = TypeVar("T")

MAX_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """The rows of one page, whether more follow, and the key after which the next page
    (or a later pull of what changed) starts."""

    rows: list[T]
    more: bool
    last_key: tuple[Any, ...] | None


def utc(moment: datetime) -> datetime:
    """A moment in UTC (SQLite gives back naive UTC times)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def keyset_page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    order: Sequence[ColumnElement[Any] | QueryableAttribute[Any]],
    after: tuple[Any, ...] | None,
    limit: int,
) -> Page[Any]:
    """At most ``limit`` rows of ``query`` ordered by ``order`` (whose last column is
    unique) that come after the key ``after``: one statement. ``query`` selects the row
    (an entity) followed by the ``order`` columns; the page holds the entities."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
    if after is not None:
        if len(after) != len(order):
            raise ValueError("the key does not fit the order")
        query = query.where(
            order[0] > after[0] if len(order) == 1 else tuple_(*order) > tuple_(*after)
        )
    found = list(session.execute(query.order_by(*order).limit(limit + 1)).all())
    page = found[:limit]
    last_key = None
    if page:
        last_key = tuple(
            utc(value) if isinstance(value, datetime) else value for value in tuple(page[-1])[1:]
        )
    return Page(rows=[row[0] for row in page], more=len(found) > limit, last_key=last_key)
