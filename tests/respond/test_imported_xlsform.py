"""An ODK-style XLSForm, imported and synced, answered through the respondent pages."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import Answer
from app.surveys.rounds import NewRound, create_round, open_round
from app.surveys.versions import sync_definitions
from app.surveys.xlsform_import import import_xlsform
from app.surveys.xlsform_yaml import save_definition_file
from tests.factories import plan_year
from tests.respond.test_respond import Respondent
from tests.surveys.test_xlsform import ODK_FORM


@pytest.fixture()
def respondent(client, session, tmp_path):
    with ODK_FORM.open("rb") as stream:
        result = import_xlsform(stream, ODK_FORM.name)
    path = save_definition_file(
        result.key, result.yaml_text, tmp_path, ODK_FORM.name, overwrite=False
    )
    [version] = sync_definitions(session, [path]).created
    survey_round = create_round(
        session,
        NewRound(version=version, plan_year=plan_year(), opens_on=date.today() - timedelta(days=1)),
    )
    open_round(session, survey_round)
    person = Respondent(client, survey_round.slug)
    assert person.start().status_code == 302
    return person


def test_an_imported_odk_form_can_be_answered(respondent, session):
    first = respondent.page(0).get_data(as_text=True)
    assert "About you" in first and 'name="full_name"' in first and "As on your badge" in first
    too_young = respondent.refused(
        0, {"full_name": "Ana Tupou", "age": "16", "attended_before": "no"}
    )
    assert "Age must be between 18 and 70" in too_young.get_data(as_text=True)
    assert (
        respondent.post(
            0, {"full_name": "Ana Tupou", "age": "34", "gender": "female", "attended_before": "no"}
        ).status_code
        == 302
    )
    training = respondent.page(1).get_data(as_text=True)
    assert 'name="topics_useful-other"' not in training and 'name="usefulness"' in training
    four = respondent.refused(
        1, {"usefulness": "4", "topics_useful": ["risk", "valuation", "origin", "pca"]}
    )
    assert "Choose at most three" in four.get_data(as_text=True)
    assert (
        respondent.post(1, {"usefulness": "4", "topics_useful": ["risk", "pca"]}).status_code == 302
    )
    # The calculate (men + women) bounds the number briefed.
    over = respondent.refused(2, {"men": "3", "women": "2", "briefed": "6"})
    assert "Cannot be more than your team" in over.get_data(as_text=True)
    assert respondent.post(2, {"men": "3", "women": "2", "briefed": "5"}).status_code == 302
    done = respondent.finish(
        3,
        {
            "actions-0-action": "Brief my unit",
            "actions-0-action_by": "2026-03-01",
            "actions-0-action_priority": "high",
            "hours": "2,5",
        },
    )
    assert done.status_code == 302 and done.location.endswith("/thanks")
    session.expire_all()
    stored = {(a.question_key, a.entry, a.item): a for a in session.scalars(select(Answer))}
    assert stored[("age", 0, "")].value_number == 34
    assert stored[("usefulness", 0, "")].value_number == 4
    assert {k[2] for k in stored if k[0] == "topics_useful"} == {"risk", "pca"}
    assert stored[("briefed", 0, "")].value_number == 5
    assert stored[("action", 1, "")].value_text == "Brief my unit"
    assert stored[("hours", 0, "")].value_number == Decimal("2.5")
