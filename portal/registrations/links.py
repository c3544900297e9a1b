"""The working groups meet online too: their join link is e-mailed to each confirmed member once,
from GROUP_LINK_SENT_HOURS_BEFORE hours before the group's meeting until it ends (run by the
`registrations-sweep` command, like the online meetings' links in services.send_meeting_links).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import and_, or_, select

from portal import clock, mail
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations.calendar import DEFAULT_LENGTH
from portal.registrations.models import GroupRegistration, Status, WorkingGroup
from portal.registrations.services import claim_link, manage_url


def lead_time() -> timedelta:
    return timedelta(hours=current_app.config["GROUP_LINK_SENT_HOURS_BEFORE"])


def send_group_meeting_links(now: datetime | None = None) -> int:
    """E-mail the join link to each confirmed member of a group whose meeting is due, once; how many sent."""
    now = now or clock.now_utc()
    not_over = or_(WorkingGroup.meeting_ends_at > now,
                   and_(WorkingGroup.meeting_ends_at.is_(None), WorkingGroup.meeting_starts_at > now - DEFAULT_LENGTH))
    due = db.session.execute(
        select(GroupRegistration.id, WorkingGroup, Consultation)
        .join(WorkingGroup, WorkingGroup.id == GroupRegistration.group_id)
        .join(Consultation, Consultation.id == WorkingGroup.consultation_id)
        .where(WorkingGroup.join_url != "", WorkingGroup.meeting_starts_at <= now + lead_time(), not_over,
               GroupRegistration.status == Status.CONFIRMED, GroupRegistration.link_sent_at.is_(None),
               GroupRegistration.personal_data_erased_at.is_(None))
        .order_by(GroupRegistration.id)
    ).all()
    sent = 0
    for registration_id, group, consultation in due:
        registration = claim_link(GroupRegistration, registration_id, now)
        if registration is not None:
            mail.queue(registration.email, "group_meeting_link", registration=registration, group=group,
                       consultation=consultation, manage_url=manage_url(registration),
                       ics_url=url_for("meeting_materials.group_ics", slug=consultation.slug, group_id=group.id,
                                       _external=True))
            sent += 1
    return sent
