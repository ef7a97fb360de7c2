"""The staff participants page: where each participant stands in each survey round of the
activity (not invited, invited, opened, started, submitted, with the date), in the same
number of statements for a few participants or many."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.models import Invitation, MessageStatus
from tests.factories import AttendanceFactory, ParticipantFactory, member
from tests.journey import make_journey


def text(response) -> str:
    return response.get_data(as_text=True)


def statuses_of(html: str, name: str) -> list[str]:
    row = html[html.index(f'<th scope="row">{name}') :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="survey-status[^"]*">(.*?)</td>', row, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def _invitation(session, journey, who: str) -> Invitation:
    return session.scalar(
        select(Invitation).where(
            Invitation.round_id == journey.delivery.evaluation.id,
            Invitation.participant_id == journey.people[who].id,
        )
    )


def test_each_participant_shows_their_status_in_each_round(app, session, staff_client):
    journey = make_journey(session, app)
    journey.dispatch()
    day = journey.at(0)
    _invitation(session, journey, "ana").opened_at = day
    _invitation(session, journey, "ana").started_at = day
    _invitation(session, journey, "ana").submitted_at = day + timedelta(days=2)
    _invitation(session, journey, "bo").opened_at = day + timedelta(days=1)
    _invitation(session, journey, "dee").opened_at = day
    _invitation(session, journey, "dee").started_at = day + timedelta(days=3)
    session.commit()
    html = text(staff_client.get(f"/manage/activities/{journey.activity.id}/participants"))
    waves = len(journey.delivery.follow_ups)
    assert waves >= 1
    assert "Participant evaluation" in html and "Follow-up action survey, wave 1" in html
    later = ["Not invited"] * waves  # the follow-up waves open months later
    d = day.date()
    assert statuses_of(html, "Ana Sharma") == [f"Submitted {d + timedelta(days=2)}", *later]
    assert statuses_of(html, "Bo Thapa") == [f"Opened {d + timedelta(days=1)}", *later]
    assert statuses_of(html, "Dee Wangmo") == [f"Started {d + timedelta(days=3)}", *later]
    assert statuses_of(html, "Cy Lama") == ["Not invited (no email address)", *later]


def test_an_invitation_whose_email_is_not_sent_yet_says_so(app, session, staff_client):
    journey = make_journey(session, app)
    journey.dispatch()
    [email] = journey.messages("invitation", "bo@customs.gov.np")
    email.status, email.sent_at = MessageStatus.PENDING, None  # the mail server refused it
    session.commit()
    html = text(staff_client.get(f"/manage/activities/{journey.activity.id}/participants"))
    assert statuses_of(html, "Bo Thapa")[0] == "Not invited (no email sent yet)"
    assert statuses_of(html, "Ana Sharma")[0] == f"Invited {journey.at(0).date()}"


def test_the_page_makes_the_same_statements_for_4_or_34_participants(
    app, session, staff_client, count_queries
):
    journey = make_journey(session, app)
    journey.dispatch()
    url = f"/manage/activities/{journey.activity.id}/participants"

    def statements() -> tuple[int, str]:
        before = count_queries.count
        response = staff_client.get(url)
        assert response.status_code == 200
        return count_queries.count - before, text(response)

    few, _ = statements()
    for n in range(30):
        AttendanceFactory(
            activity=journey.activity,
            participant=ParticipantFactory(
                name=f"Extra {n:02d}", email=f"extra{n}@customs.gov.np", member=member("NPL")
            ),
        )
    session.commit()
    journey.dispatch()
    many, html = statements()
    assert statuses_of(html, "Extra 29")[0] == f"Invited {journey.at(0).date()}"
    assert many == few
