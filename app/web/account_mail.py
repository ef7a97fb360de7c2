"""Sending a link that sets a password (an invitation to a new account, a reset), from
the request that asks for it: staff inviting someone, a person who forgot."""

from __future__ import annotations

from flask import current_app

from app.accounts.users import account_link, account_message
from app.common import clock
from app.common.mail import backend_from_config, send_now
from app.extensions import db
from app.models import User
from app.web.settings import journey_settings


def send_account_link(user: User, purpose: str, inviter: User | None) -> bool:
    """Make and send the link; True when the mail server took it (else it stays queued
    for the next dispatch)."""
    now = clock.utcnow()
    link = account_link(db.session, user, purpose, journey_settings().base_url, now)
    message = account_message(user, purpose, link, inviter)
    db.session.add(message)
    db.session.commit()
    try:
        send_now(db.session, backend_from_config(current_app.config), message, now)
    except OSError:
        db.session.commit()
        return False
    db.session.commit()
    return True
