"""The register of tangible results (KPI 3-(j)): each entry (made when a follow-up
response is submitted, `app.surveys.tangible_results`) is verified or rejected by staff,
with a reason, before it counts. Staff review one result or several together; either way
each result's change is its own audit entry (the staff pages write them)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.common.clock import utcnow
from app.models import (
    PlanYear,
    ResultStatus,
    TangibleResult,
    User,
)

# What a reviewer can decide, in the words of the register's buttons.
DECISIONS: dict[ResultStatus, str] = {
    ResultStatus.VERIFIED: "Verify",
    ResultStatus.REJECTED: "Reject",
    ResultStatus.REPORTED: "Back to review",
}
MAX_BULK = 200  # results reviewed in one go


class ReviewError(ValueError):
    pass


def review_result(
    session: Session, result: TangibleResult, status: ResultStatus, reviewer: User, reason: str = ""
) -> None:
    """Verify a result, reject it (a reason is required), or send it back to review."""
    review_results(session, [result], status, reviewer, reason)


def review_results(
    session: Session,
    results: Sequence[TangibleResult],
    status: ResultStatus,
    reviewer: User,
    reason: str = "",
) -> None:
    """The same decision for every result given: all are changed, or (on a missing
    reason) none."""
    reason = reason.strip()
    if not results:
        raise ReviewError("Select at least one result.")
    if status is ResultStatus.REJECTED and not reason:
        raise ReviewError(
            "Say why the result is rejected: the respondent's administration may ask."
        )
    for result in results:
        result.status = status
        result.reason = reason if status is ResultStatus.REJECTED else ""
        result.reviewed_by_id = reviewer.id if status is not ResultStatus.REPORTED else None
        result.reviewed_at = utcnow() if status is not ResultStatus.REPORTED else None
    session.flush()


def results_by_ids(session: Session, ids: Sequence[int]) -> list[TangibleResult]:
    """The results with these ids, in id order; ReviewError when one is not stored or
    they belong to different plan years."""
    wanted = sorted(set(ids))
    unknown = [i for i in wanted if not 0 < i < 2**31]  # not an id any row can have
    if unknown:
        raise ReviewError(f"No tangible result {unknown[0]}: reload the page.")
    if not wanted:
        raise ReviewError("Select at least one result (tick its box).")
    if len(wanted) > MAX_BULK:
        raise ReviewError(f"Review at most {MAX_BULK} results at a time.")
    results = list(
        session.scalars(
            select(TangibleResult)
            .where(TangibleResult.id.in_(wanted))
            .options(selectinload(TangibleResult.member), selectinload(TangibleResult.activity))
            .order_by(TangibleResult.id)
        )
    )
    missing = sorted(set(wanted) - {r.id for r in results})
    if missing:
        raise ReviewError(f"No tangible result {', '.join(map(str, missing))}: reload the page.")
    if len({r.plan_year_id for r in results}) > 1:
        raise ReviewError("The selected results belong to different plan years.")
    return results


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
