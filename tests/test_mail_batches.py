"""E-mail in batches: a request sends a bounded number of the messages it caused, over one
connection; `flask send-mail` sends the rest; nothing is ever sent twice."""
from sqlalchemy import func, select

from portal.extensions import db
from portal.forum import services
from portal.forum.models import Subscription, Thread, ThreadKind
from portal.mail import OutboxMessage
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"


def test_a_comment_in_a_much_followed_thread_sends_a_batch_and_leaves_the_rest_to_send_mail(
        app, client, torun, make_user, frozen_clock, smtp_sink):
    frozen_clock.set_local("2020-09-20 12:00:00")
    thread = Thread(consultation_id=torun.id, kind=ThreadKind.GENERAL, title="Uwagi ogólne")
    db.session.add(thread)
    db.session.flush()
    followers = [make_user(f"obserwator{n}@ngo.example") for n in range(25)]
    db.session.add_all(Subscription(user_id=person.id, thread_id=thread.id) for person in followers)
    db.session.commit()
    anna = make_user("anna@ngo.example", name="Anna")
    login_as(client, anna)
    url = f"/konsultacje/{SLUG}/forum/watek/{thread.id}"

    response = client.post(url, data={"body": "Nowa uwaga.", "action": "send", "csrf_token": form_token(client, url)})

    assert response.status_code in (302, 303)
    assert len(smtp_sink.messages) == app.config["MAIL_SEND_IN_REQUEST"] == 20
    assert len(set(smtp_sink.peers)) == 1  # one SMTP connection for the whole batch
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "sent 5, failed 0" in result.output
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(p.email for p in followers)
    assert app.test_cli_runner().invoke(args=["send-mail"]).output.strip().endswith("sent 0, failed 0")
    assert db.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 0


def test_a_refused_connection_fails_each_message_on_its_own_and_they_wait(app, torun, make_user, smtp_sink):
    from portal import mail

    for n in range(3):
        mail.queue(f"osoba{n}@example.org", "password_changed", user=None)
    db.session.commit()
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    assert mail.deliver() == (0, 3)
    assert all(m.attempts == 1 and m.last_error and m.claimed_at is None
               for m in db.session.scalars(select(OutboxMessage)))
    app.config["MAIL_PORT"] = working_port
    assert mail.deliver() == (3, 0)
    assert len(smtp_sink.messages) == 3 and len(set(smtp_sink.peers)) == 1
