"""Staff: the answer workspace, where moderators and admins answer every comment for the report.

The page lists the report's comments (numbered as in the report, section by section), PER_PAGE
at a time (`?strona=`), with their current answers and a form for each. A comment is answered on
its own, together with others ticked on the page or named by number (on any page; one shared
answer), or "jak w uwadze N". The rules live in `answers.py`; a view validates its form, calls
one service, flashes and goes back to the comment, on its page (303).

A form that fails (a missing justification, an unknown number, a stale CSRF token) re-shows the
page it was sent from with the typed text in that comment's form and the error next to its
field. The filters (section, only unanswered) and the page travel in the query string, through
every form and back. The page costs the same few queries at 10 and at 10,000 comments: the
progress and the section list are counted (`counts.report_numbers`), only the page is read.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import pagination, permissions
from portal.bad_input import DB_INT_MAX, bounded_int
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.forms import Form, validates_own_csrf
from portal.reports import answers, counts
from portal.reports.models import Decision
from portal.reports.services import ReportComment, Selection, comments_page, page_holding, select_comments
from portal.reports.workspace_forms import AnswerForm, JointAnswerForm, SameAnswerForm
from portal.web import flash_outcome

PER_PAGE = 25
SHARING_SHOWN = 10  # numbers named in "Tę samą odpowiedź ma też: …"; past them, how many more


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

    @property
    def selection(self) -> Selection:
        return Selection(thread_id=self.thread_id, unanswered_only=self.unanswered_only)


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


def _workspace_page(consultation: Consultation, submitted: Form | None = None,
                    numbers: counts.ReportNumbers | None = None):
    """A page of the workspace: four queries (the person, the consultation, the numbers, the page),
    whatever the number of comments. `submitted` is a form re-shown with what was typed and its errors."""
    filters = Filters.from_query()
    numbers = numbers or counts.report_numbers(consultation.id, people=False)
    # The comments a re-shown form is about stay on the page, whatever the filters say.
    if isinstance(submitted, JointAnswerForm):
        pinned = list(submitted.post_ids.data or ())
    else:
        pinned = [submitted.post_id] if submitted is not None else []
    page = comments_page(consultation.id, filters.selection, pagination.requested_page(), PER_PAGE,
                         numbers.listed(filters.selection), pinned=pinned, sharing_numbers=SHARING_SHOWN + 1)

    def row_form(form_class, comment: ReportComment, **defaults):
        if type(submitted) is form_class and submitted.post_id == comment.post.id:
            return submitted
        return form_class(formdata=None, post_id=comment.post.id, **defaults)

    answer_forms, same_forms = {}, {}
    for comment in page.comments:
        current = comment.answer
        answer_forms[comment.post.id] = row_form(
            AnswerForm, comment, decision=Decision(current.decision).value if current else None,
            justification=current.justification if current else None)
        same_forms[comment.post.id] = row_form(SameAnswerForm, comment)
    joint = submitted if isinstance(submitted, JointAnswerForm) else JointAnswerForm(formdata=None)
    status = submitted.status() if submitted is not None else 200
    return render_template(
        "reports/workspace.html", consultation=consultation, data=numbers, filters=filters, page=page,
        form_args={**filters.args, pagination.PAGE_ARGUMENT: page.number if page.number > 1 else None},
        all_sections=[Section(part.thread.id, part.section_heading, []) for part in numbers.parts],
        sections=_sections(page.comments), shown=page.listed, sharing_shown=SHARING_SHOWN,
        answer_forms=answer_forms, same_forms=same_forms, joint=joint, submitted=submitted), status


@permissions.require(permissions.can_answer)
def workspace(slug: str):
    return _workspace_page(consultation_or_404(slug, public=False))


# --- answering ----------------------------------------------------------------------------------

def _comments(consultation: Consultation, post_ids=(), numbers=()) -> list[ReportComment]:
    """The comments of this report named by id or number, with their places in the list shown: one query."""
    return select_comments(consultation.id, Filters.from_query().selection, post_ids=post_ids, numbers=numbers)


def _comment(comments: list[ReportComment], post_id: int) -> ReportComment:
    comment = next((c for c in comments if c.post.id == post_id), None)
    if comment is None:
        abort(404)  # not a comment of this report (a reply, a pending or hidden comment, another consultation)
    return comment


def _back_to(consultation: Consultation, comments: list[ReportComment]):
    """To the page the form was sent from, at the first answered comment on it; or to the page of the
    first answered comment still in the list. A comment answered while only unanswered ones are
    listed has left the list: the page it was on now shows the ones after it."""
    filters = Filters.from_query()
    sent_from = pagination.requested_page()
    listed = [] if filters.unanswered_only else [c for c in comments if c.place is not None]
    here = [c for c in listed if page_holding(c.place, PER_PAGE) == sent_from]
    target = (here or listed or comments)[0]
    page = page_holding(target.place, PER_PAGE) if not here and listed else sent_from
    return redirect(url_for("report_workspace.workspace", slug=consultation.slug, **filters.args,
                            **{pagination.PAGE_ARGUMENT: page if page > 1 else None},
                            _anchor=f"uwaga-{target.post.id}"), 303)


def _actor():
    return current_user._get_current_object()


@permissions.require(permissions.can_answer)
@validates_own_csrf
def answer(slug: str, post_id: int):
    consultation = consultation_or_404(slug, public=False)
    comment = _comment(_comments(consultation, post_ids=[post_id]), post_id)
    form = AnswerForm(post_id=post_id)
    if not form.validate_on_submit():
        return _workspace_page(consultation, form)
    outcome = answers.answer_comments(_actor(), consultation.id, [comment.post], Decision(form.decision.data),
                                      form.justification.data)
    flash_outcome(bool(outcome.changed_post_ids),
                  _("Zapisano odpowiedź na uwagę nr %(number)s.", number=comment.number),
                  _("Bez zmian: uwaga nr %(number)s ma już taką odpowiedź.", number=comment.number))
    return _back_to(consultation, [comment])


@permissions.require(permissions.can_answer)
@validates_own_csrf
def same_as(slug: str, post_id: int):
    consultation = consultation_or_404(slug, public=False)
    form = SameAnswerForm(post_id=post_id)
    valid = form.validate_on_submit()
    number = form.source_number.data if valid else None
    found = _comments(consultation, post_ids=[post_id], numbers=[number] if number and number <= DB_INT_MAX else ())
    comment = _comment(found, post_id)
    if not valid:
        return _workspace_page(consultation, form)
    source = next((c for c in found if c.number == number), None)
    if source is None:
        numbers = counts.report_numbers(consultation.id, people=False)
        form.source_number.errors.append(_("Nie ma uwagi nr %(number)s — uwagi mają numery od 1 do %(total)s.",
                                           number=number, total=numbers.total))
        return _workspace_page(consultation, form, numbers)
    try:
        outcome = answers.answer_as_in(_actor(), consultation.id, comment.post, source.post)
    except answers.AnswerError as error:
        form.source_number.errors.append(error.message)
        return _workspace_page(consultation, form)
    flash_outcome(bool(outcome.changed_post_ids),
                  _("Uwaga nr %(number)s ma teraz tę samą odpowiedź co uwaga nr %(source)s.",
                    number=comment.number, source=number),
                  _("Bez zmian: uwaga nr %(number)s ma już tę samą odpowiedź co uwaga nr %(source)s.",
                    number=comment.number, source=number))
    return _back_to(consultation, [comment])


@permissions.require(permissions.can_answer)
@validates_own_csrf
def answer_together(slug: str):
    consultation = consultation_or_404(slug, public=False)
    form = JointAnswerForm()
    if not form.validate_on_submit():
        return _workspace_page(consultation, form)
    ticked, typed = set(form.post_ids.data or ()), form.typed_numbers()
    found = _comments(consultation, post_ids=ticked, numbers=[number for number in typed if number <= DB_INT_MAX])
    by_number = {comment.number: comment for comment in found}
    unknown = [number for number in typed if number not in by_number]
    if unknown:
        numbers = counts.report_numbers(consultation.id, people=False)
        form.numbers.errors.append(_("Nie ma uwag o numerach: %(numbers)s — uwagi mają numery od 1 do %(total)s.",
                                     numbers=", ".join(map(str, unknown)), total=numbers.total))
        return _workspace_page(consultation, form, numbers)
    chosen = {c.number: c for c in found if c.post.id in ticked or c.number in typed}
    if not chosen:  # ticked comments that left the report meanwhile (hidden, moved)
        form.numbers.errors.append(_("Zaznacz uwagi na liście albo wpisz ich numery."))
        return _workspace_page(consultation, form)
    comments = [chosen[number] for number in sorted(chosen)]
    answers.answer_comments(_actor(), consultation.id, [c.post for c in comments], Decision(form.decision.data),
                            form.justification.data)
    flash(_("Zapisano wspólną odpowiedź na uwagi nr %(numbers)s.",
            numbers=", ".join(str(c.number) for c in comments)), "success")
    return _back_to(consultation, comments)
