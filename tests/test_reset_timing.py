"""The "forgot password" form tells nobody whether an address has an account: not by the page, nor by the time.

Issue 19: the answer for a known address took 39 ms (the e-mail's commit and SMTP delivery),
for an unknown one 11 ms. The time itself is measured outside the suite; here the answer is
compared, the e-mail checked, and the unknown address's wait checked on a fake clock.
"""
import re

import pytest
from sqlalchemy import func, select

from portal import equal_time
from portal.accounts import views
from portal.extensions import db
from portal.mail import OutboxMessage
from tests.conftest import form_token

KNOWN, UNKNOWN = "anna@fundacja.example", "nikt@example.org"


def ask_for_reset(app, email, address):
    """A browser of its own at an address of its own (the limit per address counts alike)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/nie-pamietam-hasla", data={"email": email,
                                                     "csrf_token": form_token(client, "/nie-pamietam-hasla")})


def as_an_onlooker_sees_it(response, address):
    """Status, headers and page with the typed address, CSRF tokens and cookie values taken out."""
    html = re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', "",
                  response.get_data(as_text=True).replace(address, "X"))
    clock_dependent = {"Content-Length", "X-RateLimit-Reset", "Retry-After"}  # the same names, kept
    headers = sorted((name, value.split("=", 1)[0] if name == "Set-Cookie" else
                      "" if name in clock_dependent else value) for name, value in response.headers.items())
    return response.status_code, headers, html


@pytest.fixture
def fake_time(monkeypatch):
    """A clock for the answer's timing that moves only when told to (or when the answer waits)."""
    class FakeTime:
        def __init__(self):
            self.now = 1000.0
            self.waits: list[float] = []

        def monotonic(self):
            return self.now

        def sleep(self, seconds):
            self.waits.append(seconds)
            self.now += seconds

    fake = FakeTime()
    monkeypatch.setattr(equal_time, "time", fake)
    monkeypatch.setattr(equal_time, "CLOCKS", {})
    return fake


def test_a_known_and_an_unknown_address_get_the_same_answer(app, make_user, smtp_sink):
    make_user(KNOWN, name="Anna")
    known = ask_for_reset(app, KNOWN, "10.0.0.1")
    unknown = ask_for_reset(app, UNKNOWN, "10.0.0.2")
    assert known.status_code == 200
    assert as_an_onlooker_sees_it(known, KNOWN) == as_an_onlooker_sees_it(unknown, UNKNOWN)
    assert "Jeśli adres X należy do konta w serwisie" in as_an_onlooker_sees_it(unknown, UNKNOWN)[2]


def test_the_link_arrives_for_a_known_address_and_nothing_goes_to_an_unknown_one(app, make_user, smtp_sink):
    make_user(KNOWN, name="Anna")
    ask_for_reset(app, KNOWN, "10.0.0.1")
    ask_for_reset(app, UNKNOWN, "10.0.0.2")
    [message] = smtp_sink.messages
    assert message["To"] == KNOWN and "/nowe-haslo?token=" in smtp_sink.last_link(KNOWN)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_an_unknown_address_is_answered_only_as_late_as_a_known_one_was(app, make_user, smtp_sink, fake_time,
                                                                       monkeypatch):
    make_user(KNOWN, name="Anna")
    real_request = views.services.request_password_reset

    def sending_takes(seconds):
        def request_password_reset(email):
            fake_time.now += seconds  # the e-mail's work for a known address, nothing for an unknown one
            return real_request(email)
        monkeypatch.setattr(views.services, "request_password_reset", request_password_reset)

    sending_takes(0.030)
    ask_for_reset(app, KNOWN, "10.0.0.1")
    assert fake_time.waits == [pytest.approx(0.0, abs=1e-9)]  # the known address's answer has taken its time already

    sending_takes(0.0)
    ask_for_reset(app, UNKNOWN, "10.0.0.2")
    assert fake_time.waits[-1] == pytest.approx(0.030)

    sending_takes(0.050)
    ask_for_reset(app, KNOWN, "10.0.0.3")
    sending_takes(0.0)
    ask_for_reset(app, UNKNOWN, "10.0.0.4")
    assert fake_time.waits[-1] == pytest.approx(0.050)  # as long as the slowest recent answer
    ask_for_reset(app, KNOWN, "10.0.0.5")  # quick this time: it, too, waits for the slowest
    assert fake_time.waits[-1] == pytest.approx(0.050)
