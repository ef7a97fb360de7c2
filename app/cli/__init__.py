"""`flask ...` commands, thin wrappers over the domains: the plan, surveys, rounds, KPIs
and demo data (`commands`), XLSForm in and out (`xlsform`), accounts, the audit trail and
personal data (`accounts`)."""

from __future__ import annotations

from flask import Flask

from app.cli import accounts, commands, xlsform


def register_commands(app: Flask) -> None:
    assert xlsform.surveys_cli is commands.surveys_cli  # xlsform's commands join `surveys`
    for group in (*commands.GROUPS, *accounts.GROUPS):
        app.cli.add_command(group)
