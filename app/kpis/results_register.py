"""The register of tangible results (KPI 3-(j)): each entry (made when a follow-up
response is submitted, `app.surveys.tangible_results`) is verified or rejected by staff,
with a reason, before it counts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import ResultStatus, TangibleResult, User
from app.models.base import utcnow


class ReviewError(ValueError):
    pass


def review_result(
    session: Session, result: TangibleResult, status: ResultStatus, reviewer: User, reason: str = ""
) -> None:
    """Verify a result, reject it (a reason is required), or send it back to review."""
    reason = reason.strip()
    if status is ResultStatus.REJECTED and not reason:
        raise ReviewError(
            "Say why the result is rejected: the respondent's administration may ask."
        )
    result.status = status
    result.reason = reason if status is ResultStatus.REJECTED else ""
    result.reviewed_by_id = reviewer.id if status is not ResultStatus.REPORTED else None
    result.reviewed_at = utcnow() if status is not ResultStatus.REPORTED else None
    session.flush()
