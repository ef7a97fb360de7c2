"""A real SMTP server on a local port (aiosmtpd), for dispatch tests."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


@dataclass
class Received:
    to: list[str]
    subject: str
    text: str
    message_id: str = ""


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    reject: bool = False
    greetings: int = 0  # EHLO/HELO: one per connection

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.reject:
            return "451 4.3.0 Temporary failure, try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        self.received.append(
            Received(
                list(envelope.rcpt_tos),
                str(message["Subject"]),
                body.get_content() if body else "",
                str(message["Message-ID"]),
            )
        )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received
