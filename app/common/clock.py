"""The application's clock: the one place that reads the wall clock, in UTC.

Requests and commands read "now" here once and hand it to the domain functions, which
compare dates and times only with the moment they are given (a dispatch run, a simulated
`--now`, a test's frozen time). Tests move this clock with time-machine.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC: round dates, plan years and deliveries are compared with it."""
    return utcnow().date()
