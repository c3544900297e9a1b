"""A consultation's documents: admins upload files or add links, order and delete them; anyone
downloads the files of a published consultation.

What a file is, and where it is stored, is decided in `uploads.py`. The services here change the
list (each change leaves an audit row); the views validate a form, call one service and go back
to the list. A refused file re-shows the page with the message next to the field and the title
as typed (a browser never keeps a chosen file, so the message asks to choose it again).
"""
from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal import audit, permissions
from portal.consultations.models import Consultation, Document, DocumentKind
from portal.consultations.lookup import consultation_or_404
from portal.extensions import db
from portal.forms import validates_own_csrf
from portal.staff import uploads
from portal.staff.document_forms import KIND_LABELS, LinkForm, UploadForm


# Room for the form's other fields around a file of the largest size allowed.
FORM_OVERHEAD_BYTES = 1024 * 1024


# --- the rules --------------------------------------------------------------------------------

def documents_of(consultation_id: int) -> list[Document]:
    """The consultation's documents in the order the public page lists them (one query)."""
    return list(db.session.scalars(select(Document).where(Document.consultation_id == consultation_id)
                                   .order_by(Document.position, Document.id)))


def _snapshot(document: Document) -> dict:
    return {"title": document.title, "kind": document.kind.value, "url": document.url,
            "original_name": document.original_name or None, "content_type": document.content_type or None,
            "size_bytes": document.size_bytes or None, "position": document.position,
            **({"draft_source": True} if document.draft_source else {})}


def _add(actor, consultation: Consultation, document: Document) -> Document:
    last = db.session.scalar(select(func.max(Document.position)).where(Document.consultation_id == consultation.id))
    document.consultation_id = consultation.id
    document.position = (last + 1) if last is not None else 0
    db.session.add(document)
    db.session.flush()
    audit.record(actor, "document_added", document, after=_snapshot(document))
    return document


def add_uploaded_document(actor, consultation: Consultation, title: str, kind: DocumentKind,
                          upload: uploads.Upload, draft_source: bool = False) -> Document:
    """Store an accepted file under a random name and list it last (`draft_source`: portal.forum.draft_source)."""
    file_name = uploads.store(upload)
    return _add(actor, consultation, Document(
        title=title, kind=kind, file_name=file_name, original_name=upload.original_name,
        content_type=upload.file_type.content_type, size_bytes=len(upload.content), draft_source=draft_source))


def add_link(actor, consultation: Consultation, title: str, kind: DocumentKind, url: str) -> Document:
    """A document published elsewhere (e.g. in the BIP), listed last."""
    return _add(actor, consultation, Document(title=title, kind=kind, url=url))


def move_document(actor, document: Document, step: int) -> bool:
    """Move one place up (-1) or down (+1); False when it already is first or last."""
    documents = documents_of(document.consultation_id)
    index = next(i for i, d in enumerate(documents) if d.id == document.id)
    target = index + step
    if not 0 <= target < len(documents):
        return False
    before = [d.id for d in documents]
    documents.insert(target, documents.pop(index))
    for position, each in enumerate(documents):  # also repairs equal positions left by older data
        each.position = position
    audit.record(actor, "document_moved", document, before={"order": before},
                 after={"order": [d.id for d in documents]})
    return True


def delete_document(actor, document: Document) -> None:
    """Remove the document from the list; its file is deleted when this is committed."""
    audit.record(actor, "document_deleted", document, before=_snapshot(document))
    if document.file_name:
        uploads.remove_after_commit(document.file_name)
    db.session.delete(document)


# --- the back office --------------------------------------------------------------------------

def _actor():
    return current_user._get_current_object()


def _manage_page(consultation: Consultation, upload_form: UploadForm | None = None,
                 link_form: LinkForm | None = None):
    max_bytes = current_app.config["DOCUMENT_MAX_BYTES"]
    upload_form = upload_form or UploadForm(formdata=None, max_bytes=max_bytes)
    link_form = link_form or LinkForm(formdata=None)
    submitted = upload_form if upload_form.is_submitted() and upload_form.errors else link_form
    response = current_app.make_response((render_template(
        "staff/documents.html", consultation=consultation, documents=documents_of(consultation.id),
        upload_form=upload_form, link_form=link_form, kind_labels=KIND_LABELS,
        max_megabytes=uploads.megabytes(max_bytes)), submitted.status()))
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(consultation: Consultation, anchor: str | None = None):
    return redirect(url_for("documents.manage", slug=consultation.slug, _anchor=anchor), 303)


@permissions.require(permissions.is_admin)
@validates_own_csrf
def manage(slug: str):
    """The list, and the upload form (POST)."""
    consultation = consultation_or_404(slug, public=False)
    if request.method == "GET":
        return _manage_page(consultation)
    max_bytes = current_app.config["DOCUMENT_MAX_BYTES"]
    # A file a little over the limit gets a message next to the field, not an error page.
    request.max_content_length = max(max_bytes + FORM_OVERHEAD_BYTES, current_app.config["MAX_CONTENT_LENGTH"] or 0)
    form = UploadForm(max_bytes=max_bytes)
    if not form.validate_on_submit():
        return _manage_page(consultation, upload_form=form)
    document = add_uploaded_document(_actor(), consultation, form.title.data, DocumentKind(form.kind.data),
                                     form.upload)
    flash(_("Dodano dokument „%(title)s”.", title=document.title), "success")
    return _back(consultation, f"dokument-{document.id}")


@permissions.require(permissions.is_admin)
@validates_own_csrf
def add_document_link(slug: str):
    consultation = consultation_or_404(slug, public=False)
    form = LinkForm()
    if not form.validate_on_submit():
        return _manage_page(consultation, link_form=form)
    document = add_link(_actor(), consultation, form.link_title.data, DocumentKind(form.link_kind.data),
                        form.url.data)
    flash(_("Dodano link do dokumentu „%(title)s”.", title=document.title), "success")
    return _back(consultation, f"dokument-{document.id}")


def _document(consultation: Consultation, document_id: int) -> Document:
    document = db.session.scalar(select(Document).where(Document.id == document_id,
                                                        Document.consultation_id == consultation.id))
    if document is None:
        abort(404)
    return document


@permissions.require(permissions.is_admin)
def move(slug: str, document_id: int):
    consultation = consultation_or_404(slug, public=False)
    document = _document(consultation, document_id)
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if step is None:
        abort(400)
    if move_document(_actor(), document, step):
        flash(_("Przesunięto dokument „%(title)s”.", title=document.title), "success")
    return _back(consultation, f"dokument-{document.id}")


@permissions.require(permissions.is_admin)
def delete(slug: str, document_id: int):
    consultation = consultation_or_404(slug, public=False)
    document = _document(consultation, document_id)
    delete_document(_actor(), document)
    flash(_("Usunięto dokument „%(title)s”.", title=document.title), "success")
    return _back(consultation)


# --- the public download ----------------------------------------------------------------------

def download(slug: str, document_id: int):
    """An uploaded file, as its recognised type; drafts only for staff (404 for everyone else)."""
    consultation = consultation_or_404(slug)
    document = _document(consultation, document_id)
    file_type = uploads.FILE_TYPES.get(document.content_type)
    if not document.file_name or file_type is None or not uploads.STORED_NAME.fullmatch(document.file_name):
        abort(404)
    response = send_from_directory(
        uploads.folder(), document.file_name, mimetype=file_type.content_type,
        as_attachment=file_type is not uploads.PDF, download_name=document.original_name or document.file_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"  # even a PDF viewer runs no script of ours
    if not consultation.is_published:
        response.headers["Cache-Control"] = "no-store"  # a staff preview
    return response
