"""The final document: staff upload it and link its changes to comments; the public sees what changed.

`manage` (staff) previews and saves the final text (pasted or a .md/.txt, DOCX or ODT file, like the
draft; opened afresh, the form holds the saved final version, or the draft before there is one)
and shows the draft → final difference with, for every changed section, the report's comments
to tick; `link_changes` saves one section's ticks. `changes` is the public page of the
difference, once the report is published (staff see it before).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.forms import validates_own_csrf
from portal.forum import draft_blocks
from portal.forum.manage import document_form_post
from portal.reports import final
from portal.reports.final_forms import ChangeLinksForm, FinalDocumentForm
from portal.reports.services import report_comments, report_of
from portal import page_cache


@permissions.require(permissions.is_staff)
@validates_own_csrf
def manage(slug: str):
    consultation = consultation_or_404(slug, public=False)
    form = FinalDocumentForm()

    def save(text):
        _flash_saved(final.save_final(consultation, text, current_user._get_current_object()))
        return redirect(url_for("final_document.manage", slug=slug), 303)

    def compare(text):
        return final.compare(final.draft_texts(consultation.id), final.parse_final(text))

    done, preview, status = document_form_post(form, "save", save, compare)
    if done:
        return done
    if request.method == "GET":
        form.markdown.data = starting_text(consultation.id)
    return _manage_page(consultation, form, preview=preview), status


def starting_text(consultation_id: int) -> str:
    """The text the form starts from: the saved final version, or the published draft before there is one."""
    sections = final.final_texts(consultation_id) or final.draft_texts(consultation_id)
    return draft_blocks.sections_markdown((s.label, s.title, s.paragraphs) for s in sections)


def _flash_saved(result: final.SaveResult) -> None:
    flash(_("Zapisano wersję końcową dokumentu (paragrafy: %(sections)s, zmienione: %(changed)s).",
            sections=result.sections, changed=len(result.changed)), "success")
    if result.dropped_links:
        flash(_("Usunięto powiązania z uwagami przy paragrafach, które nie różnią się już od projektu "
                "(powiązania: %(count)s).", count=result.dropped_links), "info")


@permissions.require(permissions.is_staff)
@validates_own_csrf
def link_changes(slug: str, number: int):
    """Save which of the report's comments caused the change in § `number` (replaces its links)."""
    consultation = consultation_or_404(slug, public=False)
    comments = report_comments(consultation.id).comments
    form = ChangeLinksForm()
    form.comments.choices = [(comment.post.id, str(comment.number)) for comment in comments]
    valid = form.validate_on_submit()
    if form.csrf_failed:
        return _manage_page(consultation, _starting_form(consultation), link_form=form, link_section=number), 400
    changes = final.document_changes(consultation.id) or []
    change = next((change for change in changes if change.number == number and change.is_changed), None)
    if change is None:
        abort(404)
    if not valid:
        return _manage_page(consultation, _starting_form(consultation), link_form=form, link_section=number)
    final.link_comments(consultation, number, form.comments.data, current_user._get_current_object())
    flash(_("Zapisano uwagi, w odpowiedzi na które wprowadzono zmianę: %(section)s.",
            section=change.label), "success")
    return redirect(url_for("final_document.manage", slug=slug, _anchor=f"zmiana-{number}"), 303)


def _starting_form(consultation: Consultation) -> FinalDocumentForm:
    form = FinalDocumentForm(formdata=None)
    form.markdown.data = starting_text(consultation.id)
    return form


def _manage_page(consultation: Consultation, form, preview=None, link_form=None, link_section=None):
    changes = final.document_changes(consultation.id)
    comments = report_comments(consultation.id).comments if changes else []
    if changes:
        final.with_comment_numbers(changes, comments)
    linked: dict[int, list[int]] = {}
    for comment in comments:
        for number in comment.changed_sections:
            linked.setdefault(number, []).append(comment.post.id)
    return render_template("reports/final_manage.html", consultation=consultation,
                           report=report_of(consultation.id), form=form, preview=preview, changes=changes,
                           comments=comments, linked=linked, link_form=link_form, link_section=link_section)


@page_cache.shared_with_anonymous_readers()
def changes(slug: str):
    """Draft → final, section by section, with the comments behind each change (public once reported)."""
    consultation = consultation_or_404(slug)
    report = report_of(consultation.id)
    if not (report is not None and report.is_published) and not permissions.is_staff():
        abort(404)
    document = final.document_changes(consultation.id)
    if document:
        final.with_comment_numbers(document, report_comments(consultation.id).comments)
    return render_template("reports/final_changes.html", consultation=consultation, report=report,
                           changes=document)
