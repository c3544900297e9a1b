"""Names shown to others can't disguise themselves: no bidi controls, something visible, isolated on pages."""
import re

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.accounts.models import User
from portal.extensions import db
from tests.conftest import form_token, login_as
from tests.factories import add_comment

BIDI = "Usuń niewidoczne znaki, które zmieniają kierunek tekstu."
INVISIBLE = "Wpisz co najmniej jedną literę, cyfrę lub inny widoczny znak."
REFUSED = [("\u202eevil", BIDI), ("Anna \u2066Nowak\u2069", BIDI), ("\u200b\u200b", INVISIBLE),
           (" \u00ad ", INVISIBLE), ("\ufeff\u2060\u3164", INVISIBLE)]
ARABIC = "محمد عبد الله"


def sign_up(client, **fields):
    data = {"email": "nowa@fundacja.example", "display_name": "Anna Nowak", "password": "zielony rower nad Wisłą",
            "organisation_name": "", "accept_privacy": "y", **fields}
    data["csrf_token"] = form_token(client, "/rejestracja")
    return client.post("/rejestracja", data=data)


def error_at(html: str, field: str) -> str:
    found = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', html, re.S)
    assert found, f"no error at {field}"
    return found.group(1)


def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("name, message", REFUSED)
def test_sign_up_refuses_a_name_that_reorders_text_or_shows_nothing(client, smtp_sink, name, message):
    response = sign_up(client, display_name=name)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in error_at(html, "display_name")
    assert f'value="{name}"' in html  # given back as typed, to be corrected
    assert users() == 0 and smtp_sink.messages == []


@pytest.mark.parametrize("name, message", REFUSED)
def test_the_profile_refuses_such_a_name_and_keeps_the_old_one(client, make_user, name, message):
    user = make_user("anna@fundacja.example", name="Anna Nowak")
    login_as(client, user)
    response = client.post("/konto", data={"display_name": name, "organisation_name": "",
                                           "csrf_token": form_token(client, "/konto")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in error_at(html, "display_name")
    assert f'value="{name}"' in html
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Anna Nowak"


def test_organisation_names_follow_the_same_rule(client, smtp_sink):
    html = sign_up(client, organisation_name="Fundacja \u202eabc").get_data(as_text=True)
    assert BIDI in error_at(html, "organisation_name") and users() == 0


def test_a_working_group_sign_up_refuses_an_invisible_name(client, torun, frozen_clock):
    frozen_clock.set_local("2020-08-24 12:00:00")
    form = "/konsultacje/program-wspolpracy-2021/grupy-robocze/zapis"
    html = client.post(form, data={
        "full_name": "\u200b", "email": "osoba@ngo.example", "organisation_name": "\u202eOrg",
        "organisation_address": "ul. Szeroka 1", "organisation_contact": "biuro@ngo.example",
        "prior_activity": "Zajęcia.", "recording_consent": "y", "privacy_notice": "y",
        "csrf_token": form_token(client, form)}).get_data(as_text=True)
    assert INVISIBLE in error_at(html, "full_name") and BIDI in error_at(html, "organisation_name")


def test_a_right_to_left_name_is_accepted_and_signs_comments(client, general, smtp_sink):
    sign_up(client, display_name=ARABIC)
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "nowa@fundacja.example"))
    assert user is not None and user.display_name == ARABIC
    user.email_verified_at = clock.now_utc()
    add_comment(general, user, "Popieram zmiany w § 6.")
    db.session.commit()
    html = client.get(f"/konsultacje/program-wspolpracy-2021/forum/watek/{general.id}").get_data(as_text=True)
    assert re.search(rf'<strong class="comment__author"[^>]*>{ARABIC}</strong>', html)


def test_the_page_stylesheet_isolates_names_from_the_text_around_them(client, general):
    page = client.get(f"/konsultacje/program-wspolpracy-2021/forum/watek/{general.id}").get_data(as_text=True)
    [href] = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    css = client.get(href).get_data(as_text=True)
    isolated = set()
    for selectors, declarations in re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", css, flags=re.S)):
        if re.search(r"unicode-bidi:\s*(isolate|plaintext)\b", declarations):
            isolated |= {selector.strip() for selector in selectors.split(",")}
    assert {".comment__author", ".comment__org", ".shown-name"} <= isolated

