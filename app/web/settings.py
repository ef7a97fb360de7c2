"""Settings the domains receive, read from the application's configuration (the domains
never read Flask's configuration themselves)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app.accounts.sessions import SessionRules
from app.journeys.settings import JourneySettings
from app.kpis.findings import FindingRules


def journey_settings() -> JourneySettings:
    return JourneySettings.from_config(current_app.config)


def min_group_size() -> int:
    """Results of groups smaller than this are never shown."""
    return int(current_app.config["MIN_GROUP_SIZE"])


def finding_rules() -> FindingRules:
    return FindingRules.from_config(current_app.config)


def session_rules() -> SessionRules:
    config = current_app.config
    return SessionRules(
        remember=timedelta(days=int(config["REMEMBER_DAYS"])),
        idle=timedelta(hours=int(config["SESSION_HOURS"])),
    )
