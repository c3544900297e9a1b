"""Working-group and meeting registrations as a spreadsheet (CSV and XLSX) for the city office.

One row per registration: its group (or meeting), state in words, place on the waiting list,
everything the person submitted, and the times in the consultation's zone (Warsaw). The files
are written by `portal.spreadsheets` (UTF-8 CSV with a byte-order mark, comma separated; XLSX),
which passes every value through `safe_cell`, so a cell typed by the public is never run as a
formula.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _, lazy_gettext as _l

from portal import clock, spreadsheets
from portal.registrations import needs, recording
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, Status, WorkingGroup

STATUS_LABELS = {
    Status.PENDING: _l("miejsce zarezerwowane — czeka na potwierdzenie"),
    Status.CONFIRMED: _l("potwierdzone"),
    Status.WAITING: _l("lista oczekujących"),
    Status.WITHDRAWN: _l("wycofane przez zgłaszającego"),
    Status.EXPIRED: _l("wygasło — niepotwierdzone w terminie"),
    Status.CANCELLED: _l("anulowane przez urząd"),
}

# A meeting registration waits for its e-mail, is confirmed, withdrawn by the person or
# cancelled by staff.
MEETING_STATUS_LABELS = {
    Status.PENDING: _l("czeka na potwierdzenie adresu e-mail"),
    Status.CONFIRMED: _l("potwierdzone"),
    Status.WITHDRAWN: _l("wycofane"),
    Status.CANCELLED: _l("anulowane przez urząd"),
}


# The lawful basis the privacy notice named for recording when the person signed up.
RECORDING_BASIS_LABELS = recording.BASIS_WORDS


def attendance(registration) -> str:
    """"obecność", "nieobecność", or a dash while not marked."""
    if registration.attended is None:
        return "—"
    return _("obecność") if registration.attended else _("nieobecność")


def recording_basis(registration) -> str:
    return str(RECORDING_BASIS_LABELS.get(registration.recording_basis, registration.recording_basis))


@dataclass
class Column:
    title: str
    value: object  # callable(ExportRow) -> str | int | datetime | None


@dataclass
class ExportRow:
    group: WorkingGroup
    registration: GroupRegistration
    position: int | None


@dataclass
class MeetingExportRow:
    meeting: Meeting
    registration: MeetingRegistration


def _local(moment: datetime | None, tz: str) -> datetime | None:
    """Local wall-clock time (naive: spreadsheets have no zones)."""
    return clock.to_local(moment, tz).replace(tzinfo=None, microsecond=0) if moment else None


def _timed(tz: str):
    """`title (zone)` for a column of local times."""
    zone = _("czas polski") if tz == clock.DEFAULT_ZONE else tz
    return lambda title: f"{title} ({zone})"


def _when(attribute: str, tz: str):
    return lambda row: _local(getattr(row.registration, attribute), tz)


def _erased(row) -> str:
    """Personal data erased (`flask purge-personal-data`): said so, not a placeholder address."""
    return _("dane usunięte") if row.registration.personal_data_erased_at else ""


def _needs_columns(tz: str) -> list[Column]:
    """Recording and accessibility: the same columns in both exports."""
    yes, no = _("tak"), _("nie")
    return [
        Column(_("Podstawa nagrywania"), lambda row: recording_basis(row.registration)),
        Column(_("Zgoda na nagrywanie"), lambda row: yes if row.registration.recording_consent else no),
        Column(_("Potrzeby dostępności"), lambda row: ", ".join(needs.in_words(row.registration))),
        Column(_("Potrzeby dostępności — opis"), lambda row: row.registration.accessibility_details),
        Column(_timed(tz)(_("Zgoda na dane o potrzebach dostępności")), _when("accessibility_consent_at", tz)),
    ]


def _applicant_columns(tz: str) -> list[Column]:
    """What the person typed (both forms ask the same) and the privacy notice they accepted."""
    return [
        Column(_("Imię i nazwisko"), lambda row: row.registration.full_name or _erased(row)),
        Column(_("Adres e-mail"), lambda row: _erased(row) or row.registration.email),
        Column(_("Telefon"), lambda row: row.registration.phone),
        Column(_("Nazwa organizacji"), lambda row: row.registration.organisation_name),
        Column(_("Adres siedziby organizacji"), lambda row: row.registration.organisation_address),
        Column(_("Dane kontaktowe organizacji"), lambda row: row.registration.organisation_contact),
        Column(_("Dotychczasowe działania w organizacjach pozarządowych"),
               lambda row: row.registration.prior_activity),
        *_needs_columns(tz),
        Column(_("Wersja informacji o danych osobowych"), lambda row: row.registration.privacy_notice_version),
        Column(_timed(tz)(_("Informację przyjęto")), _when("privacy_notice_accepted_at", tz)),
    ]


def columns(tz: str) -> list[Column]:
    timed = _timed(tz)

    def when(attribute):
        return _when(attribute, tz)

    return [
        Column(_("Grupa robocza"), lambda row: row.group.name),
        Column(_("Stan"), lambda row: str(STATUS_LABELS[row.registration.status])),
        Column(_("Miejsce na liście oczekujących"), lambda row: row.position),
        *_applicant_columns(tz),
        Column(timed(_("Zgłoszenie wysłano")), when("created_at")),
        Column(timed(_("Rezerwacja ważna do")), when("hold_expires_at")),
        Column(timed(_("Potwierdzono")), when("confirmed_at")),
        Column(timed(_("Zakończono")), when("ended_at")),
        Column(_("Powód zakończenia"), lambda row: row.registration.end_reason),
        Column(_("Obecność"), lambda row: attendance(row.registration)),
    ]


def meeting_columns(tz: str) -> list[Column]:
    """What a meeting registration holds, with the meeting's title and start (as on the staff page)."""
    timed = _timed(tz)
    return [
        Column(_("Spotkanie"), lambda row: row.meeting.title),
        Column(timed(_("Termin spotkania")), lambda row: _local(row.meeting.starts_at, tz)),
        Column(_("Stan"), lambda row: str(MEETING_STATUS_LABELS.get(row.registration.status,
                                                                     STATUS_LABELS[row.registration.status]))),
        *_applicant_columns(tz),
        Column(timed(_("Zgłoszenie wysłano")), _when("created_at", tz)),
        Column(timed(_("Potwierdzono")), _when("confirmed_at", tz)),
        Column(timed(_("Link wysłano")), _when("link_sent_at", tz)),
        # Withdrawn by the person or cancelled by staff ("Stan" says which); the title is older.
        Column(timed(_("Wycofano")), _when("ended_at", tz)),
        Column(_("Powód zakończenia"), lambda row: row.registration.end_reason),
        Column(_("Obecność"), lambda row: attendance(row.registration)),
    ]


def table(rows: list, tz: str, cols: list[Column] | None = None) -> tuple[list[str], list[list]]:
    """Header and rows, every value already through `spreadsheets.cell`; `cols` default to the groups'."""
    cols = columns(tz) if cols is None else cols
    return spreadsheets.safe_table([col.title for col in cols], ([col.value(row) for col in cols] for row in rows))


def to_csv(rows: list, tz: str, cols: list[Column] | None = None) -> bytes:
    return spreadsheets.to_csv(*table(rows, tz, cols))


def to_xlsx(rows: list, tz: str, sheet_title: str, cols: list[Column] | None = None) -> bytes:
    return spreadsheets.to_xlsx(*table(rows, tz, cols), sheet_title)
