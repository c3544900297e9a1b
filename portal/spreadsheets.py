"""Tables as spreadsheet files (CSV and XLSX) that never run what people typed as a formula.

Every export of the portal (registrations, the report's comments, the moderation log) writes
its header and rows through here.

- `safe_cell`: text starting with = + - @ (or a tab or carriage return) gets a leading
  apostrophe, the usual CSV-injection defence (Indico does the same); Excel and LibreOffice
  then show it as text. It is idempotent: a value already made safe is left as it is.
- CSV: UTF-8 with a byte-order mark (so Excel reads Polish letters), comma separated, quoted as
  RFC 4180 says (a value with a comma, quote or line break is put in quotes, quotes doubled),
  lines ending in CR LF. A comma rather than the semicolon of Polish Excel: it is the standard
  every other tool reads, and the XLSX file is there for Excel users.
- XLSX (openpyxl): control characters XML cannot hold are removed first (a pasted form feed
  would break the file), then `safe_cell`; every text cell is typed as a string, so openpyxl
  never takes one for a formula; dates get a date format; the header is bold and frozen.
- Large tables (10,000 comments, 50,000 log rows) never sit in memory whole: `csv_chunks` and
  `xlsx_chunks` give the file piece by piece as the rows come (the XLSX sheet written row by row,
  openpyxl's write-only mode, straight into the zip file), so a download starts at once.
  `to_csv` and `to_xlsx` are the same files in one piece, for small tables.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

# What a spreadsheet may take as the start of a formula (or of a DDE payload): = + - @,
# and tab / carriage return, which some programs skip before reading the rest.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

DATE_FORMAT = "yyyy-mm-dd hh:mm"      # XLSX cells holding a datetime
CSV_DATE_FORMAT = "%Y-%m-%d %H:%M"    # the same moment written into a CSV cell
BOM = "\ufeff".encode()              # what "utf-8-sig" puts before the first byte
CHUNK_CHARACTERS = 64 * 1024          # a streamed CSV's pieces: about this long, whole rows each


def safe_cell(value):
    """A value as a spreadsheet cell that is never a formula.

    Text starting with = + - @ (or a tab or carriage return) gets a leading apostrophe. Other
    values (numbers, dates, None) pass through unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def clean(value):
    """Without control characters XML cannot hold (a pasted form feed would break the XLSX).

    Done before `safe_cell` (see `cell`), so removing a character can never uncover a leading "=".
    """
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def cell(value):
    """A value ready for either format: cleaned, then made safe."""
    return safe_cell(clean(value))


def safe_table(header: Sequence, rows: Iterable[Sequence]) -> tuple[list, list[list]]:
    """Header and rows with every value through `cell`."""
    return [cell(title) for title in header], [[cell(value) for value in row] for row in rows]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(CSV_DATE_FORMAT)
    return str(value)


def csv_chunks(header: Sequence, rows: Iterable[Sequence]) -> Iterator[bytes]:
    """`to_csv`'s bytes in pieces: the BOM and header first, then about CHUNK_CHARACTERS of rows at
    a time, read from `rows` only as they are written (a generator of rows is never held whole)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([_text(safe_cell(title)) for title in header])
    yield BOM + _taken(out)
    for row in rows:
        writer.writerow([_text(safe_cell(value)) for value in row])
        if out.tell() >= CHUNK_CHARACTERS:
            yield _taken(out)
    if out.tell():
        yield _taken(out)


def _taken(out: io.StringIO) -> bytes:
    """What was written into `out` so far, encoded; `out` is emptied for the next piece."""
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode("utf-8")


def to_csv(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    """The table as CSV bytes (BOM, comma, RFC 4180 quoting, CR LF); every value through `safe_cell`.

    None is an empty cell, a datetime "2020-09-30 10:00", anything else its `str`.
    """
    return b"".join(csv_chunks(header, rows))


def xlsx_chunks(header: Sequence, rows: Iterable[Sequence], sheet_title: str, *,
                widths: Sequence[float] = (), wrap_text: bool = False) -> Iterator[bytes]:
    """The table as one XLSX sheet, in pieces of the file made as the rows come.

    Every value goes through `cell`; `widths` sets the first columns' widths (in characters);
    `wrap_text` wraps long texts, aligned to the top of their rows. The sheet is written row by
    row (openpyxl's write-only mode) straight into its entry of the zip file, and the zip file
    into the pieces: neither the rows nor the file are ever held whole. The workbook's other
    parts (styles, the workbook, the manifest), which only openpyxl's own writer knows how to
    write, follow the sheet; a zip file may hold its entries in any order. (This reaches into
    openpyxl beyond its public API: tests/test_streamed_exports.py compares the file with the one
    openpyxl makes of a whole workbook in memory, cell for cell, on every upgrade.)
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    sheet._id = 1  # the sheet's number in the file, which openpyxl gives as it saves
    # Write-only sheets take column widths and the frozen header before the first row.
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    dated = _style(sheet, number_format=DATE_FORMAT)
    text = _style(sheet, alignment=Alignment(wrap_text=True, vertical="top")) if wrap_text else None
    pipe = _Pipe()
    with ZipFile(pipe, "w", ZIP_DEFLATED) as archive:
        with archive.open(sheet.path[1:], "w") as entry:
            sheet._writer = WorksheetWriter(sheet, out=entry)  # instead of openpyxl's temporary file
            sheet._writer.write_top()
            sheet.append([_title(sheet, cell(title)) for title in header])
            yield pipe.taken()  # the file's first bytes: the download starts before the rows are read
            for row in rows:
                sheet.append([_styled(sheet, cell(value), text, dated) for value in row])
                if pipe.size >= CHUNK_CHARACTERS:
                    yield pipe.taken()
            sheet.close()
        workbook.properties.modified = datetime.now(tz=timezone.utc).replace(tzinfo=None)
        _RestOfTheWorkbook(workbook, archive).write_data()
    yield pipe.taken()


class _Pipe(io.RawIOBase):
    """Where the zip file is written: it keeps what was written until it is taken. Not seekable,
    so zipfile writes each entry's sizes after its data."""

    def __init__(self):
        super().__init__()
        self._pieces: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._pieces.append(bytes(data))
        self.size += len(data)
        return len(data)

    def taken(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces, self.size = [], 0
        return data


class _RestOfTheWorkbook(ExcelWriter):
    """openpyxl's writer of the workbook's parts, but for the sheet, already in the zip file."""

    def write_worksheet(self, ws):
        ws._drawing = SpreadsheetDrawing()
        ws._rels = ws._writer._rels
        self.manifest.append(ws)


def to_xlsx(header: Sequence, rows: Iterable[Sequence], sheet_title: str, *,
            widths: Sequence[float] = (), wrap_text: bool = False) -> bytes:
    """The table as one XLSX sheet, in one piece (`xlsx_chunks` joined)."""
    return b"".join(xlsx_chunks(header, rows, sheet_title, widths=widths, wrap_text=wrap_text))


_BOLD = Font(bold=True)


def _title(sheet, value) -> WriteOnlyCell:
    item = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        item.data_type = "s"
    item.font = _BOLD
    return item


def _style(sheet, **attributes) -> StyleArray:
    """A cell style made once for all the cells that take it (`Cell(style_array=…)`): set on each
    cell, a style is hashed and looked up in the workbook again, a fifth of a large sheet's time."""
    prototype = WriteOnlyCell(sheet)
    for name, value in attributes.items():
        setattr(prototype, name, value)
    return prototype._style


def _styled(sheet, value, text_style: StyleArray | None, date_style: StyleArray):
    """A value as a write-only cell: a date with the date format, a text typed as a string."""
    if isinstance(value, datetime):
        return Cell(sheet, row=1, column=1, value=value, style_array=date_style)
    if isinstance(value, str):
        item = Cell(sheet, row=1, column=1, value=value, style_array=text_style)
        # openpyxl takes any string starting with "=" for a formula; after safe_cell none does,
        # and the explicit type keeps it so.
        item.data_type = "s"
        return item
    return value
