"""Exactly-once submission when several requests submit the same response at once.

This test commits for real from several threads, so it works on its own rows (and removes
them afterwards) instead of inside the usual rolled-back transaction. It runs on
PostgreSQL, where requests really run in parallel.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import (
    Answer,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Submission,
    SurveyRound,
)
from app.surveys.rounds import NewRound, create_round, open_round
from app.surveys.versions import sync_definitions
from app.workplan.plan_years import get_or_create_plan_year
from tests.conftest import csrf_token
from tests.samples import ALL_TYPES

THREADS = 8


@pytest.fixture()
def committed_round(app, tmp_path):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("parallel submission is exercised on PostgreSQL")
        definition = tmp_path / "concurrency.yaml"
        definition.write_text(
            ALL_TYPES.read_text().replace("key: all-types", "key: concurrency-test")
        )
        [version] = sync_definitions(db.session, [definition]).created
        year = get_or_create_plan_year(db.session, "2031-2032")
        survey_round = create_round(
            db.session,
            NewRound(version=version, plan_year=year, opens_on=date.today() - timedelta(days=1)),
        )
        open_round(db.session, survey_round)
        db.session.commit()
        ids = (survey_round.id, version.id, version.questionnaire_id, year.id)
        slug = survey_round.slug
    yield slug
    with app.app_context():
        round_id, version_id, questionnaire_id, year_id = ids
        response_ids = select(Response.id).where(Response.round_id == round_id)
        db.session.execute(delete(Submission).where(Submission.response_id.in_(response_ids)))
        db.session.execute(delete(Answer).where(Answer.response_id.in_(response_ids)))
        db.session.execute(delete(Response).where(Response.round_id == round_id))
        db.session.execute(delete(SurveyRound).where(SurveyRound.id == round_id))
        db.session.execute(
            delete(QuestionnaireVersion).where(QuestionnaireVersion.id == version_id)
        )
        db.session.execute(delete(Questionnaire).where(Questionnaire.id == questionnaire_id))
        from app.models import PlanYear

        db.session.execute(delete(PlanYear).where(PlanYear.id == year_id))
        db.session.commit()


def _post(client, slug, index, data, action="next"):
    page = client.get(f"/s/{slug}/{index}").get_data(as_text=True)
    return client.post(
        f"/s/{slug}/{index}", data={"csrf_token": csrf_token(page), "action": action, **data}
    )


def test_parallel_final_submits_leave_one_submission(app, committed_round):
    slug = committed_round
    client = app.test_client()
    page = client.get(f"/s/{slug}").get_data(as_text=True)
    client.post(f"/s/{slug}/start", data={"csrf_token": csrf_token(page)})
    assert _post(client, slug, 0, {"name": "Ana", "age": "1", "agree": "yes"}).status_code == 302
    assert (
        _post(
            client, slug, 1, {"colour": "red", "happy": "4", "grid-speed": "5", "grid-cost": "4"}
        ).status_code
        == 302
    )
    last = _post(client, slug, 3, {"results-0-what": "New procedure"})
    assert last.location.endswith("/review")
    # Every thread is the same browser (same session cookie) with the review page open.
    token = csrf_token(client.get(f"/s/{slug}/review").get_data(as_text=True))
    cookie = client.get_cookie("session")
    data = {"csrf_token": token}
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    pages: list[str] = []

    def submit():
        other = app.test_client()
        other.set_cookie("session", cookie.value, domain=cookie.domain or "localhost")
        barrier.wait()
        response = other.post(f"/s/{slug}/review", data=data)
        statuses.append(response.status_code)
        pages.append(response.location or "")

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(statuses) == THREADS
    # One request submitted; every other one waited for it and was told so.
    assert statuses == [302] * THREADS
    assert sum(location.endswith("/thanks") for location in pages) == 1
    # Every other one waited for it and was sent to the landing page, which says so.
    assert sum(location == f"/s/{slug}" for location in pages) == THREADS - 1
    assert "already been submitted" in client.get(f"/s/{slug}").get_data(as_text=True)
    with app.app_context():
        round_id = db.session.scalar(select(SurveyRound.id).where(SurveyRound.slug == slug))
        responses = db.session.scalars(select(Response).where(Response.round_id == round_id)).all()
        assert len(responses) == 1 and responses[0].status is ResponseStatus.SUBMITTED
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.response_id == responses[0].id)
            )
            == 1
        )
