"""Accounts as people use them: sign up, verify by e-mail, log in and out, reset, change, erase."""
import json
import logging
import re

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.accounts.models import Organisation, User
from portal.extensions import db
from portal.mail import OutboxMessage
from tests.conftest import form_token, log_in as submit_login_form

PASSWORD = "zielony rower nad Wisłą"
NEW_PASSWORD = "czerwony tramwaj na Mokotowie"


def user_by_email(email):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def sign_up(client, **fields):
    data = {"email": "anna@fundacja.example", "display_name": "Anna Nowak", "password": PASSWORD,
            "organisation_name": "Fundacja Rowerowa", "organisation_krs": "0000123456",
            "organisation_city": "Toruń", "accept_privacy": "y", **fields}
    data["csrf_token"] = form_token(client, "/rejestracja")
    return client.post("/rejestracja", data=data)


def log_in(client, email="anna@fundacja.example", password=PASSWORD, next_url=None):
    """The login form, with Anna's address and password unless others are given."""
    return submit_login_form(client, email, password, next_url)


def log_out(client):
    return client.post("/wyloguj", data={"csrf_token": form_token(client, "/konto")})


def path_of(link):
    return re.sub(r"^https?://[^/]+", "", link)


# --- sign-up and verification -------------------------------------------------------------

def test_sign_up_sends_a_verification_link_that_verifies_the_address(app, client, smtp_sink):
    response = sign_up(client)
    assert response.status_code == 200
    assert "Sprawdź skrzynkę e-mail" in response.get_data(as_text=True)

    user = user_by_email("anna@fundacja.example")
    assert user is not None and not user.is_verified
    assert user.organisation.name == "Fundacja Rowerowa" and user.organisation.krs == "0000123456"
    assert not user.organisation.is_verified
    assert user.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    assert PASSWORD not in user.password_hash

    [message] = smtp_sink.to("anna@fundacja.example")
    assert "Potwierdź adres e-mail" in message["Subject"]
    link = smtp_sink.last_link("anna@fundacja.example")
    response = client.get(path_of(link))
    assert response.status_code == 302
    assert user_by_email("anna@fundacja.example").is_verified
    assert "Adres e-mail został potwierdzony" in client.get("/konto").get_data(as_text=True)


def test_until_verified_the_person_may_log_in_and_read_but_is_not_a_participant(client, smtp_sink):
    from portal import permissions

    sign_up(client)
    assert "Moje konto" not in client.get("/").get_data(as_text=True)  # sign-up logs nobody in
    assert log_in(client).status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Potwierdź adres e-mail, aby zgłaszać uwagi." in html
    assert not permissions.is_verified_participant(user_by_email("anna@fundacja.example"))


def test_a_used_verification_link_says_so_and_a_forged_one_is_refused(client, smtp_sink):
    sign_up(client)
    link = path_of(smtp_sink.last_link("anna@fundacja.example"))
    client.get(link)
    client.get(link)
    assert "Ten adres e-mail był już potwierdzony." in client.get("/konto").get_data(as_text=True)
    response = client.get(link[:-3] + "abc")
    assert response.status_code == 400
    assert "Ten link jest nieprawidłowy albo został już użyty." in response.get_data(as_text=True)


def test_a_verification_link_expires_after_48_hours(client, smtp_sink, frozen_clock):
    frozen_clock.set_local("2020-09-01 10:00:00")
    sign_up(client)
    link = path_of(smtp_sink.last_link("anna@fundacja.example"))
    frozen_clock.set_local("2020-09-03 10:00:01")
    response = client.get(link)
    assert response.status_code == 400 and "Ten link wygasł." in response.get_data(as_text=True)
    frozen_clock.set_local("2020-09-03 10:00:00")
    assert client.get(link).status_code == 302


def test_signing_up_with_a_taken_address_reveals_nothing_and_tells_the_owner(app, client, smtp_sink, make_user):
    make_user("anna@fundacja.example", name="Anna")
    response = sign_up(client)
    assert "Sprawdź skrzynkę e-mail" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    [message] = smtp_sink.to("anna@fundacja.example")
    assert "Próba założenia konta" in message["Subject"]


def comparable(response, *addresses):
    """A response as an onlooker compares it: the typed address, CSRF tokens and cookie values out."""
    html = response.get_data(as_text=True)
    for address in addresses:
        html = html.replace(address, "X")
    html = re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', "", html)
    clock_dependent = {"Content-Length", "X-RateLimit-Reset", "Retry-After"}  # the same names, kept
    headers = sorted((name, value.split("=", 1)[0] if name == "Set-Cookie" else
                      "" if name in clock_dependent else value) for name, value in response.headers.items())
    return response.status_code, headers, html


def from_address(app, address):
    """A browser of its own at an address of its own (the limits per address count alike)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_sign_up_answers_a_taken_address_with_the_same_page_and_headers(app, make_user, smtp_sink):
    # Issue 19: the new address used to be logged in at once (a cookie), and only it was hashed.
    make_user("zajety@fundacja.example", name="Zajęty")
    new = sign_up(from_address(app, "10.0.0.1"), email="nowy@fundacja.example")
    taken = sign_up(from_address(app, "10.0.0.2"), email="zajety@fundacja.example")
    assert comparable(new, "nowy@fundacja.example") == comparable(taken, "zajety@fundacja.example")
    assert "Moje konto" not in new.get_data(as_text=True)
    assert len(smtp_sink.to("nowy@fundacja.example")) == len(smtp_sink.to("zajety@fundacja.example")) == 1


def test_a_taken_address_costs_the_same_password_hash_as_a_new_one(app, make_user, smtp_sink, monkeypatch):
    from portal.accounts import passwords

    make_user("zajety@fundacja.example", name="Zajęty")
    hashed = []
    real = passwords.hash_password
    monkeypatch.setattr(passwords, "hash_password", lambda password: hashed.append(password) or real(password))
    sign_up(app.test_client(), email="nowy@fundacja.example")
    sign_up(app.test_client(), email="zajety@fundacja.example")
    assert hashed == [PASSWORD, PASSWORD]


def test_the_first_opening_of_the_sign_up_link_logs_the_person_in(app, client, smtp_sink):
    sign_up(client)
    link = path_of(smtp_sink.last_link("anna@fundacja.example"))
    elsewhere = app.test_client()
    response = elsewhere.get(link)
    assert response.status_code == 302 and response.headers["Location"] == "/konto"
    assert "Moje konto" in elsewhere.get("/").get_data(as_text=True)
    again = app.test_client()  # a second opening verifies nothing more and logs nobody in
    assert again.get(link).headers["Location"] == "/logowanie"
    assert "Moje konto" not in again.get("/").get_data(as_text=True)


def test_sign_up_errors_keep_what_was_typed_and_stand_next_to_their_fields(client, smtp_sink):
    response = sign_up(client, email="anna(at)fundacja", password="krótkie", accept_privacy="")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="anna(at)fundacja"' in html and 'value="Anna Nowak"' in html
    assert 'value="Fundacja Rowerowa"' in html and 'value="0000123456"' in html
    assert "krótkie" not in html  # a password is never sent back
    for field, message in (("email", "Podaj adres e-mail w formacie nazwa@domena.pl."),
                           ("password", "Hasło musi mieć co najmniej 12 znaków."),
                           ("accept_privacy", "Potwierdź, że znasz zasady przetwarzania danych.")):
        assert re.search(rf'<p class="field__error" id="{field}-error">.*{re.escape(message)}', html)
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', html)
        assert re.search(rf'aria-describedby="[^"]*{field}-error', html)
    assert user_by_email("anna@fundacja.example") is None
    assert smtp_sink.messages == []


@pytest.mark.parametrize("password", ["password1234", "1qaz2wsx3edc", "Q1W2E3R4T5Y6", "anna@fundacja.example"])
def test_common_passwords_and_the_address_itself_are_refused(client, password):
    response = sign_up(client, password=password)
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert user_by_email("anna@fundacja.example") is None


def test_a_long_passphrase_without_digits_or_capitals_is_accepted(client, smtp_sink):
    sign_up(client, password="kot ma ale a ala ma kota")
    assert user_by_email("anna@fundacja.example") is not None


def test_a_stale_csrf_token_gives_the_form_back_with_the_typed_text(client, smtp_sink):
    response = client.post("/rejestracja", data={
        "email": "anna@fundacja.example", "display_name": "Anna Nowak", "password": PASSWORD,
        "organisation_name": "Fundacja Rowerowa", "accept_privacy": "y", "csrf_token": "expired"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz nie został wysłany" in html
    assert 'value="anna@fundacja.example"' in html and 'value="Fundacja Rowerowa"' in html
    assert user_by_email("anna@fundacja.example") is None


# --- login and logout ----------------------------------------------------------------------

def test_log_in_and_out(client, make_user):
    make_user("anna@fundacja.example", password=PASSWORD, name="Anna Nowak")
    response = log_in(client, email="  Anna@Fundacja.EXAMPLE ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Moje konto" in client.get("/").get_data(as_text=True)
    response = log_out(client)
    assert response.status_code == 302
    assert client.get("/konto").status_code == 302  # to the login page again


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client, make_user):
    make_user("anna@fundacja.example", password=PASSWORD)
    wrong_password = log_in(client, password="nie to hasło wcale").get_data(as_text=True)
    unknown = log_in(client, email="nikt@example.org").get_data(as_text=True)
    for html in (wrong_password, unknown):
        assert "Nieprawidłowy adres e-mail lub hasło." in html
    assert 'value="nikt@example.org"' in unknown


def test_after_logout_a_copied_session_cookie_no_longer_works(app, client, make_user):
    make_user("anna@fundacja.example", password=PASSWORD)
    log_in(client)
    stolen = client.get_cookie("session", domain="localhost").value
    log_out(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="localhost")
    response = thief.get("/konto")
    assert response.status_code == 302 and response.headers["Location"].startswith("/logowanie")


def test_login_starts_a_new_session(client, make_user, torun):
    make_user("anna@fundacja.example", password=PASSWORD)
    client.get("/konsultacje/program-wspolpracy-2021", headers={"User-Agent": "Mozilla/5.0"})
    before = client.get_cookie("session", domain="localhost").value
    log_in(client)
    with client.session_transaction() as session:
        assert "seen" not in session  # nothing from before the login carries over
    assert client.get_cookie("session", domain="localhost").value != before


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example", "/\t/evil.example",
                                    "/konto\r\nSet-Cookie: a=b"])
def test_next_after_login_accepts_only_local_paths(client, make_user, target):
    make_user("anna@fundacja.example", password=PASSWORD)
    response = log_in(client, next_url=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_after_login_returns_to_the_page_the_person_came_from(client, make_user):
    make_user("anna@fundacja.example", password=PASSWORD)
    response = client.get("/konto")
    assert response.headers["Location"] == "/logowanie?next=%2Fkonto"
    response = log_in(client, next_url="/konto")
    assert response.headers["Location"] == "/konto"


def test_a_deleted_or_passwordless_account_cannot_log_in(client, make_user):
    user = make_user("anna@fundacja.example", password=PASSWORD)
    user.deleted_at = clock.now_utc()
    db.session.commit()
    assert "Nieprawidłowy adres e-mail lub hasło." in log_in(client).get_data(as_text=True)


# --- password reset ------------------------------------------------------------------------

def request_reset(client, email):
    return client.post("/nie-pamietam-hasla", data={"email": email,
                                                     "csrf_token": form_token(client, "/nie-pamietam-hasla")})


def test_forgot_password_answers_the_same_whether_or_not_the_address_exists(client, make_user, smtp_sink):
    make_user("anna@fundacja.example", password=PASSWORD)
    known = request_reset(client, "anna@fundacja.example").get_data(as_text=True)
    unknown = request_reset(client, "nikt@example.org").get_data(as_text=True)
    def strip(html):  # the address typed, and the CSRF tokens (signed with a timestamp), differ
        html = html.replace("anna@fundacja.example", "X").replace("nikt@example.org", "X")
        return re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    assert strip(known) == strip(unknown)
    assert len(smtp_sink.to("anna@fundacja.example")) == 1 and smtp_sink.to("nikt@example.org") == []


def test_a_reset_link_works_once_and_ends_other_sessions(app, client, make_user, smtp_sink):
    make_user("anna@fundacja.example", password=PASSWORD)
    other_device = app.test_client()
    log_in(other_device)
    request_reset(client, "anna@fundacja.example")
    link = path_of(smtp_sink.last_link("anna@fundacja.example"))

    response = client.post(link, data={"password": NEW_PASSWORD, "csrf_token": form_token(client, link)})
    assert response.status_code == 302 and response.headers["Location"] == "/logowanie"
    assert log_in(client, password=NEW_PASSWORD).status_code == 302
    assert other_device.get("/konto").status_code == 302  # logged out there

    again = client.get(link)
    assert again.status_code == 400 and "został już użyty" in again.get_data(as_text=True)


def test_a_reset_link_expires_after_one_hour(client, make_user, smtp_sink, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    make_user("anna@fundacja.example", password=PASSWORD)
    request_reset(client, "anna@fundacja.example")
    link = path_of(smtp_sink.last_link("anna@fundacja.example"))
    frozen_clock.set_local("2020-09-20 13:00:00")
    assert client.get(link).status_code == 200
    frozen_clock.set_local("2020-09-20 13:00:01")
    response = client.get(link)
    assert response.status_code == 400 and "Ten link wygasł." in response.get_data(as_text=True)


# --- changes on the profile ----------------------------------------------------------------

def test_changing_the_password_needs_the_current_one_and_logs_out_other_devices(app, client, make_user, smtp_sink):
    make_user("anna@fundacja.example", password=PASSWORD)
    other_device = app.test_client()
    log_in(other_device)
    log_in(client)
    token = form_token(client, "/konto/haslo")
    wrong = client.post("/konto/haslo", data={"current_password": "nie pamiętam go", "password": NEW_PASSWORD,
                                              "csrf_token": token})
    assert 'id="current_password-error"' in wrong.get_data(as_text=True)
    assert user_by_email("anna@fundacja.example").check_password(PASSWORD)

    response = client.post("/konto/haslo", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                 "csrf_token": form_token(client, "/konto/haslo")})
    assert response.status_code == 302
    assert client.get("/konto").status_code == 200          # this session goes on
    assert other_device.get("/konto").status_code == 302    # the other one is over
    assert user_by_email("anna@fundacja.example").check_password(NEW_PASSWORD)
    assert "Hasło do konta zostało zmienione" in smtp_sink.to("anna@fundacja.example")[-1]["Subject"]


def test_changing_the_address_takes_effect_when_the_new_one_is_confirmed(client, make_user, smtp_sink):
    make_user("anna@fundacja.example", password=PASSWORD)
    log_in(client)
    token = form_token(client, "/konto/email")
    wrong = client.post("/konto/email", data={"email": "anna@nowa.example", "current_password": "złe hasło tutaj",
                                              "csrf_token": token})
    html = wrong.get_data(as_text=True)
    assert 'id="current_password-error"' in html and 'value="anna@nowa.example"' in html

    client.post("/konto/email", data={"email": "anna@nowa.example", "current_password": PASSWORD,
                                      "csrf_token": form_token(client, "/konto/email")})
    assert user_by_email("anna@fundacja.example") is not None  # not changed yet
    assert "Prośba o zmianę adresu" in smtp_sink.to("anna@fundacja.example")[-1]["Subject"]
    client.get(path_of(smtp_sink.last_link("anna@nowa.example")))
    assert user_by_email("anna@nowa.example") is not None and user_by_email("anna@fundacja.example") is None


def test_changing_to_a_taken_address_answers_as_for_a_free_one_and_changes_nothing(
        app, client, make_user, smtp_sink):
    # Issue 19: the form used to say the address "należy już do innego konta".
    make_user("anna@fundacja.example", password=PASSWORD)
    make_user("jan@fundacja.example", name="Jan")
    log_in(client)

    def change_to(address):
        response = client.post("/konto/email", data={"email": address, "current_password": PASSWORD,
                                                      "csrf_token": form_token(client, "/konto/email")})
        return response, client.get("/konto")

    free_answer, free_page = change_to("anna@nowa.example")
    taken_answer, taken_page = change_to("jan@fundacja.example")
    assert comparable(free_answer, "anna@nowa.example") == comparable(taken_answer, "jan@fundacja.example")
    assert comparable(free_page, "anna@nowa.example") == comparable(taken_page, "jan@fundacja.example")
    # The same e-mails: a notice to the current address, a link to the new one.
    assert len(smtp_sink.to("anna@fundacja.example")) == 2
    assert len(smtp_sink.to("anna@nowa.example")) == len(smtp_sink.to("jan@fundacja.example")) == 1

    # Only the owner of the taken mailbox can open that link, and it changes nothing.
    jan = app.test_client()
    jan.get(path_of(smtp_sink.last_link("jan@fundacja.example")))
    assert "Ten adres e-mail należy już do innego konta." in jan.get("/logowanie").get_data(as_text=True)
    assert user_by_email("anna@fundacja.example") is not None
    assert user_by_email("jan@fundacja.example").display_name == "Jan"


def test_forgot_password_answers_an_unknown_address_with_the_same_headers(app, make_user, smtp_sink):
    make_user("anna@fundacja.example", password=PASSWORD)
    known = request_reset(from_address(app, "10.0.0.1"), "anna@fundacja.example")
    unknown = request_reset(from_address(app, "10.0.0.2"), "nikt@example.org")
    assert comparable(known, "anna@fundacja.example") == comparable(unknown, "nikt@example.org")


def test_the_profile_keeps_the_organisation_and_notification_choices(client, make_user):
    make_user("anna@fundacja.example", password=PASSWORD)
    log_in(client)
    response = client.post("/konto", data={
        "display_name": "Anna N.", "organisation_name": "Stowarzyszenie Wisła", "organisation_krs": "",
        "organisation_city": "Toruń", "notify_replies": "y", "csrf_token": form_token(client, "/konto")})
    assert response.status_code == 302
    user = user_by_email("anna@fundacja.example")
    assert user.display_name == "Anna N." and user.organisation.name == "Stowarzyszenie Wisła"
    assert user.notify_replies and not user.notify_subscriptions

    bad = client.post("/konto", data={"display_name": "Anna N.", "organisation_name": "Stowarzyszenie Wisła",
                                      "organisation_krs": "123", "csrf_token": form_token(client, "/konto")})
    html = bad.get_data(as_text=True)
    assert "Numer KRS ma 10 cyfr" in html and 'value="123"' in html


def test_download_my_data_holds_everything_about_me(client, make_user):
    user = make_user("anna@fundacja.example", password=PASSWORD, name="Anna Nowak")
    user.organisation = Organisation(name="Fundacja Rowerowa", city="Toruń")
    db.session.commit()
    log_in(client)
    response = client.get("/konto/moje-dane.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "anna@fundacja.example"
    assert data["account"]["display_name"] == "Anna Nowak"
    assert data["organisation"]["name"] == "Fundacja Rowerowa"
    assert "password" not in json.dumps(data).lower()


def test_deleting_the_account_erases_personal_data_and_ends_the_session(client, make_user):
    user = make_user("anna@fundacja.example", password=PASSWORD, name="Anna Nowak")
    user_id = user.id
    log_in(client)
    refused = client.post("/konto/usun", data={"current_password": PASSWORD,
                                               "csrf_token": form_token(client, "/konto/usun")})
    assert 'id="confirm-error"' in refused.get_data(as_text=True)

    response = client.post("/konto/usun", data={"current_password": PASSWORD, "confirm": "y",
                                                "csrf_token": form_token(client, "/konto/usun")})
    assert response.status_code == 302
    db.session.expire_all()
    erased = db.session.get(User, user_id)
    assert erased.display_name == "Konto usunięte" and "anna" not in erased.email
    assert erased.password_hash == "" and erased.organisation is None
    assert client.get("/konto").status_code == 302
    assert "Nieprawidłowy adres e-mail lub hasło." in log_in(client).get_data(as_text=True)


# --- nothing secret in the logs ------------------------------------------------------------

def test_passwords_and_tokens_never_reach_the_logs(client, smtp_sink, caplog):
    caplog.set_level(logging.DEBUG)
    sign_up(client)
    link = smtp_sink.last_link("anna@fundacja.example")
    token = link.split("token=")[1]
    client.get(path_of(link))
    log_out(client)
    log_in(client, password="zupełnie złe hasło")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert PASSWORD not in text and "zupełnie złe hasło" not in text and token not in text


# --- e-mail delivery -----------------------------------------------------------------------

def test_mail_waits_in_the_outbox_while_smtp_is_down_and_goes_out_with_send_mail(app, client, smtp_sink):
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there: SMTP is down
    response = sign_up(client)
    assert response.status_code == 200 and user_by_email("anna@fundacja.example") is not None
    db.session.expire_all()
    message = db.session.scalar(select(OutboxMessage))
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    assert smtp_sink.messages == []

    app.config["MAIL_PORT"] = working_port  # SMTP is back
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0 and "sent 1, failed 0" in result.output
    assert len(smtp_sink.to("anna@fundacja.example")) == 1
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "sent 0, failed 0" in result.output
    assert len(smtp_sink.to("anna@fundacja.example")) == 1  # never twice


def test_production_stores_passwords_with_scrypt_and_checks_them(tmp_path):
    """Tests hash with a cheap method (conftest); a deployed portal uses the default: scrypt."""
    from portal import create_app
    from portal.accounts.models import User

    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    with app.app_context():
        user = User(email="anna@fundacja.example")
        user.set_password(PASSWORD)
        assert user.password_hash.startswith("scrypt:32768:8:1$")
        assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


@pytest.mark.own_app
def test_no_mail_leaves_when_the_request_fails(app, client, smtp_sink):
    from flask import abort

    from portal import mail

    @app.post("/test-mail-then-fail")
    def queue_then_fail():
        mail.queue("x@example.org", "password_changed", user=None)
        abort(409)

    app.test_client().post("/test-mail-then-fail", data={"csrf_token": form_token(client, "/")})
    assert smtp_sink.messages == [] and db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_staff_can_ask_for_the_hourly_moderation_digest_participants_cannot(client, app, make_user):
    from portal.accounts.models import Role

    make_user("mod@example.org", role=Role.MODERATOR, password=PASSWORD)
    log_in(client, email="mod@example.org")
    assert "zestawienie kolejki moderacji" in client.get("/konto").get_data(as_text=True)
    client.post("/konto", data={"display_name": "Moderatorka", "moderation_digest": "y",
                                "csrf_token": form_token(client, "/konto")})
    assert user_by_email("mod@example.org").moderation_digest

    participant = app.test_client()
    make_user("anna@fundacja.example", password=PASSWORD)
    log_in(participant)
    assert "zestawienie kolejki moderacji" not in participant.get("/konto").get_data(as_text=True)
    participant.post("/konto", data={"display_name": "Anna", "moderation_digest": "y",
                                     "csrf_token": form_token(participant, "/konto")})
    assert not user_by_email("anna@fundacja.example").moderation_digest
