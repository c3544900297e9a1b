"""Behind PROXY_TRUSTED_HOPS reverse proxies the client's own address counts (issue 19)."""
import pytest
from flask import request

from tests.conftest import log_in

PROXY = "10.0.0.1"  # every request reaches the app from the proxy


@pytest.fixture
def app_config(request):
    return {"PROXY_TRUSTED_HOPS": getattr(request, "param", 1)}


def _behind_the_proxy(app, forwarded_for: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    return client


def _fail_logins(client, times: int) -> list[int]:
    # A different account each time: only the limit per address is at work.
    return [log_in(client, f"osoba{n}@example.org", password="zgadywane hasło").status_code
            for n in range(times)]


def test_behind_one_proxy_the_login_limit_per_address_locks_only_that_client(app):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per 15 minutes"
    guesser = _behind_the_proxy(app, "203.0.113.5")
    assert _fail_logins(guesser, 3) == [200, 200, 200]
    assert log_in(guesser, "ktos@example.org", password="zgadywane hasło").status_code == 429
    # A header the guesser adds is kept by the proxy in front of its own: only the last counts.
    forged = _behind_the_proxy(app, "198.51.100.77, 203.0.113.5")
    assert log_in(forged, "ktos@example.org", password="zgadywane hasło").status_code == 429

    neighbour = _behind_the_proxy(app, "203.0.113.6")
    assert log_in(neighbour, "ktos@example.org", password="zgadywane hasło").status_code == 200


@pytest.mark.own_app
def test_behind_one_proxy_address_and_scheme_are_the_clients_but_the_host_is_not_forwarded(app):
    @app.get("/_who")
    def who():
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    client = _behind_the_proxy(app, "198.51.100.77, 203.0.113.5")
    client.environ_base["HTTP_X_FORWARDED_HOST"] = "evil.example"
    assert client.get("/_who").get_json() == {"addr": "203.0.113.5", "scheme": "https", "host": "localhost"}


@pytest.mark.parametrize("app_config", [0], indirect=True)
def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(app):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per 15 minutes"
    # Straight from the internet: every request says it forwards someone else.
    statuses = [log_in(_behind_the_proxy(app, f"203.0.113.{n}"), f"osoba{n}@example.org",
                       password="zgadywane hasło").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
