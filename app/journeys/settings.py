"""The settings the survey journeys need, read once from the app's configuration and
handed to the domain functions (which never read Flask's config themselves)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.workplan.activities import parse_months


@dataclass(frozen=True)
class JourneySettings:
    base_url: str
    invitation_key: bytes
    contact_email: str
    evaluation_questionnaire: str = "participant-evaluation"
    follow_up_questionnaire: str = "follow-up-action"
    needs_questionnaire: str = "needs-assessment"
    evaluation_open_days: int = 14
    evaluation_anonymous: bool = False
    follow_up_waves_months: list[int] = field(default_factory=lambda: [6])
    follow_up_open_days: int = 30
    needs_open_days: int = 60
    reminder_interval_days: int = 4
    max_reminders: int = 2
    closing_soon_days: int = 3
    claim_timeout_minutes: int = 15
    min_group_size: int = 3
    email_retention_days: int = 365
    # The languages messages may be written in (ROUND_LANGUAGES): a participant's preferred
    # language when listed, else English.
    message_languages: tuple[str, ...] = ("en",)

    @classmethod
    def from_config(cls, config: Any) -> JourneySettings:
        key = config.get("INVITATION_KEY") or config["SECRET_KEY"]
        return cls(
            base_url=config["BASE_URL"].rstrip("/"),
            invitation_key=key.encode("utf-8"),
            contact_email=config["CONTACT_EMAIL"],
            evaluation_questionnaire=config["EVALUATION_QUESTIONNAIRE"],
            follow_up_questionnaire=config["FOLLOW_UP_QUESTIONNAIRE"],
            needs_questionnaire=config["NEEDS_QUESTIONNAIRE"],
            evaluation_open_days=int(config["EVALUATION_OPEN_DAYS"]),
            evaluation_anonymous=bool(config["EVALUATION_ANONYMOUS"]),
            follow_up_waves_months=parse_months(config["FOLLOW_UP_WAVES_MONTHS"]),
            follow_up_open_days=int(config["FOLLOW_UP_OPEN_DAYS"]),
            needs_open_days=int(config["NEEDS_ASSESSMENT_OPEN_DAYS"]),
            reminder_interval_days=int(config["REMINDER_INTERVAL_DAYS"]),
            max_reminders=int(config["MAX_REMINDERS"]),
            closing_soon_days=int(config["CLOSING_SOON_DAYS"]),
            claim_timeout_minutes=int(config["MESSAGE_CLAIM_TIMEOUT_MINUTES"]),
            min_group_size=int(config["MIN_GROUP_SIZE"]),
            email_retention_days=int(config["INVITATION_EMAIL_RETENTION_DAYS"]),
            message_languages=tuple(
                code.strip().lower()
                for code in str(config.get("ROUND_LANGUAGES") or "en").split(",")
                if code.strip()
            ),
        )
