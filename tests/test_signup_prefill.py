"""A signed-in participant finds the sign-up forms filled from the account, and can change anything."""
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, WorkingGroup
from tests.conftest import form_token, login_as, signed_in, visible_text
from tests.factories import ORGANISATION_FIELDS

SLUG = "program-wspolpracy-2021"
GROUP_FORM = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
DURING_SIGNUP = "2020-08-24 12:00:00"  # both the groups and the online meeting take sign-ups
HINT = "Wypełniliśmy pola danymi z Twojego konta — sprawdź je i popraw, jeśli trzeba."
ANNA_ORGANISATION = "Fundacja Rowerowa „Łańcuch”"


class _Inputs(HTMLParser):
    """Every <input>/<textarea> of a page by name: its value and whether it is checked."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, dict] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") != "radio":
            self.fields[attrs["name"]] = {"value": attrs.get("value") or "", "checked": "checked" in attrs}
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.fields[self._textarea] = {"value": "", "checked": False}

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea]["value"] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def inputs(html: str) -> dict[str, dict]:
    parser = _Inputs()
    parser.feed(html)
    return parser.fields


def values(html: str, *names: str) -> tuple:
    fields = inputs(html)
    return tuple(fields[name]["value"].strip() for name in names)


def meeting_form() -> str:
    return f"/konsultacje/{SLUG}/spotkania/{db.session.scalar(select(Meeting)).id}/zapis"


def first_group() -> WorkingGroup:
    return db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.id)).first()


@pytest.fixture
def signup_open(torun, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    return torun


def group_data(client, **fields):
    data = {"full_name": "Anna Nowak", "email": "anna@ngo.example", "phone": "",
            "organisation_name": ANNA_ORGANISATION, "organisation_address": "ul. Szeroka 1, 87-100 Toruń",
            "organisation_contact": "biuro@ngo.example", "prior_activity": "Warsztaty rowerowe.",
            "group": str(first_group().id), "recording_consent": "y", "privacy_notice": "y", **fields}
    data["csrf_token"] = form_token(client, GROUP_FORM)
    return {name: value for name, value in data.items() if value is not None}


def test_a_participant_finds_both_forms_filled_from_the_account_with_consents_unticked(
        client, signup_open, anna):
    login_as(client, anna)
    for url in (GROUP_FORM, meeting_form()):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert HINT in visible_text(html)
        assert values(html, "full_name", "email", "organisation_name") == (
            "Anna Nowak", "anna@ngo.example", ANNA_ORGANISATION), url
        fields = inputs(html)
        assert fields["phone"]["value"] == ""  # the account holds no phone number
        assert not fields["recording_consent"]["checked"] and not fields["privacy_notice"]["checked"], url


def test_the_group_form_leaves_what_the_account_does_not_hold_empty(client, signup_open, anna):
    login_as(client, anna)
    html = client.get(GROUP_FORM).get_data(as_text=True)
    assert values(html, "organisation_address", "organisation_contact", "prior_activity") == ("", "", "")


def test_a_participant_without_an_organisation_gets_name_and_email_only(client, signup_open, jan):
    login_as(client, jan)
    html = client.get(meeting_form()).get_data(as_text=True)
    assert values(html, "full_name", "email", "organisation_name") == ("Jan Kowalski", "jan@example.org", "")
    assert HINT in visible_text(html)


def test_an_anonymous_visitor_sees_empty_fields_and_no_hint(client, signup_open):
    for url in (GROUP_FORM, meeting_form()):
        html = client.get(url).get_data(as_text=True)
        assert values(html, "full_name", "email", "organisation_name") == ("", "", ""), url
        assert HINT not in visible_text(html)


def test_staff_sign_up_other_people_so_their_own_details_are_not_filled_in(client, signup_open, moderator):
    login_as(client, moderator)
    html = client.get(GROUP_FORM).get_data(as_text=True)
    assert values(html, "full_name", "email", "organisation_name") == ("", "", "")
    assert HINT not in visible_text(html)


def test_a_changed_name_is_stored_as_typed_not_as_in_the_profile(client, signup_open, anna):
    login_as(client, anna)
    response = client.post(GROUP_FORM, data=group_data(client, full_name="Anna Nowak-Wiśniewska"))
    assert response.status_code == 200 and "Miejsce czeka na Ciebie" in response.get_data(as_text=True)
    db.session.expire_all()
    [registration] = db.session.scalars(select(GroupRegistration)).all()
    assert registration.full_name == "Anna Nowak-Wiśniewska"
    assert registration.organisation_name == ANNA_ORGANISATION


def test_a_meeting_sign_up_stores_the_typed_organisation(client, signup_open, anna):
    login_as(client, anna)
    url = meeting_form()
    data = {"full_name": "Anna Nowak", "email": "anna.prywatnie@example.org", "organisation_name": "Klub Seniora",
            "recording_consent": "y", "privacy_notice": "y", "csrf_token": form_token(client, url),
            **ORGANISATION_FIELDS}
    assert client.post(url, data=data).status_code == 200
    db.session.expire_all()
    [registration] = db.session.scalars(select(MeetingRegistration)).all()
    assert (registration.email, registration.organisation_name) == ("anna.prywatnie@example.org", "Klub Seniora")


def test_a_validation_error_gives_back_what_was_typed_not_the_profile(client, signup_open, anna):
    login_as(client, anna)
    # The name is changed, the e-mail emptied and the organisation left out of the request entirely.
    response = client.post(GROUP_FORM, data=group_data(client, full_name="A. Nowak", email="",
                                                       organisation_name=None, privacy_notice=None))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Podaj nazwę organizacji" in html
    assert values(html, "full_name", "email", "organisation_name") == ("A. Nowak", "", "")
    assert inputs(html)["recording_consent"]["checked"] and not inputs(html)["privacy_notice"]["checked"]
    assert HINT not in visible_text(html)
    assert not db.session.scalars(select(GroupRegistration)).all()


def test_prefilling_adds_no_query(app, signup_open, anna, moderator, count_queries):
    """The organisation comes with the user (one joined query), whom the page loads anyway."""
    clients = {"anna": signed_in(app, anna), "moderator": signed_in(app, moderator)}
    counts = {}
    for who, client in clients.items():  # the same page, with and without a prefill
        with count_queries() as queries:
            html = client.get(GROUP_FORM).get_data(as_text=True)
        assert (HINT in visible_text(html)) is (who == "anna")
        counts[who] = queries.count
    assert counts["anna"] == counts["moderator"], counts
