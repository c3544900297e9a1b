"""Staff pages and exports at the benchmark's size (issue 20): what one person waits for.

Staff pages are not read by crowds: each is requested a few times in a row by one signed-in
admin, and the table gives the median time to the last byte, the time to the first byte (an
export streamed starts at once), the size of the answer and the workers' peak memory. The
volume they need beyond the seed's 10,000 comments is written here with Core inserts: a
consultation with REGISTRATIONS registrations in five groups, and LOG_ROWS rows of the
moderation log.

The search is here too (`search_rows`): one anonymous reader asking a word in every comment and
a rare one, one request after another on a server that shares no pages, so each answer is
rendered, counted and paged anew (issue 20: <= 50 ms at 10,000 comments).
"""
from __future__ import annotations

import http.client
import re
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlsplit

from sqlalchemy import insert, select

REGISTRATIONS = 4_000
LOG_ROWS = 50_000
STAFF_SLUG = "zapisy-4000"
REPEATS = 5
PAGE_MAX_MS = 300
PAGE_MAX_BYTES = 500 * 1024
FIRST_BYTE_MAX_MS = 1_000
WORKER_MAX_MIB = 200
SEARCH_MAX_MS = 50
SEARCH_REPEATS = 15
SEARCH_WARMUP = 10             # a request or two for every worker (its connection, its templates)
COMMENTS_FOUND = re.compile(r'id="wyniki-uwagi">[^<]*?([\d\s\xa0]+)</h3>')


@dataclass
class StaffRow:
    key: str
    label: str
    path: str
    export: bool = False
    status: int | None = None
    p50_ms: float | None = None
    first_byte_ms: float | None = None
    size: int | None = None
    queries: int | None = None


def staff_rows(slug: str, registrations: int = REGISTRATIONS, log_rows: int = LOG_ROWS) -> list[StaffRow]:
    return [
        StaffRow("report", "report, rendered (10 100 comments)", f"/konsultacje/{slug}/raport"),
        StaffRow("workspace", "answers workspace", f"/zespol/konsultacje/{slug}/odpowiedzi"),
        StaffRow("queue", "moderation queue", "/moderacja/kolejka"),
        StaffRow("log", f"moderation log ({log_rows:,} rows)".replace(",", " "), "/moderacja/dziennik"),
        StaffRow("registrations", f"registrations ({registrations:,})".replace(",", " "),
                 f"/zespol/konsultacje/{STAFF_SLUG}/zapisy"),
        StaffRow("report_csv", "report CSV", f"/konsultacje/{slug}/raport.csv", export=True),
        StaffRow("report_xlsx", "report XLSX", f"/konsultacje/{slug}/raport.xlsx", export=True),
        StaffRow("log_csv", "moderation log CSV", "/moderacja/dziennik.csv", export=True),
    ]


@dataclass
class SearchRow:
    key: str
    label: str
    path: str
    status: int | None = None
    found: int | None = None   # comments found (the page says how many)
    p50_ms: float | None = None
    queries: int | None = None


def search_rows(slug: str, common: str, rare: str) -> list[SearchRow]:
    def row(key: str, label: str, word: str) -> SearchRow:
        return SearchRow(key, f"{label} „{word}”", f"/konsultacje/{slug}/forum/szukaj?q={quote(word)}")

    return [row("search_common", "search, a word in every comment:", common),
            row("search_rare", "search, a rare word:", rare)]


def measure_search(base_url: str, row: SearchRow) -> None:
    """SEARCH_REPEATS anonymous requests one after another (after SEARCH_WARMUP unmeasured): the median."""
    parts = urlsplit(base_url)
    totals = []
    for n in range(SEARCH_WARMUP + SEARCH_REPEATS):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            started = time.perf_counter()
            conn.request("GET", row.path, headers={"User-Agent": "Mozilla/5.0"})
            response = conn.getresponse()
            body = response.read()
            if n >= SEARCH_WARMUP:
                totals.append((time.perf_counter() - started) * 1000)
            row.status = response.status
        finally:
            conn.close()
    row.found = comments_found(body.decode("utf-8", "replace"))
    row.p50_ms = statistics.median(totals)


def comments_found(html: str) -> int | None:
    """"W uwagach: 10 117" of a search page, as a number."""
    found = COMMENTS_FOUND.search(html)
    return int(re.sub(r"\D", "", found.group(1))) if found else None


def format_search(rows: list[SearchRow]) -> str:
    lines = ["| Search, anonymous, not shared (rendered for each request) | status | comments found | p50 ms | "
             "SQL queries |", "|---|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row.label} | {row.status or 'n/a'} | {_n(row.found)} | {_n(row.p50_ms)} | "
                     f"{row.queries if row.queries is not None else 'n/a'} |")
    return "\n".join(lines)


def search_verdicts(rows: list[SearchRow]):
    from benchmarks.report import NOT_AVAILABLE, Verdict

    measured = [row for row in rows if row.p50_ms is not None]
    if not measured:
        return [Verdict(f"search <= {SEARCH_MAX_MS} ms p50, not shared", NOT_AVAILABLE, None)]
    slowest = max(measured, key=lambda row: row.p50_ms)
    return [Verdict(f"search <= {SEARCH_MAX_MS} ms p50, not shared", f"max {slowest.p50_ms:.0f} ms ({slowest.label})",
                    slowest.p50_ms <= SEARCH_MAX_MS)]


def seed_staff_volume(now, registrations: int = REGISTRATIONS, log_rows: int = LOG_ROWS) -> str:
    """The registrations and log rows staff pages are measured with; returns an admin's login id."""
    from portal.accounts.models import Role, User
    from portal.audit import AuditLog
    from portal.consultations.models import Consultation, Phase, PhaseKind, Status
    from portal.extensions import db
    from portal.forum.models import Post
    from portal.registrations.models import GroupRegistration, Status as RegistrationStatus, WorkingGroup

    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
    consultation = Consultation(slug=STAFF_SLUG, title="Zapisy do grup roboczych (4000 zgłoszeń)",
                                status=Status.PUBLISHED, lead="Zapisy.", body="Zapisy.",
                                created_at=now - timedelta(days=10))
    consultation.phases = [Phase(position=0, kind=PhaseKind.GROUP_SIGNUP, title="Zapisy do grup roboczych",
                                 starts_at=now - timedelta(days=9), ends_at=now + timedelta(days=5))]
    db.session.add(consultation)
    db.session.flush()
    groups = [WorkingGroup(consultation_id=consultation.id, position=n, name=f"Grupa nr {n + 1}", capacity=12,
                           meeting_starts_at=now + timedelta(days=7)) for n in range(5)]
    db.session.add_all(groups)
    db.session.flush()
    rows = []
    for n in range(registrations):
        group = groups[n % 5]
        held = n < 5 * 12
        rows.append({
            "consultation_id": consultation.id, "group_id": group.id, "full_name": f"Osoba {n + 1}",
            "email": f"osoba{n + 1}@example.org", "email_key": f"osoba{n + 1}@example.org", "phone": "",
            "organisation_name": f"Stowarzyszenie nr {n + 1}", "organisation_address": "ul. Przykładowa 1, Toruń",
            "organisation_contact": "", "prior_activity": "Działamy od 2010 r.", "recording_consent": True,
            "recording_basis": "consent", "accessibility_needs": "", "accessibility_details": "",
            "privacy_notice_version": "1", "privacy_notice_accepted_at": now - timedelta(days=1),
            "created_at": now - timedelta(days=1, seconds=-n), "end_reason": "",
            "status": RegistrationStatus.CONFIRMED if held else RegistrationStatus.WAITING,
            "confirmed_at": now - timedelta(days=1) if held else None})
    db.session.execute(insert(GroupRegistration.__table__), rows)
    post_ids = db.session.scalars(select(Post.id).order_by(Post.id).limit(1000)).all()
    log = [{"at": now - timedelta(seconds=n), "actor_id": admin.id,
            "action": ("post_approved", "post_hidden", "post_unhidden")[n % 3], "target_type": "post",
            "target_id": post_ids[n % len(post_ids)], "reason": "Nie na temat." if n % 3 == 1 else "",
            "before": "", "after": ""} for n in range(log_rows)]
    for first in range(0, len(log), 5_000):
        db.session.execute(insert(AuditLog.__table__), log[first:first + 5_000])
    db.session.commit()
    return admin.get_id()


def measure(base_url: str, cookie: str, row: StaffRow) -> None:
    """REPEATS requests one after another: median time to the last byte, first byte, size."""
    parts = urlsplit(base_url)
    totals, firsts = [], []
    for _ in range(REPEATS):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        try:
            started = time.perf_counter()
            conn.request("GET", row.path, headers={"Cookie": f"session={cookie}", "User-Agent": "Mozilla/5.0"})
            response = conn.getresponse()
            response.read(1)
            firsts.append((time.perf_counter() - started) * 1000)
            size = 1 + len(response.read())
            totals.append((time.perf_counter() - started) * 1000)
            row.status, row.size = response.status, size
        finally:
            conn.close()
    row.p50_ms, row.first_byte_ms = statistics.median(totals), statistics.median(firsts)


def format_staff(rows: list[StaffRow], peak_mib: float | None) -> str:
    lines = ["| Staff page or export | status | p50 ms | first byte ms | size KB | SQL queries |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row.label} | {row.status or 'n/a'} | {_n(row.p50_ms)} | {_n(row.first_byte_ms)} | "
                     f"{_n(row.size / 1024 if row.size else None)} | {row.queries if row.queries is not None else 'n/a'} |")
    lines.append(f"\nPeak RSS of a worker during the staff pages and exports: {_n(peak_mib)} MiB.")
    return "\n".join(lines)


def staff_verdicts(rows: list[StaffRow], peak_mib: float | None):
    from benchmarks.report import Verdict

    pages = [row for row in rows if not row.export and row.p50_ms is not None]
    exports = [row for row in rows if row.export and row.first_byte_ms is not None]
    result = []
    if pages:
        slowest = max(pages, key=lambda row: row.p50_ms)
        largest = max(pages, key=lambda row: row.size or 0)
        result.append(Verdict(f"staff pages <= {PAGE_MAX_MS} ms p50", f"max {slowest.p50_ms:.0f} ms ({slowest.label})",
                              slowest.p50_ms <= PAGE_MAX_MS))
        result.append(Verdict("staff pages <= 500 KB of HTML", f"max {(largest.size or 0) / 1024:.0f} KB "
                              f"({largest.label})", (largest.size or 0) <= PAGE_MAX_BYTES))
    if exports:
        slowest = max(exports, key=lambda row: row.first_byte_ms)
        result.append(Verdict(f"exports: first byte < {FIRST_BYTE_MAX_MS} ms",
                              f"max {slowest.first_byte_ms:.0f} ms ({slowest.label})",
                              slowest.first_byte_ms < FIRST_BYTE_MAX_MS))
    if peak_mib is not None:
        result.append(Verdict(f"worker peak RSS <= {WORKER_MAX_MIB} MiB (staff pages, exports)", f"{peak_mib:.0f} MiB",
                              peak_mib <= WORKER_MAX_MIB))
    return result


def _n(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}".replace(",", " ")
