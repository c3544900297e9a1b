"""Running a consultation from the back office: its announcement, status and timeline.

The rules live here and are testable without HTTP. A rule that refuses a change raises
`Refusal` naming the form field its message belongs next to, *before* anything is changed
(a re-shown form is answered with 200 and the request's transaction is committed).

Working links: a consultation's address (slug) can be changed only while it has never been
published. Once it was public, people, e-mails and the council's documents link to it, so a
change is refused with a message instead of breaking them (there is no redirect table).
"""
from __future__ import annotations

import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import audit, clock, errors
from portal.audit import AuditLog
from portal.consultations.models import Consultation, Phase, PhaseKind, Status
from portal.extensions import db
from portal.news.services import announce_publication

SLUG_MAX = 120
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Polish letters NFKD does not take apart (ł) or that must not vanish; others fall back to NFKD.
_TRANSLITERATION = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")

CONSULTATION_FIELDS = ("title", "slug", "lead", "body", "contact_name", "contact_role", "contact_email",
                       "contact_phone", "timezone")


class Refusal(errors.Refusal):
    """A rule refused the change; `field` is the form field the message is shown next to."""

    def __init__(self, field_name: str, message):
        super().__init__(message, field_name)


# --- the consultation ---------------------------------------------------------------------------

def propose_slug(title: str) -> str:
    """An address from a title: "Program współpracy 2021" -> "program-wspolpracy-2021"."""
    text = unicodedata.normalize("NFKD", (title or "").translate(_TRANSLITERATION))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:SLUG_MAX].rstrip("-")


def is_valid_slug(slug: str) -> bool:
    return len(slug) <= SLUG_MAX and SLUG_PATTERN.fullmatch(slug) is not None


def is_known_timezone(name: str) -> bool:
    """A real IANA zone name (as `zoneinfo` knows it), e.g. Europe/Warsaw."""
    return name in zoneinfo.available_timezones()


def all_consultations() -> list[Consultation]:
    """Every consultation, drafts included, newest first, with its comment window: two queries."""
    return list(db.session.scalars(
        select(Consultation).options(selectinload(Consultation.comment_window))
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())))


def slug_is_locked(consultation: Consultation) -> bool:
    """True once the consultation has been public: its address is then kept (module docstring)."""
    if consultation.id is None:
        return False
    return consultation.is_published or bool(db.session.scalar(select(exists().where(
        AuditLog.target_type == "consultation", AuditLog.target_id == consultation.id,
        AuditLog.action == "consultation_published"))))


def _check_slug(slug: str, consultation: Consultation | None) -> None:
    if consultation is not None and slug != consultation.slug and slug_is_locked(consultation):
        raise Refusal("slug", _l("Tej konsultacji nie można już zmienić adresu: była opublikowana i prowadzą do "
                                 "niej linki. Zostaw adres %(slug)s.", slug=consultation.slug))
    taken = select(Consultation.id).where(Consultation.slug == slug)
    if consultation is not None and consultation.id is not None:
        taken = taken.where(Consultation.id != consultation.id)
    if db.session.scalar(taken) is not None:
        raise Refusal("slug", _l("Adres %(slug)s ma już inna konsultacja. Wybierz inny.", slug=slug))


def _flush_unique_slug(slug: str) -> None:
    """Write now, so that two people saving the same address at once get a message, not an error page."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Refusal("slug", _l("Adres %(slug)s ma już inna konsultacja. Wybierz inny.", slug=slug)) from None


def _values(consultation: Consultation) -> dict:
    return {name: getattr(consultation, name) for name in CONSULTATION_FIELDS}


def create_consultation(actor, fields: dict) -> Consultation:
    """A new consultation, always a draft; an empty address is made from the title."""
    fields = {**fields, "slug": fields.get("slug") or propose_slug(fields["title"])}
    _check_slug(fields["slug"], None)
    consultation = Consultation(status=Status.DRAFT, **fields)
    db.session.add(consultation)
    _flush_unique_slug(fields["slug"])
    audit.record(actor, "consultation_created", consultation, after=_values(consultation))
    return consultation


def update_consultation(actor, consultation: Consultation, fields: dict) -> dict:
    """Save the announcement; returns the changed fields {name: (before, after)} (logged).

    Phases keep their moments when the zone changes; they are then shown in the new zone.
    """
    fields = {**fields, "slug": fields.get("slug") or propose_slug(fields["title"])}
    _check_slug(fields["slug"], consultation)
    before = _values(consultation)
    changed = {name: (before[name], value) for name, value in fields.items() if before[name] != value}
    if not changed:
        return {}
    for name, (_old, value) in changed.items():
        setattr(consultation, name, value)
    if "slug" in changed:
        _flush_unique_slug(fields["slug"])
    audit.record(actor, "consultation_changed", consultation,
                 before={name: old for name, (old, _new) in changed.items()},
                 after={name: new for name, (_old, new) in changed.items()})
    return changed


def set_status(actor, consultation: Consultation, status: Status) -> bool:
    """Publish or withdraw a consultation; False when it already was in that status."""
    if consultation.status == status:
        return False
    before = consultation.status
    consultation.status = status
    action = "consultation_published" if status == Status.PUBLISHED else "consultation_unpublished"
    audit.record(actor, action, consultation, before={"status": before.value}, after={"status": status.value})
    if status == Status.PUBLISHED:
        announce_publication(consultation)  # once in its life; a republication says nothing again
    return True


# --- the timeline -------------------------------------------------------------------------------

@dataclass
class PhaseInput:
    """A phase as a person enters it: local dates, times optional (whole days)."""

    kind: PhaseKind
    title: str
    description: str
    start_day: date
    start_time: time | None
    end_day: date
    end_time: time | None


@dataclass
class PhaseSaved:
    phase: Phase
    overlaps: list[Phase] = field(default_factory=list)  # other phases it overlaps (allowed, warned)


def timeline_phases(consultation: Consultation) -> list[Phase]:
    """The consultation's phases in timeline order: one query."""
    return list(db.session.scalars(select(Phase).where(Phase.consultation_id == consultation.id)
                                   .order_by(Phase.position, Phase.starts_at, Phase.id)))


def local_moment(day: date, at: time | None, tz: str, field_name: str) -> datetime:
    """A local date and time typed in the back office, as UTC: every staff form reads times here.

    A time that does not exist (the spring DST gap) is refused next to `field_name`; in the autumn
    hour that happens twice, the first (summer-time) reading wins (clock.from_local).
    """
    wall = datetime.combine(day, at or time())
    moment = clock.from_local(wall, tz)
    if clock.to_local(moment, tz).replace(tzinfo=None) != wall:
        raise Refusal(field_name, _l("Tej godziny nie ma w tym dniu: zegarki przestawia się wtedy na czas letni. "
                                     "Podaj godzinę sprzed zmiany albo po niej."))
    return moment


def phase_span(data: PhaseInput, tz: str) -> tuple[datetime, datetime]:
    """(starts_at, ends_at) in UTC. No start time: the day's start; no end time: the whole end day,
    stored as the next local midnight (docs/architecture.md, "Time")."""
    starts_at = local_moment(data.start_day, data.start_time, tz,
                             "start_time" if data.start_time else "start_day")
    if data.end_time is None:
        ends_at = clock.end_of_day(data.end_day, tz)
    else:
        ends_at = local_moment(data.end_day, data.end_time, tz, "end_time")
    if ends_at <= starts_at:
        raise Refusal("end_day", _l("Etap musi skończyć się później, niż się zaczyna."))
    return starts_at, ends_at


def local_fields(phase: Phase, tz: str) -> dict:
    """A phase as the form shows it: an end at local midnight is shown as the whole previous day."""
    start, end = clock.to_local(phase.starts_at, tz), clock.to_local(phase.ends_at, tz)
    whole_day_end = clock.is_local_midnight(phase.ends_at, tz)
    return {
        "kind": phase.kind.value, "title": phase.title, "description": phase.description,
        "start_day": start.date(), "start_time": None if start.time() == time() else start.time(),
        "end_day": (end - timedelta(days=1)).date() if whole_day_end else end.date(),
        "end_time": None if whole_day_end else end.time(),
    }


def _phase_values(phase: Phase) -> dict:
    return {"kind": phase.kind.value, "title": phase.title, "description": phase.description,
            "starts_at": phase.starts_at.isoformat(), "ends_at": phase.ends_at.isoformat()}


def _check_phase(data: PhaseInput, others: list[Phase]) -> None:
    if data.kind == PhaseKind.E_CONSULTATION:
        window = next((p for p in others if p.kind == PhaseKind.E_CONSULTATION), None)
        if window is not None:
            raise Refusal("kind", _l("Ta konsultacja ma już etap konsultacji elektronicznych („%(title)s”). "
                                     "Może być tylko jeden: to okno zbierania uwag na forum.", title=window.title))


def _order_by_start(phases: list[Phase]) -> None:
    """Positions follow start times (then ends, then the order of adding)."""
    for position, phase in enumerate(sorted(phases, key=lambda p: (p.starts_at, p.ends_at, p.id))):
        phase.position = position


def _overlapping(phase: Phase, others: list[Phase]) -> list[Phase]:
    return [p for p in others if p.starts_at < phase.ends_at and phase.starts_at < p.ends_at]


def add_phase(actor, consultation: Consultation, data: PhaseInput) -> PhaseSaved:
    """Add a phase to the timeline; overlapping others is allowed and reported back."""
    others = timeline_phases(consultation)
    _check_phase(data, others)
    starts_at, ends_at = phase_span(data, consultation.timezone)
    phase = Phase(consultation_id=consultation.id, kind=data.kind, title=data.title,
                  description=data.description, starts_at=starts_at, ends_at=ends_at, position=len(others))
    db.session.add(phase)
    db.session.flush()
    _order_by_start([*others, phase])
    audit.record(actor, "phase_added", phase, after=_phase_values(phase))
    return PhaseSaved(phase, _overlapping(phase, others))


def update_phase(actor, consultation: Consultation, phase: Phase, data: PhaseInput) -> PhaseSaved:
    """Change a phase; logged with its values before and after."""
    phases = timeline_phases(consultation)
    others = [p for p in phases if p.id != phase.id]
    _check_phase(data, others)
    starts_at, ends_at = phase_span(data, consultation.timezone)
    before = _phase_values(phase)
    phase.kind, phase.title, phase.description = data.kind, data.title, data.description
    phase.starts_at, phase.ends_at = starts_at, ends_at
    _order_by_start(phases)
    after = _phase_values(phase)
    if after != before:
        audit.record(actor, "phase_changed", phase, before=before, after=after)
    return PhaseSaved(phase, _overlapping(phase, others))


def delete_phase(actor, consultation: Consultation, phase: Phase) -> None:
    """Remove a phase from the timeline (logged with what it was)."""
    audit.record(actor, "phase_deleted", phase, before=_phase_values(phase))
    db.session.delete(phase)
    _order_by_start([p for p in timeline_phases(consultation) if p.id != phase.id])


def phase_of(consultation: Consultation, phase_id: int) -> Phase | None:
    """One phase of this consultation (None for another consultation's phase)."""
    return db.session.scalar(select(Phase).where(Phase.id == phase_id, Phase.consultation_id == consultation.id))
