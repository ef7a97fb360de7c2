"""Login (with the second factor when it is on), logout, forgotten passwords, the links
that set a password, and one's own account: password, sessions, two-factor login, API
tokens."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from app.accounts.api_tokens import TokenError, api_tokens, issue_api_token, revoke_api_token
from app.accounts.sessions import (
    end_all_login_sessions,
    end_login_session,
    is_current,
    login_sessions,
    start_login_session,
)
from app.accounts.two_factor import (
    disable_two_factor,
    enable_two_factor,
    new_secret,
    provisioning_uri,
    recovery_codes_left,
    second_factor_ok,
)
from app.accounts.users import (
    UserError,
    authenticate,
    change_password,
    role_label,
    set_password_with_link,
    token_owner,
    user_by_email,
)
from app.auth.forms import (
    ChangePasswordForm,
    EnableTwoFactorForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    NewPasswordForm,
    NewTokenForm,
    PasswordConfirmForm,
    SecondFactorForm,
)
from app.common import clock
from app.common.audit import record
from app.extensions import db, limiter
from app.models import ApiToken, User
from app.web.access import staff_required
from app.web.account_mail import send_account_link
from app.web.audit import audit
from app.web.forms import ConfirmForm
from app.web.i18n import language_name, round_languages
from app.web.settings import session_rules

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.after_request
def no_store(response):
    # Login, password and account pages are never kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


LOGIN_FAILED = _l("The email or password is not right. Check both and try again.")
PENDING = "pending_login"  # a password checked, waiting for the second factor
PENDING_SECONDS = 300
MAX_CODE_FAILURES = 5  # wrong codes after one password, then the password again
ENROLLING = "pending_totp_secret"


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect to another host after logging in."""
    if not target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _reset_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


def _complete_login(user: User, remember: bool):
    """Start the login session of this browser (the cookies carry only its token)."""
    token = start_login_session(
        db.session,
        user,
        remember,
        clock.utcnow(),
        session_rules(),
        request.headers.get("User-Agent", ""),
    )
    audit("auth.login", user, "with remember me" if remember else "")
    db.session.commit()
    user.login_token = token
    login_user(user, remember=remember, duration=session_rules().remember)
    return redirect(safe_next(request.args.get("next")) or url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data, clock.utcnow())
        if user is None:
            # One message whatever went wrong, so the page does not reveal who has an account.
            form.form_errors.append(LOGIN_FAILED)
        elif user.totp_enabled_at is not None:
            session[PENDING] = {
                "user": user.id,
                "remember": bool(form.remember.data),
                "at": time.time(),
            }
            return redirect(url_for("auth.second_factor", next=request.args.get("next")))
        else:
            return _complete_login(user, bool(form.remember.data))
    status = 401 if form.form_errors else 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor():
    pending = session.get(PENDING) or {}
    user = db.session.get(User, pending.get("user") or 0)
    if user is None or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        flash(gettext("Log in again: the code was not given in time."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if user.active and second_factor_ok(db.session, user, form.code.data, clock.utcnow()):
            session.pop(PENDING, None)
            return _complete_login(user, bool(pending.get("remember")))
        failures = int(pending.get("failures", 0)) + 1
        record(
            db.session,
            user,
            "auth.second_factor_failed",
            user,
            f"attempt {failures}",
            request.remote_addr or "",
        )
        db.session.commit()
        if failures >= MAX_CODE_FAILURES:
            session.pop(PENDING, None)
            flash(gettext("Too many wrong codes: log in again with your password."), "error")
            return redirect(url_for("auth.login"))
        session[PENDING] = {**pending, "failures": failures}
        form.code.errors.append(gettext("This code does not work: check the app and try again."))
    status = 400 if form.errors else 200
    return render_template("auth/second_factor.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        user = current_user._get_current_object()
        end_login_session(db.session, user.login_token)
        audit("auth.logout", user)
        db.session.commit()
        logout_user()
        # Whatever the browser was answering (a needs assessment) stays behind too; the
        # "remember me" cookie is still deleted (Flask-Login's mark survives the clear).
        session.clear()
        session["_remember"] = "clear"
        flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.monotonic()
        user = user_by_email(db.session, form.email.data)
        if user is not None and user.active:
            send_account_link(user, "reset", None)
        # The same time either way (unless the mail server is slower than that).
        time.sleep(
            max(0.0, current_app.config["FORGOT_PASSWORD_SECONDS"] - (time.monotonic() - started))
        )
        # The same answer either way: the page never tells who has an account.
        flash(
            gettext(
                "If an account exists for that address, a link to set a new password is on "
                "its way. It works once, for two hours."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    row = token_owner(db.session, token, clock.utcnow())
    if row is None:
        return render_template(
            "errors/error.html",
            code=404,
            title=gettext("This link no longer works"),
            message=gettext(
                "A link to set a password works once and for a limited time. Ask for a new "
                "one on the login page (Forgot your password?), or ask whoever invited you."
            ),
        ), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = set_password_with_link(db.session, row, form.password.data, clock.utcnow())
        except UserError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            audit("auth.password_set", user, f"with an {row.purpose} link")
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(gettext("Your password is set: log in with it."), "success")
            return redirect(url_for("auth.login"))
    response = render_template(
        "auth/set_password.html", form=form, user=row.user, purpose=row.purpose
    )
    return response, 400 if form.errors else 200


# -- one's own account -------------------------------------------------------------------------


def _account_page(**forms):
    user = current_user._get_current_object()
    now = clock.utcnow()
    context = {
        "password_form": ChangePasswordForm(prefix="password"),
        "language_form": _language_form(user),
        "disable_form": PasswordConfirmForm(prefix="disable"),
        "token_form": NewTokenForm(prefix="token"),
        "confirm": ConfirmForm(),
        "sessions": login_sessions(db.session, user, now),
        "current_token": user.login_token,
        "is_current": is_current,
        "codes_left": recovery_codes_left(db.session, user) if user.totp_enabled_at else 0,
        "tokens": api_tokens(db.session, user) if user.is_staff else [],
        "now": now,
        "role_label": role_label(user.role),
    }
    context.update(forms)
    status = 400 if any(f.errors for f in forms.values() if hasattr(f, "errors")) else 200
    return render_template("auth/account.html", **context), status


@bp.route("/account")
@login_required
def account():
    return _account_page()


def _language_form(user, form: LanguageForm | None = None) -> LanguageForm:
    form = form or LanguageForm(prefix="language", formdata=None, language=user.language or "en")
    form.language.choices = [(code, language_name(code)) for code in round_languages()]
    return form


@bp.route("/account/language", methods=["POST"])
@login_required
def account_language():
    """The language of one's emails (contact points' invitations, escalations) and of the
    pages outside the staff interface."""
    user = current_user._get_current_object()
    form = _language_form(user, LanguageForm(prefix="language"))
    if form.validate_on_submit():
        before = user.language
        user.language = form.language.data
        audit("auth.language", user, f"language: {before or 'en'!r} -> {user.language!r}")
        db.session.commit()
        session.pop("lang", None)  # the chosen language, not an earlier link's
        flash(gettext("Language saved."), "success")
        return redirect(url_for("auth.account"))
    return _account_page(language_form=form)


@bp.route("/account/password", methods=["POST"])
@login_required
def account_password():
    form = ChangePasswordForm(prefix="password")
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            ended = change_password(
                db.session, user, form.current.data, form.password.data, user.login_token
            )
        except UserError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            audit("auth.password_change", user, f"{ended} other session(s) ended")
            db.session.commit()
            flash(
                gettext("Password changed; every other session of your account has ended."),
                "success",
            )
            return redirect(url_for("auth.account"))
    return _account_page(password_form=form)


@bp.route("/account/sessions/end", methods=["POST"])
@login_required
def account_sessions_end():
    """Log out everywhere, this browser included."""
    if ConfirmForm().validate_on_submit():
        user = current_user._get_current_object()
        ended = end_all_login_sessions(db.session, user)
        audit("auth.logout_everywhere", user, f"{ended} session(s) ended")
        db.session.commit()
        logout_user()
        session.clear()
        flash(gettext("You are logged out everywhere."), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.account"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    user = current_user._get_current_object()
    if user.totp_enabled_at is not None:
        return redirect(url_for("auth.account"))
    secret = session.get(ENROLLING) or new_secret()
    session[ENROLLING] = secret
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        if not user.check_password(form.password.data):
            form.password.errors.append(gettext("The password is not right."))
        else:
            codes = enable_two_factor(db.session, user, secret, form.code.data, clock.utcnow())
            if codes is not None:
                audit("auth.two_factor_on", user)
                db.session.commit()
                session.pop(ENROLLING, None)
                return render_template("auth/recovery_codes.html", codes=codes)
            form.code.errors.append(
                gettext("This code does not match: check the app's clock and try again.")
            )
    uri = provisioning_uri(user, secret)
    qr = Markup(
        segno.make(uri, error="m").svg_inline(scale=5, title=gettext("QR code for the app"))
    )
    return render_template(
        "auth/two_factor_setup.html", form=form, secret=secret, qr=qr
    ), 400 if form.errors else 200


@bp.route("/account/two-factor/off", methods=["POST"])
@login_required
def two_factor_off():
    form = PasswordConfirmForm(prefix="disable")
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if user.check_password(form.password.data):
            disable_two_factor(db.session, user)
            audit("auth.two_factor_off", user)
            db.session.commit()
            flash(gettext("Two-factor login is off."), "info")
            return redirect(url_for("auth.account"))
        form.password.errors.append(gettext("The password is not right."))
    return _account_page(disable_form=form)


@bp.route("/account/tokens", methods=["POST"])
@staff_required
def account_token_new():
    user = current_user._get_current_object()
    form = NewTokenForm(prefix="token")
    if form.validate_on_submit():
        try:
            row, token = issue_api_token(
                db.session, user, clock.utcnow(), form.name.data, form.scope.data, form.days.data
            )
        except TokenError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            audit("token.create", row, f"{row.name}, {row.scope}, until {row.expires_at:%Y-%m-%d}")
            db.session.commit()
            return render_template("auth/token_made.html", row=row, token=token)
    return _account_page(token_form=form)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@staff_required
def account_token_revoke(token_id: int):
    user = current_user._get_current_object()
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        revoke_api_token(db.session, row, clock.utcnow())
        audit("token.revoke", row, row.name)
        db.session.commit()
        flash(gettext("The token “%(name)s” no longer works.", name=row.name), "info")
    return redirect(url_for("auth.account"))
