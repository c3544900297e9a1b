"""E-mail in batches: a request sends a bounded number of the messages it caused, over one
connection; `flask send-mail` sends the rest; nothing is ever sent twice."""
import pytest
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
    # The count limit is tested here; the time limit (2 s by default) is tested with a hanging
    # server in test_mail_faults — on a loaded machine 20 real SMTP sends can take longer than 2 s.
    app.config["MAIL_SECONDS_IN_REQUEST"] = 60
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
    assert app.test_cli_runner().invoke(args=["send-mail"]).output.strip() == "sent 0, failed 0, waiting 0"
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


def test_a_comment_costs_the_same_statements_whatever_the_number_of_followers(
        app, torun, make_user, frozen_clock, smtp_sink, count_queries):
    frozen_clock.set_local("2020-09-20 12:00:00")
    author = make_user("anna@ngo.example", name="Anna")
    client = app.test_client()
    login_as(client, author)
    statements = {}
    consultation_id = torun.id
    for followers in (3, 25):
        thread = Thread(consultation_id=consultation_id, kind=ThreadKind.GENERAL, title=f"Wątek {followers}")
        db.session.add(thread)
        db.session.flush()
        people = [make_user(f"obserwator{followers}-{n}@ngo.example") for n in range(followers)]
        db.session.add_all(Subscription(user_id=person.id, thread_id=thread.id) for person in people)
        db.session.commit()
        url = f"/konsultacje/{SLUG}/forum/watek/{thread.id}"
        token = form_token(client, url)
        smtp_sink.clear()
        with count_queries() as queries:
            client.post(url, data={"body": f"Uwaga do {followers}.", "action": "send", "csrf_token": token})
        assert len(smtp_sink.messages) == min(followers, 20)
        statements[followers] = queries.statements
        frozen_clock.set_local("2020-09-20 12:05:00")  # the forum's interval between two comments
    # One outbox row per e-mail is the only thing that grows (PostgreSQL even inserts them in one
    # statement); finding the followers, claiming, sending and recording the batch do not.
    def besides_outbox_rows(found):
        return [statement for statement in found if not statement.startswith("INSERT INTO outbox_message")]
    assert len(besides_outbox_rows(statements[3])) == len(besides_outbox_rows(statements[25])), \
        "\n".join(besides_outbox_rows(statements[25]))
