"""The production shape: gunicorn's settings and access log, the health check, cache headers."""
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from flask_static_digest import digester

from portal import create_app, warm_up
from portal.extensions import static_digest
from tests.conftest import _free_port, login_as

ROOT = Path(__file__).resolve().parent.parent


def test_the_health_check_answers_ok_while_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_the_health_check_answers_503_when_the_database_is_down(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/none"},
                     instance_path=str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


@pytest.mark.own_app
def test_a_warmed_up_process_reads_no_template_or_translation_at_its_first_pages(app, client, monkeypatch):
    """gunicorn's master warms up (wsgi.py) and every worker is its fork: a recycled worker's first
    pages, in either language, read nothing from disk that the master had not read already."""
    from babel.support import Translations

    warm_up(app)
    read = []
    loader = app.jinja_env.loader
    get_source = loader.get_source
    monkeypatch.setattr(loader, "get_source", lambda env, name: read.append(name) or get_source(env, name))
    load = Translations.load

    def loading(dirname=None, locales=None, domain=None):  # WTForms' own messages are read per request
        if domain != "wtforms":
            read.append(f"translations {locales}")
        return load(dirname, locales, domain)

    monkeypatch.setattr(Translations, "load", loading)

    for language in ("pl", "en"):
        with client.session_transaction() as browser:
            browser["lang"] = language
        for path, status in (("/", 200), ("/logowanie", 200), ("/nie-ma-takiej-strony", 404)):
            assert client.get(path).status_code == status
    assert read == []


@pytest.fixture
def silent_database(silent_server):
    """A 'database' that accepts TCP connections and never answers: its port."""
    return silent_server


def test_the_health_check_answers_503_within_2_seconds_when_the_database_never_answers(
        tmp_path, silent_database):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{silent_database}/none"},
                     instance_path=str(tmp_path))
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"]["connect_timeout"] == 3 and options["pool_timeout"] == 10
    assert "-c statement_timeout=30000" in options["connect_args"]["options"]
    client = app.test_client()
    for _ in range(2):  # the second time too (the first check's thread may still be waiting)
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
        assert response.status_code == 503 and response.get_json()["database"] == "unreachable"
        assert elapsed <= 2.0, elapsed  # measured: ~1.5 s (HEALTHZ_TIMEOUT)


def test_postgresql_connections_get_the_statement_timeout_and_sqlite_gets_no_timeouts(app, tmp_path):
    from sqlalchemy import text

    from portal.extensions import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "30s"
            # the test URL's own options (its schema's search_path) are kept
            assert connection.execute(text("SHOW search_path")).scalar().startswith("test_")
    sqlite = create_app({"TESTING": True, "SECRET_KEY": "x",
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"},
                        instance_path=str(tmp_path))
    assert sqlite.config["SQLALCHEMY_ENGINE_OPTIONS"] == {}  # no timeouts (and no ping before every use)
    assert sqlite.test_client().get("/healthz").status_code == 200


@pytest.fixture
def digested(app, tmp_path):
    """The fingerprinted static files, as `make setup` builds them (`flask digest compile`).

    Built in a copy of static/ (other test workers read the real one) for an app of its own.
    """
    folder = tmp_path / "static"
    shutil.copytree(app.static_folder, folder, ignore=shutil.ignore_patterns("cache_manifest.json", "*-" + "?" * 32 + ".*"))
    app.static_folder = str(folder)
    digester.compile(str(folder), str(folder), [], False, False)
    static_digest.init_app(app)  # read the manifest just written
    return app


@pytest.mark.own_app
def test_pages_link_fingerprinted_static_files_that_are_cached_for_a_year(digested, client):
    page = client.get("/").get_data(as_text=True)
    stylesheet = next(part for part in page.split('"') if part.startswith("/static/css/main-"))
    response = client.get(stylesheet)
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.immutable and response.cache_control.public
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # The plain name (not fingerprinted) must be revalidated: it changes when the file does.
    assert client.get("/static/css/main.css").cache_control.no_cache


def test_nothing_shown_to_a_signed_in_person_is_stored_by_any_cache(client, torun, make_user):
    anonymous = client.get("/konsultacje/program-wspolpracy-2021")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    assert "Cookie" in anonymous.headers["Vary"]
    login_as(client, make_user("anna@ngo.example"))
    for url in ("/", "/konsultacje/program-wspolpracy-2021", "/konto"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_no_answer_from_the_back_office_is_stored_whoever_asked(app, torun):
    """Even the login redirects and 404s of /zespol, /moderacja and /admin: one rule, no per-page hooks."""
    anonymous = app.test_client()
    for url in ("/zespol/konsultacje", "/moderacja/kolejka", "/admin/uzytkownicy", "/zespol/retencja",
                "/zespol/nie-ma-takiej-strony"):
        response = anonymous.get(url)
        assert response.status_code in (302, 404) and response.headers["Cache-Control"] == "no-store", url
    assert "no-store" not in anonymous.get("/konsultacje/program-wspolpracy-2021/zmiany").headers.get(
        "Cache-Control", "")


def test_gunicorn_serves_the_portal_and_logs_no_personal_data(tmp_path):
    """`gunicorn wsgi:app` with the committed gunicorn.conf.py: no client address, no query string in the log."""
    port = _free_port()
    env = {**os.environ, "FLASK_SECRET_KEY": "production-test-key", "FLASK_SERVER_NAME": "konsultacje.example.org",
           "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite'}",
           "WSPOLNIE_BIND": f"127.0.0.1:{port}", "WSPOLNIE_WORKERS": "2"}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app"], cwd=ROOT, env=env,
                                  stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            health = _wait_for(f"http://127.0.0.1:{port}/healthz")
            assert health == b'{"database":"ok","status":"ok"}\n'
            _get(f"http://127.0.0.1:{port}/potwierdz-email?token=SEKRETNY-TOKEN-123")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            _stopped(server, log, within=30)
    text = log.read_text()
    assert '"GET /healthz" 200' in text
    assert '"GET /potwierdz-email" 400' in text
    assert "SEKRETNY" not in text and "127.0.0.1 " not in text.replace(f"127.0.0.1:{port}", "")
    assert "Booting worker" in text and text.count("Booting worker") == 2


@pytest.mark.parametrize("slow", ["before post_fork", "after post_fork"])
def test_a_worker_still_starting_stops_at_once_with_the_server(tmp_path, slow):
    """A stop that reaches a worker before gunicorn has given it its own signal handlers is not
    lost (gunicorn issue #1910): the master's handlers, which the worker has until then, end it.
    Here every worker but the first takes 3 s more to start, before the committed post_fork (as a
    worker forked on a busy machine that does not run at once) or after it; the server still
    stops in a moment, not after the 30 s grace."""
    port = _free_port()
    config = tmp_path / "slow_start.conf.py"
    config.write_text(
        f"exec(open({str(ROOT / 'gunicorn.conf.py')!r}).read())\n"
        "_committed_post_fork = post_fork\n"
        "def post_fork(server, worker):\n"
        f"    if worker.age > 1 and {slow == 'before post_fork'}:\n"
        "        __import__('time').sleep(3)\n"
        "    _committed_post_fork(server, worker)\n"
        f"    if worker.age > 1 and {slow == 'after post_fork'}:\n"
        "        __import__('time').sleep(3)\n")
    env = {**os.environ, "FLASK_SECRET_KEY": "production-test-key", "FLASK_SERVER_NAME": "konsultacje.example.org",
           "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite'}",
           "WSPOLNIE_BIND": f"127.0.0.1:{port}", "WSPOLNIE_WORKERS": "2"}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(config), "wsgi:app"], cwd=ROOT,
                                  env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_for(f"http://127.0.0.1:{port}/healthz")
            while log.read_text().count("Booting worker") < 2:
                time.sleep(0.05)
            started = time.monotonic()
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    assert time.monotonic() - started < 2
    assert log.read_text().count("Worker exiting") == 2


def _stopped(server: subprocess.Popen, log, within: float) -> None:
    """Waits for the server to end; if it does not, kills it and fails, showing what it logged."""
    try:
        server.wait(timeout=within)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        pytest.fail(f"gunicorn did not stop within {within} s of SIGTERM; its log:\n{log.read_text()}")


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        return error.read()


def _wait_for(url: str) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        try:
            return _get(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
