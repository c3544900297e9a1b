"""The report's table of comments as files: CSV, XLSX and JSON (open data).

One row per numbered comment, in report order, with the same numbers as the page. A private
person writing on the site is never named ("osoba prywatna"); a comment received outside the
portal is signed as staff entered it, and "Sposób złożenia" says how it came. Texts are the
Markdown people and staff typed.

CSV and XLSX are written by `portal.spreadsheets` (UTF-8 CSV with a byte-order mark, comma
separated, as the portal's other CSV exports; Excel users get the XLSX file), which passes every
value through `safe_cell`, so a comment such as "=SUM(A1:A9)" is shown as text and never run as
a formula. JSON keeps the texts exactly as typed (it is not a spreadsheet).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _

from portal import spreadsheets
from portal.consultations.models import Consultation
from portal.reports.offline import channel_label
from portal.reports.models import Report
from portal.reports.services import ReportComment, ReportData


@dataclass
class Column:
    title: str
    value: Callable[[ReportComment], object]


def submitter_label(comment: ReportComment) -> str:
    return comment.submitter or _("osoba prywatna")


def section_label(comment: ReportComment) -> str:
    """"Rozdział 1. Postanowienia ogólne": the document's own unit names, never renamed."""
    return comment.section_heading


def paragraph_label(comment: ReportComment) -> str:
    """"Rozdział 1 § 2", "§ 3 ust. 2" — "" for a comment on a whole section or outside sections."""
    if comment.section_number is None or not comment.paragraph_label:
        return ""
    return comment.reference


def changes_label(comment: ReportComment) -> str:
    if not comment.changed_sections:
        return ""
    sections = ", ".join(comment.changed_labels)
    return _("wprowadzono zmianę: %(sections)s", sections=sections)


def columns() -> list[Column]:
    return [
        Column(_("Nr uwagi"), lambda c: c.number),
        Column(_("Zgłaszający"), submitter_label),
        Column(_("Część dokumentu"), section_label),
        Column(_("Ustęp"), paragraph_label),
        Column(_("Treść uwagi"), lambda c: c.post.body),
        Column(_("Rozstrzygnięcie"), lambda c: c.answer.decision_label if c.answer else ""),
        Column(_("Uzasadnienie"), lambda c: c.answer.justification if c.answer else ""),
        Column(_("Odpowiedź jak w uwadze nr"), lambda c: c.shared_with),
        Column(_("Zmiany w dokumencie"), changes_label),
        Column(_("Sposób złożenia"), lambda c: channel_label(c.post)),
    ]


# Column widths in characters, in the order of `columns()`: the texts get the room.
WIDTHS = (8, 28, 28, 14, 60, 22, 60, 12, 24, 28)


def table(data: ReportData) -> tuple[list[str], list[list]]:
    """Header and rows, every value already through `spreadsheets.cell`."""
    cols = columns()
    return spreadsheets.safe_table([col.title for col in cols],
                                   ([col.value(comment) for col in cols] for comment in data.comments))


def to_csv(data: ReportData) -> bytes:
    return spreadsheets.to_csv(*table(data))


def to_xlsx(data: ReportData, sheet_title: str) -> bytes:
    return spreadsheets.to_xlsx(*table(data), sheet_title, widths=WIDTHS, wrap_text=True)


def to_json(consultation: Consultation, report: Report | None, data: ReportData, report_url: str) -> dict:
    published_at = report.published_at if report is not None else None
    return {
        "consultation": {"slug": consultation.slug, "title": consultation.title},
        "report_url": report_url,
        "published_at": published_at.isoformat() if published_at else None,
        "comments": [_comment_data(comment) for comment in data.comments],
    }


def _comment_data(comment: ReportComment) -> dict:
    answer = comment.answer
    return {
        "number": comment.number,
        "submitter": submitter_label(comment),
        "organisation": comment.post.organisation.name if comment.post.organisation else None,
        "channel": comment.post.channel,
        "received_on": comment.post.received_on.isoformat() if comment.post.received_on else None,
        "section": {"number": comment.section_number, "label": comment.section_label or None,
                    "title": comment.section_title},
        "paragraph": comment.post.paragraph_number if comment.section_number is not None else None,
        "paragraph_label": comment.paragraph_label or None,
        "comment": comment.post.body,
        "decision": {"code": answer.decision.value, "label": answer.decision_label} if answer else None,
        "justification": answer.justification if answer else None,
        "shared_with": comment.shared_with,
        "changed_sections": comment.changed_sections,
    }
