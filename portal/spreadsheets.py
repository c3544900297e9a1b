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
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

# What a spreadsheet may take as the start of a formula (or of a DDE payload): = + - @,
# and tab / carriage return, which some programs skip before reading the rest.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

DATE_FORMAT = "yyyy-mm-dd hh:mm"      # XLSX cells holding a datetime
CSV_DATE_FORMAT = "%Y-%m-%d %H:%M"    # the same moment written into a CSV cell


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


def to_csv(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    """The table as CSV bytes (BOM, comma, RFC 4180 quoting, CR LF); every value through `safe_cell`.

    None is an empty cell, a datetime "2020-09-30 10:00", anything else its `str`.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([_text(safe_cell(title)) for title in header])
    for row in rows:
        writer.writerow([_text(safe_cell(value)) for value in row])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(header: Sequence, rows: Iterable[Sequence], sheet_title: str, *,
            widths: Sequence[float] = (), wrap_text: bool = False) -> bytes:
    """The table as one XLSX sheet; every value through `cell`.

    `widths` sets the first columns' widths (in characters); `wrap_text` wraps long texts,
    aligned to the top of their rows.
    """
    header, body = safe_table(header, rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append(header)
    for title in sheet[1]:
        title.font = Font(bold=True)
    for values in body:
        sheet.append(values)
    for row in sheet.iter_rows(min_row=2):
        for item in row:
            if isinstance(item.value, datetime):
                item.number_format = DATE_FORMAT
            elif isinstance(item.value, str):
                # openpyxl takes any string starting with "=" for a formula; after safe_cell none
                # does, and the explicit type keeps it so.
                item.data_type = "s"
                if wrap_text:
                    item.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
