"""The site never loses its last admin: not by a role change, a block, an erased account — nor a race.

Issue 19: two admins demoting each other at the same moment used to leave nobody to manage accounts.
"""
import re
import threading

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.audit import AuditLog
from portal.extensions import db
from tests.conftest import PASSWORD, form_token, login_as, visible_text

LAST_ADMIN = "To jedyne konto administratora w serwisie"


def page_of(user) -> str:
    return f"/admin/uzytkownicy/{user.id}"


def send_form(client, page, action, data):
    """Post a form as a browser would: with the CSRF token of the page it was on."""
    return client.post(action, data={**data, "csrf_token": form_token(client, page)})


def active_admins() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(select(User.email).where(User.role == Role.ADMIN, User.deleted_at.is_(None))
                              .order_by(User.email)).all()


def log_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog))


# --- One request at a time --------------------------------------------------------------------

def test_the_only_admin_cannot_take_away_their_own_admin_role(admin_client, admin):
    response = send_form(admin_client, page_of(admin), f"{page_of(admin)}/rola",
                         {"role": "participant", "role_reason": "Odchodzę z urzędu"})
    assert response.status_code == 200
    assert re.search(r'id="role-error">.*Nie możesz odebrać sobie roli administratora',
                     response.get_data(as_text=True))
    assert active_admins() == [admin.email] and log_rows() == 0


def test_the_only_admin_cannot_block_their_own_account(admin_client, admin):
    response = send_form(admin_client, page_of(admin), f"{page_of(admin)}/blokada",
                         {"blocked_until": "", "block_reason": "Test"})
    assert response.status_code == 200
    assert "Nie możesz zablokować własnego konta." in visible_text(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(User, admin.id).blocked_at is None and active_admins() == [admin.email]


def test_an_admin_cannot_be_blocked_by_another_admin(admin_client, make_user):
    other = make_user("drugi.admin@urzad.example", role=Role.ADMIN, name="Drugi Administrator")
    response = send_form(admin_client, page_of(other), f"{page_of(other)}/blokada",
                         {"blocked_until": "", "block_reason": "Test"})
    assert response.status_code == 200
    assert "Nie można zablokować moderatora ani administratora." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, other.id).blocked_at is None


def test_the_only_admin_cannot_delete_their_account_and_is_told_why(admin_client, admin):
    response = send_form(admin_client, "/konto/usun", "/konto/usun",
                         {"current_password": PASSWORD, "confirm": "y"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(rf'id="confirm-error">.*{LAST_ADMIN}', html, re.S)
    assert "Najpierw nadaj rolę administratora innej osobie." in visible_text(html)
    db.session.expire_all()
    kept = db.session.get(User, admin.id)
    assert kept.is_active and kept.check_password(PASSWORD) and active_admins() == [admin.email]
    assert admin_client.get("/konto").status_code == 200  # still signed in


def test_an_admin_may_delete_their_account_when_another_admin_remains(admin_client, admin, make_user):
    other = make_user("drugi.admin@urzad.example", role=Role.ADMIN, name="Drugi Administrator")
    response = send_form(admin_client, "/konto/usun", "/konto/usun",
                         {"current_password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert active_admins() == [other.email]


def test_a_wrong_password_is_said_before_the_last_admin_rule(admin_client, admin):
    response = send_form(admin_client, "/konto/usun", "/konto/usun",
                         {"current_password": "to nie jest moje hasło", "confirm": "y"})
    html = response.get_data(as_text=True)
    assert "Obecne hasło jest nieprawidłowe." in html and LAST_ADMIN not in html


# --- Two requests at the same moment ----------------------------------------------------------

def at_once(requests):
    """Send the requests at the same moment, each from its own thread (its own connection)."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def run(index, send):
        barrier.wait()
        responses[index] = send()

    threads = [threading.Thread(target=run, args=(i, send)) for i, send in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.commits
def test_two_admins_demoting_each_other_at_once_leave_exactly_one_admin(app, make_user):
    ewa = make_user("ewa@urzad.example", role=Role.ADMIN, name="Ewa Administratorka")
    olek = make_user("olek@urzad.example", role=Role.ADMIN, name="Olek Administrator")
    ewa_browser, olek_browser = app.test_client(), app.test_client()
    login_as(ewa_browser, ewa)
    login_as(olek_browser, olek)

    for attempt in range(5):  # a few rounds: the race must never leave the site without an admin
        for person in (ewa, olek):
            person.role = Role.ADMIN
        db.session.commit()

        def demote(browser, other):
            token = form_token(browser, page_of(other))
            data = {"role": "moderator", "role_reason": f"Runda {attempt}", "csrf_token": token}
            return lambda: browser.post(f"{page_of(other)}/rola", data=data)

        responses = at_once([demote(ewa_browser, olek), demote(olek_browser, ewa)])

        assert len(active_admins()) == 1, f"round {attempt}"
        [done] = [r for r in responses if r.status_code == 303]
        [refused] = [r for r in responses if r is not done]
        if refused.status_code == 200:  # in the same moment: refused by the rule, next to the field
            assert 'id="role-error"' in refused.get_data(as_text=True)
        else:  # the other change came first: no longer an admin at all
            assert refused.status_code == 403


@pytest.mark.commits
def test_the_last_two_admins_deleting_their_accounts_at_once_leave_one_admin(app, make_user):
    for attempt in range(5):
        for survivor in db.session.scalars(select(User).where(User.role == Role.ADMIN)):
            survivor.role = Role.PARTICIPANT  # the previous round's survivor steps aside
        db.session.commit()
        browsers = []
        for name in ("ewa", "olek"):
            browser = app.test_client()
            login_as(browser, make_user(f"{name}{attempt}@urzad.example", role=Role.ADMIN))
            data = {"current_password": PASSWORD, "confirm": "y", "csrf_token": form_token(browser, "/konto/usun")}
            browsers.append((browser, data))

        responses = at_once([lambda b=browser, d=data: b.post("/konto/usun", data=d) for browser, data in browsers])

        assert len(active_admins()) == 1, f"round {attempt}"
        assert sorted(r.status_code for r in responses) == [200, 302], f"round {attempt}"
        [refused] = [r for r in responses if r.status_code == 200]
        assert LAST_ADMIN in refused.get_data(as_text=True)
