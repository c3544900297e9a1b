"""Load: wrk for the pages, a small threaded client for writing comments and for the sign-up burst.

wrk cannot carry a session and a CSRF token per connection, so the two writing paths are
driven from Python threads (each with its own HTTP connection), timing only the POST.
"""
from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from http.cookies import SimpleCookie
from itertools import count, cycle
from urllib.parse import urlencode, urlsplit

from flask import Flask, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event

from benchmarks.report import LoadResult, load_from_latencies, parse_wrk
from benchmarks.servers import BENCHMARKS
from portal.extensions import db

# A browser's User-Agent: requests without one (or a bot's) are not counted as views.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) wspolnie-benchmark"
WRK_SCRIPT = BENCHMARKS / "wrk_report.lua"
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def wrk_missing() -> str | None:
    if shutil.which("wrk"):
        return None
    return "wrk is not installed: `sudo apt-get install -y wrk` (Debian/Ubuntu) and run again."


def run_wrk(url: str, duration: int, connections: int, threads: int, cookie: str | None = None) -> LoadResult:
    """wrk against one URL; `cookie`: every request carries this session (a signed-in reader)."""
    command = ["wrk", "-t", str(max(1, min(threads, connections))), "-c", str(connections), "-d", f"{duration}s",
               "--timeout", "60s", "-H", f"User-Agent: {USER_AGENT}", "-s", str(WRK_SCRIPT), url]
    if cookie:
        command[-3:-3] = ["-H", f"Cookie: session={cookie}"]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=duration + 120)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr.strip() or result.stdout.strip()}")
    return parse_wrk(result.stdout)


def _connection(base_url: str) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)


def status_of(base_url: str, path: str, cookie: str | None = None) -> int:
    """The status a browser would get first (redirects not followed)."""
    conn = _connection(base_url)
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT,
                                           **({"Cookie": f"session={cookie}"} if cookie else {})})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


# --- SQL queries per page, counted in this process ----------------------------------------------

def count_queries(app: Flask, path: str, login_id: str | None = None) -> tuple[int, int]:
    """(status, SQL statements) of one GET by a new visitor (no cookies), after a warm-up request."""
    _client(app, login_id).get(path, headers={"User-Agent": USER_AGENT})
    client = _client(app, login_id)
    return _counted(app, lambda: client.get(path, headers={"User-Agent": USER_AGENT}))


def count_comment_queries(app: Flask, path: str, login_id: str, body: str) -> tuple[int, int]:
    """(status, SQL statements) of writing one comment: the form is opened first, then sent."""
    client = _client(app, login_id)
    match = CSRF_INPUT.search(client.get(path).get_data(as_text=True))
    if match is None:
        raise RuntimeError(f"no comment form on {path}")
    form = {"csrf_token": match.group(1), "parent_id": "", "paragraph": "", "body": body}
    return _counted(app, lambda: client.post(path, data=form, headers={"User-Agent": USER_AGENT}))


def _client(app: Flask, login_id: str | None):
    client = app.test_client()
    if login_id:
        with client.session_transaction() as browser:
            browser["_user_id"], browser["_fresh"] = login_id, True
    return client


def _counted(app: Flask, request) -> tuple[int, int]:
    """Every statement the request sends (the outbox's and the view counter's included)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response.status_code, len(statements)


# --- the POST path: writing comments ------------------------------------------------------------

@dataclass
class Writer:
    """A participant with the session cookie and form token their browser would hold."""

    cookie: str
    token: str
    ready_at: float = 0.0   # paced to stay within the forum's posts per minute


def writers_for(app: Flask, login_ids: list[str]) -> list[Writer]:
    """Sessions made with the portal's own signer — what logging in and opening the form gives."""
    serializer = app.session_interface.get_signing_serializer(app)
    writers = []
    for login_id in login_ids:
        with app.test_request_context():
            session["_user_id"], session["_fresh"] = login_id, True
            token = generate_csrf()
            writers.append(Writer(serializer.dumps(dict(session)), token))
    return writers


def as_after_a_visit(app: Flask, writer: Writer, path: str) -> Writer:
    """The writer with the cookie their browser holds after one visit to `path`: a counted view is
    noted in the session, and a browser sends that cookie from then on (wrk would keep sending
    the first one, and the portal would note the view — and sign a new cookie — on every request)."""
    response = app.test_client(use_cookies=False).get(
        path, headers={"User-Agent": USER_AGENT, "Cookie": f"session={writer.cookie}"})
    cookie = SimpleCookie(response.headers.get("Set-Cookie", ""))
    return replace(writer, cookie=cookie["session"].value) if "session" in cookie else writer


@dataclass
class WriteRun:
    load: LoadResult
    statuses: Counter = field(default_factory=Counter)
    waited_s: float = 0.0   # time threads waited for a participant allowed to write again


WRITTEN = "redirected to the new comment"


def written(response: http.client.HTTPResponse) -> str | int:
    """Success is the redirect to the comment's permalink; a 200 is the form shown again (refused)."""
    if response.status in (302, 303) and "/forum/uwagi/" in (response.getheader("Location") or ""):
        return WRITTEN
    return response.status


def write_comments(base_url: str, slug: str, thread_ids: list[int], writers: list[Writer], duration: int,
                   connections: int, interval_s: float) -> WriteRun:
    """POST comments for `duration` seconds, each participant at most once per interval."""
    available, lock = deque(writers), threading.Lock()
    targets, numbers = cycle(thread_ids), count(1)
    latencies: list[float] = []
    statuses: Counter = Counter()
    waited = [0.0]
    deadline = time.monotonic() + duration

    def take() -> tuple[Writer, int, int] | None:
        while True:
            with lock:
                if available:
                    writer = available.popleft()
                    target, number = next(targets), next(numbers)
                    break
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)
        pause = writer.ready_at - time.monotonic()
        if pause > 0:
            if time.monotonic() + pause >= deadline:
                return None
            waited[0] += pause
            time.sleep(pause)
        return writer, target, number

    def write():
        conn = _connection(base_url)
        while time.monotonic() < deadline:
            taken = take()
            if taken is None:
                break
            writer, target, number = taken
            form = urlencode({"csrf_token": writer.token, "parent_id": "", "paragraph": "",
                              "body": f"Uwaga z testu obciążenia nr {number}: proponujemy zmianę zapisu."})
            started = time.monotonic()
            try:
                conn.request("POST", f"/konsultacje/{slug}/forum/watek/{target}", body=form, headers={
                    "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={writer.cookie}",
                    "User-Agent": USER_AGENT})
                response = conn.getresponse()
                response.read()
                status = written(response)
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                status = type(error).__name__
            elapsed_ms = (time.monotonic() - started) * 1000
            writer.ready_at = started + interval_s + 1
            with lock:
                statuses[status] += 1
                if status == WRITTEN:
                    latencies.append(elapsed_ms)
                available.append(writer)
        conn.close()

    started = time.monotonic()
    _run_threads([write] * connections)
    seconds = time.monotonic() - started
    errors = sum(n for status, n in statuses.items() if status != WRITTEN)
    return WriteRun(load_from_latencies(latencies, seconds, errors), statuses, waited[0])


# --- the sign-up burst --------------------------------------------------------------------------

@dataclass
class BurstRun:
    latencies_ms: list[float]
    errors: int
    seconds: float
    statuses: Counter


def signup_burst(base_url: str, slug: str, group_ids: list[int], submissions: int) -> BurstRun:
    """`submissions` people open the sign-up form, then all press "send" at the same moment."""
    path = f"/konsultacje/{slug}/grupy-robocze/zapis"
    barrier = threading.Barrier(submissions, timeout=120)
    latencies, statuses, lock = [], Counter(), threading.Lock()
    spans: list[tuple[float, float]] = []

    def person(n: int) -> None:
        conn = _connection(base_url)
        try:
            cookie, token = _open_form(conn, path)
        except Exception:  # noqa: BLE001 - counted as an error; the others must still go
            with lock:
                statuses["form not loaded"] += 1
            _wait(barrier)
            return
        form = urlencode({
            "csrf_token": token, "group": group_ids[n % len(group_ids)], "full_name": f"Osoba Testowa {n}",
            "email": f"osoba{n}@zapisy.example", "phone": "", "organisation_name": f"Fundacja Testowa {n}",
            "organisation_address": "ul. Przykładowa 1, 87-100 Toruń", "organisation_contact": "56 000 00 00",
            "prior_activity": "Działam w organizacji od 2015 roku.", "recording_consent": "y",
            "privacy_notice": "y", "website": ""})
        if not _wait(barrier):
            with lock:
                statuses["burst broken"] += 1
            return
        started = time.monotonic()
        try:
            conn.request("POST", path, body=form, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookie}",
                "User-Agent": USER_AGENT})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
        finally:
            conn.close()
        ended = time.monotonic()
        with lock:
            statuses[status] += 1
            spans.append((started, ended))
            if isinstance(status, int) and status < 400:
                latencies.append((ended - started) * 1000)

    _run_threads([lambda n=n: person(n) for n in range(submissions)])
    errors = sum(n for status, n in statuses.items() if not (isinstance(status, int) and status < 400))
    seconds = max(end for _, end in spans) - min(start for start, _ in spans) if spans else 0.0
    return BurstRun(latencies, errors, seconds, statuses)


def _open_form(conn: http.client.HTTPConnection, path: str) -> tuple[str, str]:
    conn.request("GET", path, headers={"User-Agent": USER_AGENT})
    response = conn.getresponse()
    html = response.read().decode()
    cookie = next(header.split(";", 1)[0].split("=", 1)[1] for header in response.headers.get_all("Set-Cookie", [])
                  if header.startswith("session="))
    match = CSRF_INPUT.search(html)
    if response.status != 200 or match is None:
        raise RuntimeError(f"sign-up form: {response.status}")
    return cookie, match.group(1)


def _wait(barrier: threading.Barrier) -> bool:
    try:
        barrier.wait()
        return True
    except threading.BrokenBarrierError:
        return False


def _run_threads(jobs) -> None:
    threads = [threading.Thread(target=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
