"""Erasing the personal data of people who registered for a closed consultation (RODO, storage limitation).

Once a consultation's last phase has been over for the retention period, the people who signed
up for its working groups and meetings no longer need to be reachable. Their rows stay — status,
group or meeting, dates and the organisation's name, which the report and the per-group counts
use — and everything else they typed is blanked. The e-mails sent to them about this
consultation are deleted from the outbox. Forum comments and accounts are not touched: an
account belongs to its owner, who erases it from the profile page.

The retention period counts whole local days in the consultation's zone, like every window in
the portal (start <= now < end): a period of 30 days after an end of 23 October 00:00 is over
at 22 November 00:00, and from that moment the data may be erased.

The scheduled sweep (`flask retention-sweep`) does the same by itself for every consultation
closed at least RETENTION_MONTHS_AFTER_CLOSE calendar months ago, counted on the wall clock of
the consultation's zone: closed 23 October 2020 00:00, 12 months -> due from 23 October 2021
00:00 (at that instant, not after it). A day the target month lacks falls back to its last day
(31 March + 1 month -> 30 April).
"""
from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, inspect, or_, select, update

from portal import audit, clock
from portal.consultations.models import Consultation, Phase
from portal.errors import Refusal
from portal.extensions import db
from portal.mail import OutboxMessage
from portal.registrations.calendar import DEFAULT_LENGTH
from portal.registrations.models import (
    GroupRegistration,
    Meeting,
    MeetingRegistration,
    WorkingGroup,
)
from portal.registrations.services import token_for


class RetentionRefused(Refusal):
    """The consultation's data may not be erased (yet); `message` says why."""


@dataclass
class PurgePlan:
    """What a purge would erase: rows not erased before, and the outbox messages to them."""

    consultation: Consultation
    closed_at: datetime
    group_registrations: list[GroupRegistration]
    meeting_registrations: list[MeetingRegistration]
    outbox_ids: list[int]
    group_names: dict[int, str] = field(default_factory=dict)
    meeting_titles: dict[int, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.group_registrations) + len(self.meeting_registrations)

    def counts(self) -> PurgeResult:
        """What purging this plan erases (the dry run reports it without purging)."""
        return PurgeResult(len(self.group_registrations), len(self.meeting_registrations), len(self.outbox_ids))

    def per_group(self) -> list[tuple[str, int]]:
        """(group name, rows to erase), in the groups' order; no personal data."""
        counts = Counter(r.group_id for r in self.group_registrations)
        return [(name, counts[group_id]) for group_id, name in self.group_names.items() if counts[group_id]]

    def per_meeting(self) -> list[tuple[str, int]]:
        counts = Counter(r.meeting_id for r in self.meeting_registrations)
        return [(title, counts[meeting_id]) for meeting_id, title in self.meeting_titles.items()
                if counts[meeting_id]]


@dataclass(frozen=True)
class PurgeResult:
    group_registrations: int
    meeting_registrations: int
    outbox: int

    def as_dict(self) -> dict[str, int]:
        return {"group_registrations": self.group_registrations,
                "meeting_registrations": self.meeting_registrations, "outbox": self.outbox}


def erasable_from(closed_at: datetime, days: int, tz: str) -> datetime:
    """The first moment the data may be erased: `days` whole local days after the consultation closed."""
    wall = clock.to_local(closed_at, tz).replace(tzinfo=None)
    return clock.from_local(wall + timedelta(days=days), tz)


def plan_purge(slug: str, older_than_days: int, now: datetime | None = None) -> PurgePlan:
    """Find what to erase, or refuse (unknown slug, consultation not closed long enough)."""
    now = now or clock.now_utc()
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        raise RetentionRefused(f"no consultation with the slug {slug!r}")
    closed_at = _closed_long_enough(consultation, older_than_days, now)
    return _plan(consultation, closed_at)


def _plan(consultation: Consultation, closed_at: datetime) -> PurgePlan:
    """The rows of this consultation not erased yet, and the outbox messages to those people."""
    groups = db.session.execute(select(WorkingGroup.id, WorkingGroup.name)
                                .where(WorkingGroup.consultation_id == consultation.id)
                                .order_by(WorkingGroup.position, WorkingGroup.id)).all()
    meetings = db.session.execute(select(Meeting.id, Meeting.title)
                                  .where(Meeting.consultation_id == consultation.id)
                                  .order_by(Meeting.starts_at, Meeting.id)).all()
    group_rows = db.session.scalars(
        select(GroupRegistration).where(GroupRegistration.consultation_id == consultation.id,
                                        GroupRegistration.personal_data_erased_at.is_(None))
        .order_by(GroupRegistration.id)).all()
    meeting_rows = db.session.scalars(
        select(MeetingRegistration).join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .where(Meeting.consultation_id == consultation.id, MeetingRegistration.personal_data_erased_at.is_(None))
        .order_by(MeetingRegistration.id)).all()
    plan = PurgePlan(consultation=consultation, closed_at=closed_at, group_registrations=list(group_rows),
                     meeting_registrations=list(meeting_rows), outbox_ids=[],
                     group_names=dict(groups), meeting_titles=dict(meetings))
    plan.outbox_ids = _outbox_messages_about(plan)
    return plan


def _closed_long_enough(consultation: Consultation, days: int, now: datetime) -> datetime:
    """When the consultation closed (its last phase's end); refuses when that is not `days` days ago."""
    closed_at = db.session.scalar(select(func.max(Phase.ends_at)).where(Phase.consultation_id == consultation.id))
    if closed_at is None:
        raise RetentionRefused(f"{consultation.slug} has no phases, so it has never closed; nothing is erased")
    allowed_from = erasable_from(closed_at, days, consultation.timezone)
    if now < allowed_from:
        def local(moment: datetime) -> str:
            return clock.to_local(moment, consultation.timezone).strftime("%Y-%m-%d %H:%M %Z")

        state = (f"is still running (its last phase ends {local(closed_at)})" if now < closed_at
                 else f"closed {local(closed_at)}, less than {days} days ago")
        raise RetentionRefused(f"{consultation.slug} {state}; its personal data may be erased from "
                               f"{local(allowed_from)}; nothing is erased")
    return closed_at


def _outbox_messages_about(plan: PurgePlan) -> list[int]:
    """Messages to these people about this consultation, sent before it closed.

    The outbox does not record a consultation, so a message counts as this consultation's when
    it carries the person's private link, or names one of its groups or meetings as the
    registration e-mails do („…”). Messages about anything else (accounts, the forum, other
    consultations) stay.
    """
    registrations = [*plan.group_registrations, *plan.meeting_registrations]
    if not registrations:
        return []
    markers: dict[str, set[str]] = {}
    names = [f"„{name}”" for name in (*plan.group_names.values(), *plan.meeting_titles.values())]
    for registration in registrations:
        markers.setdefault(registration.email, set(names)).add(token_for(registration))
    candidates = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body)
        .where(func.lower(OutboxMessage.recipient).in_(list(markers)),
               OutboxMessage.created_at <= plan.closed_at)).all()
    return [message_id for message_id, recipient, subject, body in candidates
            if any(marker in subject or marker in body for marker in markers[recipient.lower()])]


def erase_personal_data(registration: GroupRegistration | MeetingRegistration, now: datetime) -> None:
    """Blank what a person typed; keep status, group or meeting, dates and the organisation's name."""
    registration.full_name = ""
    # Not deliverable (RFC 2606 .invalid) and unique per row, so the one-active-e-mail indexes hold.
    registration.email = f"usunieto-{registration.id}@invalid"
    registration.phone = ""
    registration.organisation_address = ""
    registration.organisation_contact = ""
    registration.prior_activity = ""
    # Accessibility needs may be health data: they go with the rest (the consent's moment too).
    registration.accessibility_needs = ""
    registration.accessibility_details = ""
    registration.accessibility_consent_at = None
    registration.end_reason = ""  # staff's reason may describe the person
    registration.personal_data_erased_at = now


def purge(plan: PurgePlan, now: datetime | None = None,
          on_row: Callable[[], None] | None = None) -> PurgeResult:
    """Erase what the plan found and delete the outbox messages; one audit row (no commit here)."""
    now = now or clock.now_utc()
    for registration in (*plan.group_registrations, *plan.meeting_registrations):
        erase_personal_data(registration, now)
        if on_row is not None:
            on_row()
    if plan.outbox_ids:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(plan.outbox_ids)),
                           execution_options={"synchronize_session": False})
    result = plan.counts()
    if plan.rows or plan.outbox_ids:  # a run that erased nothing changed nothing to log
        audit.record(None, "purge_personal_data", plan.consultation, after=result.as_dict())
    db.session.flush()
    return result


# --- the scheduled sweep ----------------------------------------------------------------------

@dataclass(frozen=True)
class Retention:
    """One consultation whose registrants' data are still held: when it closed, when they may go.

    `slug` and `timezone` are copied so that the sweep can name the consultation after a commit
    without reading its row again before taking the lock.
    """

    consultation: Consultation
    slug: str
    timezone: str
    closed_at: datetime
    erasable_from: datetime
    group_registrations: int
    meeting_registrations: int

    @property
    def rows(self) -> int:
        return self.group_registrations + self.meeting_registrations

    def is_due(self, now: datetime) -> bool:
        return self.erasable_from <= now


@dataclass(frozen=True)
class SweepOutcome:
    """One due consultation after the sweep: what was (or, dry, would be) erased, or why not."""

    entry: Retention
    result: PurgeResult | None
    error: str = ""


def months_after_close() -> int:
    """The configured retention period; refused when it is not a whole number of months >= 0."""
    months = current_app.config["RETENTION_MONTHS_AFTER_CLOSE"]
    if isinstance(months, bool) or not isinstance(months, int) or months < 0:
        raise RetentionRefused(f"RETENTION_MONTHS_AFTER_CLOSE must be a whole number of months "
                               f"(0 or more), not {months!r}; nothing is erased")
    return months


def erasable_after_months(closed_at: datetime, months: int, tz: str) -> datetime:
    """`months` calendar months after closing, on the zone's wall clock (31 March + 1 -> 30 April)."""
    wall = clock.to_local(closed_at, tz).replace(tzinfo=None)
    index = wall.month - 1 + months
    year, month = wall.year + index // 12, index % 12 + 1
    day = min(wall.day, calendar.monthrange(year, month)[1])
    return clock.from_local(wall.replace(year=year, month=month, day=day), tz)


def retention_schedule(months: int | None = None) -> list[Retention]:
    """Every consultation that has closed or will close (it has phases) and still holds registrants'
    data, soonest erasable first; three queries whatever the number of consultations."""
    months = months_after_close() if months is None else months
    closings = db.session.execute(
        select(Consultation, func.max(Phase.ends_at)).join(Phase, Phase.consultation_id == Consultation.id)
        .group_by(Consultation.id)).all()
    groups = dict(db.session.execute(
        select(GroupRegistration.consultation_id, func.count(GroupRegistration.id))
        .where(GroupRegistration.personal_data_erased_at.is_(None))
        .group_by(GroupRegistration.consultation_id)).all())
    meetings = dict(db.session.execute(
        select(Meeting.consultation_id, func.count(MeetingRegistration.id))
        .join(MeetingRegistration, MeetingRegistration.meeting_id == Meeting.id)
        .where(MeetingRegistration.personal_data_erased_at.is_(None))
        .group_by(Meeting.consultation_id)).all())
    schedule = [
        Retention(consultation, consultation.slug, consultation.timezone, closed_at,
                  erasable_after_months(closed_at, months, consultation.timezone),
                  groups.get(consultation.id, 0), meetings.get(consultation.id, 0))
        for consultation, closed_at in closings
        if groups.get(consultation.id) or meetings.get(consultation.id)]
    return sorted(schedule, key=lambda entry: (entry.erasable_from, entry.slug))


def due_for_purge(now: datetime | None = None, months: int | None = None) -> list[Retention]:
    """Consultations whose registrants' data are due for erasure (period over) and not erased yet."""
    now = now or clock.now_utc()
    return [entry for entry in retention_schedule(months) if entry.is_due(now)]


def sweep(now: datetime | None = None, dry_run: bool = False) -> Iterator[SweepOutcome]:
    """Purge every due consultation, each in a transaction of its own (committed here: the sweep
    owns these units of work), so one that fails leaves the others purged and is retried next
    run. Dry: plan each, report what would go, roll back."""
    now = now or clock.now_utc()
    due = due_for_purge(now)
    db.session.commit()  # end the read: each purge below starts its transaction with the lock
    for entry in due:
        try:
            if dry_run:
                result = _plan(entry.consultation, entry.closed_at).counts()
                db.session.rollback()
            else:
                result = purge(_lock_and_plan(entry), now)
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - one consultation's failure must not stop the others
            db.session.rollback()
            yield SweepOutcome(entry, None, str(error) or type(error).__name__)
        else:
            yield SweepOutcome(entry, result)


def _lock_and_plan(entry: Retention) -> PurgePlan:
    """Lock the consultation, then plan: a sweep running at the same time waits, then finds nothing."""
    # The id from the identity map: reading `.id` of an object expired by the last commit would
    # read the row before taking the lock (SQLite could then not upgrade to a write).
    _lock_consultation(inspect(entry.consultation).identity[0])
    return _plan(entry.consultation, entry.closed_at)


def _lock_consultation(consultation_id: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Consultation.id).where(Consultation.id == consultation_id).with_for_update())
    else:  # SQLite: any write takes the database's one write lock until the commit
        db.session.execute(update(Consultation).where(Consultation.id == consultation_id)
                           .values(view_count=Consultation.view_count))


# --- accessibility needs, after the meeting ----------------------------------------------------

def _ended(starts_at, ends_at, now: datetime):
    """SQL: the session is over (without an end time it lasts calendar.DEFAULT_LENGTH)."""
    return or_(and_(ends_at.is_not(None), ends_at <= now),
               and_(ends_at.is_(None), starts_at <= now - DEFAULT_LENGTH))


def forget_accessibility_needs(now: datetime | None = None) -> int:
    """Blank the accessibility needs (possibly health data) of everyone whose group meeting or
    online meeting is over: they were kept only to prepare it, as the privacy notice promises.
    Two statements whatever the number of people; returns how many registrations lost them."""
    now = now or clock.now_utc()
    cleared = {"accessibility_needs": "", "accessibility_details": "", "accessibility_consent_at": None}
    holds_needs = lambda model: model.accessibility_needs != "" or model.accessibility_details != "" \
        or model.accessibility_consent_at.is_not(None)  # noqa: E731
    groups = select(WorkingGroup.id).where(
        WorkingGroup.meeting_starts_at.is_not(None),
        _ended(WorkingGroup.meeting_starts_at, WorkingGroup.meeting_ends_at, now))
    meetings = select(Meeting.id).where(_ended(Meeting.starts_at, Meeting.ends_at, now))
    count = db.session.execute(
        update(GroupRegistration).where(GroupRegistration.group_id.in_(groups), holds_needs(GroupRegistration))
        .values(**cleared).execution_options(synchronize_session=False)).rowcount
    count += db.session.execute(
        update(MeetingRegistration).where(MeetingRegistration.meeting_id.in_(meetings),
                                          holds_needs(MeetingRegistration))
        .values(**cleared).execution_options(synchronize_session=False)).rowcount
    return count
