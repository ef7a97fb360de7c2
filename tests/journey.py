"""Shared set-up for the journey tests: a delivered workshop with participants, the
standard questionnaires, a contact point, and a clock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app.common.mail import MailBackend, OutboxBackend
from app.journeys.dispatch import DispatchReport, dispatch
from app.journeys.scheduling import Delivery, deliver_activity
from app.journeys.settings import JourneySettings
from app.models import Message, MessageStatus, Participant
from app.surveys.versions import sync_definitions
from tests.conftest import csrf_token
from tests.factories import (
    ActivityFactory,
    AttendanceFactory,
    ParticipantFactory,
    UserFactory,
    member,
)
from tests.samples import SURVEYS

LINK = re.compile(r"(https?://\S+/i/[A-Za-z0-9_-]+)")


@dataclass
class Journey:
    session: object
    settings: JourneySettings
    activity: object
    delivery: Delivery
    people: dict[str, Participant]
    contact_point: object
    start: datetime
    backend: MailBackend = field(default_factory=OutboxBackend)

    def at(self, days: float) -> datetime:
        return self.start + timedelta(days=days)

    def dispatch(self, days: float = 0, backend: MailBackend | None = None) -> DispatchReport:
        report = dispatch(
            self.session, backend or self.backend, self.settings, self.at(days), self.session.commit
        )
        self.session.expire_all()
        return report

    def messages(self, kind: str | None = None, to: str | None = None) -> list[Message]:
        query = select(Message).order_by(Message.id)
        if kind:
            query = query.where(Message.kind == kind)
        if to:
            query = query.where(Message.to_email == to)
        return list(self.session.scalars(query))

    def sent(self, kind: str | None = None) -> list[Message]:
        return [m for m in self.messages(kind) if m.status is MessageStatus.SENT]

    def link_for(self, email: str, kind: str = "invitation", round_id: int | None = None) -> str:
        messages = [
            m for m in self.messages(kind, email) if round_id is None or m.round_id == round_id
        ]
        assert messages, f"no {kind} message to {email}"
        return LINK.search(messages[0].body_text).group(1)


def settings_for(app) -> JourneySettings:
    return JourneySettings.from_config(app.config)


def make_journey(session, app, *, anonymous: bool = False, emails: bool = True) -> Journey:
    sync_definitions(session, [SURVEYS])
    today = date.today()
    activity = ActivityFactory(
        title="National workshop on PCA for Nepal",
        members=[member("NPL")],
        starts_on=today - timedelta(days=5),
        ends_on=today - timedelta(days=1),
    )
    people = {
        "ana": ParticipantFactory(
            name="Ana Sharma", email="ana@customs.gov.np", member=member("NPL")
        ),
        "bo": ParticipantFactory(name="Bo Thapa", email="bo@customs.gov.np", member=member("NPL")),
        "cy": ParticipantFactory(name="Cy Lama", email=None, member=member("NPL")),
        "dee": ParticipantFactory(
            name="Dee Wangmo", email="dee@customs.gov.bt", member=member("BTN")
        ),
    }
    for person in people.values():
        AttendanceFactory(activity=activity, participant=person)
    contact_point = UserFactory(
        email="cp@customs.gov.np",
        name="Nepal contact point",
        role="contact_point",
        member=member("NPL"),
    )
    settings = settings_for(app)
    if anonymous:
        from dataclasses import replace

        settings = replace(settings, evaluation_anonymous=True)
    delivery = deliver_activity(session, activity, settings, today)
    session.commit()
    start = datetime.combine(today, time(9, 0), tzinfo=UTC)
    return Journey(session, settings, activity, delivery, people, contact_point, start)


def open_link(client, link: str):
    """Follow a personal link the way a browser does; return the landing response."""
    path = link.split("://", 1)[1].split("/", 1)[1]
    first = client.get("/" + path)
    assert first.status_code == 302, first.status_code
    return first


def start_survey(client, slug: str):
    page = client.get(f"/s/{slug}").get_data(as_text=True)
    return client.post(f"/s/{slug}/start", data={"csrf_token": csrf_token(page)})


def post_section(client, slug: str, index: int, data: dict, action: str = "next"):
    page = client.get(f"/s/{slug}/{index}").get_data(as_text=True)
    return client.post(
        f"/s/{slug}/{index}", data={"csrf_token": csrf_token(page), "action": action, **data}
    )


def submit_review(client, slug: str):
    """The final submit, from the review of the answers ("Check your answers")."""
    page = client.get(f"/s/{slug}/review")
    assert page.status_code == 200, page.status_code
    return client.post(
        f"/s/{slug}/review", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )


def finish_section(client, slug: str, index: int, data: dict):
    """Answer the last section, then submit from the review; the submit's response."""
    saved = post_section(client, slug, index, data)
    assert saved.status_code == 302, saved.get_data(as_text=True)[-800:]
    if not saved.location.endswith("/review"):
        return saved  # sent back to a section (a missing answer)
    return submit_review(client, slug)


EVALUATION_ANSWERS = [
    {
        "objectives_met": "4",
        "relevance": "5",
        "content_quality": "4",
        "facilitators": "5",
        "organisation": "4",
        "duration": "about_right",
    },
    {"overall_satisfaction": "4", "recommend": "9"},
    {"knowledge_before": "2", "knowledge_after": "4"},
    {"action_plan": "Brief my unit on PCA risk profiles by March.", "support_needed": "no"},
]


def answer_evaluation(client, slug: str, plan: str | None = None) -> None:
    start_survey(client, slug)
    for index, answers in enumerate(EVALUATION_ANSWERS):
        if plan and "action_plan" in answers:
            answers = {**answers, "action_plan": plan}
        if index == len(EVALUATION_ANSWERS) - 1:
            response = finish_section(client, slug, index, answers)
        else:
            response = post_section(client, slug, index, answers)
        assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    assert response.location.endswith("/thanks")


def answer_needs(client, slug: str, member: str = "NPL") -> None:
    """Answer the needs assessment for ``member`` as its logged-in contact point."""
    start_survey(client, slug)
    post_section(client, slug, 0, {"member": member, "respondent_position": "Director"})
    post_section(
        client,
        slug,
        1,
        {
            **{
                f"priorities-{area}": "low"
                for area in (
                    "risk_management",
                    "aeo",
                    "trade_facilitation",
                    "valuation",
                    "hs_classification",
                    "rules_of_origin",
                    "time_release",
                    "single_window",
                    "data_technology",
                    "enforcement_intelligence",
                    "ipr_environment",
                    "border_security",
                    "free_zones",
                    "integrity",
                    "leadership",
                    "training_management",
                )
            },
            "priorities-post_clearance_audit": "high",
            "top_priority": "post_clearance_audit",
        },
    )
    post_section(
        client,
        slug,
        2,
        {"preferred_modality": "in_person", "can_host": "no", "can_provide_experts": "no"},
    )
    done = finish_section(client, slug, 3, {"context": "New PCA unit since July."})
    assert done.location.endswith("/thanks"), done.get_data(as_text=True)[-600:]
