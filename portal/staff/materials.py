"""After a group's or a meeting's session, admins publish its materials: a recording link, the
minutes (an uploaded file, stored as a consultation Document of kind MINUTES through
documents.py) and a short summary in Markdown. Replacing or removing the minutes deletes the old
document (and its file, once committed). Every change leaves an audit row.

Routes of the `staff_groups` blueprint (groups.py imports this module).
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from portal import audit, clock, permissions
from portal.consultations.models import Consultation, Document, DocumentKind
from portal.extensions import db
from portal.forms import Form, validates_own_csrf
from portal.registrations.models import Meeting, WorkingGroup
from portal.registrations.manage_forms import https_url
from portal.staff import documents, uploads
from portal.staff.groups import _actor, _consultation, _owned

RECORDING_URL_MAX = 1000  # MeetingMaterials.recording_url
SUMMARY_MAX = 5000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_https(form, field):
    if field.data:
        https_url(form, field)


class MaterialsForm(Form):
    recording_url = StringField(_l("Link do nagrania"), filters=[_strip], validators=[
        Length(max=RECORDING_URL_MAX, message=_l("Najwyżej %(max)d znaków.")), _optional_https])
    minutes = FileField(_l("Protokół (PDF, DOCX albo ODT)"))
    remove_minutes = BooleanField(_l("Usuń opublikowany protokół"))
    summary = TextAreaField(_l("Podsumowanie"), filters=[_strip], validators=[
        Length(max=SUMMARY_MAX, message=_l("Najwyżej %(max)d znaków."))])

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.upload: uploads.Upload | None = None  # an accepted new file of minutes

    def validate_minutes(self, field):
        if not field.data or not getattr(field.data, "filename", None):
            return  # the minutes are optional; what is published stays
        try:
            self.upload = uploads.read_upload(field.data, self.max_bytes)
        except uploads.UploadRefused as refusal:
            raise ValidationError(refusal.message) from None


# --- the rule ---------------------------------------------------------------------------------

def _snapshot(item) -> dict:
    # "meeting_summary", not "summary": the audit log names fields by key, and "summary" is the report's.
    return {"recording_url": item.recording_url, "meeting_summary": item.summary,
            "minutes_document_id": item.minutes_document_id}


def save_materials(actor, consultation: Consultation, item: WorkingGroup | Meeting, name: str, recording_url: str,
                   summary: str, upload: uploads.Upload | None = None, remove_minutes: bool = False) -> bool:
    """Publish the session's materials; a new file of minutes replaces the old one. False: nothing changed."""
    before = _snapshot(item)
    old = db.session.get(Document, item.minutes_document_id) if item.minutes_document_id else None
    if upload is not None:
        new = documents.add_uploaded_document(actor, consultation, _("Protokół: %(name)s", name=name),
                                              DocumentKind.MINUTES, upload)
        item.minutes_document_id = new.id
    elif remove_minutes:
        item.minutes_document_id = None
    item.recording_url = recording_url
    if summary != item.summary:
        item.summary = summary  # summary_html follows (registrations/models.py)
    after = _snapshot(item)
    if after == before:
        return False
    if old is not None and item.minutes_document_id != old.id:
        db.session.flush()  # nothing points at the old document any more
        documents.delete_document(actor, old)
    item.materials_updated_at = clock.now_utc()
    audit.record(actor, "materials_changed", item, before=before, after=after)
    return True


# --- the pages --------------------------------------------------------------------------------

def _minutes_of(item) -> Document | None:
    if item.minutes_document_id is None:
        return None
    return db.session.scalar(select(Document).where(Document.id == item.minutes_document_id))


def _materials_page(consultation: Consultation, item, name: str, kind: str, back_url: str, action: str):
    max_bytes = current_app.config["DOCUMENT_MAX_BYTES"]
    if request.method == "POST":
        # A file a little over the limit gets a message next to the field, not an error page.
        request.max_content_length = max(max_bytes + documents.FORM_OVERHEAD_BYTES,
                                         current_app.config["MAX_CONTENT_LENGTH"] or 0)
        form = MaterialsForm(max_bytes=max_bytes)
        if form.validate_on_submit():
            changed = save_materials(_actor(), consultation, item, name, form.recording_url.data or "",
                                     form.summary.data or "", form.upload, form.remove_minutes.data)
            flash(_("Zapisano materiały ze spotkania: %(name)s.", name=name) if changed
                  else _("Bez zmian: materiały ze spotkania są już takie."), "success")
            return redirect(back_url, 303)
    else:
        form = MaterialsForm(formdata=None, max_bytes=max_bytes, recording_url=item.recording_url,
                             summary=item.summary)
    response = current_app.make_response((render_template(
        "staff/materials.html", consultation=consultation, item=item, name=name, kind=kind, form=form,
        minutes=_minutes_of(item), back_url=back_url, action=action,
        max_megabytes=uploads.megabytes(max_bytes)), form.status()))
    return response


@permissions.require(permissions.is_admin)
@validates_own_csrf
def group_materials(slug: str, group_id: int):
    consultation = _consultation(slug)
    group = _owned(WorkingGroup, consultation, group_id)
    return _materials_page(
        consultation, group, group.name, "group",
        url_for("staff_groups.groups", slug=slug, _anchor=f"grupa-{group.id}"),
        url_for("staff_groups.group_materials", slug=slug, group_id=group.id))


@permissions.require(permissions.is_admin)
@validates_own_csrf
def meeting_materials(slug: str, meeting_id: int):
    consultation = _consultation(slug)
    meeting = _owned(Meeting, consultation, meeting_id)
    return _materials_page(
        consultation, meeting, meeting.title, "meeting",
        url_for("staff_groups.meetings", slug=slug, _anchor=f"spotkanie-{meeting.id}"),
        url_for("staff_groups.meeting_materials", slug=slug, meeting_id=meeting.id))
