"""Staff: the answer workspace, where moderators and admins answer every comment for the report.

The page lists the report's comments (numbered as in the report, section by section) with their
current answers and a form for each. A comment is answered on its own, together with others
ticked in the list (one shared answer), or "jak w uwadze N". The rules live in `answers.py`;
a view validates its form, calls one service, flashes and goes back to the comment (303).

A form that fails (a missing justification, an unknown number, a stale CSRF token) re-shows the
workspace with the typed text in that comment's form and the error next to its field. The
filters (section, only unanswered) travel in the query string, through every form and back.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.bad_input import bounded_int
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.forms import Form, validates_own_csrf
from portal.reports import answers
from portal.reports.models import Decision
from portal.reports.services import ReportComment, ReportData, report_comments
from portal.reports.workspace_forms import AnswerForm, JointAnswerForm, SameAnswerForm
from portal.web import flash_outcome


# --- what the page shows ----------------------------------------------------------------------

@dataclass
class Filters:
    thread_id: int | None = None
    unanswered_only: bool = False

    @classmethod
    def from_query(cls) -> Filters:
        return cls(bounded_int(request.args.get("sekcja")), request.args.get("bez-odpowiedzi") == "1")

    @property
    def args(self) -> dict:
        """The query string that keeps these filters on a link or a form's action."""
        return {"sekcja": self.thread_id, "bez-odpowiedzi": "1" if self.unanswered_only else None}

    def keep(self, comment: ReportComment) -> bool:
        return ((self.thread_id is None or comment.thread.id == self.thread_id)
                and not (self.unanswered_only and comment.answer is not None))


@dataclass
class Section:
    """A heading of the workspace: a section of the draft, the general comments or a participant's thread."""

    thread_id: int
    heading: str
    comments: list[ReportComment]


def _sections(comments: list[ReportComment]) -> list[Section]:
    """Comments grouped under their thread's heading; they arrive in report order, a thread at a time."""
    sections: list[Section] = []
    for comment in comments:
        if not sections or sections[-1].thread_id != comment.thread.id:
            sections.append(Section(comment.thread.id, comment.section_heading, []))
        sections[-1].comments.append(comment)
    return sections


def _workspace_page(consultation: Consultation, data: ReportData, submitted: Form | None = None):
    """The workspace; `submitted` is a form re-shown with what was typed and its errors."""
    filters = Filters.from_query()
    # The comments a re-shown form is about stay on the page, whatever the filters say.
    if isinstance(submitted, JointAnswerForm):
        pinned = set(submitted.post_ids.data or ())
    else:
        pinned = {submitted.post_id} if submitted is not None else set()
    shown = [comment for comment in data.comments if filters.keep(comment) or comment.post.id in pinned]

    def row_form(form_class, comment: ReportComment, **defaults):
        if type(submitted) is form_class and submitted.post_id == comment.post.id:
            return submitted
        return form_class(formdata=None, post_id=comment.post.id, **defaults)

    answer_forms, same_forms = {}, {}
    for comment in shown:
        current = comment.answer
        answer_forms[comment.post.id] = row_form(
            AnswerForm, comment, decision=Decision(current.decision).value if current else None,
            justification=current.justification if current else None)
        same_forms[comment.post.id] = row_form(SameAnswerForm, comment)
    joint = submitted if isinstance(submitted, JointAnswerForm) else JointAnswerForm(formdata=None)
    sharing: dict[int, list[int]] = {}  # answer id -> the numbers of the comments that have it
    for comment in data.comments:
        if comment.answer is not None:
            sharing.setdefault(comment.answer.id, []).append(comment.number)
    status = submitted.status() if submitted is not None else 200
    return render_template(
        "reports/workspace.html", consultation=consultation, data=data, filters=filters,
        all_sections=_sections(data.comments), sections=_sections(shown), shown=len(shown), sharing=sharing,
        answer_forms=answer_forms, same_forms=same_forms, joint=joint, submitted=submitted), status


@permissions.require(permissions.can_answer)
def workspace(slug: str):
    consultation = consultation_or_404(slug, public=False)
    return _workspace_page(consultation, report_comments(consultation.id))


# --- answering ----------------------------------------------------------------------------------

def _load(slug: str) -> tuple[Consultation, ReportData]:
    consultation = consultation_or_404(slug, public=False)
    return consultation, report_comments(consultation.id)


def _comment(data: ReportData, post_id: int) -> ReportComment:
    comment = next((c for c in data.comments if c.post.id == post_id), None)
    if comment is None:
        abort(404)  # not a comment of this report (a reply, a pending or hidden comment, another consultation)
    return comment


def _back_to(consultation: Consultation, comment: ReportComment):
    return redirect(url_for("report_workspace.workspace", slug=consultation.slug, **Filters.from_query().args,
                            _anchor=f"uwaga-{comment.post.id}"), 303)


def _actor():
    return current_user._get_current_object()


@permissions.require(permissions.can_answer)
@validates_own_csrf
def answer(slug: str, post_id: int):
    consultation, data = _load(slug)
    comment = _comment(data, post_id)
    form = AnswerForm(post_id=post_id)
    if not form.validate_on_submit():
        return _workspace_page(consultation, data, form)
    outcome = answers.answer_comments(_actor(), consultation.id, [comment.post], Decision(form.decision.data),
                                      form.justification.data)
    flash_outcome(bool(outcome.changed_post_ids),
                  _("Zapisano odpowiedź na uwagę nr %(number)s.", number=comment.number),
                  _("Bez zmian: uwaga nr %(number)s ma już taką odpowiedź.", number=comment.number))
    return _back_to(consultation, comment)


@permissions.require(permissions.can_answer)
@validates_own_csrf
def same_as(slug: str, post_id: int):
    consultation, data = _load(slug)
    comment = _comment(data, post_id)
    form = SameAnswerForm(post_id=post_id)
    if not form.validate_on_submit():
        return _workspace_page(consultation, data, form)
    number = form.source_number.data
    if number > data.total:
        form.source_number.errors.append(_("Nie ma uwagi nr %(number)s — uwagi mają numery od 1 do %(total)s.",
                                           number=number, total=data.total))
        return _workspace_page(consultation, data, form)
    source = data.comments[number - 1]
    try:
        outcome = answers.answer_as_in(_actor(), consultation.id, comment.post, source.post)
    except answers.AnswerError as error:
        form.source_number.errors.append(error.message)
        return _workspace_page(consultation, data, form)
    flash_outcome(bool(outcome.changed_post_ids),
                  _("Uwaga nr %(number)s ma teraz tę samą odpowiedź co uwaga nr %(source)s.",
                    number=comment.number, source=number),
                  _("Bez zmian: uwaga nr %(number)s ma już tę samą odpowiedź co uwaga nr %(source)s.",
                    number=comment.number, source=number))
    return _back_to(consultation, comment)


@permissions.require(permissions.can_answer)
@validates_own_csrf
def answer_together(slug: str):
    consultation, data = _load(slug)
    form = JointAnswerForm()
    if not form.validate_on_submit():
        return _workspace_page(consultation, data, form)
    by_post = {comment.post.id: comment for comment in data.comments}
    chosen = {by_post[post_id].number: by_post[post_id] for post_id in form.post_ids.data if post_id in by_post}
    unknown = [number for number in form.typed_numbers() if not 1 <= number <= data.total]
    if unknown:
        form.numbers.errors.append(_("Nie ma uwag o numerach: %(numbers)s — uwagi mają numery od 1 do %(total)s.",
                                     numbers=", ".join(map(str, unknown)), total=data.total))
        return _workspace_page(consultation, data, form)
    chosen.update((number, data.comments[number - 1]) for number in form.typed_numbers())
    if not chosen:  # ticked comments that left the report meanwhile (hidden, moved)
        form.numbers.errors.append(_("Zaznacz uwagi na liście albo wpisz ich numery."))
        return _workspace_page(consultation, data, form)
    comments = [chosen[number] for number in sorted(chosen)]
    answers.answer_comments(_actor(), consultation.id, [c.post for c in comments], Decision(form.decision.data),
                            form.justification.data)
    flash(_("Zapisano wspólną odpowiedź na uwagi nr %(numbers)s.",
            numbers=", ".join(str(c.number) for c in comments)), "success")
    return _back_to(consultation, comments[0])
