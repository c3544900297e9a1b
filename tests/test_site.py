"""What every page shares: security headers, language switch, footer pages, error pages, one commit."""
import re
from pathlib import Path

import pytest
from flask import abort
from sqlalchemy import select

from portal.consultations.models import Consultation
from portal.extensions import db
from tests.conftest import form_token

ROOT = Path(__file__).resolve().parent.parent
ANNOUNCEMENT = "/konsultacje/program-wspolpracy-2021"


@pytest.mark.parametrize("url", ["/", ANNOUNCEMENT, ANNOUNCEMENT + "/druk", "/deklaracja-dostepnosci",
                                 "/ochrona-danych-osobowych", "/nie-ma-takiej-strony", "/static/css/main.css"])
def test_every_response_carries_a_content_security_policy(client, torun, url):
    response = client.get(url)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_templates_have_no_inline_scripts_or_event_handler_attributes():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_language_switch_shows_the_same_page_in_english_and_back(client, torun, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    token = form_token(client, ANNOUNCEMENT)
    response = client.post("/jezyk", data={"lang": "en", "next": ANNOUNCEMENT, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == ANNOUNCEMENT

    html = client.get(ANNOUNCEMENT).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert ">Timeline<" in html and "Skip to content" in html
    assert 'Now: <span lang="pl">Konsultacje elektroniczne projektu programu</span> (17–30 September 2020).' in html
    assert "31 August 2020, 16:30" in html

    token = form_token(client, ANNOUNCEMENT)
    client.post("/jezyk", data={"lang": "pl", "next": ANNOUNCEMENT, "csrf_token": token})
    html = client.get(ANNOUNCEMENT).get_data(as_text=True)
    assert '<html lang="pl">' in html and ">Harmonogram<" in html
    assert "31 sierpnia 2020 r., godz. 16:30" in html


def test_the_language_switch_needs_a_csrf_token(client):
    response = client.post("/jezyk", data={"lang": "en", "next": "/"})
    assert response.status_code == 400
    assert '<html lang="pl">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "/\tevil", ""])
def test_the_language_switch_never_redirects_off_site(client, target):
    token = form_token(client, "/")
    response = client.post("/jezyk", data={"lang": "en", "next": target, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_refused(client):
    token = form_token(client, "/")
    assert client.post("/jezyk", data={"lang": "de", "csrf_token": token}).status_code == 400


@pytest.mark.parametrize("url, polish, english", [
    ("/deklaracja-dostepnosci", "Deklaracja dostępności", "Accessibility statement"),
    ("/ochrona-danych-osobowych", "Ochrona danych osobowych", "Personal data protection"),
])
def test_footer_pages_exist_in_both_languages(client, url, polish, english):
    home = client.get("/").get_data(as_text=True)
    assert f'href="{url}"' in home
    html = client.get(url).get_data(as_text=True)
    assert f"<title>{polish} — Wspólnie</title>" in html
    client.post("/jezyk", data={"lang": "en", "csrf_token": form_token(client, url)})
    html = client.get(url).get_data(as_text=True)
    assert f"<title>{english} — Wspólnie</title>" in html


def test_the_privacy_notice_names_the_rights_and_the_supervisory_authority(client):
    html = client.get("/ochrona-danych-osobowych").get_data(as_text=True)
    assert "Prezes" in html and "uodo.gov.pl" in html
    assert "30 minut" in html  # the view-counting window, read from configuration


@pytest.mark.own_app
def test_changes_are_committed_only_when_the_response_succeeds(app, torun):
    @app.get("/test-write/<int:status>")
    def write_then_answer(status):
        db.session.scalar(select(Consultation)).title = "Zmieniony tytuł"
        if status >= 400:
            abort(status)
        return "ok"

    client = app.test_client()
    client.get("/test-write/409")
    db.session.expire_all()
    assert db.session.scalar(select(Consultation.title)) != "Zmieniony tytuł"
    client.get("/test-write/200")
    db.session.expire_all()
    assert db.session.scalar(select(Consultation.title)) == "Zmieniony tytuł"
