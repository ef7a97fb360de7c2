"""The staff download of a questionnaire version as XLSForm."""

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from app.models import AuditEntry
from app.surveys.versions import sync_definitions
from tests.factories import ActivityFactory, plan_year
from tests.samples import ALL_TYPES


def test_staff_download_a_version_as_xlsform(staff_client, session):
    sync_definitions(session, [ALL_TYPES])
    ActivityFactory(title="Sub-regional workshop on AEO", plan_year=plan_year())
    page = staff_client.get("/manage/surveys/all-types/v1").get_data(as_text=True)
    assert 'href="/manage/surveys/all-types/v1/xlsform" download>Download as XLSForm' in page
    response = staff_client.get("/manage/surveys/all-types/v1/xlsform")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=all-types-v1.xlsx"
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["survey", "choices", "settings"]
    choices = [row[:3] for row in book["choices"].iter_rows(values_only=True)]
    assert any(r[0] == "activities" and r[2] == "Sub-regional workshop on AEO" for r in choices)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "download.xlsform")).one()
    assert entry.summary == "all-types v1"
    assert staff_client.get("/manage/surveys/all-types/v2/xlsform").status_code == 404


def test_respondents_and_visitors_cannot_download_it(client, session):
    sync_definitions(session, [ALL_TYPES])
    response = client.get("/manage/surveys/all-types/v1/xlsform")
    assert response.status_code in (302, 401, 403)
