"""`flask ...` commands, thin wrappers over the domains: the plan, surveys, rounds, KPIs
and demo data (`commands`), accounts, the audit trail and personal data (`accounts`)."""

from __future__ import annotations

from flask import Flask

from app.cli import accounts, commands


def register_commands(app: Flask) -> None:
    for group in (*commands.GROUPS, *accounts.GROUPS):
        app.cli.add_command(group)
