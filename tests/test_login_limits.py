"""Login is rate-limited per account and per address, in memory and in Redis (production)."""
import os
import socket

import pytest

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
