"""E-mail under faults: an SMTP server that hangs costs a request a short bounded time, and
whatever could not be sent waits in the outbox, is retried with a back-off and is never given
up silently."""
import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock, mail
from portal.consultations.models import ModerationMode
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.models import Subscription, Thread, ThreadKind
from portal.mail import OutboxMessage
from tests.conftest import form_token, login_as

QUEUE = "/moderacja/kolejka"
IN_WINDOW = "2020-09-20 12:00:00"


@pytest.fixture
def hanging_smtp(silent_server):
    """The port of an SMTP server on localhost that accepts connections and never says a word."""
    return silent_server


def followed_thread(consultation, make_user, followers: int) -> tuple[Thread, list]:
    thread = Thread(consultation_id=consultation.id, kind=ThreadKind.GENERAL, title="Uwagi ogólne")
    db.session.add(thread)
    db.session.flush()
    people = [make_user(f"obserwator{n}@ngo.example") for n in range(followers)]
    db.session.add_all(Subscription(user_id=person.id, thread_id=thread.id) for person in people)
    db.session.commit()
    return thread, people


def test_approving_a_comment_with_100_followers_while_smtp_hangs_answers_at_once_and_send_mail_delivers_each_once(
        app, torun, anna, moderator, make_user, frozen_clock, smtp_sink, hanging_smtp):
    frozen_clock.set_local(IN_WINDOW)
    thread, followers = followed_thread(torun, make_user, 100)
    torun.moderation_mode = ModerationMode.ALL
    db.session.commit()
    post = forum.post_comment(anna, thread, "Termin jest za krótki.")
    db.session.commit()
    post_id, version = post.id, post.version
    staff = app.test_client()
    login_as(staff, moderator)
    token = form_token(staff, QUEUE)
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = hanging_smtp

    started = time.monotonic()
    response = staff.post(f"/moderacja/uwagi/{post_id}/zatwierdz",
                          data={"csrf_token": token, "version": version, "next": QUEUE})
    took = time.monotonic() - started

    assert response.status_code == 303
    assert took < 5, f"the approval took {took:.1f} s"
    db.session.expire_all()
    waiting = db.session.scalars(select(OutboxMessage)).all()
    assert sorted(m.recipient for m in waiting) == sorted(p.email for p in followers)
    assert all(m.sent_at is None and m.claimed_at is None for m in waiting)  # none lost, none held
    assert sum(m.attempts for m in waiting) == 1  # the one that timed out; the others were not tried
    assert smtp_sink.messages == []

    app.config["MAIL_PORT"] = working_port  # SMTP is back
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "sent 100, failed 0" in result.output and result.exit_code == 0
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(p.email for p in followers)  # each once
    assert "sent 0, failed 0" in app.test_cli_runner().invoke(args=["send-mail"]).output
    assert len(smtp_sink.messages) == 100


def test_a_comment_in_a_thread_with_100_followers_while_smtp_hangs_answers_at_once(
        app, torun, anna, make_user, frozen_clock, smtp_sink, hanging_smtp):
    frozen_clock.set_local(IN_WINDOW)
    thread, followers = followed_thread(torun, make_user, 100)
    author = app.test_client()
    login_as(author, anna)
    url = f"/konsultacje/{torun.slug}/forum/watek/{thread.id}"
    token = form_token(author, url)
    app.config["MAIL_PORT"] = hanging_smtp

    started = time.monotonic()
    response = author.post(url, data={"body": "Nowa uwaga.", "action": "send", "csrf_token": token})
    took = time.monotonic() - started

    assert response.status_code in (302, 303)
    assert took < 5, f"the comment took {took:.1f} s"
    db.session.expire_all()
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).all()) == 100


def test_send_mail_waits_out_a_hanging_server_message_by_message_within_the_timeout(
        app, make_user, smtp_sink, hanging_smtp):
    """Without a request's deadline each step still ends after MAIL_TIMEOUT."""
    mail.queue("osoba@example.org", "password_changed", user=None)
    db.session.commit()
    app.config.update(MAIL_PORT=hanging_smtp, MAIL_TIMEOUT=0.5)
    started = time.monotonic()
    assert mail.deliver() == (0, 1)
    assert time.monotonic() - started < 3
    message = db.session.scalar(select(OutboxMessage))
    assert message.sent_at is None and message.claimed_at is None and "timed out" in message.last_error


def test_a_slow_answer_to_a_whole_message_is_waited_for_past_the_requests_deadline(app, smtp_sink):
    """Once the server has the whole message, giving up would send it again later: a duplicate."""
    from aiosmtpd.controller import Controller

    from tests.conftest import SmtpSink, _free_port

    class SlowSink(SmtpSink):
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(1)
            return await super().handle_DATA(server, session, envelope)

    slow = SlowSink()
    controller = Controller(slow, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        mail.queue("osoba@example.org", "password_changed", user=None)
        db.session.commit()
        app.config["MAIL_PORT"] = controller.port
        assert mail.deliver(seconds=0.3) == (1, 0)
    finally:
        controller.stop()
    message = db.session.scalar(select(OutboxMessage))
    assert message.sent_at is not None and len(slow.messages) == 1


# --- never given up silently -----------------------------------------------------------------

def test_a_failing_message_backs_off_ever_longer_up_to_an_hour_and_is_never_given_up(app, frozen_clock, smtp_sink):
    frozen_clock.set_local("2026-12-01 08:00:00")
    mail.queue("osoba@example.org", "password_changed", user=None)
    db.session.commit()
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there: SMTP is down
    waits = []
    for _ in range(30):
        assert mail.deliver() == (0, 1)
        message = db.session.scalar(select(OutboxMessage))
        waits.append(message.next_attempt_at - clock.now_utc())
        frozen_clock.set(clock.now_utc() + waits[-1] - timedelta(seconds=1))
        assert mail.deliver() == (0, 0)  # not before its time
        frozen_clock.set(clock.now_utc() + timedelta(seconds=1))
    minutes = [wait / timedelta(minutes=1) for wait in waits]
    assert minutes[:9] == [0, 1, 2, 4, 8, 16, 32, 60, 60] and set(minutes[7:]) == {60}
    assert message.attempts == 30 and message.sent_at is None  # 20+ hours of outage: still waiting

    app.config["MAIL_PORT"] = working_port  # SMTP is back
    assert mail.deliver() == (1, 0)
    assert len(smtp_sink.to("osoba@example.org")) == 1


def test_send_mail_says_what_waits_and_fails_while_anything_could_not_be_sent(app, frozen_clock, smtp_sink):
    runner = app.test_cli_runner()
    frozen_clock.set_local("2026-12-01 08:00:00")
    for n in range(2):
        mail.queue(f"osoba{n}@example.org", "password_changed", user=None)
    db.session.commit()
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1

    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 1
    assert result.stdout.startswith("sent 0, failed 2, waiting 2 (2 after a failed attempt), oldest waiting 0 min"
                                    " (queued 2026-12-01 07:00 UTC), its last error: ConnectionRefusedError")
    assert "could not send every e-mail" in result.stderr
    runner.invoke(args=["send-mail"])  # the second failure: the next attempt in a minute
    frozen_clock.set_local("2026-12-01 08:00:30")
    result = runner.invoke(args=["send-mail"])  # nothing due: nothing tried, and still it says so
    assert result.exit_code == 1
    assert result.stdout.startswith("sent 0, failed 0, waiting 2 (2 after a failed attempt), oldest waiting 0 min")

    app.config["MAIL_PORT"] = working_port
    frozen_clock.set_local("2026-12-01 08:12:00")
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and result.stdout == "sent 2, failed 0, waiting 0\n"
    assert len(smtp_sink.messages) == 2


def test_admins_see_what_waits_in_the_outbox_on_the_users_page(app, admin_client, frozen_clock, smtp_sink):
    from tests.conftest import visible_text

    frozen_clock.set_local("2026-12-01 08:00:00")
    assert "czeka na wysłanie" not in visible_text(admin_client.get("/admin/uzytkownicy").get_data(as_text=True))
    for n in range(3):
        mail.queue(f"osoba{n}@example.org", "password_changed", user=None)
    db.session.commit()
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1
    mail.deliver(limit=2)
    app.config["MAIL_PORT"] = working_port
    frozen_clock.set_local("2026-12-01 08:20:00")

    text = visible_text(admin_client.get("/admin/uzytkownicy").get_data(as_text=True))
    assert "3 e-maile czekają na wysłanie" in text
    assert "Po nieudanej próbie wysłania: 2. Najstarszy czeka od 1 grudnia 2026 r., godz. 08:00." in text
    assert "Ostatni błąd przy nim: ConnectionRefusedError" in text


def test_a_send_mail_run_against_a_hanging_server_stops_at_its_time_and_leaves_the_rest_untried(
        app, smtp_sink, hanging_smtp):
    """A run never outlives its claim on the batch: what it did not try is free for the next run."""
    for n in range(6):
        mail.queue(f"osoba{n}@example.org", "password_changed", user=None)
    db.session.commit()
    app.config.update(MAIL_PORT=hanging_smtp, MAIL_TIMEOUT=0.4, MAIL_SECONDS_PER_RUN=1)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 1 and result.stdout.startswith("sent 0, failed ")
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage)).all()
    tried = [message for message in messages if message.attempts]
    assert 1 <= len(tried) < 6  # stopped part-way, not after six timeouts
    assert all(message.claimed_at is None and message.sent_at is None for message in messages)
    assert all(message.attempts == 0 and message.next_attempt_at is None
               for message in messages if message not in tried)
