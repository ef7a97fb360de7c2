"""Forms that pages of several audiences use."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (remove, close, answer, resend)."""

    submit = SubmitField("Confirm")
