"""Real gunicorn behind a simulated reverse proxy: two clients told apart by X-Forwarded-For (issue 19).

The proxy is played by the test: it passes each browser's cookies on (the session cookie is
Secure, the proxy speaks HTTPS to the browser and plain HTTP to gunicorn) and adds the browser's
address in X-Forwarded-For. The portal runs as in production (`gunicorn wsgi:app` with the
committed gunicorn.conf.py, one worker, limits in memory) on a SQLite file of its own, whatever
TEST_DATABASE_URL says: it never touches the suite's database, so it needs no marker.
"""
import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from portal import create_app
from portal.extensions import db
from tests.conftest import CSRF_INPUT, _free_port
from tests.database import migrate

pytest.importorskip("gunicorn", reason="gunicorn is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "anna@fundacja.example"
PASSWORD = "zielony rower nad Wisłą"
CLIENT_A = "203.0.113.7"
CLIENT_B = "198.51.100.9"
LIMIT_PER_IP = 3
CHEAP_HASH = "pbkdf2:sha256:1"  # as in the other tests: scrypt would make each login 0.1-0.2 s


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str


@dataclass
class BrowserBehindTheProxy:
    """One person's browser as gunicorn sees it through the proxy: its cookies, its address."""

    port: int
    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https",
                   "Referer": f"https://127.0.0.1:{self.port}{path}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read().decode())
        finally:
            connection.close()
        for line in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                self.cookies[name] = morsel.value
        return answer

    def log_in(self, email: str, password: str) -> Answer:
        """Through the login form, as a person would: the page first, then the form with its token."""
        match = CSRF_INPUT.search(self.request("GET", "/logowanie").body)
        assert match, "no CSRF token on /logowanie"
        return self.request("POST", "/logowanie", {"csrf_token": match.group(1), "email": email,
                                                   "password": password, "next": ""})


def _environment(database: Path, port: int, hops: int) -> dict[str, str]:
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("FLASK_")}
    return {**inherited,
            "FLASK_SECRET_KEY": "gunicorn-proxy-test-key",
            "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "FLASK_SERVER_NAME": f"127.0.0.1:{port}",
            "FLASK_PROXY_TRUSTED_HOPS": str(hops),
            "FLASK_LOGIN_LIMIT_PER_IP": f"{LIMIT_PER_IP} per 15 minutes",
            # Out of the way: refused attempts count against the account too, and this is about addresses.
            "FLASK_LOGIN_LIMIT_PER_ACCOUNT": "50 per 15 minutes",
            "FLASK_RATELIMIT_STORAGE_URI": "memory://",
            "FLASK_PASSWORD_HASH_METHOD": CHEAP_HASH,
            "WSPOLNIE_BIND": f"127.0.0.1:{port}", "WSPOLNIE_WORKERS": "1"}


@pytest.fixture(scope="module")
def seeded_database(tmp_path_factory) -> Path:
    """A SQLite file built by the migrations, with one account made by the `create-user` command."""
    path = tmp_path_factory.mktemp("gunicorn-proxy") / "seeded.sqlite"
    uri = f"sqlite:///{path}"
    migrate(uri)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": CHEAP_HASH},
                     instance_path=str(path.parent))
    with app.app_context():
        made = app.test_cli_runner().invoke(args=["create-user", EMAIL, "--password-stdin"],
                                            input=PASSWORD + "\n")
        db.engine.dispose()
    assert made.exit_code == 0, made.output
    return path


def _wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, f"gunicorn exited:\n{log.read_text()}"
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            status = connection.getresponse().status
            connection.close()
            assert status == 200, f"/healthz answered {status}:\n{log.read_text()}"
            return
        except OSError:
            assert time.monotonic() < deadline, f"gunicorn did not answer in 30 s:\n{log.read_text()}"
            time.sleep(0.1)


@pytest.fixture
def portal_behind_proxy(tmp_path, seeded_database):
    """`portal_behind_proxy(hops)`: the port of `gunicorn wsgi:app` with PROXY_TRUSTED_HOPS=hops,
    on a copy of `seeded_database`; stopped at the end of the test."""
    servers: list[subprocess.Popen] = []

    def start(hops: int) -> int:
        port = _free_port()
        database = tmp_path / f"portal-{hops}.sqlite"
        shutil.copyfile(seeded_database, database)
        log = tmp_path / f"gunicorn-{hops}.log"
        with log.open("w") as output:
            servers.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app"], cwd=ROOT,
                                            env=_environment(database, port, hops), stdout=output,
                                            stderr=subprocess.STDOUT, start_new_session=True))
        _wait_until_up(port, servers[-1], log)
        return port

    yield start
    for server in servers:
        os.killpg(server.pid, signal.SIGTERM)
    for server in servers:
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _guess_until_refused(port: int, address: str) -> list[int]:
    guesser = BrowserBehindTheProxy(port, address)
    return [guesser.log_in(EMAIL, "to nie jest moje hasło").status for _ in range(LIMIT_PER_IP + 1)]


def test_behind_one_trusted_proxy_the_guessing_client_is_locked_and_the_other_logs_in(
        portal_behind_proxy):
    port = portal_behind_proxy(1)
    assert _guess_until_refused(port, CLIENT_A) == [200] * LIMIT_PER_IP + [429]

    owner = BrowserBehindTheProxy(port, CLIENT_B)
    answer = owner.log_in(EMAIL, PASSWORD)
    assert answer.status == 302, answer.body
    assert "Moje konto" in owner.request("GET", "/konto").body
    # ...while the guessing address stays locked, even with the right password, and even when
    # it sends an X-Forwarded-For of its own (the proxy adds the real address after it).
    for forwarded in (CLIENT_A, f"{CLIENT_B}, {CLIENT_A}"):
        refused = BrowserBehindTheProxy(port, forwarded).log_in(EMAIL, PASSWORD)
        assert refused.status == 429 and "Spróbuj ponownie o" in refused.body
        assert refused.headers["X-RateLimit-Limit"] == str(LIMIT_PER_IP)  # the limit per address


def test_without_trusted_proxies_every_client_behind_the_proxy_is_one_address(portal_behind_proxy):
    """The setting matters: with PROXY_TRUSTED_HOPS=0 the proxy's own address is all gunicorn sees."""
    port = portal_behind_proxy(0)
    assert _guess_until_refused(port, CLIENT_A) == [200] * LIMIT_PER_IP + [429]

    refused = BrowserBehindTheProxy(port, CLIENT_B).log_in(EMAIL, PASSWORD)
    assert refused.status == 429 and "Spróbuj ponownie o" in refused.body
    assert refused.headers["X-RateLimit-Limit"] == str(LIMIT_PER_IP)  # the limit per address
