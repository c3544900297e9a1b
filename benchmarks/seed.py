"""Benchmark data: the demo consultation with its electronic consultation open, plus volume.

On top of `portal.demo.seed` (the Toruń consultation, its draft in 11 sections, groups,
meetings, the demo accounts) this adds: verified participants (they write during the POST
run), a thread of 100 comments, a thread of N comments (10,000 from "medium" up), answers to
every top-level comment and a published report, a second consultation whose group sign-up is
open (5 groups: the sign-up burst) and, for "large", archived consultations full of comments
(the pages must cost the same however much else the database holds).

PostgreSQL only (the benchmark's database). Rows are inserted in bulk with ids reserved from
the sequences first, so a reply's materialised path can name its parent without a round trip;
a page's worth of text is rendered through `portal.sanitize` and indexed for the search
(`portal.forum.search_index`, what the ORM does on every write) once and reused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import cycle

from sqlalchemy import insert, select, text

from portal import clock, demo
from portal.accounts.models import Organisation, Role, User
from portal.consultations.models import (
    Consultation,
    ModerationMode,
    Phase,
    PhaseKind,
    Status,
)
from portal.extensions import db
from portal.forum.models import PATH_DIGITS, Post, PostState, Thread, ThreadKind
from portal.forum.search_index import indexed
from portal.registrations.models import WorkingGroup
from portal.reports.models import Answer, AnsweredComment, Decision, Report
from portal.sanitize import render_markdown

SMALL_THREAD = 100
BURST_SLUG = "nabor-grup-test-obciazenia"
BURST_GROUPS = 5
CHUNK = 5_000
# Each run of five comments: a comment, a reply, a reply to the reply, a comment, a reply —
# the same shape in every thread, so page 1 shows the same 30 comments with 45 replies
# whether the thread has 100 comments or 10,000.
SHAPE = (0, 1, 2, 0, 1)


@dataclass(frozen=True)
class Size:
    name: str
    big_thread: int                 # comments in the big thread
    participants: int               # verified accounts that post in the POST run (each once per 30 s)
    archived_consultations: int     # background volume
    archived_comments: int          # per archived consultation
    burst_submissions: int
    group_capacity: int


SIZES = {
    "tiny": Size("tiny", 300, 60, 0, 0, 20, 2),
    "small": Size("small", 1_000, 300, 0, 0, 300, 12),
    "medium": Size("medium", 10_000, 1_500, 0, 0, 300, 12),
    "large": Size("large", 10_000, 3_000, 20, 5_000, 300, 12),
}


@dataclass
class Seeded:
    slug: str
    thread_100: int
    thread_big: int
    section_threads: list[int]      # where the POST run writes
    participants: list[str]         # login ids ("<id>.<session version>") of the writers
    burst_slug: str
    groups: list[int]
    comments: int


# Every body names the programme in some form ("programu", "programie"): the search's worst
# case, a word in every comment (COMMON_WORD); "lokale" is in one body of ten, about 1,000 of
# medium's comments (SEARCH_WORD, the search page under wrk); RARE_WORD is in two of the demo's.
BODIES = (
    "Proponujemy doprecyzować w programie **kryteria oceny ofert** i opublikować je razem z ogłoszeniem konkursu.",
    "Prosimy o dłuższe terminy składania ofert w konkursach programu — co najmniej 30 dni od ogłoszenia.",
    "Warto dopisać organizacje młodzieżowe i grupy nieformalne do listy partnerów programu.",
    "Popieramy ten zapis programu. Dobrze byłoby jednak podać, kto odpowiada za jego realizację.",
    "Kwota przeznaczona w programie na ten obszar jest za niska w porównaniu z rokiem ubiegłym.",
    "Czy lokale miejskie będą udostępniane w ramach programu także wieczorami i w weekendy?",
    "Proponujemy coroczne spotkanie podsumowujące realizację programu, otwarte dla mieszkańców.",
    "Zgadzam się z przedmówcą; sprawozdanie z programu powinno być dostępne [w BIP](https://bip.example.org).",
    "Brakuje wskaźników, po których poznamy, że program się sprawdził.",
    "Wnioskujemy o uproszczenie sprawozdań z małych grantów programu.",
)
COMMON_WORD = "program"
SEARCH_WORD = "lokale"
RARE_WORD = "wolontariat"
JUSTIFICATIONS = (
    (Decision.ACCEPTED, "Zapis uzupełniono zgodnie z uwagą."),
    (Decision.PARTLY_ACCEPTED, "Uwzględniono w części: termin wydłużono do 25 dni."),
    (Decision.NOT_ACCEPTED, "Nie uwzględniono: kwoty wynikają z projektu budżetu miasta."),
    (Decision.EXPLANATION, "Wyjaśnienie: kwestię tę reguluje **uchwała budżetowa**, nie program."),
)


def seed(size: Size) -> Seeded:
    """Everything the benchmark's pages and writes need; commits once at the end."""
    now = clock.now_utc()
    consultation = demo.seed(phase="e_consultation", password=None, moderation=ModerationMode.NONE)
    db.session.flush()
    participants = _participants(size.participants, now)
    bodies = [(body, str(render_markdown(body)), indexed(body)) for body in BODIES]
    start, end = now - timedelta(days=4), now - timedelta(days=1)
    thread_100, roots_100 = _thread(consultation.id, "Wątek ze 100 uwagami", SMALL_THREAD,
                                    participants, bodies, start, end)
    thread_big, roots_big = _thread(consultation.id, f"Wątek z {size.big_thread:,} uwagami".replace(",", " "),
                                    size.big_thread, participants, bodies, start, end)
    _answers_and_report(consultation.id, roots_100 + roots_big, now)
    groups = _signup_consultation(size.group_capacity, now)
    archived = _archive(size, participants, bodies, now)
    sections = db.session.scalars(select(Thread.id).where(
        Thread.consultation_id == consultation.id, Thread.kind == ThreadKind.SECTION).order_by(Thread.id)).all()
    db.session.commit()
    _settle()
    return Seeded(slug=consultation.slug, thread_100=thread_100, thread_big=thread_big,
                  section_threads=list(sections), participants=[f"{uid}.1" for uid in participants],
                  burst_slug=BURST_SLUG, groups=groups, comments=SMALL_THREAD + size.big_thread + archived)


def _settle() -> None:
    """What autovacuum does within a minute of a bulk load, done now so that every run measures the
    same database: the search indexes' pending entries merged (GIN keeps bulk inserts in a list
    that every search reads through, and the planner then prices the index too high to use) and
    the statistics of the tables the search reads."""
    for index in ("ix_post_search", "ix_draft_paragraph_search"):
        db.session.execute(text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"), {"index": index})
    db.session.execute(text("ANALYZE post, draft_paragraph"))
    db.session.commit()


def _reserve_ids(model, count: int) -> list[int]:
    """`count` ids taken from the table's sequence (PostgreSQL), in increasing order."""
    table = model.__table__.name
    return sorted(db.session.scalars(
        text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"),
        {"n": count}).all()) if count else []


def _insert(model, rows: list[dict]) -> None:
    for first in range(0, len(rows), CHUNK):
        db.session.execute(insert(model.__table__), rows[first:first + CHUNK])  # Core: no ORM bookkeeping


def _participants(count: int, now: datetime) -> list[int]:
    """Verified participants (a third of them for an organisation); no password: nobody logs in."""
    organisations = _reserve_ids(Organisation, 20)
    _insert(Organisation, [{"id": oid, "name": f"Stowarzyszenie Testowe nr {n + 1}", "city": "Toruń",
                            "verified_at": now} for n, oid in enumerate(organisations)])
    ids = _reserve_ids(User, count)
    _insert(User, [{"id": uid, "email": f"uczestnik{n}@obciazenie.example", "display_name": f"Uczestnik {n}",
                    "role": Role.PARTICIPANT, "email_verified_at": now, "created_at": now, "password_hash": "",
                    "organisation_id": organisations[n % 20] if n % 3 == 0 else None}
                   for n, uid in enumerate(ids)])
    return ids


def _thread(consultation_id: int, title: str, comments: int, authors: list[int],
            bodies: list[tuple[str, str, str]], start: datetime, end: datetime) -> tuple[int, list[int]]:
    """An open thread with `comments` approved comments in SHAPE; returns its id and the top-level ids."""
    thread = Thread(consultation_id=consultation_id, kind=ThreadKind.OPEN, title=title,
                    created_by_id=authors[0], created_at=start, comment_count=comments, last_activity_at=end)
    db.session.add(thread)
    db.session.flush()
    return thread.id, _posts(thread.id, comments, authors, bodies, start, end)


def _posts(thread_id: int, count: int, authors: list[int], bodies: list[tuple[str, str, str]],
           start: datetime, end: datetime) -> list[int]:
    ids = _reserve_ids(Post, count)
    step = (end - start) / max(count, 1)
    rows, roots, parents = [], [], []  # parents: the path of the latest post at each depth
    for n, (post_id, author, (body, html, words)) in enumerate(zip(ids, cycle(authors), cycle(bodies))):
        depth = SHAPE[n % len(SHAPE)]
        padded = str(post_id).zfill(PATH_DIGITS)
        if depth == 0:
            path, root = padded, post_id
            roots.append(post_id)
        else:
            path, root = f"{parents[depth - 1][0]}.{padded}", roots[-1]
        parents[depth:] = [(path, post_id)]
        written = start + step * n
        rows.append({"id": post_id, "thread_id": thread_id, "parent_id": parents[depth - 1][1] if depth else None,
                     "root_id": root, "path": path, "depth": depth, "author_id": author, "body": body,
                     "body_html": html, "search_text": words, "state": PostState.APPROVED, "created_at": written,
                     "notified_at": written})
    _insert(Post, rows)
    return roots


def _answers_and_report(consultation_id: int, roots: list[int], now: datetime) -> None:
    """An answer to every top-level comment (every tenth shares the one before), a published report."""
    rendered = [(decision, text_, str(render_markdown(text_))) for decision, text_ in JUSTIFICATIONS]
    own = [n for n in range(len(roots)) if n % 10 != 9 or n == 0]
    ids = dict(zip(own, _reserve_ids(Answer, len(own))))
    _insert(Answer, [{"id": ids[n], "consultation_id": consultation_id, "decision": rendered[n % 4][0],
                      "justification": rendered[n % 4][1], "justification_html": rendered[n % 4][2],
                      "updated_at": now} for n in own])
    answer_of, links = None, []
    for n, post_id in enumerate(roots):
        answer_of = ids.get(n, answer_of)
        links.append({"post_id": post_id, "answer_id": answer_of, "consultation_id": consultation_id})
    _insert(AnsweredComment, links)
    report = db.session.get(Report, consultation_id) or Report(consultation_id=consultation_id)
    report.summary = "Raport z konsultacji przygotowany do **testu obciążenia** portalu."
    report.published_at = report.participants_notified_at = now - timedelta(hours=1)
    db.session.add(report)


def _signup_consultation(capacity: int, now: datetime) -> list[int]:
    """A consultation whose group sign-up is open now: the burst's five groups."""
    consultation = Consultation(
        slug=BURST_SLUG, title="Nabór do grup roboczych (test obciążenia)", status=Status.PUBLISHED,
        lead="Zapisy do pięciu grup roboczych.", body="Jedna osoba może zgłosić się do jednej grupy.",
        moderation_mode=ModerationMode.NONE, created_at=now - timedelta(days=2))
    consultation.phases = [Phase(position=0, kind=PhaseKind.GROUP_SIGNUP, title="Zapisy do grup roboczych",
                                 starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=6))]
    db.session.add(consultation)
    db.session.flush()
    groups = [WorkingGroup(consultation_id=consultation.id, position=n, name=f"Grupa robocza nr {n + 1}",
                           capacity=capacity, meeting_starts_at=now + timedelta(days=7))
              for n in range(BURST_GROUPS)]
    db.session.add_all(groups)
    db.session.flush()
    return [group.id for group in groups]


def _archive(size: Size, authors: list[int], bodies: list[tuple[str, str, str]], now: datetime) -> int:
    """Closed consultations of earlier years, each with one thread of comments; returns the comments."""
    for n in range(size.archived_consultations):
        ended = now - timedelta(days=60 + 30 * n)
        consultation = Consultation(
            slug=f"archiwum-{n + 1}", title=f"Konsultacje archiwalne nr {n + 1}", status=Status.PUBLISHED,
            lead="Konsultacje zakończone.", body="Konsultacje zakończone.", created_at=ended - timedelta(days=30))
        consultation.phases = [Phase(position=0, kind=PhaseKind.E_CONSULTATION, title="Konsultacje elektroniczne",
                                     starts_at=ended - timedelta(days=14), ends_at=ended)]
        db.session.add(consultation)
        db.session.flush()
        _thread(consultation.id, "Uwagi ogólne", size.archived_comments, authors, bodies,
                ended - timedelta(days=14), ended - timedelta(hours=1))
    return size.archived_consultations * size.archived_comments
