"""The application's clock: the one place that reads the wall clock.

Requests and commands read "now" or "today" here and hand it to the domain functions,
which compare dates and times with the moment they are given (a dispatch run, a
simulated `--now`, a test's moved clock); a domain function given no moment falls back
to this clock, and writes are stamped with `utcnow()` when they happen. Tests move this
clock with time-machine (`TEST_CLOCK`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the server's local time zone: round dates, plan years and
    deliveries are compared with it. (The dispatch counts days in UTC; on a server kept
    on UTC the two agree.)"""
    return date.today()


def aware(moment: datetime) -> datetime:
    """A stored moment as a timezone-aware UTC datetime (SQLite returns naive ones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
