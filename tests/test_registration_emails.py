"""One person, one working group: addresses that reach one mailbox count as one person."""
import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.registrations import retention
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, Status, WorkingGroup
from tests.conftest import form_token
from tests.factories import ORGANISATION_FIELDS

SLUG = "program-wspolpracy-2021"
FORM = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
ALREADY = "Ten adres e-mail jest już zapisany do grupy roboczej w tych konsultacjach."


@pytest.fixture
def signup_open(torun, frozen_clock):
    frozen_clock.set_local("2020-08-24 12:00:00")
    return torun


def groups():
    return db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position, WorkingGroup.id)).all()


def sign_up(client, group, email, organisation="Stowarzyszenie Wisła"):
    data = {"full_name": "Alicja Nowak", "email": email, "phone": "", "organisation_name": organisation,
            "organisation_address": "ul. Szeroka 1, 87-100 Toruń", "organisation_contact": "biuro@ngo.example",
            "prior_activity": "Prowadzę zajęcia dla seniorów.", "recording_consent": "y", "privacy_notice": "y",
            "group": str(group.id), "csrf_token": form_token(client, FORM)}
    return client.post(FORM, data=data)


def registered_addresses():
    db.session.expire_all()
    return db.session.scalars(select(GroupRegistration.email).order_by(GroupRegistration.id)).all()


@pytest.mark.parametrize("again", ["alice+ngo@x.pl", "ａｌｉｃｅ@x.pl", " ALICE@X.PL", "alice+@x.pl"])
def test_another_spelling_of_the_same_address_is_refused_as_the_same_person(client, signup_open, again):
    first, second = groups()[:2]
    assert sign_up(client, first, "Alice@x.pl").status_code == 200
    response = sign_up(client, second, again, organisation="Fundacja Druga")
    html = response.get_data(as_text=True)
    assert ALREADY in html
    assert 'value="Fundacja Druga"' in html  # what was typed is still there
    assert registered_addresses() == ["alice@x.pl"]


def test_a_plus_tag_is_another_person_when_the_office_says_so(app, client, signup_open):
    app.config["REGISTRATION_EMAIL_IGNORE_PLUS_TAGS"] = False
    first, second, third = groups()[:3]
    sign_up(client, first, "Alice@x.pl")
    html = sign_up(client, second, "alice+ngo@x.pl").get_data(as_text=True)
    assert ALREADY not in html and "Miejsce czeka na Ciebie" in html
    assert ALREADY in sign_up(client, third, "ａｌｉｃｅ@x.pl").get_data(as_text=True)  # still one mailbox
    assert registered_addresses() == ["alice@x.pl", "alice+ngo@x.pl"]


def test_mail_goes_to_the_address_as_typed(client, signup_open, smtp_sink):
    sign_up(client, groups()[0], "Alice+NGO@x.pl")
    [message] = smtp_sink.to("alice+ngo@x.pl")
    assert message["Subject"] == "Potwierdź zapis do grupy roboczej"
    assert smtp_sink.to("alice@x.pl") == []
    assert registered_addresses() == ["alice+ngo@x.pl"]


def test_after_withdrawing_another_spelling_may_sign_up_again(client, signup_open, smtp_sink):
    first, second = groups()[:2]
    sign_up(client, first, "alice@x.pl")
    manage = smtp_sink.last_link("alice@x.pl").split("localhost", 1)[1]
    token = manage.split("t=")[1]
    client.post("/zgloszenie/wycofaj", data={"t": token, "csrf_token": form_token(client, manage)})
    html = sign_up(client, second, "alice+ngo@x.pl").get_data(as_text=True)
    assert "Miejsce czeka na Ciebie" in html
    db.session.expire_all()
    statuses = db.session.scalars(select(GroupRegistration.status).order_by(GroupRegistration.id)).all()
    assert statuses == [Status.WITHDRAWN, Status.PENDING]


def test_a_meeting_also_takes_one_person_once(client, torun, frozen_clock):
    frozen_clock.set_local("2020-09-02 12:00:00")
    url = f"/konsultacje/{SLUG}/spotkania/{db.session.scalar(select(Meeting.id))}/zapis"

    def register(email):
        data = {"full_name": "Alicja Nowak", "email": email, "organisation_name": "Org", "recording_consent": "y",
                "privacy_notice": "y", "csrf_token": form_token(client, url), **ORGANISATION_FIELDS}
        return client.post(url, data=data).get_data(as_text=True)

    register("Alice@x.pl")
    assert "Ten adres e-mail jest już zapisany na to spotkanie." in register("alice+ngo@x.pl")
    db.session.expire_all()
    assert db.session.scalars(select(MeetingRegistration.email)).all() == ["alice@x.pl"]


def test_erasing_personal_data_leaves_no_trace_of_the_address_in_the_key(client, signup_open):
    sign_up(client, groups()[0], "Alice+NGO@x.pl")
    registration = db.session.scalar(select(GroupRegistration))
    retention.erase_personal_data(registration, clock.now_utc())
    db.session.commit()
    db.session.expire_all()
    email, key = db.session.execute(select(GroupRegistration.email, GroupRegistration.email_key)).one()
    assert "alice" not in email + key and key == email
