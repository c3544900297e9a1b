"""The words a text is found by: each word folded to lower case, and its Polish stems.

"edukacji ekologicznej" is stored as "edukacji edukacja ekologicznej ekologiczny": a query's word
finds a text when the word or one of its stems is among the text's, so inflected forms find each
other (PostgreSQL has no Polish dictionary by default). The stems come from Stempel, the stemmer
of Lucene's Polish analyser, through pystempel's two tables: the PoliMorf one (trained on the
PoliMorf dictionary: gminie → gmina, szkole → szkoła, wniosku → wniosek, osób → osoba, which the
original table misses) and the original one, which still knows some names the first does not
(Krakowie, Toruniu). A stem that is shorter than three letters or does not begin with the word's
first letter is a guess gone wrong ("Toruń" → "ć", "niepełnosprawność" → "pełnosprawność", the
opposite) and is not kept. The words of Markdown are those a reader sees: link addresses and
markup are not words of the text.
"""
from __future__ import annotations

import gzip
import re
import struct
import threading
from functools import lru_cache
from importlib import resources

from markupsafe import Markup

from portal.sanitize import render_markdown

# Letters and digits, as PostgreSQL's parser splits them ("społeczno-kulturalny", "a_b" are two).
_WORD = re.compile(r"[^\W_]+")
_TABLES = (("pystempel.data.polimorf", "stemmer_polimorf.tbl.gz"),
           ("pystempel.data.original", "stemmer_20000.tbl.gz"))
_SHORTEST_STEM = 3
_lock = threading.Lock()
_stemmers: tuple | None = None


class _Cell:
    """What a stemming lookup reads of a trie's cell; identical cells are one object."""

    __slots__ = ("cmd", "ref")

    def __init__(self, cmd: int, ref: int):
        self.cmd, self.ref = cmd, ref


_CELL = struct.Struct(">Hiiii")  # char, command, count, next row, skip (Java's DataOutputStream)


def _read_table(package: str, name: str):
    """A Stempel table read straight into small cells: 0.4 s and ~30 MB for PoliMorf's, where
    pystempel's own reader takes 3 s and 170 MB (a sorted dict and four attributes per cell)."""
    from pystempel import Stemmer
    from pystempel.egothor import MultiTrie2, Row, Trie

    with (resources.files(package) / name).open("rb") as raw:
        data = gzip.decompress(raw.read())
    position = 0

    def take(kind: str):
        nonlocal position
        value, = struct.unpack_from(kind, data, position)
        position += struct.calcsize(kind)
        return value

    def text() -> str:
        nonlocal position
        length = take(">H")
        position += length
        return data[position - length:position].decode("utf-8")

    if "M" not in text().upper():
        raise ValueError(f"{name}: not a multi-trie stemming table")
    multi = MultiTrie2(forward=take("?"))
    multi.BY = take(">i")
    cells: dict[tuple[int, int], _Cell] = {}
    for _trie in range(take(">i")):
        forward, root = take("?"), take(">i")
        commands = [text() for _command in range(take(">i"))]
        rows = []
        for _row in range(take(">i")):
            row = {}
            for _cell in range(take(">i")):
                char, command, _count, ref, _skip = _CELL.unpack_from(data, position)
                position += _CELL.size
                row[chr(char)] = cells.setdefault((command, ref), _Cell(command, ref))
            rows.append(Row(row))
        multi.tries.append(Trie(forward=forward, root=root, cmds=commands, rows=rows))
    return Stemmer(multi)


def warm() -> None:
    """Read the stemmer's tables now (0.7 s), not at the first comment or search of a process."""
    _load()


def _load() -> tuple:
    global _stemmers
    with _lock:
        if _stemmers is None:
            _stemmers = tuple(_read_table(package, name) for package, name in _TABLES)
    return _stemmers


@lru_cache(maxsize=50_000)
def forms(word: str) -> tuple[str, ...]:
    """The word folded, then its stems that differ from it: ("gminie", "gmina", "gmin")."""
    folded = word.casefold()
    if len(folded) < _SHORTEST_STEM or folded.isdigit():
        return (folded,)
    found = [folded]
    for stemmer in _stemmers or _load():
        stem = (stemmer(folded) or "").casefold()
        if len(stem) >= _SHORTEST_STEM and stem[0] == folded[0] and stem not in found:
            found.append(stem)
    return tuple(found)


def words(text: str) -> list[str]:
    return _WORD.findall(text or "")


def query_forms(query: str) -> list[tuple[str, ...]]:
    """The forms of each distinct word of a query: a text is found when it has, for every word,
    at least one of its forms."""
    seen: dict[str, tuple[str, ...]] = {}
    for word in words(query):
        seen.setdefault(word.casefold(), forms(word))
    return list(seen.values())


def plain_text(markdown: str) -> str:
    """What a reader sees of Markdown: the text of the rendered, sanitised HTML."""
    return Markup(render_markdown(markdown)).striptags()


def indexed(text: str) -> str:
    """The search text stored beside a comment or a paragraph (its Markdown): every word and stem, once."""
    seen: dict[str, None] = {}
    for word in words(plain_text(text)):
        for form in forms(word):
            seen.setdefault(form, None)
    return " ".join(seen)


def word_matches(text: str):
    """The words of a text with their places (for highlighting)."""
    return _WORD.finditer(text or "")
