"""The consultation report: the public page and its files, and the staff page that publishes it.

The public report is a 404 until it is published; staff see it before as a preview (marked
"Podgląd", never cached). The rules (what publishing needs, who is e-mailed, the audit log)
live in publishing.py; a view parses its form, calls one service and redirects, or re-shows
the form with what was typed.
"""
from __future__ import annotations

from flask import (
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import pagination, permissions
from portal.bad_input import bounded_int
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.consultations.services import timeline
from portal.downloads import streamed_response
from portal.forms import validates_own_csrf
from portal.reports import counts, export_rows, exports, publishing
from portal.reports.forms import ReportFilterForm, SummaryForm
from portal.reports.models import DECISION_LABELS
from portal.reports.services import (
    Selection,
    comments_page,
    page_holding,
    report_comments,
    report_of,
    select_comments,
)
from portal.registrations.materials import sessions_of
from portal import page_cache


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the public report and its files ----------------------------------------------------------

REPORT_PAGE_SIZE = 50  # comments in a page of the report's table


@page_cache.shared_with_anonymous_readers()
def report(slug: str):
    """The report with a page of its table (`?strona=`; `?uwaga=N` or `?komentarz=<id>`: the page
    holding that comment); the numbers count the whole report. Five queries, whatever its size."""
    view = publishing.report_shown(slug)
    consultation_id = view.consultation.id
    numbers = counts.report_numbers(consultation_id)
    filters = ReportFilterForm(numbers.parts, formdata=request.args)
    selection = _report_selection(filters)
    page = comments_page(consultation_id, selection, _report_page_asked(consultation_id, selection),
                         REPORT_PAGE_SIZE, numbers.listed(selection))
    response = make_response(render_template(
        "reports/report.html", view=view, consultation=view.consultation, data=numbers, page=page,
        # Earlier versions exist only after a correction: no query for a report never corrected.
        versions=publishing.versions(consultation_id) if view.report and view.report.updated_at else [],
        outside=counts.outside_report(consultation_id),
        shown=page.comments, filters=filters,
        timeline=timeline(view.consultation.phases), decision_labels=DECISION_LABELS, labels=exports,
        sessions=sessions_of(consultation_id)))
    return response if view.is_published else _private(response)


def _report_selection(filters: ReportFilterForm) -> Selection:
    """The table's filters as a selection: a part ("2": § 2, "w7": thread 7, forms.section_key) and a decision."""
    part = filters.czesc.data or ""
    in_thread = part.startswith("w")
    return Selection(thread_id=int(part[1:]) if in_thread else None,
                     section_number=int(part) if part and not in_thread else None,
                     decision=filters.rozstrzygniecie.data or None)


def _report_page_asked(consultation_id: int, selection: Selection) -> int:
    """`?strona=`; or the page holding the comment a link names (`?uwaga=12`, `?komentarz=<post id>`),
    for a link to "raport#uwaga-12" that must find it on a page (one more query)."""
    number = bounded_int(request.args.get("uwaga"), low=1)
    post_id = bounded_int(request.args.get("komentarz"), low=1)
    if number is not None or post_id is not None:
        found = select_comments(consultation_id, selection, numbers=[number] if number else (),
                                post_ids=[post_id] if post_id else ())
        if found and found[0].place is not None:
            return page_holding(found[0].place, REPORT_PAGE_SIZE)
    return pagination.requested_page()


# The files are made from the comments as they are read (export_rows) and sent while they are
# written, never all in memory.

def _download(shown: publishing.ShownReport, chunks, extension: str, mimetype: str):
    return streamed_response(chunks, f"raport-{shown.consultation.slug}.{extension}", mimetype=mimetype,
                             private=not shown.is_published)


def report_csv(slug: str):
    shown = publishing.report_shown(slug)
    comments = export_rows.report_comments_in_batches(shown.consultation.id)
    return _download(shown, exports.csv_chunks(comments), "csv", "text/csv; charset=utf-8")


def report_xlsx(slug: str):
    shown = publishing.report_shown(slug)
    comments = export_rows.report_comments_in_batches(shown.consultation.id)
    return _download(shown, exports.xlsx_chunks(comments, _("Uwagi i odpowiedzi")), "xlsx", XLSX)


def report_json(slug: str):
    shown = publishing.report_shown(slug)
    comments = export_rows.report_comments_in_batches(shown.consultation.id)
    chunks = exports.json_chunks(shown.consultation, shown.report, comments,
                                 url_for("reports.report", slug=slug, _external=True))
    response = streamed_response(chunks, None, mimetype="application/json")
    if shown.is_published:
        response.headers["Access-Control-Allow-Origin"] = "*"  # public data, no cookies involved
        return response
    return _private(response)


# --- staff: summary, publication, correction -----------------------------------------------------

@permissions.require(permissions.is_staff)
@validates_own_csrf
def manage(slug: str):
    consultation = consultation_or_404(slug, public=False)
    report = report_of(consultation.id)
    form = SummaryForm(summary=report.summary if report else "")
    if form.validate_on_submit():
        publishing.save_summary(consultation, current_user, form.summary.data or "")
        flash(_("Zapisano opis przebiegu konsultacji."), "success")
        return redirect(url_for("reports.manage", slug=slug), 303)
    return _manage_page(consultation, form)


@permissions.require(permissions.is_staff)
@validates_own_csrf
def publish(slug: str):
    consultation = consultation_or_404(slug, public=False)
    form = SummaryForm()
    if not form.validate_on_submit():
        return _manage_page(consultation, form)
    try:
        publication = publishing.publish(consultation, current_user, form.summary.data or "")
    except publishing.ReportTooEarly as refusal:
        return _manage_page(consultation, form, too_early=refusal)
    except publishing.ReportNotReady as refusal:
        if refusal.summary_missing:
            form.refuse_empty_summary()
        return _manage_page(consultation, form, refusal=refusal)
    if publication.already_published:
        flash(_("Raport był już opublikowany. Zapisano opis przebiegu konsultacji."), "success")
    elif publication.notified:
        flash(ngettext("Raport został opublikowany. Powiadomienie e-mail wysłano do %(num)s osoby.",
                       "Raport został opublikowany. Powiadomienie e-mail wysłano do %(num)s osób.",
                       publication.notified), "success")
    else:
        flash(_("Raport został opublikowany."), "success")
    return redirect(url_for("reports.manage", slug=slug), 303)


@permissions.require(permissions.is_staff)
def unpublish(slug: str):
    consultation = consultation_or_404(slug, public=False)
    if publishing.unpublish(consultation, current_user):
        flash(_("Publikacja raportu została wycofana. Po poprawkach opublikuj go ponownie "
                "(uczestnicy nie dostaną drugiego powiadomienia)."), "success")
    else:
        flash(_("Raport nie jest opublikowany."), "error")
    return redirect(url_for("reports.manage", slug=slug), 303)


def _manage_page(consultation: Consultation, form: SummaryForm, refusal=None, too_early=None):
    response = make_response(render_template(
        "reports/manage.html", consultation=consultation, report=report_of(consultation.id),
        data=report_comments(consultation.id), form=form, refusal=refusal, too_early=too_early,
        versions=publishing.versions(consultation.id)), form.status())
    return _private(response)


def version(slug: str, number: int):
    """A version of the report as it was published (a later correction replaced it)."""
    consultation, kept, snapshot = publishing.version_to_show(slug, number)
    response = make_response(render_template(
        "reports/version.html", consultation=consultation, version=kept, snapshot=snapshot,
        versions=publishing.versions(consultation.id), decision_labels=DECISION_LABELS))
    return response if report_of(consultation.id).is_published else _private(response)
