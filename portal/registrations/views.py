"""Public sign-up for working groups and online meetings, and the private link's page."""
from flask import (abort, current_app, flash, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.downloads import file_response
from portal.extensions import db, limiter
from portal.forms import validates_own_csrf
from portal.registrations import calendar, forms, recording, seats, services
from portal.registrations.models import GroupRegistration, Meeting, Status, WorkingGroup

def _consultation(slug: str) -> Consultation:
    return consultation_or_404(slug)


APPLICANT_FIELDS = ("full_name", "email", "phone", "organisation_name", "recording_consent",
                    "organisation_address", "organisation_contact", "prior_activity",
                    "accessibility_details", "accessibility_consent")


def _applicant(form) -> services.Applicant:
    return services.Applicant(**{name: form[name].data or "" for name in APPLICANT_FIELDS},
                              accessibility_needs=form.accessibility_codes())


def _prefill() -> dict:
    """Account details for a form opened afresh; a sent form keeps only what was sent."""
    return forms.prefill_from(current_user) if request.method == "GET" else {}


def _registration_limit():
    return current_app.config["REGISTRATION_LIMIT_PER_IP"]


@limiter.limit(_registration_limit, methods=["POST"])
@validates_own_csrf
def group_signup(slug: str):
    consultation = _consultation(slug)
    now = clock.now_utc()
    services.release_expired_holds(consultation.id, now)
    phase = services.signup_phase(consultation.id)
    groups = seats.groups_with_seats(consultation.id, now)
    prefill = _prefill()
    form = forms.GroupSignupForm(data=prefill)
    form.group.choices = [(group.id, group.name) for group, _held in groups]
    if form.is_submitted() and form.is_spam():
        return render_template("registrations/received.html", consultation=consultation)
    if form.validate_on_submit():
        try:
            group = next(group for group, _held in groups if group.id == form.group.data)
            registration = services.take_seat(consultation, group, _applicant(form), now)
        except services.RegistrationError as error:
            return _group_form(consultation, phase, groups, form, error=error.message)
        return render_template("registrations/group_result.html", consultation=consultation,
                               registration=registration, group=group,
                               participation=recording.participation(registration),
                               position=seats.waiting_position(registration)
                               if registration.status == Status.WAITING else None)
    return _group_form(consultation, phase, groups, form, prefilled=bool(prefill))


def _group_form(consultation, phase, groups, form, error=None, prefilled=False):
    now = clock.now_utc()
    is_open = services.signup_is_open(phase, now)
    status = form.status() if error is None else 200
    if form.is_submitted() and not is_open and error is None:
        error = _("Zapisy do grup roboczych są zamknięte.")
    return render_template("registrations/group_form.html", consultation=consultation, phase=phase,
                           groups=groups, form=form, is_open=is_open, error=error,
                           prefilled=prefilled, recording=recording.current()), status


@limiter.limit(_registration_limit, methods=["POST"])
@validates_own_csrf
def meeting_signup(slug: str, meeting_id: int):
    consultation = _consultation(slug)
    meeting = _meeting(consultation, meeting_id)
    prefill = _prefill()
    form = forms.MeetingSignupForm.for_meeting(meeting, data=prefill)
    if form.is_submitted() and form.is_spam():
        return render_template("registrations/received.html", consultation=consultation)
    error = None
    if form.validate_on_submit():
        try:
            registration = services.register_for_meeting(meeting, _applicant(form))
        except services.RegistrationError as exc:
            error = exc.message
        else:
            return render_template("registrations/meeting_result.html", consultation=consultation,
                                   meeting=meeting, registration=registration,
                                   participation=recording.participation(registration))
    return render_template("registrations/meeting_form.html", consultation=consultation, meeting=meeting,
                           form=form, is_open=meeting.is_open(clock.now_utc()), error=error,
                           prefilled=bool(prefill), recording=recording.current()), \
        form.status() if error is None else 200


def _meeting(consultation: Consultation, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.consultation_id != consultation.id:
        abort(404)
    return meeting


def meeting_ics(slug: str, meeting_id: int):
    consultation = _consultation(slug)
    meeting = _meeting(consultation, meeting_id)
    page_url = url_for("consultations.announcement", slug=slug, _external=True)
    return file_response(calendar.meeting_ics(consultation, meeting, page_url), f"spotkanie-{meeting.id}.ics")


# --- the private link: /zgloszenie?t=... -----------------------------------------------------

def _registration_from(token: str):
    registration = services.find_by_token(token)
    if registration is None:
        abort(404)
    return registration


def manage():
    registration = _registration_from(request.args.get("t", ""))
    if isinstance(registration, GroupRegistration):
        services.release_expired_holds(registration.consultation_id)
        db.session.refresh(registration)
    return _manage_page(registration, request.args["t"])


def _manage_page(registration, token, status=200):
    is_group = isinstance(registration, GroupRegistration)
    context = {"registration": registration, "token": token, "form": forms.TokenForm(t=token),
               "is_group": is_group}
    if is_group:
        context["group"] = db.session.get(WorkingGroup, registration.group_id)
        context["position"] = (seats.waiting_position(registration)
                               if registration.status == Status.WAITING else None)
    else:
        context["meeting"] = meeting = db.session.get(Meeting, registration.meeting_id)
        context["meeting_slug"] = db.session.get(Consultation, meeting.consultation_id).slug
    response = make_response(render_template("registrations/manage.html", **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@validates_own_csrf
def confirm():
    form = forms.TokenForm()
    if not form.validate_on_submit():  # a stale token: show the page again, nothing changes
        registration = services.find_by_token(form.t.data or "")
        if registration is None:
            abort(400)
        return _manage_page(registration, form.t.data, status=400)
    registration = _registration_from(form.t.data or "")
    try:
        if isinstance(registration, GroupRegistration):
            services.confirm(registration)
        else:
            services.confirm_meeting(registration)
    except services.RegistrationError as error:
        flash(error.message, "error")
    else:
        flash(_("Dziękujemy — zgłoszenie jest potwierdzone."), "success")
    return redirect(url_for("registrations.manage", t=form.t.data))


@validates_own_csrf
def withdraw():
    """A confirmation step first (GET), then the withdrawal (POST)."""
    form = forms.TokenForm(t=request.args.get("t", ""))
    if request.method == "POST" and not form.validate_on_submit() and services.find_by_token(form.t.data or "") is None:
        abort(400)
    registration = _registration_from(form.t.data or "")
    if request.method == "GET" or not form.validate_on_submit():
        response = make_response(render_template("registrations/withdraw.html", registration=registration,
                                                 form=form), form.status())
        response.headers["Cache-Control"] = "no-store"
        return response
    if isinstance(registration, GroupRegistration):
        services.withdraw(registration)
    else:
        services.withdraw_meeting(registration)
    flash(_("Zgłoszenie zostało wycofane."), "success")
    return redirect(url_for("registrations.manage", t=form.t.data))
