"""Configuration classes, overridable from the environment.

`create_app()` picks the class named by ``APP_CONFIG`` (``development`` by default,
``production`` or ``testing``); every setting below can be overridden by an environment
variable of the same name.
"""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

# Placeholder values that must never reach production.
INSECURE_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "development"}
# A production SECRET_KEY needs at least this many characters and this much estimated
# entropy (see `estimated_entropy_bits`): `secrets.token_hex(32)` gives about 250 bits.
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_BITS = 128


def estimated_entropy_bits(text: str) -> float:
    """A cautious guess of how many bits it takes to guess ``text``: the lower of its
    characters' Shannon entropy times its length (0 for "aaaa...") and zxcvbn's estimate,
    which also sees repeats, sequences and words ("0123456789" * 4 is about 7 bits).
    `secrets.token_hex(32)` comes out at about 210 bits."""
    if not text:
        return 0.0
    from zxcvbn import zxcvbn

    counts = Counter(text)
    per_char = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    guessed = zxcvbn(text[:128])["guesses_log10"] * math.log2(10)
    return min(per_char * len(text), guessed)


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
    # The session cookie is sent again only when its content changes, not signed anew on
    # every response: logins end on the server (SESSION_HOURS, REMEMBER_DAYS), and a
    # respondent's cookie lasts PERMANENT_SESSION_LIFETIME (31 days) from the moment the
    # link bound it or the survey started.
    SESSION_REFRESH_EACH_REQUEST = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "Remember me" keeps a login this many days (the server ends it then, or at logout).
    REMEMBER_DAYS = 14
    # A login without "remember me" ends after this many hours without a request (the
    # server ends it; the cookie also carries respondents' unfinished answers for longer).
    SESSION_HOURS = 12
    # Administrators must turn on two-factor login before using the staff pages.
    TWO_FACTOR_REQUIRED_FOR_ADMINS = False
    # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (nginx: 1). With
    # 0 the request's own address counts: behind a proxy every visitor would share one.
    TRUSTED_PROXY_HOPS = 0
    # Logs: "json" (one object per line, with the request id) or "text"; and their level.
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    # /readyz fails when the last good dispatch run ended longer ago than this (0: not
    # checked). The dispatch worker runs every DISPATCH_EVERY_MINUTES.
    READY_DISPATCH_MAX_AGE_MINUTES = 0
    DISPATCH_EVERY_MINUTES = 5
    # /metrics answers with this bearer token; without one, only to the machine itself.
    METRICS_TOKEN: str | None = None
    # Errors to Sentry (needs the `sentry` extra); no personal data is sent.
    SENTRY_DSN: str | None = None
    SENTRY_ENVIRONMENT = "production"
    SENTRY_TRACES_SAMPLE_RATE = 0.0
    # `flask demo load` (made-up participants and answers, an administrator whose password
    # it resets) runs only where this is on; production refuses it.
    DEMO_DATA_ALLOWED = True
    # Strict-Transport-Security max-age in seconds (0: no header); production sends a year.
    HSTS_MAX_AGE = 0
    HSTS_INCLUDE_SUBDOMAINS = False
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # uploads (participant lists) stay small
    PARTICIPANT_IMPORT_MAX_ROWS = 5000
    ACTIVITIES_PER_PAGE = 50
    # A round's invitations and an activity's participants, per page of their lists.
    INVITATIONS_PER_PAGE = 100
    PARTICIPANTS_PER_PAGE = 100
    SURVEYS_DIR = str(BASE_DIR / "surveys")
    # Links in emails are built from this, never from a request's Host header.
    BASE_URL = "http://127.0.0.1:5000"
    # Key of the HMAC that rebuilds personal links from their stored nonce (defaults to
    # SECRET_KEY; changing it invalidates every link already sent).
    INVITATION_KEY: str | None = None
    # Email: "outbox" keeps messages in the app (development, tests); "smtp" sends them.
    # With MAIL_SERVER set and MAIL_BACKEND unset, SMTP is used.
    MAIL_BACKEND: str | None = None
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "ROCB A/P surveys <no-reply@rocb-ap.example>"
    MAIL_TIMEOUT = 15
    # Survey schedule (office defaults; an activity can set its own follow-up waves).
    EVALUATION_QUESTIONNAIRE = "participant-evaluation"
    FOLLOW_UP_QUESTIONNAIRE = "follow-up-action"
    NEEDS_QUESTIONNAIRE = "needs-assessment"
    EVALUATION_OPEN_DAYS = 14
    EVALUATION_ANONYMOUS = False
    FOLLOW_UP_WAVES_MONTHS = "6"
    FOLLOW_UP_OPEN_DAYS = 30
    NEEDS_ASSESSMENT_OPEN_DAYS = 60
    # Reminders at +4 and +8 days, the contact point at +12: inside a 14-day evaluation.
    REMINDER_INTERVAL_DAYS = 4
    MAX_REMINDERS = 2
    CLOSING_SOON_DAYS = 3
    # A message claimed by a dispatch that died is offered again after this long.
    MESSAGE_CLAIM_TIMEOUT_MINUTES = 15
    # Rate limits (Flask-Limiter); storage in memory, or Redis: redis://127.0.0.1:6379/0
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # Prefix of the counters' keys in Redis (two applications may share one Redis).
    RATELIMIT_KEY_PREFIX = "rocb"
    RATELIMIT_OPEN_LINK_START = "120 per hour"
    RATELIMIT_RESPONDENT_POST = "600 per hour"
    RATELIMIT_LOGIN = "30 per 15 minutes"
    RATELIMIT_PERSONAL_LINK = "60 per hour"
    RATELIMIT_PASSWORD_RESET = "5 per hour"
    # Every /api/v1 request, per address (a nightly pull of 100-row pages stays far below).
    RATELIMIT_API = "600 per minute"
    # "Forgot your password?" answers after at least this many seconds, whether or not the
    # address has an account (sending the link takes time: the answer must not tell).
    FORGOT_PASSWORD_SECONDS = 1.0
    # An invitation's copy of the participant's email is removed this many days after its
    # round closes (the dispatch does it); the participant record keeps its own.
    INVITATION_EMAIL_RETENTION_DAYS = 365
    # The fonts of the PDF reports (Noto Sans and one font per script; see README, "Fonts
    # of the PDF reports"): the folder the repository ships them in, unless set.
    PDF_FONT_DIR = str(BASE_DIR / "static" / "fonts" / "noto")
    # Groups smaller than this are never shown (results pages, reports, KPIs).
    MIN_GROUP_SIZE = 3
    # Findings (KPI 3-(i)): a mean below this (1-5 scale) is flagged; so is a barrier
    # reported by at least this many follow-up respondents of the year.
    LOW_SCORE_THRESHOLD = 3.5
    BARRIER_MIN_REPORTS = 3
    # Shown to respondents who reach a closed survey or need help.
    CONTACT_EMAIL = "rocb-ap@example.org"
    # The languages survey rounds offer respondents (comma-separated two-letter codes): a
    # round offers one when its questionnaire version is complete in it (`flask surveys
    # validate` lists what is missing) and the interface has its catalogue. English always.
    ROUND_LANGUAGES = "en,fr"
    # The office's name in the header of the pages respondents and contact points see.
    OFFICE_NAME = "WCO Regional Office for Capacity Building, Asia/Pacific"
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
        for name, value in list(overrides.items()):
            default = getattr(cls, name, None)
            if isinstance(default, bool):
                overrides[name] = value.strip().lower() in ("1", "true", "yes", "on")
            elif isinstance(default, int):
                overrides[name] = int(value)
            elif isinstance(default, float):
                overrides[name] = float(value)
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
        cls.derive(settings)

    @staticmethod
    def derive(settings: dict) -> None:
        settings["REMEMBER_COOKIE_DURATION"] = timedelta(days=int(settings["REMEMBER_DAYS"]))


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    DEMO_DATA_ALLOWED = False
    LOG_FORMAT = "json"
    READY_DISPATCH_MAX_AGE_MINUTES = 30
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_MAX_AGE = 365 * 24 * 3600

    @classmethod
    def finalise(cls, settings: dict) -> None:
        for name in ("SECRET_KEY", "INVITATION_KEY"):
            key = settings.get(name) or ""
            if name == "INVITATION_KEY" and not key:
                continue  # SECRET_KEY serves
            if (
                key.lower() in INSECURE_SECRET_KEYS
                or len(key) < MIN_SECRET_KEY_LENGTH
                or estimated_entropy_bits(key) < MIN_SECRET_KEY_BITS
            ):
                raise RuntimeError(
                    f"ProductionConfig refuses to start without a real {name}: set the "
                    f"{name} environment variable to at least {MIN_SECRET_KEY_LENGTH} random "
                    f"characters carrying {MIN_SECRET_KEY_BITS} bits or more, e.g. the output "
                    "of `python -c 'import secrets; print(secrets.token_hex(32))'`."
                )
        cls.derive(settings)


class TestConfig(Config):
    TESTING = True
    MAIL_BACKEND = "outbox"
    RATELIMIT_ENABLED = False
    BASE_URL = "http://surveys.test"
    SECRET_KEY = "test-secret-key-not-for-production-use-0123456789"
    FORGOT_PASSWORD_SECONDS = 0.0
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {}


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}
