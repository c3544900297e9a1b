"""News of consultations by e-mail (issue 15, item 8): subscribe with double opt-in, be told when a
consultation is published or a phase starts, leave in one click (RFC 8058); and the Atom feed."""
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal import clock, mail
from portal.consultations.models import Consultation, Phase, PhaseKind, Status
from portal.extensions import db
from portal.news import services
from portal.news.models import NewsStatus, NewsSubscription
from portal.pages import legal
from tests.conftest import form_token, visible_text

FORM = "/powiadomienia"
EMAIL = "ola@ngo.example"
NOW = datetime(2021, 3, 1, 10, 0, tzinfo=timezone.utc)
ATOM_NS = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def now(frozen_clock):
    frozen_clock.set(NOW)
    return NOW


def _ask(client, email, consent="y", **extra):
    data = {"email": email, "csrf_token": form_token(client, FORM), **extra}
    if consent:
        data["consent"] = consent
    return client.post(FORM, data=data)


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def _subscription(email=EMAIL) -> NewsSubscription | None:
    db.session.expire_all()
    return db.session.scalar(select(NewsSubscription).where(NewsSubscription.email == email))


def _subscriber(email, status=NewsStatus.CONFIRMED, sent_at=None) -> NewsSubscription:
    subscription = NewsSubscription(email=email, status=status, privacy_notice_version="2020-08",
                                    privacy_notice_accepted_at=clock.now_utc(),
                                    confirmation_sent_at=sent_at or clock.now_utc() - timedelta(days=1))
    db.session.add(subscription)
    db.session.commit()
    return subscription


def _consultation(slug="budzet-2021", title="Budżet obywatelski 2021", status=Status.PUBLISHED,
                  phases=()) -> Consultation:
    consultation = Consultation(slug=slug, title=title, lead=f"Wstęp: {title}.", status=status)
    for position, (name, starts_at) in enumerate(phases):
        consultation.phases.append(Phase(position=position, kind=PhaseKind.OTHER, title=name,
                                         starts_at=starts_at, ends_at=starts_at + timedelta(days=14)))
    db.session.add(consultation)
    db.session.commit()
    return consultation


def _sweep(app) -> int:
    announced = services.announce_phase_starts()
    db.session.commit()
    mail.deliver()
    return announced


def _confirm_link(smtp_sink, email=EMAIL) -> str:
    return _path(smtp_sink.last_link(email))


def _subscribe_and_confirm(client, smtp_sink, email=EMAIL):
    _ask(client, email)
    link = _confirm_link(smtp_sink, email)
    return client.post(link, data={"csrf_token": form_token(client, link)})


# --- subscribing ----------------------------------------------------------------------------------

def test_a_confirmation_link_is_sent_and_only_its_button_confirms(client, app, now, smtp_sink):
    response = _ask(client, "Ola@NGO.example ")
    assert response.status_code == 200
    assert "Jeśli adres ola@ngo.example jest poprawny, wyślemy na niego link potwierdzający" in \
        visible_text(response.get_data(as_text=True))
    [message] = smtp_sink.to(EMAIL)
    assert message["Subject"] == "Potwierdź zapis na powiadomienia o konsultacjach"
    assert "List-Unsubscribe" not in message  # not news yet
    subscription = _subscription()
    assert subscription.status == NewsStatus.PENDING
    assert subscription.privacy_notice_version == legal.current_privacy_version()
    assert subscription.privacy_notice_accepted_at == NOW and subscription.locale == "pl"

    link = _confirm_link(smtp_sink)
    page = client.get(link)  # a link scanner, or the person opening the e-mail
    assert page.status_code == 200 and "Tak, potwierdzam zapis" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert _subscription().status == NewsStatus.PENDING

    assert client.post(link, data={}).status_code == 400  # no CSRF: nothing happens
    assert _subscription().status == NewsStatus.PENDING
    response = client.post(link, data={"csrf_token": form_token(client, link)})
    assert response.status_code == 303
    assert _subscription().status == NewsStatus.CONFIRMED and _subscription().confirmed_at == NOW
    after = visible_text(client.get(link).get_data(as_text=True))
    assert "Gotowe — będziemy wysyłać powiadomienia" in after and "Wypisz się z powiadomień" in after


def test_the_answer_is_the_same_whatever_the_address_was(client, app, now, smtp_sink):
    _subscriber("pending@x.pl", NewsStatus.PENDING, sent_at=NOW - timedelta(hours=1))
    _subscriber("confirmed@x.pl", NewsStatus.CONFIRMED)
    _subscriber("left@x.pl", NewsStatus.UNSUBSCRIBED)
    answers = {address: _ask(client, address) for address in
               ("new@x.pl", "pending@x.pl", "confirmed@x.pl", "left@x.pl")}
    texts = {visible_text(r.get_data(as_text=True)).replace(a, "ADRES") for a, r in answers.items()}
    assert len(texts) == 1 and {r.status_code for r in answers.values()} == {200}
    ignored = {"Date", "Content-Length", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"}
    headers = [{k: v for k, v in r.headers.items() if k not in ignored} for r in answers.values()]
    assert all(h == headers[0] for h in headers)
    # Every one got an e-mail: a confirmation, or for the confirmed one a note with the way out.
    assert [smtp_sink.to(a)[0]["Subject"] for a in answers] == [
        "Potwierdź zapis na powiadomienia o konsultacjach"] * 2 + [
        "Ten adres już otrzymuje powiadomienia o konsultacjach",
        "Potwierdź zapis na powiadomienia o konsultacjach"]
    assert "/powiadomienia/wypisz/" in smtp_sink.to("confirmed@x.pl")[0].get_content()
    assert _subscription("confirmed@x.pl").status == NewsStatus.CONFIRMED


def test_asking_again_within_ten_minutes_sends_nothing_more(client, now, smtp_sink, frozen_clock):
    _ask(client, EMAIL)
    _ask(client, EMAIL)
    assert len(smtp_sink.to(EMAIL)) == 1
    frozen_clock.set(NOW + services.CONFIRMATION_AGAIN_AFTER)
    _ask(client, EMAIL)
    assert len(smtp_sink.to(EMAIL)) == 2


def test_an_unsubscribed_address_that_subscribes_again_must_confirm_again(client, now, smtp_sink):
    subscription = _subscriber(EMAIL, NewsStatus.UNSUBSCRIBED)
    _ask(client, EMAIL)
    assert _subscription().status == NewsStatus.PENDING
    _subscribe_and_confirm(client, smtp_sink)
    assert _subscription().status == NewsStatus.CONFIRMED and _subscription().id == subscription.id


def test_consent_is_required_and_what_was_typed_stays(client, now, smtp_sink):
    response = _ask(client, EMAIL, consent=None)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'value="{EMAIL}"' in html
    assert "Zaznacz zgodę" in html and smtp_sink.messages == [] and _subscription() is None


def test_the_form_shows_the_rodo_clause_with_consent_as_the_basis(client, app, now):
    text = visible_text(client.get(FORM).get_data(as_text=True))
    assert f"Administrator danych: {app.config['SITE_OWNER']}." in text
    assert "art. 6 ust. 1 lit. a RODO" in text and "wycofać w każdej chwili" in text
    assert f"wersja {legal.current_privacy_version()}" in text


def test_a_script_that_fills_the_honeypot_gets_the_same_answer_and_no_e_mail(client, now, smtp_sink):
    spam = _ask(client, EMAIL, website="http://spam.example")
    person = _ask(client, "ktos@x.pl")
    assert visible_text(spam.get_data(as_text=True)).replace(EMAIL, "ADRES") == \
        visible_text(person.get_data(as_text=True)).replace("ktos@x.pl", "ADRES")
    assert smtp_sink.to(EMAIL) == [] and _subscription() is None


def test_subscribing_too_often_from_one_address_is_refused(app, client, now, smtp_sink):
    app.config["NEWS_SUBSCRIBE_LIMIT_PER_IP"] = "2 per hour"
    assert [_ask(client, f"osoba{n}@x.pl").status_code for n in range(3)] == [200, 200, 429]


def test_another_spelling_of_a_confirmed_address_gets_the_note_at_the_stored_address(client, now, smtp_sink):
    _subscriber("ola+news@ngo.example")
    _ask(client, EMAIL)
    assert smtp_sink.to(EMAIL) == []
    [note] = smtp_sink.to("ola+news@ngo.example")
    assert note["Subject"] == "Ten adres już otrzymuje powiadomienia o konsultacjach"


# --- links refused politely -----------------------------------------------------------------------

def test_an_expired_confirmation_link_is_refused_politely(client, now, smtp_sink, frozen_clock):
    _ask(client, EMAIL)
    link = _confirm_link(smtp_sink)
    frozen_clock.set(NOW + services.CONFIRMATION_VALID + timedelta(seconds=1))
    response = client.get(link)
    text = visible_text(response.get_data(as_text=True))
    assert response.status_code == 410 and "Ten link do potwierdzenia zapisu wygasł" in text
    assert "Zapisz się na powiadomienia ponownie" in text
    assert client.post(link, data={"csrf_token": form_token(client, FORM)}).status_code == 410
    assert _subscription().status == NewsStatus.PENDING


def test_forged_links_are_refused_politely(client, now, smtp_sink):
    _subscriber(EMAIL)
    for link in ("/powiadomienia/potwierdz/abc.def.ghi", "/powiadomienia/wypisz/WzFd.forged"):
        response = client.get(link)
        assert response.status_code == 404 and "Link nie działa" in response.get_data(as_text=True)
    response = client.post("/powiadomienia/wypisz/MQ.forged", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404 and _subscription().status == NewsStatus.CONFIRMED


def test_a_confirmation_link_dies_when_the_address_asks_again_in_another_spelling(client, now, smtp_sink,
                                                                                  frozen_clock):
    _ask(client, "ola+stary@ngo.example")
    old_link = _confirm_link(smtp_sink, "ola+stary@ngo.example")
    frozen_clock.set(NOW + timedelta(hours=1))
    _ask(client, EMAIL)
    assert client.get(old_link).status_code == 404
    assert client.get(_confirm_link(smtp_sink)).status_code == 200


# --- unsubscribing ------------------------------------------------------------------------------

def test_opening_the_unsubscribe_link_does_not_unsubscribe(client, now):
    link = _path(services.unsubscribe_url(_subscriber(EMAIL)))
    response = client.get(link)
    assert response.status_code == 200 and "Tak, wypisz mnie" in response.get_data(as_text=True)
    assert _subscription().status == NewsStatus.CONFIRMED


def test_a_mail_providers_one_click_post_unsubscribes_without_csrf(client, now):
    link = _path(services.unsubscribe_url(_subscriber(EMAIL)))
    response = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _subscription().status == NewsStatus.UNSUBSCRIBED and _subscription().unsubscribed_at == NOW
    assert client.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # again: fine


def test_a_post_without_one_click_needs_the_pages_csrf_token(client, now):
    link = _path(services.unsubscribe_url(_subscriber(EMAIL)))
    assert client.post(link, data={}).status_code == 400
    assert _subscription().status == NewsStatus.CONFIRMED
    response = client.post(link, data={"csrf_token": form_token(client, link)})
    assert response.status_code == 303
    assert _subscription().status == NewsStatus.UNSUBSCRIBED
    text = visible_text(client.get(link).get_data(as_text=True))
    assert "Wypisaliśmy adres z powiadomień" in text and "Zapisz się ponownie" in text


# --- news of a publication ------------------------------------------------------------------------

def _publish(admin_client, slug, status="published"):
    url = f"/zespol/konsultacje/{slug}/publikacja"
    token = form_token(admin_client, f"/zespol/konsultacje/{slug}/edycja")
    return admin_client.post(url, data={"csrf_token": token, "status": status})


def test_publishing_tells_confirmed_subscribers_once_with_one_click_headers(admin_client, now, smtp_sink):
    reader = _subscriber("czytelnik@x.pl")
    _subscriber("pending@x.pl", NewsStatus.PENDING)
    _subscriber("left@x.pl", NewsStatus.UNSUBSCRIBED)
    draft = _consultation(status=Status.DRAFT, phases=[("Zbieranie pomysłów", NOW - timedelta(days=1))])
    smtp_sink.clear()

    assert _publish(admin_client, draft.slug).status_code == 303
    [news] = smtp_sink.messages
    assert news["To"] == "czytelnik@x.pl"
    assert news["Subject"] == "Nowe konsultacje społeczne: Budżet obywatelski 2021"
    unsubscribe = services.unsubscribe_url(reader)
    assert news["List-Unsubscribe"].strip() == f"<{unsubscribe}>"  # a long header is folded
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = news.get_content()
    assert "http://localhost/konsultacje/budzet-2021" in body and unsubscribe in body
    db.session.expire_all()
    assert db.session.get(Consultation, draft.id).news_sent_at == NOW

    _publish(admin_client, draft.slug, status="draft")
    _publish(admin_client, draft.slug)
    assert len(smtp_sink.messages) == 1  # a republication is not news
    # The phase that had started before the publication was told by it: the sweep stays silent.
    assert services.announce_phase_starts() == 0


# --- news of phases ------------------------------------------------------------------------------

def test_a_phase_start_is_announced_once_however_many_sweeps(app, now, smtp_sink, frozen_clock):
    _subscriber("a@x.pl")
    _subscriber("b@x.pl")
    consultation = _consultation(phases=[("Zapisy do grup roboczych", NOW + timedelta(hours=1)),
                                         ("Uwagi do projektu", NOW + timedelta(days=5))])
    consultation.news_sent_at = NOW
    db.session.commit()
    assert _sweep(app) == 0 and smtp_sink.messages == []

    frozen_clock.set(NOW + timedelta(hours=2))
    assert _sweep(app) == 1
    assert _sweep(app) == 0
    assert sorted(m["To"] for m in smtp_sink.messages) == ["a@x.pl", "b@x.pl"]
    news = smtp_sink.to("a@x.pl")[0]
    assert news["Subject"] == "Konsultacje „Budżet obywatelski 2021”: zaczyna się kolejny etap"
    assert "Zapisy do grup roboczych" in news.get_content() and "Uwagi do projektu" not in news.get_content()
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_two_sweeps_at_once_announce_a_phase_once(app, now, smtp_sink):
    _subscriber("a@x.pl")
    _consultation(phases=[("Zapisy", NOW - timedelta(hours=1))])
    first = services.announce_phase_starts()
    second = services.announce_phase_starts()  # in the same transaction: the claim already holds it
    db.session.commit()
    mail.deliver()
    assert (first, second) == (1, 0) and len(smtp_sink.to("a@x.pl")) == 1


def test_a_phase_first_seen_a_week_after_it_started_is_marked_without_news(app, now, smtp_sink):
    _subscriber("a@x.pl")
    _consultation(phases=[("Dawny etap", NOW - timedelta(days=8))])
    assert _sweep(app) == 0 and smtp_sink.messages == []
    db.session.expire_all()
    assert db.session.scalar(select(Phase.news_sent_at)) == NOW


def test_phases_of_drafts_are_not_announced_until_published(app, now, smtp_sink):
    _subscriber("a@x.pl")
    _consultation(status=Status.DRAFT, phases=[("Zapisy", NOW - timedelta(hours=1))])
    assert _sweep(app) == 0 and smtp_sink.messages == []
    assert db.session.scalar(select(Phase.news_sent_at)) is None


def test_the_sweep_runs_as_many_queries_for_many_subscribers_as_for_one(app, now, count_queries):
    def statements(subscribers: int, slug: str) -> list[str]:
        for n in range(subscribers):
            _subscriber(f"{slug}-{n}@x.pl")
        _consultation(slug=slug, phases=[("Zapisy", clock.now_utc() - timedelta(minutes=1))])
        with count_queries() as counted:
            services.announce_phase_starts()
        db.session.rollback()
        return [s.split()[0] for s in counted.statements if not s.lstrip().upper().startswith("INSERT")]

    assert statements(1, "jeden") == statements(20, "dwadziescia")


# --- forgetting ------------------------------------------------------------------------------------

def test_unconfirmed_addresses_are_forgotten_after_thirty_days(app, now):
    _subscriber("old@x.pl", NewsStatus.PENDING, sent_at=NOW - timedelta(days=31))
    _subscriber("recent@x.pl", NewsStatus.PENDING, sent_at=NOW - timedelta(days=29))
    _subscriber("confirmed@x.pl", NewsStatus.CONFIRMED, sent_at=NOW - timedelta(days=100))
    assert services.forget_unconfirmed() == 1
    db.session.commit()
    assert _subscription("old@x.pl") is None and _subscription("recent@x.pl") is not None


def test_the_persons_data_export_and_erasure(app, now):
    _subscriber("ola+news@ngo.example")
    [row] = services.export_for(EMAIL)
    assert row["email"] == "ola+news@ngo.example" and row["status"] == "confirmed"
    assert row["privacy_notice_version"] == "2020-08"
    assert services.erase_for(EMAIL) == 1
    assert services.export_for(EMAIL) == []


# --- the feed and the entry points ----------------------------------------------------------------

def test_the_atom_feed_lists_published_consultations_only(client, now):
    _consultation(slug="opublikowana", title="Program współpracy <2021> & więcej")
    _consultation(slug="szkic", title="Szkic tajny", status=Status.DRAFT)
    response = client.get("/konsultacje.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.data)
    entries = feed.findall(f"{ATOM_NS}entry")
    assert [e.findtext(f"{ATOM_NS}title") for e in entries] == ["Program współpracy <2021> & więcej"]
    entry = entries[0]
    assert entry.findtext(f"{ATOM_NS}id") == "http://localhost/konsultacje/opublikowana"
    assert entry.findtext(f"{ATOM_NS}summary") == "Wstęp: Program współpracy <2021> & więcej."
    assert entry.findtext(f"{ATOM_NS}updated") == "2021-03-01T10:00:00Z"
    assert feed.find(f"{ATOM_NS}author/{ATOM_NS}name") is not None
    assert b"Szkic tajny" not in response.data


def test_the_feed_runs_the_same_queries_for_many_consultations(client, now, count_queries):
    _consultation(slug="pierwsza")
    with count_queries() as few:
        client.get("/konsultacje.atom")
    for n in range(10):
        _consultation(slug=f"kolejna-{n}", phases=[("Etap", NOW - timedelta(days=n))])
    with count_queries() as many:
        client.get("/konsultacje.atom")
    assert many.count == few.count


def test_the_home_page_offers_news_by_e_mail_and_the_feed(client, now):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml"' in html and 'href="/konsultacje.atom"' in html
    assert "Powiadom mnie o nowych konsultacjach" in html
    assert 'href="/powiadomienia">Powiadomienia e-mail</a>' in html  # the footer, on every page
