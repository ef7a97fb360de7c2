"""Sending email: the two ways (a local outbox kept in the app, or SMTP), the HTML part
made from the text, marking a message sent, and the outbox listing."""

from __future__ import annotations

import contextlib
import hashlib
import re
import smtplib
import ssl
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Message, MessageKind, MessageStatus

# What replaces a personal account link in a message once it has been sent.
LINK_REMOVED = "[the personal link was removed from this copy once the message was sent]"


def to_html(text: str) -> str:
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = str(escape(block))
        linked = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return str(
        Markup(
            '<!doctype html><html><body style="font-family: sans-serif">\n'
            + "\n".join(paragraphs)
            + "\n</body></html>"
        )
    )


def message_id(message: Message, sender: str) -> str:
    """The same Message-ID every time this message is sent: a repeat (the mail server
    accepted it but the run died before recording that) is recognisably the same email."""
    domain = sender.rpartition("@")[2].strip("> ") or "localhost"
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:16]
    return f"<rocb.{message.id}.{digest}@{domain}>"


class MailBackend(Protocol):
    name: str
    # The messages stay in this application (the outbox) instead of leaving it.
    keeps_messages: bool

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise."""

    def connection(self) -> AbstractContextManager[None]:
        """Keep one connection to the mail server for the sends inside the block."""


class OutboxBackend:
    """Keeps messages in the app's outbox (Surveys › Outbox); nothing leaves the server."""

    name = "outbox"
    keeps_messages = True

    def send(self, message: Message) -> None:
        return None

    def connection(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()


@dataclass
class SmtpBackend:
    host: str
    port: int
    sender: str
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 15
    name: str = "smtp"
    keeps_messages: bool = False
    # Inside connection(): the open connection (made at the first send), per thread (one
    # backend may serve two runs at once); and how many connections were opened.
    _local: threading.local = field(default_factory=threading.local, repr=False)
    connections_opened: int = field(default=0, repr=False)

    def _connect(self) -> smtplib.SMTP:
        smtp_class = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
        smtp = smtp_class(self.host, self.port, timeout=self.timeout)
        try:
            if self.use_tls and not self.use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self.connections_opened += 1
        return smtp

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to_email
        email["Subject"] = message.subject
        email["Message-ID"] = message_id(message, self.sender)
        email.set_content(message.body_text)
        email.add_alternative(message.body_html, subtype="html")
        return email

    def send(self, message: Message) -> None:
        email = self._email(message)
        local = self._local
        if not getattr(local, "held", False):
            with contextlib.closing(self._connect()) as smtp:
                smtp.send_message(email)
                smtp.quit()
            return
        if getattr(local, "smtp", None) is None:
            local.smtp = self._connect()
        try:
            local.smtp.send_message(email)
        except smtplib.SMTPServerDisconnected:
            # The server closed an idle connection: once more on a new one.
            local.smtp = self._connect()
            local.smtp.send_message(email)

    @contextlib.contextmanager
    def connection(self) -> Iterator[None]:
        local = self._local
        local.held, local.smtp = True, None
        try:
            yield
        finally:
            smtp, local.smtp, local.held = local.smtp, None, False
            if smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    smtp.quit()
                smtp.close()


def backend_from_config(config: Any) -> MailBackend:
    choice = config.get("MAIL_BACKEND") or ("smtp" if config.get("MAIL_SERVER") else "outbox")
    if choice == "outbox":
        return OutboxBackend()
    if choice != "smtp" or not config.get("MAIL_SERVER"):
        raise ValueError("MAIL_BACKEND=smtp needs MAIL_SERVER (and MAIL_PORT)")
    return SmtpBackend(
        host=config["MAIL_SERVER"],
        port=int(config["MAIL_PORT"]),
        sender=config["MAIL_SENDER"],
        use_tls=bool(config["MAIL_USE_TLS"]),
        use_ssl=bool(config["MAIL_USE_SSL"]),
        username=config.get("MAIL_USERNAME"),
        password=config.get("MAIL_PASSWORD"),
        timeout=float(config["MAIL_TIMEOUT"]),
    )


def mark_sent(message: Message, now: datetime, backend: MailBackend) -> None:
    """Record that ``backend`` sent ``message``. A message about an account carries a link
    that sets a password: once it has left the server, the stored copy loses the link, so
    that nobody reading the outbox can use it."""
    message.status = MessageStatus.SENT
    message.sent_at = now
    message.last_error = ""
    if message.kind is MessageKind.ACCOUNT and not backend.keeps_messages:
        message.body_text = re.sub(r"https?://\S+", LINK_REMOVED, message.body_text)
        message.body_html = to_html(message.body_text)


def send_now(session: Session, backend: MailBackend, message: Message, now: datetime) -> None:
    """Send one message immediately (staff "resend"); on failure it stays queued."""
    try:
        backend.send(message)
    except (smtplib.SMTPException, OSError) as error:
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:1000]
        raise
    message.attempts += 1
    mark_sent(message, now, backend)
    session.flush()


def outbox_messages(
    session: Session,
    status: MessageStatus | None = None,
    recipient: str | None = None,
    page: int = 1,
    per_page: int = 200,
) -> tuple[list[Message], int]:
    """A page of messages, newest first, of one status and to addresses containing
    ``recipient`` (any case) if asked, and how many match in all."""
    query = select(Message)
    if status is not None:
        query = query.where(Message.status == status)
    if recipient:
        # lower() on both sides; % and _ in the search are taken literally.
        query = query.where(Message.to_email.icontains(recipient, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Message.id.desc()).offset((max(page, 1) - 1) * per_page).limit(per_page)
    )
    return list(rows), total
