"""The report's table as files (CSV, XLSX, JSON): public once published, staff always; Polish
letters survive the round trip and a comment typed as a formula stays text."""
import csv
import io
import json

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.reports.models import Report
from tests.conftest import login_as
from tests.factories import REPORT_SUMMARY, SLUG, answer_all, publish_with_the_form

REPORT = f"/konsultacje/{SLUG}/raport"
CSV, XLSX, JSON = f"{REPORT}.csv", f"{REPORT}.xlsx", f"{REPORT}.json"
HEADER = ["Nr uwagi", "Zgłaszający", "Część dokumentu", "Ustęp", "Treść uwagi", "Rozstrzygnięcie",
          "Uzasadnienie", "Odpowiedź jak w uwadze nr", "Zmiany w dokumencie", "Sposób złożenia"]
FOUNDATION = "Fundacja Rowerowa „Łańcuch”"


@pytest.fixture
def published(client, commented, smtp_sink):
    answer_all(commented)
    assert publish_with_the_form(client, commented.moderator).status_code == 303
    return commented


def expected_rows(commented) -> list[list[str]]:
    """The table as a person would type it into a spreadsheet (the formula one with its apostrophe)."""
    body = [post.body for post in commented.comments]
    return [row + ["forum konsultacji"] for row in [
        ["1", "osoba prywatna", "Uwagi ogólne", "", body[0], "wyjaśnienie", "Wolontariat opisuje § 4 programu.",
         "", ""],
        ["2", FOUNDATION, "§ 1. Postanowienia ogólne", "", body[1], "uwzględniona",
         "Definicja zostanie rozszerzona.", "", ""],
        ["3", FOUNDATION, "§ 2. Formy współpracy", "§ 2 ust. 1", body[2], "częściowo uwzględniona",
         "Terminy wydłużono do **30 dni**.", "", "wprowadzono zmianę: § 2"],
        ["4", "osoba prywatna", "§ 2. Formy współpracy", "", "'" + body[3], "częściowo uwzględniona",
         "Terminy wydłużono do **30 dni**.", "3", ""],
        ["5", FOUNDATION, "§ 3. Finansowanie", "", body[4], "nieuwzględniona",
         "Budżet gminy na to nie pozwala.", "", ""],
    ]]


def test_the_csv_reads_back_with_polish_letters_and_no_formula(client, published):
    response = client.get(CSV)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="raport-program-wspolpracy-2021.csv"' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER
    assert rows[1:] == expected_rows(published)
    assert rows[4][4].startswith("'=SUM(A1:A9)")


def test_the_xlsx_reads_back_with_polish_letters_and_no_formula(client, published):
    response = client.get(XLSX)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert rows[1:] == expected_rows(published)
    formula_cell = sheet.cell(row=5, column=5)
    assert formula_cell.data_type == "s" and formula_cell.value.startswith("'=SUM")
    assert isinstance(sheet.cell(row=2, column=1).value, int)


def test_the_json_holds_the_whole_table_as_typed(client, published):
    response = client.get(JSON)
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    data = json.loads(response.data)
    assert data["consultation"]["title"] == published.consultation.title
    assert data["published_at"] == "2020-10-05T10:00:00+00:00"
    assert data["report_url"] == f"http://localhost{REPORT}"
    third, fourth = data["comments"][2], data["comments"][3]
    assert third == {
        "number": 3, "submitter": FOUNDATION, "organisation": FOUNDATION, "channel": "portal", "received_on": None,
        "section": {"number": 2, "label": "§ 2", "title": "Formy współpracy"}, "paragraph": 1,
        "paragraph_label": "ust. 1",
        "comment": "Prosimy o **dłuższe** terminy składania ofert.",
        "decision": {"code": "partly_accepted", "label": "częściowo uwzględniona"},
        "justification": "Terminy wydłużono do **30 dni**.", "shared_with": None, "changed_sections": [2]}
    assert fourth["submitter"] == "osoba prywatna" and fourth["organisation"] is None
    assert fourth["comment"].startswith("=SUM(A1:A9)")  # not a spreadsheet: kept exactly as typed
    assert fourth["shared_with"] == 3
    assert data["comments"][0]["section"] == {"number": None, "label": None, "title": "Uwagi ogólne"}
    assert "Jan Kowalski" not in response.get_data(as_text=True)


def test_before_publication_the_files_are_for_staff_only_and_never_cached(client, commented):
    answer_all(commented)
    db.session.add(Report(consultation_id=commented.consultation.id, summary=REPORT_SUMMARY))
    db.session.commit()
    for url in (CSV, XLSX, JSON):
        assert client.get(url).status_code == 404
    login_as(client, commented.jan)
    assert client.get(CSV).status_code == 404
    login_as(client, commented.moderator)
    for url in (CSV, XLSX, JSON):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert json.loads(client.get(JSON).data)["published_at"] is None


def test_unanswered_comments_export_with_empty_answers_in_the_preview(client, commented):
    login_as(client, commented.admin)
    rows = list(csv.reader(io.StringIO(client.get(CSV).data.decode("utf-8-sig"), newline="")))
    assert [row[0] for row in rows[1:]] == ["1", "2", "3", "4", "5"]
    assert all(row[5] == "" and row[6] == "" for row in rows[1:])
