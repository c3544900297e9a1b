"""Seats in working groups and places at online meetings: the rules and their transactions.

`Availability` and the SQL expressions next to it are the one definition of held seats and free
places. Every change of seats or of a capacity locks the group (`locking`), releases the holds
nobody confirmed in time, re-counts under the lock and ends by promoting from the waiting list
(`lock_and_count` ... `promote_from_waiting_list`), so a group is never overbooked and a free
seat never waits. Expired holds are also released lazily (whenever a group is read for sign-up)
and by `flask registrations-sweep`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal import audit, clock, mail
from portal.consultations.models import Consultation, Phase, PhaseKind, phase_of
from portal.errors import Refusal
from portal.extensions import db
from portal.registrations import locking, recording
from portal.registrations.seats import Availability, availability, waiting_position
from portal.registrations.models import (ACTIVE, GroupRegistration, Meeting,
                                         MeetingRegistration, Status, WorkingGroup)

HOLD = timedelta(hours=48)


class RegistrationError(Refusal):
    """A rule refused the registration; `message` is shown to the person."""


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
    return phase_of(consultation_id, PhaseKind.GROUP_SIGNUP)


def signup_is_open(phase: Phase | None, now: datetime) -> bool:
    return phase is not None and phase.is_open_at(now)


# --- seats ------------------------------------------------------------------------------------
#
# What "held" and "free" mean is `seats.py`; every change of seats or of a capacity begins here.

def lock_and_count(group: WorkingGroup, now: datetime) -> Availability:
    """Lock the group, release the holds nobody confirmed in time, and count: how every change of
    seats or capacity begins. Finish with `promote_from_waiting_list`."""
    locking.lock_group(group.id)
    return _release_and_count(group, now)


def _release_and_count(group: WorkingGroup, now: datetime) -> Availability:
    _expire_holds(group, now)
    return availability(group.id, now)


def take_seat(consultation: Consultation, group: WorkingGroup, applicant: Applicant,
              now: datetime | None = None) -> GroupRegistration:
    """Register for a group: a held seat (confirm within 48 hours) or a place on the waiting list."""
    now = now or clock.now_utc()
    if not signup_is_open(signup_phase(consultation.id), now):
        raise RegistrationClosed(_l("Zapisy do grup roboczych są zamknięte."))
    seats = promote_from_waiting_list(group, now, lock_and_count(group, now))  # those waiting come first
    status = Status.WAITING if seats.full else Status.PENDING
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
    group = db.session.get(WorkingGroup, registration.group_id)
    promote_from_waiting_list(group, now, lock_and_count(group, now))
    db.session.refresh(registration)
    if registration.status != Status.PENDING:
        raise RegistrationError(_l("Minęło 48 godzin na potwierdzenie i miejsce zostało zwolnione."))
    registration.status = Status.CONFIRMED
    registration.confirmed_at = now
    registration.hold_expires_at = None
    _tell(registration, "registration_confirmed", group=group)


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
    locking.lock_group(group.id)
    db.session.refresh(registration)
    if registration.status not in ACTIVE:  # someone else ended it while we waited for the lock
        raise RegistrationError(_l("To zgłoszenie jest już zakończone."))
    registration.status = status
    registration.ended_at = now
    registration.end_reason = reason
    registration.hold_expires_at = None
    _tell(registration, template, group=group, reason=reason)
    # Released after this one ended, so a hold withdrawn late is withdrawn, not expired.
    promote_from_waiting_list(group, now, _release_and_count(group, now))


def promote_from_waiting_list(group: WorkingGroup, now: datetime,
                              seats: Availability | None = None) -> Availability:
    """Fill free seats from the waiting list, oldest first, after `lock_and_count`; returns the
    seats as they are then. `seats`: the count just made, when nothing changed since."""
    seats = seats if seats is not None else availability(group.id, now)
    if seats.full or not seats.waiting:
        return seats
    promoted = db.session.scalars(
        select(GroupRegistration)
        .where(GroupRegistration.group_id == group.id, GroupRegistration.status == Status.WAITING)
        .order_by(GroupRegistration.id).limit(seats.free)
    ).all()
    for registration in promoted:
        registration.status = Status.PENDING
        registration.hold_expires_at = now + HOLD
        _tell(registration, "registration_promoted", group=group)
    return Availability(seats.capacity, seats.held + len(promoted), seats.waiting - len(promoted))


def _expire_holds(group: WorkingGroup, now: datetime) -> int:
    """Expire the holds not confirmed in time (with the group locked); their seats are free again."""
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
        group = db.session.get(WorkingGroup, group_id)
        locking.lock_group(group_id)
        count += _expire_holds(group, now)
        promote_from_waiting_list(group, now)
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
    locking.lock_groups(source.id, target.id)
    promote_from_waiting_list(source, now, _release_and_count(source, now))
    seats = promote_from_waiting_list(target, now, _release_and_count(target, now))
    db.session.refresh(registration)
    if registration.status not in ACTIVE:
        raise RegistrationError(_l("To zgłoszenie jest już zakończone."))
    if seats.full:
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
        registration = claim_link(MeetingRegistration, registration_id, now)
        if registration is not None:
            _tell(registration, "meeting_link", meeting=meeting)
            sent += 1
    return sent


def claim_link(model, registration_id: int, now: datetime):
    """Mark a registration's join link as sent, atomically: two sweeps running at once never send
    it twice. The registration when this call claimed it, else None."""
    claimed = db.session.execute(
        update(model).where(model.id == registration_id, model.link_sent_at.is_(None))
        .values(link_sent_at=now)
    ).rowcount
    return db.session.get(model, registration_id) if claimed else None


def _tell(registration, template: str, **context) -> None:
    mail.queue(registration.email, template, registration=registration,
               manage_url=manage_url(registration), hold_hours=int(HOLD.total_seconds() // 3600), **context)
