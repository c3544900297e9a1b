"""Staff: registrations per group and meeting, confirm / cancel / move, attendance, exports.

For moderators and admins only. Every page and file here carries personal data, so no response
is cached. The rules (seats, waiting list, e-mails, the audit log) live in services.py; a view
validates its form, calls one service, flashes the outcome and goes back to the overview.

A form that fails validation (no reason given, a stale CSRF token) re-shows the overview with
the error next to its field and what was typed; a rule's refusal (a full group, an ended
registration) is flashed as an error, and any change the rule made on the way (an expired hold
released) is kept.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import func, select

from portal import audit, clock, permissions
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.downloads import file_response
from portal.extensions import db
from portal.forms import Form, validates_own_csrf
from portal.registrations import exports, needs, seats, services, staff_actions
from portal.registrations.boards import group_boards, meeting_boards
from portal.registrations import manage_forms as forms
from portal.registrations.models import (GroupRegistration, Meeting, MeetingRegistration, Status,
                                         WorkingGroup)


ENDED = (Status.WITHDRAWN, Status.EXPIRED, Status.CANCELLED)

MEETING_STATUS_LABELS = exports.MEETING_STATUS_LABELS  # one wording for the page and the export


def _consultation(slug: str) -> Consultation:
    return consultation_or_404(slug, public=False)


# --- the overview -----------------------------------------------------------------------------

@permissions.require(permissions.is_staff)
def overview(slug: str):
    return _overview_page(_consultation(slug))


def _overview_page(consultation: Consultation, submitted: Form | None = None):
    """The overview; `submitted` is a form re-shown with what was typed and its errors."""
    services.release_expired_holds(consultation.id)  # holds expire lazily, when someone looks
    boards = group_boards(consultation)
    choices = [(board.group, board.seats.free) for board in boards]

    def row_form(form_class, row_id, **kwargs):
        if type(submitted) is form_class and submitted.row_id == row_id:
            return submitted
        return form_class(formdata=None, row_id=row_id, **kwargs)

    row_forms = {}
    for board in boards:
        for registration in board.holding + [r for r, _position in board.waiting]:
            row_forms[registration.id] = {
                "cancel": row_form(forms.CancelForm, registration.id),
                "move": row_form(forms.MoveForm, registration.id, groups=choices,
                                 current_group_id=registration.group_id),
            }
    meetings = meeting_boards(consultation)
    link_forms = {board.meeting.id: row_form(forms.MeetingLinkForm, board.meeting.id, join_url=board.meeting.join_url)
                  for board in meetings}
    meeting_cancel_forms = {r.id: row_form(forms.MeetingCancelForm, r.id) for board in meetings
                            for r in board.registrations if r.status in staff_actions.MEETING_ACTIVE}
    # Attendance: a form per group and meeting whose session has started, for those confirmed.
    now = clock.now_utc()
    attendance_forms = {}
    for kind, form_class, session, confirmed in (
            [("g", forms.GroupAttendanceForm, b.group, b.confirmed) for b in boards]
            + [("m", forms.MeetingAttendanceForm, b.meeting, b.confirmed) for b in meetings]):
        if confirmed and staff_actions.attendance_open(session, now):
            attendance_forms[kind, session.id] = row_form(form_class, session.id, registrations=confirmed)
    confirm_form = submitted if isinstance(submitted, forms.ConfirmForm) else forms.ConfirmForm(formdata=None)
    status = submitted.status() if submitted is not None else 200
    return render_template(
        "registrations/staff/overview.html", consultation=consultation, boards=boards, meetings=meetings,
        row_forms=row_forms, link_forms=link_forms, confirm_form=confirm_form, submitted=submitted,
        meeting_cancel_forms=meeting_cancel_forms, attendance_forms=attendance_forms,
        session_start=staff_actions.session_start, needs=needs.summary,
        recording_basis_labels=exports.RECORDING_BASIS_LABELS,
        status_labels=exports.STATUS_LABELS, meeting_status_labels=MEETING_STATUS_LABELS), status


def _actor():
    return current_user._get_current_object()


def _back_to(consultation: Consultation, anchor: str):
    return redirect(url_for("registrations_staff.overview", slug=consultation.slug, _anchor=anchor), 303)


def _group_anchor(group_id: int) -> str:
    return f"grupa-{group_id}"


def _attempt(consultation: Consultation, anchor: str, action, done, unchanged: str | None = None):
    """Run one rule and go back to the overview at `anchor`, flashing its outcome.

    A refusal (`RegistrationError`) is flashed as an error. Otherwise `done` (a text, or a
    function of the rule's result giving one) is the success; a rule that returns False changed
    nothing, and says so with `unchanged`.
    """
    try:
        result = action()
    except services.RegistrationError as error:
        flash(error.message, "error")
    else:
        if result is False and unchanged:
            flash(unchanged, "info")
        else:
            flash(done(result) if callable(done) else done, "success")
    return _back_to(consultation, anchor)


def _registration(registration_id: int) -> tuple[GroupRegistration, Consultation]:
    registration = db.get_or_404(GroupRegistration, registration_id)
    return registration, db.session.get(Consultation, registration.consultation_id)


# --- staff actions on a group registration ----------------------------------------------------

@permissions.require(permissions.is_staff)
@validates_own_csrf
def confirm(registration_id: int):
    registration, consultation = _registration(registration_id)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return _overview_page(consultation, form)

    def confirm_once():
        if registration.status == Status.CONFIRMED:  # a double click, a second tab
            return False
        services.confirm_by_staff(_actor(), registration)

    return _attempt(consultation, _group_anchor(registration.group_id), confirm_once,
                    _("Potwierdzono zgłoszenie: %(name)s. Wysłaliśmy tej osobie wiadomość.",
                      name=registration.full_name), _unchanged_confirmation(registration))


@permissions.require(permissions.is_staff)
@validates_own_csrf
def cancel(registration_id: int):
    registration, consultation = _registration(registration_id)
    form = forms.CancelForm(row_id=registration.id)
    if not form.validate_on_submit():
        return _overview_page(consultation, form)
    return _attempt(consultation, _group_anchor(registration.group_id),
                    lambda: services.cancel_by_staff(_actor(), registration, form.cancel_reason.data),
                    _cancelled(registration))


@permissions.require(permissions.is_staff)
@validates_own_csrf
def move(registration_id: int):
    registration, consultation = _registration(registration_id)
    groups = seats.groups_with_seats(consultation.id, clock.now_utc())
    form = forms.MoveForm(row_id=registration.id, groups=[(g, places.free) for g, places in groups],
                          current_group_id=registration.group_id)
    if not form.validate_on_submit():
        return _overview_page(consultation, form)
    source_id = registration.group_id
    target = next(group for group, _held in groups if group.id == form.target_group.data)
    try:
        services.move_by_staff(_actor(), registration, target, form.move_reason.data)
    except services.RegistrationError as error:
        flash(error.message, "error")
        return _back_to(consultation, _group_anchor(source_id))
    flash(_("Przeniesiono zgłoszenie: %(name)s do grupy „%(group)s”. Wysłaliśmy tej osobie wiadomość.",
            name=registration.full_name, group=target.name), "success")
    return _back_to(consultation, _group_anchor(target.id))


# --- online meetings: the join link -----------------------------------------------------------

@permissions.require(permissions.is_staff)
@validates_own_csrf
def set_meeting_link(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    consultation = db.session.get(Consultation, meeting.consultation_id)
    form = forms.MeetingLinkForm(row_id=meeting.id)
    if not form.validate_on_submit():
        return _overview_page(consultation, form)
    new_url = form.join_url.data
    if new_url == meeting.join_url:
        flash(_("Bez zmian: spotkanie ma już ten link."), "info")
    else:
        before = meeting.join_url
        meeting.join_url = new_url
        audit.record(_actor(), "meeting_link_set", meeting, "", before={"join_url": before},
                     after={"join_url": new_url})
        flash(_("Zapisano link do spotkania. Osoby z potwierdzonym zgłoszeniem dostaną go e-mailem "
                "po terminie zapisów."), "success")
        already_sent = db.session.scalar(select(func.count(MeetingRegistration.id)).where(
            MeetingRegistration.meeting_id == meeting.id, MeetingRegistration.link_sent_at.is_not(None)))
        if already_sent:
            flash(ngettext("%(num)s osoba dostała już poprzedni link i nowego nie dostanie automatycznie — "
                           "napisz do niej.",
                           "%(num)s osób dostało już poprzedni link i nowego nie dostanie automatycznie — "
                           "napisz do nich.", already_sent), "error")
    return _back_to(consultation, f"spotkanie-{meeting.id}")


# --- online meetings: confirm, cancel ---------------------------------------------------------

def _meeting_registration(registration_id: int) -> tuple[MeetingRegistration, Consultation]:
    registration = db.get_or_404(MeetingRegistration, registration_id)
    meeting = db.session.get(Meeting, registration.meeting_id)
    return registration, db.session.get(Consultation, meeting.consultation_id)


@permissions.require(permissions.is_staff)
@validates_own_csrf
def confirm_meeting_registration(registration_id: int):
    registration, consultation = _meeting_registration(registration_id)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return _overview_page(consultation, form)
    return _attempt(consultation, f"spotkanie-{registration.meeting_id}",
                    lambda: staff_actions.confirm_meeting_by_staff(_actor(), registration),
                    _("Potwierdzono zapis na spotkanie: %(name)s. Link do spotkania wyślemy po terminie zapisów.",
                      name=registration.full_name), _unchanged_confirmation(registration))


@permissions.require(permissions.is_staff)
@validates_own_csrf
def cancel_meeting_registration(registration_id: int):
    registration, consultation = _meeting_registration(registration_id)
    form = forms.MeetingCancelForm(row_id=registration.id)
    if not form.validate_on_submit():
        return _overview_page(consultation, form)
    return _attempt(consultation, f"spotkanie-{registration.meeting_id}",
                    lambda: staff_actions.cancel_meeting_by_staff(_actor(), registration, form.cancel_reason.data),
                    _cancelled(registration))


def _unchanged_confirmation(registration) -> str:
    return _("Bez zmian: zgłoszenie %(name)s było już potwierdzone.", name=registration.full_name)


def _cancelled(registration) -> str:
    return _("Anulowano zgłoszenie: %(name)s. Wysłaliśmy tej osobie wiadomość z powodem.",
             name=registration.full_name)


# --- attendance at a group's or a meeting's session ------------------------------------------

@permissions.require(permissions.is_staff)
@validates_own_csrf
def mark_group_attendance(group_id: int):
    group = db.get_or_404(WorkingGroup, group_id)
    return _mark_attendance(group, forms.GroupAttendanceForm, f"obecnosc-grupa-{group.id}")


@permissions.require(permissions.is_staff)
@validates_own_csrf
def mark_meeting_attendance(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    return _mark_attendance(meeting, forms.MeetingAttendanceForm, f"obecnosc-spotkanie-{meeting.id}")


def _mark_attendance(session: WorkingGroup | Meeting, form_class, anchor: str):
    consultation = db.session.get(Consultation, session.consultation_id)
    form = form_class(row_id=session.id, registrations=staff_actions.confirmed_registrations(session))
    if not form.validate_on_submit():
        return _overview_page(consultation, form)

    def mark():
        changed, counts = staff_actions.mark_attendance(_actor(), session, form.marks())
        return counts if changed else False

    return _attempt(consultation, anchor, mark, lambda counts: _(
        "Zapisano obecność. Obecność: %(present)s, nieobecność: %(absent)s, bez zaznaczenia: %(not_marked)s.",
        present=counts.present, absent=counts.absent, not_marked=counts.not_marked),
        _("Bez zmian: obecność była już tak zaznaczona."))


# --- exports ----------------------------------------------------------------------------------

def _export_rows(consultation: Consultation) -> list[exports.ExportRow]:
    services.release_expired_holds(consultation.id)
    rows = []
    for board in group_boards(consultation):
        rows += [exports.ExportRow(board.group, r, None) for r in board.holding]
        rows += [exports.ExportRow(board.group, r, position) for r, position in board.waiting]
        rows += [exports.ExportRow(board.group, r, None) for r in board.ended]
    return rows


def _download(consultation: Consultation, content: bytes, extension: str, mimetype: str, rows: int,
              what: str | None = None):
    """The file as an attachment; `what` ("meetings") names a list other than the groups'."""
    # Who took personal data out of the system, and when (GDPR accountability). The filter as the
    # audit log's own (Polish keys), so the log page reads "filtry: zapisy=spotkania".
    after = {"format": extension, "rows": rows}
    if what == "meetings":
        after["filter"] = {"zapisy": "spotkania"}
    audit.record(_actor(), "registrations_exported", consultation, "", after=after)
    name = f"zapisy-spotkania-{consultation.slug}" if what == "meetings" else f"zapisy-{consultation.slug}"
    return file_response(content, f"{name}.{extension}", mimetype=mimetype)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(slug: str, extension: str, meetings: bool = False):
    """The groups' (or the meetings') registrations as a CSV or XLSX file, in the staff page's order."""
    consultation = _consultation(slug)
    tz = consultation.timezone
    if meetings:
        rows = [exports.MeetingExportRow(board.meeting, registration)
                for board in meeting_boards(consultation) for registration in board.registrations]
        columns, sheet = exports.meeting_columns(tz), _("Zapisy na spotkania")
    else:
        rows, columns, sheet = _export_rows(consultation), None, _("Zapisy do grup")
    if extension == "csv":
        content, mimetype = exports.to_csv(rows, tz, columns), "text/csv; charset=utf-8"
    else:
        content, mimetype = exports.to_xlsx(rows, tz, sheet, columns), XLSX
    return _download(consultation, content, extension, mimetype, len(rows), "meetings" if meetings else None)


@permissions.require(permissions.is_staff)
def export_csv(slug: str):
    return _export(slug, "csv")


@permissions.require(permissions.is_staff)
def export_xlsx(slug: str):
    return _export(slug, "xlsx")


@permissions.require(permissions.is_staff)
def export_meetings_csv(slug: str):
    return _export(slug, "csv", meetings=True)


@permissions.require(permissions.is_staff)
def export_meetings_xlsx(slug: str):
    return _export(slug, "xlsx", meetings=True)
