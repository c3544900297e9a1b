"""The official report ("sprawozdanie z konsultacji") as DOCX and PDF, and absolute links in every PDF.

The documents are what an office attaches to the Council's resolution: every numbered comment
with its submitter, section, text, decision and justification, Polish letters intact, public
once the report is published (staff see a draft before, marked as such).
"""
from __future__ import annotations

import io
from urllib.parse import unquote, urlsplit

import pytest
from docx import Document
from pypdf import PdfReader

from portal.consultations import pdf
from portal.extensions import db
from portal.reports.models import Decision
from tests.conftest import login_as
from tests.factories import SLUG, add_comment, answer, answer_all, publish_with_the_form

REPORT = f"/konsultacje/{SLUG}/raport"
DOCX_URL = f"{REPORT}/sprawozdanie.docx"
PDF_URL = f"{REPORT}/sprawozdanie.pdf"
TITLE = "Program współpracy z organizacjami pozarządowymi na 2021 rok"
LETTERS = "ąćęłńóśźż ĄĆĘŁŃÓŚŹŻ"
FOUNDATION = "Fundacja Rowerowa „Łańcuch”"

SIXTH = f"""Uwagi o **{LETTERS}**:

- źródła finansowania,
- ocena ofert

Pierwsza linia
druga linia"""

# (number, submitter, section, the comment as read, decision, the justification as read)
ROWS = [
    (1, "osoba prywatna", "Uwagi ogólne", "Program powinien mówić więcej o wolontariacie.",
     "wyjaśnienie", "Wolontariat opisuje § 4 programu."),
    (2, FOUNDATION, "§ 1", "Zdefiniujcie „organizację” szerzej.", "uwzględniona",
     "Definicja zostanie rozszerzona."),
    (3, FOUNDATION, "§ 2 ust. 1", "Prosimy o dłuższe terminy składania ofert.", "częściowo uwzględniona",
     "Terminy wydłużono do 30 dni.\nwprowadzono zmianę: § 2"),
    (4, "osoba prywatna", "§ 2", "=SUM(A1:A9) — konsultacje także na żywo, nie tylko online.",
     "częściowo uwzględniona", "jak w uwadze 3"),
    (5, FOUNDATION, "§ 3", "Kwota 10 mln zł jest za niska — proponujemy 12 mln zł.", "nieuwzględniona",
     "Budżet gminy na to nie pozwala."),
    (6, "osoba prywatna", "§ 3",
     f"Uwagi o {LETTERS}:\n– źródła finansowania,\n– ocena ofert\nPierwsza linia\ndruga linia",
     "uwzględniona", f"Przyjęto:\n1. źródła — tak,\n2. ocena — {LETTERS}."),
]


@pytest.fixture
def answered(commented):
    """The five comments of `commented` answered, and a sixth (§ 3, Jan) in Markdown with Polish letters."""
    sixth = add_comment(commented.sections[3], commented.jan, SIXTH)
    answer_all(commented)
    answer(commented.consultation, [sixth], Decision.ACCEPTED,
           f"Przyjęto:\n\n1. źródła — **tak**,\n2. ocena — {LETTERS}.")
    db.session.commit()
    return commented


def docx_of(response):
    assert response.status_code == 200
    return Document(io.BytesIO(response.data))


def docx_text(document) -> str:
    parts = [paragraph.text for paragraph in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [paragraph.text for paragraph in document.sections[0].header.paragraphs]
    return "\n".join(parts)


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def link_targets(data: bytes) -> list[str]:
    """The URI of every link annotation in the PDF (links within the document have none)."""
    uris = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            if annotation.get("/Subtype") == "/Link" and action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_documents_are_public_once_the_report_is_published_and_a_draft_for_staff_before(app, answered):
    reader = app.test_client()
    assert reader.get(DOCX_URL).status_code == 404 and reader.get(PDF_URL).status_code == 404

    staff = app.test_client()
    login_as(staff, answered.admin)
    preview = staff.get(DOCX_URL)
    assert preview.headers["Cache-Control"] == "no-store"
    assert "PROJEKT – wersja robocza" in docx_text(docx_of(preview))
    assert "PROJEKT – wersja robocza" in pdf_text(staff.get(PDF_URL))

    assert publish_with_the_form(staff, answered.admin).status_code == 303
    published = reader.get(DOCX_URL)
    text = docx_text(docx_of(published))
    assert "Sprawozdanie z konsultacji" in text and "wersja robocza" not in text
    assert "Data publikacji raportu" in text
    assert published.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    disposition = published.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Sprawozdanie z konsultacji - Program wspolpracy')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"Sprawozdanie z konsultacji – {TITLE}.docx"
    pdf_response = reader.get(PDF_URL)
    assert "wersja robocza" not in pdf_text(pdf_response)
    assert pdf_response.headers["Content-Disposition"].endswith(".pdf")


def test_the_docx_has_every_comment_in_its_table_with_polish_letters(app, answered):
    assert publish_with_the_form(app.test_client(), answered.admin).status_code == 303
    document = docx_of(app.test_client().get(DOCX_URL))

    comments = next(table for table in document.tables if table.rows[0].cells[0].text == "Lp.")
    header, *rows = comments.rows
    assert [cell.text for cell in header.cells] == [
        "Lp.", "Zgłaszający", "Część dokumentu", "Treść uwagi", "Rozstrzygnięcie", "Uzasadnienie"]
    assert header._tr.trPr.xpath("./w:tblHeader")  # repeated at the top of every page
    assert [tuple(cell.text for cell in row.cells) for row in rows] == [
        (str(number), submitter, section, text, decision, justification)
        for number, submitter, section, text, decision, justification in ROWS]

    text = docx_text(document)
    assert TITLE in text and "17–30 września 2020 r." in text  # the e-consultation's dates
    assert "Konsultacje trwały od 17 do 30 września 2020 r. Odbyło się jedno spotkanie w Toruniu." in text
    numbers = next(table for table in document.tables if table.rows[0].cells[0].text == "Uwagi łącznie")
    assert [[cell.text for cell in row.cells] for row in numbers.rows] == [
        ["Uwagi łącznie", "6"], ["Organizacje, w których imieniu zgłoszono uwagi", "1"],
        ["Osoby, które zgłosiły uwagi", "2"]]
    assert document.styles["Normal"].font.name == "DejaVu Sans"


def test_the_pdf_has_every_comment_with_polish_letters_and_only_absolute_links(app, answered):
    assert publish_with_the_form(app.test_client(), answered.admin).status_code == 303
    response = app.test_client().get(PDF_URL)
    text = pdf_text(response)
    assert "Sprawozdanie z konsultacji" in text and TITLE in text and LETTERS in text
    for number, submitter, section, comment, decision, justification in ROWS:
        assert flat(comment) in text and flat(justification) in text and submitter in text, number

    links = link_targets(response.data)
    assert {f"http://localhost{REPORT}?uwaga={number}#uwaga-{number}" for number, *_ in ROWS} <= set(links)
    assert f"http://localhost/konsultacje/{SLUG}/forum/watek/{answered.general.id}" in links
    assert links and all(urlsplit(uri).scheme == "http" and urlsplit(uri).netloc == "localhost" for uri in links)


def test_the_document_is_written_in_polish_whatever_the_interface_speaks(app, answered):
    staff = app.test_client()
    login_as(staff, answered.admin)
    with staff.session_transaction() as session:
        session["lang"] = "en"
    text = docx_text(docx_of(staff.get(DOCX_URL)))
    assert "Sprawozdanie z konsultacji" in text and "częściowo uwzględniona" in text


def test_the_report_pdf_is_rendered_once_per_version_and_limited_per_address(app, answered, monkeypatch):
    renders = []
    monkeypatch.setattr(pdf, "render", lambda html: renders.append(html) or b"%PDF-1.4 stand-in")
    app.config["PDF_LIMIT_PER_IP"] = "3 per minute"
    assert publish_with_the_form(app.test_client(), answered.admin).status_code == 303
    reader = app.test_client()
    assert [reader.get(PDF_URL).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert len(renders) == 1


def test_every_link_in_the_announcement_pdf_is_absolute(client, answered):
    links = link_targets(client.get(f"/konsultacje/{SLUG}/pdf").data)
    forum = f"http://localhost/konsultacje/{SLUG}/forum"
    assert forum in links
    assert {f"{forum}/watek/{thread.id}" for thread in answered.sections.values()} <= set(links)
    for uri in links:
        parts = urlsplit(uri)
        # e-mail and telephone links of the contact section open in a PDF viewer as they are
        assert (parts.scheme in ("http", "https") and parts.netloc) or parts.scheme in ("mailto", "tel"), uri


def test_a_comment_received_by_post_is_signed_as_entered_and_marked_with_its_channel(app, answered):
    from datetime import date

    letter = add_comment(answered.general, answered.jan, "Prosimy o dyżury w Łysomicach.")
    letter.author_id, letter.channel = None, "letter"
    letter.submitter_name, letter.received_on = "Rada Osiedla Bielany", date(2020, 9, 25)
    answer(answered.consultation, [letter], Decision.EXPLANATION, "Dyżury opisuje § 2.")
    db.session.commit()
    staff = app.test_client()
    login_as(staff, answered.admin)
    comments = next(table for table in docx_of(staff.get(DOCX_URL)).tables if table.rows[0].cells[0].text == "Lp.")
    row = next(row for row in comments.rows if row.cells[3].text == "Prosimy o dyżury w Łysomicach.")
    submitter = row.cells[1].text
    assert submitter.startswith("Rada Osiedla Bielany\n") and "pocztą, 25 września 2020 r." in submitter


def test_without_a_server_name_the_pdf_links_to_the_host_it_was_asked_for(app, answered):
    app.config["SERVER_NAME"] = None  # development: the request's host
    client = app.test_client()
    for host in ("wspolnie.test", "konsultacje.example.org"):  # one PDF per host, not one from the cache
        links = link_targets(client.get(f"/konsultacje/{SLUG}/pdf", base_url=f"http://{host}").data)
        assert f"http://{host}/konsultacje/{SLUG}/forum" in links
