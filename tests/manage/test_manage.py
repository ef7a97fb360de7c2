"""Staff pages through HTTP, with CSRF on."""

import io
import re

import pytest
from sqlalchemy import func, select

from app.models import Activity, ActivityStatus, Attendance, Participant
from app.workplan.importer import import_workplan
from tests.conftest import post_form
from tests.factories import (
    ActivityFactory,
    AttendanceFactory,
    ParticipantFactory,
    WorkPlanItemFactory,
    member,
)
from tests.samples import SMALL_PLAN


def text(response) -> str:
    return response.get_data(as_text=True)


def test_plan_overview_shows_items_by_pillar_with_their_activities(staff_client, session):
    import_workplan(session, SMALL_PLAN, "2025-2026")
    response = staff_client.get("/manage/", follow_redirects=True)
    html = text(response)
    assert response.status_code == 200
    assert "Annual Work Plan 2025-2026" in html
    assert "1. Support the implementation of WCO conventions" in html
    index = html[html.index('id="item-1-(b)"') :]
    assert "Upon request, assist with nCEN" in index[: index.index("</li>")]
    entry = html[html.index(">National workshop on Risk Management for Iran</a>") :]
    entry = entry[: entry.index("</li>")]
    assert '<abbr title="Iran">IRN</abbr>' in entry and ">1-(b)</a>" in entry
    assert "35 Members" in html  # AP region
    assert "not a CB activity" in html  # the ongoing action


def test_unknown_plan_year_and_activity_are_404(staff_client):
    assert staff_client.get("/manage/plan/2099-2100").status_code == 404
    assert staff_client.get("/manage/plan/not-a-year").status_code == 404
    assert staff_client.get("/manage/plan/0000-0001").status_code == 404
    assert staff_client.get("/manage/plan/0000-0001/activities").status_code == 404
    assert staff_client.get("/manage/activities/999999").status_code == 404


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("/manage/results?year='", "Parameter year: &#34;&#39;&#34; is not a plan year"),
        ("/manage/post-action?year=x", "Parameter year: &#39;x&#39; is not a plan year"),
        ("/manage/needs?year=x", "Parameter year: &#39;x&#39; is not a plan year"),
        ("/manage/kpis?year=2025", "Parameter year: &#39;2025&#39; is not a plan year"),
    ],
)
def test_a_malformed_year_is_a_400_naming_it(staff_client, url, says):
    response = staff_client.get(url)
    assert response.status_code == 400 and says in text(response)


def test_no_plan_yet_page(staff_client):
    html = text(staff_client.get("/manage/"))
    assert "No work plan has been imported yet" in html


@pytest.fixture()
def listed(session):
    item_a = WorkPlanItemFactory(code="1-(a)")
    item_q = WorkPlanItemFactory(code="1-(q)")
    pca = ActivityFactory(
        title="National workshop on PCA for Nepal",
        members=[member("NPL")],
        items=[item_q],
        status=ActivityStatus.DELIVERED,
    )
    rm = ActivityFactory(
        title="National workshop on Risk Management for Iran",
        members=[member("IRN")],
        items=[item_a],
    )
    return pca, rm


def titles_on(html: str) -> set[str]:
    return set(re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', html))


def test_activity_list_filters(staff_client, listed):
    pca, rm = listed
    url = "/manage/plan/2025-2026/activities"
    assert titles_on(text(staff_client.get(url))) == {pca.title, rm.title}
    assert titles_on(text(staff_client.get(url + "?item=1-(q)"))) == {pca.title}
    assert titles_on(text(staff_client.get(url + "?member=IRN"))) == {rm.title}
    assert titles_on(text(staff_client.get(url + "?status=delivered"))) == {pca.title}
    assert titles_on(text(staff_client.get(url + "?kind=training"))) == set()
    html = text(staff_client.get(url + "?q=risk"))
    assert titles_on(html) == {rm.title}
    assert "1 activity match" in html
    # Nonsense filter values narrow nothing and break nothing.
    for query, says in (
        ("kind=party", "Parameter kind: one of national_workshop"),
        ("status=x", "Parameter status: one of planned"),
        ("page=-3", "Parameter page: a page number from 1"),
        ("page=99999999999999999999", "Parameter page: a page number from 1"),
    ):
        refused = staff_client.get(f"{url}?{query}")
        assert refused.status_code == 400 and says in text(refused), query
    assert staff_client.get(url + "?page=7").status_code == 200  # past the last: empty


def test_activity_list_query_count_does_not_grow_with_data(staff_client, session, count_queries):
    item = WorkPlanItemFactory(code="1-(a)")

    def queries_for_list() -> int:
        before = count_queries.count
        assert staff_client.get("/manage/plan/2025-2026/activities").status_code == 200
        return count_queries.count - before

    for _ in range(3):
        AttendanceFactory(activity=ActivityFactory(items=[item], members=[member("FJI")]))
    few = queries_for_list()
    for _ in range(30):
        AttendanceFactory(activity=ActivityFactory(items=[item], members=[member("TON")]))
    many = queries_for_list()
    assert few == many
    assert many <= 10


def test_create_activity_with_validation_error_then_success(staff_client, session):
    item = WorkPlanItemFactory(code="1-(q)")
    url = "/manage/plan/2025-2026/activities/new"
    form = {
        "title": "National workshop on PCA for Nepal",
        "kind": "national_workshop",
        "status": "delivered",
        "modality": "virtual",
        "experts": "2",
        "accredited_experts": "1",
        "members": [str(member("NPL").id)],
        "items": [str(item.id)],
    }
    response = post_form(staff_client, url, form)
    html = text(response)
    assert response.status_code == 400
    assert "A delivered activity needs its start and end dates." in html
    assert session.scalar(select(func.count()).select_from(Activity)) == 0
    # What the person typed is still there.
    assert 'value="National workshop on PCA for Nepal"' in html
    response = post_form(
        staff_client, url, {**form, "starts_on": "2025-10-06", "ends_on": "2025-10-09"}
    )
    assert response.status_code == 302
    activity = session.scalar(select(Activity))
    assert activity.status is ActivityStatus.DELIVERED
    assert [m.code for m in activity.members] == ["NPL"]
    assert [i.code for i in activity.items] == ["1-(q)"]
    assert (activity.experts, activity.accredited_experts) == (2, 1)
    page = text(staff_client.get(response.location))
    assert "Activity “National workshop on PCA for Nepal” created." in page
    assert "2, of whom 1 WCO-accredited" in page


def test_edit_activity(staff_client, session, listed):
    pca, _ = listed
    page = text(staff_client.get(f"/manage/activities/{pca.id}/edit"))
    assert 'value="National workshop on PCA for Nepal"' in page
    nepal_id = member("NPL").id
    assert re.search(rf'id="members-{nepal_id}" value="{nepal_id}"\s+checked', page)
    assert not re.search(rf'id="members-{member("BTN").id}" value="\d+"\s+checked', page)
    response = post_form(
        staff_client,
        f"/manage/activities/{pca.id}/edit",
        {
            "title": "National workshop on PCA for Nepal (phase 2)",
            "kind": "national_workshop",
            "status": "confirmed",
            "modality": "",
            "experts": "1",
            "accredited_experts": "3",
            "members": [str(member("NPL").id)],
        },
    )
    assert response.status_code == 400
    assert "Accredited experts are counted among the experts" in text(response)
    response = post_form(
        staff_client,
        f"/manage/activities/{pca.id}/edit",
        {
            "title": "National workshop on PCA for Nepal (phase 2)",
            "kind": "national_workshop",
            "status": "confirmed",
            "modality": "",
            "experts": "3",
            "accredited_experts": "1",
            "members": [str(member("NPL").id), str(member("BTN").id)],
        },
    )
    assert response.status_code == 302
    session.expire_all()
    pca = session.get(Activity, pca.id)
    assert pca.title.endswith("(phase 2)")
    assert {m.code for m in pca.members} == {"NPL", "BTN"}
    assert pca.items == [] and pca.modality is None


def test_add_edit_and_remove_a_participant(staff_client, session, listed):
    pca, _ = listed
    url = f"/manage/activities/{pca.id}/participants"
    response = post_form(
        staff_client,
        url,
        {
            "name": "Sita Gurung",
            "email": "Sita@Customs.gov.np",
            "member": str(member("NPL").id),
            "gender": "female",
            "position": "Auditor",
        },
    )
    assert response.status_code == 302
    person = session.scalar(select(Participant))
    assert (person.email, person.member.code) == ("sita@customs.gov.np", "NPL")
    html = text(staff_client.get(url))
    assert "Sita Gurung" in html and 'Participants <span class="count">(1)</span>' in html

    response = post_form(
        staff_client, url, {"name": "", "email": "bad", "member": "0", "gender": "female"}
    )
    assert response.status_code == 400
    html = text(response)
    assert "Give the participant&#39;s name." in html or "Give the participant's name." in html
    assert "Enter an email address" in html

    edit = f"{url}/{person.id}/edit"
    response = post_form(
        staff_client,
        edit,
        {
            "name": "Sita Gurung Sharma",
            "email": "sita@customs.gov.np",
            "member": str(member("NPL").id),
            "gender": "female",
            "position": "Senior auditor",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Participant, person.id).position == "Senior auditor"

    response = post_form(staff_client, f"{url}/{person.id}/remove", {}, page=url)
    assert response.status_code == 302
    assert session.scalar(select(func.count()).select_from(Attendance)) == 0
    assert session.get(Participant, person.id) is not None  # the person record is kept


def test_participant_of_another_activity_is_404(staff_client, session, listed):
    pca, rm = listed
    attendance = AttendanceFactory(activity=rm)
    path = f"/manage/activities/{pca.id}/participants/{attendance.participant_id}/edit"
    assert staff_client.get(path).status_code == 404


def upload(client, url, filename: str, content: bytes):
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_import_with_a_bad_row_lists_it_and_saves_nothing(staff_client, session, listed):
    pca, _ = listed
    ParticipantFactory(email="already@customs.np", name="Already Here")
    url = f"/manage/activities/{pca.id}/participants/import"
    content = (
        b"name,email,member,gender\n"
        b"Ram Thapa,ram@customs.gov.np,NPL,male\n"
        b"Nobody,nobody@customs.gov.np,Narnia,male\n"
    )
    response = upload(staff_client, url, "list.csv", content)
    html = text(response)
    assert response.status_code == 400
    assert "nothing was imported" in html
    assert "Row 3, column <code>member</code>: &#39;Narnia&#39; is not a Member" in html
    assert session.scalar(select(func.count()).select_from(Attendance)) == 0
    assert session.scalar(select(func.count()).select_from(Participant)) == 1

    response = upload(staff_client, url, "list.csv", content.replace(b"Narnia", b"Nepal"))
    assert response.status_code == 302
    assert session.scalar(select(func.count()).select_from(Attendance)) == 2
    assert "Imported 2 rows: 2 added" in text(staff_client.get(response.location))


def test_import_of_a_wrong_file_type_is_refused(staff_client, listed):
    pca, _ = listed
    url = f"/manage/activities/{pca.id}/participants/import"
    response = upload(staff_client, url, "list.pdf", b"%PDF-1.4")
    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file." in text(response)


def test_hostile_spreadsheets_get_a_clear_400_and_save_nothing(staff_client, session, listed):
    from tests.uploads import dimension_bomb, zip_bomb

    pca, _ = listed
    url = f"/manage/activities/{pca.id}/participants/import"
    before = session.scalar(select(func.count()).select_from(Attendance))
    bomb = upload(staff_client, url, "list.xlsx", zip_bomb(200))
    assert bomb.status_code == 400
    assert "unpacks to 200 MB" in text(bomb) and "not an ordinary spreadsheet" in text(bomb)
    claimed = upload(staff_client, url, "list.xlsx", dimension_bomb(40_000))
    assert claimed.status_code == 400 and "more than 10,000 empty rows" in text(claimed)
    assert session.scalar(select(func.count()).select_from(Attendance)) == before


def test_members_page(staff_client, session, listed):
    AttendanceFactory(activity=listed[0], participant=ParticipantFactory(member=member("NPL")))
    html = text(staff_client.get("/manage/members"))
    assert html.count('<th scope="row">') == 35
    nepal = html[html.index(">Nepal<") :]
    nepal_row = nepal[: nepal.index("</tr>")]
    assert re.findall(r">(\d+)</a>\s*</td>\s*<td>(\d+)</td>", nepal_row) == [("1", "1")]
    headings = re.findall(r"<h2>([^<]+)</h2>", html)
    assert headings == [
        "South Asia / Sub-continent",
        "Far East",
        "South-East Asia (ASEAN)",
        "Oceania / Pacific",
    ]
