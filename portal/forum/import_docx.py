"""DOCX → the draft's blocks, through mammoth's HTML (a small tree of the tags mammoth writes)."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from portal.forum.draft_blocks import (Block, Heading, Item, ListBlock, Para, TableBlock, emphasis, inline_text, link,
                                       tidy)


def blocks(content: bytes) -> list[Block]:
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
                blocks.append(Para(inline_text(child)))
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
            out.append(inline_text(child))
        elif child.tag == "br":
            out.append("\n")
        elif child.tag in ("strong", "b"):
            out.append(emphasis(_html_inline(child), "**"))
        elif child.tag in ("em", "i"):
            out.append(emphasis(_html_inline(child), "*"))
        elif child.tag == "a" and child.attrs.get("href", "").startswith("#"):
            continue  # footnote and comment markers
        elif child.tag == "a" and re.match(r"(https?:|mailto:)", child.attrs.get("href", "")):
            out.append(link(_html_inline(child), child.attrs["href"]))
        elif child.tag in ("img", "ul", "ol", "table"):
            continue
        else:
            out.append(_html_inline(child))
    return tidy("".join(out))
