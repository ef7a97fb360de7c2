"""Sync: each distinct content becomes an immutable version; rounds and responses keep
the version they were made with."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import Questionnaire, QuestionnaireVersion
from app.surveys.responses import start_response
from app.surveys.rounds import NewRound, create_round
from app.surveys.versions import sync_definitions
from tests.factories import ActivityFactory
from tests.samples import ALL_TYPES, SURVEYS


def versions(session) -> int:
    return session.scalar(select(func.count()).select_from(QuestionnaireVersion))


def test_sync_stores_each_definition_once(session):
    first = sync_definitions(session, [SURVEYS])
    assert first.ok and len(first.created) == 3
    again = sync_definitions(session, [SURVEYS])
    assert again.ok and again.created == [] and len(again.unchanged) == 3
    assert versions(session) == 3


def test_a_changed_file_makes_a_new_version_and_old_responses_keep_theirs(session, tmp_path):
    path = tmp_path / "evaluation.yaml"
    text = (SURVEYS / "participant-evaluation.yaml").read_text()
    path.write_text(text)
    [v1] = sync_definitions(session, [path]).created
    survey_round = create_round(
        session, NewRound(version=v1, opens_on=date(2025, 9, 1), activity=ActivityFactory())
    )
    response, _token = start_response(session, survey_round)

    path.write_text(
        text.replace("How could this workshop be improved?", "What one thing would you change?")
    )
    [v2] = sync_definitions(session, [path]).created
    assert (v1.number, v2.number) == (1, 2)
    assert v2.questionnaire_id == v1.questionnaire_id
    session.expire_all()
    assert response.version_id == v1.id and survey_round.version_id == v1.id
    labels = [q["label"]["en"] for s in v1.definition["sections"] for q in s["questions"]]
    assert "How could this workshop be improved?" in labels


def test_versions_are_immutable(session):
    [version] = sync_definitions(session, [ALL_TYPES]).created
    version.title = "Changed"
    with pytest.raises(ValueError, match="immutable"):
        session.flush()
    session.rollback()


def test_a_bad_file_stores_nothing_at_all(session, tmp_path):
    (tmp_path / "good.yaml").write_text(ALL_TYPES.read_text())
    (tmp_path / "bad.yaml").write_text("key: bad\nkind: other\ntitle: B\nsections: nope\n")
    result = sync_definitions(session, [tmp_path])
    assert not result.ok
    assert "bad.yaml" in str(result.errors[0])
    assert versions(session) == 0
    assert session.scalar(select(func.count()).select_from(Questionnaire)) == 0


def test_a_kind_cannot_change_under_the_same_key(session, tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(ALL_TYPES.read_text())
    sync_definitions(session, [path])
    path.write_text(ALL_TYPES.read_text().replace("kind: other", "kind: follow_up"))
    result = sync_definitions(session, [path])
    assert not result.ok and "kind changed from other to follow_up" in str(result.errors[0])
