"""Large exports are sent while they are made, and a worker's memory does not grow with them.

The report's CSV, XLSX and JSON and the moderation log's CSV are streamed, their rows read from
the database in batches (the XLSX sheet zipped as it is written). The files are the same as the ones made in one piece before: byte for byte (CSV, JSON),
cell for cell (XLSX, compared with the former in-memory writer kept below). Their queries do not
grow with their rows, and neither does the memory needed to make them (tracemalloc's peak:
a ratio between a small and a large export, never a time).
"""
from __future__ import annotations

import csv
import io
import json
import tracemalloc
from datetime import datetime, timedelta

import pytest
from flask import has_request_context, jsonify
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, insert, select

from portal import clock, spreadsheets
from portal.accounts.models import User
from portal.audit import AuditLog
from portal.extensions import db
from portal.forum.models import Post, PostState
from portal.moderation import log as moderation_log
from portal.reports import exports
from portal.reports.export_rows import report_comments_in_batches
from portal.reports.models import AnsweredComment, Answer, Decision, Report
from portal.reports.services import report_comments
from tests.conftest import login_as
from tests.factories import REPORT_SUMMARY, SLUG, add_comment, answer_all, publish_with_the_form

REPORT = f"/konsultacje/{SLUG}/raport"
CSV, XLSX, JSON = f"{REPORT}.csv", f"{REPORT}.xlsx", f"{REPORT}.json"
LOG_CSV = "/moderacja/dziennik.csv"


# --- the writers as they were before streaming: the reference ---------------------------------

def former_to_csv(header, rows) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([spreadsheets._text(spreadsheets.safe_cell(title)) for title in header])
    for row in rows:
        writer.writerow([spreadsheets._text(spreadsheets.safe_cell(value)) for value in row])
    return out.getvalue().encode("utf-8-sig")


def former_to_xlsx(header, rows, sheet_title, *, widths=(), wrap_text=False) -> bytes:
    header, body = spreadsheets.safe_table(header, rows)
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
                item.number_format = spreadsheets.DATE_FORMAT
            elif isinstance(item.value, str):
                item.data_type = "s"
                if wrap_text:
                    item.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet_as_seen(data: bytes) -> dict:
    """Everything a person sees of the first sheet: each cell's value, type, format, boldness,
    wrapping; the columns' widths, the frozen header and the title."""
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [[(item.value, item.data_type, item.number_format, bool(item.font.bold), bool(item.alignment.wrap_text),
               item.alignment.vertical) for item in row] for row in sheet.iter_rows()]
    widths = {letter: dimension.width for letter, dimension in sheet.column_dimensions.items()
              if dimension.customWidth}
    return {"title": sheet.title, "cells": cells, "widths": widths, "frozen": sheet.freeze_panes}


HEADER = ["Nr", "Treść", "Kiedy", "=tytuł"]
ROWS = [
    [1, "=HYPERLINK(\"http://zly.example\")", datetime(2020, 9, 30, 10, 5), None],
    [2, "a, \"b\"\nc", None, "-5"],
    [3, "\x0c=1+1", None, "+48 600"],
    [4, "", 2.5, "Zażółć gęślą jaźń"],
]


# --- the shared writers --------------------------------------------------------------------------

def test_the_csv_in_pieces_is_the_csv_in_one_piece_with_one_bom():
    rows = [[n, "Zażółć gęślą jaźń " * 40, "=1+1" if n % 3 else None] for n in range(2000)] + ROWS
    pieces = list(spreadsheets.csv_chunks(HEADER, rows))
    assert len(pieces) > 5  # about 64 KB each, not one piece
    assert b"".join(pieces) == former_to_csv(HEADER, rows) == spreadsheets.to_csv(HEADER, rows)
    assert pieces[0].startswith(spreadsheets.BOM) and not any(spreadsheets.BOM in piece for piece in pieces[1:])
    assert all(piece.endswith(b"\r\n") for piece in pieces)  # whole rows only: pieces never split a line


def test_the_csv_pieces_are_made_as_the_rows_come():
    taken = []

    def rows():
        for n in range(5000):
            taken.append(n)
            yield [n, "x" * 100]

    pieces = spreadsheets.csv_chunks(["Nr", "Tekst"], rows())
    next(pieces)  # the header: no row read yet
    assert taken == []
    next(pieces)
    assert 0 < len(taken) < 1000


@pytest.mark.parametrize("options", [{}, {"widths": (8, 60), "wrap_text": True}])
def test_the_xlsx_written_row_by_row_is_the_former_sheet_cell_for_cell(options):
    title = "Arkusz o bardzo długim tytule, dłuższym niż 31 znaków"
    new = spreadsheets.to_xlsx(HEADER, ROWS, title, **options)
    assert sheet_as_seen(new) == sheet_as_seen(former_to_xlsx(HEADER, ROWS, title, **options))
    assert sheet_as_seen(b"".join(spreadsheets.xlsx_chunks(HEADER, iter(ROWS), title, **options))) == \
        sheet_as_seen(new)


def test_the_xlsx_pieces_are_made_as_the_rows_come():
    taken = []

    def rows():
        for n in range(20000):
            taken.append(n)
            yield [n, f"Uwaga numer {n} " + "zażółć gęślą jaźń " * (n % 7)]

    pieces = spreadsheets.xlsx_chunks(["Nr", "Tekst"], rows(), "Uwagi")
    first = next(pieces)
    assert first.startswith(b"PK\x03\x04") and taken == []  # the zip file begins before any row is read
    second = next(pieces)
    assert 0 < len(taken) < 20000
    whole = first + second + b"".join(pieces)
    assert sum(1 for _row in load_workbook(io.BytesIO(whole), read_only=True).active.iter_rows()) == 20001


# --- the report's files --------------------------------------------------------------------------

def add_report_comments(consultation_id: int, thread_id: int, author_id: int, count: int, body: str = "Uwaga") -> None:
    """`count` approved top-level comments sharing one answer, written in bulk."""
    first_id = (db.session.scalar(select(func.max(Post.id))) or 0) + 1
    now = clock.now_utc()
    db.session.execute(insert(Post), [
        {"id": first_id + n, "thread_id": thread_id, "author_id": author_id, "body": f"{body} {n}.",
         "body_html": f"<p>{body} {n}.</p>", "depth": 0, "root_id": first_id + n, "path": f"{first_id + n:09d}",
         "created_at": now + timedelta(seconds=n), "state": PostState.APPROVED} for n in range(count)])
    shared = Answer(consultation_id=consultation_id, decision=Decision.EXPLANATION, justification="Wspólne.")
    db.session.add(shared)
    db.session.flush()
    db.session.execute(insert(AnsweredComment), [
        {"post_id": first_id + n, "answer_id": shared.id, "consultation_id": consultation_id} for n in range(count)])
    db.session.commit()


def published_report(commented) -> None:
    answer_all(commented)
    db.session.add(Report(consultation_id=commented.consultation.id, summary=REPORT_SUMMARY,
                          published_at=clock.now_utc()))
    db.session.commit()


def expected_files(app, consultation_id: int) -> dict[str, bytes]:
    """The report's three files as the former writers made them from `report_comments`."""
    with app.test_request_context():
        from portal.consultations.models import Consultation

        consultation = db.session.get(Consultation, consultation_id)
        data = report_comments(consultation_id)
        header, rows = exports.table(data)
        payload = exports.to_json(consultation, db.session.get(Report, consultation_id), data,
                                  f"http://localhost{REPORT}")
        return {"csv": former_to_csv(header, rows),
                "xlsx": former_to_xlsx(header, rows, "Uwagi i odpowiedzi", widths=exports.WIDTHS, wrap_text=True),
                "json": jsonify(payload).get_data()}


def test_the_report_files_are_streamed_and_the_same_as_before(app, client, commented):
    published_report(commented)
    add_report_comments(commented.consultation.id, commented.sections[2].id, commented.anna.id, 700,
                        body="=Długa uwaga, " + "zażółć gęślą jaźń " * 20)
    expected = expected_files(app, commented.consultation.id)

    streamed = client.get(CSV)
    assert streamed.is_streamed and streamed.status_code == 200
    assert streamed.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert streamed.headers["Content-Disposition"] == 'attachment; filename="raport-program-wspolpracy-2021.csv"'
    assert "Cache-Control" not in streamed.headers  # public once published, as before
    assert streamed.data == expected["csv"]
    assert len(list(csv.reader(io.StringIO(streamed.data.decode("utf-8-sig"), newline="")))) == 706

    sheet = client.get(XLSX)
    assert sheet.is_streamed and sheet.status_code == 200
    assert sheet.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert sheet.headers["Content-Disposition"] == 'attachment; filename="raport-program-wspolpracy-2021.xlsx"'
    assert sheet_as_seen(sheet.data) == sheet_as_seen(expected["xlsx"])

    document = client.get(JSON)
    assert document.is_streamed and document.status_code == 200
    assert document.headers["Content-Type"] == "application/json"
    assert document.headers["Access-Control-Allow-Origin"] == "*" and "Content-Disposition" not in document.headers
    assert document.data == expected["json"]
    assert len(json.loads(document.data)["comments"]) == 705


def test_the_preview_files_are_streamed_to_staff_only_and_never_stored(app, client, commented):
    answer_all(commented)
    expected = expected_files(app, commented.consultation.id)
    for url in (CSV, XLSX, JSON):
        assert client.get(url).status_code == 404
    login_as(client, commented.moderator)
    for url, kind in ((CSV, "csv"), (XLSX, "xlsx"), (JSON, "json")):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        if kind == "xlsx":
            assert sheet_as_seen(response.data) == sheet_as_seen(expected[kind])
        else:
            assert response.data == expected[kind]
    assert "Access-Control-Allow-Origin" not in client.get(JSON).headers


@pytest.mark.parametrize("url", [CSV, XLSX, JSON])
def test_a_download_cancelled_half_way_ends_its_request_and_leaves_nothing_behind(app, commented, url):
    published_report(commented)
    add_report_comments(commented.consultation.id, commented.sections[1].id, commented.jan.id, 3000,
                        body="Uwaga " + "z" * 200)
    response = app.test_client().get(url, buffered=False)
    pieces = iter(response.response)
    next(pieces), next(pieces)  # the person's browser took two pieces, then the download was cancelled
    response.close()
    # The stream's own request is over: the test's context and session are as they were.
    assert not has_request_context()
    assert db.session.scalar(select(func.count(Post.id))) == 3005 + 2  # the five, the pending one and the reply


def comment_rows(comments) -> list:
    return list(exports.rows(comments))


def test_the_batched_reader_numbers_the_comments_as_the_report_does(app, client, commented, smtp_sink):
    consultation_id = commented.consultation.id
    with app.test_request_context():
        # Before the first publication: provisional numbers, places in the report.
        assert comment_rows(report_comments_in_batches(consultation_id, batch=2)) == \
            comment_rows(report_comments(consultation_id).comments)
    answer_all(commented)
    assert publish_with_the_form(client, commented.moderator).status_code == 303
    # Comments not numbered yet after the publication get the next numbers, in report order.
    add_comment(commented.general, commented.jan, "Spóźniona uwaga ogólna.")
    add_comment(commented.sections[3], commented.jan, "Spóźniona uwaga do § 3.")
    db.session.commit()
    with app.test_request_context():
        batched = comment_rows(report_comments_in_batches(consultation_id, batch=2))
        assert batched == comment_rows(report_comments(consultation_id).comments)
    assert sorted(row[0] for row in batched) == [1, 2, 3, 4, 5, 6, 7]
    assert [row[7] for row in batched if row[0] == 4] == [3]  # "jak w uwadze nr 3" across batches


def read_whole(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return len(response.data)  # the streamed body is made here, inside the count


@pytest.mark.parametrize("url", [CSV, XLSX, JSON])
def test_a_report_file_costs_the_same_queries_for_100_and_2000_comments(app, commented, count_queries, url):
    published_report(commented)
    consultation_id, thread_id, author_id = commented.consultation.id, commented.sections[1].id, commented.jan.id

    def queries() -> int:
        with count_queries() as counted:
            read_whole(app.test_client(), url)
        return counted.count

    add_report_comments(consultation_id, thread_id, author_id, 95)
    small = queries()
    add_report_comments(consultation_id, thread_id, author_id, 1900)
    # The consultation and report row; the highest stored number, the changes, the comments.
    assert queries() == small <= 4


# --- the moderation log's CSV --------------------------------------------------------------------

def add_log_rows(count: int, moderator_id: int, author_id: int, thread_id: int) -> None:
    """`count` log rows, half about comments and half about an account, written in bulk."""
    first_post = (db.session.scalar(select(func.max(Post.id))) or 0) + 1
    posts = count // 2
    db.session.execute(insert(Post), [
        {"id": first_post + n, "thread_id": thread_id, "author_id": author_id, "body": f"Uwaga {n}",
         "body_html": "", "state": PostState.APPROVED} for n in range(posts)])
    now = clock.now_utc()
    rows = [{"at": now, "actor_id": moderator_id, "action": "post_approved", "target_type": "post",
             "target_id": first_post + n, "reason": "",
             "before": json.dumps({"state": "pending", "body": f"=Uwaga {n}"}),
             "after": json.dumps({"state": "approved", "body": f"=Uwaga {n}"})} for n in range(posts)]
    rows += [{"at": now, "actor_id": moderator_id if n % 2 else None, "action": "user_blocked",
              "target_type": "user", "target_id": author_id, "reason": f"-powód {n}", "before": "", "after": ""}
             for n in range(count - posts)]
    db.session.execute(insert(AuditLog), rows)
    db.session.commit()


@pytest.fixture
def log_people(torun, general, moderator, anna, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    return moderator.id, anna.id, general.id


def former_log_csv(app, query: str = "") -> bytes:
    """The log's CSV as it was made before: every filtered row read at once, then written."""
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        log_filter = moderation_log.LogFilter.from_args(MultiDict(dict(p.split("=") for p in query.split("&") if p)))
        records = db.session.execute(moderation_log._rows_query().where(*log_filter.conditions())).all()
        return former_log_to_csv(list(moderation_log._rows(records, external=True)))


def former_log_to_csv(rows) -> bytes:
    """The log's former `to_csv`, on the former writer."""
    from flask_babel import gettext as _

    header = [_("Kiedy (czas polski)"), _("Kto"), _("Działanie"), _("Czego dotyczy"), _("Link"),
              _("Wątek lub konsultacja"), _("Użytkownik, którego dotyczy"), _("Numer konta użytkownika"),
              _("Powód"), _("Przed"), _("Po"), _("Treść przed"), _("Treść po")]
    return former_to_csv(header, ([
        moderation_log._local(row.entry.at), row.actor.name if row.actor else _("system"), row.action, row.target,
        row.target_url or "", row.target_detail, row.concerned.name if row.concerned else "",
        str(row.concerned.id) if row.concerned else "", row.entry.reason, row.before, row.after,
        row.body_before, row.body_after if row.body_changed else "",
    ] for row in rows))


@pytest.mark.parametrize("query", ["", "dzialanie=user_blocked", "uzytkownik={anna}"])
def test_the_log_csv_is_streamed_with_its_filters_and_the_same_as_before(app, moderator_client, log_people, query):
    moderator_id, anna_id, thread_id = log_people
    add_log_rows(600, moderator_id, anna_id, thread_id)
    query = query.format(anna=anna_id)
    expected = former_log_csv(app, query)

    response = moderator_client.get(f"{LOG_CSV}?{query}")
    assert response.is_streamed and response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="dziennik-moderacji-2020-09-20.csv"'
    body = response.data
    assert body == expected  # the export's own log row (committed before the rows are read) is not in it
    rows = len(body.decode("utf-8-sig").split("\r\n")) - 2
    assert rows == {"": 600, "dzialanie=user_blocked": 300}.get(query, 600)
    export = db.session.scalar(select(AuditLog).where(AuditLog.action == "moderation_log_exported"))
    assert export.after_data["rows"] == rows


def test_the_log_csv_costs_the_same_queries_for_100_and_2000_rows(app, log_people, moderator, count_queries):
    moderator_id, anna_id, thread_id = log_people

    def queries() -> int:
        client = app.test_client()
        login_as(client, db.session.get(User, moderator_id))
        with count_queries() as counted:
            read_whole(client, LOG_CSV)
        return counted.count

    add_log_rows(100, moderator_id, anna_id, thread_id)
    small = queries()
    add_log_rows(1900, moderator_id, anna_id, thread_id)
    assert queries() == small


# --- memory: flat, whatever the number of rows ---------------------------------------------------

def peak_while_downloading(client, url: str) -> int:
    """tracemalloc's peak while the response is made and read piece by piece (never kept)."""
    tracemalloc.start()
    try:
        response = client.get(url, buffered=False)
        assert response.status_code == 200
        for _piece in response.response:
            pass
        response.close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# A file made in memory needs about ten times more at ten times the rows; made as it is sent, the
# peak is a batch or two of rows and the piece being written, so batches are made small here
# (100 rows: 10 and 100 of them). 1.5× leaves room for caches that warm on the way.
FLAT = 1.5


@pytest.fixture
def small_batches(monkeypatch):
    from portal.reports import export_rows

    monkeypatch.setattr(export_rows, "BATCH", 100)
    monkeypatch.setattr(moderation_log, "ROWS_PER_BATCH", 100)


@pytest.mark.parametrize("url", [CSV, XLSX, JSON])
def test_memory_for_a_report_file_does_not_grow_with_its_comments(app, commented, small_batches, url):
    published_report(commented)
    consultation_id, thread_id, author_id = commented.consultation.id, commented.sections[1].id, commented.jan.id
    client = app.test_client()
    add_report_comments(consultation_id, thread_id, author_id, 995, body="Uwaga " + "z" * 300)
    peak_while_downloading(client, url)  # warm: compiled queries, templates of the translations
    small = peak_while_downloading(client, url)
    add_report_comments(consultation_id, thread_id, author_id, 9000, body="Uwaga " + "z" * 300)
    large = peak_while_downloading(client, url)
    assert large < FLAT * small, (small, large)


def test_memory_for_the_log_csv_does_not_grow_with_its_rows(app, log_people, moderator, small_batches):
    moderator_id, anna_id, thread_id = log_people
    client = app.test_client()
    login_as(client, moderator)
    add_log_rows(1000, moderator_id, anna_id, thread_id)
    peak_while_downloading(client, LOG_CSV)
    small = peak_while_downloading(client, LOG_CSV)
    add_log_rows(9000, moderator_id, anna_id, thread_id)
    large = peak_while_downloading(client, LOG_CSV)
    assert large < FLAT * small, (small, large)
