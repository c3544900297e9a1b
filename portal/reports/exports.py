"""The report's table of comments as files: CSV, XLSX and JSON (open data).

One row per numbered comment, in report order, with the same numbers as the page. A private
person writing on the site is never named ("osoba prywatna"); a comment received outside the
portal is signed as staff entered it, and "Sposób złożenia" says how it came. Texts are the
Markdown people and staff typed.

CSV and XLSX are written by `portal.spreadsheets` (UTF-8 CSV with a byte-order mark, comma
separated, as the portal's other CSV exports; Excel users get the XLSX file), which passes every
value through `safe_cell`, so a comment such as "=SUM(A1:A9)" is shown as text and never run as
a formula. JSON keeps the texts exactly as typed (it is not a spreadsheet).

The files are made in pieces from the comments as they are read (`export_rows`) and sent while
they are written, never all in memory; `table` and `to_json` are the same table and document
in one piece, from the report's data.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from flask import current_app
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


def header() -> list[str]:
    return [spreadsheets.cell(col.title) for col in columns()]


def rows(comments: Iterable[ReportComment]) -> Iterator[list]:
    """One row per comment, as they come, every value already through `spreadsheets.cell`."""
    cols = columns()
    for comment in comments:
        yield [spreadsheets.cell(col.value(comment)) for col in cols]


def table(data: ReportData) -> tuple[list[str], list[list]]:
    """Header and rows, every value already through `spreadsheets.cell`."""
    return header(), list(rows(data.comments))


def csv_chunks(comments: Iterable[ReportComment]) -> Iterator[bytes]:
    """The table as CSV, in pieces written as the comments come."""
    return spreadsheets.csv_chunks(header(), rows(comments))


def xlsx_chunks(comments: Iterable[ReportComment], sheet_title: str) -> Iterator[bytes]:
    """The table as one XLSX sheet, in pieces of the file written as the comments come."""
    return spreadsheets.xlsx_chunks(header(), rows(comments), sheet_title, widths=WIDTHS, wrap_text=True)


def to_json(consultation: Consultation, report: Report | None, data: ReportData, report_url: str) -> dict:
    return _document(consultation, report, report_url, [_comment_data(comment) for comment in data.comments])


def _document(consultation: Consultation, report: Report | None, report_url: str, comments: list) -> dict:
    published_at = report.published_at if report is not None else None
    return {
        "consultation": {"slug": consultation.slug, "title": consultation.title},
        "report_url": report_url,
        "published_at": published_at.isoformat() if published_at else None,
        "comments": comments,
    }


JSON_CHUNK_CHARACTERS = 64 * 1024  # a streamed JSON's pieces: about this long, whole comments each


def json_chunks(consultation: Consultation, report: Report | None, comments: Iterable[ReportComment],
                report_url: str) -> Iterator[bytes]:
    """`to_json`'s document as `jsonify` writes it outside debug mode (the app's JSON settings:
    keys sorted, compact, a final newline), in pieces written as the comments come.

    What surrounds the comments is written now, from the consultation and report as loaded."""
    # The document with no comments, cut where they go. Inside a JSON string a quote is always
    # escaped, so the cut can only fall at the key itself.
    before, after = _dumps(_document(consultation, report, report_url, [])).split('"comments":[]', 1)
    return _json_pieces(before + '"comments":[', comments, "]" + after + "\n")


def _json_pieces(before: str, comments: Iterable[ReportComment], after: str) -> Iterator[bytes]:
    yield before.encode("utf-8")  # the download starts before the comments are read
    pieces, size = [], 0
    for index, comment in enumerate(comments):
        piece = ("," if index else "") + _dumps(_comment_data(comment))
        pieces.append(piece)
        size += len(piece)
        if size >= JSON_CHUNK_CHARACTERS:
            yield "".join(pieces).encode("utf-8")
            pieces, size = [], 0
    pieces.append(after)
    yield "".join(pieces).encode("utf-8")


def _dumps(value) -> str:
    return current_app.json.dumps(value, separators=(",", ":"))


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
