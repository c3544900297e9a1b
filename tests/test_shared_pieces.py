"""The shared pieces: the formula-safe spreadsheet writer, the pagination helper and the pager macro."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from flask import render_template_string
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from portal import pagination, spreadsheets
from portal.bad_input import MAX_PAGE

# --- spreadsheets ------------------------------------------------------------------------------

HEADER = ["Nr", "Treść", "Kiedy", "=tytuł"]
ROWS = [
    [1, "=HYPERLINK(\"http://zly.example\")", datetime(2020, 9, 30, 10, 5), None],
    [2, "a, \"b\"\nc", None, "-5"],
    [3, "\x0c=1+1", None, "+48 600"],
]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+48 600", "'+48 600"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Fundacja", "Fundacja"), ("a=b", "a=b"), ("", ""),
    (None, None), (3, 3), (-3, -3)])
def test_safe_cell(value, expected):
    assert spreadsheets.safe_cell(value) == expected


def test_safe_cell_is_idempotent():
    assert spreadsheets.safe_cell(spreadsheets.safe_cell("=1")) == "'=1"


def test_cleaning_comes_before_safety_so_no_formula_is_uncovered():
    assert spreadsheets.cell("\x0c=1+1") == "'=1+1"
    assert spreadsheets.clean(5) == 5


def test_csv_bytes_have_a_bom_crlf_rfc4180_quoting_and_no_formula():
    data = spreadsheets.to_csv(HEADER, ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == (
        "Nr,Treść,Kiedy,'=tytuł\r\n"
        "1,\"'=HYPERLINK(\"\"http://zly.example\"\")\",2020-09-30 10:05,\r\n"
        "2,\"a, \"\"b\"\"\nc\",,'-5\r\n"
        "3,\x0c=1+1,,'+48 600\r\n")


def test_csv_of_a_safe_table_is_the_same_as_of_the_raw_one_without_control_characters():
    rows = ROWS[:2]
    assert spreadsheets.to_csv(*spreadsheets.safe_table(HEADER, rows)) == spreadsheets.to_csv(HEADER, rows)


def test_xlsx_keeps_every_text_a_string_and_dates_as_dates():
    title = "Arkusz o bardzo długim tytule, dłuższym niż 31 znaków"
    data = spreadsheets.to_xlsx(HEADER, ROWS, title, widths=(8, 60), wrap_text=True)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == title[:31]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Nr", "Treść", "Kiedy", "'=tytuł"]
    assert values[1] == [1, "'=HYPERLINK(\"http://zly.example\")", datetime(2020, 9, 30, 10, 5), None]
    assert values[3] == [3, "'=1+1", None, "'+48 600"]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
    assert sheet["C2"].number_format == spreadsheets.DATE_FORMAT
    assert sheet["B2"].alignment.wrap_text
    assert sheet.column_dimensions["A"].width == 8 and sheet.column_dimensions["B"].width == 60
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold


def test_xlsx_without_options_does_not_wrap():
    sheet = load_workbook(io.BytesIO(spreadsheets.to_xlsx(HEADER, ROWS, "Zapisy"))).active
    assert not sheet["B2"].alignment.wrap_text


# --- pagination --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    (None, 1), ("", 1), ("1", 1), ("2", 2), (" 3 ", 3), ("0", 1), ("-2", 1), ("abc", 1), ("2.5", 1),
    ("²", 1), ("٣", 1), ("+2", 1), (str(MAX_PAGE), MAX_PAGE), (str(MAX_PAGE + 1), 1), ("9" * 40, 1)])
def test_requested_page(text, expected):
    args = MultiDict() if text is None else MultiDict({"strona": text})
    assert pagination.requested_page(args) == expected


def test_requested_page_reads_the_request(app):
    with app.test_request_context("/?strona=4"):
        assert pagination.requested_page() == 4


@pytest.mark.parametrize("total, per_page, pages", [(0, 50, 1), (1, 50, 1), (50, 50, 1), (51, 50, 2), (120, 50, 3)])
def test_page_count(total, per_page, pages):
    assert pagination.page_count(total, per_page) == pages


@pytest.mark.parametrize("number, total, expected", [(1, 0, 1), (0, 120, 1), (-4, 120, 1), (2, 120, 2),
                                                     (3, 120, 3), (99, 120, 3), (5, 0, 1)])
def test_clamped(number, total, expected):
    assert pagination.clamped(number, total, 50) == expected


def test_offset_and_slice():
    assert [pagination.offset(n, 50) for n in (0, 1, 2, 3)] == [0, 0, 50, 100]
    from sqlalchemy import column, select, table
    statement = pagination.page_of(select(column("id")).select_from(table("t")), 3, 20)
    assert statement._limit == 20 and statement._offset == 40


class _Page(pagination.Paged):
    def __init__(self, number, pages):
        self.number, self.pages = number, pages


@pytest.mark.parametrize("number, pages, previous, next_", [(1, 1, None, None), (1, 3, None, 2), (2, 3, 1, 3),
                                                            (3, 3, 2, None), (9, 2, 8, None)])
def test_paged_neighbours(number, pages, previous, next_):
    page = _Page(number, pages)
    assert (page.previous, page.next) == (previous, next_)
    assert (page.has_previous, page.has_next) == (previous is not None, next_ is not None)


# --- the pager macro ---------------------------------------------------------------------------

PAGER = ('{% from "macros/pager.html" import pager %}'
         '{% call(n) pager(number, pages, "Strony listy") %}{{ url_for("admin_users.list_users", q=q, strona=n) }}'
         '{% endcall %}')


def _pager(app, number, pages, q=None) -> str:
    with app.test_request_context("/"):
        return render_template_string(PAGER, number=number, pages=pages, q=q)


def test_no_pager_for_one_page(app):
    assert _pager(app, 1, 1).strip() == ""


def test_pager_markup(app):
    middle = _pager(app, 2, 3, q="a&b")
    assert '<nav aria-label="Strony listy">' in middle and '<ul class="pager">' in middle
    assert '<li aria-current="page">strona 2 z 3</li>' in middle
    assert '<a href="/admin/uzytkownicy?q=a%26b&amp;strona=1" rel="prev">Poprzednia</a>' in middle
    assert '<a href="/admin/uzytkownicy?q=a%26b&amp;strona=3" rel="next">Następna</a>' in middle
    first, last = _pager(app, 1, 3), _pager(app, 3, 3)
    assert "Poprzednia" not in first and 'href="/admin/uzytkownicy?strona=2" rel="next"' in first
    assert "Następna" not in last and 'href="/admin/uzytkownicy?strona=2" rel="prev"' in last
