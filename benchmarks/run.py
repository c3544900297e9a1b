"""The benchmark suite, one command:

    python benchmarks/run.py --size medium --duration 10     # the numbers in README
    python benchmarks/run.py --smoke                         # a few seconds: does it all still work?

A fresh PostgreSQL database (dropped again at the end), `flask db upgrade`, seeded data of the
chosen size; then gunicorn serves a bare Flask "hello" (the ceiling on this machine) and the
portal with the same settings, wrk loads each page for a fixed time, a threaded client writes
comments and runs the sign-up burst. Prints a Markdown table and the targets (PASS/MISS).
Exits non-zero when something did not work (a server, a page, a write, the burst's capacity);
a missed performance target is reported, not failed. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select

from benchmarks import load, staff
from benchmarks.report import BurstResult, Row, format_table, format_verdicts, verdicts
from benchmarks.seed import COMMON_WORD, RARE_WORD, SEARCH_WORD, SIZES, Seeded, seed
from benchmarks.servers import (
    BENCHMARKS,
    Servers,
    SmtpSink,
    drop_database,
    migrate,
    recreate_database,
)

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wspolnie_bench"
REDIS_URL = "redis://127.0.0.1:6379/14"
PAGE_KEYS = ("home", "announcement", "announcement_unbatched", "forum", "whole_draft", "thread_100", "thread_big",
             "report", "search")
# The same pages read by a signed-in participant (their own session cookie): "signed_in_" + key.
SIGNED_IN_KEYS = ("announcement", "forum", "whole_draft", "thread_100", "thread_big")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Wspólnie benchmark: the portal under gunicorn vs bare Flask.")
    parser.add_argument("--size", choices=sorted(SIZES), default="medium")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page (default 10)")
    parser.add_argument("--connections", type=int, default=10, help="concurrent connections (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="seconds of unmeasured load before each measured run (default 2)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--database-url", default=DATABASE_URL, help="dropped and created (default %(default)s)")
    parser.add_argument("--redis-url", default=REDIS_URL, help="rate-limit storage (memory:// if unreachable)")
    parser.add_argument("--keep-database", action="store_true", help="leave the database for EXPLAIN")
    parser.add_argument("--redis-cache", action="store_true",
                        help="keep shared pages in Redis (--redis-url's server, database 13, emptied first), as "
                             "production does; default: in each worker's memory")
    parser.add_argument("--version-in-database", action="store_true",
                        help="read every participant with the page version from the database "
                             "(FLASK_PAGE_VERSION_LISTEN=false); default: workers listen for new versions")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="serve every page rendered (FLASK_PAGE_CACHE_SECONDS=0): what a signed-in reader costs")
    parser.add_argument("--smoke", action="store_true", help="size tiny, 1 s per page, burst of 20 to 5 groups of 2")
    args = parser.parse_args(argv)
    if args.smoke:
        args.size, args.duration, args.connections, args.warmup = "tiny", 1, 4, 1
        args.workers = args.workers or 2  # both servers alike; fewer workers start sooner
    return args


class Failures(list):
    def add(self, message: str) -> None:
        print(f"  FAILED: {message}", flush=True)
        self.append(message)


_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"== [{time.monotonic() - _STARTED:5.0f} s] {message}", flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    missing = load.wrk_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    for signum in (signal.SIGINT, signal.SIGTERM):  # cleanup on `kill` as on Ctrl-C (also when started with &)
        signal.signal(signum, signal.default_int_handler)
    servers, sink, failures, apps = Servers(args.workers), SmtpSink(), Failures(), []
    try:
        sink.start()
        benchmark(args, servers, sink, failures, apps)
    except KeyboardInterrupt:
        failures.add("interrupted")
    except Exception as error:  # noqa: BLE001 - reported, then everything is cleaned up
        traceback.print_exc()
        failures.add(f"{type(error).__name__}: {error}")
    finally:
        servers.stop_all()
        sink.stop()
        for app in apps:
            with app.app_context():
                from portal.extensions import db
                db.engine.dispose()
        if not args.keep_database:
            drop_database(args.database_url)
    if failures:
        print(f"\n{len(failures)} failure(s): " + "; ".join(failures))
        return 1
    return 0


def benchmark(args, servers: Servers, sink: SmtpSink, failures: Failures, apps: list) -> None:
    size = SIZES[args.size]
    secret = secrets.token_hex(32)
    env = server_env(args, secret, sink.port)
    say(f"database {urlsplit(args.database_url).path.lstrip('/')}: create, flask db upgrade")
    recreate_database(args.database_url)
    if args.redis_cache:
        if not reachable(args.redis_url):
            raise RuntimeError(f"--redis-cache: no Redis at {args.redis_url}")
        empty_page_cache(args.redis_url)
    migrate(env)

    from portal import clock, create_app
    from portal.consultations import view_counter

    config = {"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": secret, "MAIL_TRANSPORT": "smtp",
              "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port, "RATELIMIT_ENABLED": False,
              "PAGE_CACHE_SECONDS": 0}  # queries are counted for rendering a page, not for a cached copy
    app = create_app(config)
    unbatched_app = create_app({**config, "VIEW_COUNT_FLUSH_SECONDS": 0})
    apps += [app, unbatched_app]
    started = time.monotonic()
    volume = (200, 2_000) if args.smoke else (staff.REGISTRATIONS, staff.LOG_ROWS)  # registrations, log rows
    with app.app_context():
        seeded = seed(size)
        staff_login = staff.seed_staff_volume(clock.now_utc(), *volume)
    say(f"seeded size {size.name} in {time.monotonic() - started:.1f} s: {seeded.comments:,} comments, "
        f"{len(seeded.participants):,} participants, {volume[0]:,} registrations, {volume[1]:,} log rows")

    pages = page_list(seeded, size.big_thread)
    rows = {key: Row(key, label) for key, label, _path in pages}
    rows["announcement_unbatched"] = Row("announcement_unbatched", "announcement, one UPDATE per view")
    for key, _label, path in pages:
        status, rows[key].queries = load.count_queries(app, path)
        if status != 200 and key != "report":
            failures.add(f"{path} answered {status} in-process")
    _status, rows["announcement_unbatched"].queries = load.count_queries(unbatched_app, pages[1][2])
    reader_id = seeded.participants[-3]  # verified, no comment waiting: the participant who reads
    [reader] = load.writers_for(app, [reader_id])
    reader = load.as_after_a_visit(app, reader, pages[1][2])  # their view of the announcement noted
    signed_in = [(f"signed_in_{key}", f"{label}, signed-in participant", path)
                 for key, label, path in pages if key in SIGNED_IN_KEYS]
    for key, label, path in signed_in:
        rows[key] = Row(key, label)
        status, rows[key].queries = load.count_queries(app, path, reader_id)
        if status != 200:
            failures.add(f"{path} answered {status} in-process to a participant")
    with app.app_context():
        view_counter.flush()  # this process's views are written now, not during a measured run

    say(f"gunicorn: {servers.describe()}, {args.connections} connections, {args.duration} s per page")
    hello = servers.start("hello", "hello:app", env, pythonpath=BENCHMARKS)
    load.run_wrk(hello.base_url + "/", args.warmup, args.connections, args.threads)
    ceiling = Row("hello", "bare Flask \"hello\" (ceiling)",
                  load.run_wrk(hello.base_url + "/", args.duration, args.connections, args.threads))
    ceiling.peak_rss_mib = hello.peak_rss_mib()
    drain(hello)
    say(f"hello: {ceiling.load.rps:.0f} req/s with {len(hello.workers())} workers")
    servers.stop(hello)

    portal = servers.start("portal", "wsgi:app", env)
    views_before = view_count(app, seeded.slug)
    for key, _label, path in pages:
        measure_page(portal, path, rows[key], args, failures)
    for key, _label, path in signed_in:
        measure_page(portal, path, rows[key], args, failures, cookie=reader.cookie)
    writers = load.writers_for(app, seeded.participants[:-3])
    post_row, write_run = write_comments(app, portal, seeded, writers, args, failures)
    servers.stop(portal)
    check_views(app, seeded.slug, views_before, rows["announcement"], failures)

    unbatched = servers.start("portal-unbatched", "wsgi:app", env | {"FLASK_VIEW_COUNT_FLUSH_SECONDS": "0"})
    views_before = view_count(app, seeded.slug)
    measure_page(unbatched, pages[1][2], rows["announcement_unbatched"], args, failures)
    servers.stop(unbatched)
    check_views(app, seeded.slug, views_before, rows["announcement_unbatched"], failures)

    say("staff pages and exports, one admin, requests one after another; the search, anonymous, not shared")
    # Staff never get a shared page; without sharing, the search is rendered for every request too.
    staff_server = servers.start("portal-staff", "wsgi:app", env | {"FLASK_PAGE_CACHE_SECONDS": "0"})
    search_table = staff.search_rows(seeded.slug, COMMON_WORD, RARE_WORD)
    for row in search_table:
        _status, row.queries = load.count_queries(app, row.path)
        staff.measure_search(staff_server.base_url, row)
        print(f"   {row.label}: {row.status}, {row.found} comments found, p50 {row.p50_ms:.0f} ms", flush=True)
        if row.status != 200:
            failures.add(f"{row.path} answered {row.status}")
    [admin] = load.writers_for(app, [staff_login])
    staff_table = staff.staff_rows(seeded.slug, *volume)
    for row in staff_table:
        if not row.export:
            _status, row.queries = load.count_queries(app, row.path, staff_login)
        staff.measure(staff_server.base_url, admin.cookie, row)
        print(f"   {row.label}: {row.status}, p50 {row.p50_ms:.0f} ms, first byte {row.first_byte_ms:.0f} ms, "
              f"{(row.size or 0) / 1024:.0f} KB", flush=True)
        if row.status != 200:
            failures.add(f"{row.path} answered {row.status} to an admin")
    staff_peak = staff_server.peak_rss_mib()
    servers.stop(staff_server)

    burst_server = servers.start("portal-burst", "wsgi:app", env | {"FLASK_RATELIMIT_ENABLED": "false"})
    burst = run_burst(app, burst_server, seeded, size, failures)
    servers.stop(burst_server)

    table_rows = [ceiling, *(rows[key] for key in PAGE_KEYS), *(rows[key] for key, _l, _p in signed_in), post_row]
    print_results(table_rows, ceiling, burst, write_run, args, size)
    print("\n" + staff.format_staff(staff_table, staff_peak))
    print(format_verdicts(staff.staff_verdicts(staff_table, staff_peak)))
    print("\n" + staff.format_search(search_table))
    print(format_verdicts(staff.search_verdicts(search_table)))


def server_env(args, secret: str, smtp_port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    env.update({
        "FLASK_SECRET_KEY": secret, "FLASK_SQLALCHEMY_DATABASE_URI": args.database_url,
        "FLASK_SERVER_NAME": "127.0.0.1",  # wsgi.py (production) refuses to start without one
        "FLASK_RATELIMIT_STORAGE_URI": args.redis_url if reachable(args.redis_url) else "memory://",
        "FLASK_MAIL_TRANSPORT": "smtp", "FLASK_MAIL_SERVER": "127.0.0.1", "FLASK_MAIL_PORT": str(smtp_port),
        "PYTHONPATH": str(ROOT),
    })
    if args.no_page_cache:
        env["FLASK_PAGE_CACHE_SECONDS"] = "0"
    if args.redis_cache:
        env.update({"FLASK_CACHE_TYPE": "RedisCache", "FLASK_CACHE_REDIS_URL": page_cache_url(args.redis_url)})
    if args.version_in_database:
        env["FLASK_PAGE_VERSION_LISTEN"] = "false"
    return env


def page_cache_url(redis_url: str) -> str:
    """The Redis database shared pages are kept in with --redis-cache: 13 on the rate limits' server."""
    return urlsplit(redis_url)._replace(path="/13").geturl()


def empty_page_cache(redis_url: str) -> None:
    """Pages kept by an earlier run name the same page versions (the database is new): gone first."""
    import redis

    with redis.Redis.from_url(page_cache_url(redis_url)) as client:
        client.flushdb()


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def page_list(seeded: Seeded, big: int) -> list[tuple[str, str, str]]:
    base = f"/konsultacje/{seeded.slug}"
    return [
        ("home", "home", "/"),
        ("announcement", "announcement (view counts batched)", base),
        ("forum", "forum index", f"{base}/forum"),
        ("whole_draft", "whole draft document, comment counts per paragraph", f"{base}/projekt-dokumentu"),
        ("thread_100", "thread of 100 comments", f"{base}/forum/watek/{seeded.thread_100}"),
        ("thread_big", f"thread of {big:,} comments".replace(",", " ") + ", page 1",
         f"{base}/forum/watek/{seeded.thread_big}"),
        ("report", "report", f"{base}/raport"),
        ("search", f"search „{SEARCH_WORD}” (a word in 1 comment of 10)", f"{base}/forum/szukaj?q={SEARCH_WORD}"),
    ]


def measure_page(server, path: str, row: Row, args, failures: Failures, cookie: str | None = None) -> None:
    status = load.status_of(server.base_url, path, cookie)
    if status == 404 and row.key == "report":
        row.note, row.queries = "not there yet", None
        return
    if status != 200:
        failures.add(f"{path} answered {status}")
        return
    warmup = load.run_wrk(server.base_url + path, args.warmup, args.connections, args.threads, cookie)  # all warm
    row.warmup_requests = warmup.requests + 1  # and the status check
    row.load = load.run_wrk(server.base_url + path, args.duration, args.connections, args.threads, cookie)
    row.peak_rss_mib = server.peak_rss_mib()
    drain(server)
    if row.load.requests == 0:  # slow, not broken: reported, not failed
        started = time.monotonic()
        load.status_of(server.base_url, path)
        row.load, row.note = None, (f"no answer within {args.duration} s under load; "
                                    f"alone: {time.monotonic() - started:.1f} s")
        print(f"   {row.label}: {row.note}", flush=True)
        return
    print(f"   {row.label}: {row.load.rps:.1f} req/s, p50 {row.load.p50_ms:.1f} ms", flush=True)
    if row.load.errors:
        failures.add(f"{path}: {row.load.errors} errors under load")


def drain(server) -> None:
    """Wait for the requests wrk left queued (it stops sending, the workers do not stop serving):
    the next measurement starts on an idle server. One request gets in line behind them."""
    started = time.monotonic()
    load.status_of(server.base_url, "/")
    if time.monotonic() - started > 1:
        print(f"   (queued requests drained in {time.monotonic() - started:.1f} s)", flush=True)


def write_comments(app, server, seeded: Seeded, writers, args, failures: Failures):
    """The POST path; SQL statements of one comment counted before and after (followers grow)."""
    thread = seeded.section_threads[0]
    path = f"/konsultacje/{seeded.slug}/forum/watek/{thread}"
    _status, before = load.count_comment_queries(app, path, seeded.participants[-1], "Pierwsza uwaga do liczenia.")
    run = load.write_comments(server.base_url, seeded.slug, seeded.section_threads, writers, args.duration,
                              args.connections, 60 / app.config["FORUM_POSTS_PER_MINUTE"])
    status, after = load.count_comment_queries(app, path, seeded.participants[-2], "Druga uwaga do liczenia.")
    if status != 302 and status != 303:
        failures.add(f"writing a comment in-process answered {status}")
    row = Row("post", "POST a comment", run.load, queries=after,
              peak_rss_mib=server.peak_rss_mib(), note=f"{before}→{after} queries as followers grow")
    print(f"   {row.label}: {run.load.rps:.1f} req/s, statuses {dict(run.statuses)}", flush=True)
    if run.load.errors or run.load.requests == 0:
        failures.add(f"writing comments: {dict(run.statuses)}")
    return row, run


def view_count(app, slug: str) -> int:
    from portal.consultations.models import Consultation
    from portal.extensions import db

    with app.app_context():
        return db.session.scalar(select(Consultation.view_count).where(Consultation.slug == slug))


def check_views(app, slug: str, before: int, row: Row, failures: Failures) -> None:
    """Every answered view is in the database once the workers have stopped (no view lost)."""
    if row.load is None:
        return
    written = view_count(app, slug) - before
    answered = row.load.requests + row.warmup_requests
    row.note = f"{written:,} views written for {answered:,} answered".replace(",", " ")
    if written < answered:
        failures.add(f"{row.label}: only {written} of {answered} views written")


def run_burst(app, server, seeded: Seeded, size, failures: Failures) -> BurstResult:
    from portal.extensions import db
    from portal.registrations.models import GroupRegistration, Status

    say(f"sign-up burst: {size.burst_submissions} at once to {len(seeded.groups)} groups of {size.group_capacity} "
        "(rate limits OFF for this server: a real burst comes from many addresses)")
    run = load.signup_burst(server.base_url, seeded.burst_slug, seeded.groups, size.burst_submissions)
    with app.app_context():
        counts = db.session.execute(
            select(GroupRegistration.group_id, GroupRegistration.status, func.count())
            .where(GroupRegistration.group_id.in_(seeded.groups))
            .group_by(GroupRegistration.group_id, GroupRegistration.status)).all()
    held = {group: 0 for group in seeded.groups}
    waiting = 0
    for group, status, n in counts:
        if status in (Status.PENDING, Status.CONFIRMED):
            held[group] += n
        elif status == Status.WAITING:
            waiting += n
    result = BurstResult(size.burst_submissions, len(seeded.groups), size.group_capacity, sum(held.values()),
                         waiting, run.errors, run.seconds, run.latencies_ms)
    if any(n > size.group_capacity for n in held.values()):
        failures.add(f"a group was overbooked: {held}")
    if not result.exact:
        failures.add(f"burst: held {result.held} (expected {result.expected_held}), waiting {waiting}, "
                     f"errors {run.errors}, answers {dict(run.statuses)}")
    return result


def print_results(rows: list[Row], ceiling: Row, burst: BurstResult, write_run, args, size) -> None:
    from benchmarks.report import percentile

    ceiling_rps = ceiling.load.rps if ceiling.load else 0.0
    print(f"\nSize {size.name}, {args.duration} s per page, {args.connections} connections, "
          f"{os.cpu_count()} CPUs; SQL queries counted in-process for rendering the page for one anonymous "
          "request (the POST: one comment, logged in); pages shared by anonymous readers: "
          f"{'off (--no-page-cache)' if args.no_page_cache else 'on (the default 10 s)'}"
          f"{', kept in Redis (--redis-cache)' if args.redis_cache and not args.no_page_cache else ''}; "
          f"participants {'read with the page version every time (--version-in-database)' if args.version_in_database else 'remembered by workers listening for page versions'}.\n")
    print(format_table(rows, ceiling_rps))
    print(f"\nSign-up burst: {burst.submissions} submissions at once to {burst.groups} groups of {burst.capacity}: "
          f"seats held {burst.held} (expected {burst.expected_held}), waiting {burst.waiting}, errors {burst.errors}; "
          f"all answered in {burst.seconds:.1f} s, p50 {percentile(burst.latencies_ms, 50):.0f} ms, "
          f"p95 {percentile(burst.latencies_ms, 95):.0f} ms (rate limits off for the burst).")
    if write_run.waited_s > 0:
        print(f"POST run: writers waited {write_run.waited_s:.1f} s in total for the forum's posting rhythm "
              "(more participants needed for this rate).")
    print("\nTargets:")
    print(format_verdicts(verdicts(rows, ceiling_rps, burst, PAGE_KEYS + tuple(f"signed_in_{key}" for key in SIGNED_IN_KEYS))))


if __name__ == "__main__":
    sys.exit(main())
