"""`flask users ...` (accounts and API tokens), `flask audit list` and `flask personal-data
...`. Every change made here is in the audit trail as done from the command line."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from app.accounts.api_tokens import TokenError, api_tokens, issue_api_token, revoke_api_token
from app.accounts.sessions import end_all_login_sessions
from app.accounts.users import (
    NewUser,
    UserError,
    account_link,
    account_message,
    create_user,
    reset_two_factor,
    set_active,
    user_by_email,
)
from app.common import audit as audit_trail
from app.common import clock
from app.common.audit import COMMAND_LINE, record
from app.common.mail import backend_from_config, send_now
from app.extensions import db
from app.journeys.personal_data import (
    erase_participant,
    participant_record,
    purge_invitation_addresses,
)
from app.models import ApiToken, Participant, User

users_cli = AppGroup("users", help="Staff, administrator and contact-point accounts.")
audit_cli = AppGroup("audit", help="The audit trail of staff and administrator actions.")


def _user(email: str) -> User:
    user = user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    return user


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "staff", "contact_point"]))
@click.option("--member", "member_code", help="ISO alpha-3 code (contact points only).")
@click.option("--name", default="", help="Display name (defaults to the email's local part).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(
    email: str, role: str, member_code: str | None, name: str, password_stdin: bool
) -> None:
    """Create an account with a password (at least 12 characters, not a common one)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, NewUser(email, role, password, name, member_code))
    except UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    record(db.session, COMMAND_LINE, "user.create", user, f"{user.email} as {user.role.value}")
    db.session.commit()
    suffix = f" for {user.member.code}" if user.member else ""
    click.echo(f"Created {user.role.value} {user.email}{suffix}.")


@users_cli.command("invite")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "staff", "contact_point"]))
@click.option("--member", "member_code", help="ISO alpha-3 code (contact points only).")
@click.option("--name", default="")
def users_invite(email: str, role: str, member_code: str | None, name: str) -> None:
    """Create an account without a password and email the person a link to set one (the
    link is printed too, for when the email does not arrive)."""
    try:
        user = create_user(db.session, NewUser(email, role, None, name, member_code))
    except UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    record(db.session, COMMAND_LINE, "user.invite", user, f"{user.email} as {user.role.value}")
    _send_link(user, "invite")


@users_cli.command("reset-link")
@click.argument("email")
def users_reset_link(email: str) -> None:
    """Email a link to set a new password (and print it); earlier links stop working."""
    user = _user(email)
    record(db.session, COMMAND_LINE, "user.reset_link", user)
    _send_link(user, "reset" if user.password_hash else "invite")


def _send_link(user: User, purpose: str) -> None:
    now = clock.utcnow()
    link = account_link(db.session, user, purpose, _base_url(), now)
    message = account_message(user, purpose, link, None)
    db.session.add(message)
    db.session.commit()
    try:
        send_now(db.session, backend_from_config(current_app.config), message, now)
    except OSError as error:
        click.echo(f"The mail server refused it ({error}); the next dispatch tries again.")
    db.session.commit()
    click.echo(f"Link for {user.email} (works once): {link}")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="", help="What uses it.")
@click.option("--scope", type=click.Choice(["read", "write"]), default="write", show_default=True)
@click.option("--days", type=int, default=90, show_default=True, help="How long it works.")
def users_token(email: str, name: str, scope: str, days: int) -> None:
    """Print a new API token for a staff member (shown once; only its hash is kept)."""
    user = _user(email)
    try:
        row, token = issue_api_token(db.session, user, clock.utcnow(), name, scope, days)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    record(db.session, COMMAND_LINE, "token.create", row, f"{row.name}, {row.scope}")
    db.session.commit()
    click.echo(token)


@users_cli.command("tokens")
@click.argument("email", required=False)
def users_tokens(email: str | None) -> None:
    """List API tokens (of one user, or everyone's)."""
    owner = _user(email) if email else None
    for row in api_tokens(db.session, owner):
        state = (
            f"revoked {row.revoked_at:%Y-%m-%d}"
            if row.revoked_at
            else f"until {row.expires_at:%Y-%m-%d}"
            if row.expires_at
            else "no end date"
        )
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
        click.echo(f"{row.id:5}  {row.user.email}  {row.name!r}  {row.scope}  {state}  used {used}")


@users_cli.command("revoke-token")
@click.argument("token_id", type=int)
def users_revoke_token(token_id: int) -> None:
    """Make an API token stop working."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise click.ClickException(f"No API token {token_id}.")
    revoke_api_token(db.session, row, clock.utcnow())
    record(db.session, COMMAND_LINE, "token.revoke", row, f"{row.name} of {row.user.email}")
    db.session.commit()
    click.echo(f"Token {token_id} ({row.name}) of {row.user.email} revoked.")


@users_cli.command("logout-everywhere")
@click.argument("email")
def users_logout_everywhere(email: str) -> None:
    """End every login session of an account."""
    user = _user(email)
    ended = end_all_login_sessions(db.session, user)
    record(db.session, COMMAND_LINE, "user.logout_everywhere", user, f"{ended} session(s)")
    db.session.commit()
    click.echo(f"{user.email}: {ended} session(s) ended.")


@users_cli.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Disable an account and end its sessions (its API tokens stop working with it)."""
    user = _user(email)
    ended = set_active(db.session, None, user, False)
    record(db.session, COMMAND_LINE, "user.disable", user, f"{ended} session(s) ended")
    db.session.commit()
    click.echo(f"{user.email} disabled; {ended} session(s) ended.")


@users_cli.command("reset-two-factor")
@click.argument("email")
def users_reset_two_factor(email: str) -> None:
    """Turn off the two-factor login of someone who lost the phone and the recovery codes;
    they log in with the password and turn it on again."""
    user = _user(email)
    try:
        ended = reset_two_factor(db.session, None, user)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    record(db.session, COMMAND_LINE, "user.two_factor_reset", user, f"{ended} session(s) ended")
    db.session.commit()
    click.echo(f"Two-factor login is off for {user.email}; {ended} session(s) ended.")


@audit_cli.command("list")
@click.option("--actor", help="Part of the email of who acted.")
@click.option("--action", help="Actions starting with this, e.g. user. or activity.update")
@click.option("--object", "object_type", help="The kind of object, e.g. activities.")
@click.option("--id", "object_id", help="The object's number.")
@click.option("--limit", type=int, default=50, show_default=True)
def audit_list(
    actor: str | None,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    limit: int,
) -> None:
    """Print the latest audit entries, newest first."""
    rows = audit_trail.entries(
        db.session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        limit=limit,
    )
    for entry in rows:
        target = f"{entry.object_type} {entry.object_id}".strip()
        click.echo(
            f"{entry.at:%Y-%m-%d %H:%M:%S}  {entry.actor_label}  {entry.action}  {target}"
            + (f"  {entry.summary}" if entry.summary else "")
        )


personal_data_cli = AppGroup("personal-data", help="A participant's personal data.")


def _participant(participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise click.ClickException(f"No participant {participant_id}.")
    return participant


@personal_data_cli.command("export")
@click.argument("participant_id", type=int)
def personal_data_export(participant_id: int) -> None:
    """Print everything held about a participant, as JSON."""
    participant = _participant(participant_id)
    record(db.session, COMMAND_LINE, "download.personal_data", participant, "JSON")
    db.session.commit()
    click.echo(
        json.dumps(participant_record(db.session, participant), indent=2, ensure_ascii=False)
    )


@personal_data_cli.command("erase")
@click.argument("participant_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def personal_data_erase(participant_id: int, yes: bool) -> None:
    """Erase a participant's name, email and position everywhere (answers stay)."""
    participant = _participant(participant_id)
    if participant.erased_at is not None:
        raise click.ClickException(f"Participant {participant_id} was erased already.")
    if not yes:
        click.confirm(f"Erase the personal data of {participant.name}?", abort=True)
    erasure = erase_participant(db.session, participant, clock.utcnow())
    record(
        db.session,
        COMMAND_LINE,
        "participant.erase",
        participant,
        f"{erasure.invitations} invitation(s), {erasure.messages} message(s)",
    )
    db.session.commit()
    click.echo(f"Participant {participant_id} erased.")


@personal_data_cli.command("purge")
def personal_data_purge() -> None:
    """Remove invitations' email addresses past INVITATION_EMAIL_RETENTION_DAYS (the
    dispatch does it too)."""
    removed = purge_invitation_addresses(
        db.session, clock.today(), int(current_app.config["INVITATION_EMAIL_RETENTION_DAYS"])
    )
    db.session.commit()
    click.echo(f"Invitation addresses removed: {removed}.")


GROUPS = (users_cli, audit_cli, personal_data_cli)
