"""Tangible results reported in a follow-up response (a repeat group with the
``tangible_result`` role): each becomes an entry of the results register when the response
is submitted. Staff review the entries afterwards (`app.kpis.results_register`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    Answer,
    QuestionnaireKind,
    Response,
    ResponseStatus,
    TangibleResult,
)
from app.surveys.answers import values_from_rows
from app.surveys.model import Definition


def register_tangible_results(
    session: Session,
    response: Response,
    definition: Definition | None = None,
    values: dict[str, Any] | None = None,
) -> int:
    """Make (once) a register entry for each tangible result of a submitted follow-up
    response. Returns how many entries were added. The caller that has just submitted
    the response passes its ``definition`` and ``values``; otherwise they are read."""
    survey_round = response.round
    if (
        survey_round.kind is not QuestionnaireKind.FOLLOW_UP
        or response.status is not ResponseStatus.SUBMITTED
    ):
        return 0
    if definition is None:
        definition = Definition.from_json(response.version.definition)
    groups = definition.with_role("tangible_result")
    if not groups:
        return 0
    if values is None:
        values = values_from_rows(
            definition,
            list(session.scalars(select(Answer).where(Answer.response_id == response.id))),
        )
    existing = set(
        session.scalars(
            select(TangibleResult.entry).where(TangibleResult.response_id == response.id)
        )
    )
    added = 0
    for group in groups:
        roles = {child.kpi: child.key for child in group.questions if child.kpi}
        for number, entry in enumerate(values.get(group.key) or [], start=1):
            if number in existing:
                continue
            session.add(
                TangibleResult(
                    response_id=response.id,
                    entry=number,
                    plan_year_id=survey_round.plan_year_id,
                    activity_id=survey_round.activity_id,
                    member_id=response.member_id,
                    category=str(entry.get(roles.get("tangible_result_category", ""), ""))[:64],
                    description=str(entry.get(roles.get("tangible_result_description", ""), "")),
                    achieved_on=entry.get(roles.get("tangible_result_date", "")),
                    evidence=str(entry.get(roles.get("tangible_result_evidence", ""), ""))[:500],
                )
            )
            added += 1
    session.flush()
    return added
