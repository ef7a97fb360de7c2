"""The staff blueprint; its views live in the modules imported here."""

from app.manage import (
    views_accounts,
    views_activities,
    views_analysis,
    views_journeys,
    views_kpis,
    views_participants,
    views_surveys,
)
from app.manage.blueprint import bp

__all__ = [
    "bp",
    "views_accounts",
    "views_activities",
    "views_analysis",
    "views_journeys",
    "views_kpis",
    "views_participants",
    "views_surveys",
]
