"""E-mail through an outbox.

`queue()` writes a message row in the request's transaction, so a message exists only if the
change that caused it was committed. After the commit, `deliver()` sends the messages queued by
this request; `flask send-mail` sends whatever is still pending (SMTP was down, the process
died) and is safe to run from a scheduler while the site runs: each message is claimed with an
atomic UPDATE before it is sent, so two senders never send the same message.

Transports: "smtp" (production, tests with aiosmtpd) and "file" (development: .eml files in
instance/outbox/).
"""
from __future__ import annotations

import smtplib
import ssl
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from flask import current_app, g, render_template
from sqlalchemy import Index, String, Text, inspect, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import db
from portal.types import UTCDateTime

CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 20


class OutboxMessage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_outbox_message_pending", "sent_at", "created_at"),)


def queue(recipient: str, template: str, **context) -> OutboxMessage:
    """Write an e-mail to the outbox in the current transaction.

    `template` names templates/email/<template>.txt; its first line is "Subject: ...".
    """
    text = render_template(f"email/{template}.txt", **context)
    subject_line, _, body = text.partition("\n")
    if not subject_line.startswith("Subject: "):
        raise ValueError(f"email/{template}.txt must start with a Subject: line")
    message = OutboxMessage(recipient=recipient, subject=subject_line.removeprefix("Subject: ").strip(),
                            body=body.lstrip("\n"))
    db.session.add(message)
    g.setdefault("queued_mail", []).append(message)
    return message


def deliver_queued_after_commit() -> None:
    """Send what this request queued (called right after the request's commit).

    At most MAIL_SEND_IN_REQUEST of them: a comment in a thread with a thousand followers must
    not keep its author waiting for a thousand e-mails. The rest wait for `flask send-mail`.
    """
    queued = g.pop("queued_mail", [])
    if queued:
        # The identity key, not `.id`: after the commit `.id` would reload every message, one by one.
        ids = [inspect(message).identity[0] for message in queued]
        deliver(ids, limit=current_app.config["MAIL_SEND_IN_REQUEST"])


def deliver(ids: list[int] | None = None, limit: int | None = None) -> tuple[int, int]:
    """Send pending messages (all, or these ids; at most `limit`); returns (sent, failed).

    The batch is claimed with one atomic UPDATE, sent over one SMTP connection, and the outcomes
    are written together at its end (one UPDATE for the batch). Should the process die halfway,
    the claim expires after CLAIM_TIMEOUT and the unrecorded messages go out again: a rare
    duplicate is the price of not writing a row per message while the sender waits.
    """
    messages = _claim(ids, limit, clock.now_utc())
    sent = failed = 0
    if not messages:
        return sent, failed
    with _transport() as send:
        for message in messages:
            try:
                send(_as_email(message))
            except (OSError, smtplib.SMTPException) as error:
                _record(message, error)
                failed += 1
            else:
                _record(message, None)
                sent += 1
    db.session.commit()
    return sent, failed


def _claim(ids: list[int] | None, limit: int | None, now: datetime) -> list[OutboxMessage]:
    """Atomically take pending messages for sending: none that another sender holds."""
    claimable = (OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
                 or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - CLAIM_TIMEOUT))
    wanted = select(OutboxMessage.id).where(*claimable).order_by(OutboxMessage.id).limit(limit)
    if ids is not None:
        wanted = wanted.where(OutboxMessage.id.in_(ids))
    # The outer WHERE is checked again under each row's lock, so two senders never share a message.
    claimed = db.session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(wanted.scalar_subquery()), *claimable)
        .values(claimed_at=now).returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    if not claimed:
        return []
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                                   .order_by(OutboxMessage.id)))


def _record(message: OutboxMessage, error: Exception | None) -> None:
    message.attempts += 1
    if error is None:
        message.sent_at = clock.now_utc()
        message.last_error = ""
        return
    message.claimed_at = None
    message.last_error = f"{type(error).__name__}: {error}"[:1000]
    current_app.logger.warning("e-mail %s not sent: %s", message.id, message.last_error)


def _as_email(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["From"] = formataddr((config["MAIL_SENDER_NAME"], config["MAIL_SENDER"]))
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=config["MAIL_SENDER"].split("@")[-1])
    email.set_content(message.body)
    return email


@contextmanager
def _transport():
    """A `send(email)` function for the configured transport, open for a batch of messages."""
    kind = current_app.config["MAIL_TRANSPORT"]
    if kind == "file":
        yield _write_file
    elif kind == "smtp":
        with _SmtpConnection() as connection:
            yield connection.send
    else:
        raise RuntimeError(f"unknown MAIL_TRANSPORT {kind!r} (smtp or file)")


class _SmtpConnection:
    """One SMTP connection for a batch, opened at the first message (a refused connection fails
    only the messages that needed it, each on its own)."""

    def __init__(self):
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()

    def send(self, email: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = _open_smtp()
        try:
            self.smtp.send_message(email)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.smtp.close()
            self.smtp = None  # the next message tries a fresh connection
            raise


def _open_smtp() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def _write_file(email: EmailMessage) -> None:
    folder = Path(current_app.instance_path) / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.now_utc().strftime("%Y%m%dT%H%M%S")
    name = email["Message-ID"].strip("<>").split("@")[0]
    (folder / f"{stamp}-{name}.eml").write_bytes(bytes(email))
