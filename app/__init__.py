"""Application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.web.static_files import register_static_files
from config import CONFIGS, INSTANCE_DIR

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application.

    ``config`` overrides everything else; otherwise the class named by ``APP_CONFIG``
    (development by default) is used, with environment variables on top.
    """
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(ROOT / "templates"),
        static_folder=None,  # app.web.static_files serves static/ under hashed names
    )
    config_class = CONFIGS[
        (config or {}).get("APP_CONFIG") or os.environ.get("APP_CONFIG", "development")
    ]
    settings: dict[str, Any] = {
        name: getattr(config_class, name) for name in dir(config_class) if name.isupper()
    }
    settings.update(config_class.from_environment())
    settings.update(config or {})
    config_class.finalise(settings)
    app.config.update(settings)

    register_proxy(app)
    register_operations(app)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_static_files(app, ROOT / "static")
    register_cli(app)
    register_error_pages(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_request_checks(app)
    return app


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from app.accounts.sessions import user_for_login_token
    from app.common import clock
    from app.extensions import csrf, db, limiter, login_manager, migrate
    from app.models import User
    from app.web.i18n import init_i18n
    from app.web.settings import session_rules

    db.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    init_i18n(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.localize_callback = str  # the lazy text, in the request's language
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(login_token: str) -> User | None:
        # The session and "remember me" cookies carry a login session's token: a session
        # ended on the server (logout, password change, disabled account) loads no one.
        user, touched = user_for_login_token(
            db.session, login_token, clock.utcnow(), session_rules()
        )
        if touched:
            db.session.commit()
        return user

    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                configure_sqlite(engine)
            elif engine.dialect.name == "postgresql":
                configure_postgresql(engine)


def configure_postgresql(engine: Engine) -> None:
    """Plan every statement for its own parameters.

    psycopg prepares a statement on the server once it has run five times; PostgreSQL may
    then switch to one generic plan made without the parameter values. For the KPI
    queries, whose best plan depends on the plan year and rounds asked for, that plan is
    slower (bench/kpis.py, README "Benchmark"). Custom plans keep the prepared statement's
    saved parsing and cost a planning of a millisecond or two.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a session setting, outside any transaction
        cursor = dbapi_connection.cursor()
        cursor.execute("SET plan_cache_mode = force_custom_plan")
        cursor.close()
        dbapi_connection.autocommit = autocommit


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite enforce foreign keys and honour transactions and savepoints.

    pysqlite's own transaction handling skips BEGIN and breaks SAVEPOINT; the documented
    work-around is to switch it off and emit BEGIN ourselves.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # pragma: no cover - driver hook
        # IMMEDIATE takes the write lock up front: two processes (two dispatch runs, two
        # requests) then wait for each other (busy_timeout) instead of failing with
        # "database is locked" when a reader tries to become a writer.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def register_operations(app: Flask) -> None:
    """Logs with request ids, metrics, Sentry, and /healthz, /readyz, /metrics."""
    from app.ops.health import bp as ops_bp
    from app.ops.logs import configure_logging, register_request_ids
    from app.ops.metrics import register_request_metrics
    from app.ops.sentry import init_sentry

    configure_logging(app)
    init_sentry(app)
    register_request_metrics(app)
    register_request_ids(app)  # registered last: its after_request runs first
    app.register_blueprint(ops_bp)


def register_proxy(app: Flask) -> None:
    """Behind nginx, take the visitor's address, scheme and host from the headers the
    trusted proxies set (rate limits, audit entries and Secure cookies depend on them)."""
    hops = int(app.config["TRUSTED_PROXY_HOPS"])
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_converters(app: Flask) -> None:
    """``<int:...>`` in a URL stops at the largest id the database holds: a larger number
    is a 404 like any id that does not exist, never an overflow in the database."""
    from werkzeug.routing import IntegerConverter

    class IdConverter(IntegerConverter):
        def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
            super().__init__(url_map, fixed_digits, min, max, signed)

    app.url_map.converters["int"] = IdConverter


def register_blueprints(app: Flask) -> None:
    from app.api.routes import bp as api_bp
    from app.api.spec import init_api
    from app.auth.routes import bp as auth_bp
    from app.main import bp as main_bp
    from app.manage.routes import bp as manage_bp
    from app.portal.routes import bp as portal_bp
    from app.respond.routes import bp as respond_bp
    from app.respond.routes import links as links_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(respond_bp)
    app.register_blueprint(links_bp)
    app.register_blueprint(portal_bp)
    init_api(app, api_bp)


def register_cli(app: Flask) -> None:
    from app.cli import register_commands

    register_commands(app)


def register_error_pages(app: Flask) -> None:
    from flask import render_template
    from flask_babel import gettext
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

    from app.extensions import db
    from app.web.i18n import http_error_texts

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return (
            render_template(
                "errors/error.html",
                code=400,
                title=gettext("This form has expired"),
                message=gettext(
                    "The page was open too long or was sent twice. Go back, reload the page "
                    "and send the form again; nothing you entered before has been saved."
                ),
            ),
            400,
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return (
            render_template(
                "errors/error.html",
                code=413,
                title=gettext("The file is too large"),
                message=gettext(
                    "Uploads are limited to %(limit)s MB. Split the file and try again.",
                    limit=limit_mb,
                ),
            ),
            413,
        )

    from flask import request

    from app.api.problems import ApiError, from_http_exception, problem_response

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return problem_response(error.status, error.detail, error.params, error.headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return from_http_exception(error)
        title, message = http_error_texts(error)
        return (
            render_template("errors/error.html", code=error.code, title=title, message=message),
            error.code,
        )

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        if request.path.startswith("/api/"):
            return problem_response(
                500, "Something went wrong; the error has been logged and nothing was saved."
            )
        return (
            render_template(
                "errors/error.html",
                code=500,
                title=gettext("Something went wrong"),
                message=gettext(
                    "The error has been logged. Nothing was saved from this request; please "
                    "try again, and tell the ROCB A/P team if it happens again."
                ),
            ),
            500,
        )


# Pages for respondents and contact points: their header names the office and carries
# no staff link, whoever looks at them.
PUBLIC_BLUEPRINTS = frozenset({"respond", "links", "portal", "main", None})


def register_template_helpers(app: Flask) -> None:
    from flask import request
    from flask_babel import format_date, format_decimal
    from flask_login import current_user

    from app.models.enums import label_for

    @app.context_processor
    def _header() -> dict:
        staff = (
            current_user.is_authenticated
            and current_user.is_staff
            and request.blueprint not in PUBLIC_BLUEPRINTS
        )
        return {"staff_header": staff, "office_name": app.config["OFFICE_NAME"]}

    app.jinja_env.filters["label"] = label_for
    # Dates in the request's language ("7 December 2026", "7 décembre 2026").
    app.jinja_env.filters["longdate"] = lambda d: format_date(d, "d MMMM y") if d else ""
    # Numbers in the request's language ("1,234.5", "1 234,5"); a float keeps one decimal.
    app.jinja_env.filters["number"] = lambda n: (
        "" if n is None else format_decimal(n, "#,##0.0#" if isinstance(n, float) else None)
    )
    # A moment, its month in the request's language ("7 December 2026, 09:30 UTC").
    app.jinja_env.filters["moment"] = lambda d: (
        f"{format_date(d.date(), 'd MMMM y')}, {d:%H:%M} UTC" if d else ""
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def register_security_headers(app: Flask) -> None:
    hsts_age = int(app.config["HSTS_MAX_AGE"])
    hsts = f"max-age={hsts_age}" + (
        "; includeSubDomains" if app.config["HSTS_INCLUDE_SUBDOMAINS"] else ""
    )

    @app.after_request
    def _headers(response):
        if hsts_age > 0:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        return response


def register_request_checks(app: Flask) -> None:
    from flask import abort, request

    @app.before_request
    def _refuse_nul_characters():
        """No browser sends a NUL character, and PostgreSQL refuses to store or compare
        one: a parameter holding one is a 400 that names it, wherever it is used."""
        if "\x00" in request.path:
            abort(400, "The address holds a NUL character.")
        fields = list(request.args.lists())
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields += list(request.form.lists())
        for name, values in fields:
            if "\x00" in name or any("\x00" in value for value in values):
                abort(400, f"Parameter {name.replace(chr(0), '')}: it holds a NUL character.")
