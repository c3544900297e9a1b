"""A draft written in Word or LibreOffice, as the draft's Markdown; and a published draft as Markdown again.

`to_markdown(upload)` turns an accepted DOCX or ODT (`portal.staff.uploads.Upload`, its type
decided by its bytes) into the Markdown `portal.forum.drafts.parse` splits: DOCX through mammoth
(its HTML), ODT by walking odfdo's body; both end up as the same few blocks, written by one writer:

- a heading of level 1 or 2 (Word's "Nagłówek 1/2", LibreOffice's outline level 1/2) is "## ", a
  section; deeper ones "### " and more, which the parser keeps with the paragraph they introduce;
- a paragraph is a paragraph, its bold and italics as ** and *; a number or bullet typed at its
  start is escaped ("1\\." ), so it stays a paragraph and never turns into a list;
- a bulleted list is a Markdown list (nested lists indented under their item); a numbered list
  too when a paragraph ending with a colon announces it ("… mowa o:"), otherwise its items are
  the section's numbered paragraphs (ust. 1, 2, …: our numbering replaces Word's);
- a table is a Markdown table, its first row the header; a cell's paragraphs are joined by spaces.

Images, footnote bodies, comments and tracked deletions are left out. A damaged file raises
ImportRefused with a message for the upload field.

`sections_markdown` writes published sections back ("## § N. Title", then the paragraphs'
Markdown separated by blank lines), so that parsing it gives the same sections again.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Iterable

from flask_babel import lazy_gettext as _l

from portal.errors import Refusal
from portal.staff import uploads

# Unpacked, the XML of a document this size (1 MB packed) is well under this; a ZIP claiming more is refused.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
# What a damaged or hostile ZIP may raise while we look inside it (as portal.staff.uploads).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
               OSError, ValueError, KeyError)


class ImportRefused(Refusal):
    """The document cannot be read; `message` says why (for the upload field)."""


# --- the blocks both formats become -----------------------------------------------------------

@dataclass
class Heading:
    level: int
    text: str  # inline Markdown


@dataclass
class Para:
    text: str


@dataclass
class ListBlock:
    ordered: bool
    items: list[Item] = field(default_factory=list)


@dataclass
class Item:
    text: str = ""
    lists: list[ListBlock] = field(default_factory=list)


@dataclass
class TableBlock:
    rows: list[list[str]] = field(default_factory=list)


Block = Heading | Para | ListBlock | TableBlock


def to_markdown(upload: uploads.Upload) -> str:
    """The draft's Markdown of a DOCX or ODT (ImportRefused when it cannot be read)."""
    _check_archive(upload.content)
    try:
        if upload.file_type == uploads.DOCX:
            blocks = _docx_blocks(upload.content)
        elif upload.file_type == uploads.ODT:
            blocks = _odt_blocks(upload.content)
        else:
            raise ImportRefused(_l("Wybierz plik DOCX, ODT, MD albo TXT."))
    except ImportRefused:
        raise
    except Exception:  # any parser's error on a damaged file: the message says what to do
        raise ImportRefused(damaged_message()) from None
    return write(blocks)


def damaged_message():
    """A DOCX or ODT that cannot be read (damaged, or another file under that name)."""
    return _l("Nie udało się odczytać tego dokumentu: plik jest uszkodzony albo nie jest dokumentem DOCX ani ODT. "
              "Otwórz go w edytorze, zapisz ponownie i wybierz jeszcze raz.")


def _check_archive(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ImportRefused(damaged_message())
    except _ZIP_ERRORS:
        raise ImportRefused(damaged_message()) from None


# --- DOCX: mammoth's HTML ---------------------------------------------------------------------

def _docx_blocks(content: bytes) -> list[Block]:
    import mammoth

    no_images = mammoth.images.img_element(lambda image: {})  # never read or inline the picture
    result = mammoth.convert_to_html(io.BytesIO(content), convert_image=no_images,
                                     ignore_empty_paragraphs=True)
    builder = _TreeBuilder()
    builder.feed(result.value)
    builder.close()
    return _html_blocks(builder.root)


class _Node:
    def __init__(self, tag: str, attrs: dict[str, str] | None = None):
        self.tag = tag
        self.attrs = attrs or {}
        self.children: list[_Node | str] = []


_VOID = {"br", "img", "hr"}


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


_HEADINGS = {f"h{n}": n for n in range(1, 7)}


def _html_blocks(node: _Node) -> list[Block]:
    blocks: list[Block] = []
    for child in node.children:
        if isinstance(child, str):
            if child.strip():
                blocks.append(Para(_inline_text(child)))
        elif child.tag in _HEADINGS:
            blocks.append(Heading(_HEADINGS[child.tag], _html_inline(child)))
        elif child.tag == "p":
            blocks.append(Para(_html_inline(child)))
        elif child.tag in ("ul", "ol"):
            if child.children and _is_footnotes(child):
                continue  # footnote bodies: their markers are left out of the text too
            blocks.append(_html_list(child))
        elif child.tag == "table":
            blocks.append(_html_table(child))
        elif child.tag in ("img", "hr"):
            continue
        else:
            blocks.extend(_html_blocks(child))
    return blocks


def _is_footnotes(node: _Node) -> bool:
    items = [c for c in node.children if isinstance(c, _Node) and c.tag == "li"]
    return bool(items) and all(re.match(r"(foot|end)note-", c.attrs.get("id", "")) for c in items)


def _html_list(node: _Node) -> ListBlock:
    block = ListBlock(ordered=node.tag == "ol")
    for child in node.children:
        if not isinstance(child, _Node) or child.tag != "li":
            continue
        item = Item()
        texts = []
        inline = _Node("span")
        for part in child.children:
            if isinstance(part, _Node) and part.tag in ("ul", "ol"):
                item.lists.append(_html_list(part))
            elif isinstance(part, _Node) and (part.tag == "p" or part.tag in _HEADINGS):
                texts.append(_html_inline(part))
            elif isinstance(part, _Node) and part.tag == "table":
                texts.append(" ".join(" ".join(row) for row in _html_table(part).rows))
            else:
                inline.children.append(part)
        texts.insert(0, _html_inline(inline))
        item.text = " ".join(t for t in texts if t)
        block.items.append(item)
    return block


def _html_table(node: _Node) -> TableBlock:
    table = TableBlock()

    def rows(n: _Node):
        for child in n.children:
            if isinstance(child, _Node):
                if child.tag == "tr":
                    yield child
                elif child.tag in ("thead", "tbody", "tfoot"):
                    yield from rows(child)

    for row in rows(node):
        cells = []
        for cell in row.children:
            if isinstance(cell, _Node) and cell.tag in ("td", "th"):
                cells.append(" ".join(t for t in (_html_inline(p) for p in _cell_parts(cell)) if t))
        table.rows.append(cells)
    return table


def _cell_parts(cell: _Node) -> list[_Node]:
    """A cell's paragraphs (and lists, flattened), each to be written inline."""
    parts, loose = [], _Node("span")
    for child in cell.children:
        if isinstance(child, _Node) and child.tag in ("p", "li", *_HEADINGS):
            parts.append(child)
        elif isinstance(child, _Node) and child.tag in ("ul", "ol", "table", "tr", "td", "th", "tbody", "thead"):
            parts.extend(_cell_parts(child))
        else:
            loose.children.append(child)
    return [loose, *parts]


def _html_inline(node: _Node) -> str:
    out: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            out.append(_inline_text(child))
        elif child.tag == "br":
            out.append("\n")
        elif child.tag in ("strong", "b"):
            out.append(_emphasis(_html_inline(child), "**"))
        elif child.tag in ("em", "i"):
            out.append(_emphasis(_html_inline(child), "*"))
        elif child.tag == "a" and child.attrs.get("href", "").startswith("#"):
            continue  # footnote and comment markers
        elif child.tag == "a" and re.match(r"(https?:|mailto:)", child.attrs.get("href", "")):
            out.append(_link(_html_inline(child), child.attrs["href"]))
        elif child.tag in ("img", "ul", "ol", "table"):
            continue
        else:
            out.append(_html_inline(child))
    return _tidy("".join(out))


# --- ODT: odfdo's body ------------------------------------------------------------------------

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _odt_blocks(content: bytes) -> list[Block]:
    from odfdo import Document

    document = Document(io.BytesIO(content))
    if document.get_type() not in ("text", "text-template"):
        raise ImportRefused(damaged_message())
    styles = _OdtStyles(document)
    return _odt_children(document.body, styles)


class _OdtStyles:
    """What the document's styles say: bold or italic text, numbered or bulleted lists."""

    def __init__(self, document):
        self.bold: set[str] = set()
        self.italic: set[str] = set()
        self.numbered: set[str] = set()
        self.parents: dict[str, str] = {}
        for style in document.get_styles():
            name = style.get_attribute("style:name")
            if not name:
                continue
            if style.tag == "text:list-style":
                first = next((c for c in style.children
                              if c.get_attribute("text:level") in ("1", None)), None)
                if first is not None and first.tag == "text:list-level-style-number":
                    self.numbered.add(name)
                continue
            parent = style.get_attribute("style:parent-style-name")
            if parent:
                self.parents[name] = parent
            for props in style.children:
                if props.tag == "style:text-properties":
                    if props.get_attribute("fo:font-weight") in ("bold", "600", "700", "800", "900"):
                        self.bold.add(name)
                    if props.get_attribute("fo:font-style") in ("italic", "oblique"):
                        self.italic.add(name)

    def has(self, kind: set[str], name: str | None) -> bool:
        seen = set()
        while name and name not in seen:
            if name in kind:
                return True
            seen.add(name)
            name = self.parents.get(name)
        return False


def _odt_children(element, styles: _OdtStyles) -> list[Block]:
    blocks: list[Block] = []
    for child in element.children:
        tag = child.tag
        if tag == "text:h":
            level = int(child.get_attribute("text:outline-level") or 1)
            blocks.append(Heading(min(max(level, 1), 6), _odt_inline(child, styles)))
        elif tag == "text:p":
            blocks.append(Para(_odt_inline(child, styles)))
        elif tag == "text:list":
            blocks.append(_odt_list(child, styles, None))
        elif tag == "table:table":
            blocks.append(_odt_table(child, styles))
        elif tag in ("text:section", "text:index-body", "text:change-end", "table:table-row-group"):
            blocks.extend(_odt_children(child, styles))
        elif tag in ("text:table-of-content", "text:alphabetical-index", "text:illustration-index",
                     "text:bibliography", "text:user-index", "text:object-index", "text:table-index"):
            continue  # a generated index repeats the headings
    return blocks


def _odt_list(element, styles: _OdtStyles, inherited: str | None) -> ListBlock:
    style = element.get_attribute("text:style-name") or inherited
    block = ListBlock(ordered=styles.has(styles.numbered, style))
    for child in element.children:
        if child.tag not in ("text:list-item", "text:list-header"):
            continue
        item, texts = Item(), []
        for part in child.children:
            if part.tag == "text:list":
                item.lists.append(_odt_list(part, styles, style))
            elif part.tag in ("text:p", "text:h"):
                texts.append(_odt_inline(part, styles))
        item.text = " ".join(t for t in texts if t)
        block.items.append(item)
    return block


def _odt_table(element, styles: _OdtStyles) -> TableBlock:
    table = TableBlock()

    def rows(e):
        for child in e.children:
            if child.tag == "table:table-row":
                yield child
            elif child.tag in ("table:table-header-rows", "table:table-rows", "table:table-row-group"):
                yield from rows(child)

    for row in rows(element):
        cells = []
        for cell in row.children:
            if cell.tag == "table:table-cell":
                repeat = min(int(cell.get_attribute("table:number-columns-repeated") or 1), 50)
                text = " ".join(t for t in (_odt_cell_text(part, styles) for part in cell.children) if t)
                cells.extend([text] * repeat)
            elif cell.tag == "table:covered-table-cell":
                cells.append("")
        table.rows.append(cells)
    while table.rows and not any(table.rows[-1]):
        table.rows.pop()  # LibreOffice's repeated empty rows
    width = max((_last_filled(row) for row in table.rows), default=0)
    table.rows = [row[:width] for row in table.rows]
    return table


def _last_filled(row: list[str]) -> int:
    return max((i + 1 for i, text in enumerate(row) if text), default=0)


def _odt_cell_text(part, styles) -> str:
    if part.tag in ("text:p", "text:h"):
        return _odt_inline(part, styles)
    if part.tag == "text:list":
        return " ".join(_flat_items(_odt_list(part, styles, None)))
    return ""


def _flat_items(block: ListBlock) -> list[str]:
    out = []
    for item in block.items:
        out.append(item.text)
        for inner in item.lists:
            out.extend(_flat_items(inner))
    return out


_SKIPPED_INLINE = {"text:note", "text:annotation", "text:annotation-end", "draw:frame", "text:bookmark",
                   "text:bookmark-start", "text:bookmark-end", "text:reference-mark", "text:soft-page-break",
                   "text:tracked-changes", "text:change", "text:change-start", "text:change-end",
                   "office:annotation", "office:annotation-end", "text:sequence-decls"}


def _odt_inline(element, styles: _OdtStyles) -> str:
    out: list[str] = []
    _odt_inline_into(element._xml_element, styles, out)  # odfdo's lxml element: text and tails in order
    return _tidy("".join(out))


def _odt_inline_into(xml, styles: _OdtStyles, out: list[str]) -> None:
    """Walk the lxml element: its text, its children (with their tails)."""
    if xml.text:
        out.append(_inline_text(xml.text))
    for child in xml:
        tag = _prefixed(child.tag)
        if tag in _SKIPPED_INLINE:
            pass
        elif tag == "text:s":
            out.append(" " * min(int(child.get(_TEXT + "c") or 1), 10))
        elif tag == "text:tab":
            out.append(" ")
        elif tag == "text:line-break":
            out.append("\n")
        elif tag == "text:span":
            inner: list[str] = []
            _odt_inline_into(child, styles, inner)
            text = "".join(inner)
            name = child.get(_TEXT + "style-name")
            if styles.has(styles.bold, name):
                text = _emphasis(text, "**")
            if styles.has(styles.italic, name):
                text = _emphasis(text, "*")
            out.append(text)
        elif tag == "text:a":
            inner = []
            _odt_inline_into(child, styles, inner)
            href = child.get("{http://www.w3.org/1999/xlink}href") or ""
            out.append(_link("".join(inner), href) if re.match(r"(https?:|mailto:)", href) else "".join(inner))
        else:
            _odt_inline_into(child, styles, out)
        if child.tail:
            out.append(_inline_text(child.tail))


_NAMESPACES = {
    "urn:oasis:names:tc:opendocument:xmlns:text:1.0": "text",
    "urn:oasis:names:tc:opendocument:xmlns:office:1.0": "office",
    "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0": "draw",
}


def _prefixed(tag) -> str:
    if not isinstance(tag, str):
        return ""  # a comment or processing instruction
    match = re.match(r"\{(.*)\}(.*)", tag)
    if not match:
        return tag
    return f"{_NAMESPACES.get(match.group(1), match.group(1))}:{match.group(2)}"


# --- writing Markdown -------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\n\r\f\v]+")  # not the no-break space, which Polish typesetting uses
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<])")


def _inline_text(text: str) -> str:
    """Document text as Markdown text: white space as HTML reads it, Markdown's characters escaped."""
    return _INLINE_SPECIAL.sub(r"\\\1", _SPACES.sub(" ", text))


def _emphasis(text: str, marker: str) -> str:
    """**text** with the spaces around it kept outside (Markdown ignores "** text**")."""
    stripped = text.strip(" ")
    if not stripped or "\n" in stripped:
        return text
    lead = text[:len(text) - len(text.lstrip(" "))]
    trail = text[len(text.rstrip(" ")):]
    return f"{lead}{marker}{stripped}{marker}{trail}"


def _link(text: str, href: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return f"[{text}](<{href.replace('<', '%3C').replace('>', '%3E').replace(' ', '%20')}>)"


def _tidy(text: str) -> str:
    lines = [re.sub(r" {2,}", " ", line).strip(" ") for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


_LINE_START = re.compile(r"^(?:(#{1,6}|>|[-+*]|={2,}|-{2,}|~{3,}|\|)(?=\s|$|[=\-~|#]))")
_NUMBER_START = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


def _escape_line_start(line: str) -> str:
    """What would make a line a heading, list, quotation, rule or table in Markdown, escaped."""
    if _NUMBER_START.match(line):
        return _NUMBER_START.sub(r"\1\\\2", line, count=1)
    if _LINE_START.match(line):
        return "\\" + line
    return line


def _paragraph(text: str) -> str:
    """A paragraph's lines: a line break inside it is Markdown's hard break (a backslash)."""
    return "\\\n".join(_escape_line_start(line) for line in text.split("\n"))


def _one_line(text: str) -> str:
    return " ".join(text.split("\n"))


def _list_lines(block: ListBlock, indent: str = "") -> list[str]:
    lines = []
    for number, item in enumerate(block.items, start=1):
        marker = f"{number}. " if block.ordered else "- "
        text = _escape_line_start(_one_line(item.text)) if item.text else ""
        lines.append(f"{indent}{marker}{text}".rstrip())
        for inner in item.lists:
            lines.extend(_list_lines(inner, indent + " " * len(marker)))
    return lines


def _table_lines(block: TableBlock) -> list[str]:
    rows = [row for row in block.rows if any(row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)

    def line(cells):
        cells = [_one_line(c).replace("|", "\\|") for c in cells] + [""] * (width - len(cells))
        return "| " + " | ".join(cells) + " |"

    return [line(rows[0]), "|" + "|".join(["---"] * width) + "|", *(line(row) for row in rows[1:])]


def write(blocks: Iterable[Block]) -> str:
    """The blocks as the draft's Markdown, one blank line between blocks."""
    out: list[str] = []
    previous: Block | None = None
    for block in blocks:
        if isinstance(block, Heading):
            text = _one_line(block.text)
            if not text:
                continue
            out.append(("##" if block.level <= 2 else "#" * block.level) + " " + text)
        elif isinstance(block, Para):
            if not block.text:
                continue
            out.append(_paragraph(block.text))
        elif isinstance(block, ListBlock):
            if not block.items:
                continue
            announced = isinstance(previous, Para) and previous.text.rstrip().endswith(":")
            if block.ordered and not announced:
                # Numbered paragraphs of a section: each item is a paragraph (ust.), numbered by us.
                for item in block.items:
                    if item.text:
                        out.append(_paragraph(item.text))
                    for inner in item.lists:
                        out.append("\n".join(_list_lines(inner)))
                previous = Para(block.items[-1].text) if block.items[-1].text else None
                continue
            out.append("\n".join(_list_lines(block)))
        elif isinstance(block, TableBlock):
            lines = _table_lines(block)
            if not lines:
                continue
            out.append("\n".join(lines))
        previous = block
    return "\n\n".join(out) + "\n" if out else ""


# --- a published draft, as Markdown again -----------------------------------------------------

def sections_markdown(sections: Iterable[tuple[int, str, Iterable[str]]]) -> str:
    """(number, title, paragraphs' Markdown) per section -> "## § N. Title" and the paragraphs.

    The number in front is ours and the parser drops it; it keeps a title that itself starts
    like a number ("Rozdział 2 …") from losing it.
    """
    parts = []
    for number, title, paragraphs in sections:
        escaped = _INLINE_SPECIAL.sub(r"\\\1", title)
        parts.append(f"## § {number}. {escaped}")
        parts.extend(text.strip("\n") for text in paragraphs if text.strip())
    return "\n\n".join(parts) + "\n" if parts else ""
