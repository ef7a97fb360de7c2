"""Who may open a page: decorators shared by the blueprints."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user, login_required

from app.models import Role


def _needs_two_factor() -> bool:
    """An administrator who has not turned on two-factor login, where it is required."""
    return bool(
        current_app.config["TWO_FACTOR_REQUIRED_FOR_ADMINS"]
        and current_user.is_admin
        and current_user.totp_enabled_at is None
    )


def staff_required(view):
    """Logged-in ROCB staff or administrators only; others get 403. Where the setting asks
    for it, an administrator first turns on two-factor login."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_staff:
            abort(403)
        if _needs_two_factor():
            flash("Turn on two-factor login before you use the staff pages.", "info")
            return redirect(url_for("auth.two_factor_setup"))
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """Logged-in administrators only; others get 403."""

    @wraps(view)
    @staff_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def contact_point_required(view):
    """Logged-in contact points of a Member only; others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role is not Role.CONTACT_POINT or current_user.member is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
