"""Sampled answers (demo data, benchmark) obey each questionnaire's own rules: written out
as a history file, every one passes the import's validation (the web forms' rules) and is
stored unchanged."""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import Answer, Response
from app.surveys.answers import clean, values_from_rows
from app.surveys.definitions import load_definition_file
from app.surveys.history_import import import_history
from app.surveys.model import Definition
from app.surveys.rounds import NewRound, create_round, picker_options
from app.surveys.synthetic import AnswerSampler
from app.surveys.versions import sync_definitions
from tests.factories import ActivityFactory, member, plan_year
from tests.samples import ALL_TYPES, SURVEYS

TODAY = date(2026, 6, 30)


def cells(definition: Definition, values: dict) -> dict[str, str]:
    """One history-file row, columns named as the importer documents."""

    def text(value) -> str:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    row: dict[str, str] = {}
    for question in definition.questions():
        value = values.get(question.key)
        if value is None:
            continue
        if question.type == "matrix":
            row.update({f"{question.key}-{k}": v for k, v in value.items()})
        elif question.type == "repeat":
            for n, entry in enumerate(value):
                row.update({f"{question.key}-{n}-{k}": text(v) for k, v in entry.items()})
        elif question.type == "multiple_choice":
            row[question.key] = "; ".join(value)
        else:
            row[question.key] = text(value)
    return row


@pytest.mark.parametrize(
    "key", ["participant-evaluation", "needs-assessment", "follow-up-action", "all-types"]
)
def test_sampled_answers_pass_validation_and_import_unchanged(app, session, key):
    synced = sync_definitions(session, [SURVEYS, ALL_TYPES]).created
    versions = {v.questionnaire.key: v for v in synced}
    version = versions[key]
    year = plan_year("2025-2026")
    activity = ActivityFactory(plan_year=year, members=[member("FJI")])
    survey_round = create_round(
        session,
        NewRound(
            version=version,
            opens_on=TODAY,
            activity=activity if "-" in key and key != "needs-assessment" else None,
            plan_year=year,
        ),
    )
    definition = Definition.from_json(version.definition)
    sampler = AnswerSampler(definition, picker_options(session, year), TODAY)
    rng = random.Random(7)
    sampled = [sampler.sample(rng, tone=rng.uniform(1.5, 4.8)) for _ in range(60)]
    rows = [cells(definition, values) for values in sampled]
    header = sorted({column for row in rows for column in row})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)

    with app.test_request_context():  # the forms' validation runs as in a request
        result = import_history(
            session, survey_round, "sampled.csv", io.BytesIO(out.getvalue().encode())
        )

    assert [str(p) for p in result.problems] == []
    assert result.imported == 60
    stored = session.scalars(
        select(Response).where(Response.round_id == survey_round.id).order_by(Response.id)
    ).all()
    for response, values in zip(stored, sampled, strict=True):
        answers = session.scalars(select(Answer).where(Answer.response_id == response.id)).all()
        expected = clean(definition, values)
        for question in definition.questions():
            if question.type == "multiple_choice" and question.key in expected:
                order = question.choice_values()
                expected[question.key] = sorted(expected[question.key], key=order.index)
        assert values_from_rows(definition, answers) == expected


def test_tone_moves_the_scales():
    loaded = load_definition_file(SURVEYS / "participant-evaluation.yaml")
    definition = Definition.from_json(loaded.data)
    sampler = AnswerSampler(definition, today=TODAY)
    rng = random.Random(1)

    def mean_of(key, tone):
        values = [sampler.sample(rng, tone=tone)[key] for _ in range(400)]
        return sum(values) / len(values)

    assert mean_of("overall_satisfaction", 4.3) > 3.9 > 2.6 > mean_of("overall_satisfaction", 2.2)
    assert mean_of("knowledge_after", 4.0) - mean_of("knowledge_before", 4.0) > Decimal("0.8")
    assert 7 < mean_of("recommend", 4.0) <= 10
