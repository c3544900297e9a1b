"""The moderation log as data: filters, rows in words, pages and CSV (views: records.py).

The CSV of a large log (50,000 rows) is never in memory whole: its rows are counted first (the
export's own log row records the number), then read in batches from a streamed query and written
as they come; rows added after the count (the export's own among them) are left out.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from portal import bad_input, clock, pagination, permissions, spreadsheets
from portal.accounts.models import User
from portal.audit import AuditLog, stored_data
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum.models import Post, Thread
from portal.moderation.log_words import LogWords


ROWS_PER_PAGE = 50
SYSTEM = "system"  # the moderator filter's value for actions nobody took by hand (actor is None)

# --- Filters -----------------------------------------------------------------------------------

@dataclass
class LogFilter:
    """What the log is narrowed to, read from the query string (the same for the page and CSV)."""

    moderator: str = ""          # a user id, SYSTEM, or ""
    action: str = ""
    user: str = ""               # as typed: an account number or an e-mail address
    date_from: str = ""
    date_to: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    # Resolved values
    actor_id: int | None = None
    user_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    range_reversed: bool = False

    @classmethod
    def from_args(cls, args) -> LogFilter:
        found = cls(moderator=args.get("moderator", "").strip(), action=args.get("dzialanie", "").strip()[:60],
                    user=args.get("uzytkownik", "").strip()[:254], date_from=args.get("od", "").strip(),
                    date_to=args.get("do", "").strip())
        found._resolve()
        return found

    def _resolve(self) -> None:
        if self.moderator and self.moderator != SYSTEM:
            self.actor_id = _account_number(self.moderator)
            if self.actor_id is None:
                self.errors["moderator"] = _("Wybierz osobę z listy.")
        if self.user:
            self.user_id = self._find_user(self.user)
            if self.user_id is None:
                self.errors["uzytkownik"] = _("Nie ma konta o takim numerze ani adresie e-mail.")
        first, last = self._day("od", self.date_from), self._day("do", self.date_to)
        if first and last and first > last:
            self.errors["od"] = _("Data „od” jest późniejsza niż data „do”.")
            self.range_reversed = True
            first = last = None
        self.start = clock.start_of_day(first) if first else None
        self.end = clock.end_of_day(last) if last else None

    def _day(self, name: str, text: str) -> date | None:
        if not text:
            return None
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self.errors[name] = _("Wpisz datę w postaci RRRR-MM-DD, np. 2020-09-30.")
            return None
        if not bad_input.day_in_range(day):  # a time zone conversion can't handle year 1 or 9999
            self.errors[name] = str(bad_input.DAY_OUT_OF_RANGE)
            return None
        return day

    @staticmethod
    def _find_user(text: str) -> int | None:
        if text.isascii() and text.isdigit():
            return _account_number(text)
        if "@" in text:
            return db.session.scalar(select(User.id).where(User.email == text.lower()))
        return None

    @property
    def active(self) -> bool:
        return bool(self.moderator == SYSTEM or self.actor_id is not None or self.action
                    or self.user_id is not None or self.start or self.end)

    def args(self) -> dict:
        """The query string that reproduces this filter (for paging and the CSV link)."""
        values = {"moderator": self.moderator, "dzialanie": self.action, "uzytkownik": self.user,
                  "od": self.date_from, "do": self.date_to}
        return {key: value for key, value in values.items() if value and key not in self._bad_args()}

    def _bad_args(self) -> set[str]:
        bad = set(self.errors)
        if self.range_reversed:
            bad.add("do")
        return bad

    def conditions(self) -> list:
        where = []
        if self.moderator == SYSTEM:
            where.append(AuditLog.actor_id.is_(None))
        elif self.actor_id is not None:
            where.append(AuditLog.actor_id == self.actor_id)
        if self.action:
            where.append(AuditLog.action == self.action)
        if self.user_id is not None:
            # The account itself, or the author of a comment the action was about.
            where.append(or_(and_(AuditLog.target_type == "user", AuditLog.target_id == self.user_id),
                             Post.author_id == self.user_id))
        if self.start is not None:
            where.append(AuditLog.at >= self.start)
        if self.end is not None:
            where.append(AuditLog.at < self.end)
        return where


def _account_number(text: str) -> int | None:
    """An id typed or sent in a link: ASCII digits that fit an integer column, else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _about_post():
    return and_(AuditLog.target_type == "post", Post.id == AuditLog.target_id)


def _filtered(query, log_filter: LogFilter):
    if log_filter.user_id is not None:  # the user filter also looks at the comment's author
        query = query.outerjoin(Post, _about_post())
    return query.where(*log_filter.conditions())


# --- Reading rows ------------------------------------------------------------------------------

@dataclass
class Person:
    id: int
    name: str

    @classmethod
    def of(cls, user_id, name, deleted_at, deleted_name: str | None = None) -> Person | None:
        """The person, or None without one; a deleted account unnamed (`deleted_name`, if already
        looked up)."""
        if user_id is None:
            return None
        return cls(user_id, name if deleted_at is None else deleted_name or _("Konto usunięte"))


@dataclass
class LogRow:
    entry: Row                       # the audit log row's columns (at, reason, …)
    actor: Person | None
    action: str
    target: str                      # "Uwaga nr 12"
    target_url: str | None           # the comment's permalink, the thread, the user's admin page
    target_detail: str               # a thread's or consultation's title
    concerned: Person | None         # the comment's author or the account acted on
    before: str
    after: str
    body_before: str
    body_after: str

    @property
    def body_changed(self) -> bool:
        return self.body_before != self.body_after


def _rows_query():
    """The log's rows with everything they are told with: columns, not objects (an export reads
    50,000). Each join matches one value, never either of two (an OR): PostgreSQL then hashes the
    accounts, threads and consultations once instead of trying every one for every row."""
    actor, concerned, thread, consultation = aliased(User), aliased(User), aliased(Thread), aliased(Consultation)

    def about(target_type: str):  # the row's target id when it is about a `target_type`, else NULL
        return case((AuditLog.target_type == target_type, AuditLog.target_id))

    return (
        select(AuditLog.id, AuditLog.at, AuditLog.actor_id, AuditLog.action, AuditLog.target_type,
               AuditLog.target_id, AuditLog.reason, AuditLog.before, AuditLog.after,
               actor.display_name.label("actor_name"), actor.deleted_at.label("actor_deleted"),
               concerned.id.label("concerned_id"), concerned.display_name.label("concerned_name"),
               concerned.deleted_at.label("concerned_deleted"),
               thread.id.label("thread_id"), thread.title.label("thread_title"),
               consultation.slug.label("slug"), consultation.title.label("consultation_title"))
        .outerjoin(actor, actor.id == AuditLog.actor_id)
        .outerjoin(Post, _about_post())
        .outerjoin(concerned, concerned.id == func.coalesce(Post.author_id, about("user")))
        .outerjoin(thread, thread.id == func.coalesce(Post.thread_id, about("thread")))
        .outerjoin(consultation, consultation.id == func.coalesce(thread.consultation_id, about("consultation")))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )


def _rows(records: Iterable[Row], external: bool = False) -> Iterator[LogRow]:
    """The records in words, each word looked up once for them all (`LogWords`): in the request's
    language, linked as the request's `url_for` links (absolute for a file: `external`)."""
    words, admin = LogWords(), permissions.is_admin()
    # The request's own URL builder, as `url_for` uses it, without `url_for`'s lookups on each call
    # (the portal sets no URL defaults); a large export makes 50,000 links.
    links = current_app.create_url_adapter(request)

    def link(endpoint: str, **values) -> str:
        return links.build(endpoint, values, force_external=external)

    for record in records:
        yield _row(record, words, admin, link)


def _row(record: Row, words: LogWords, admin: bool, link) -> LogRow:
    before, after = stored_data(record.before), stored_data(record.after)
    kind, target_id = record.target_type, record.target_id
    url, detail = None, ""
    if kind == "post":
        url = link("forum.permalink", post_id=target_id)
        detail = record.thread_title or ""
    elif kind == "thread" and record.slug:
        url = link("forum.thread", slug=record.slug, thread_id=target_id)
        detail = record.thread_title or ""
    elif kind == "user" and admin:
        url = link("admin_users.user_detail", user_id=target_id)
    elif kind == "consultation":
        detail = record.consultation_title or ""
    return LogRow(
        entry=record, actor=Person.of(record.actor_id, record.actor_name, record.actor_deleted, words.deleted_account),
        action=words.action(record.action), target=words.target(kind, target_id), target_url=url,
        target_detail=detail,
        concerned=Person.of(record.concerned_id, record.concerned_name, record.concerned_deleted,
                            words.deleted_account),
        before=words.state(before, kind), after=words.state(after, kind),
        body_before=str(before.get("body", "")), body_after=str(after.get("body", before.get("body", ""))),
    )


@dataclass
class LogPage(pagination.Paged):
    rows: list[LogRow]
    number: int
    pages: int
    total: int


def log_page(log_filter: LogFilter, page: int = 1, per_page: int = ROWS_PER_PAGE) -> LogPage:
    """One page of the filtered log, newest first: two queries (count and page) whatever its size."""
    total = db.session.scalar(_filtered(select(func.count(AuditLog.id)).select_from(AuditLog), log_filter))
    number = pagination.clamped(page, total, per_page)
    records = db.session.execute(pagination.page_of(_rows_query().where(*log_filter.conditions()),
                                                    number, per_page)).all()
    return LogPage(list(_rows(records)), number, pagination.page_count(total, per_page), total)


ROWS_PER_BATCH = 1000  # rows read from the database at a time for the CSV


@dataclass
class LogExport:
    """The filtered rows taken out as CSV: how many, and the newest one's id (None: no rows)."""

    log_filter: LogFilter
    rows: int
    last_id: int | None


def log_export(log_filter: LogFilter) -> LogExport:
    """What an export of the filtered log will hold, counted now: one query."""
    rows, last_id = db.session.execute(
        _filtered(select(func.count(AuditLog.id), func.max(AuditLog.id)).select_from(AuditLog), log_filter)).one()
    return LogExport(log_filter, rows, last_id)


def log_rows(export: LogExport) -> Iterator[LogRow]:
    """The export's rows (none added after it was counted), newest first, read ROWS_PER_BATCH at a
    time: one query whatever their number."""
    if export.last_id is None:
        return
    records = db.session.execute(
        _rows_query().where(*export.log_filter.conditions(), AuditLog.id <= export.last_id)
        .execution_options(yield_per=ROWS_PER_BATCH))
    yield from _rows(records, external=True)


def moderator_choices() -> list[Person]:
    """Staff, and anyone who ever acted in the log (a former moderator stays findable)."""
    acted = select(AuditLog.actor_id).where(AuditLog.actor_id.is_not(None)).distinct()
    found = db.session.execute(
        select(User.id, User.display_name, User.deleted_at)
        .where(or_(and_(User.is_staff, User.deleted_at.is_(None)),
                   User.id.in_(acted)))
        .order_by(User.deleted_at.is_not(None), User.display_name, User.id)
    ).all()
    people = [Person.of(*row) for row in found]
    for person, row in zip(people, found):
        if row.deleted_at is not None:  # several deleted accounts must still be told apart
            person.name = _("Konto usunięte (nr %(id)s)", id=row.id)
    return people


# --- CSV ---------------------------------------------------------------------------------------

def _local(moment: datetime) -> str:
    return clock.to_local(moment).strftime("%Y-%m-%d %H:%M:%S")


def csv_chunks(rows: Iterable[LogRow]) -> Iterator[bytes]:
    """The rows as CSV (`portal.spreadsheets`: byte-order mark, comma, RFC 4180; never a formula),
    in pieces written as the rows come."""
    header = [_("Kiedy (czas polski)"), _("Kto"), _("Działanie"), _("Czego dotyczy"), _("Link"),
              _("Wątek lub konsultacja"), _("Użytkownik, którego dotyczy"), _("Numer konta użytkownika"),
              _("Powód"), _("Przed"), _("Po"), _("Treść przed"), _("Treść po")]
    system = _("system")
    return spreadsheets.csv_chunks(header, ([
        _local(row.entry.at), row.actor.name if row.actor else system, row.action, row.target,
        row.target_url or "", row.target_detail, row.concerned.name if row.concerned else "",
        str(row.concerned.id) if row.concerned else "", row.entry.reason, row.before, row.after,
        row.body_before, row.body_after if row.body_changed else "",
    ] for row in rows))


class ModerationLog:
    """The log itself, as the target of the row that records its export."""

    id = 0
