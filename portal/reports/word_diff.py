"""Two versions of a text compared word by word, for the final document's changes.

Both versions of a paragraph are rendered by the one sanitiser and compared word by word (a word
or a number like "20 000,50" is never split), the difference marked with <del>/<ins>. The
sanitiser's HTML is cut into words and rebuilt through markupsafe (text escaped, tags rebuilt
from their allowed names and attributes), so nothing typed is ever printed unescaped.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from html.parser import HTMLParser
from typing import NamedTuple

from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.sanitize import render_markdown

EQUAL, INSERTED, DELETED = "equal", "inserted", "deleted"  # what happened to a word or a paragraph


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


def whole(markdown_text: str, kind: str) -> Markup:
    """A paragraph added or removed as a whole: rendered, inside one <ins> or <del>."""
    tag, label = ("ins", _("dodano:")) if kind == INSERTED else ("del", _("usunięto:"))
    return Markup('<{0}><span class="visually-hidden">{1} </span>{2}</{0}>').format(
        tag, label, rendered(markdown_text))


def rendered(markdown_text: str) -> Markup:
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


def normal(text: str) -> str:
    return " ".join(text.split())
