"""Admins run a consultation's working groups and online meetings: add, edit, delete.

The seat rules stay in `portal.registrations.services`: a change of capacity goes the way every
change of seats goes (lock the group, release expired holds, count, promote): it is refused below
the seats held, and seats it adds or frees pass to the waiting list at once. A group
or meeting anyone has registered for is not deleted (its registrations would vanish with it).
The join link of a meeting is set on the registrations page; a group's link, like its times, in
the group's form (portal/registrations/links.py e-mails it). Every change leaves an audit row.
"""
from __future__ import annotations

from dataclasses import asdict

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from portal import audit, clock, permissions
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.errors import Refusal
from portal.extensions import db
from portal.forms import validates_own_csrf
from portal.registrations import seats, services
from portal.registrations.models import (
    GroupRegistration,
    Meeting,
    MeetingRegistration,
    WorkingGroup,
)
from portal.staff.group_forms import (
    REQUIRABLE_LABELS,
    GroupDetails,
    GroupForm,
    MeetingDetails,
    MeetingForm,
)


class RefusedChange(Refusal):
    """A rule refused the change of a group or a meeting; `message` says why."""


# --- working groups: the rules ----------------------------------------------------------------

def _registrations_count(column):
    return (select(func.count(GroupRegistration.id)).where(GroupRegistration.group_id == column)
            .correlate(WorkingGroup).scalar_subquery())


def groups_overview(consultation_id: int, now) -> list[tuple[WorkingGroup, seats.Availability, int]]:
    """Each group with its seats and all its registrations (any state), in one query."""
    rows = db.session.execute(
        select(WorkingGroup, seats.held_seats_column(now), seats.waiting_column(),
               _registrations_count(WorkingGroup.id))
        .where(WorkingGroup.consultation_id == consultation_id)
        .order_by(WorkingGroup.position, WorkingGroup.id)).all()
    return [(group, seats.Availability(group.capacity, held, waiting), registered)
            for group, held, waiting, registered in rows]


def _group_snapshot(group: WorkingGroup) -> dict:
    return {"name": group.name, "description": group.description, "capacity": group.capacity,
            "meeting_starts_at": group.meeting_starts_at, "meeting_ends_at": group.meeting_ends_at,
            "moderator_office": group.moderator_office, "moderator_ngo": group.moderator_ngo,
            "join_url": group.join_url}


def add_group(actor, consultation: Consultation, details: GroupDetails) -> WorkingGroup:
    """A new group, listed last."""
    last = db.session.scalar(select(func.max(WorkingGroup.position))
                             .where(WorkingGroup.consultation_id == consultation.id))
    group = WorkingGroup(consultation_id=consultation.id, position=(last + 1) if last is not None else 0,
                         **asdict(details))
    db.session.add(group)
    db.session.flush()
    audit.record(actor, "group_added", group, after=_group_snapshot(group))
    return group


def update_group(actor, group: WorkingGroup, details: GroupDetails, now=None) -> bool:
    """Change a group; refused (RefusedChange) when fewer seats than people holding one are left.

    Returns False when nothing changed.
    """
    now = now or clock.now_utc()
    before = _group_snapshot(group)
    capacity_changes = details.capacity != group.capacity
    if capacity_changes:
        # As every change of seats: lock, release expired holds, count ... promote.
        held = services.lock_and_count(group, now).held
        if details.capacity < held:
            raise RefusedChange(ngettext(
                "Miejsca w grupie zajmuje już %(num)s osoba, więc grupa musi mieć co najmniej %(num)s miejsce.",
                "Miejsca w grupie zajmuje już %(num)s osób, więc grupa musi mieć co najmniej %(num)s miejsc.",
                held))
    for name, value in asdict(details).items():
        setattr(group, name, value)
    if capacity_changes:
        services.promote_from_waiting_list(group, now)  # seats freed or added go to the first people waiting
    after = _group_snapshot(group)
    if after == before:
        return False
    audit.record(actor, "group_changed", group, before=before, after=after)
    return True


def links_already_sent(group: WorkingGroup) -> int:
    """How many members got the group's meeting link already (a new link is not sent to them)."""
    return db.session.scalar(select(func.count(GroupRegistration.id)).where(
        GroupRegistration.group_id == group.id, GroupRegistration.link_sent_at.is_not(None)))


def delete_group(actor, group: WorkingGroup) -> None:
    registered = db.session.scalar(select(func.count(GroupRegistration.id))
                                   .where(GroupRegistration.group_id == group.id))
    if registered:
        raise RefusedChange(ngettext(
            "Do grupy „%(name)s” jest %(num)s zgłoszenie, więc nie można jej usunąć.",
            "Do grupy „%(name)s” jest %(num)s zgłoszeń, więc nie można jej usunąć.",
            registered, name=group.name))
    audit.record(actor, "group_deleted", group, before=_group_snapshot(group))
    db.session.delete(group)


# --- meetings: the rules ----------------------------------------------------------------------

def meetings_overview(consultation_id: int) -> list[tuple[Meeting, int]]:
    """Each meeting with the number of its registrations (any state), in one query."""
    registered = (select(func.count(MeetingRegistration.id)).where(MeetingRegistration.meeting_id == Meeting.id)
                  .correlate(Meeting).scalar_subquery())
    rows = db.session.execute(select(Meeting, registered).where(Meeting.consultation_id == consultation_id)
                              .order_by(Meeting.starts_at, Meeting.id)).all()
    return [(meeting, count) for meeting, count in rows]


def _meeting_snapshot(meeting: Meeting) -> dict:
    return {"title": meeting.title, "topic": meeting.topic, "moderators": meeting.moderators,
            "starts_at": meeting.starts_at, "ends_at": meeting.ends_at,
            "registration_deadline": meeting.registration_deadline, "required_fields": meeting.required_fields}


def add_meeting(actor, consultation: Consultation, details: MeetingDetails) -> Meeting:
    meeting = Meeting(consultation_id=consultation.id, **asdict(details))
    db.session.add(meeting)
    db.session.flush()
    audit.record(actor, "meeting_added", meeting, after=_meeting_snapshot(meeting))
    return meeting


def update_meeting(actor, meeting: Meeting, details: MeetingDetails) -> bool:
    before = _meeting_snapshot(meeting)
    for name, value in asdict(details).items():
        setattr(meeting, name, value)
    after = _meeting_snapshot(meeting)
    if after == before:
        return False
    audit.record(actor, "meeting_changed", meeting, before=before, after=after)
    return True


def delete_meeting(actor, meeting: Meeting) -> None:
    registered = db.session.scalar(select(func.count(MeetingRegistration.id))
                                   .where(MeetingRegistration.meeting_id == meeting.id))
    if registered:
        raise RefusedChange(ngettext(
            "Na spotkanie „%(title)s” jest %(num)s zgłoszenie, więc nie można go usunąć.",
            "Na spotkanie „%(title)s” jest %(num)s zgłoszeń, więc nie można go usunąć.",
            registered, title=meeting.title))
    audit.record(actor, "meeting_deleted", meeting, before=_meeting_snapshot(meeting))
    db.session.delete(meeting)


# --- the pages --------------------------------------------------------------------------------

def _actor():
    return current_user._get_current_object()


def _consultation(slug: str) -> Consultation:
    return consultation_or_404(slug, public=False)


def _owned(model, consultation: Consultation, row_id: int):
    row = db.session.scalar(select(model).where(model.id == row_id, model.consultation_id == consultation.id))
    if row is None:
        abort(404)
    return row


@permissions.require(permissions.is_admin)
@validates_own_csrf
def groups(slug: str):
    """The groups, and the form adding one (POST)."""
    consultation = _consultation(slug)
    form = GroupForm(tz=consultation.timezone)
    if form.validate_on_submit():
        group = add_group(_actor(), consultation, form.details())
        flash(_("Dodano grupę „%(name)s”.", name=group.name), "success")
        return redirect(url_for("staff_groups.groups", slug=slug, _anchor=f"grupa-{group.id}"), 303)
    return render_template("staff/groups.html", consultation=consultation, form=form,
                           groups=groups_overview(consultation.id, clock.now_utc())), form.status()


@permissions.require(permissions.is_admin)
@validates_own_csrf
def edit_group(slug: str, group_id: int):
    consultation = _consultation(slug)
    group = _owned(WorkingGroup, consultation, group_id)
    form = GroupForm.for_group(group, consultation.timezone)
    if form.is_submitted():
        form = GroupForm(tz=consultation.timezone)
    if form.validate_on_submit():
        link_before = group.join_url
        try:
            changed = update_group(_actor(), group, form.details())
        except RefusedChange as error:
            form.capacity.errors.append(error.message)
        else:
            flash(_("Zapisano zmiany w grupie „%(name)s”.", name=group.name) if changed
                  else _("Bez zmian: grupa „%(name)s” ma już te dane.", name=group.name), "success")
            already_sent = links_already_sent(group) if group.join_url != link_before else 0
            if already_sent:
                flash(ngettext("%(num)s osoba dostała już poprzedni link i nowego nie dostanie automatycznie — "
                               "napisz do niej.",
                               "%(num)s osób dostało już poprzedni link i nowego nie dostanie automatycznie — "
                               "napisz do nich.", already_sent), "error")
            return redirect(url_for("staff_groups.groups", slug=slug, _anchor=f"grupa-{group.id}"), 303)
    return render_template("staff/groups.html", consultation=consultation, editing=group, form=form), form.status()


@permissions.require(permissions.is_admin)
def delete_group_action(slug: str, group_id: int):
    consultation = _consultation(slug)
    group = _owned(WorkingGroup, consultation, group_id)
    try:
        delete_group(_actor(), group)
    except RefusedChange as error:
        flash(error.message, "error")
        return redirect(url_for("staff_groups.groups", slug=slug, _anchor=f"grupa-{group.id}"), 303)
    flash(_("Usunięto grupę „%(name)s”.", name=group.name), "success")
    return redirect(url_for("staff_groups.groups", slug=slug), 303)


@permissions.require(permissions.is_admin)
@validates_own_csrf
def meetings(slug: str):
    """The online meetings, and the form adding one (POST)."""
    consultation = _consultation(slug)
    form = MeetingForm(tz=consultation.timezone)
    if form.validate_on_submit():
        meeting = add_meeting(_actor(), consultation, form.details())
        flash(_("Dodano spotkanie „%(title)s”.", title=meeting.title), "success")
        return redirect(url_for("staff_groups.meetings", slug=slug, _anchor=f"spotkanie-{meeting.id}"), 303)
    return render_template("staff/meetings.html", consultation=consultation, form=form,
                           meetings=meetings_overview(consultation.id),
                           required_labels=list(REQUIRABLE_LABELS.items())), form.status()


@permissions.require(permissions.is_admin)
@validates_own_csrf
def edit_meeting(slug: str, meeting_id: int):
    consultation = _consultation(slug)
    meeting = _owned(Meeting, consultation, meeting_id)
    form = MeetingForm.for_meeting(meeting, consultation.timezone)
    if form.is_submitted():
        form = MeetingForm(tz=consultation.timezone)
    if form.validate_on_submit():
        changed = update_meeting(_actor(), meeting, form.details())
        flash(_("Zapisano zmiany w spotkaniu „%(title)s”.", title=meeting.title) if changed
              else _("Bez zmian: spotkanie „%(title)s” ma już te dane.", title=meeting.title), "success")
        return redirect(url_for("staff_groups.meetings", slug=slug, _anchor=f"spotkanie-{meeting.id}"), 303)
    return render_template("staff/meetings.html", consultation=consultation, editing=meeting,
                           form=form), form.status()


@permissions.require(permissions.is_admin)
def delete_meeting_action(slug: str, meeting_id: int):
    consultation = _consultation(slug)
    meeting = _owned(Meeting, consultation, meeting_id)
    try:
        delete_meeting(_actor(), meeting)
    except RefusedChange as error:
        flash(error.message, "error")
        return redirect(url_for("staff_groups.meetings", slug=slug, _anchor=f"spotkanie-{meeting.id}"), 303)
    flash(_("Usunięto spotkanie „%(title)s”.", title=meeting.title), "success")
    return redirect(url_for("staff_groups.meetings", slug=slug), 303)
