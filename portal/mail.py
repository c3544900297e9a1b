"""E-mail through an outbox.

`queue()` writes a message row in the request's transaction, so a message exists only if the
change that caused it was committed. After the commit, `deliver()` sends the messages queued by
this request; `flask send-mail` sends whatever is still pending (SMTP was down, the process
died) and is safe to run from a scheduler while the site runs: each message is claimed with an
atomic UPDATE before it is sent, so two senders never send the same message. A request sends
for at most MAIL_SECONDS_IN_REQUEST; a failed message is retried with a back-off, never given
up (`retry_delay`, `status()`).

Transports: "smtp" (production, tests with aiosmtpd) and "file" (development: .eml files in
instance/outbox/).
"""
from __future__ import annotations

import smtplib
import ssl
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from flask import current_app, g, render_template
from sqlalchemy import Index, String, Text, func, inspect, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import db
from portal.types import UTCDateTime

CLAIM_TIMEOUT = timedelta(minutes=10)
# A failed message is never given up: the next sender tries it again at once, then after
# 1, 2, 4 … minutes, at most an hour apart (an admin sees what waits: `status()`).
RETRY_AFTER = timedelta(minutes=1)
RETRY_AFTER_AT_MOST = timedelta(hours=1)


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
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # after a failure: not before
    # For mailing-list messages (news): the one-click unsubscribe address (RFC 8058), sent as the
    # List-Unsubscribe header; empty for the rest.
    list_unsubscribe: Mapped[str] = mapped_column(String(1000), default="")

    __table_args__ = (Index("ix_outbox_message_pending", "sent_at", "created_at"),)


def queue(recipient: str, template: str, list_unsubscribe: str = "", **context) -> OutboxMessage:
    """Write an e-mail to the outbox in the current transaction.

    `template` names templates/email/<template>.txt; its first line is "Subject: ...".
    `list_unsubscribe`: for news (mailing-list) messages, the one-click unsubscribe URL; the
    message then carries RFC 8058's List-Unsubscribe and List-Unsubscribe-Post headers.
    """
    text = render_template(f"email/{template}.txt", **context)
    subject_line, _, body = text.partition("\n")
    if not subject_line.startswith("Subject: "):
        raise ValueError(f"email/{template}.txt must start with a Subject: line")
    message = OutboxMessage(recipient=recipient, subject=subject_line.removeprefix("Subject: ").strip(),
                            body=body.lstrip("\n"), list_unsubscribe=list_unsubscribe)
    db.session.add(message)
    g.setdefault("queued_mail", []).append(message)
    return message


def deliver_queued_after_commit() -> None:
    """Send what this request queued (called right after the request's commit).

    At most MAIL_SEND_IN_REQUEST of them and for at most MAIL_SECONDS_IN_REQUEST: a comment in a
    thread with a thousand followers, or an SMTP server that hangs, must not keep its author
    waiting. The rest wait for `flask send-mail`.
    """
    queued = g.pop("queued_mail", [])
    if queued:
        # The identity key, not `.id`: after the commit `.id` would reload every message, one by one.
        ids = [inspect(message).identity[0] for message in queued]
        config = current_app.config
        deliver(ids, limit=config["MAIL_SEND_IN_REQUEST"], seconds=config["MAIL_SECONDS_IN_REQUEST"])


def deliver(ids: list[int] | None = None, limit: int | None = None,
            seconds: float | None = None) -> tuple[int, int]:
    """Send pending messages (all, or these ids; at most `limit`); returns (sent, failed).

    With `seconds`, sending stops that long after it began: every SMTP wait is cut to the time
    left (see _BoundedSMTP), and messages not tried by then are released untouched (no attempt
    counted) for `flask send-mail`.

    The batch is claimed with one atomic UPDATE, sent over one SMTP connection, and the outcomes
    are written together at its end (one UPDATE for the batch). Should the process die halfway,
    the claim expires after CLAIM_TIMEOUT and the unrecorded messages go out again: a rare
    duplicate is the price of not writing a row per message while the sender waits.
    """
    deadline = None if seconds is None else time.monotonic() + seconds
    messages = _claim(ids, limit, clock.now_utc())
    sent = failed = 0
    if not messages:
        return sent, failed
    with _transport(deadline) as send:
        for index, message in enumerate(messages):
            if deadline is not None and time.monotonic() >= deadline:
                for untried in messages[index:]:
                    untried.claimed_at = None  # free for the next sender at once
                break
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
    claimable = (OutboxMessage.sent_at.is_(None),
                 or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
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
    message.next_attempt_at = clock.now_utc() + retry_delay(message.attempts)
    message.last_error = f"{type(error).__name__}: {error}"[:1000]
    current_app.logger.warning("e-mail %s not sent: %s", message.id, message.last_error)


def retry_delay(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failure: nothing after the first (the
    next sender tries again), then RETRY_AFTER doubling each time, at most RETRY_AFTER_AT_MOST."""
    if attempts <= 1:
        return timedelta(0)
    return min(RETRY_AFTER * 2 ** min(attempts - 2, 20), RETRY_AFTER_AT_MOST)


@dataclass(frozen=True)
class OutboxStatus:
    waiting: int  # not sent yet
    failed: int  # of these, tried at least once without success
    oldest: OutboxMessage | None  # the longest waiting

    def oldest_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest is None else now - self.oldest.created_at


def status() -> OutboxStatus:
    """What waits in the outbox, for `flask send-mail` and the admins."""
    unsent = OutboxMessage.sent_at.is_(None)
    waiting, failed = db.session.execute(
        select(func.count(), func.count().filter(OutboxMessage.attempts > 0)).where(unsent)).one()
    oldest = None
    if waiting:
        oldest = db.session.scalar(select(OutboxMessage).where(unsent)
                                   .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(1))
    return OutboxStatus(waiting=waiting, failed=failed, oldest=oldest)


def _as_email(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["From"] = formataddr((config["MAIL_SENDER_NAME"], config["MAIL_SENDER"]))
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=config["MAIL_SENDER"].split("@")[-1])
    if message.list_unsubscribe:
        email["List-Unsubscribe"] = f"<{message.list_unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body)
    return email


@contextmanager
def _transport(deadline: float | None = None):
    """A `send(email)` function for the configured transport, open for a batch of messages."""
    kind = current_app.config["MAIL_TRANSPORT"]
    if kind == "file":
        yield _write_file
    elif kind == "smtp":
        with _SmtpConnection(deadline) as connection:
            yield connection.send
    else:
        raise RuntimeError(f"unknown MAIL_TRANSPORT {kind!r} (smtp or file)")


class _SmtpConnection:
    """One SMTP connection for a batch, opened at the first message (a refused connection fails
    only the messages that needed it, each on its own)."""

    def __init__(self, deadline: float | None = None):
        self.deadline = deadline
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
            self.smtp = _open_smtp(self.deadline)
        try:
            self.smtp.send_message(email)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.smtp.close()
            self.smtp = None  # the next message tries a fresh connection
            raise


class _BoundedSMTP(smtplib.SMTP):
    """smtplib.SMTP whose every wait (connect, read, write) lasts at most MAIL_TIMEOUT and, with a
    deadline (a time.monotonic() value), at most the time left before it.

    One exception: the answer to a message's final "." gets the full MAIL_TIMEOUT. The server
    then has the whole message; giving up early would make it likely to be sent again later.
    """

    def __init__(self, host: str, port: int, timeout: float, deadline: float | None):
        self.deadline = deadline
        self._after_data = False
        super().__init__(host, port, timeout=timeout)

    def _wait(self) -> float:
        if self._after_data or self.deadline is None:
            return self.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no time left for e-mail in this request")
        return min(self.timeout, left)

    def _get_socket(self, host, port, timeout):
        return super()._get_socket(host, port, self._wait())

    def send(self, s):
        if self.sock is not None:
            self.sock.settimeout(self._wait())
        super().send(s)
        self._after_data = isinstance(s, bytes) and s.endswith(b"\r\n.\r\n")

    def getreply(self):
        if self.sock is not None:
            self.sock.settimeout(self._wait())
        try:
            return super().getreply()
        finally:
            self._after_data = False


def _open_smtp(deadline: float | None = None) -> smtplib.SMTP:
    config = current_app.config
    smtp = _BoundedSMTP(config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"], deadline)
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
