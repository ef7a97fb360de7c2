"""Staff pages for accounts: users (invite, role, disable, password link, sessions), the
Members without a contact point, every API token (administrators), the audit trail
(administrators)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.api_tokens import api_tokens, revoke_api_token
from app.accounts.sessions import end_all_login_sessions
from app.accounts.users import (
    NewUser,
    UserError,
    change_role,
    create_user,
    list_users,
    may_give_role,
    may_manage,
    members_without_contact_point,
    reset_two_factor,
    set_active,
)
from app.common import audit as audit_trail
from app.common import clock
from app.common.choices import select_choices
from app.extensions import db
from app.manage.blueprint import bp
from app.manage.forms import AuditFilterForm, InviteForm, RoleForm
from app.models import ApiToken, Role, User
from app.web.access import admin_required
from app.web.account_mail import send_account_link
from app.web.audit import audit
from app.web.forms import ConfirmForm
from app.web.i18n import language_name, round_languages
from app.web.params import page_arg
from app.workplan.members import members_by_name

AUDIT_PAGE = 100


def _actor() -> User:
    return current_user._get_current_object()


def _role_choices(form) -> None:
    form.role.choices = select_choices(
        (r.value, r.label) for r in Role if may_give_role(_actor(), r)
    )
    form.member.choices = select_choices(
        [("", "None (staff and administrators)")]
        + [(m.code, f"{m.name} ({m.code})") for m in members_by_name(db.session)]
    )


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
def users():
    return render_template(
        "manage/users.html",
        users=list_users(db.session),
        uncovered=members_without_contact_point(db.session),
        may_manage=lambda u: may_manage(_actor(), u),
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = InviteForm()
    _role_choices(form)
    form.language.choices = select_choices(
        (code, language_name(code)) for code in round_languages()
    )
    if request.method == "GET" and request.args.get("member"):
        form.role.data, form.member.data = Role.CONTACT_POINT.value, request.args["member"]
    if form.validate_on_submit():
        try:
            user = create_user(
                db.session,
                NewUser(
                    email=form.email.data,
                    role=form.role.data,
                    name=form.name.data or "",
                    member_code=form.member.data or None,
                    language=form.language.data or None,
                ),
                actor=_actor(),
            )
        except UserError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            audit("user.invite", user, f"{user.email} as {user.role.value}")
            db.session.commit()
            sent = send_account_link(user, "invite", _actor())
            flash(
                f"{user.email} is invited: the link to set a password is "
                + ("on its way." if sent else "queued; the next dispatch sends it."),
                "success",
            )
            return redirect(url_for("manage.user_detail", user_id=user.id))
    return render_template("manage/user_new.html", form=form), 400 if form.errors else 200


@bp.route("/users/<int:user_id>")
def user_detail(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm(role=user.role.value, member=user.member.code if user.member else "")
    _role_choices(form)
    return _user_page(user, form)


def _user_page(user: User, form: RoleForm, status: int = 200):
    return render_template(
        "manage/user.html",
        user=user,
        form=form,
        confirm=ConfirmForm(),
        manageable=may_manage(_actor(), user),
        # Which tokens someone holds is for administrators (who can revoke them) to see.
        tokens=api_tokens(db.session, user) if _actor().is_admin else [],
        history=audit_trail.entries(db.session, object_type="users", object_id=str(user.id)),
    ), status


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def user_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm()
    _role_choices(form)
    if form.validate_on_submit():
        before = audit_trail.snapshot(user, ("role", "member_id"))
        try:
            change_role(db.session, _actor(), user, Role(form.role.data), form.member.data or None)
        except (UserError, ValueError) as error:
            db.session.rollback()
            form.role.errors.append(str(error))
        else:
            audit("user.role", user, audit_trail.changes(before, user))
            db.session.commit()
            flash(f"{user.email} is now {user.role.label.lower()}.", "success")
            return redirect(url_for("manage.user_detail", user_id=user.id))
    return _user_page(user, form, 400)


@bp.route("/users/<int:user_id>/<any(disable, enable):change>", methods=["POST"])
def user_active(user_id: int, change: str):
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            ended = set_active(db.session, _actor(), user, change == "enable")
        except UserError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            audit(f"user.{change}", user, f"{ended} session(s) ended" if ended else "")
            db.session.commit()
            flash(f"{user.email} is {change}d.", "success")
    return redirect(url_for("manage.user_detail", user_id=user_id))


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
def user_reset(user_id: int):
    """Send the person a link to set a (new) password: a new invitation when they never
    set one, a reset otherwise."""
    user = _user_or_404(user_id)
    if not may_manage(_actor(), user):
        abort(403)
    if ConfirmForm().validate_on_submit():
        purpose = "reset" if user.password_hash else "invite"
        audit(f"user.{purpose}_link", user)
        db.session.commit()
        sent = send_account_link(user, purpose, _actor())
        flash(
            f"A link to set a password {'is on its way' if sent else 'is queued'} to {user.email}.",
            "success",
        )
    return redirect(url_for("manage.user_detail", user_id=user_id))


@bp.route("/users/<int:user_id>/two-factor/off", methods=["POST"])
def user_two_factor_off(user_id: int):
    """For someone who lost the phone and the recovery codes: they log in with the
    password alone, then turn two-factor login on again."""
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            ended = reset_two_factor(db.session, _actor(), user)
        except UserError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            audit("user.two_factor_reset", user, f"{ended} session(s) ended")
            db.session.commit()
            flash(
                f"Two-factor login is off for {user.email}: they log in with the password "
                "and turn it on again from their account page.",
                "success",
            )
    return redirect(url_for("manage.user_detail", user_id=user_id))


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
def user_sessions_end(user_id: int):
    """Log the user out everywhere."""
    user = _user_or_404(user_id)
    if not may_manage(_actor(), user):
        abort(403)
    if ConfirmForm().validate_on_submit():
        ended = end_all_login_sessions(db.session, user)
        audit("user.logout_everywhere", user, f"{ended} session(s) ended")
        db.session.commit()
        flash(f"{user.email} is logged out everywhere ({ended} session(s)).", "success")
    return redirect(url_for("manage.user_detail", user_id=user_id))


@bp.route("/tokens")
@admin_required
def tokens():
    return render_template("manage/tokens.html", tokens=api_tokens(db.session), now=clock.utcnow())


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@admin_required
def token_revoke(token_id: int):
    row = db.session.get(ApiToken, token_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        revoke_api_token(db.session, row, clock.utcnow())
        audit("token.revoke", row, f"{row.name} of {row.user.email}")
        db.session.commit()
        flash(f"The token “{row.name}” of {row.user.email} no longer works.", "info")
    return redirect(request.referrer or url_for("manage.tokens"))


@bp.route("/audit")
@admin_required
def audit_log():
    form = AuditFilterForm(request.args)
    form.validate()
    page = page_arg()
    rows = audit_trail.entries(
        db.session,
        actor=form.actor.data or None,
        action=form.action.data or None,
        object_type=form.object_type.data or None,
        object_id=form.object_id.data or None,
        limit=AUDIT_PAGE + 1,
        offset=(page - 1) * AUDIT_PAGE,
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "manage/audit.html",
        form=form,
        rows=rows[:AUDIT_PAGE],
        page=page,
        more=len(rows) > AUDIT_PAGE,
        args=args,
    )
