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
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from flask import current_app, g, render_template
from sqlalchemy import Index, String, Text, or_, select, update
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
    """Send what this request queued (called right after the request's commit)."""
    queued = g.pop("queued_mail", [])
    if queued:
        deliver([message.id for message in queued])


def deliver(ids: list[int] | None = None) -> tuple[int, int]:
    """Send pending messages (all, or these ids); returns (sent, failed). Commits per message."""
    now = clock.now_utc()
    query = select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None),
                                           OutboxMessage.attempts < MAX_ATTEMPTS)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    sent = failed = 0
    for message_id in db.session.scalars(query.order_by(OutboxMessage.id)).all():
        if not _claim(message_id, now):
            continue
        message = db.session.get(OutboxMessage, message_id)
        try:
            _transport()(_as_email(message))
        except (OSError, smtplib.SMTPException) as error:
            message.attempts += 1
            message.claimed_at = None
            message.last_error = f"{type(error).__name__}: {error}"[:1000]
            failed += 1
            current_app.logger.warning("e-mail %s not sent: %s", message_id, message.last_error)
        else:
            message.attempts += 1
            message.sent_at = clock.now_utc()
            message.last_error = ""
            sent += 1
        db.session.commit()
    return sent, failed


def _claim(message_id: int, now: datetime) -> bool:
    """Atomically take a message for sending; False when another sender has it."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - CLAIM_TIMEOUT))
        .values(claimed_at=now)
    )
    db.session.commit()
    return result.rowcount == 1


def _as_email(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["From"] = formataddr((config["MAIL_SENDER_NAME"], config["MAIL_SENDER"]))
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=config["MAIL_SENDER"].split("@")[-1])
    email.set_content(message.body)
    return email


def _transport():
    kind = current_app.config["MAIL_TRANSPORT"]
    if kind == "smtp":
        return _send_smtp
    if kind == "file":
        return _write_file
    raise RuntimeError(f"unknown MAIL_TRANSPORT {kind!r} (smtp or file)")


def _send_smtp(email: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def _write_file(email: EmailMessage) -> None:
    folder = Path(current_app.instance_path) / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.now_utc().strftime("%Y%m%dT%H%M%S")
    name = email["Message-ID"].strip("<>").split("@")[0]
    (folder / f"{stamp}-{name}.eml").write_bytes(bytes(email))
