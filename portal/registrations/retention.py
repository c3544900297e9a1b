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
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from portal import audit, clock
from portal.consultations.models import Consultation, Phase
from portal.extensions import db
from portal.mail import OutboxMessage
from portal.registrations.models import (
    GroupRegistration,
    Meeting,
    MeetingRegistration,
    WorkingGroup,
)
from portal.registrations.services import token_for


class RetentionRefused(Exception):
    """The consultation's data may not be erased (yet); `message` says why."""

    @property
    def message(self) -> str:
        return str(self.args[0])


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
    registration.personal_data_erased_at = now
    if isinstance(registration, GroupRegistration):
        registration.organisation_address = ""
        registration.organisation_contact = ""
        registration.prior_activity = ""
        registration.end_reason = ""  # staff's reason may describe the person


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
    result = PurgeResult(len(plan.group_registrations), len(plan.meeting_registrations), len(plan.outbox_ids))
    if plan.rows or plan.outbox_ids:  # a run that erased nothing changed nothing to log
        audit.record(None, "purge_personal_data", plan.consultation, after=result.as_dict())
    db.session.flush()
    return result
