import pytest

from app import create_app
from config import ProductionConfig, normalise_database_url


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="refuses to start without a real SECRET_KEY"):
        create_app({"APP_CONFIG": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "dev")
    with pytest.raises(RuntimeError):
        create_app({"APP_CONFIG": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_long_random_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "f" * 16 + "0123456789abcdef0123456789")
    app = create_app({"APP_CONFIG": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.config.get("TESTING")


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
