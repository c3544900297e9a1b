"""The large exports under gunicorn: time to the first byte, whole time, and a worker's memory.

    python benchmarks/exports.py                       # 10,000 report comments, 50,000 log rows
    python benchmarks/exports.py --code /tmp/other     # the same, served by another checkout's code

A fresh PostgreSQL database (dropped at the end) holds a published report of `--comments`
numbered comments, each answered, and a moderation log of `--log-rows` rows. One gunicorn
worker (gunicorn.conf.py's other settings) serves the report's CSV, XLSX and JSON and the log's
CSV (as a moderator); each file is downloaded twice. For each download: the time to the first
byte of the body, the whole time, the size, and the worker's resident memory — sampled every
5 ms during the download (its peak) and before it (the baseline). The issue's target: first byte
under 1 s and peak worker RSS at most 200 MB (issue 20).
"""
from __future__ import annotations

import argparse
import http.client
import re
import secrets
import sys
import threading
import time
from datetime import timedelta
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import reachable  # noqa: E402
from benchmarks.seed import BODIES, _answers_and_report, _insert, _participants, _reserve_ids  # noqa: E402
from benchmarks.servers import (  # noqa: E402
    Server,
    Servers,
    _wait_until_ready,
    drop_database,
    free_port,
    migrate,
    recreate_database,
)

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wspolnie_bench_exports"
REDIS_URL = "redis://127.0.0.1:6379/14"
FIRST_BYTE_TARGET_S = 1.0
RSS_TARGET_MIB = 200 * 1000 * 1000 / 2**20  # "200 MB"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--log-rows", type=int, default=50_000)
    parser.add_argument("--database-url", default=DATABASE_URL, help="dropped and created (default %(default)s)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose portal gunicorn serves")
    parser.add_argument("--keep-database", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    secret = secrets.token_hex(32)
    env = _server_env(args, secret)
    recreate_database(args.database_url)
    servers = Servers(workers=1)
    try:
        migrate(env)
        slug, moderator_login = _seed(args, secret)
        server = _start(servers, env, args.code.resolve())
        [worker] = server.workers()
        cookie = _cookie(args, secret, moderator_login)
        downloads = [("report CSV", f"/konsultacje/{slug}/raport.csv", None),
                     ("report XLSX", f"/konsultacje/{slug}/raport.xlsx", None),
                     ("report JSON", f"/konsultacje/{slug}/raport.json", None),
                     ("moderation log CSV", "/moderacja/dziennik.csv", cookie)]
        print(f"\ncode: {args.code.resolve()}; {args.comments:,} report comments, {args.log_rows:,} log rows; "
              "one gunicorn worker\n")
        print("| download | status | first byte s | whole s | MB | worker RSS before MiB | peak MiB |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        misses = []
        for label, path, with_cookie in downloads:
            for attempt in (1, 2):
                result = _download(server.port, path, with_cookie, worker)
                print(f"| {label} ({attempt}) | {result['status']} | {result['first_byte']:.3f} | "
                      f"{result['whole']:.2f} | {result['bytes'] / 1e6:.1f} | {result['before']:.0f} | "
                      f"{result['peak']:.0f} |", flush=True)
                if result["first_byte"] >= FIRST_BYTE_TARGET_S:
                    misses.append(f"{label}: first byte {result['first_byte']:.2f} s")
                if result["peak"] > RSS_TARGET_MIB:
                    misses.append(f"{label}: peak RSS {result['peak']:.0f} MiB")
        print("\ntargets (first byte < 1 s, peak worker RSS ≤ 200 MB): "
              + ("PASS" if not misses else "MISS — " + "; ".join(sorted(set(misses)))))
        return 0
    finally:
        servers.stop_all()
        if not args.keep_database:
            drop_database(args.database_url)


def _start(servers: Servers, env: dict[str, str], code: Path) -> Server:
    """`servers.start`, run from the checkout `code` (gunicorn puts its working directory first
    on the import path, so `--pythonpath` alone would still serve this checkout)."""
    import subprocess

    port, log = free_port(), servers.logs / "portal.log"
    command = [sys.executable, "-m", "gunicorn", *servers.settings(), "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server("portal", process, port, log)
    servers.running.append(server)
    _wait_until_ready(server, "/", 60)
    return server


def _server_env(args, secret: str) -> dict[str, str]:
    import os

    env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    env.update({
        "FLASK_SECRET_KEY": secret, "FLASK_SQLALCHEMY_DATABASE_URI": args.database_url,
        "FLASK_SERVER_NAME": "127.0.0.1",
        "FLASK_RATELIMIT_STORAGE_URI": REDIS_URL if reachable(REDIS_URL) else "memory://",
        "FLASK_MAIL_TRANSPORT": "smtp", "FLASK_MAIL_SERVER": "127.0.0.1", "FLASK_MAIL_PORT": "1",
        "PYTHONPATH": str(args.code.resolve()),
    })
    return env


def _app(args, secret: str):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": secret,
                       "RATELIMIT_ENABLED": False, "SERVER_NAME": "127.0.0.1"})


def _seed(args, secret: str) -> tuple[str, str]:
    """A published report of `args.comments` answered comments, a log of `args.log_rows` rows, and
    a moderator; returns the consultation's slug and the moderator's login id."""
    import json

    from portal import clock, demo
    from portal.accounts.models import Role, User
    from portal.audit import AuditLog
    from portal.consultations.models import ModerationMode
    from portal.extensions import db
    from portal.forum.models import PATH_DIGITS, Post, PostState, Thread, ThreadKind
    from portal.sanitize import render_markdown
    from sqlalchemy import select

    app = _app(args, secret)
    started = time.monotonic()
    with app.app_context():
        now = clock.now_utc()
        consultation = demo.seed(phase="e_consultation", password=None, moderation=ModerationMode.NONE)
        db.session.flush()
        authors = _participants(300, now)
        moderator = User(email="moderator@obciazenie.example", display_name="Moderator Testowy",
                         role=Role.MODERATOR, email_verified_at=now, created_at=now, password_hash="")
        db.session.add(moderator)
        db.session.flush()
        threads = db.session.scalars(select(Thread.id).where(
            Thread.consultation_id == consultation.id, Thread.kind == ThreadKind.SECTION)).all()
        bodies = [(body, str(render_markdown(body))) for body in BODIES]
        ids = _reserve_ids(Post, args.comments)
        start = now - timedelta(days=4)
        _insert(Post, [{"id": post_id, "thread_id": thread, "root_id": post_id, "path": str(post_id).zfill(PATH_DIGITS),
                        "depth": 0, "author_id": author, "body": body, "body_html": html,
                        "state": PostState.APPROVED, "created_at": start + timedelta(seconds=n)}
                       for n, (post_id, thread, author, (body, html))
                       in enumerate(zip(ids, cycle(threads), cycle(authors), cycle(bodies)))])
        _answers_and_report(consultation.id, ids, now)
        log = []
        for n in range(args.log_rows):
            if n % 2:
                log.append({"at": start + timedelta(seconds=n), "actor_id": moderator.id, "action": "post_approved",
                            "target_type": "post", "target_id": ids[n % len(ids)], "reason": "",
                            "before": json.dumps({"state": "pending", "body": BODIES[n % len(BODIES)]}),
                            "after": json.dumps({"state": "approved", "body": BODIES[n % len(BODIES)]})})
            else:
                log.append({"at": start + timedelta(seconds=n), "actor_id": moderator.id, "action": "user_blocked",
                            "target_type": "user", "target_id": authors[n % len(authors)],
                            "reason": "Naruszenie regulaminu", "before": "", "after": ""})
        _insert(AuditLog, log)
        db.session.commit()
        slug, login = consultation.slug, f"{moderator.id}.{moderator.session_version}"
        db.engine.dispose()
    print(f"seeded in {time.monotonic() - started:.1f} s", flush=True)
    return slug, login


def _cookie(args, secret: str, login_id: str) -> str:
    from flask import session

    app = _app(args, secret)
    with app.test_request_context():
        session["_user_id"], session["_fresh"] = login_id, True
        return "session=" + app.session_interface.get_signing_serializer(app).dumps(dict(session))


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE).group(1)) / 1024


def _download(port: int, path: str, cookie: str | None, worker: int) -> dict:
    """One download, read 64 KB at a time, the worker's memory sampled all along."""
    before = _rss_mib(worker)
    peak, done = [before], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib(worker))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    started = time.monotonic()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first = response.read(1)
    first_byte = time.monotonic() - started
    size = len(first)
    while piece := response.read(65536):
        size += len(piece)
    whole = time.monotonic() - started
    conn.close()
    time.sleep(0.05)  # the worker's last moments (closing the file, ending the request)
    done.set()
    sampler.join()
    return {"status": response.status, "first_byte": first_byte, "whole": whole, "bytes": size,
            "before": before, "peak": peak[0]}


if __name__ == "__main__":
    sys.exit(main())
