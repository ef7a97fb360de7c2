"""The register of tangible results (KPI 3-(j)): each entry (made when a follow-up
response is submitted, `app.surveys.tangible_results`) is verified or rejected by staff,
with a reason, before it counts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.common.clock import utcnow
from app.models import PlanYear, ResultStatus, TangibleResult, User


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


def year_results(
    session: Session,
    plan_year: PlanYear,
    status: ResultStatus | None = None,
    conditions: Sequence = (),
) -> list[TangibleResult]:
    """The plan year's register, of one status if asked, to be reviewed first; only the
    results that meet ``conditions`` (on TangibleResult) when given."""
    query = (
        select(TangibleResult)
        .where(TangibleResult.plan_year_id == plan_year.id)
        .options(
            selectinload(TangibleResult.activity),
            selectinload(TangibleResult.member),
            selectinload(TangibleResult.reviewed_by),
        )
        .order_by(TangibleResult.status, TangibleResult.id)
    )
    if status is not None:
        query = query.where(TangibleResult.status == status)
    if conditions:
        query = query.where(*conditions)
    return list(session.scalars(query))
