"""ODT → the draft's blocks, by walking odfdo's body (its styles tell bold, italics and numbered lists)."""
from __future__ import annotations

import io
import re

from portal.forum.draft_blocks import (Block, Heading, Item, ListBlock, Para, TableBlock, emphasis, inline_text, link,
                                       tidy)


_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def blocks(content: bytes) -> list[Block]:
    from odfdo import Document

    document = Document(io.BytesIO(content))
    if document.get_type() not in ("text", "text-template"):
        raise ValueError("not a text document")  # importing.to_markdown: a damaged file
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
    return tidy("".join(out))


def _odt_inline_into(xml, styles: _OdtStyles, out: list[str]) -> None:
    """Walk the lxml element: its text, its children (with their tails)."""
    if xml.text:
        out.append(inline_text(xml.text))
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
                text = emphasis(text, "**")
            if styles.has(styles.italic, name):
                text = emphasis(text, "*")
            out.append(text)
        elif tag == "text:a":
            inner = []
            _odt_inline_into(child, styles, inner)
            href = child.get("{http://www.w3.org/1999/xlink}href") or ""
            out.append(link("".join(inner), href) if re.match(r"(https?:|mailto:)", href) else "".join(inner))
        else:
            _odt_inline_into(child, styles, out)
        if child.tail:
            out.append(inline_text(child.tail))


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
