"""The back office: the list of consultations, an admin's announcement form, publishing, the timeline.

The list is for all staff (moderators read it and follow links to the pages they use); every
change is for admins. Views are thin: a form, one service call, a flash and a 303 redirect, or
the page again with what was typed and the error next to its field (400 for a stale token).
The rules (addresses, the one comment window, whole-day ends, the audit log) are in services.py.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import permissions
from portal.consultations.models import Consultation, Phase, Status
from portal.consultations.lookup import consultation_or_404
from portal.forms import validates_own_csrf
from portal.staff import services
from portal.staff.forms import (
    PHASE_KIND_LABELS,
    ConsultationForm,
    PhaseForm,
    show_refusal,
)


STATUS_LABELS = {Status.DRAFT: _l("Szkic"), Status.PUBLISHED: _l("Opublikowana")}


def _see_other(endpoint: str, **values):
    return redirect(url_for(endpoint, **values), 303)


def _consultation(slug: str) -> Consultation:
    return consultation_or_404(slug, public=False)


# --- the list -----------------------------------------------------------------------------------

@permissions.require(permissions.is_staff)
def consultations():
    return render_template("staff/consultations.html", consultations=services.all_consultations(),
                           status_labels=STATUS_LABELS)


# --- the announcement ---------------------------------------------------------------------------

@permissions.require(permissions.is_admin)
@validates_own_csrf
def new_consultation():
    form = ConsultationForm()
    if form.validate_on_submit():
        try:
            consultation = services.create_consultation(current_user, form.values())
        except services.Refusal as refusal:
            show_refusal(form, refusal)
            form.slug.data = form.slug.data or services.propose_slug(form.title.data)
        else:
            flash(_("Utworzono szkic konsultacji. Dodaj jej etapy, a gdy będzie gotowa — opublikuj ją."), "success")
            return _see_other("staff.edit_consultation", slug=consultation.slug)
    return render_template("staff/consultation_form.html", form=form, consultation=None,
                           slug_locked=False), form.status()


@permissions.require(permissions.is_admin)
@validates_own_csrf
def edit_consultation(slug: str):
    consultation = _consultation(slug)
    form = ConsultationForm(obj=consultation)
    if form.validate_on_submit():
        try:
            changed = services.update_consultation(current_user, consultation, form.values())
        except services.Refusal as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("Zapisano zmiany.") if changed else _("Nic się nie zmieniło."), "success")
            return _see_other("staff.edit_consultation", slug=consultation.slug)
    return render_template("staff/consultation_form.html", form=form, consultation=consultation,
                           slug_locked=services.slug_is_locked(consultation),
                           status_labels=STATUS_LABELS), form.status()


@permissions.require(permissions.is_admin)
def set_status(slug: str):
    """Publish or withdraw: a button with the wanted status (a repeated click changes nothing)."""
    consultation = _consultation(slug)
    try:
        status = Status(request.form.get("status", ""))
    except ValueError:
        abort(400)
    if services.set_status(current_user, consultation, status):
        flash(_("Konsultacja jest opublikowana: każdy widzi ją na stronie głównej.") if status == Status.PUBLISHED
              else _("Wycofano publikację: konsultację widzą teraz tylko pracownicy urzędu."), "success")
    return _see_other("staff.edit_consultation", slug=slug)


# --- the timeline -------------------------------------------------------------------------------

@permissions.require(permissions.is_admin)
@validates_own_csrf
def phases(slug: str):
    consultation = _consultation(slug)
    form = PhaseForm()
    if form.validate_on_submit():
        try:
            saved = services.add_phase(current_user, consultation, form.entered())
        except services.Refusal as refusal:
            show_refusal(form, refusal)
        else:
            _flash_saved(saved, _("Dodano etap „%(title)s”.", title=saved.phase.title))
            return _see_other("staff.phases", slug=slug)
    return _phases_page(consultation, form)


@permissions.require(permissions.is_admin)
@validates_own_csrf
def edit_phase(slug: str, phase_id: int):
    consultation = _consultation(slug)
    phase = services.phase_of(consultation, phase_id) or abort(404)
    form = PhaseForm(data=None if request.method == "POST" else services.local_fields(phase, consultation.timezone))
    if form.validate_on_submit():
        try:
            saved = services.update_phase(current_user, consultation, phase, form.entered())
        except services.Refusal as refusal:
            show_refusal(form, refusal)
        else:
            _flash_saved(saved, _("Zapisano etap „%(title)s”.", title=phase.title))
            return _see_other("staff.phases", slug=slug)
    return _phases_page(consultation, form, editing=phase)


@permissions.require(permissions.is_admin)
def delete_phase(slug: str, phase_id: int):
    consultation = _consultation(slug)
    phase = services.phase_of(consultation, phase_id) or abort(404)
    services.delete_phase(current_user, consultation, phase)
    flash(_("Usunięto etap „%(title)s”.", title=phase.title), "success")
    return _see_other("staff.phases", slug=slug)


def _flash_saved(saved: services.PhaseSaved, message: str) -> None:
    flash(message, "success")
    for other in saved.overlaps:  # normal in real timelines (sign-ups during the announcement), so only said
        flash(_("Ten etap nakłada się w czasie na etap „%(other)s”. Jeśli tak ma być, nic nie trzeba robić.",
                other=other.title), "warning")


def _phases_page(consultation: Consultation, form: PhaseForm, editing: Phase | None = None):
    return render_template("staff/phases.html", consultation=consultation, form=form, editing=editing,
                           phases=services.timeline_phases(consultation), kind_labels=PHASE_KIND_LABELS), form.status()
