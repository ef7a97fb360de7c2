"""Staff pages for questionnaires, previews and rounds."""

import json
import re
from datetime import date

from sqlalchemy import func, select

from app.models import Response, RoundStatus, SurveyRound
from app.surveys.versions import sync_definitions
from tests.conftest import post_form
from tests.factories import ActivityFactory, plan_year
from tests.samples import ALL_TYPES, SURVEYS


def test_survey_pages_list_questionnaires_and_versions(staff_client, session):
    sync_definitions(session, [SURVEYS])
    html = staff_client.get("/manage/surveys").get_data(as_text=True)
    assert "Workshop evaluation" in html and "Annual Needs Survey" in html
    page = staff_client.get("/manage/surveys/participant-evaluation/v1").get_data(as_text=True)
    assert "<code>overall_satisfaction</code>" in page
    assert "<code>${overall_satisfaction} &lt;= 2</code>" in page
    assert "dimension:relevance" in page
    assert staff_client.get("/manage/surveys/participant-evaluation/v9").status_code == 404


def test_preview_shows_the_form_and_stores_nothing(staff_client, session):
    sync_definitions(session, [ALL_TYPES])
    url = "/manage/surveys/all-types/v1/preview/0"
    page = staff_client.get(url).get_data(as_text=True)
    assert "Preview" in page and 'name="name"' in page and "nothing you enter is stored" in page
    invalid = post_form(staff_client, url, {"name": "", "action": "next"})
    assert invalid.status_code == 400 and "Answer this question." in invalid.get_data(as_text=True)
    valid = post_form(
        staff_client, url, {"name": "Ana", "age": "12", "agree": "yes", "action": "next"}
    )
    html = valid.get_data(as_text=True)
    assert valid.status_code == 200 and 'name="colour"' in html  # the next section
    carried = re.search(r'name="preview_answers" value="([^"]+)"', html).group(1)
    answers = json.loads(carried.replace("&#34;", '"'))
    assert answers["name"] == "Ana" and answers["age"] == "12"
    assert session.scalar(select(func.count()).select_from(Response)) == 0


def test_create_open_and_close_a_round(staff_client, session):
    [version] = sync_definitions(session, [SURVEYS / "participant-evaluation.yaml"]).created
    activity = ActivityFactory(title="National workshop on PCA for Nepal")
    year = plan_year()
    form = {
        "version": str(version.id),
        "activity": "0",
        "plan_year": str(year.id),
        "opens_on": date.today().isoformat(),
        "closes_on": "",
        "title": "",
        "open_now": "y",
    }
    refused = post_form(staff_client, "/manage/rounds/new", form)
    assert refused.status_code == 400
    assert "A participant evaluation round is about one activity" in refused.get_data(as_text=True)
    created = post_form(staff_client, "/manage/rounds/new", {**form, "activity": str(activity.id)})
    assert created.status_code == 302
    survey_round = session.scalar(select(SurveyRound))
    assert survey_round.status is RoundStatus.OPEN
    assert survey_round.title == "Workshop evaluation: National workshop on PCA for Nepal"
    detail = staff_client.get(created.location).get_data(as_text=True)
    assert f"/s/{survey_round.slug}" in detail and "0 submitted, 0 in progress" in detail
    closed = post_form(
        staff_client,
        f"/manage/rounds/{survey_round.id}/close",
        {"close-confirm": "y"},
        page=created.location,
    )
    assert closed.status_code == 302
    session.expire_all()
    assert session.get(SurveyRound, survey_round.id).status is RoundStatus.CLOSED


def test_a_needs_assessment_round_made_by_staff_has_no_shared_link(staff_client, session):
    [version] = sync_definitions(session, [SURVEYS / "needs-assessment.yaml"]).created
    year = plan_year()
    form = {
        "version": str(version.id),
        "activity": "0",
        "plan_year": str(year.id),
        "opens_on": date.today().isoformat(),
        "closes_on": "",
        "title": "",
        "open_now": "y",
    }
    created = post_form(staff_client, "/manage/rounds/new", form)
    assert created.status_code == 302
    survey_round = session.scalar(select(SurveyRound))
    assert survey_round.open_link is False
    detail = staff_client.get(created.location).get_data(as_text=True)
    assert "qr.png" not in detail
    # Its address answers nobody without their administration's invitation.
    visitor = staff_client.application.test_client()
    assert visitor.get(f"/s/{survey_round.slug}").status_code == 403
