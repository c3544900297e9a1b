"""The final document: its upload, its difference from the draft, and the comments behind each change.

The final text has the draft's format ("## Title" per section) and is split by the draft's own
parser, so § N of the final version is compared with § N of the draft: a section only in the
final is new, one only in the draft removed. Paragraphs are compared with difflib; both versions
of a changed paragraph are rendered by the one sanitiser and compared word by word (a word or a
number like "20 000,50" is never split), the difference marked with <del>/<ins>. The sanitiser's
HTML is cut into words and rebuilt through markupsafe (text escaped, tags rebuilt from their
allowed names and attributes); only the stored `FinalSection.html` is printed as it is.

Staff tie a changed section to the report's comments that caused the change (`ChangeLink`);
saving a section's links replaces them. Re-uploading the final version replaces it and drops
the links of sections that no longer differ from the draft.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from difflib import SequenceMatcher
from html.parser import HTMLParser
from typing import NamedTuple

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import delete, select

from portal import audit, clock
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum import drafts
from portal.forum.models import DraftParagraph, DraftSection
from portal.reports.models import ChangeLink, FinalSection
from portal.reports.services import report_for_update
from portal.sanitize import render_markdown

UNCHANGED, CHANGED, NEW, REMOVED = "unchanged", "changed", "new", "removed"
EQUAL, INSERTED, DELETED = "equal", "inserted", "deleted"  # and CHANGED, for paragraphs


@dataclass(frozen=True)
class SectionText:
    """One section of either version: its number, title and paragraphs (Markdown source each)."""

    number: int
    title: str
    paragraphs: tuple[str, ...]
    html: str = ""  # the final version's sanitised HTML of the whole section


@dataclass(frozen=True)
class ParagraphDiff:
    kind: str       # EQUAL, CHANGED, INSERTED or DELETED
    old: str = ""   # the draft's Markdown (CHANGED, DELETED)
    new: str = ""   # the final version's Markdown (EQUAL, CHANGED, INSERTED)

    @cached_property
    def html(self) -> Markup:
        """The paragraph rendered, with <ins>/<del> where it differs: only when a page shows it."""
        if self.kind == EQUAL:
            return _rendered(self.new)
        if self.kind == CHANGED:
            return block_diff(self.old, self.new)
        return _whole(self.new, INSERTED) if self.kind == INSERTED else _whole(self.old, DELETED)


@dataclass
class SectionDiff:
    number: int
    status: str                   # UNCHANGED, CHANGED, NEW or REMOVED
    draft_title: str | None
    final_title: str | None
    paragraphs: list[ParagraphDiff]
    final_html: str = ""
    title_html: Markup | None = None   # the title's difference, when the title changed
    comment_numbers: list[int] = field(default_factory=list)  # report numbers behind the change

    @property
    def title(self) -> str:
        return self.final_title if self.final_title is not None else self.draft_title or ""

    @property
    def is_changed(self) -> bool:
        return self.status != UNCHANGED


# --- reading the two versions ------------------------------------------------------------------

def draft_texts(consultation_id: int) -> list[SectionText]:
    """The published draft, section by section: one query."""
    rows = db.session.execute(
        select(DraftSection.number, DraftSection.title, DraftParagraph.text)
        .outerjoin(DraftParagraph, DraftParagraph.section_id == DraftSection.id)
        .where(DraftSection.consultation_id == consultation_id)
        .order_by(DraftSection.number, DraftParagraph.number)).all()
    sections: dict[int, tuple[str, list[str]]] = {}
    for number, title, text in rows:
        paragraphs = sections.setdefault(number, (title, []))[1]
        if text is not None:
            paragraphs.append(text)
    return [SectionText(number, title, tuple(paragraphs)) for number, (title, paragraphs) in sections.items()]


def final_texts(consultation_id: int) -> list[SectionText]:
    """The uploaded final version, section by section: one query."""
    return [SectionText(section.number, section.title, _paragraphs(section.text), section.html)
            for section in db.session.scalars(select(FinalSection)
                                              .where(FinalSection.consultation_id == consultation_id)
                                              .order_by(FinalSection.number))]


def parse_final(markdown_text: str | None) -> list[SectionText]:
    """The final text split like the draft (drafts.DraftError says what is wrong)."""
    return [SectionText(section.number, section.title, tuple(p.text for p in section.paragraphs),
                        str(render_markdown(_joined(section.paragraphs))))
            for section in drafts.parse(markdown_text)]


def _joined(paragraphs) -> str:
    return "\n\n".join(p if isinstance(p, str) else p.text for p in paragraphs)


def _paragraphs(text: str) -> tuple[str, ...]:
    """A stored section's paragraphs, split again by the parser that split them at upload."""
    if not text.strip():
        return ()
    return tuple(p.text for p in drafts.parse(f"## x\n\n{text}")[0].paragraphs)


def document_changes(consultation_id: int) -> list[SectionDiff] | None:
    """The draft compared with the final version (None before a final version is uploaded): two queries."""
    final = final_texts(consultation_id)
    if not final:
        return None
    return compare(draft_texts(consultation_id), final)


# --- comparing ---------------------------------------------------------------------------------

def compare(draft: list[SectionText], final: list[SectionText]) -> list[SectionDiff]:
    """Section by section, matched by number."""
    before, after = {s.number: s for s in draft}, {s.number: s for s in final}
    result = []
    for number in sorted(before.keys() | after.keys()):
        old, new = before.get(number), after.get(number)
        if old is None:
            result.append(SectionDiff(number, NEW, None, new.title, [
                ParagraphDiff(INSERTED, new=p) for p in new.paragraphs], new.html))
        elif new is None:
            result.append(SectionDiff(number, REMOVED, old.title, None, [
                ParagraphDiff(DELETED, old=p) for p in old.paragraphs]))
        else:
            paragraphs = paragraph_diff(old.paragraphs, new.paragraphs)
            title_changed = _normal(old.title) != _normal(new.title)
            changed = title_changed or any(p.kind != EQUAL for p in paragraphs)
            result.append(SectionDiff(number, CHANGED if changed else UNCHANGED, old.title, new.title,
                                      paragraphs, new.html,
                                      word_diff(old.title, new.title) if title_changed else None))
    return result


def paragraph_diff(old: tuple[str, ...], new: tuple[str, ...]) -> list[ParagraphDiff]:
    """Paragraphs kept, changed (word by word), added and removed, in the final version's order."""
    result = []
    matcher = SequenceMatcher(None, [_normal(p) for p in old], [_normal(p) for p in new], autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = old[i1:i2], new[j1:j2]
        if operation == "equal":
            result += [ParagraphDiff(EQUAL, new=p) for p in added]
            continue
        # A replaced run is compared pairwise; what one side has more of is added or removed whole.
        for index in range(max(len(removed), len(added))):
            if index < len(removed) and index < len(added):
                result.append(ParagraphDiff(CHANGED, removed[index], added[index]))
            elif index < len(removed):
                result.append(ParagraphDiff(DELETED, old=removed[index]))
            else:
                result.append(ParagraphDiff(INSERTED, new=added[index]))
    return result


def block_diff(old: str, new: str) -> Markup:
    """Two versions of one paragraph (Markdown), both rendered by the sanitiser, words marked.

    A plain paragraph on both sides reads as one text with <del>/<ins> in it; a list, a table or
    any other block is shown twice, as the draft had it and as the final version has it, each
    with its own words marked, so its structure is never torn apart.
    """
    old_html, new_html = _html_pieces(old), _html_pieces(new)
    a, b = old_html.pieces, new_html.pieces
    if old_html.plain and new_html.plain:
        return _render(_merged(a, b, _opcodes(a, b)))
    # In a list or table a gap or a comma must not tie one item's text to another item's.
    dropped, added = _changed_indices(_opcodes(a, b, isjunk=_is_filler))
    before = _render((piece, DELETED if i in dropped else None) for i, piece in enumerate(a))
    after = _render((piece, INSERTED if i in added else None) for i, piece in enumerate(b))
    return Markup('<div class="diff__versions"><div class="diff__version diff__version--before">'
                  '<p class="diff__label">{}</p>{}</div><div class="diff__version diff__version--after">'
                  '<p class="diff__label">{}</p>{}</div></div>').format(
        _("W projekcie:"), before, _("W wersji końcowej:"), after)


def word_diff(old: str, new: str) -> Markup:
    """Plain text (a title): the words `new` dropped as <del>, those it added as <ins>; all escaped."""
    a, b = _text_pieces(old), _text_pieces(new)
    return _render(_merged(a, b, _opcodes(a, b)))


def _opcodes(a, b, isjunk=None):
    return SequenceMatcher(isjunk, [p.key for p in a], [p.key for p in b], autojunk=False).get_opcodes()


def _is_filler(key) -> bool:
    """A gap, a punctuation mark or a line break: never the anchor of a match on its own."""
    return not any(character.isalnum() for character in key[0])


def _merged(a, b, opcodes):
    """One sequence of (piece, mark): kept words once, dropped ones marked deleted, added ones inserted."""
    for operation, i1, i2, j1, j2 in opcodes:
        if operation == "equal":
            yield from ((piece, None) for piece in b[j1:j2])
        if operation in ("delete", "replace"):
            yield from ((piece, DELETED) for piece in a[i1:i2])
        if operation in ("insert", "replace"):
            yield from ((piece, INSERTED) for piece in b[j1:j2])


def _changed_indices(opcodes) -> tuple[set[int], set[int]]:
    """The positions of the pieces the draft lost and of those the final version gained."""
    dropped, added = set(), set()
    for operation, i1, i2, j1, j2 in opcodes:
        if operation != "equal":
            dropped.update(range(i1, i2))
            added.update(range(j1, j2))
    return dropped, added


def _whole(markdown_text: str, kind: str) -> Markup:
    """A paragraph added or removed as a whole: rendered, inside one <ins> or <del>."""
    tag, label = ("ins", _("dodano:")) if kind == INSERTED else ("del", _("usunięto:"))
    return Markup('<{0}><span class="visually-hidden">{1} </span>{2}</{0}>').format(
        tag, label, _rendered(markdown_text))


def _rendered(markdown_text: str) -> Markup:
    """A paragraph as the sanitiser renders it, rebuilt from its pieces (escaped like the rest)."""
    return _render((piece, None) for piece in _html_pieces(markdown_text).pieces)


# --- words, numbers and the HTML around them --------------------------------------------------------

# A number with spaces as thousands separators and a decimal comma ("20 000,50") is one token,
# so is a date or a decimal ("1.10.2020", "12,5"); a word keeps its hyphens ("społeczno-gospodarczy").
_TOKEN = re.compile(r"""
    (?<!\d)\d{1,3}(?:[ \u00a0\u202f]\d{3}(?!\d))+(?:,\d+)?(?!\w)
  | \d+(?:[.,]\d+)*(?!\w)
  | \w+(?:[-'’]\w+)*
  | \s+
  | [^\w\s]
""", re.VERBOSE)
_VOID = ("br", "hr")
# Whitespace directly inside these is layout, not text (and <ins> in a <tr> or <ul> is invalid).
_STRUCTURE = {"table", "thead", "tbody", "tfoot", "tr", "ul", "ol", "blockquote"}


class _Element(NamedTuple):
    serial: int     # which element of its side (two <strong> are two elements)
    tag: str
    markup: Markup  # its start tag


class _Piece(NamedTuple):
    text: str                        # a word, a number, a gap or a punctuation mark ("" for <br>)
    path: tuple[_Element, ...] = ()  # the elements around it, outermost first
    void: str = ""                   # "br" or "hr" for an empty element

    @property
    def key(self) -> tuple:
        """What is compared: the token (any gap as one space) and the formatting around it."""
        text = " " if self.text.isspace() else self.text
        return text, self.void, tuple(element.markup for element in self.path)

    @property
    def markable(self) -> bool:
        """Whitespace between block elements is layout: an <ins> there would be misplaced (or invalid)."""
        if not self.text.isspace():
            return True
        parent = self.path[-1].tag if self.path else None
        return parent not in _STRUCTURE and not ("\n" in self.text and parent in (None, "li"))


class _PieceParser(HTMLParser):
    """Sanitised HTML -> pieces; every start tag is rebuilt from its (escaped) name and attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[_Piece] = []
        self.top_level: list[str] = []   # the names of the outermost elements
        self._open: list[_Element] = []
        self._serial = 0

    def handle_starttag(self, tag, attrs):
        if not self._open:
            self.top_level.append(tag)
        if tag in _VOID:
            self.pieces.append(_Piece("", tuple(self._open), tag))
            return
        markup = Markup("<{}{}>").format(tag, Markup("").join(
            Markup(' {}="{}"').format(name, value or "") for name, value in attrs))
        self._open.append(_Element(self._serial, tag, markup))
        self._serial += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                return

    def handle_data(self, data):
        self.pieces += [_Piece(token, tuple(self._open)) for token in _TOKEN.findall(data)]


@dataclass(frozen=True)
class _Rendered:
    pieces: list[_Piece]
    plain: bool  # one paragraph of text (no list, table, quotation, heading or code)


def _html_pieces(markdown_text: str) -> _Rendered:
    """The paragraph through the one sanitiser, cut into pieces."""
    parser = _PieceParser()
    parser.feed(str(render_markdown(markdown_text)))
    parser.close()
    return _Rendered(parser.pieces, parser.top_level == ["p"])


def _text_pieces(text: str) -> list[_Piece]:
    return [_Piece(token) for token in _TOKEN.findall(text.strip())]


def _render(items: Iterable[tuple[_Piece, str | None]]) -> Markup:
    """Pieces back to HTML; each marked run in one <del>/<ins> inside the elements around it.

    An element is closed and opened again around a mark, so the result is always well-formed.
    """
    marks = {mark: _Element(-1, tag, Markup('<{}><span class="visually-hidden">{} </span>').format(tag, label))
             for mark, tag, label in ((DELETED, "del", _("usunięto:")), (INSERTED, "ins", _("dodano:")))}
    out, current = [], []
    for piece, mark in items:
        wanted = list(piece.path) + ([marks[mark]] if mark and piece.markable else [])
        kept = 0
        while kept < min(len(current), len(wanted)) and current[kept] == wanted[kept]:
            kept += 1
        out += [Markup("</{}>").format(element.tag) for element in reversed(current[kept:])]
        out += [element.markup for element in wanted[kept:]]
        current = wanted
        out.append(Markup("<{}>").format(piece.void) if piece.void else escape(piece.text))
    out += [Markup("</{}>").format(element.tag) for element in reversed(current)]
    return Markup("").join(out)


def _normal(text: str) -> str:
    return " ".join(text.split())


# --- saving --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SaveResult:
    sections: int
    changed: list[int]          # numbers of the sections that differ from the draft
    dropped_links: int          # links of sections that no longer differ


def save_final(consultation: Consultation, markdown_text: str, actor) -> SaveResult:
    """Replace the final version (nothing is written unless the whole text parses); no commit here."""
    sections = parse_final(markdown_text)
    # Two uploads at once would collide on the section numbers: the second waits (PostgreSQL).
    db.session.execute(select(Consultation.id).where(Consultation.id == consultation.id).with_for_update())
    before = db.session.scalars(select(FinalSection.number).where(
        FinalSection.consultation_id == consultation.id)).all()
    db.session.execute(delete(FinalSection).where(FinalSection.consultation_id == consultation.id))
    db.session.add_all(FinalSection(consultation_id=consultation.id, number=s.number, title=s.title,
                                    text=_joined(s.paragraphs), html=s.html) for s in sections)
    report_for_update(consultation.id).final_uploaded_at = clock.now_utc()
    changed = [d.number for d in compare(draft_texts(consultation.id), sections) if d.is_changed]
    dropped = db.session.execute(delete(ChangeLink).where(
        ChangeLink.consultation_id == consultation.id, ChangeLink.section_number.not_in(changed))).rowcount
    audit.record(actor, "final_document_uploaded", consultation,
                 before={"sections": len(before)},
                 after={"sections": len(sections), "changed": changed, "dropped_links": dropped})
    return SaveResult(len(sections), changed, dropped)


def section_links(consultation_id: int) -> dict[int, list[int]]:
    """Section number -> ids of the comments linked to its change: one query."""
    links: dict[int, list[int]] = {}
    for section_number, post_id in db.session.execute(
            select(ChangeLink.section_number, ChangeLink.post_id)
            .where(ChangeLink.consultation_id == consultation_id).order_by(ChangeLink.post_id)):
        links.setdefault(section_number, []).append(post_id)
    return links


def link_comments(consultation: Consultation, section_number: int, post_ids: list[int], actor) -> None:
    """Replace the comments linked to the change in § `section_number` (ids checked by the caller's form)."""
    # Two staff saving the same section at once: the second waits, then replaces (PostgreSQL).
    db.session.execute(select(Consultation.id).where(Consultation.id == consultation.id).with_for_update())
    before = section_links(consultation.id).get(section_number, [])
    after = sorted(set(post_ids))
    db.session.execute(delete(ChangeLink).where(ChangeLink.consultation_id == consultation.id,
                                                ChangeLink.section_number == section_number))
    db.session.add_all(ChangeLink(post_id=post_id, section_number=section_number,
                                  consultation_id=consultation.id, created_by_id=getattr(actor, "id", None))
                       for post_id in after)
    audit.record(actor, "change_links_saved", consultation,
                 before={"section": section_number, "comments": before},
                 after={"section": section_number, "comments": after})


def with_comment_numbers(changes: list[SectionDiff], report_comments) -> list[SectionDiff]:
    """Fill each changed section's report numbers from `report_comments().comments`."""
    by_section: dict[int, list[int]] = {}
    for comment in report_comments:
        for number in comment.changed_sections:
            by_section.setdefault(number, []).append(comment.number)
    for change in changes:
        change.comment_numbers = sorted(by_section.get(change.number, [])) if change.is_changed else []
    return changes
