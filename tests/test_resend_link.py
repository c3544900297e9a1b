""""Wyślij link ponownie": a person who signed up without an account gets their private links again."""
import re
import time

import pytest
from sqlalchemy import select

from portal import equal_time
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import services
from portal.registrations.models import Meeting, WorkingGroup
from tests.conftest import form_token, visible_text
from tests.factories import ORGANISATION_FIELDS

SLUG = "program-wspolpracy-2021"
GROUP_FORM = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
FORM = "/zgloszenie/wyslij-link"
DURING_SIGNUP = "2020-08-24 12:00:00"
EMAIL = "alice@x.pl"
GROUP = "Wspieranie i promocja wolontariatu"


def _applicant(email):
    return services.Applicant(full_name="Alicja Przykładowa", email=email, organisation_name="Fundacja X",
                              recording_consent=True)


def _group():
    return db.session.scalar(select(WorkingGroup).where(WorkingGroup.name == GROUP))


def _meeting():
    return db.session.scalar(select(Meeting).order_by(Meeting.id))


@pytest.fixture
def signup_open(torun, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    return torun


def _register(torun, email=EMAIL, group=True, meeting=True):
    made = []
    if group:
        made.append(services.take_seat(db.session.get(Consultation, torun.id), _group(), _applicant(email)))
    if meeting:
        made.append(services.register_for_meeting(_meeting(), _applicant(email)))
    db.session.commit()
    return made


def _ask(client, email, **extra):
    return client.post(FORM, data={"email": email, "csrf_token": form_token(client, FORM), **extra})


def _links(message):
    return [re.sub(r"^https?://[^/]+", "", link) for link in re.findall(r"https?://\S+", message.get_content())]


def _answer(response, address):
    return visible_text(response.get_data(as_text=True)).replace(address, "ADRES")


def test_one_e_mail_brings_the_links_of_the_group_and_the_meeting(client, signup_open, smtp_sink):
    _register(signup_open)
    smtp_sink.clear()
    response = _ask(client, EMAIL)
    assert response.status_code == 200 and "Sprawdź skrzynkę e-mail" in response.get_data(as_text=True)
    [message] = smtp_sink.to(EMAIL)
    body = message.get_content()
    assert GROUP in body and _meeting().title in body
    pages = [visible_text(client.get(link).get_data(as_text=True)) for link in _links(message)
             if link.startswith("/zgloszenie?t=")]
    assert len(pages) == 2
    assert f"Grupa robocza {GROUP}" in pages[0] and "Potwierdzam zgłoszenie" in pages[0]
    assert _meeting().title in pages[1] and "Alicja Przykładowa" in pages[1]


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(client, signup_open, smtp_sink):
    _register(signup_open)
    smtp_sink.clear()
    known = _ask(client, EMAIL)
    unknown = _ask(client, "nikt@x.pl")
    assert known.status_code == unknown.status_code == 200
    assert _answer(known, EMAIL) == _answer(unknown, "nikt@x.pl")
    ignored = {"Date", "Content-Length", "X-RateLimit-Remaining", "X-RateLimit-Reset",
               "Retry-After"}  # per client and clock (a second boundary), not address
    assert ({k: v for k, v in known.headers.items() if k not in ignored}
            == {k: v for k, v in unknown.headers.items() if k not in ignored})
    assert smtp_sink.to("nikt@x.pl") == [] and len(smtp_sink.messages) == 1


def test_an_answer_that_sends_nothing_takes_as_long_as_one_that_sends(client, signup_open, smtp_sink, monkeypatch):
    clock = equal_time.AnswerTime()
    clock.record(0.3)
    monkeypatch.setattr(equal_time, "CLOCKS", {"resend_link": clock})
    started = time.monotonic()
    _ask(client, "nikt@x.pl")
    assert time.monotonic() - started >= 0.3


def test_another_spelling_of_the_address_finds_the_registration_and_writes_to_its_address(
        client, signup_open, smtp_sink):
    _register(signup_open, email="alice+ngo@x.pl", meeting=False)
    smtp_sink.clear()
    _ask(client, "Alice@x.pl")
    assert smtp_sink.to("alice@x.pl") == []  # the links go only where they went before
    [message] = smtp_sink.to("alice+ngo@x.pl")
    assert GROUP in message.get_content()


def test_a_withdrawn_registration_s_link_is_not_sent(client, signup_open, smtp_sink):
    group_registration, _meeting_registration = _register(signup_open)
    services.withdraw(group_registration)
    db.session.commit()
    smtp_sink.clear()
    _ask(client, EMAIL)
    [message] = smtp_sink.to(EMAIL)
    assert GROUP not in message.get_content()
    assert len([link for link in _links(message) if link.startswith("/zgloszenie?t=")]) == 1

    services.withdraw_meeting(_meeting_registration)
    db.session.commit()
    smtp_sink.clear()
    _ask(client, EMAIL)
    assert smtp_sink.messages == []


def test_asking_too_often_is_refused(app, client, signup_open, smtp_sink):
    app.config["RESEND_LINK_LIMIT_PER_IP"] = "3 per hour"
    assert [_ask(client, f"osoba{n}@x.pl").status_code for n in range(4)] == [200, 200, 200, 429]


def test_a_missing_csrf_token_sends_nothing_and_keeps_the_address(client, signup_open, smtp_sink):
    _register(signup_open)
    smtp_sink.clear()
    response = client.post(FORM, data={"email": EMAIL})
    assert response.status_code == 400
    assert f'value="{EMAIL}"' in response.get_data(as_text=True)
    assert smtp_sink.messages == []


def test_a_mistyped_address_is_shown_again_with_the_error(client, signup_open):
    response = _ask(client, "alice.x.pl")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="alice.x.pl"' in html and "Wyślij link" in html


def test_the_pages_that_say_check_your_e_mail_link_to_the_form(client, signup_open, smtp_sink):
    _register(signup_open, meeting=False)
    data = {"full_name": "Alicja", "email": EMAIL, "organisation_name": "Fundacja X", "group": str(_group().id),
            "organisation_address": "ul. Szeroka 1, 87-100 Toruń", "organisation_contact": "biuro@x.pl",
            "prior_activity": "Prowadzę zajęcia dla seniorów.", "recording_consent": "y", "privacy_notice": "y",
            "csrf_token": form_token(client, GROUP_FORM)}
    refused = client.post(GROUP_FORM, data=data).get_data(as_text=True)
    assert "sprawdź wiadomość z linkiem" in refused and f'href="{FORM}"' in refused
    broken = client.get("/zgloszenie?t=zepsuty")
    assert broken.status_code == 404 and f'href="{FORM}"' in broken.get_data(as_text=True)


def test_the_answer_to_a_sign_up_links_to_the_form(client, signup_open, smtp_sink):
    url = f"/konsultacje/{SLUG}/spotkania/{_meeting().id}/zapis"
    response = client.post(url, data={"full_name": "Alicja", "email": EMAIL, "organisation_name": "Fundacja X",
                                      "recording_consent": "y", "privacy_notice": "y",
                                      "csrf_token": form_token(client, url), **ORGANISATION_FIELDS})
    html = response.get_data(as_text=True)
    assert "Sprawdź skrzynkę e-mail" in html and f'href="{FORM}"' in html
