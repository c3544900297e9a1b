"""What the shared pieces of the moderators' and admins' views say, where no other test reads it.

The moderation actions share `moderation.manage._action`, the account changes share
`accounts.manage.account_change_views` (admins and moderators) and `flash_outcome`, the account
forms share `accounts.views._went_through`, and the reason checks of rejecting and reporting share
`moderation.forms.one_of` / `described_when_other`.
"""
import re

from portal.accounts.models import User
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.models import Post, PostState, Thread
from portal.moderation import forms as moderation_forms, tool_forms
from tests.conftest import PASSWORD, form_token, signed_in

SLUG = "program-wspolpracy-2021"
IN_WINDOW = "2020-09-20 12:00:00"
QUEUE = "/moderacja/kolejka"


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def test_the_views_keep_their_names_endpoints_and_own_csrf_check(app):
    for endpoint in ("moderation.approve", "moderation.reject", "moderation.hide", "moderation.unhide",
                     "admin_users.change_role", "admin_users.set_trusted", "admin_users.block_user",
                     "admin_users.unblock_user", "moderation_tools.block_user", "moderation_tools.unblock_user",
                     "moderation_tools.set_trusted"):
        view = app.view_functions[endpoint]
        assert view.__name__ == endpoint.split(".")[1]
        assert f"{view.__module__}.{view.__name__}" in app.extensions["csrf"]._exempt_views


def test_an_approval_with_an_emptied_text_changes_nothing(app, torun, general, anna, moderator, frozen_clock):
    torun.moderation_mode = "all"
    db.session.commit()
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Uwaga do poprawki.")
    db.session.commit()
    assert post.state == PostState.PENDING
    staff = signed_in(app, moderator)
    response = staff.post(f"/moderacja/uwagi/{post.id}/zatwierdz", data={
        "csrf_token": form_token(staff, QUEUE), "version": str(post.version), "next": QUEUE, "edited_body": "  \r\n"})
    assert response.status_code == 303 and response.headers["Location"].endswith(QUEUE)
    assert flashes(staff) == [("error", "Nic nie zostało zmienione: treść po poprawkach nie może być pusta.")]
    assert db.session.get(Post, post.id, populate_existing=True).state == PostState.PENDING


def test_a_moderators_change_that_changes_nothing_says_so(app, general, anna, moderator, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    staff = signed_in(app, moderator)
    page = f"/moderacja/uzytkownicy/{anna.id}"
    response = staff.post(f"{page}/odblokowanie", data={"unblock_reason": "Pomyłka.", "csrf_token": form_token(staff, page)})
    assert response.status_code == 303 and response.headers["Location"].endswith(page)
    assert flashes(staff) == [("info", "Bez zmian: konto nie było zablokowane.")]
    staff.get(page)  # the notice is shown (and taken)
    staff.post(f"{page}/zaufany", data={"trusted": "0", "trust_reason": "Bez powodu.", "csrf_token": form_token(staff, page)})
    assert flashes(staff) == [("info", "Bez zmian: ten stan był już ustawiony.")]
    staff.get(page)
    staff.post(f"{page}/zaufany", data={"trusted": "1", "trust_reason": "Znana.", "csrf_token": form_token(staff, page)})
    assert flashes(staff) == [("success", "Użytkownik jest teraz zaufany: jego uwagi nie czekają na wstępną moderację.")]
    staff.get(page)
    tools = f"/moderacja/watki/{general.id}/narzedzia"
    staff.post(f"/moderacja/watki/{general.id}/tytul", data={"title": general.title, "csrf_token": form_token(staff, tools)})
    assert flashes(staff) == [("info", "Bez zmian: wątek miał już ten tytuł.")]
    staff.get(tools)
    staff.post(f"/moderacja/watki/{general.id}/otworz", data={"csrf_token": form_token(staff, tools)})
    assert flashes(staff) == [("info", "Bez zmian: wątek był już otwarty.")]
    assert db.session.get(Thread, general.id, populate_existing=True).title == general.title


def test_an_admins_refused_change_shows_the_reason_at_its_field(app, admin):
    staff = signed_in(app, admin)
    page = f"/admin/uzytkownicy/{admin.id}"
    response = staff.post(f"{page}/rola", data={"role": "participant", "role_reason": "Test.",
                                                "csrf_token": form_token(staff, page)})
    assert response.status_code == 200  # the page again, with the rule's refusal at the role field
    assert flashes(staff) == []
    assert db.session.get(User, admin.id, populate_existing=True).role.value == "admin"


def error_at(html: str, field: str) -> str:
    match = re.search(rf'<p class="field__error" id="{field}-error">.*?</span> (.*?)</p>', html)
    return match.group(1) if match else ""


def test_the_account_forms_put_each_refusal_at_its_field(app, anna):
    client = signed_in(app, anna)
    wrong = client.post("/konto/email", data={"current_password": "zle haslo", "email": "nowy@example.org",
                                              "csrf_token": form_token(client, "/konto/email")})
    own = client.post("/konto/email", data={"current_password": PASSWORD, "email": anna.email.upper(),
                                            "csrf_token": form_token(client, "/konto/email")})
    assert wrong.status_code == own.status_code == 200
    assert error_at(wrong.get_data(as_text=True), "current_password") == "Obecne hasło jest nieprawidłowe."
    assert error_at(own.get_data(as_text=True), "email") == "To jest Twój obecny adres e-mail."
    sent = client.post("/konto/email", data={"current_password": PASSWORD, "email": "Nowy@Example.org",
                                             "csrf_token": form_token(client, "/konto/email")})
    assert sent.status_code == 302
    assert flashes(client) == [("success", "Wysłaliśmy link na adres nowy@example.org. Adres zmieni się, gdy go otworzysz.")]
    client.get("/konto")
    refused = client.post("/konto/haslo", data={"current_password": "zle haslo", "password": "nowe haslo 12345",
                                                "password_confirm": "nowe haslo 12345",
                                                "csrf_token": form_token(client, "/konto/haslo")})
    assert refused.status_code == 200 and flashes(client) == []
    assert error_at(refused.get_data(as_text=True), "current_password") == "Obecne hasło jest nieprawidłowe."
    assert db.session.get(User, anna.id, populate_existing=True).check_password(PASSWORD)


def test_the_reason_checks_are_shared_by_rejecting_and_reporting(app):
    with app.test_request_context(method="POST", data={"reason": "nieznany", "note": ""}):
        report = tool_forms.ReportForm(meta={"csrf": False})
        assert not report.validate()
        assert report.errors == {"reason": ["Wybierz powód zgłoszenia."]}
    with app.test_request_context(method="POST", data={"reason": "other", "note": ""}):
        report = tool_forms.ReportForm(meta={"csrf": False})
        assert not report.validate()
        assert report.errors == {"note": ["Opisz, co jest nie tak z tą uwagą (wymagane przy powodzie „inne”)."]}
    with app.test_request_context(method="POST", data={"reason": "other", "note": "", "version": "1"}):
        reject = moderation_forms.RejectForm(meta={"csrf": False})
        assert not reject.validate()
        assert reject.errors == {"note": ["Przy powodzie „inny powód” opisz go w wyjaśnieniu dla autora."]}
    with app.test_request_context(method="POST", data={"reason": "spam", "note": "", "version": "1"}):
        assert moderation_forms.RejectForm(meta={"csrf": False}).validate()
