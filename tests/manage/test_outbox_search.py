"""The outbox: search by part of the recipient's address (any case), with the count,
combined with the status filter and the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import insert

from app.models import Message, MessageKind, MessageStatus

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def text(response) -> str:
    return response.get_data(as_text=True)


def recipients(html: str) -> list[str]:
    rows = re.findall(
        r'<th scope="row"><a href="/manage/outbox/\d+">[^<]*</a></th>\s*<td>([^<]*)</td>', html
    )
    return rows


def _messages(session, addresses: list[tuple[str, MessageStatus]], tag: str = "m") -> None:
    session.execute(
        insert(Message),
        [
            {
                "kind": MessageKind.INVITATION,
                "dedupe_key": f"{tag}-{n}",
                "to_email": address,
                "subject": f"Your evaluation {n}",
                "body_text": "",
                "body_html": "",
                "status": status,
                "created_at": NOW,
                "sent_at": NOW if status is MessageStatus.SENT else None,
            }
            for n, (address, status) in enumerate(addresses)
        ],
    )
    session.commit()


def test_search_by_recipient_is_case_insensitive_counts_and_combines_with_status(
    staff_client, session
):
    _messages(
        session,
        [
            ("Ana.Lee@Customs.gov.FJ", MessageStatus.SENT),
            ("bob@customs.gov.to", MessageStatus.SENT),
            ("carla@customs.gov.fj", MessageStatus.PENDING),
            ("x_y@example.org", MessageStatus.SENT),
        ],
    )
    html = text(staff_client.get("/manage/outbox", query_string={"to": "customs.gov.fj"}))
    assert recipients(html) == ["carla@customs.gov.fj", "Ana.Lee@Customs.gov.FJ"]
    assert "2 messages to an address containing “customs.gov.fj”." in html
    assert 'value="customs.gov.fj"' in html  # the search box keeps it
    both = text(staff_client.get("/manage/outbox?to=ANA.LEE&status=sent"))
    assert recipients(both) == ["Ana.Lee@Customs.gov.FJ"]
    assert "1 message to an address containing “ANA.LEE” with status “sent”." in both
    pending = text(staff_client.get("/manage/outbox?to=fj&status=pending"))
    assert recipients(pending) == ["carla@customs.gov.fj"]
    # The wildcards of SQL are plain characters here.
    assert recipients(text(staff_client.get("/manage/outbox?to=_"))) == ["x_y@example.org"]
    assert recipients(text(staff_client.get("/manage/outbox?to=%25"))) == []
    nothing = text(staff_client.get("/manage/outbox?to=nobody@nowhere"))
    assert "0 messages to an address containing" in nothing and "No message matches." in nothing
    everything = text(staff_client.get("/manage/outbox"))
    assert len(recipients(everything)) == 4 and "4 messages." in everything


def test_the_search_keeps_its_pages(staff_client, session):
    _messages(session, [(f"person{n}@many.example", MessageStatus.SENT) for n in range(205)])
    _messages(session, [("other@few.example", MessageStatus.SENT)], tag="other")
    first = text(staff_client.get("/manage/outbox?to=MANY.example"))
    assert "205 messages to an address containing “MANY.example”; page 1 of 2" in first
    assert len(recipients(first)) == 200
    assert 'href="/manage/outbox?page=2&amp;to=MANY.example"' in first
    second = text(staff_client.get("/manage/outbox?page=2&to=MANY.example"))
    assert recipients(second) == [f"person{n}@many.example" for n in range(4, -1, -1)]
    refused = staff_client.get("/manage/outbox?page=0")
    assert refused.status_code == 400 and "Parameter page" in text(refused)
    assert staff_client.get("/manage/outbox?status=lost").status_code == 400
