import secrets

import pytest

from app import create_app
from config import ProductionConfig, estimated_entropy_bits, normalise_database_url

PRODUCTION = {"APP_CONFIG": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"}


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="refuses to start without a real SECRET_KEY"):
        create_app({"APP_CONFIG": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "dev")
    with pytest.raises(RuntimeError):
        create_app({"APP_CONFIG": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,  # long enough, but no entropy
        "abababababababababababababababab",
        "0123456789" * 4,
        "password-password-password-pass",
        "correct horse battery staple and more",
    ],
)
def test_production_refuses_a_long_key_that_is_easy_to_guess(monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="128 bits or more"):
        create_app(PRODUCTION)


def test_production_refuses_a_weak_invitation_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("INVITATION_KEY", "invitation-key-invitation-key-00")
    with pytest.raises(RuntimeError, match="without a real INVITATION_KEY"):
        create_app(PRODUCTION)
    monkeypatch.setenv("INVITATION_KEY", secrets.token_hex(32))
    assert create_app(PRODUCTION).config["INVITATION_KEY"]


def test_the_entropy_estimate():
    assert estimated_entropy_bits("a" * 64) == 0
    assert estimated_entropy_bits("0123456789" * 4) < 20
    assert estimated_entropy_bits(secrets.token_hex(32)) > 180
    assert estimated_entropy_bits(secrets.token_urlsafe(32)) > 128


def test_production_starts_with_a_long_random_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    app = create_app(PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_DURATION"].days == 14
    assert not app.config.get("TESTING")


def test_production_sends_strict_transport_security(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    response = create_app(PRODUCTION).test_client().get("/auth/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    monkeypatch.setenv("HSTS_INCLUDE_SUBDOMAINS", "true")
    monkeypatch.setenv("REMEMBER_DAYS", "3")
    app = create_app(PRODUCTION)
    header = app.test_client().get("/auth/login").headers["Strict-Transport-Security"]
    assert header == "max-age=31536000; includeSubDomains"
    assert app.config["REMEMBER_COOKIE_DURATION"].days == 3


def test_development_sends_no_strict_transport_security(app, client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def test_database_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example:5432/rocb")
    overrides = ProductionConfig.from_environment()
    assert overrides["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example:5432/rocb"


def test_database_url_normalisation():
    assert normalise_database_url("postgres://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("sqlite:///a.db") == "sqlite:///a.db"


def test_every_connection_gets_the_database_settings(connection):
    """SQLite enforces foreign keys; PostgreSQL plans each statement for its parameters
    (prepared statements would otherwise fall back to generic plans, slower for the KPIs)."""
    if connection.dialect.name == "sqlite":
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    else:
        setting = connection.exec_driver_sql("SHOW plan_cache_mode").scalar()
        assert setting == "force_custom_plan"


def test_behind_a_trusted_proxy_the_visitor_s_address_counts(app):
    from flask import request

    from app import create_app

    proxied = create_app(
        {
            "APP_CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "TRUSTED_PROXY_HOPS": 1,
        }
    )
    seen = {}

    @proxied.get("/_address")
    def _address():
        seen["address"], seen["scheme"] = request.remote_addr, request.scheme
        return ""

    proxied.test_client().get(
        "/_address",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert seen == {"address": "203.0.113.7", "scheme": "https"}
    with app.test_request_context(
        "/", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    ):
        assert request.remote_addr == "10.0.0.1"  # no proxy trusted: the header is ignored
    with proxied.app_context():
        from app.extensions import db

        db.engine.dispose()
