"""Staff: registrations per group and meeting, confirm / cancel / move, attendance, exports.

For moderators and admins only. Every page and file here carries personal data, so no response
is cached (everything under /zespol/ is `no-store`). The rules (seats, waiting list, e-mails, the
audit log) live in services.py; a view validates its form, calls one service, flashes the outcome
and goes back to the page the form came from.

The overview shows every group's seat holders and the start of each long list (boards.py); the
whole of one group's waiting list or ended registrations, or of one meeting's list, is a page of
its own, a page at a time. A form on such a page sends its page number (`strona`) along, and
staff return to that page (`Origin`). Each page runs a fixed number of queries.

A form that fails validation (no reason given, a stale CSRF token) re-shows the page it came from
with the error next to its field and what was typed; a rule's refusal (a full group, an ended
registration) is flashed as an error, and any change the rule made on the way (an expired hold
released) is kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import func, select

from portal import audit, clock, pagination, permissions
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.downloads import file_response
from portal.extensions import db
from portal.forms import Form, validates_own_csrf
from portal.registrations import boards as lists
from portal.registrations import exports, needs, seats, services, staff_actions
from portal.registrations.boards import MeetingBoard, group_boards, meeting_boards
from portal.registrations import manage_forms as forms
from portal.registrations.models import (GroupRegistration, Meeting, MeetingRegistration, Status,
                                         WorkingGroup)

MEETING_STATUS_LABELS = exports.MEETING_STATUS_LABELS  # one wording for the page and the export


def _consultation(slug: str) -> Consultation:
    return consultation_or_404(slug, public=False)


# --- the overview -----------------------------------------------------------------------------

@permissions.require(permissions.is_staff)
def overview(slug: str):
    return _overview_page(_consultation(slug))


# The row a group's row forms are rendered for once a page, then stamped with each real row's
# number and name (templates/registrations/staff/_rows.html): no registration has this number,
# and the fragment holds no other run of these digits or this name.
ROW_STAND_IN = SimpleNamespace(id=987_654_321, name="ROW-STAND-IN")


class _RowForms:
    """The forms of the rows a page shows; the one `submitted` (re-shown with what was typed and
    its errors) in place of its fresh twin."""

    def __init__(self, submitted: Form | None):
        self.submitted = submitted

    def __call__(self, form_class, row_id, **kwargs):
        if type(self.submitted) is form_class and self.submitted.row_id == row_id:
            return self.submitted
        return form_class(formdata=None, row_id=row_id, **kwargs)

    def group_rows(self, registrations, groups) -> dict:
        """Cancel and move for the group registrations shown; `groups`: (group, free seats).

        `row_forms`: the forms of the row whose form was sent (rendered in full, with its
        errors); `row_prototypes`: those of each group's stand-in row, which every other row of
        the group is stamped from.
        """
        sent = self.submitted
        row_forms, prototypes = {}, {}
        for r in registrations:
            if type(sent) in (forms.CancelForm, forms.MoveForm) and sent.row_id == r.id:
                row_forms[r.id] = {"cancel": self(forms.CancelForm, r.id),
                                   "move": self(forms.MoveForm, r.id, groups=groups, current_group_id=r.group_id)}
            if r.group_id not in prototypes:
                prototypes[r.group_id] = {
                    "cancel": forms.CancelForm(formdata=None, row_id=ROW_STAND_IN.id),
                    "move": forms.MoveForm(formdata=None, row_id=ROW_STAND_IN.id, groups=groups,
                                           current_group_id=r.group_id)}
        return {"row_forms": row_forms, "row_prototypes": prototypes, "row_stand_in": ROW_STAND_IN}

    def meeting_cancels(self, registrations) -> dict:
        return {r.id: self(forms.MeetingCancelForm, r.id) for r in registrations
                if r.status in staff_actions.MEETING_ACTIVE}

    def confirm(self):
        submitted = self.submitted
        return submitted if isinstance(submitted, forms.ConfirmForm) else forms.ConfirmForm(formdata=None)


def _move_targets(groups) -> list:
    """(group, free seats) of the groups a registration can be moved to: those with a free seat
    (the move form offers only those; a group of a long waiting list is full)."""
    return [(group, places.free) for group, places in groups if not places.full]


def _render(template: str, consultation: Consultation, submitted: Form | None, **context):
    status = submitted.status() if submitted is not None else 200
    return render_template(
        template, consultation=consultation, submitted=submitted, session_start=staff_actions.session_start,
        needs=needs.summary, recording_basis_labels=exports.RECORDING_BASIS_LABELS,
        status_labels=exports.STATUS_LABELS, meeting_status_labels=MEETING_STATUS_LABELS, **context), status


def _overview_page(consultation: Consultation, submitted: Form | None = None):
    """The overview; `submitted` is a form re-shown with what was typed and its errors."""
    services.release_expired_holds(consultation.id)  # holds expire lazily, when someone looks
    boards = group_boards(consultation)
    choices = _move_targets((board.group, board.seats) for board in boards)
    row_form = _RowForms(submitted)
    group_rows = row_form.group_rows(
        [r for board in boards for r in board.holding + [r for r, _position in board.waiting]], choices)
    meetings = meeting_boards(consultation)
    link_forms = {board.meeting.id: row_form(forms.MeetingLinkForm, board.meeting.id, join_url=board.meeting.join_url)
                  for board in meetings}
    meeting_cancel_forms = row_form.meeting_cancels(r for board in meetings for r in board.registrations)
    # Attendance: a form per group and meeting whose session has started, for those confirmed —
    # on the overview only when all of them are shown; else on the meeting's own list.
    now = clock.now_utc()
    attendance_forms, attendance_on_list = {}, {}
    for kind, form_class, session, board in (
            [("g", forms.GroupAttendanceForm, b.group, b) for b in boards]
            + [("m", forms.MeetingAttendanceForm, b.meeting, b) for b in meetings]):
        if not staff_actions.attendance_open(session, now):
            continue
        if kind == "m" and not board.complete:
            attendance_on_list[kind, session.id] = url_for(
                "registrations_staff.meeting_list", slug=consultation.slug, meeting_id=session.id,
                _anchor=f"obecnosc-spotkanie-{session.id}")
        elif board.confirmed:
            attendance_forms[kind, session.id] = row_form(form_class, session.id, registrations=board.confirmed)
    return _render(
        "registrations/staff/overview.html", consultation, submitted, boards=boards, meetings=meetings,
        **group_rows, link_forms=link_forms, confirm_form=row_form.confirm(), from_page=None,
        meeting_cancel_forms=meeting_cancel_forms, attendance_forms=attendance_forms,
        attendance_on_list=attendance_on_list)


# --- one list in full, a page at a time -------------------------------------------------------

def _group_with_seats(consultation: Consultation, group_id: int):
    """The consultation's group `group_id` with its seats, and the move form's choices: one query."""
    groups = seats.groups_with_seats(consultation.id, clock.now_utc())
    found = next(((group, places) for group, places in groups if group.id == group_id), None)
    if found is None:
        abort(404)
    return found, _move_targets(groups)


@permissions.require(permissions.is_staff)
def waiting_list(slug: str, group_id: int):
    return _waiting_page(_consultation(slug), group_id, pagination.requested_page())


def _waiting_page(consultation: Consultation, group_id: int, number: int, submitted: Form | None = None):
    services.release_expired_holds(consultation.id)
    (group, places), choices = _group_with_seats(consultation, group_id)
    page = lists.waiting_page(group, places.waiting, number)
    row_form = _RowForms(submitted)
    return _render(
        "registrations/staff/list.html", consultation, submitted, kind="waiting", group=group, seats=places,
        page=page, from_page=page.number, **row_form.group_rows(page.rows, choices), confirm_form=row_form.confirm())


@permissions.require(permissions.is_staff)
def ended_list(slug: str, group_id: int):
    consultation = _consultation(slug)
    services.release_expired_holds(consultation.id)
    (group, places), _choices = _group_with_seats(consultation, group_id)
    page = lists.ended_page(group, pagination.requested_page())
    return _render("registrations/staff/list.html", consultation, None, kind="ended", group=group, seats=places,
                   page=page, from_page=page.number)


@permissions.require(permissions.is_staff)
def meeting_list(slug: str, meeting_id: int):
    consultation = _consultation(slug)
    return _meeting_page(consultation, _meeting_of(consultation, meeting_id), pagination.requested_page())


def _meeting_of(consultation: Consultation, meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    if meeting.consultation_id != consultation.id:
        abort(404)
    return meeting


def _meeting_page(consultation: Consultation, meeting: Meeting, number: int, submitted: Form | None = None):
    page, counts = lists.meeting_page(meeting, number)
    board = MeetingBoard(meeting, page.rows, page.total, counts)  # attendance: those of this page
    row_form = _RowForms(submitted)
    started = staff_actions.attendance_open(meeting, clock.now_utc())
    attendance_forms = {}
    if board.confirmed and started:
        attendance_forms["m", meeting.id] = row_form(forms.MeetingAttendanceForm, meeting.id,
                                                      registrations=board.confirmed)
    return _render(
        "registrations/staff/list.html", consultation, submitted, kind="meeting", meeting=meeting, board=board,
        page=page, from_page=page.number, meeting_cancel_forms=row_form.meeting_cancels(page.rows),
        confirm_form=row_form.confirm(), attendance_forms=attendance_forms, attendance_started=started)


# --- where a form came from, and goes back to -------------------------------------------------

@dataclass(frozen=True)
class Origin:
    """The page a staff form was sent from: the overview, or page `number` of a group's waiting
    list or of a meeting's list (the form then carries `strona`). Staff go back there after the
    action, and a form with errors is re-shown there."""

    consultation: Consultation
    anchor: str                    # where on the overview
    number: int | None = None      # None: the overview
    group_id: int | None = None
    meeting: Meeting | None = None

    def back(self, overview_anchor: str | None = None):
        """Redirect there; on the overview, at `overview_anchor` if given (a moved registration's new group)."""
        slug = self.consultation.slug
        if self.number is None:
            url = url_for("registrations_staff.overview", slug=slug, _anchor=overview_anchor or self.anchor)
        elif self.meeting is not None:  # a list page: at its top, where the flash is
            url = url_for("registrations_staff.meeting_list", slug=slug, meeting_id=self.meeting.id,
                          strona=self.number)
        else:
            url = url_for("registrations_staff.waiting_list", slug=slug, group_id=self.group_id, strona=self.number)
        return redirect(url, 303)

    def reshow(self, form: Form):
        if self.number is None:
            return _overview_page(self.consultation, form)
        if self.meeting is not None:
            return _meeting_page(self.consultation, self.meeting, self.number, form)
        return _waiting_page(self.consultation, self.group_id, self.number, form)


def _sent_from_page() -> int | None:
    """The list page the form was sent from (its `strona`), or None: the overview."""
    if pagination.PAGE_ARGUMENT not in request.form:
        return None
    return pagination.requested_page(request.form)


def _group_origin(consultation: Consultation, group_id: int) -> Origin:
    return Origin(consultation, _group_anchor(group_id), _sent_from_page(), group_id=group_id)


def _meeting_origin(consultation: Consultation, meeting: Meeting, anchor: str) -> Origin:
    return Origin(consultation, anchor, _sent_from_page(), meeting=meeting)


def _actor():
    return current_user._get_current_object()


def _group_anchor(group_id: int) -> str:
    return f"grupa-{group_id}"


def _attempt(origin: Origin, action, done, unchanged: str | None = None):
    """Run one rule and go back to the page the form came from, flashing its outcome.

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
    return origin.back()


def _registration(registration_id: int) -> tuple[GroupRegistration, Consultation]:
    registration = db.get_or_404(GroupRegistration, registration_id)
    return registration, db.session.get(Consultation, registration.consultation_id)


# --- staff actions on a group registration ----------------------------------------------------

@permissions.require(permissions.is_staff)
@validates_own_csrf
def confirm(registration_id: int):
    registration, consultation = _registration(registration_id)
    origin = _group_origin(consultation, registration.group_id)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return origin.reshow(form)

    def confirm_once():
        if registration.status == Status.CONFIRMED:  # a double click, a second tab
            return False
        services.confirm_by_staff(_actor(), registration)

    return _attempt(origin, confirm_once,
                    _("Potwierdzono zgłoszenie: %(name)s. Wysłaliśmy tej osobie wiadomość.",
                      name=registration.full_name), _unchanged_confirmation(registration))


@permissions.require(permissions.is_staff)
@validates_own_csrf
def cancel(registration_id: int):
    registration, consultation = _registration(registration_id)
    origin = _group_origin(consultation, registration.group_id)
    form = forms.CancelForm(row_id=registration.id)
    if not form.validate_on_submit():
        return origin.reshow(form)
    return _attempt(origin, lambda: services.cancel_by_staff(_actor(), registration, form.cancel_reason.data),
                    _cancelled(registration))


@permissions.require(permissions.is_staff)
@validates_own_csrf
def move(registration_id: int):
    registration, consultation = _registration(registration_id)
    origin = _group_origin(consultation, registration.group_id)  # the source group, also after the move
    groups = seats.groups_with_seats(consultation.id, clock.now_utc())
    form = forms.MoveForm(row_id=registration.id, groups=[(g, places.free) for g, places in groups],
                          current_group_id=registration.group_id)
    if not form.validate_on_submit():
        return origin.reshow(form)
    target = next(group for group, _held in groups if group.id == form.target_group.data)
    try:
        services.move_by_staff(_actor(), registration, target, form.move_reason.data)
    except services.RegistrationError as error:
        flash(error.message, "error")
        return origin.back()
    flash(_("Przeniesiono zgłoszenie: %(name)s do grupy „%(group)s”. Wysłaliśmy tej osobie wiadomość.",
            name=registration.full_name, group=target.name), "success")
    return origin.back(_group_anchor(target.id))


# --- online meetings: the join link -----------------------------------------------------------

@permissions.require(permissions.is_staff)
@validates_own_csrf
def set_meeting_link(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    consultation = db.session.get(Consultation, meeting.consultation_id)
    form = forms.MeetingLinkForm(row_id=meeting.id)  # on the overview only
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
    return Origin(consultation, f"spotkanie-{meeting.id}").back()


# --- online meetings: confirm, cancel ---------------------------------------------------------

def _meeting_registration(registration_id: int) -> tuple[MeetingRegistration, Origin]:
    """The registration, and where its form came from: the overview or a page of its meeting's list."""
    registration = db.get_or_404(MeetingRegistration, registration_id)
    meeting = db.session.get(Meeting, registration.meeting_id)
    consultation = db.session.get(Consultation, meeting.consultation_id)
    return registration, _meeting_origin(consultation, meeting, f"spotkanie-{meeting.id}")


@permissions.require(permissions.is_staff)
@validates_own_csrf
def confirm_meeting_registration(registration_id: int):
    registration, origin = _meeting_registration(registration_id)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return origin.reshow(form)
    return _attempt(origin, lambda: staff_actions.confirm_meeting_by_staff(_actor(), registration),
                    _("Potwierdzono zapis na spotkanie: %(name)s. Link do spotkania wyślemy po terminie zapisów.",
                      name=registration.full_name), _unchanged_confirmation(registration))


@permissions.require(permissions.is_staff)
@validates_own_csrf
def cancel_meeting_registration(registration_id: int):
    registration, origin = _meeting_registration(registration_id)
    form = forms.MeetingCancelForm(row_id=registration.id)
    if not form.validate_on_submit():
        return origin.reshow(form)
    return _attempt(origin,
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
    consultation = db.session.get(Consultation, group.consultation_id)
    return _mark_attendance(group, forms.GroupAttendanceForm, Origin(consultation, f"obecnosc-grupa-{group.id}"))


@permissions.require(permissions.is_staff)
@validates_own_csrf
def mark_meeting_attendance(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    consultation = db.session.get(Consultation, meeting.consultation_id)
    return _mark_attendance(meeting, forms.MeetingAttendanceForm,
                            _meeting_origin(consultation, meeting, f"obecnosc-spotkanie-{meeting.id}"))


def _mark_attendance(session: WorkingGroup | Meeting, form_class, origin: Origin):
    """Pairs left empty change nothing, so a form showing one page of a meeting's list marks
    only the people on that page."""
    form = form_class(row_id=session.id, registrations=staff_actions.confirmed_registrations(session))
    if not form.validate_on_submit():
        return origin.reshow(form)

    def mark():
        changed, counts = staff_actions.mark_attendance(_actor(), session, form.marks())
        return counts if changed else False

    return _attempt(origin, mark, lambda counts: _(
        "Zapisano obecność. Obecność: %(present)s, nieobecność: %(absent)s, bez zaznaczenia: %(not_marked)s.",
        present=counts.present, absent=counts.absent, not_marked=counts.not_marked),
        _("Bez zmian: obecność była już tak zaznaczona."))


# --- exports ----------------------------------------------------------------------------------

def _export_rows(consultation: Consultation) -> list[exports.ExportRow]:
    services.release_expired_holds(consultation.id)
    rows = []
    for board in group_boards(consultation, preview=False):
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
                for board in meeting_boards(consultation, preview=False) for registration in board.registrations]
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
