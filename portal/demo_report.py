"""The demo's example comments on the example draft, the office's answers and the published report.

The demo replays what had happened by "today": comments written during the electronic
consultation appear once their (shifted) time has passed, and after the consultation the
office's answers — all four kinds of decision, one answer shared by two comments — and a
published report. Everything here is invented and says so: the commenters and organisations
carry "(demo)", each comment ends with a note, the report's summary begins with one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from portal import clock
from portal.accounts.models import Organisation, Role, User
from portal.consultations.models import Consultation, PhaseKind
from portal.extensions import db
from portal.forum.models import (
    PATH_DIGITS,
    DraftSection,
    Post,
    PostState,
    Thread,
    ThreadKind,
)
from portal.reports.models import Answer, AnsweredComment, Decision, Report
from portal.reports.publishing import keep_version
from portal.reports.services import fix_numbers, report_comments
from portal.sanitize import render_markdown

EXAMPLE_NOTE = "*Uwaga przykładowa — dane demonstracyjne.*"

# (e-mail, name, organisation or None for a private person); Anna is the demo's NGO account.
COMMENTERS = {
    "anna": ("ngo@example.org", "Anna Nowak (demo)", "Fundacja Przykładowa (demo)"),
    "piotr": ("stowarzyszenie@example.org", "Piotr Wiśniewski (demo)", "Stowarzyszenie Przykładowe „Razem” (demo)"),
    "maria": ("mieszkanka@example.org", "Maria Zielińska (demo)", None),
}


@dataclass(frozen=True)
class ExampleComment:
    key: str                 # names it for a reply or an answer
    author: str              # a key of COMMENTERS
    section: int | None      # None: "Uwagi ogólne"
    paragraph: int | None
    written: datetime        # 2020 wall-clock time in Warsaw
    body: str
    reply_to: str | None = None


COMMENTS = (
    ExampleComment("spotkanie", "maria", None, None, datetime(2020, 9, 17, 19, 12),
                   "Czy oprócz konsultacji elektronicznych odbędzie się spotkanie otwarte dla mieszkańców? "
                   "Nie wszyscy korzystają z internetu."),
    ExampleComment("lokale", "anna", 5, 3, datetime(2020, 9, 18, 10, 5),
                   "Proponujemy dopisać, że lokale i sale są udostępniane **bezpłatnie** organizacjom "
                   "młodzieżowym i grupom nieformalnym, a nie tylko „na preferencyjnych warunkach”."),
    ExampleComment("ekologia", "piotr", 6, 1, datetime(2020, 9, 21, 16, 40),
                   "Brakuje priorytetu **edukacji ekologicznej**. Prosimy o dopisanie szóstego obszaru."),
    ExampleComment("popieram", "maria", 6, None, datetime(2020, 9, 21, 20, 3),
                   "Popieram — w szkołach na osiedlach brakuje takich zajęć.", reply_to="ekologia"),
    ExampleComment("wolontariat", "anna", 8, 3, datetime(2020, 9, 22, 9, 30),
                   "Kwota 1 700 000 zł na wolontariat, ekonomię społeczną i pozostałe obszary jest za niska. "
                   "Proponujemy 2 000 000 zł."),
    ExampleComment("wolontariat-2", "piotr", 8, 3, datetime(2020, 9, 22, 20, 15),
                   "Dołączamy do wniosku o zwiększenie środków na wolontariat — w czasie pandemii "
                   "wolontariusze prowadzą pomoc sąsiedzką."),
)

# (decision, justification in Markdown, the comments it answers, when it was written)
ANSWERS = (
    (Decision.EXPLANATION,
     ("Z uwagi na stan epidemii konsultacje prowadzone są zdalnie. Projekt programu można otrzymać "
      "w wersji papierowej w Biurze Obsługi Mieszkańców, a uwagi złożyć także listownie."),
     ("spotkanie",), datetime(2020, 10, 1, 10, 0)),
    (Decision.PARTLY_ACCEPTED,
     ("Dopisano bezpłatne udostępnianie sal grupom nieformalnym i organizacjom młodzieżowym "
      "**w miarę dostępności** lokali; pełna bezpłatność dla wszystkich organizacji nie jest możliwa."),
     ("lokale",), datetime(2020, 10, 1, 10, 20)),
    (Decision.NOT_ACCEPTED,
     ("Edukacja ekologiczna jest finansowana z [programu ochrony środowiska](https://example.org/srodowisko) "
      "i nie jest zadaniem objętym tym programem."),
     ("ekologia",), datetime(2020, 10, 1, 10, 40)),
    (Decision.ACCEPTED,
     ("Kwotę na wolontariat, ekonomię społeczną i pozostałe obszary zwiększono do 2 000 000 zł "
      "(**§ 8 ust. 3**)."),
     ("wolontariat", "wolontariat-2"), datetime(2020, 10, 1, 11, 0)),
)

REPORT_PUBLISHED = datetime(2020, 10, 2, 14, 0)
REPORT_SUMMARY = """\
*Raport przykładowy, przygotowany na potrzeby demonstracji portalu; uwagi i odpowiedzi są wymyślone.*

W konsultacjach elektronicznych projektu programu wpłynęło {comments} uwag od {authors} uczestników
({organisations} z nich w imieniu organizacji). Każda uwaga otrzymała odpowiedź urzędu; uwagi
o tej samej treści mają wspólną odpowiedź.
"""


def seed_example_comments(consultation: Consultation, days: timedelta, now: datetime | None = None) -> list[Post]:
    """Comments written by `now`, and — once the electronic consultation is over — answers and a report."""
    now = now or clock.now_utc()
    window = next(p for p in consultation.phases if p.kind == PhaseKind.E_CONSULTATION)
    if now < window.starts_at:
        return []
    authors = _commenters()
    threads = _threads(consultation.id)
    posts: dict[str, Post] = {}
    for example in COMMENTS:
        written = _moved(example.written, days, consultation.timezone)
        if written > now:
            break
        posts[example.key] = _write(example, threads[example.section], authors[example.author],
                                    posts.get(example.reply_to), written)
    if now >= window.ends_at and len(posts) == len(COMMENTS):
        _answer_and_publish(consultation, posts, days, now)
    return list(posts.values())


def _moved(wall: datetime, days: timedelta, tz: str) -> datetime:
    return clock.from_local(wall + days, tz)


def _commenters() -> dict[str, User]:
    """The example commenters' accounts (kept across re-runs; no password: nobody logs in as them)."""
    users = {}
    for key, (email, name, organisation) in COMMENTERS.items():
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            user = User(email=email, display_name=name, role=Role.PARTICIPANT, email_verified_at=clock.now_utc())
            db.session.add(user)
        if organisation and user.organisation is None:
            user.organisation = Organisation(name=organisation, city="Toruń", verified_at=clock.now_utc())
        users[key] = user
    db.session.flush()
    return users


def _threads(consultation_id: int) -> dict[int | None, Thread]:
    rows = db.session.execute(
        select(Thread, DraftSection.number).outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .where(Thread.consultation_id == consultation_id,
               Thread.kind.in_((ThreadKind.SECTION, ThreadKind.GENERAL)))).all()
    return {(number if thread.kind == ThreadKind.SECTION else None): thread for thread, number in rows}


def _write(example: ExampleComment, thread: Thread, author: User, parent: Post | None, written: datetime) -> Post:
    body = f"{example.body}\n\n{EXAMPLE_NOTE}"
    post = Post(thread_id=thread.id, author_id=author.id, organisation_id=author.organisation_id,
                paragraph_number=example.paragraph, body=body, body_html=str(render_markdown(body)),
                state=PostState.APPROVED, parent_id=parent.id if parent else None,
                depth=parent.depth + 1 if parent else 0, created_at=written, notified_at=written)
    db.session.add(post)
    db.session.flush()
    padded = str(post.id).zfill(PATH_DIGITS)
    post.root_id = parent.root_id if parent else post.id
    post.path = f"{parent.path}.{padded}" if parent else padded
    db.session.execute(update(Thread).where(Thread.id == thread.id)
                       .values(comment_count=Thread.comment_count + 1, last_activity_at=written))
    return post


def _answer_and_publish(consultation: Consultation, posts: dict[str, Post], days: timedelta, now: datetime) -> None:
    office = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    for decision, justification, keys, written in ANSWERS:
        answer = Answer(consultation_id=consultation.id, decision=decision, justification=justification,
                        updated_at=min(_moved(written, days, consultation.timezone), now),
                        updated_by_id=office.id if office else None)
        db.session.add(answer)
        db.session.flush()
        db.session.add_all(AnsweredComment(post_id=posts[key].id, answer_id=answer.id,
                                           consultation_id=consultation.id) for key in keys)
    top_level = [post for post in posts.values() if post.depth == 0]
    published = min(_moved(REPORT_PUBLISHED, days, consultation.timezone), now)
    db.session.add(Report(
        consultation_id=consultation.id,
        summary=REPORT_SUMMARY.format(
            comments=len(top_level), authors=len({post.author_id for post in top_level}),
            organisations=len({post.organisation_id for post in top_level if post.organisation_id})),
        published_at=published, first_published_at=published, published_by_id=office.id if office else None,
        # Nobody is e-mailed about a demo's report.
        participants_notified_at=published))
    db.session.flush()
    # As a real publication does: the numbers are fixed and the version as published is kept.
    data = report_comments(consultation.id)
    fix_numbers(data)
    keep_version(consultation.id, db.session.get(Report, consultation.id), data, office, published)
