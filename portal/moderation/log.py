"""The moderation log as data: filters, rows in words, pages and CSV (views: records.py).

The CSV of a large log (50,000 rows) is never in memory whole: its rows are counted first (the
export's own log row records the number), then read in batches from a streamed query and written
as they come; rows added after the count (the export's own among them) are left out.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from portal import bad_input, clock, pagination, permissions, spreadsheets
from portal.accounts.models import User
from portal.audit import AuditLog
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum.models import Post, Thread
from portal.moderation.log_words import TARGET_LABELS, action_label, describe


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
    def of(cls, user_id, name, deleted_at) -> Person | None:
        if user_id is None:
            return None
        return cls(user_id, _("Konto usunięte") if deleted_at is not None else name)


@dataclass
class LogRow:
    entry: AuditLog
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
    actor, concerned, thread, consultation = aliased(User), aliased(User), aliased(Thread), aliased(Consultation)
    about_user = and_(AuditLog.target_type == "user", concerned.id == AuditLog.target_id)
    return (
        select(AuditLog,
               actor.display_name.label("actor_name"), actor.deleted_at.label("actor_deleted"),
               concerned.id.label("concerned_id"), concerned.display_name.label("concerned_name"),
               concerned.deleted_at.label("concerned_deleted"),
               thread.id.label("thread_id"), thread.title.label("thread_title"),
               consultation.slug.label("slug"), consultation.title.label("consultation_title"))
        .outerjoin(actor, actor.id == AuditLog.actor_id)
        .outerjoin(Post, _about_post())
        .outerjoin(concerned, or_(about_user, concerned.id == Post.author_id))
        .outerjoin(thread, or_(thread.id == Post.thread_id,
                               and_(AuditLog.target_type == "thread", thread.id == AuditLog.target_id)))
        .outerjoin(consultation, or_(consultation.id == thread.consultation_id,
                                     and_(AuditLog.target_type == "consultation",
                                          consultation.id == AuditLog.target_id)))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )


def _row(record, external: bool = False) -> LogRow:
    entry: AuditLog = record.AuditLog
    before, after = entry.before_data, entry.after_data
    kind = entry.target_type
    target = str(TARGET_LABELS[kind] % {"id": entry.target_id}) if kind in TARGET_LABELS \
        else f"{kind} {entry.target_id}"
    url, detail = None, ""
    if kind == "post":
        url = url_for("forum.permalink", post_id=entry.target_id, _external=external)
        detail = record.thread_title or ""
    elif kind == "thread" and record.slug:
        url = url_for("forum.thread", slug=record.slug, thread_id=entry.target_id, _external=external)
        detail = record.thread_title or ""
    elif kind == "user" and permissions.is_admin():
        url = url_for("admin_users.user_detail", user_id=entry.target_id, _external=external)
    elif kind == "consultation":
        detail = record.consultation_title or ""
    return LogRow(
        entry=entry, actor=Person.of(entry.actor_id, record.actor_name, record.actor_deleted),
        action=action_label(entry.action), target=target, target_url=url, target_detail=detail,
        concerned=Person.of(record.concerned_id, record.concerned_name, record.concerned_deleted),
        before=describe(before, kind), after=describe(after, kind),
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
    return LogPage([_row(record) for record in records], number, pagination.page_count(total, per_page), total)


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
    for record in records:
        yield _row(record, external=True)


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
