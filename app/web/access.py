"""Who may open a page: decorators shared by the blueprints."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from app.models import Role


def staff_required(view):
    """Logged-in ROCB staff or administrators only; others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_staff:
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
