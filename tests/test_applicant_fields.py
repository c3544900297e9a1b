"""The sign-up forms ask what the seed asks (issue 15): the same applicant fields for a meeting
as for a working group (which are required is the meeting's choice), optional accessibility
needs kept only with an explicit consent, and recording on the basis the privacy notice names —
the same words in the notice and in the forms."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.accounts import personal_data
from portal.extensions import db
from portal.pages import legal
from portal.pages.legal import LegalDocument, LegalKind
from portal.registrations import retention
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, WorkingGroup
from tests.conftest import form_token, login_as, visible_text
from tests.factories import ORGANISATION_FIELDS, SLUG

GROUP_FORM = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
PRIVACY = "/ochrona-danych-osobowych"
EDIT_PRIVACY = "/zespol/strony-prawne/ochrona-danych-osobowych"
DURING_SIGNUP = "2020-08-24 12:00:00"
BEFORE_THE_MEETING = "2020-09-02 12:00:00"
OPTIONAL = "(nieobowiązkowe)"
NEEDS_CONSENT = "Zgadzam się na przetwarzanie informacji o moich potrzebach"
CLAUSE = re.compile(r"<div data-recording-clause>(.*?)</div>", re.S)


def meeting() -> Meeting:
    return db.session.scalar(select(Meeting))


def meeting_form() -> str:
    return f"/konsultacje/{SLUG}/spotkania/{meeting().id}/zapis"


def person(n=0, **fields):
    return {"full_name": f"Osoba {n}", "email": f"osoba{n}@ngo.example", "phone": "600 100 200",
            "organisation_name": f"Stowarzyszenie {n}", **ORGANISATION_FIELDS, "privacy_notice": "y", **fields}


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": form_token(client, url)})


def meeting_registrations():
    db.session.expire_all()
    return db.session.scalars(select(MeetingRegistration).order_by(MeetingRegistration.id)).all()


def label_of(html: str, field: str) -> str:
    match = re.search(rf'<label class="field__label" for="{field}">(.*?)</label>', html, re.S)
    return visible_text(match.group(1)) if match else ""


def clause(html: str) -> str:
    """The recording clause's words as a person reads them."""
    [found] = CLAUSE.findall(html)
    return visible_text(found)


@pytest.fixture
def meeting_open(torun, frozen_clock):
    frozen_clock.set_local(BEFORE_THE_MEETING)
    return torun


@pytest.fixture
def signup_open(torun, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    return torun


# --- the applicant's details -----------------------------------------------------------------

def test_the_meeting_form_stores_what_the_seed_asks_of_every_applicant(client, meeting_open, smtp_sink):
    data = person(prior_activity="Od 2015 r. prowadzę zajęcia dla seniorów w Stowarzyszeniu.",
                  organisation_contact="+48 56 611 11 11")
    response = post(client, meeting_form(), **data)
    assert response.status_code == 200 and "Sprawdź skrzynkę e-mail" in response.get_data(as_text=True)
    [registration] = meeting_registrations()
    assert (registration.full_name, registration.email, registration.phone, registration.organisation_name,
            registration.organisation_address, registration.organisation_contact, registration.prior_activity) == (
        "Osoba 0", "osoba0@ngo.example", "600 100 200", "Stowarzyszenie 0", "ul. Szeroka 1, 87-100 Toruń",
        "+48 56 611 11 11", "Od 2015 r. prowadzę zajęcia dla seniorów w Stowarzyszeniu.")


def test_a_meeting_requires_the_fields_it_chose_and_labels_the_others_optional(client, meeting_open):
    html = client.get(meeting_form()).get_data(as_text=True)  # a new meeting: as for working groups
    assert OPTIONAL in label_of(html, "phone")
    for name in ("organisation_address", "organisation_contact", "prior_activity"):
        assert OPTIONAL not in label_of(html, name), name
    missing = post(client, meeting_form(), **person(organisation_address="", prior_activity=""))
    html = missing.get_data(as_text=True)
    assert "Podaj adres siedziby organizacji." in html and "Napisz krótko o swoich dotychczasowych działaniach." in html
    assert 'value="Stowarzyszenie 0"' in html and 'value="biuro@ngo.example"' in html  # typed text kept
    assert not meeting_registrations()

    meeting().required_fields = "phone"  # the office asks only for a phone for this meeting
    db.session.commit()
    html = client.get(meeting_form()).get_data(as_text=True)
    assert OPTIONAL not in label_of(html, "phone")
    for name in ("organisation_address", "organisation_contact", "prior_activity"):
        assert OPTIONAL in label_of(html, name), name
    html = post(client, meeting_form(), **person(phone="", organisation_address="", organisation_contact="",
                                                 prior_activity="")).get_data(as_text=True)
    assert 'id="phone-error"' in html and "Podaj numer telefonu." in html and not meeting_registrations()
    post(client, meeting_form(), **person(organisation_address="", organisation_contact="", prior_activity=""))
    [registration] = meeting_registrations()
    assert (registration.phone, registration.organisation_address, registration.prior_activity) == ("600 100 200", "", "")


def test_the_group_form_still_requires_the_organisations_address_contact_and_activity(client, signup_open):
    group = db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position))
    html = post(client, GROUP_FORM, **person(group=str(group.id), phone="", organisation_address="",
                                             organisation_contact="", prior_activity="")).get_data(as_text=True)
    for name in ("organisation_address", "organisation_contact", "prior_activity"):
        assert f'id="{name}-error"' in html and OPTIONAL not in label_of(html, name), name
    assert 'id="phone-error"' not in html and OPTIONAL in label_of(html, "phone")
    assert not db.session.scalars(select(GroupRegistration)).all()


# --- accessibility needs --------------------------------------------------------------------

def test_accessibility_needs_need_an_explicit_consent_and_keep_what_was_typed(client, meeting_open, frozen_clock):
    details = "Tłumacz PJM przez całe spotkanie, proszę."
    html = post(client, meeting_form(), **person(accessibility_needs=["pjm", "captions"],
                                                 accessibility_details=details)).get_data(as_text=True)
    assert 'id="accessibility_consent-error"' in html and not meeting_registrations()
    assert details in html and 'value="pjm" checked' in html and 'value="captions" checked' in html
    assert 'value="other" checked' not in html

    post(client, meeting_form(), **person(accessibility_needs=["pjm", "captions"], accessibility_details=details,
                                          accessibility_consent="y"))
    [registration] = meeting_registrations()
    assert registration.accessibility_needs == "pjm,captions" and registration.accessibility_details == details
    assert registration.accessibility_consent_at == clock.now_utc()


def test_without_needs_no_consent_is_asked_or_stored(client, meeting_open):
    post(client, meeting_form(), **person(accessibility_consent="y"))  # ticked, but nothing to consent to
    [registration] = meeting_registrations()
    assert (registration.accessibility_needs, registration.accessibility_details,
            registration.accessibility_consent_at) == ("", "", None)


def test_other_needs_are_described_and_a_description_alone_counts_as_a_need(client, meeting_open):
    html = post(client, meeting_form(), **person(accessibility_needs=["other"],
                                                 accessibility_consent="y")).get_data(as_text=True)
    assert 'id="accessibility_details-error"' in html and "Opisz, czego potrzebujesz." in html
    html = post(client, meeting_form(), **person(accessibility_details="Pętla indukcyjna.")).get_data(as_text=True)
    assert 'id="accessibility_consent-error"' in html and not meeting_registrations()


def test_the_group_form_takes_accessibility_needs_too(client, signup_open):
    group = db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position))
    post(client, GROUP_FORM, **person(group=str(group.id), accessibility_needs=["captions"],
                                      accessibility_consent="y"))
    db.session.expire_all()
    [registration] = db.session.scalars(select(GroupRegistration)).all()
    assert registration.accessibility_needs == "captions" and registration.accessibility_consent_at is not None


# --- recording ------------------------------------------------------------------------------

def publish_privacy_notice(client, admin, basis: str, refusal: str = "camera_off"):
    """The admin publishes a new privacy notice version with this recording basis, with the form."""
    login_as(client, admin)
    html = client.get(EDIT_PRIVACY).get_data(as_text=True)
    body = re.search(r'<textarea[^>]*name="body"[^>]*>\n?(.*?)</textarea>', html, re.S).group(1)
    response = client.post(EDIT_PRIVACY, data={
        "title": "Ochrona danych osobowych", "body": body.replace("&#34;", '"').replace("&#39;", "'")
        .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"),
        "recording_basis": basis, "recording_refusal": refusal, "action": "publish",
        "csrf_token": form_token(client, EDIT_PRIVACY)})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.post("/wyloguj", data={"csrf_token": form_token(client, "/konto")})


def test_the_privacy_notice_and_the_forms_say_the_same_about_recording_whatever_the_basis(
        client, signup_open, admin):
    def both():
        notice = client.get(PRIVACY).get_data(as_text=True)
        form = client.get(meeting_form()).get_data(as_text=True)
        group_form = client.get(GROUP_FORM).get_data(as_text=True)
        assert clause(notice) == clause(form) == clause(group_form)
        assert notice.count("data-recording-clause") == 1  # shown once, also under an edited text
        return clause(notice), form

    words, form = both()  # nothing published yet: the built-in notice, consent, camera off
    assert "art. 6 ust. 1 lit. a RODO — Twoja zgoda" in words and "z wyłączoną kamerą i mikrofonem" in words
    assert 'name="recording_consent"' in form

    publish_privacy_notice(client, admin, "public_task")
    words, form = both()
    assert "art. 6 ust. 1 lit. e RODO — zadanie publiczne" in words and "lit. a" not in words
    assert 'name="recording_consent"' not in form and "Spotkanie jest nagrywane" in form

    publish_privacy_notice(client, admin, "consent", "listener")
    words, form = both()
    assert "art. 6 ust. 1 lit. a RODO — Twoja zgoda" in words and "jako osoba słuchająca" in words
    assert 'name="recording_consent"' in form
    # An archived version keeps its own basis.
    assert "zadanie publiczne" in clause(client.get(f"{PRIVACY}/wersje/2").get_data(as_text=True))


def test_the_first_stored_version_has_the_default_basis_and_no_second_recording_section(
        admin_client, torun):
    admin_client.get(EDIT_PRIVACY)  # stores the built-in text as version 1
    [first] = db.session.scalars(select(LegalDocument).where(LegalDocument.kind == LegalKind.PRIVACY)).all()
    assert (first.recording_basis, first.recording_refusal) == ("consent", "camera_off")
    assert "Nagrywanie spotkań online" not in first.body  # the page adds it under the text
    assert "Powiadomienia o nowych konsultacjach" in first.body
    page = admin_client.get(PRIVACY).get_data(as_text=True)
    assert page.count("Nagrywanie spotkań online") == 1


def test_only_the_privacy_notice_editor_offers_a_recording_basis(admin_client, torun):
    assert 'name="recording_basis"' in admin_client.get(EDIT_PRIVACY).get_data(as_text=True)
    assert 'name="recording_basis"' not in admin_client.get(
        "/zespol/strony-prawne/deklaracja-dostepnosci").get_data(as_text=True)


def test_refusing_recording_consent_registers_and_says_how_the_person_takes_part(
        client, meeting_open, smtp_sink):
    html = post(client, meeting_form(), **person()).get_data(as_text=True)  # the box left empty
    assert "Sprawdź skrzynkę e-mail" in html and "z wyłączoną kamerą i mikrofonem" in html
    [registration] = meeting_registrations()
    assert (registration.recording_consent, registration.recording_basis,
            registration.privacy_notice_version) == (False, "consent", "2020-08")
    [message] = smtp_sink.to("osoba0@ngo.example")
    assert "z wyłączoną kamerą i mikrofonem" in message.get_content()

    post(client, meeting_form(), **person(1, recording_consent="y"))
    consenting = meeting_registrations()[1]
    assert consenting.recording_consent and consenting.recording_basis == "consent"
    [message] = smtp_sink.to("osoba1@ngo.example")
    assert "kamerą" not in message.get_content()


def test_under_public_task_nobody_is_asked_and_the_basis_is_stored(client, meeting_open, admin):
    publish_privacy_notice(client, admin, "public_task")
    html = post(client, meeting_form(), **person(recording_consent="y")).get_data(as_text=True)
    assert "kamerą" not in html
    [registration] = meeting_registrations()
    version = db.session.scalar(select(LegalDocument).where(LegalDocument.version == 2))
    assert (registration.recording_basis, registration.recording_consent) == ("public_task", False)
    assert registration.privacy_notice_version == version.label


# --- the person's data ----------------------------------------------------------------------

def test_the_export_holds_the_new_fields_and_erasure_blanks_them(client, meeting_open):
    post(client, meeting_form(), **person(accessibility_needs=["pjm"], accessibility_details="Tłumacz PJM.",
                                          accessibility_consent="y"))
    [exported] = personal_data.registrations_export("osoba0@ngo.example")["meeting_registrations"]
    assert {key: exported[key] for key in (
        "organisation_address", "organisation_contact", "prior_activity", "recording_basis", "recording_consent",
        "accessibility_needs", "accessibility_details")} == {
        **ORGANISATION_FIELDS, "recording_basis": "consent", "recording_consent": False,
        "accessibility_needs": ["pjm"], "accessibility_details": "Tłumacz PJM."}
    assert exported["accessibility_consent_at"] == clock.now_utc().isoformat()

    [registration] = meeting_registrations()
    retention.erase_personal_data(registration, clock.now_utc())
    db.session.commit()
    [erased] = meeting_registrations()
    assert (erased.organisation_address, erased.organisation_contact, erased.prior_activity, erased.phone,
            erased.accessibility_needs, erased.accessibility_details, erased.accessibility_consent_at) == (
        "", "", "", "", "", "", None)
    assert erased.organisation_name == "Stowarzyszenie 0"  # the report counts it


def test_the_meeting_form_runs_a_fixed_number_of_queries(client, meeting_open, count_queries):
    with count_queries() as before:  # the built-in notice
        client.get(meeting_form())
    legal.publish(LegalKind.PRIVACY, None, "Ochrona danych osobowych", "Treść.", recording_refusal="listener")
    db.session.commit()
    with count_queries() as after:
        client.get(meeting_form())
    assert before.count == after.count


def test_the_sweep_forgets_accessibility_needs_once_the_meeting_is_over(app, client, meeting_open, frozen_clock):
    """The privacy notice promises that needs (possibly health data) are erased after the meeting."""
    post(client, meeting_form(), **person(accessibility_needs=["pjm", "other"], accessibility_details="Pętla indukcyjna.",
                                          accessibility_consent="y"))
    post(client, meeting_form(), **person(1))  # no needs: nothing to forget
    held = meeting()
    over = held.ends_at or held.starts_at + retention.DEFAULT_LENGTH

    def sweep() -> str:
        return app.test_cli_runner().invoke(args=["registrations-sweep"]).output

    frozen_clock.set(over - timedelta(seconds=1))
    assert "accessibility needs forgotten 0" in sweep()
    [with_needs, _without] = meeting_registrations()
    assert (with_needs.accessibility_needs, with_needs.accessibility_details) == ("pjm,other", "Pętla indukcyjna.")

    frozen_clock.set(over)
    assert "accessibility needs forgotten 1" in sweep()
    [forgotten, _without] = meeting_registrations()
    assert (forgotten.accessibility_needs, forgotten.accessibility_details, forgotten.accessibility_consent_at) == (
        "", "", None)
    assert forgotten.full_name == "Osoba 0" and forgotten.organisation_address  # the rest stays until retention
    assert "accessibility needs forgotten 0" in sweep()
