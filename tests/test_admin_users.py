"""Admins manage users: find them, change roles, trust, block and unblock, verify organisations.

Every change is logged (who, when, why, before, after) and only admins may make it.
"""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal import audit, clock
from portal.accounts import admin_services
from portal.accounts.models import Organisation, Role, User
from portal.audit import AppendOnlyError, AuditLog
from portal.extensions import db
from portal.mail import OutboxMessage
from tests.conftest import form_token, login_as

LIST = "/admin/uzytkownicy"


def page_of(user) -> str:
    return f"{LIST}/{user.id}"


@pytest.fixture
def sent_mail(smtp_sink):
    """E-mails the site delivered to the test SMTP server."""
    return smtp_sink.messages


@pytest.fixture
def unverified_organisation(anna):
    """Anna's organisation before an admin has verified it (the shared `anna` writes for a verified one)."""
    anna.organisation.verified_at = None
    db.session.commit()
    return anna.organisation


def post(client, url, data, token_page=None):
    """Send a form as a browser would: with the CSRF token of the page it was on."""
    token = form_token(client, token_page or url.rsplit("/", 1)[0])
    return client.post(url, data={**data, "csrf_token": token})


def reload(instance):
    db.session.expire_all()
    return db.session.get(type(instance), instance.id)


def log_rows() -> list[AuditLog]:
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()


def add_participants(count: int, with_organisation=True) -> None:
    """Many accounts quickly (no password hashing)."""
    for n in range(count):
        user = User(email=f"osoba{n:03}@example.org", display_name=f"Osoba {n:03}", role=Role.PARTICIPANT)
        if with_organisation:
            user.organisation = Organisation(name=f"Stowarzyszenie {n:03}")
        db.session.add(user)
    db.session.commit()


# --- Finding users ----------------------------------------------------------------------------

def test_admin_finds_people_by_email_name_or_organisation_in_any_letter_case(admin_client, anna, jan):
    html = admin_client.get(LIST + "?q=NOWAK").get_data(as_text=True)
    assert anna.display_name in html and jan.display_name not in html

    html = admin_client.get(LIST + "?q=fundacja rowerowa").get_data(as_text=True)
    assert anna.display_name in html and anna.organisation.name in html and jan.display_name not in html

    html = admin_client.get(LIST + "?q=JAN@EXAMPLE").get_data(as_text=True)
    assert jan.display_name in html and anna.display_name not in html

    html = admin_client.get(LIST + "?q=%25").get_data(as_text=True)  # "%" is a letter, not a wildcard
    assert "Nie znaleziono żadnego konta" in html


def test_the_list_shows_role_organisation_badge_and_account_state(admin_client, anna, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    anna.organisation.verified_at = clock.now_utc()
    anna.is_trusted = True
    anna.blocked_at = clock.now_utc()
    anna.blocked_until = clock.end_of_day(date(2020, 9, 30))
    db.session.commit()

    html = admin_client.get(LIST + "?q=anna").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a[^>]*>{re.escape(anna.display_name)}</a></th>(.*?)</tr>", html,
                    re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
    assert cells == [anna.email, "uczestnik", f"{anna.organisation.name} zweryfikowana",
                     "tak", "tak", "tak, do 30 września 2020 r."]


def test_the_list_pages_by_fifty_and_keeps_the_search(admin_client):
    add_participants(120)  # and the admin: 121 accounts, 3 pages

    first = admin_client.get(LIST).get_data(as_text=True)
    assert first.count('<th scope="row">') == 50
    assert "strona 1 z 3" in first and "Poprzednia" not in first
    assert 'href="/admin/uzytkownicy?strona=2" rel="next">Następna<' in first
    assert "Osoba 119" in first  # newest first

    last = admin_client.get(LIST + "?strona=3").get_data(as_text=True)
    assert last.count('<th scope="row">') == 21 and "strona 3 z 3" in last and "Następna" not in last
    assert 'href="/admin/uzytkownicy?strona=2" rel="prev">Poprzednia<' in last

    searched = admin_client.get(LIST + "?q=osoba&strona=2").get_data(as_text=True)
    assert "strona 2 z 3" in searched
    assert 'href="/admin/uzytkownicy?q=osoba&amp;strona=3"' in searched

    beyond = admin_client.get(LIST + "?strona=99").get_data(as_text=True)
    assert "strona 3 z 3" in beyond


def test_deleted_accounts_are_listed_only_as_deleted(admin_client, make_user):
    from portal.accounts.services import erase_personal_data

    gone = make_user("gone@example.org", name="Zofia Usunięta")
    erase_personal_data(gone)
    db.session.commit()

    html = admin_client.get(LIST).get_data(as_text=True)
    assert "Konto usunięte" in html
    assert "Zofia" not in html and f"usuniete-{gone.id}@invalid" not in html
    detail = admin_client.get(page_of(gone)).get_data(as_text=True)
    assert "Nie można go już zmieniać" in detail and "<form method=\"post\" action=\"/admin" not in detail


def test_the_list_runs_the_same_few_queries_for_1_and_120_users(app, admin, count_queries):
    admin_id = admin.id

    def queries() -> int:
        client = app.test_client()
        login_as(client, db.session.get(User, admin_id))
        with count_queries() as counted:
            response = client.get(LIST)
        assert response.status_code == 200
        return counted.count

    alone = queries()
    add_participants(119)
    crowded = queries()
    assert alone == crowded <= 6


def test_staff_pages_with_personal_data_are_never_cached(admin_client, anna):
    assert admin_client.get(LIST).headers["Cache-Control"] == "no-store"
    assert admin_client.get(page_of(anna)).headers["Cache-Control"] == "no-store"
    response = post(admin_client, f"{page_of(anna)}/blokada", {"block_reason": ""})
    assert response.headers["Cache-Control"] == "no-store"


# --- Roles ------------------------------------------------------------------------------------

def test_admin_makes_a_participant_a_moderator_and_the_history_says_who_when_why(admin_client, admin, anna,
                                                                                frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    response = post(admin_client, f"{page_of(anna)}/rola",
                    {"role": "moderator", "role_reason": "Dołącza do zespołu konsultacji"})
    assert response.status_code == 303 and response.headers["Location"] == page_of(anna)
    assert reload(anna).role == Role.MODERATOR

    [entry] = log_rows()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (admin.id, "role_changed",
                                                                                  "user", anna.id)
    assert entry.before_data == {"role": "participant"} and entry.after_data == {"role": "moderator"}
    assert entry.reason == "Dołącza do zespołu konsultacji"

    html = admin_client.get(page_of(anna)).get_data(as_text=True)
    assert "Zmieniono rolę na: moderator." in html
    history = html.split("Historia zmian", 1)[1]
    assert re.search(rf"20 września 2020 r., godz. 12:00.*Zmiana roli.*{re.escape(admin.display_name)}.*"
                     r"Dołącza do zespołu konsultacji.*<td>uczestnik</td>\s*<td>moderator</td>", history, re.S)


def test_admin_cannot_take_away_their_own_admin_role(admin_client, admin):
    response = post(admin_client, f"{page_of(admin)}/rola", {"role": "moderator", "role_reason": "Test"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<p class="field__error" id="role-error">.*Nie możesz odebrać sobie roli administratora',
                     html)
    assert reload(admin).role == Role.ADMIN and log_rows() == []


def test_choosing_the_role_someone_already_has_changes_nothing(admin_client, anna):
    response = post(admin_client, f"{page_of(anna)}/rola", {"role": "participant", "role_reason": "Bez zmian"})
    assert response.status_code == 303 and log_rows() == []
    assert "Bez zmian: ten stan był już ustawiony." in admin_client.get(page_of(anna)).get_data(as_text=True)


# --- Trust ------------------------------------------------------------------------------------

def test_admin_trusts_a_participant_and_takes_it_back(admin_client, anna):
    html = admin_client.get(page_of(anna)).get_data(as_text=True)
    assert "Oznacz jako zaufanego" in html

    post(admin_client, f"{page_of(anna)}/zaufany", {"trusted": "1", "trust_reason": "Rzetelne uwagi od lat"})
    assert reload(anna).is_trusted
    html = admin_client.get(page_of(anna)).get_data(as_text=True)
    assert "Użytkownik jest teraz zaufany" in html and "Odbierz zaufanie" in html

    # The same button pressed twice (two tabs, a double click) does not undo the change.
    post(admin_client, f"{page_of(anna)}/zaufany", {"trusted": "1", "trust_reason": "Jeszcze raz"})
    assert reload(anna).is_trusted

    post(admin_client, f"{page_of(anna)}/zaufany", {"trusted": "0", "trust_reason": "Spam w uwagach"})
    assert not reload(anna).is_trusted
    assert [(e.action, e.after_data, e.reason) for e in log_rows()] == [
        ("trust_changed", {"trusted": True}, "Rzetelne uwagi od lat"),
        ("trust_changed", {"trusted": False}, "Spam w uwagach")]


# --- Blocks -----------------------------------------------------------------------------------

def test_blocking_until_a_date_shows_it_and_emails_the_user_why(admin_client, anna, frozen_clock, sent_mail):
    frozen_clock.set_local("2020-09-20 12:00:00")
    response = post(admin_client, f"{page_of(anna)}/blokada",
                    {"blocked_until": "2020-09-30", "block_reason": "Obraźliwe wpisy"})
    assert response.status_code == 303

    anna = reload(anna)
    assert anna.blocked_at == clock.now_utc() and anna.block_reason == "Obraźliwe wpisy"
    assert anna.blocked_until == clock.from_local(datetime(2020, 10, 1))
    frozen_clock.set_local("2020-09-30 23:59:59")
    assert anna.is_blocked()
    frozen_clock.set_local("2020-10-01 00:00:00")
    assert not anna.is_blocked()
    frozen_clock.set_local("2020-09-20 12:05:00")

    html = admin_client.get(page_of(anna)).get_data(as_text=True)
    assert "do 30 września 2020 r.: Obraźliwe wpisy" in html
    assert "zablokowane do 30 września 2020 r." in html.split("Historia zmian", 1)[1]

    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == anna.email
    assert message.subject == "Twoje konto w serwisie Wspólnie zostało zablokowane"
    assert "zablokowane do 30 września 2020 r. włącznie" in message.body
    assert "Powód: Obraźliwe wpisy" in message.body
    assert message.sent_at is not None and [m["To"] for m in sent_mail] == [anna.email]

    [entry] = log_rows()
    assert entry.action == "user_blocked" and entry.before_data == {"blocked": False}
    assert entry.after_data == {"blocked": True, "until": "2020-09-30T22:00:00+00:00"}


def test_blocking_without_a_date_blocks_for_good(admin_client, anna):
    post(admin_client, f"{page_of(anna)}/blokada", {"blocked_until": "", "block_reason": "Podszywanie się"})
    anna = reload(anna)
    assert anna.is_blocked() and anna.blocked_until is None
    assert "bezterminowa: Podszywanie się" in admin_client.get(page_of(anna)).get_data(as_text=True)
    assert "zablokowane bezterminowo" in db.session.scalar(select(OutboxMessage.body))


def test_a_block_cannot_end_in_the_past(admin_client, anna, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    response = post(admin_client, f"{page_of(anna)}/blokada",
                    {"blocked_until": "2020-09-19", "block_reason": "Obraźliwe wpisy"})
    assert response.status_code == 200
    assert 'id="blocked_until-error"' in response.get_data(as_text=True)
    assert 'min="2020-09-20"' in response.get_data(as_text=True)
    assert not reload(anna).is_blocked()


def test_admin_cannot_block_themselves(admin_client, admin):
    html = admin_client.get(page_of(admin)).get_data(as_text=True)
    assert "Nie możesz zablokować własnego konta." in html and "/blokada" not in html
    response = post(admin_client, f"{page_of(admin)}/blokada", {"block_reason": "Test"})
    assert response.status_code == 200
    assert reload(admin).blocked_at is None and log_rows() == []


def test_unblocking_lifts_the_block_and_tells_the_user(admin_client, anna, sent_mail):
    post(admin_client, f"{page_of(anna)}/blokada", {"blocked_until": "", "block_reason": "Spam"})
    response = post(admin_client, f"{page_of(anna)}/odblokowanie", {"unblock_reason": "Wyjaśnione telefonicznie"})
    assert response.status_code == 303

    anna = reload(anna)
    assert (anna.blocked_at, anna.blocked_until, anna.block_reason) == (None, None, "")
    assert "Konto zostało odblokowane" in admin_client.get(page_of(anna)).get_data(as_text=True)
    assert [m["Subject"] for m in sent_mail] == ["Twoje konto w serwisie Wspólnie zostało zablokowane",
                                                 "Twoje konto w serwisie Wspólnie zostało odblokowane"]
    assert "Wyjaśnione telefonicznie" in sent_mail[1].get_content()
    assert [(e.action, e.before_data, e.after_data) for e in log_rows()][-1] == (
        "user_unblocked", {"blocked": True, "until": None}, {"blocked": False})


# --- Organisations ----------------------------------------------------------------------------

def test_admin_verifies_an_organisation_and_can_take_it_back(admin_client, admin, anna, unverified_organisation,
                                                             frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    organisation = unverified_organisation
    url = f"/admin/organizacje/{organisation.id}/weryfikacja?uzytkownik={anna.id}"
    response = post(admin_client, url, {"verified": "1", "verification_reason": "Sprawdzono wpis w KRS"},
                    token_page=page_of(anna))
    assert response.status_code == 303 and response.headers["Location"] == page_of(anna)
    assert reload(organisation).verified_at == clock.now_utc()

    html = admin_client.get(page_of(anna)).get_data(as_text=True)
    assert "Organizacja jest teraz zweryfikowana." in html and "zweryfikowana 20 września 2020 r." in html
    assert "Cofnij weryfikację organizacji" in html

    post(admin_client, url, {"verified": "0", "verification_reason": "KRS wykreślony"}, token_page=page_of(anna))
    assert reload(organisation).verified_at is None
    assert [(e.action, e.target_type, e.target_id, e.actor_id) for e in log_rows()] == [
        ("organisation_verified", "organisation", organisation.id, admin.id),
        ("organisation_unverified", "organisation", organisation.id, admin.id)]
    history = admin_client.get(page_of(anna)).get_data(as_text=True).split("Historia zmian", 1)[1]
    assert history.index("Cofnięcie weryfikacji organizacji") < history.index("Sprawdzono wpis w KRS")


# --- Who may do it ----------------------------------------------------------------------------

def admin_requests(user, organisation):
    return [
        ("get", LIST, {}),
        ("get", page_of(user), {}),
        ("post", f"{page_of(user)}/rola", {"role": "admin", "role_reason": "x"}),
        ("post", f"{page_of(user)}/zaufany", {"trusted": "1", "trust_reason": "x"}),
        ("post", f"{page_of(user)}/blokada", {"block_reason": "x"}),
        ("post", f"{page_of(user)}/odblokowanie", {"unblock_reason": "x"}),
        ("post", f"/admin/organizacje/{organisation.id}/weryfikacja", {"verified": "1", "verification_reason": "x"}),
    ]


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.PARTICIPANT])
def test_moderators_and_participants_get_403_on_every_admin_page_and_change(client, make_user, anna,
                                                                            unverified_organisation, role):
    staff = make_user("someone@example.org", role=role)
    login_as(client, staff)
    token = form_token(client, "/")
    for method, url, data in admin_requests(anna, unverified_organisation):
        response = getattr(client, method)(url, data={**data, "csrf_token": token})
        assert response.status_code == 403, (method, url)
    # Not even themselves: a moderator cannot make themselves admin.
    response = client.post(f"{page_of(staff)}/rola", data={"role": "admin", "role_reason": "x", "csrf_token": token})
    assert response.status_code == 403
    assert reload(staff).role == role and reload(anna).role == Role.PARTICIPANT and log_rows() == []
    assert reload(unverified_organisation).verified_at is None


def test_anonymous_visitors_are_sent_to_log_in(client, anna, unverified_organisation):
    for method, url, data in admin_requests(anna, unverified_organisation):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/logowanie"), (method, url)
    assert log_rows() == []


def test_a_change_without_a_csrf_token_is_refused_and_changes_nothing(admin_client, anna):
    response = admin_client.post(f"{page_of(anna)}/rola", data={"role": "admin", "role_reason": "Przejęcie"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz nie został wysłany" in html and 'value="Przejęcie"' in html
    assert reload(anna).role == Role.PARTICIPANT and log_rows() == []


def test_a_missing_reason_reshows_the_form_with_what_was_typed_and_the_error_by_the_field(admin_client, anna,
                                                                                          frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    response = post(admin_client, f"{page_of(anna)}/blokada", {"blocked_until": "2020-09-30", "block_reason": "  "})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="2020-09-30"' in html
    assert re.search(r'<p class="field__error" id="block_reason-error">.*Podaj powód blokady', html)
    assert re.search(r'<input aria-describedby="block_reason-hint block_reason-error" aria-invalid="true" '
                     r'id="block_reason"', html)
    assert '<a href="#block_reason">Powód blokady: Podaj powód blokady' in html  # the error summary
    assert html.count('class="error-summary"') == 1  # only the form that was sent
    assert reload(anna).blocked_at is None and db.session.scalar(select(OutboxMessage)) is None


# --- The log ----------------------------------------------------------------------------------

def test_audit_log_rows_cannot_be_changed_or_deleted(app, admin, anna):
    admin_services.change_role(admin, anna, Role.MODERATOR, "Nowy moderator")
    db.session.commit()
    entry = db.session.scalar(select(AuditLog))

    entry.reason = "Inny powód"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()

    db.session.delete(entry)
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    assert [e.reason for e in log_rows()] == ["Nowy moderator"]


def test_a_change_and_its_log_row_are_one_unit_of_work(app, admin, anna):
    """Services never commit: if the request fails, neither the change nor its log row remains."""
    admin_services.set_trusted(admin, anna, True, "Rzetelne uwagi")
    audit.record(admin, "role_changed", anna, "x")
    db.session.rollback()
    assert not reload(anna).is_trusted and log_rows() == []


def test_the_blocked_person_is_written_to_in_polish_whatever_language_the_admin_uses(admin_client, anna):
    with admin_client.session_transaction() as session:
        session["lang"] = "en"
    assert '<html lang="en">' in admin_client.get(page_of(anna)).get_data(as_text=True)
    post(admin_client, f"{page_of(anna)}/blokada", {"blocked_until": "", "block_reason": "Spam"})
    message = db.session.scalar(select(OutboxMessage))
    assert message.subject == "Twoje konto w serwisie Wspólnie zostało zablokowane"
    assert message.body.startswith("Dzień dobry,")
