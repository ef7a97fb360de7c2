"""Home page: a public page for visitors (respondents arrive by their link, never here
first), the staff's or the contact point's own pages for those logged in; and the
favicon browsers ask for at the root."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for
from flask_login import current_user

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        # Staff log in at /auth/login: the public home page does not lead there.
        return render_template("main/home.html", contact=current_app.config["CONTACT_EMAIL"])
    if current_user.is_staff:
        return redirect(url_for("manage.home"))
    return redirect(url_for("portal.home"))


@bp.route("/favicon.ico")
def favicon():
    folder = Path(current_app.root_path).parent / "static"
    response = send_from_directory(folder, "favicon.ico", mimetype="image/x-icon")
    response.cache_control.max_age = 7 * 24 * 3600
    return response
