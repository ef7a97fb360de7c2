"""A questionnaire with every question type answered in a round: a full response with
Thai and Chinese text, a short one, an empty one and a draft (the analysis exports'
tests, of the domain, the pages and the command)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from app.models import Answer, Response, ResponseStatus, RoundStatus
from app.surveys.answers import answer_rows, clean
from app.surveys.model import Definition
from app.surveys.responses import hash_token
from app.surveys.rounds import NewRound, create_round
from app.surveys.versions import sync_definitions
from tests.factories import ActivityFactory, member, plan_year
from tests.samples import ALL_TYPES

TOKENS = itertools.count()  # every response its own resume token
THAI = "สวัสดีครับ ระบบใหม่"
CHINESE = "海关现代化项目"
OTHER = "ม่วง 紫色"


def all_types_version(session):
    return sync_definitions(session, [ALL_TYPES]).created[0]


def workshop():
    return ActivityFactory(title="Regional workshop on risk management — 曼谷")


def make_round(session, version, anonymous=False, year="2025-2026"):
    survey_round = create_round(
        session,
        NewRound(version=version, plan_year=plan_year(year), opens_on=date(2025, 9, 1)),
    )
    survey_round.status = RoundStatus.OPEN
    survey_round.anonymous = anonymous
    session.flush()
    return survey_round


def respond(session, survey_round, values, member_code=None, submitted=True):
    response = Response(
        round=survey_round,
        version_id=survey_round.version_id,
        status=ResponseStatus.SUBMITTED if submitted else ResponseStatus.DRAFT,
        resume_token_hash=hash_token(f"analysis-{next(TOKENS)}"),
        member_id=member(member_code).id if member_code else None,
        submitted_at=datetime(2025, 9, 20, 8, 30, tzinfo=UTC) if submitted else None,
    )
    session.add(response)
    session.flush()
    definition = Definition.from_json(survey_round.version.definition)
    for row in answer_rows(definition, definition.questions(), clean(definition, values)):
        session.add(Answer(response_id=response.id, **row))
    session.flush()
    return response


def _full(activity_id):
    return {
        "name": THAI,
        "code": "ABC-1",
        "story": CHINESE,
        "age": "12",
        "budget": "2.5",
        "since": date(2015, 3, 4),
        "agree": "no",
        "because": "=1+1",
        "colour": "green",
        "colours_liked": ["red", "other"],
        "colours_liked-other": OTHER,
        "happy": "4",
        "score": "9",
        "grid": {"speed": "5", "cost": "2"},
        "member": "FJI",
        "activity": str(activity_id),
        "item": "1-(a)",
        "double_age": "24",
        "results": [
            {"what": "A new risk unit", "when": date(2026, 1, 5), "how_much": "3"},
            {"what": CHINESE, "how_much": "1"},
        ],
    }


SHORT = {
    "name": "Ana",
    "age": "3",
    "agree": "yes",
    "colour": "red",
    "colours_liked": ["blue"],
    "happy": "2",
    "grid": {"speed": "1"},
}


def answered_round(session, version, activity):
    """A round with a full response, a short one, an empty one and a draft."""
    survey_round = make_round(session, version)
    full = respond(session, survey_round, _full(activity.id), "FJI")
    short = respond(session, survey_round, SHORT, "NPL")
    empty = respond(session, survey_round, {}, "TON")
    respond(session, survey_round, {"name": "draft"}, "FJI", submitted=False)
    return survey_round, full, short, empty
