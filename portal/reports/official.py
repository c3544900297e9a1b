"""The official report ("sprawozdanie z konsultacji") as DOCX and PDF, in the form an office
attaches to the City Council's resolution: the consultation's details, its timeline, the numbers,
how it ran, and the table of comments with the decision and its justification.

One `OfficialReport`, every text already plain, is written out twice: by python-docx (`to_docx`)
and by WeasyPrint (templates/reports/official.html, cached like the announcement's PDF). Texts
people typed in Markdown go in as plain paragraphs taken from their sanitised HTML
(`plain_paragraphs`). The numbers are the report's (services.report_comments); who may download
is the report's rule (publishing.report_to_show): everyone once it is published, staff before, and
then the document is marked as a draft. It is written in the consultations' language
(CONTENT_LANGUAGE) whatever the interface speaks: it is the office's document.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.consultations import pdf
from portal.consultations.models import PhaseKind
from portal.downloads import file_response
from portal.extensions import limiter
from portal.formatting import local_date, phase_when
from portal.reports import exports, publishing
from portal.reports.models import DECISION_LABELS
from portal.reports.offline import channel_note
from portal.reports.services import ReportComment, ReportData


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "DejaVu Sans"  # has every Polish letter; the file only names it, as office suites expect
COMMENT_COLUMNS_CM = (1.2, 3.6, 2.8, 8.0, 2.6, 7.5)  # 25.7 cm: landscape A4 within 2 cm margins


@dataclass
class Row:
    number: int
    submitter: str
    channel: str  # "uwaga przesłana pocztą, 25 września 2020 r."; empty for one written on the site
    section: str
    thread_id: int
    content: list[str]
    decision: str
    justification: list[str]
    shared_with: int | None

    def cells(self) -> list[list[str]]:
        """The row in the table's columns, each a list of paragraphs."""
        submitter = [text for text in (self.submitter, self.channel) if text]
        return [[str(self.number)], submitter, [self.section], self.content, [self.decision], self.justification]


@dataclass
class OfficialReport:
    slug: str
    title: str
    owner: str
    draft: bool
    facts: list[tuple[str, str]]
    phases: list[tuple[str, str]]
    numbers: list[tuple[str, int]]
    decisions: list[tuple[str, int]]
    summary: list[str]
    rows: list[Row]
    source_url: str

    @property
    def file_name(self) -> str:
        return _("Sprawozdanie z konsultacji – %(title)s", title=self.title)


# --- what the document says --------------------------------------------------------------------

def official_report(view: publishing.ReportView) -> OfficialReport:
    """The report as the document shows it (call it in the language the document is written in)."""
    consultation, data = view.consultation, view.data
    return OfficialReport(
        slug=consultation.slug, title=consultation.title, owner=current_app.config["SITE_OWNER"],
        draft=not view.is_published, facts=_facts(view),
        phases=[(phase_when(phase, consultation.timezone), phase.title) for phase in consultation.phases],
        numbers=[(_("Uwagi łącznie"), data.total),
                 (_("Organizacje, w których imieniu zgłoszono uwagi"), data.organisations()),
                 (_("Osoby, które zgłosiły uwagi"), data.authors())],
        decisions=_decisions(data),
        summary=plain_paragraphs(view.report.summary_html if view.report else ""),
        rows=[_row(comment, consultation.timezone) for comment in data.comments],
        source_url=url_for("reports.report", slug=consultation.slug, _external=True))


def _decisions(data: ReportData) -> list[tuple[str, int]]:
    counts = [(str(DECISION_LABELS[decision]), count) for decision, count in data.by_decision().items()]
    if data.answered < data.total:
        counts.append((_("bez odpowiedzi"), data.total - data.answered))
    return counts


def _facts(view: publishing.ReportView) -> list[tuple[str, str]]:
    consultation, site = view.consultation, current_app.config["SITE_NAME"]
    kinds = {phase.kind: phase for phase in consultation.phases}
    facts = [(_("Organizator"), current_app.config["SITE_OWNER"]), (_("Tytuł konsultacji"), consultation.title)]
    if consultation.lead:
        facts.append((_("Przedmiot konsultacji"), consultation.lead))
    if PhaseKind.E_CONSULTATION in kinds:
        facts.append((_("Termin konsultacji elektronicznych"),
                      phase_when(kinds[PhaseKind.E_CONSULTATION], consultation.timezone)))
    facts.append((_("Adresaci konsultacji"), _("organizacje pozarządowe i mieszkańcy; uwagi mogła zgłosić "
                                              "każda osoba z kontem na portalu %(site)s, we własnym imieniu "
                                              "lub w imieniu organizacji", site=site)))
    forms = [text for kind, text in (
        (PhaseKind.GROUP_SIGNUP, _("praca w grupach roboczych")),
        (PhaseKind.MEETINGS, _("spotkania konsultacyjne")),
        (PhaseKind.E_CONSULTATION, _("zgłaszanie uwag do projektu na portalu %(site)s", site=site)),
    ) if kind in kinds]
    if forms:
        facts.append((_("Forma konsultacji"), "; ".join(forms)))
    facts.append((_("Strona konsultacji"),
                  url_for("consultations.announcement", slug=consultation.slug, _external=True)))
    if view.is_published:
        report, zone = view.report, consultation.timezone
        facts.append((_("Data publikacji raportu"), local_date(report.first_published_at or report.published_at, zone)))
        if report.updated_at:  # a correction published later
            facts.append((_("Data aktualizacji raportu"), local_date(report.updated_at, zone)))
    return facts


def _row(comment: ReportComment, timezone: str) -> Row:
    answer = comment.answer
    if comment.shared_with:
        justification = [_("jak w uwadze %(number)s", number=comment.shared_with)]
    else:
        justification = plain_paragraphs(answer.justification_html) if answer else []
    if comment.changed_sections:
        justification.append(exports.changes_label(comment))
    return Row(number=comment.number, submitter=exports.submitter_label(comment),
               channel=channel_note(comment.post, timezone), section=_section(comment),
               thread_id=comment.thread.id, content=plain_paragraphs(comment.post.body_html),
               decision=answer.decision_label if answer else _("bez odpowiedzi"),
               justification=justification, shared_with=comment.shared_with)


def _section(comment: ReportComment) -> str:
    """"§ 2 ust. 1", "Rozdział 2" (as written), or the thread's title ("Uwagi ogólne")."""
    if comment.section_number is None:
        return comment.section_title
    return comment.reference


# --- Markdown's HTML as plain paragraphs --------------------------------------------------------

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML (DOCX)
SPACES = re.compile(r"[ \t\r]+")


class _PlainText(HTMLParser):
    """Sanitised HTML (portal.sanitize's tags) as paragraphs: a line break stays one, a list item
    starts with "– " or its number, table cells are joined by " | ", a link keeps its address."""

    BLOCKS = {"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "table", "tr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.text: list[str] = []
        self.marker = ""
        self.lists: list[int | None] = []  # per open list: the next number (ol) or None (ul)
        self.link: tuple[str, int] | None = None
        self.pre = self.cells = 0
        self.in_row = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("ul", "ol"):
            self._end_paragraph()
            start = attributes.get("start") or "1"
            self.lists.append((int(start) if start.isdigit() else 1) if tag == "ol" else None)
        elif tag == "li":
            self._end_paragraph()
            self.marker = "  " * (len(self.lists) - 1) + self._next_marker()
        elif tag in ("td", "th"):
            self.text.append(" | " if self.cells else "")
            self.cells += 1
        elif tag == "br":
            self.text.append("\n")
        elif tag == "a":
            self.link = (attributes.get("href") or "", len(self.text))
        elif tag in self.BLOCKS:
            self._end_paragraph()
            if tag == "pre":
                self.pre += 1
            elif tag == "tr":
                self.in_row, self.cells = True, 0

    def handle_endtag(self, tag):
        if tag in ("ul", "ol"):
            self._end_paragraph()
            if self.lists:
                self.lists.pop()
        elif tag == "a" and self.link is not None:
            href, start = self.link
            shown = "".join(self.text[start:]).strip()
            if href and shown not in href:
                self.text.append(f" ({href.removeprefix('mailto:')})")
            self.link = None
        elif tag == "li" or tag in self.BLOCKS:
            self._end_paragraph()
            if tag == "pre":
                self.pre = max(self.pre - 1, 0)
            elif tag == "tr":
                self.in_row = False

    def handle_data(self, data):
        data = CONTROL.sub("", data)
        if self.in_row and not data.strip():
            return  # the source's line breaks between cells
        if not self.pre:
            data = SPACES.sub(" ", data)
        if self.text and self.text[-1] == "\n":
            data = data.removeprefix("\n")  # <br> is followed by the source's own line break
        self.text.append(data)

    def _next_marker(self) -> str:
        number = self.lists[-1] if self.lists else None
        if number is None:
            return "– "
        self.lists[-1] = number + 1
        return f"{number}. "

    def _end_paragraph(self):
        text = "\n".join(line.rstrip() for line in "".join(self.text).split("\n")).strip()
        self.text = []
        if text:
            self.paragraphs.append(self.marker + text)
            self.marker = ""


def plain_paragraphs(html: str) -> list[str]:
    """The text of sanitised HTML as paragraphs ("\\n" inside one is a line break)."""
    parser = _PlainText()
    parser.feed(html or "")
    parser.close()
    parser._end_paragraph()
    return parser.paragraphs


# --- DOCX ---------------------------------------------------------------------------------------

def to_docx(report: OfficialReport) -> bytes:
    document = Document()
    _set_up(document, report)
    if report.draft:
        _write(document.add_paragraph(), _("PROJEKT – wersja robocza. Raport nie jest jeszcze opublikowany."),
               bold=True)
    document.add_paragraph(report.owner)
    document.add_heading(_("Sprawozdanie z konsultacji"), level=0)
    _write(document.add_paragraph(), report.title, bold=True)
    document.add_heading(_("Informacje o konsultacjach"), level=1)
    _table(document, None, [[[label], [value]] for label, value in report.facts], (6.5, 19.2))
    if report.phases:
        document.add_heading(_("Harmonogram"), level=1)
        _table(document, [_("Termin"), _("Etap")], [[[when], [title]] for when, title in report.phases], (6.5, 19.2))
    document.add_heading(_("Uwagi w liczbach"), level=1)
    _table(document, None, [[[label], [str(count)]] for label, count in report.numbers], (12, 3))
    _table(document, [_("Rozstrzygnięcie"), _("Liczba uwag")],
           [[[label], [str(count)]] for label, count in report.decisions], (12, 3))
    document.add_heading(_("Przebieg konsultacji"), level=1)
    for paragraph in report.summary:
        _write(document.add_paragraph(), paragraph)
    document.add_heading(_("Zestawienie uwag zgłoszonych w konsultacjach wraz ze sposobem ich rozpatrzenia"), level=1)
    _table(document, _comment_header(), [row.cells() for row in report.rows], COMMENT_COLUMNS_CM)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _comment_header() -> list[str]:
    return [_("Lp."), _("Zgłaszający"), _("Część dokumentu"), _("Treść uwagi"), _("Rozstrzygnięcie"),
            _("Uzasadnienie")]


def _set_up(document, report: OfficialReport) -> None:
    """Landscape A4, one font with Polish letters in every style, the draft mark and page numbers."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(1.8)
    for style in document.styles:
        if hasattr(style, "font"):
            _name_font(style.element.get_or_add_rPr())
            if style.name.startswith(("Heading", "Title")):
                style.font.color.rgb = RGBColor(0, 0, 0)
    normal = document.styles["Normal"]
    normal.font.size = Pt(9.5)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), current_app.config["CONTENT_LANGUAGE"])
    normal.element.get_or_add_rPr().append(language)
    properties = document.core_properties
    properties.title, properties.author = f"{_('Sprawozdanie z konsultacji')}: {report.title}", report.owner
    properties.language = current_app.config["CONTENT_LANGUAGE"]
    if report.draft:
        _write(section.header.paragraphs[0], _("PROJEKT – wersja robocza"), bold=True)
    footer = section.footer.paragraphs[0]
    _write(footer, _("Źródło: %(url)s", url=report.source_url) + "    ")
    _field(footer, "PAGE")
    footer.add_run(" / ")
    _field(footer, "NUMPAGES")


def _name_font(run_properties) -> None:
    fonts = run_properties.get_or_add_rFonts()
    for name in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{name}"), FONT)
    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)  # a theme font would win over the named one


def _field(paragraph, instruction: str) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("end", None)):
        element = OxmlElement("w:fldChar" if kind else "w:instrText")
        if kind:
            element.set(qn("w:fldCharType"), kind)
        else:
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        run._r.append(element)


def _table(document, header: list[str] | None, rows: list[list[list[str]]], widths_cm) -> None:
    """A bordered table; its header row (if any) is repeated at the top of every page."""
    table = document.add_table(rows=0, cols=len(widths_cm))
    table.style = "Table Grid"
    table.autofit = False
    if header:
        cells = table.add_row().cells
        for cell, text in zip(cells, header):
            _write(cell.paragraphs[0], text, bold=True)
        table.rows[0]._tr.get_or_add_trPr().append(_on(OxmlElement("w:tblHeader")))
    for values in rows:
        for cell, paragraphs in zip(table.add_row().cells, values):
            for index, text in enumerate(paragraphs):
                _write(cell.paragraphs[0] if index == 0 else cell.add_paragraph(), text)
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)  # Word reads the cells' widths, LibreOffice the grid's
    document.add_paragraph()


def _on(element):
    element.set(qn("w:val"), "true")
    return element


def _write(paragraph, text: str, bold: bool = False) -> None:
    """The text as one run; its line breaks stay line breaks."""
    run = paragraph.add_run()
    run.bold = bold or None
    for index, line in enumerate(CONTROL.sub("", text).split("\n")):
        if index:
            run.add_break()
        run.add_text(line)


# --- routes -------------------------------------------------------------------------------------

def report_docx(slug: str):
    view = publishing.report_to_show(slug)
    with force_locale(current_app.config["CONTENT_LANGUAGE"]):
        report = official_report(view)
        return _download(view, to_docx(report), report.file_name + ".docx", DOCX)


@limiter.limit(lambda: current_app.config["PDF_LIMIT_PER_IP"])
def report_pdf(slug: str):
    """WeasyPrint runs once per version of the document (pdf.cached), at most N a minute per address."""
    view = publishing.report_to_show(slug)
    with force_locale(current_app.config["CONTENT_LANGUAGE"]):
        report = official_report(view)
        html = render_template("reports/official.html", report=report, columns=_comment_header())
        _key, document = pdf.cached(f"official:{view.consultation.id}", html)
        return _download(view, document, report.file_name + ".pdf", "application/pdf")


def _download(view: publishing.ReportView, content: bytes, file_name: str, mimetype: str):
    return file_response(content, file_name, mimetype=mimetype, private=not view.is_published)  # a draft: staff's preview
