"""RODO: a person's complete export (art. 15 and 20) and complete erasure (art. 17), issue 16."""
import json
import re

import pytest
from sqlalchemy import String, Text, select

from portal import clock
from portal.accounts import admin_services
from portal.accounts.models import User
from portal.audit import AuditLog
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.models import Post, PostState, Thread
from portal.moderation import flags
from portal.moderation.models import FlagReason
from portal.news.models import NewsStatus, NewsSubscription
from portal.registrations import services as registrations
from portal.registrations.models import GroupRegistration, Meeting, Status, WorkingGroup
from tests.conftest import PASSWORD, form_token, log_in, signed_in, visible_text
from tests.factories import SLUG, add_comment

NAME = "Zuzanna Przykładowa"
EMAIL = "zuzanna.p@przyklad.example"
PHONE = "+48 601 234 567"
DURING_SIGNUP = "2020-08-24 12:00:00"
DURING_COMMENTS = "2020-09-20 12:00:00"

PUBLISHED = "Proponujemy wydłużyć terminy konsultacji do 30 dni."
EDITED = "Proponujemy wydłużyć terminy konsultacji do 45 dni."
REPLY = "Zgadzamy się z przedmówcą co do finansowania."
PENDING = "Uwaga czekająca na moderatora o dotacjach."


def _applicant(name, email, phone=""):
    return registrations.Applicant(full_name=name, email=email, organisation_name="Stowarzyszenie Przykład",
                                   recording_consent=True, phone=phone,
                                   organisation_address="ul. Szeroka 1, 87-100 Toruń")


@pytest.fixture
def person(make_user, torun, general, jan, admin, frozen_clock):
    """Zuzanna with every kind of data the portal keeps; Tomasz waits for her seat in the group."""
    frozen_clock.set_local(DURING_SIGNUP)
    group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.consultation_id == torun.id)
                              .order_by(WorkingGroup.id))
    group.capacity = 1
    meeting = db.session.scalar(select(Meeting).where(Meeting.consultation_id == torun.id).order_by(Meeting.id))
    consultation = db.session.get(Consultation, torun.id)
    registrations.take_seat(consultation, group, _applicant(NAME, EMAIL, PHONE))
    registrations.take_seat(consultation, group, _applicant("Tomasz Czekający", "tomasz@ngo.example"))
    registrations.register_for_meeting(meeting, _applicant(NAME, EMAIL, PHONE))
    db.session.commit()

    frozen_clock.set_local(DURING_COMMENTS)
    zuzanna = make_user(EMAIL, name=NAME)
    jans = add_comment(general, jan, "Brakuje w programie finansowania wkładu własnego.")
    published = add_comment(general, zuzanna, PUBLISHED)
    add_comment(general, zuzanna, REPLY, parent=jans)
    add_comment(general, zuzanna, PENDING, state=PostState.PENDING)
    db.session.commit()
    forum.edit_comment(zuzanna, published, EDITED)
    forum.subscribe(zuzanna, general)
    flags.report(zuzanna, jans, FlagReason.OFF_TOPIC, "Nie dotyczy projektu.")
    admin_services.set_trusted(admin, zuzanna, True, f"{NAME} pisze rzeczowo, {EMAIL}")
    db.session.add(NewsSubscription(email=EMAIL.upper(), status=NewsStatus.CONFIRMED, privacy_notice_version="1",
                                    privacy_notice_accepted_at=clock.now_utc()))
    db.session.commit()
    return zuzanna, group, published


def _export(client):
    response = client.get("/konto/moje-dane.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def test_the_export_holds_every_kind_of_the_persons_data(client, person, general):
    zuzanna, group, _published = person
    log_in(client, EMAIL)
    data = _export(client)

    assert data["account"]["email"] == EMAIL and data["account"]["display_name"] == NAME
    comments = {c["body"]: c for c in data["comments"]}
    assert comments[EDITED]["state"] == "approved" and comments[EDITED]["thread"]["title"] == "Uwagi ogólne"
    assert comments[REPLY]["reply_to"] is not None
    assert comments[PENDING]["state"] == "pending"
    assert [r["body"] for r in data["revisions"]] == [PUBLISHED]
    assert [s["thread"]["id"] for s in data["subscriptions"]] == [general.id]
    assert [(f["reason"], f["note"]) for f in data["flags"]] == [("off_topic", "Nie dotyczy projektu.")]
    [seat] = data["group_registrations"]
    assert (seat["group"], seat["status"], seat["phone"]) == (group.name, "pending", PHONE)
    [place] = data["meeting_registrations"]
    assert place["full_name"] == NAME and place["status"] == "pending"
    [news] = data["news_subscriptions"]  # subscribed in capitals: the same person
    assert (news["email"], news["status"]) == (EMAIL.upper(), "confirmed")
    subjects = [e["subject"] for e in data["emails"]]
    assert len(subjects) >= 2 and all(e["to"].lower() == EMAIL for e in data["emails"])
    assert any(entry["action"] == "trust_changed" for entry in data["log"])


def test_the_same_data_reads_as_a_page_linked_from_the_profile(client, person):
    log_in(client, EMAIL)
    assert 'href="/konto/moje-dane"' in client.get("/konto").get_data(as_text=True)
    response = client.get("/konto/moje-dane")
    text = visible_text(response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"
    for expected in (EDITED, PUBLISHED, REPLY, "Nie dotyczy projektu.", PHONE, "Obserwowane wątki"):
        assert expected in text


def test_the_export_takes_the_same_number_of_queries_however_much_there_is(client, person, general, jan,
                                                                          count_queries):
    zuzanna, _group, _published = person
    user_id, thread_id = zuzanna.id, general.id
    log_in(client, EMAIL)
    with count_queries() as few:
        _export(client)
    for n in range(3):
        add_comment(db.session.get(Thread, thread_id), db.session.get(User, user_id), f"Kolejna uwaga {n}.")
    db.session.commit()
    with count_queries() as more:
        data = _export(client)
    assert len(data["comments"]) == 6
    assert more.count == few.count <= 10  # the user, then one query per kind


def _texts_in_every_table() -> list[tuple[str, str, str]]:
    """(table, column, value) for every String and Text column of every table."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)).all():
            found += [(table.name, column.name, value) for column, value in zip(columns, row) if value]
    return found


def _switch_language(client, lang, back_to):
    client.post("/jezyk", data={"lang": lang, "next": back_to, "csrf_token": form_token(client, back_to)})


def test_deleting_the_account_leaves_nothing_personal_in_any_table(app, client, person, general, moderator,
                                                                    smtp_sink):
    zuzanna, group, published = person
    needles = [NAME.lower(), EMAIL, PHONE, "601 234 567"]

    def tables_naming_her() -> set[str]:
        return {table for table, _column, value in _texts_in_every_table()
                if any(needle in value.lower() for needle in needles)}

    assert tables_naming_her() >= {"user_account", "group_registration", "meeting_registration",
                                   "outbox_message", "audit_log", "news_subscription"}  # the scan sees her before
    log_in(client, EMAIL)
    response = client.post("/konto/usun", data={"current_password": PASSWORD, "confirm": "y",
                                                "csrf_token": form_token(client, "/konto/usun")},
                           follow_redirects=True)
    assert "Konto zostało usunięte" in response.get_data(as_text=True)
    db.session.expire_all()

    assert tables_naming_her() == set()

    # The freed seat went to the first person waiting, who was told by e-mail.
    tomasz = db.session.scalar(select(GroupRegistration).where(GroupRegistration.email == "tomasz@ngo.example"))
    assert tomasz.status == Status.PENDING and tomasz.hold_expires_at is not None
    assert smtp_sink.to("tomasz@ngo.example")
    ended = db.session.scalars(select(GroupRegistration).where(GroupRegistration.group_id == group.id,
                                                               GroupRegistration.id != tomasz.id)).all()
    assert [r.status for r in ended] == [Status.WITHDRAWN]

    # The unpublished comment left the moderation queue; the published one stays, signed in the reader's language.
    pending = db.session.scalar(select(Post).where(Post.moderation_reason == "wycofana — konto usunięte"))
    assert pending.state == PostState.REJECTED and pending.body == ""
    queue = signed_in(app, moderator).get("/moderacja/kolejka")
    assert queue.status_code == 200 and PENDING not in queue.get_data(as_text=True)

    thread_url = f"/konsultacje/{SLUG}/forum/watek/{general.id}"
    reader = app.test_client()
    page = visible_text(reader.get(thread_url).get_data(as_text=True))
    assert EDITED in page and "Konto usunięte" in page and NAME not in page
    _switch_language(reader, "en", thread_url)
    page = visible_text(reader.get(thread_url).get_data(as_text=True))
    assert EDITED in page and "Deleted account" in page and "Konto usunięte" not in page

    # The log records the erasure, with counts and nothing erased.
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "account_erased")).all()
    assert entry.target_id == zuzanna.id and entry.after_data["registrations"] == 2
    assert entry.after_data["withdrawn_comments"] == 1 and entry.after_data["subscriptions"] == 1


def test_an_applicant_without_an_account_gets_their_registrations_by_an_e_mailed_link(client, person, smtp_sink):
    form = "/moje-zgloszenia/dane"
    known = client.post(form, data={"email": EMAIL, "csrf_token": form_token(client, form)})
    unknown = client.post(form, data={"email": "nikt@przyklad.example", "csrf_token": form_token(client, form)})
    assert known.status_code == unknown.status_code == 200

    def answer(response, address):
        return visible_text(response.get_data(as_text=True)).replace(address, "ADRES")

    assert answer(known, EMAIL) == answer(unknown, "nikt@przyklad.example")
    assert smtp_sink.to("nikt@przyklad.example") == []
    [message] = smtp_sink.to(EMAIL)
    link = re.sub(r"^https?://[^/]+", "", smtp_sink.last_link(EMAIL))
    assert "token=" in link and "token=" not in link.partition("?")[0]

    data = json.loads(client.get(link).get_data(as_text=True))
    assert [r["phone"] for r in data["group_registrations"]] == [PHONE]
    assert [r["full_name"] for r in data["meeting_registrations"]] == [NAME]
    forged = client.get(link[:-3] + "abc")
    assert forged.status_code == 400 and "Link nie działa" in forged.get_data(as_text=True)


def test_the_link_to_registration_data_expires_after_a_day(client, person, smtp_sink, frozen_clock):
    form = "/moje-zgloszenia/dane"
    client.post(form, data={"email": EMAIL, "csrf_token": form_token(client, form)})
    link = re.sub(r"^https?://[^/]+", "", smtp_sink.last_link(EMAIL))
    frozen_clock.set_local("2020-09-21 12:00:01")
    expired = client.get(link)
    assert expired.status_code == 400 and "Ten link wygasł." in expired.get_data(as_text=True)
