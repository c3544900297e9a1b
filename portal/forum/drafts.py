"""The draft document of a consultation: Markdown split into sections and paragraphs, named as written.

A top-level heading (level 1 or 2) starts a section. The unit and number the office wrote in
front of its title are the section's name as written ("## Rozdział 9. Sposób oceny" is
"Rozdział 9", "## § 3." is "§ 3", "## Art. 2" is "Art. 2"); a heading without one is
"§ N", N its place in the document. The portal never renames a unit: the text says "w rozdziale
9" and the page, the report and the exports say "Rozdział 9". Two sections written with the
same name are refused (a reference to them would be ambiguous).

Every top-level block under a heading — a paragraph, a list, a quotation, a table, a code
block — is one paragraph, stored as its own Markdown source and as HTML from the one sanitiser.
Its name is the unit it opens with as written ("§ 4. Program…" is "§ 4", "Art. 5", "ust. 2",
"pkt 3"), else "ust. M", M its place in the section. Two blocks make one paragraph in two cases:
a level-3 (or deeper) heading belongs to the block it introduces, and a list or table belongs to
the paragraph right before it that announces it with a colon ("Ilekroć w Programie jest mowa
o:" and its points). Thematic breaks (---) are left out, and so are blocks that are only an HTML
comment (<!-- … -->, the author's notes). Text before the first heading is refused: it would
belong to no section.

Publishing replaces the sections and keeps the forum's record: a section's thread (with its
comments) stays with the section's place across re-publications; the thread of a section
that is gone is locked and keeps its name and title as its name, never deleted. The portal's
own numbers (`number`: 1, 2, … in order) stay behind the scenes, in addresses and anchors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from portal import audit, clock, formatting
from portal.consultations.models import Consultation
from portal.errors import Refusal
from portal.extensions import db
from portal.forum.models import DraftParagraph, DraftSection, Thread, ThreadKind, heading
from portal.sanitize import markdown_parser, render_markdown

DEMO_DRAFT = Path(__file__).with_name("demo_draft.md")

MAX_CHARACTERS = 500_000
MAX_SECTIONS = 200
MAX_PARAGRAPHS = 300      # in one section
TITLE_MAX = 200           # a section's title is also its thread's title
GENERAL_THREAD_TITLE = "Uwagi ogólne"  # content (Polish), like the draft itself

# The same Markdown as portal.sanitize renders: a block found here is a block there.
_markdown = markdown_parser()
# Only to find HTML comments as blocks (they may contain blank lines); never used to render.
_comment_finder = markdown_parser(raw_html=True)

# A unit as legal drafting writes it: "§ 3", "§ 3a", "Rozdział 9", "Rozdział IV", "Dział II",
# "Art. 5", "Artykuł 5", "ust. 2", "pkt 3", "Część 1". Group "unit" is the word, "number" the number.
_UNIT = (r"(?P<unit>§|rozdzia[łl]|dzia[łl]|cz[ęe][śs][ćc]|art\.|artyku[łl]|ust\.|pkt)"
         r"\s*(?P<number>\d+[a-z]?|[ivxlcdm]+)(?![\w])")
_NUMBER_PREFIX = re.compile(r"^\s*" + _UNIT + r"(?:\s*[.:)\u2013\u2014-])?\s*", re.IGNORECASE)
# What may stand before a paragraph's unit: a level-3+ heading's hashes, bold or italic marks.
_PARAGRAPH_UNIT = re.compile(r"^\s*(?:#{1,6}\s+)?[*_]{0,3}\s*" + _UNIT + r"\.?(?:[*_]{0,3})(?=\s|$|[.:)])",
                             re.IGNORECASE)
LABEL_MAX = 60
_SECTION_TAGS = ("h1", "h2")
_BLOCKS = {"paragraph_open", "bullet_list_open", "ordered_list_open", "blockquote_open", "table_open",
           "fence", "code_block", "heading_open"}
_ANNOUNCED = ("bullet_list_open", "ordered_list_open", "table_open")  # may follow "…:" in the same "ust."


class DraftError(Refusal):
    """The draft cannot be published as it is; `message` says why (in Polish first)."""


@dataclass(frozen=True)
class ParagraphDraft:
    number: int
    text: str  # Markdown source of the block
    label: str = ""  # as written ("§ 4", "pkt 2"), else "ust. <number>"

    @property
    def html(self) -> str:
        return str(render_markdown(self.text))


@dataclass(frozen=True)
class SectionDraft:
    number: int
    title: str
    paragraphs: tuple[ParagraphDraft, ...] = ()
    label: str = ""  # as written ("Rozdział 9", "§ 3"), else "§ <number>"

    @property
    def heading(self) -> str:
        return heading(self.label, self.title)


@dataclass
class PublishResult:
    sections_before: int
    sections: int
    paragraphs: int
    created_threads: list[Thread] = field(default_factory=list)
    locked_threads: list[Thread] = field(default_factory=list)
    removed_numbers: list[int] = field(default_factory=list)
    removed_labels: list[str] = field(default_factory=list)  # as written: "Rozdział 9"


# --- parsing ----------------------------------------------------------------------------------

def parse(markdown_text: str | None) -> list[SectionDraft]:
    """Markdown -> numbered sections with numbered paragraphs; DraftError says what is wrong."""
    source = _normalise(markdown_text)
    if not source.strip():
        raise DraftError(_l("Projekt jest pusty. Wklej jego treść albo wybierz plik."))
    if len(source) > MAX_CHARACTERS:
        raise DraftError(_l("Projekt może mieć najwyżej %(max)s znaków (ma %(length)s).",
                            max=formatting.number(MAX_CHARACTERS), length=formatting.number(len(source))))
    lines = _without_comments(source).split("\n")
    env: dict = {}
    tokens = _markdown.parse("\n".join(lines), env)
    references = env.get("references", {})

    if not any(t.type == "heading_open" and t.level == 0 and t.tag in _SECTION_TAGS for t in tokens):
        raise DraftError(_l("Projekt nie ma nagłówków paragrafów. Każdy paragraf zacznij nagłówkiem, "
                            "np. „## § 1. Postanowienia ogólne”."))

    sections: list[list] = []  # [label, title, [[start line, end line, kind], …]]
    pending: list[int] | None = None  # [start, end] of level-3+ headings waiting for their block
    for index, token in enumerate(tokens):
        if token.level != 0 or token.type not in _BLOCKS or token.map is None:
            continue
        start, end = token.map
        if token.type == "heading_open" and token.tag in _SECTION_TAGS:
            _close_pending(sections, lines, pending)
            pending = None
            sections.append([*_label_and_title(_inline_text(tokens[index + 1]), len(sections) + 1), []])
            continue
        if not sections:
            raise DraftError(_l("Projekt musi zaczynać się od nagłówka paragrafu (np. „## § 1. Postanowienia "
                                "ogólne”). Przenieś pod nagłówek albo usuń tekst: „%(text)s”.",
                                text=_excerpt(lines[start:end])))
        if token.type == "heading_open" and not sections[-1][1] and not sections[-1][2] and pending is None:
            sections[-1][1] = _inline_text(tokens[index + 1])  # "## Rozdział 1" / "### Postanowienia ogólne"
            continue
        if token.type == "heading_open":  # level 3 or deeper: part of the paragraph it introduces
            pending = [pending[0] if pending else start, end]
            continue
        _add_block(sections[-1][2], lines, pending[0] if pending else start, end, token.type)
        pending = None
    _close_pending(sections, lines, pending)

    if len(sections) > MAX_SECTIONS:
        raise DraftError(_l("Projekt może mieć najwyżej %(max)s paragrafów (ma %(count)s).",
                            max=MAX_SECTIONS, count=len(sections)))
    drafts, seen = [], {}
    for number, (label, title, blocks) in enumerate(sections, start=1):
        _check_title(label, title)
        if label.casefold() in seen:
            raise DraftError(_l("Dwa nagłówki mają ten sam numer: „%(label)s” („%(first)s” i „%(second)s”). "
                                "Popraw numerację projektu.", label=label, first=seen[label.casefold()],
                                second=title))
        seen[label.casefold()] = title
        if len(blocks) > MAX_PARAGRAPHS:
            raise DraftError(_l("%(label)s może mieć najwyżej %(max)s ustępów (ma %(count)s).",
                                label=label, max=MAX_PARAGRAPHS, count=len(blocks)))
        paragraphs = []
        for n, (start, end, _kind) in enumerate(blocks, start=1):
            text = _with_references(_block(lines, start, end), references)
            paragraphs.append(ParagraphDraft(n, text, _paragraph_label(text, n)))
        drafts.append(SectionDraft(number, title, tuple(paragraphs), label))
    return drafts


def _written_label(match: re.Match) -> str:
    """"§3" → "§ 3", "Rozdział  IX" → "Rozdział IX": the unit and number as written, one space."""
    return f"{match.group('unit')} {match.group('number')}"[:LABEL_MAX]


def _paragraph_label(text: str, number: int) -> str:
    match = _PARAGRAPH_UNIT.match(text)
    return _written_label(match) if match else f"ust. {number}"


def _normalise(text: str | None) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    return text.removeprefix("\ufeff")


def _without_comments(source: str) -> str:
    """Blank out the lines of blocks that are only an HTML comment (line numbers stay)."""
    lines = source.split("\n")
    for token in _comment_finder.parse(source):
        if token.type == "html_block" and token.level == 0 and token.map:
            content = token.content.strip()
            if content.startswith("<!--") and content.endswith("-->"):
                start, end = token.map
                lines[start:end] = [""] * (end - start)
    return "\n".join(lines)


def _inline_text(inline) -> str:
    """A heading's text without Markdown."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append("".join(c.content for c in child.children or []))
    return " ".join("".join(parts).split())


def _label_and_title(text: str, number: int) -> tuple[str, str]:
    """The unit as written ("Rozdział 9", else "§ N") and the heading's text after it (may be empty:
    the title can be the next, smaller heading)."""
    match = _NUMBER_PREFIX.match(text)
    label = _written_label(match) if match else f"§ {number}"
    return label, (text[match.end():].strip() if match else text)


def _check_title(label: str, title: str) -> None:
    if not title:
        raise DraftError(_l("Nagłówek „%(label)s” nie ma tytułu. Dopisz go po numerze, np. „## %(label)s. "
                            "Postanowienia ogólne”.", label=label))
    if len(title) > TITLE_MAX:
        raise DraftError(_l("Tytuł „%(label)s” może mieć najwyżej %(max)s znaków (ma %(length)s).",
                            label=label, max=TITLE_MAX, length=len(title)))


def _block(lines: list[str], start: int, end: int) -> str:
    return "\n".join(lines[start:end]).strip("\n").rstrip()


def _add_block(blocks: list[list], lines: list[str], start: int, end: int, kind: str) -> None:
    """A new paragraph, except that a list (or table) continues the paragraph announcing it with a colon.

    "Ilekroć w Programie jest mowa o:" and the list of definitions under it are one "ust.",
    its points, as in Polish legal drafting.
    """
    if (kind in _ANNOUNCED and blocks and blocks[-1][2] == "paragraph_open"
            and _block(lines, blocks[-1][0], blocks[-1][1]).endswith(":")
            and not "".join(lines[blocks[-1][1]:start]).strip()):
        blocks[-1][1:] = [end, kind]
    else:
        blocks.append([start, end, kind])


def _close_pending(sections, lines, pending) -> None:
    """Level-3+ headings with no block after them in their section are a paragraph of their own."""
    if pending is not None and sections:
        sections[-1][1].append([*pending, "heading_open"])


def _excerpt(lines: list[str], length: int = 80) -> str:
    text = " ".join(" ".join(lines).split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def _with_references(text: str, references: dict) -> str:
    """Link reference definitions the block uses travel with it, so it renders on its own."""
    if not references:
        return text
    folded = " ".join(text.casefold().split())
    used = []
    for label, target in references.items():
        if f"[{' '.join(label.casefold().split())}]" in folded:
            title = target.get("title") or ""
            escaped = title.replace("\\", "\\\\").replace('"', '\\"')
            used.append(f"[{label}]: <{target['href']}>" + (f' "{escaped}"' if title else ""))
    return text + "\n\n" + "\n".join(used) if used else text


# --- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutlineRow:
    number: int
    label: str
    title: str
    paragraphs: int


def outline(consultation: Consultation) -> list[OutlineRow]:
    """The published sections with their number of paragraphs: one query."""

    rows = db.session.execute(
        select(DraftSection.number, DraftSection.label, DraftSection.title, func.count(DraftParagraph.id))
        .outerjoin(DraftParagraph, DraftParagraph.section_id == DraftSection.id)
        .where(DraftSection.consultation_id == consultation.id)
        .group_by(DraftSection.id, DraftSection.number, DraftSection.label, DraftSection.title)
        .order_by(DraftSection.number)).all()
    return [OutlineRow(*row) for row in rows]


# --- publishing -------------------------------------------------------------------------------

def publish(consultation: Consultation, markdown_text: str, actor=None,
            now: datetime | None = None) -> PublishResult:
    """Replace the draft's sections and paragraphs; keep one thread per section (no commit here).

    `now` (default: the clock) dates new threads and locks; the demo passes its own moment.
    """
    drafts = parse(markdown_text)  # nothing is written unless the whole draft is sound
    now = now or clock.now_utc()
    # Two publications of one consultation at once would collide on the section numbers: the
    # second waits for the first (PostgreSQL; SQLite writes one transaction at a time anyway).
    db.session.execute(select(Consultation.id).where(Consultation.id == consultation.id).with_for_update())
    existing = {section.number: section for section in db.session.scalars(
        select(DraftSection).where(DraftSection.consultation_id == consultation.id))}
    threads = db.session.scalars(select(Thread).where(
        Thread.consultation_id == consultation.id,
        Thread.kind.in_((ThreadKind.SECTION, ThreadKind.GENERAL))).order_by(Thread.id)).all()
    by_section: dict[int, Thread] = {}
    for thread in threads:
        if thread.kind == ThreadKind.SECTION and thread.section_id is not None:
            by_section.setdefault(thread.section_id, thread)
    result = PublishResult(sections_before=len(existing), sections=len(drafts),
                           paragraphs=sum(len(d.paragraphs) for d in drafts))

    wanted = {draft.number for draft in drafts}
    removed = [section for number, section in sorted(existing.items()) if number not in wanted]
    for section in removed:
        # The section goes; its thread and comments stay in the record, closed, named as they were.
        for thread in threads:
            if thread.kind == ThreadKind.SECTION and thread.section_id == section.id:
                thread.section_id = None
                thread.title = _numbered_title(section.label, section.title)
                if thread.locked_at is None:
                    thread.locked_at = now
                result.locked_threads.append(thread)
        result.removed_numbers.append(section.number)
        result.removed_labels.append(section.label)
    if existing:
        db.session.execute(delete(DraftParagraph).where(
            DraftParagraph.section_id.in_([s.id for s in existing.values()])))
    if removed:
        db.session.flush()  # the threads let go of the sections first
        db.session.execute(delete(DraftSection).where(DraftSection.id.in_([s.id for s in removed])),
                           execution_options={"synchronize_session": False})
        for section in removed:
            db.session.expunge(section)

    sections = []
    for draft in drafts:
        section = existing.get(draft.number)
        if section is None:
            section = DraftSection(consultation_id=consultation.id, number=draft.number, label=draft.label,
                                   title=draft.title)
            db.session.add(section)
        else:
            section.label, section.title = draft.label, draft.title
            db.session.expire(section, ["paragraphs"])  # replaced below, by id
        sections.append((draft, section))
    db.session.flush()

    db.session.add_all(DraftParagraph(section_id=section.id, number=p.number, label=p.label, text=p.text,
                                      html=p.html)
                       for draft, section in sections for p in draft.paragraphs)
    for draft, section in sections:
        thread = by_section.get(section.id)
        if thread is None:
            thread = Thread(consultation_id=consultation.id, section_id=section.id, kind=ThreadKind.SECTION,
                            title=draft.title, created_by_id=getattr(actor, "id", None),
                            created_at=now, last_activity_at=now)
            db.session.add(thread)
            result.created_threads.append(thread)
        else:
            thread.title = draft.title
    if not any(thread.kind == ThreadKind.GENERAL for thread in threads):
        general = Thread(consultation_id=consultation.id, kind=ThreadKind.GENERAL, title=GENERAL_THREAD_TITLE,
                         created_by_id=getattr(actor, "id", None), created_at=now, last_activity_at=now)
        db.session.add(general)
        result.created_threads.append(general)
    db.session.flush()

    if actor is not None:
        audit.record(actor, "draft_published", consultation, "",
                     before={"sections": result.sections_before}, after={"sections": result.sections})
    return result


def _numbered_title(label: str, title: str) -> str:
    text = heading(label, title)
    return text if len(text) <= TITLE_MAX else text[:TITLE_MAX - 1].rstrip() + "…"
