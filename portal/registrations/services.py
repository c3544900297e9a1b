"""Seats in working groups and places at online meetings: the rules and their transactions.

Taking a seat locks the group (PostgreSQL: SELECT ... FOR UPDATE; SQLite: a write to the group
row, which takes SQLite's single write lock at once) and re-counts held seats under the lock,
so a group is never overbooked. Freeing a seat promotes the oldest waiting entry in the same
transaction. Expired holds are released lazily (whenever a group is read for sign-up or
written) and by `flask registrations-sweep`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal import audit, clock, mail
from portal.consultations.models import Consultation, Phase, PhaseKind
from portal.extensions import db
from portal.registrations import recording
from portal.registrations.models import (ACTIVE, HOLDING, GroupRegistration, Meeting,
                                         MeetingRegistration, Status, WorkingGroup)

HOLD = timedelta(hours=48)


class RegistrationError(Exception):
    """A rule refused the registration; `message` is shown to the person."""

    @property
    def message(self) -> str:
        return str(self.args[0])


class RegistrationClosed(RegistrationError):
    pass


class AlreadyRegistered(RegistrationError):
    pass


@dataclass
class Applicant:
    full_name: str
    email: str
    organisation_name: str
    recording_consent: bool
    phone: str = ""
    organisation_address: str = ""
    organisation_contact: str = ""
    prior_activity: str = ""
    # Codes ("pjm,captions,other"), free text, and the explicit consent that lets us keep them.
    accessibility_needs: str = ""
    accessibility_details: str = ""
    accessibility_consent: bool = False

    def personal_details(self, now: datetime) -> dict:
        """The registration's columns for what the person typed and agreed to, under the
        privacy notice in force now (its version and its basis for recording)."""
        notice = recording.current()
        needs = self.accessibility_needs.strip() or self.accessibility_details.strip()
        if needs and not self.accessibility_consent:
            raise RegistrationError(_l("Informację o potrzebach związanych z dostępnością przechowamy "
                                       "tylko za Twoją zgodą."))
        return dict(
            full_name=self.full_name.strip(), email=self.email.strip().lower(), phone=self.phone.strip(),
            organisation_name=self.organisation_name.strip(),
            organisation_address=self.organisation_address.strip(),
            organisation_contact=self.organisation_contact.strip(), prior_activity=self.prior_activity.strip(),
            recording_basis=notice.basis, recording_consent=notice.asks_consent and bool(self.recording_consent),
            accessibility_needs=self.accessibility_needs.strip() if needs else "",
            accessibility_details=self.accessibility_details.strip() if needs else "",
            accessibility_consent_at=now if needs else None,
            privacy_notice_version=notice.version, privacy_notice_accepted_at=now, created_at=now)


# --- the private link in every e-mail --------------------------------------------------------

def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="wspolnie-registration")


def token_for(registration) -> str:
    kind = "g" if isinstance(registration, GroupRegistration) else "m"
    return _signer().dumps([kind, registration.id])


def find_by_token(token: str):
    """The registration a private link names, or None for a forged or broken link."""
    try:
        kind, registration_id = _signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    model = GroupRegistration if kind == "g" else MeetingRegistration
    registration = db.session.get(model, registration_id)
    if registration is None or registration.personal_data_erased_at is not None:
        return None
    return registration


def manage_url(registration) -> str:
    return url_for("registrations.manage", t=token_for(registration), _external=True)


# --- windows ----------------------------------------------------------------------------------

def signup_phase(consultation_id: int) -> Phase | None:
    return db.session.scalar(select(Phase).where(Phase.consultation_id == consultation_id,
                                                 Phase.kind == PhaseKind.GROUP_SIGNUP))


def signup_is_open(phase: Phase | None, now: datetime) -> bool:
    return phase is not None and phase.is_open(now)


# --- seats ------------------------------------------------------------------------------------

def held_seats_column(now: datetime):
    """Seats held in a group as a correlated subquery: confirmed, and pending holds not yet expired.

    Read pages use it, so they show the right number even before an expired hold is swept.
    """
    return (
        select(func.count(GroupRegistration.id))
        .where(GroupRegistration.group_id == WorkingGroup.id,
               or_(GroupRegistration.status == Status.CONFIRMED,
                   and_(GroupRegistration.status == Status.PENDING, GroupRegistration.hold_expires_at > now)))
        .correlate(WorkingGroup)
        .scalar_subquery()
    )


def groups_with_seats(consultation_id: int, now: datetime) -> list[tuple[WorkingGroup, int]]:
    """The consultation's groups with the seats held in each, in one query."""
    rows = db.session.execute(
        select(WorkingGroup, held_seats_column(now))
        .where(WorkingGroup.consultation_id == consultation_id)
        .order_by(WorkingGroup.position, WorkingGroup.id)
    ).all()
    return [(group, held) for group, held in rows]


def lock_group(group_id: int) -> None:
    """Serialise everyone taking or freeing seats in this group until the transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(WorkingGroup.id).where(WorkingGroup.id == group_id).with_for_update())
    else:
        db.session.execute(update(WorkingGroup).where(WorkingGroup.id == group_id)
                           .values(capacity=WorkingGroup.capacity))


def _count_holding(group_id: int) -> int:
    return db.session.scalar(select(func.count(GroupRegistration.id)).where(
        GroupRegistration.group_id == group_id, GroupRegistration.status.in_(HOLDING)))


def waiting_position(registration: GroupRegistration) -> int:
    """1 for the first in line. Arrival order is id order: ids are given out under the lock."""
    return db.session.scalar(select(func.count(GroupRegistration.id)).where(
        GroupRegistration.group_id == registration.group_id, GroupRegistration.status == Status.WAITING,
        GroupRegistration.id <= registration.id))


def take_seat(consultation: Consultation, group: WorkingGroup, applicant: Applicant,
              now: datetime | None = None) -> GroupRegistration:
    """Register for a group: a held seat (confirm within 48 hours) or a place on the waiting list."""
    now = now or clock.now_utc()
    if not signup_is_open(signup_phase(consultation.id), now):
        raise RegistrationClosed(_l("Zapisy do grup roboczych są zamknięte."))
    lock_group(group.id)
    _release_expired_holds(group, now)
    status = Status.PENDING if _count_holding(group.id) < group.capacity else Status.WAITING
    registration = GroupRegistration(
        consultation_id=consultation.id, group_id=group.id, status=status, **applicant.personal_details(now),
        hold_expires_at=now + HOLD if status == Status.PENDING else None,
    )
    _insert_once(registration, _l("Ten adres e-mail jest już zapisany do grupy roboczej w tych konsultacjach. "
                                  "Jedna osoba może być w jednej grupie — sprawdź wiadomość z linkiem do zgłoszenia."))
    if status == Status.PENDING:
        _tell(registration, "registration_held", group=group, consultation=consultation)
    else:
        _tell(registration, "registration_waiting", group=group, consultation=consultation,
              position=waiting_position(registration))
    return registration


def _insert_once(registration, already_message) -> None:
    """Insert, turning the one-active-registration index into a clear refusal."""
    try:
        with db.session.begin_nested():
            db.session.add(registration)
    except IntegrityError:
        raise AlreadyRegistered(already_message) from None


def confirm(registration: GroupRegistration, now: datetime | None = None) -> None:
    """The person confirms their held seat with the link from the e-mail."""
    now = now or clock.now_utc()
    if registration.status == Status.CONFIRMED:
        return
    if registration.status != Status.PENDING:
        raise RegistrationError(_l("Tego zgłoszenia nie można już potwierdzić."))
    lock_group(registration.group_id)
    _release_expired_holds(db.session.get(WorkingGroup, registration.group_id), now)
    db.session.refresh(registration)
    if registration.status != Status.PENDING:
        raise RegistrationError(_l("Minęło 48 godzin na potwierdzenie i miejsce zostało zwolnione."))
    registration.status = Status.CONFIRMED
    registration.confirmed_at = now
    registration.hold_expires_at = None
    _tell(registration, "registration_confirmed", group=db.session.get(WorkingGroup, registration.group_id))


def withdraw(registration: GroupRegistration, now: datetime | None = None) -> None:
    """The person withdraws; a seat they held goes at once to the first person waiting."""
    if registration.status not in ACTIVE:
        return
    try:
        _end(registration, Status.WITHDRAWN, "", now or clock.now_utc(), "registration_withdrawn")
    except RegistrationError:
        pass  # already ended meanwhile: nothing left to withdraw


def _end(registration: GroupRegistration, status: Status, reason: str, now: datetime, template: str) -> None:
    group = db.session.get(WorkingGroup, registration.group_id)
    lock_group(group.id)
    db.session.refresh(registration)
    if registration.status not in ACTIVE:  # someone else ended it while we waited for the lock
        raise RegistrationError(_l("To zgłoszenie jest już zakończone."))
    held = registration.holds_seat
    registration.status = status
    registration.ended_at = now
    registration.end_reason = reason
    registration.hold_expires_at = None
    _tell(registration, template, group=group, reason=reason)
    if held:
        promote_from_waiting_list(group, now)


def promote_from_waiting_list(group: WorkingGroup, now: datetime) -> list[GroupRegistration]:
    """Fill free seats from the waiting list, oldest first (call with the group locked)."""
    free = group.capacity - _count_holding(group.id)
    if free <= 0:
        return []
    promoted = db.session.scalars(
        select(GroupRegistration)
        .where(GroupRegistration.group_id == group.id, GroupRegistration.status == Status.WAITING)
        .order_by(GroupRegistration.id).limit(free)
    ).all()
    for registration in promoted:
        registration.status = Status.PENDING
        registration.hold_expires_at = now + HOLD
        _tell(registration, "registration_promoted", group=group)
    return list(promoted)


def _release_expired_holds(group: WorkingGroup, now: datetime) -> int:
    """Expire holds not confirmed in time and pass their seats on (call with the group locked)."""
    expired = db.session.scalars(
        select(GroupRegistration).where(GroupRegistration.group_id == group.id,
                                        GroupRegistration.status == Status.PENDING,
                                        GroupRegistration.hold_expires_at <= now)
    ).all()
    for registration in expired:
        registration.status = Status.EXPIRED
        registration.ended_at = now
        registration.hold_expires_at = None
        _tell(registration, "registration_expired", group=group)
    if expired:
        promote_from_waiting_list(group, now)
    return len(expired)


def release_expired_holds(consultation_id: int | None = None, now: datetime | None = None) -> int:
    """Sweep expired holds (one cheap query when there are none); returns how many expired."""
    now = now or clock.now_utc()
    query = select(GroupRegistration.group_id).distinct().where(
        GroupRegistration.status == Status.PENDING, GroupRegistration.hold_expires_at <= now)
    if consultation_id is not None:
        query = query.where(GroupRegistration.consultation_id == consultation_id)
    count = 0
    for group_id in sorted(db.session.scalars(query).all()):
        lock_group(group_id)
        count += _release_expired_holds(db.session.get(WorkingGroup, group_id), now)
    return count


# --- staff actions ----------------------------------------------------------------------------

def confirm_by_staff(actor, registration: GroupRegistration, now: datetime | None = None) -> None:
    if registration.status == Status.CONFIRMED:
        return
    before = registration.status.value
    confirm(registration, now)
    audit.record(actor, "registration_confirmed", registration, "", before={"status": before},
                 after={"status": registration.status.value})


def cancel_by_staff(actor, registration: GroupRegistration, reason: str, now: datetime | None = None) -> None:
    if registration.status not in ACTIVE:
        raise RegistrationError(_l("To zgłoszenie jest już zakończone."))
    before = registration.status.value
    _end(registration, Status.CANCELLED, reason, now or clock.now_utc(), "registration_cancelled")
    audit.record(actor, "registration_cancelled", registration, reason, before={"status": before},
                 after={"status": registration.status.value})


def move_by_staff(actor, registration: GroupRegistration, target: WorkingGroup, reason: str = "",
                  now: datetime | None = None) -> None:
    """Move a registration to another group of the same consultation, if it has a free seat."""
    now = now or clock.now_utc()
    if registration.status not in ACTIVE:
        raise RegistrationError(_l("To zgłoszenie jest już zakończone."))
    if target.consultation_id != registration.consultation_id or target.id == registration.group_id:
        raise RegistrationError(_l("Wybierz inną grupę tych samych konsultacji."))
    source = db.session.get(WorkingGroup, registration.group_id)
    for group_id in sorted((source.id, target.id)):  # a fixed order: two moves never deadlock
        lock_group(group_id)
    for group in (source, target):
        _release_expired_holds(group, now)
    db.session.refresh(registration)
    if registration.status not in ACTIVE:
        raise RegistrationError(_l("To zgłoszenie jest już zakończone."))
    if _count_holding(target.id) >= target.capacity:
        raise RegistrationError(_l("W grupie „%(group)s” nie ma wolnych miejsc.", group=target.name))
    before = {"group": source.name, "status": registration.status.value}
    held = registration.holds_seat
    registration.group_id = target.id
    if registration.status == Status.WAITING:
        registration.status = Status.PENDING
        registration.hold_expires_at = now + HOLD
    audit.record(actor, "registration_moved", registration, reason, before=before,
                 after={"group": target.name, "status": registration.status.value})
    _tell(registration, "registration_moved", group=target, previous=source)
    db.session.flush()
    if held:
        promote_from_waiting_list(source, now)


# --- online meetings --------------------------------------------------------------------------

def register_for_meeting(meeting: Meeting, applicant: Applicant, now: datetime | None = None) -> MeetingRegistration:
    now = now or clock.now_utc()
    if not meeting.is_open(now):
        raise RegistrationClosed(_l("Zapisy na to spotkanie są zamknięte."))
    registration = MeetingRegistration(meeting_id=meeting.id, status=Status.PENDING,
                                       **applicant.personal_details(now))
    _insert_once(registration, _l("Ten adres e-mail jest już zapisany na to spotkanie."))
    _tell(registration, "meeting_registered", meeting=meeting)
    return registration


def confirm_meeting(registration: MeetingRegistration, now: datetime | None = None) -> None:
    if registration.status == Status.PENDING:
        registration.status = Status.CONFIRMED
        registration.confirmed_at = now or clock.now_utc()


def withdraw_meeting(registration: MeetingRegistration, now: datetime | None = None) -> None:
    if registration.status in ACTIVE:
        registration.status = Status.WITHDRAWN
        registration.ended_at = now or clock.now_utc()


def send_meeting_links(now: datetime | None = None) -> int:
    """After a meeting's deadline, e-mail its link to each confirmed person, once each."""
    now = now or clock.now_utc()
    due = db.session.execute(
        select(MeetingRegistration.id, Meeting)
        .join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .where(Meeting.registration_deadline <= now, Meeting.join_url != "",
               MeetingRegistration.status == Status.CONFIRMED, MeetingRegistration.link_sent_at.is_(None))
    ).all()
    sent = 0
    for registration_id, meeting in due:
        # Claimed atomically: two sweeps running at once never send the link twice.
        claimed = db.session.execute(
            update(MeetingRegistration)
            .where(MeetingRegistration.id == registration_id, MeetingRegistration.link_sent_at.is_(None))
            .values(link_sent_at=now)
        ).rowcount
        if claimed:
            _tell(db.session.get(MeetingRegistration, registration_id), "meeting_link", meeting=meeting)
            sent += 1
    return sent


def _tell(registration, template: str, **context) -> None:
    mail.queue(registration.email, template, registration=registration,
               manage_url=manage_url(registration), hold_hours=int(HOLD.total_seconds() // 3600), **context)
