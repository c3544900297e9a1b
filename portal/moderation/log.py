"""The moderation log as data: filters, rows in words, pages and CSV (views: records.py)."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from portal import bad_input, clock, formatting, permissions
from portal.accounts.admin_services import ACTION_LABELS as ACCOUNT_ACTION_LABELS, describe_state
from portal.accounts.models import Role, User
from portal.audit import AuditLog
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum.models import Post, PostState, Thread
from portal.registrations.exports import STATUS_LABELS as REGISTRATION_STATUS_LABELS, safe_cell


ROWS_PER_PAGE = 50
SYSTEM = "system"  # the moderator filter's value for actions nobody took by hand (actor is None)

# --- Words for the log -------------------------------------------------------------------------

# Grouped as the action filter shows them (<optgroup>). An action not listed is shown by its name.
ACTION_GROUPS = [
    (_l("Moderacja uwag"), {
        "post_approved": _l("Publikacja uwagi"),
        "post_approved_with_edits": _l("Publikacja uwagi z poprawkami moderatora"),
        "post_rejected": _l("Odrzucenie uwagi"),
        "post_hidden": _l("Ukrycie uwagi"),
        "post_unhidden": _l("Przywrócenie ukrytej uwagi"),
        "post_hidden_by_flags": _l("Automatyczne ukrycie po zgłoszeniach"),
        "post_hidden_confirmed": _l("Potwierdzenie ukrycia uwagi"),
        "post_moved": _l("Przeniesienie uwagi do innego wątku"),
        "flags_agreed": _l("Uznanie zgłoszeń naruszenia"),
        "flags_dismissed": _l("Oddalenie zgłoszeń naruszenia"),
    }),
    (_l("Wątki"), {
        "thread_locked": _l("Zamknięcie wątku"),
        "thread_unlocked": _l("Otwarcie wątku"),
        "thread_pinned": _l("Przypięcie wątku"),
        "thread_unpinned": _l("Odpięcie wątku"),
        "thread_renamed": _l("Zmiana tytułu wątku"),
    }),
    (_l("Konta i organizacje"), dict(ACCOUNT_ACTION_LABELS)),
    (_l("Konsultacje i zapisy"), {
        "draft_published": _l("Publikacja projektu dokumentu"),
        "registration_confirmed": _l("Potwierdzenie zgłoszenia do grupy roboczej"),
        "registration_cancelled": _l("Anulowanie zgłoszenia do grupy roboczej"),
        "registration_moved": _l("Przeniesienie zgłoszenia do innej grupy"),
        "registrations_exported": _l("Pobranie listy zapisów"),
        "meeting_link_set": _l("Zmiana linku do spotkania"),
        "moderation_log_exported": _l("Pobranie dziennika moderacji"),
        "moderation_settings_changed": _l("Zmiana ustawień moderacji"),
        "consultation_created": _l("Utworzenie konsultacji"),
        "consultation_changed": _l("Zmiana opisu konsultacji"),
        "consultation_published": _l("Publikacja konsultacji"),
        "consultation_unpublished": _l("Wycofanie publikacji konsultacji"),
        "phase_added": _l("Dodanie etapu"),
        "phase_changed": _l("Zmiana etapu"),
        "phase_deleted": _l("Usunięcie etapu"),
        "document_added": _l("Dodanie dokumentu"),
        "document_moved": _l("Zmiana kolejności dokumentów"),
        "document_deleted": _l("Usunięcie dokumentu"),
        "group_added": _l("Dodanie grupy roboczej"),
        "group_changed": _l("Zmiana danych grupy roboczej"),
        "group_deleted": _l("Usunięcie grupy roboczej"),
        "meeting_added": _l("Dodanie spotkania"),
        "meeting_changed": _l("Zmiana spotkania"),
        "meeting_deleted": _l("Usunięcie spotkania"),
        "purge_personal_data": _l("Usunięcie danych osobowych z zapisów"),
    }),
    (_l("Raport"), {
        "answer_comment": _l("Odpowiedź na uwagę"),
        "report_summary_changed": _l("Zmiana opisu przebiegu konsultacji"),
        "report_published": _l("Publikacja raportu"),
        "report_unpublished": _l("Wycofanie publikacji raportu"),
        "final_document_uploaded": _l("Wczytanie wersji końcowej"),
        "change_links_saved": _l("Powiązanie zmian z uwagami"),
    }),
]
ACTION_LABELS = {action: label for _group, labels in ACTION_GROUPS for action, label in labels.items()}

TARGET_LABELS = {
    "post": _l("Uwaga nr %(id)s"),
    "thread": _l("Wątek nr %(id)s"),
    "user": _l("Konto nr %(id)s"),
    "organisation": _l("Organizacja nr %(id)s"),
    "consultation": _l("Konsultacja nr %(id)s"),
    "groupregistration": _l("Zgłoszenie do grupy nr %(id)s"),
    "meeting": _l("Spotkanie nr %(id)s"),
    "document": _l("Dokument nr %(id)s"),
    "phase": _l("Etap nr %(id)s"),
    "workinggroup": _l("Grupa robocza nr %(id)s"),
    "moderationlog": _l("Dziennik moderacji"),
}

POST_STATE_LABELS = {
    PostState.PENDING.value: _l("czeka na moderację"),
    PostState.APPROVED.value: _l("opublikowana"),
    PostState.REJECTED.value: _l("odrzucona"),
    PostState.HIDDEN.value: _l("ukryta"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


# Every field an audit row may carry, in words: the log never shows a field's code name
# ("open_flags: 1"). A field without a label would be shown by its name: give every new logged
# field a label here (tests/test_language.py looks for code names in the rendered log).
FIELD_LABELS = {
    "open_flags": _l("zgłoszenia do rozpatrzenia"),
    "reason": _l("powód"),
    "moved": _l("przeniesione uwagi"),
    "visible": _l("w tym widoczne"),
    "moderation_mode": _l("moderacja"),
    "flag_threshold": _l("ukrycie po zgłoszeniach różnych osób"),
    "join_url": _l("link do spotkania"),
    "group": _l("grupa"),
    "format": _l("plik"),
    "rows": _l("wiersze"),
    "filter": _l("filtry"),
    "order": _l("kolejność dokumentów (numery)"),
    "comments": _l("uwagi"),
    "section": _l("paragraf"),
    "sections": _l("paragrafy"),
    "changed": _l("zmienione paragrafy"),
    "dropped_links": _l("usunięte powiązania z uwagami"),
    "summary": _l("opis przebiegu konsultacji"),
    "decision": _l("rozstrzygnięcie"),
    "justification": _l("uzasadnienie"),
    "name": _l("nazwa"),
    "description": _l("opis"),
    "capacity": _l("liczba miejsc"),
    "meeting_starts_at": _l("spotkanie grupy"),
    "moderator_office": _l("moderator z urzędu"),
    "moderator_ngo": _l("moderator z organizacji pozarządowych"),
    "topic": _l("temat"),
    "moderators": _l("moderatorzy"),
    "starts_at": _l("początek"),
    "ends_at": _l("koniec"),
    "registration_deadline": _l("koniec zgłoszeń"),
    "kind": _l("rodzaj"),
    "url": _l("adres"),
    "original_name": _l("plik"),
    "content_type": _l("rodzaj pliku"),
    "size_bytes": _l("rozmiar (bajty)"),
    "position": _l("miejsce na liście"),
    "slug": _l("adres strony"),
    "lead": _l("wstęp"),
    "contact_name": _l("osoba do kontaktu"),
    "contact_role": _l("stanowisko osoby do kontaktu"),
    "contact_email": _l("adres e-mail do kontaktu"),
    "contact_phone": _l("telefon do kontaktu"),
    "timezone": _l("strefa czasowa"),
    "group_registrations": _l("zgłoszenia do grup"),
    "meeting_registrations": _l("zgłoszenia na spotkania"),
    "outbox": _l("wiadomości e-mail"),
}
# Derived from other fields (the moved comment's place in its new thread): nothing to tell.
UNTOLD_FIELDS = {"body", "root_id", "path", "depth"}
DATE_FIELDS = {"meeting_starts_at", "starts_at", "ends_at", "registration_deadline"}
TEXT_FIELDS = {"reason", "summary", "justification", "name", "description", "moderator_office", "moderator_ngo",
               "topic", "moderators", "lead", "contact_name", "contact_role"}
TEXT_SHOWN = 80  # characters of a long text shown in the log (the whole text is in the row's data)


def _value_labels(field_name: str, target_type: str) -> dict:
    """Words for a field's stored codes ("published", "off_topic", …), by what the row is about."""
    from portal.moderation.settings import MODE_LABELS
    from portal.registrations.staff import MEETING_STATUS_LABELS
    from portal.reports.models import DECISION_LABELS
    from portal.staff.document_forms import KIND_LABELS as DOCUMENT_KIND_LABELS
    from portal.staff.forms import PHASE_KIND_LABELS
    from portal.staff.views import STATUS_LABELS as CONSULTATION_STATUS_LABELS

    if field_name == "status":
        return {"consultation": CONSULTATION_STATUS_LABELS, "meetingregistration": MEETING_STATUS_LABELS}.get(
            target_type, REGISTRATION_STATUS_LABELS)
    if field_name == "kind":
        return DOCUMENT_KIND_LABELS if target_type == "document" else PHASE_KIND_LABELS
    return {"moderation_mode": MODE_LABELS, "decision": DECISION_LABELS}.get(field_name, {})


def _moment(value) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return formatting.local_datetime(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))


def _text(value) -> str:
    text = " ".join(str(value).split())
    return f"„{text[:TEXT_SHOWN]}…”" if len(text) > TEXT_SHOWN else f"„{text}”"


def _value(field_name: str, value, target_type: str) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return _("brak")
    if isinstance(value, bool):
        return _("tak") if value else _("nie")
    labels = _value_labels(field_name, target_type)
    if labels:
        for code, label in labels.items():
            if str(code) == str(value):
                label = str(label)  # an option's label ("Inny etap") in the middle of a line
                return label[:1].lower() + label[1:]
    if field_name in DATE_FIELDS:
        return _moment(value)
    if field_name in TEXT_FIELDS:
        return _text(value)
    if field_name == "format":
        return str(value).upper()
    if field_name == "filter" and isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def describe(data: dict, target_type: str = "post") -> str:
    """A logged state in words, without the comment's text (that is shown apart)."""
    parts, account = [], {}
    for key, value in data.items():
        if key in UNTOLD_FIELDS:
            continue
        if key == "state":
            parts.append(str(POST_STATE_LABELS.get(value, value)))
        elif key == "title":
            parts.append(f"„{value}”")
        elif key == "locked":
            parts.append(_("zamknięty") if value else _("otwarty"))
        elif key == "pinned":
            parts.append(_("przypięty") if value else _("nieprzypięty"))
        elif key == "thread_id":
            parts.append(_("wątek nr %(id)s", id=value))
        elif key == "hidden_by_flags":
            parts.append(_("po zgłoszeniach") if value else _("decyzją moderatora"))
        elif key == "published_at":  # of the report
            parts.append(_("opublikowany %(when)s", when=_moment(value)) if value else _("nieopublikowany"))
        elif key == "parent_id":
            if value is not None:  # a top-level comment: nothing to say
                parts.append(_("odpowiedź na uwagę #%(id)s", id=value))
        elif key in ("role", "trusted", "verified", "blocked", "until"):
            account[key] = value
        elif key == "status":
            parts.append(_value(key, value, target_type))
        else:
            label = FIELD_LABELS.get(key, key)
            parts.append(f"{label}: {_value(key, value, target_type)}")
    if account:
        parts.append(describe_state(account))
    return ", ".join(part for part in parts if part)


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
class LogPage:
    rows: list[LogRow]
    number: int
    pages: int
    total: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def log_page(log_filter: LogFilter, page: int = 1, per_page: int = ROWS_PER_PAGE) -> LogPage:
    """One page of the filtered log, newest first: two queries (count and page) whatever its size."""
    total = db.session.scalar(_filtered(select(func.count(AuditLog.id)).select_from(AuditLog), log_filter))
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, page), pages)
    records = db.session.execute(_rows_query().where(*log_filter.conditions())
                                 .limit(per_page).offset((number - 1) * per_page)).all()
    return LogPage([_row(record) for record in records], number, pages, total)


def log_rows(log_filter: LogFilter) -> list[LogRow]:
    """Every filtered row (for the CSV): one query."""
    records = db.session.execute(_rows_query().where(*log_filter.conditions())).all()
    return [_row(record, external=True) for record in records]


def moderator_choices() -> list[Person]:
    """Staff, and anyone who ever acted in the log (a former moderator stays findable)."""
    acted = select(AuditLog.actor_id).where(AuditLog.actor_id.is_not(None)).distinct()
    found = db.session.execute(
        select(User.id, User.display_name, User.deleted_at)
        .where(or_(and_(User.role.in_((Role.MODERATOR, Role.ADMIN)), User.deleted_at.is_(None)),
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


def to_csv(rows: list[LogRow]) -> bytes:
    """UTF-8 with a byte-order mark, comma separated, RFC 4180 quoting; no cell is ever a formula."""
    header = [_("Kiedy (czas polski)"), _("Kto"), _("Działanie"), _("Czego dotyczy"), _("Link"),
              _("Wątek lub konsultacja"), _("Użytkownik, którego dotyczy"), _("Numer konta użytkownika"),
              _("Powód"), _("Przed"), _("Po"), _("Treść przed"), _("Treść po")]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(title) for title in header])
    for row in rows:
        values = [
            _local(row.entry.at), row.actor.name if row.actor else _("system"), row.action, row.target,
            row.target_url or "", row.target_detail, row.concerned.name if row.concerned else "",
            str(row.concerned.id) if row.concerned else "", row.entry.reason, row.before, row.after,
            row.body_before, row.body_after if row.body_changed else "",
        ]
        writer.writerow([safe_cell(value) for value in values])
    return out.getvalue().encode("utf-8-sig")


class ModerationLog:
    """The log itself, as the target of the row that records its export."""

    id = 0
