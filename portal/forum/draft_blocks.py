"""The few blocks a Word or LibreOffice draft becomes (headings, paragraphs, lists, tables), and the
one writer that turns them into the draft's Markdown; a published draft as Markdown again.

Readers: `import_docx.py` (mammoth's HTML), `import_odt.py` (odfdo's body); `importing.py` picks one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable


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


# --- writing Markdown -------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\n\r\f\v]+")  # not the no-break space, which Polish typesetting uses
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<])")


def inline_text(text: str) -> str:
    """Document text as Markdown text: white space as HTML reads it, Markdown's characters escaped."""
    return _INLINE_SPECIAL.sub(r"\\\1", _SPACES.sub(" ", text))


def emphasis(text: str, marker: str) -> str:
    """**text** with the spaces around it kept outside (Markdown ignores "** text**")."""
    stripped = text.strip(" ")
    if not stripped or "\n" in stripped:
        return text
    lead = text[:len(text) - len(text.lstrip(" "))]
    trail = text[len(text.rstrip(" ")):]
    return f"{lead}{marker}{stripped}{marker}{trail}"


def link(text: str, href: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return f"[{text}](<{href.replace('<', '%3C').replace('>', '%3E').replace(' ', '%20')}>)"


def tidy(text: str) -> str:
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

def sections_markdown(sections: Iterable[tuple[str, str, Iterable[str]]]) -> str:
    """(label as written, title, paragraphs' Markdown) per section -> "## Rozdział 1. Title" and the
    paragraphs: parsed again, it gives the same names (the label in front is always the one read).
    """
    parts = []
    for label, title, paragraphs in sections:
        escaped = _INLINE_SPECIAL.sub(r"\\\1", title)
        parts.append(f"## {label}. {escaped}")
        parts.extend(text.strip("\n") for text in paragraphs if text.strip())
    return "\n\n".join(parts) + "\n" if parts else ""
