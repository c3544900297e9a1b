"""Legal pages the office edits: versioned privacy notice, accessibility statement, ETR and PJM,
and the notice version stored with every account and registration."""
import re

import pytest
from sqlalchemy import select

from portal import clock
from portal.accounts.models import User
from portal.audit import AuditLog
from portal.extensions import db
from portal.registrations.models import GroupRegistration, WorkingGroup
from tests.conftest import form_token, login_as, visible_text

SLUG = "program-wspolpracy-2021"
GROUP_FORM = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
EDIT_PRIVACY = "/zespol/strony-prawne/ochrona-danych-osobowych"
EDIT_STATEMENT = "/zespol/strony-prawne/deklaracja-dostepnosci"
EDIT_EASY_READ = "/zespol/strony-prawne/tekst-latwy-do-czytania"
EDIT_SIGN_LANGUAGE = "/zespol/strony-prawne/polski-jezyk-migowy"


def field_value(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', html, re.S)
    if match:
        return match.group(1).replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<") \
            .replace("&gt;", ">").replace("&amp;", "&")
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or \
        re.search(rf'value="([^"]*)"[^>]*name="{name}"', html)
    return match.group(1) if match else ""


def submit(client, url, action="publish", **changes):
    """The edit form as the admin sends it: what it shows, with `changes` typed in."""
    html = client.get(url).get_data(as_text=True)
    data = {name: field_value(html, name) for name in
            ("title", "body", "video_url", "captions_url", "site_published_on", "site_updated_on",
             "statement_prepared_on") if f'name="{name}"' in html}
    data.update(changes, action=action, csrf_token=form_token(client, url))
    return client.post(url, data=data, follow_redirects=True)


def test_a_published_privacy_notice_is_the_new_version_and_the_first_stays_readable(
        admin_client, frozen_clock):
    frozen_clock.set_local("2026-11-02 09:00:00")
    first = admin_client.get(EDIT_PRIVACY).get_data(as_text=True)
    # Version 1 is the built-in text, ready to be filled in.
    assert "Aktualna wersja: 1 z 2 listopada 2026 r." in visible_text(first)
    assert "Administrator danych" in field_value(first, "body")

    frozen_clock.set_local("2026-12-06 10:00:00")
    body = field_value(first, "body").replace("[adres siedziby urzędu]", "ul. Wały gen. Sikorskiego 8, 87-100 Toruń")
    preview = submit(admin_client, EDIT_PRIVACY, action="preview", body=body)
    assert "ul. Wały gen. Sikorskiego 8" in visible_text(preview.get_data(as_text=True))
    assert "Wersja 2" not in visible_text(admin_client.get("/ochrona-danych-osobowych").get_data(as_text=True))

    page = submit(admin_client, EDIT_PRIVACY, body=body)
    text = visible_text(page.get_data(as_text=True))
    assert page.request.path == "/ochrona-danych-osobowych"
    assert "Opublikowano wersję 2." in text and "Wersja 2 z 6 grudnia 2026 r." in text
    assert "ul. Wały gen. Sikorskiego 8" in text

    history = visible_text(admin_client.get("/ochrona-danych-osobowych/wersje").get_data(as_text=True))
    assert "Wersja 2 z 6 grudnia 2026 r. (aktualna)" in history and "Wersja 1 z 2 listopada 2026 r." in history
    old = visible_text(admin_client.get("/ochrona-danych-osobowych/wersje/1").get_data(as_text=True))
    assert "To jest wersja archiwalna." in old and "[adres siedziby urzędu]" in old
    assert admin_client.get("/ochrona-danych-osobowych/wersje/3").status_code == 404

    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "legal_page_published",
                                                        AuditLog.actor_id.is_not(None))).all()
    assert entry.after_data == {"kind": "privacy", "version": 2, "title": "Ochrona danych osobowych"}


def test_markdown_of_a_legal_page_goes_through_the_sanitiser(admin_client):
    page = submit(admin_client, EDIT_EASY_READ, body="Tekst <script>alert(1)</script> [a](javascript:alert(1))")
    html = page.get_data(as_text=True)
    assert "<script>alert(1)" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_sign_up_and_group_registration_after_a_publication_store_the_new_version(
        client, admin, torun, frozen_clock, smtp_sink):
    frozen_clock.set_local("2020-08-20 09:00:00")
    login_as(client, admin)
    client.get(EDIT_PRIVACY)  # version 1
    frozen_clock.set_local("2020-08-24 12:00:00")
    submit(client, EDIT_PRIVACY, body="## Administrator danych\n\nGmina Miasta Toruń.")
    client.post("/wyloguj", data={"csrf_token": form_token(client, "/konto")})

    sign_up_page = visible_text(client.get("/rejestracja").get_data(as_text=True))
    assert "Informacja o przetwarzaniu danych osobowych" in sign_up_page
    assert "Cel: prowadzenie konta w serwisie" in sign_up_page and "(wersja 2 (2020-08-24))" in sign_up_page
    client.post("/rejestracja", data={
        "email": "ola@fundacja.example", "display_name": "Ola Kowalska", "password": "zielony rower nad Wisłą",
        "accept_privacy": "y", "csrf_token": form_token(client, "/rejestracja")})
    user = db.session.scalar(select(User).where(User.email == "ola@fundacja.example"))
    assert user.privacy_notice_version == "2 (2020-08-24)"
    assert user.privacy_notice_accepted_at == clock.now_utc()

    assert "(wersja 2 (2020-08-24))" in visible_text(client.get(GROUP_FORM).get_data(as_text=True))
    group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.name.startswith("Wspieranie i promocja")))
    client.post(GROUP_FORM, data={
        "full_name": "Jan Nowak", "email": "jan@ngo.example", "phone": "", "organisation_name": "Stowarzyszenie",
        "organisation_address": "ul. Szeroka 1, 87-100 Toruń", "organisation_contact": "biuro@ngo.example",
        "prior_activity": "Zajęcia dla seniorów.", "recording_consent": "y", "privacy_notice": "y",
        "group": str(group.id), "csrf_token": form_token(client, GROUP_FORM)})
    registration = db.session.scalar(select(GroupRegistration).where(GroupRegistration.email == "jan@ngo.example"))
    assert registration.privacy_notice_version == "2 (2020-08-24)"
    assert registration.privacy_notice_accepted_at == clock.now_utc()


def test_before_any_publication_the_built_in_notice_and_configured_version_are_used(client, torun, frozen_clock):
    frozen_clock.set_local("2020-08-24 12:00:00")
    assert "(wersja 2020-08)" in visible_text(client.get(GROUP_FORM).get_data(as_text=True))
    privacy = visible_text(client.get("/ochrona-danych-osobowych").get_data(as_text=True))
    assert "Administrator danych" in privacy and "Wersja 1" not in privacy


@pytest.mark.parametrize("url", ["/zespol/strony-prawne", EDIT_PRIVACY, EDIT_STATEMENT, EDIT_EASY_READ,
                                 EDIT_SIGN_LANGUAGE])
def test_only_admins_open_the_legal_pages_editor(client, anna, moderator, url):
    login_as(client, anna)
    assert client.get(url).status_code == 403
    login_as(client, moderator)
    assert client.get(url).status_code == 403
    if url != "/zespol/strony-prawne":
        assert client.post(url, data={"title": "x", "body": "y", "action": "publish",
                                      "csrf_token": form_token(client, "/konto")}).status_code == 403


def test_a_publication_without_the_form_token_is_refused(admin_client):
    admin_client.get(EDIT_EASY_READ)
    response = admin_client.post(EDIT_EASY_READ, data={"title": "Tekst", "body": "Nowy", "action": "publish"})
    assert response.status_code == 400
    assert "Nowy" not in admin_client.get("/tekst-latwy-do-czytania").get_data(as_text=True)


def test_the_accessibility_statement_marks_up_its_dates_as_the_official_template_asks(admin_client, frozen_clock):
    frozen_clock.set_local("2026-12-06 10:00:00")
    html = admin_client.get(EDIT_STATEMENT).get_data(as_text=True)
    body = field_value(html, "body")
    for heading in ("## Status pod względem zgodności z ustawą", "### Treści niedostępne",
                    "## Przygotowanie deklaracji dostępności", "## Informacje zwrotne i dane kontaktowe",
                    "## Obsługa wniosków i skarg związanych z dostępnością", "## Dostępność architektoniczna"):
        assert heading in body
    assert "{data-publikacji}" in body and "{data-sporzadzenia}" in body

    page = submit(admin_client, EDIT_STATEMENT, site_published_on="2021-06-01", site_updated_on="2026-11-30",
                  statement_prepared_on="2026-12-05").get_data(as_text=True)
    assert '<span id="a11y-data-publikacja">2021-06-01</span>' in page
    assert '<span id="a11y-data-aktualizacja">2026-11-30</span>' in page
    assert '<span id="a11y-data-sporzadzenie">2026-12-05</span>' in page
    assert '<span id="a11y-data-deklaracja-przeglad">2026-12-06</span>' in page
    assert 'id="a11y-wstep"' in page and 'id="a11y-url"' in page
    assert "Wersja 2 z 6 grudnia 2026 r." in visible_text(page)


def test_easy_read_and_sign_language_pages_are_edited_and_linked_from_every_page(admin_client):
    footer = admin_client.get("/").get_data(as_text=True).split('class="site-footer"')[1]
    assert 'href="/tekst-latwy-do-czytania">Tekst łatwy do czytania' in footer
    assert 'href="/polski-jezyk-migowy">Polski język migowy' in footer
    assert "Kliknij" in admin_client.get("/tekst-latwy-do-czytania").get_data(as_text=True)  # built in

    submit(admin_client, EDIT_EASY_READ, body="## Kim jesteśmy\n\nJesteśmy urzędem miasta.")
    assert "Jesteśmy urzędem miasta." in admin_client.get("/tekst-latwy-do-czytania").get_data(as_text=True)

    page = submit(admin_client, EDIT_SIGN_LANGUAGE, video_url="/static/pjm/informacja.mp4",
                  captions_url="/static/pjm/informacja.vtt", body="Tekst nagrania: jak wziąć udział.")
    html = page.get_data(as_text=True)
    assert '<video controls preload="metadata" src="/static/pjm/informacja.mp4"' in html
    assert '<track kind="captions" src="/static/pjm/informacja.vtt"' in html
    assert "Tekst nagrania: jak wziąć udział." in html

    elsewhere = submit(admin_client, EDIT_SIGN_LANGUAGE, video_url="https://wideo.example/pjm",
                       captions_url="").get_data(as_text=True)
    assert "<video" not in elsewhere and 'href="https://wideo.example/pjm"' in elsewhere

    refused = submit(admin_client, EDIT_SIGN_LANGUAGE, video_url="javascript:alert(1)")
    assert "Podaj adres zaczynający się od https://" in refused.get_data(as_text=True)


def test_in_the_english_interface_a_published_polish_text_is_marked_as_polish(admin_client):
    submit(admin_client, EDIT_EASY_READ, body="Jesteśmy urzędem miasta.")
    admin_client.post("/jezyk", data={"lang": "en", "next": "/", "csrf_token": form_token(admin_client, "/")})
    html = admin_client.get("/tekst-latwy-do-czytania").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert re.search(r'<div class="user-content" lang="pl">\s*<p>Jesteśmy urzędem miasta.</p>', html)


def test_a_page_never_published_has_an_empty_history_and_no_old_versions(client):
    history = visible_text(client.get("/deklaracja-dostepnosci/wersje").get_data(as_text=True))
    assert "Nie opublikowano jeszcze żadnej wersji." in history
    assert client.get("/deklaracja-dostepnosci/wersje/1").status_code == 404


@pytest.mark.commits
def test_two_admins_publishing_at_the_same_moment_get_two_versions_and_no_error(app, make_user):
    import threading

    from portal.accounts.models import Role
    from portal.pages.legal import LegalDocument, LegalKind

    browsers = []
    for name in ("ewa", "olek"):
        browser = app.test_client()
        login_as(browser, make_user(f"{name}@urzad.example", role=Role.ADMIN))
        browsers.append(browser)
    browsers[0].get(EDIT_PRIVACY)  # version 1, the built-in text
    forms = []
    for browser in browsers:
        html = browser.get(EDIT_PRIVACY).get_data(as_text=True)
        forms.append({"title": field_value(html, "title"), "body": field_value(html, "body") + " Zmiana.",
                      "action": "publish", "csrf_token": form_token(browser, EDIT_PRIVACY)})
    barrier, statuses = threading.Barrier(2), [None, None]

    def publish(index):
        barrier.wait()
        statuses[index] = browsers[index].post(EDIT_PRIVACY, data=forms[index]).status_code

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(status in (302, 303) for status in statuses), statuses  # published, redirected
    db.session.expire_all()
    versions = db.session.scalars(select(LegalDocument.version).where(LegalDocument.kind == LegalKind.PRIVACY)
                                  .order_by(LegalDocument.version)).all()
    assert versions == [1, 2, 3]
