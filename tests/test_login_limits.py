"""Login is rate-limited per account and per address, in memory and in Redis (production)."""
import os
import socket

import pytest

from portal.extensions import limiter
from tests.conftest import form_token, log_in

# A database of its own (tests reset it), one per xdist worker (gw0 -> 15, gw1 -> 14, ...).
EMAIL = "anna@fundacja.example"
PASSWORD = "zielony rower nad Wisłą"
REDIS_DB = 15 - int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")) % 16
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["memory", "redis"])
def app_config(request):
    if request.param == "redis":
        if not redis_is_up():
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        return {"RATELIMIT_STORAGE_URI": REDIS_URL}
    return {"RATELIMIT_STORAGE_URI": "memory://"}


def test_the_sixth_wrong_password_for_an_account_is_stopped_with_a_time_to_retry(
        app, client, make_user, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    make_user(EMAIL, password=PASSWORD)
    for _ in range(5):
        assert log_in(client, EMAIL, password="to nie jest moje hasło").status_code == 200
    blocked = log_in(client, EMAIL, password=PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429
    html = blocked.get_data(as_text=True)
    assert "Spróbuj ponownie o" in html and 'value="anna@fundacja.example"' in html
    assert "Moje konto" not in html


def test_the_limit_per_account_holds_across_addresses(app, make_user):
    make_user(EMAIL, password=PASSWORD)
    for n in range(5):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        log_in(client, EMAIL, password="to nie jest moje hasło")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    assert log_in(client, EMAIL, PASSWORD).status_code == 429


def test_the_limit_per_address_holds_across_accounts(app, client, make_user):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per 15 minutes"
    for n in range(3):
        assert log_in(client, f"osoba{n}@example.org", password="zgadywane hasło").status_code == 200
    assert log_in(client, "osoba9@example.org", password="zgadywane hasło").status_code == 429


def test_attempts_refused_by_the_address_limit_do_not_lock_the_account(app, make_user):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per 15 minutes"
    make_user(EMAIL, password=PASSWORD)
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    answers = [log_in(guesser, EMAIL, password="zgadywane hasło").status_code for _ in range(8)]
    assert answers == [200, 200, 200] + [429] * 5
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.9"  # a browser that never logged in here before
    assert log_in(owner, EMAIL, PASSWORD).status_code == 302


def test_successful_logins_do_not_use_up_the_limit(app, client, make_user):
    make_user(EMAIL, password=PASSWORD)
    for _ in range(7):
        assert log_in(client, EMAIL, PASSWORD).status_code == 302
        client.post("/wyloguj", data={"csrf_token": form_token(client, "/konto")})


def test_other_accounts_are_not_affected_by_one_accounts_limit(app, make_user):
    make_user(EMAIL, password=PASSWORD)
    make_user("jan@fundacja.example", password=PASSWORD)
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    for _ in range(6):
        log_in(attacker, EMAIL, password="zgadywane hasło")
    jan = app.test_client()
    assert log_in(jan, "jan@fundacja.example", PASSWORD).status_code == 302


def test_a_browser_that_logged_in_before_gets_in_with_the_right_password_while_the_account_is_locked(
        app, make_user):
    make_user(EMAIL, password=PASSWORD)
    own = app.test_client()
    own.environ_base["REMOTE_ADDR"] = "10.2.2.2"
    assert log_in(own, EMAIL, PASSWORD).status_code == 302
    own.post("/wyloguj", data={"csrf_token": form_token(own, "/konto")})

    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    for _ in range(5):
        assert log_in(attacker, EMAIL, password="zgadywane hasło").status_code == 200
    assert log_in(attacker, EMAIL, password="zgadywane hasło").status_code == 429

    assert log_in(own, EMAIL, PASSWORD).status_code == 302  # the owner's browser is not locked out
    # Everyone else still is, even with the right password (a guesser learns nothing).
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "10.3.3.3"
    assert log_in(stranger, EMAIL, PASSWORD).status_code == 429


def test_the_known_browser_mark_names_no_address_and_cannot_be_made_up(app, make_user):
    make_user(EMAIL, password=PASSWORD)
    make_user("jan@fundacja.example", password=PASSWORD)
    jan = app.test_client()
    assert log_in(jan, "jan@fundacja.example", PASSWORD).status_code == 302
    mark = jan.get_cookie("wspolnie_known")
    assert mark is not None and "fundacja" not in mark.value and mark.http_only

    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    for _ in range(5):
        log_in(attacker, EMAIL, password="zgadywane hasło")
    # Jan's browser is known for Jan's account only; a made-up mark is no mark.
    assert log_in(jan, EMAIL, PASSWORD).status_code == 429
    attacker.set_cookie("wspolnie_known", "0" * 32)
    assert log_in(attacker, EMAIL, PASSWORD).status_code == 429


def test_a_known_browser_guessing_is_still_held_by_the_limit_per_address(app, make_user):
    app.config["LOGIN_LIMIT_PER_IP"] = "7 per 15 minutes"
    make_user(EMAIL, password=PASSWORD)
    own = app.test_client()
    assert log_in(own, EMAIL, PASSWORD).status_code == 302
    statuses = [log_in(own, EMAIL, password="zgadywane hasło").status_code for _ in range(7)]
    assert statuses == [200] * 7  # the account's own lock does not count this browser...
    assert log_in(own, EMAIL, password="zgadywane hasło").status_code == 429  # ...its address does


def test_a_browser_that_opened_a_reset_link_gets_in_while_the_account_is_locked(
        app, client, make_user, smtp_sink):
    make_user(EMAIL, password=PASSWORD)
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    for _ in range(5):
        log_in(attacker, EMAIL, password="zgadywane hasło")
    assert log_in(client, EMAIL, PASSWORD).status_code == 429  # a new browser of the owner waits...

    client.post("/nie-pamietam-hasla", data={"email": EMAIL,
                                             "csrf_token": form_token(client, "/nie-pamietam-hasla")})
    link = smtp_sink.last_link(EMAIL).removeprefix("http://localhost")
    new_password = "nowe hasło na rower"
    assert client.post(link, data={"password": new_password,
                                   "csrf_token": form_token(client, link)}).status_code == 302
    assert log_in(client, EMAIL, new_password).status_code == 302  # ...unless the mailbox vouches
    assert log_in(attacker, EMAIL, new_password).status_code == 429


def test_a_limit_set_for_every_page_is_still_checked_before_the_view(_app_for):
    """Limits hold per view (`@limiter.limit`); the check before every view is skipped only while
    no limit for every page is configured (portal._bind_limiter). Configure one, and it holds."""
    app = _app_for({"RATELIMIT_DEFAULT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"}, own=True)
    try:
        client = app.test_client()
        assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        limiter.limit_manager.set_default_limits([])  # one Limiter serves every test's app
