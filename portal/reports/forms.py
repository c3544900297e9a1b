"""The report's forms: the summary staff write, and the public table's filters."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

from portal.forms import Form
from portal.reports.exports import section_label
from portal.reports.models import DECISION_LABELS
from portal.reports.services import ReportComment

SUMMARY_MAX = 20_000


class SummaryForm(Form):
    summary = TextAreaField(_l("Przebieg konsultacji"), validators=[
        Length(max=SUMMARY_MAX, message=_l("Opis może mieć najwyżej %(max)d znaków."))])

    def refuse_empty_summary(self) -> None:
        """Publishing needs the summary (a report says how the consultation ran): say so at the field."""
        self.summary.errors = [*self.summary.errors, _("Opisz przebieg konsultacji przed publikacją raportu.")]


def section_key(comment: ReportComment) -> str:
    """The filter value of a comment's part of the document: "2" for § 2, "w7" for thread 7."""
    if comment.section_number is not None:
        return str(comment.section_number)
    return f"w{comment.thread.id}"


class ReportFilterForm(Form):
    """GET filters of the public table; no CSRF (it changes nothing)."""

    class Meta(Form.Meta):
        csrf = False

    czesc = SelectField(_l("Część dokumentu"), default="")
    rozstrzygniecie = SelectField(_l("Rozstrzygnięcie"), default="")

    def __init__(self, comments: list[ReportComment], **kwargs):
        super().__init__(**kwargs)
        sections = {section_key(comment): section_label(comment) for comment in comments}
        self.czesc.choices = [("", _("wszystkie części"))] + list(sections.items())
        self.rozstrzygniecie.choices = [("", _("wszystkie rozstrzygnięcia"))] + [
            (decision.value, str(label)) for decision, label in DECISION_LABELS.items()]
        self.drop_unknown_choices()

    def drop_unknown_choices(self) -> None:
        """A value not on the list (an edited URL, a section without comments) filters nothing."""
        for select in (self.czesc, self.rozstrzygniecie):
            if select.data not in {value for value, _label in select.choices}:
                select.data = ""

    @property
    def active(self) -> bool:
        return bool(self.czesc.data or self.rozstrzygniecie.data)

    def apply(self, comments: list[ReportComment]) -> list[ReportComment]:
        """The comments that match the chosen section and decision (numbers stay as in the report)."""
        section, decision = self.czesc.data, self.rozstrzygniecie.data
        return [comment for comment in comments
                if (not section or section_key(comment) == section)
                and (not decision or (comment.answer is not None and comment.answer.decision == decision))]
