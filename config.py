"""Configuration classes, overridable from the environment.

`create_app()` picks the class named by ``APP_CONFIG`` (``development`` by default,
``production`` or ``testing``); every setting below can be overridden by an environment
variable of the same name.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

# Placeholder values that must never reach production.
INSECURE_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "development"}


def normalise_database_url(url: str) -> str:
    """Point bare ``postgresql://`` URLs at the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret_key() -> str:
    """A development key kept in instance/ so sessions survive a restart."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'rocb.sqlite3'}"
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    SECRET_KEY: str | None = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # uploads (participant lists) stay small
    PARTICIPANT_IMPORT_MAX_ROWS = 5000
    ACTIVITIES_PER_PAGE = 50
    SURVEYS_DIR = str(BASE_DIR / "surveys")
    # Shown to respondents who reach a closed survey or need help.
    CONTACT_EMAIL = "rocb-ap@example.org"
    DEMO_STAFF_EMAIL = "staff@rocb-ap.example"
    DEMO_STAFF_PASSWORD: str | None = None  # generated when not set

    @classmethod
    def from_environment(cls) -> dict:
        """Settings from the environment that override the class defaults."""
        overrides: dict = {}
        for name in dir(cls):
            if name.isupper() and name in os.environ:
                overrides[name] = os.environ[name]
        if "DATABASE_URL" in os.environ:
            overrides["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
        for int_name in (
            "MAX_CONTENT_LENGTH",
            "PARTICIPANT_IMPORT_MAX_ROWS",
            "ACTIVITIES_PER_PAGE",
        ):
            if int_name in overrides:
                overrides[int_name] = int(overrides[int_name])
        if "SQLALCHEMY_DATABASE_URI" in overrides:
            overrides["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
                overrides["SQLALCHEMY_DATABASE_URI"]
            )
        return overrides

    @classmethod
    def finalise(cls, settings: dict) -> None:
        """Fill in what depends on other settings; raise if the result is unsafe."""
        if not settings.get("SECRET_KEY"):
            settings["SECRET_KEY"] = _instance_secret_key()


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def finalise(cls, settings: dict) -> None:
        key = settings.get("SECRET_KEY") or ""
        if key.lower() in INSECURE_SECRET_KEYS or len(key) < 32:
            raise RuntimeError(
                "ProductionConfig refuses to start without a real SECRET_KEY: set the "
                "SECRET_KEY environment variable to at least 32 random characters, e.g. "
                "the output of `python -c 'import secrets; print(secrets.token_hex(32))'`."
            )


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-use-0123456789"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {}


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}
