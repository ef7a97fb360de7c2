"""Query parameters read and checked once: a parameter that is not what a page expects is
a 400 that names it, never a server error."""

from __future__ import annotations

import re
from enum import Enum
from typing import TypeVar

from flask import abort, request

from app.extensions import db
from app.models import PlanYear
from app.web.lookups import this_plan_year
from app.workplan.plan_years import PlanYearError, get_plan_year

MAX_PAGE = 1_000_000
E = TypeVar("E", bound=Enum)


def plan_year_arg(name: str = "year") -> PlanYear:
    """The stored plan year the parameter names (``2025-2026``), or the current one when
    it is absent; 400 when it is not a plan year, 404 when none is stored."""
    label = request.args.get(name)
    if not label:
        plan_year = this_plan_year()
        if plan_year is None:
            abort(404, "No work plan is stored yet: import one first.")
        return plan_year
    try:
        plan_year = get_plan_year(db.session, label)
    except PlanYearError as error:
        abort(400, f"Parameter {name}: {error}.")
    if plan_year is None:
        abort(404, f"No work plan is stored for {label}.")
    return plan_year


def page_arg(name: str = "page") -> int:
    """A page number from 1 (the default); 400 for anything else."""
    text = request.args.get(name)
    if text in (None, ""):
        return 1
    if not re.fullmatch(r"[0-9]{1,7}", text) or not 1 <= int(text) <= MAX_PAGE:
        abort(400, f"Parameter {name}: a page number from 1 to {MAX_PAGE:,}.")
    return int(text)


def enum_arg(name: str, enum_class: type[E]) -> E | None:
    """One of the enum's values, or None when the parameter is absent or empty."""
    text = request.args.get(name)
    if not text:
        return None
    try:
        return enum_class(text)
    except ValueError:
        choices = ", ".join(str(e.value) for e in enum_class)
        abort(400, f"Parameter {name}: one of {choices}.")
