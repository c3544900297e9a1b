"""Staff: publish the draft document of a consultation from Markdown (pasted or a file).

Admins only. "Podgląd" shows how the text splits into sections and paragraphs without saving;
"Opublikuj" replaces the draft (portal.forum.drafts) and goes to the forum. Whatever was typed
stays in the form on every error; an accepted file's text is put into the form, so a preview
of a file can be published without choosing the file again. The file may be Markdown or plain
text (UTF-8), or a DOCX or ODT document — recognised by its bytes, not its name — converted to
Markdown by portal.forum.importing; another file can be chosen as often as needed. A DOCX or
ODT waits beside the form until publication (portal.forum.draft_source) and is then offered for
download with the draft, as long as the text published is the text it gave. Opened afresh, the
form holds the published draft's Markdown, so staff edit what is published.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField
from wtforms import HiddenField, TextAreaField
from wtforms.validators import ValidationError

from portal import permissions
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.forms import Form, validates_own_csrf
from portal.forum import draft_blocks, draft_source, drafts, importing
from portal.forum.models import heading
from portal.reports.final import draft_texts  # the one reading of the published draft
from portal.staff import uploads


MAX_UPLOAD_BYTES = 1024 * 1024
UPLOAD_EXTENSIONS = ("md", "txt", "docx", "odt")
UPLOAD_EXTENSIONS_MESSAGE = _l("Wybierz plik DOCX, ODT, MD albo TXT.")


class DraftForm(Form):
    markdown = TextAreaField(_l("Treść projektu w formacie Markdown"))
    upload = FileField(_l("Plik z projektem"), validators=[
        FileAllowed(UPLOAD_EXTENSIONS, UPLOAD_EXTENSIONS_MESSAGE)])
    source = HiddenField()  # the imported file waiting for publication (draft_source.keep's token)

    uploaded_text: str | None = None  # the accepted file's text (a document's as Markdown)
    uploaded_document: uploads.Upload | None = None  # the accepted file itself, when a DOCX or ODT

    def validate_upload(self, field):
        storage = field.data
        if not storage:
            return
        content = storage.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise ValidationError(_l("Plik może mieć najwyżej 1 MB."))
        file_type = uploads.sniff(content)
        if file_type in (uploads.DOCX, uploads.ODT):
            upload = uploads.Upload(content, file_type, uploads.download_name(storage.filename, file_type))
            try:
                self.uploaded_text = importing.to_markdown(upload)
            except importing.ImportRefused as refused:
                raise ValidationError(refused.message) from None
            self.uploaded_document = upload
            return
        if file_type == uploads.PDF:
            raise ValidationError(_l("Pliku PDF nie da się wczytać jako projektu. Wybierz plik DOCX, ODT, MD albo TXT."))
        if (storage.filename or "").lower().endswith((".docx", ".odt")) or content.startswith(b"PK\x03\x04"):
            raise ValidationError(importing.damaged_message())
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_l("Plik nie jest zapisany w kodowaniu UTF-8. Zapisz go jako UTF-8 "
                                     "(np. w Notatniku: „Zapisz jako”, kodowanie UTF-8) i wybierz ponownie.")
                                  ) from None
        if "\0" in text:
            raise ValidationError(_l("To nie jest plik tekstowy. Wybierz plik .md albo .txt."))
        self.uploaded_text = text


def published_markdown(consultation_id: int) -> str:
    """The published draft as the Markdown it was split from ("## Rozdział 1. Title", paragraphs): one query."""
    return draft_blocks.sections_markdown((s.label, s.title, s.paragraphs) for s in draft_texts(consultation_id))


def _consultation(slug: str) -> Consultation:
    return consultation_or_404(slug, public=False)


@permissions.require(permissions.is_admin)
@validates_own_csrf
def publish_draft(slug: str):
    consultation = _consultation(slug)
    form = DraftForm()

    def publish(text):
        actor = current_user._get_current_object()
        carried = draft_source.take(form.source.data, text)
        before = [(s.label, s.title, tuple(s.paragraphs)) for s in draft_texts(consultation.id)]
        _flash_published(drafts.publish(consultation, text, actor=actor))
        after = [(d.label, d.title, tuple(p.text for p in d.paragraphs)) for d in drafts.parse(text)]
        removed = draft_source.settle(actor, consultation, carried.upload, text_unchanged=before == after)
        _flash_source(carried, removed)
        return redirect(url_for("forum.index", slug=consultation.slug), 303)

    done, preview, status = document_form_post(form, "publish", publish, drafts.parse, keep_source=True)
    if done:
        return done
    if request.method == "GET":
        form.markdown.data = published_markdown(consultation.id)  # edit what is published
    current = drafts.outline(consultation)
    carried = draft_source.take(form.source.data, form.markdown.data or "") if preview is not None else None
    return render_template("forum/staff/publish.html", consultation=consultation, form=form,
                           current=current, preview=preview, changes=_changes(current, preview),
                           carried=carried, source=draft_source.source_of(consultation.id)), status


def document_form_post(form: DraftForm, save_button: str, save, show, keep_source: bool = False):
    """The POST of a page that takes a Markdown document, pasted or uploaded (the draft here, the
    final version in reports): the button `save_button` saves (`save(text)` answers, usually a
    redirect), any other previews (`show(text)`). A `DraftError` is shown next to the text.
    `keep_source`: an uploaded DOCX or ODT is put aside for publication (portal.forum.draft_source)
    and named in the form's `source` field; any other file, or none, clears it.

    Returns (the answer of `save` or None, the preview or None, the page's status).
    """
    if request.method != "POST":
        return None, None, 200
    if not form.validate_on_submit():
        return None, None, form.status()
    if form.uploaded_text is not None:
        form.markdown.data = form.uploaded_text  # shown in the form from now on
        form.source.data = ""
        if keep_source and form.uploaded_document is not None:
            form.source.data = draft_source.keep(form.uploaded_document, form.uploaded_text)
    text = form.markdown.data or ""
    try:
        if request.form.get("action") == save_button:
            return save(text), None, 200
        return None, show(text), 200
    except drafts.DraftError as error:
        form.markdown.errors.append(error.message)
        return None, None, 200


def _flash_published(result: drafts.PublishResult) -> None:
    flash(_("Projekt dokumentu został opublikowany (paragrafy: %(sections)s, ustępy: %(paragraphs)s).",
            sections=result.sections, paragraphs=result.paragraphs), "success")
    if result.removed_labels:
        flash(_("Tych paragrafów nie ma już w projekcie: %(numbers)s. Ich wątki zostały zamknięte, "
                "a zgłoszone w nich uwagi pozostają widoczne.",
                numbers=", ".join(result.removed_labels)), "info")


def _flash_source(carried: draft_source.Carried, removed: list) -> None:
    """What became of the file the draft was imported from (nothing to say for a pasted text)."""
    if carried.upload is not None:
        flash(_("Plik „%(name)s” można pobrać przy projekcie dokumentu i na liście dokumentów konsultacji.",
                name=carried.upload.original_name), "info")
    elif carried.edited_name:
        flash(_("Tekst zmieniono po wczytaniu pliku „%(name)s”, więc nie udostępniamy tego pliku jako projektu. "
                "Aby go udostępnić, wprowadź poprawki w pliku i wczytaj go ponownie.", name=carried.edited_name), "info")
    for document in removed if carried.upload is None else []:
        flash(_("Usunięto z dokumentów konsultacji plik „%(name)s”: opublikowany tekst różni się od niego.",
                name=document.original_name), "info")


def _changes(current: list[drafts.OutlineRow], preview: list[drafts.SectionDraft] | None) -> dict:
    """What publishing the previewed text would change: per section number, and what disappears."""
    if preview is None:
        return {"by_number": {}, "removed": []}
    before = {row.number: row for row in current}
    by_number = {}
    for section in preview:
        row = before.get(section.number)
        if row is None:
            by_number[section.number] = _("nowy paragraf")
        elif row.label != section.label:
            by_number[section.number] = _("zmieniona nazwa (było: „%(heading)s”)", heading=heading(row.label, row.title))
        elif row.title != section.title:
            by_number[section.number] = _("zmieniony tytuł (było: „%(title)s”)", title=row.title)
        else:
            by_number[section.number] = ""
    return {"by_number": by_number, "removed": [row for row in current if row.number > len(preview)]}
