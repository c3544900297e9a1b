"""An admin imports the draft from Word, then again from LibreOffice, previews it and publishes it.

The documents are written here (python-docx, odfdo), never committed as binary files.
"""
import io

import pytest

from tests.browser.conftest import log_in_with_the_form

SLUG = "program-wspolpracy-2021"
PAGE = f"/zespol/konsultacje/{SLUG}/projekt"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("§ 1. Postanowienia ogólne", level=1)
    document.add_paragraph("Zażółć gęślą jaźń — wersja z Worda.")
    document.add_heading("§ 2. Cele", level=1)
    document.add_paragraph("Celem jest współpraca:")
    document.add_paragraph("z organizacjami", style="List Bullet")
    document.add_paragraph("z mieszkańcami", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def odt_bytes() -> bytes:
    from odfdo import Document, Header, List, Paragraph, Table

    document = Document("text")
    body = document.body
    body.append(Header(1, "§ 1. Postanowienia ogólne"))
    body.append(Paragraph("Zażółć gęślą jaźń — wersja z LibreOffice."))
    body.append(Header(1, "§ 2. Cele"))
    body.append(Paragraph("Celem jest współpraca:"))
    body.append(List(["z organizacjami", "z mieszkańcami"]))
    body.append(Header(1, "§ 3. Źródła finansowania"))
    table = Table("Kwoty", width=2, height=2)
    for row, cells in enumerate([("Obszar", "Kwota"), ("Sport", "100 zł")]):
        for column, text in enumerate(cells):
            table.set_value((column, row), text)
    body.append(table)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def admin_page(page, torun, admin):
    log_in_with_the_form(page, admin.email)
    return page


def test_an_admin_imports_a_word_then_a_libreoffice_draft_and_publishes_it(admin_page, assert_accessible):
    from playwright.sync_api import expect

    page = admin_page
    page.goto(PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Publikacja projektu dokumentu")
    assert_accessible(page)
    text_box = page.get_by_label("Treść projektu w formacie Markdown")
    upload = page.get_by_label("Plik z projektem")

    upload.set_input_files(files=[{"name": "projekt.docx", "mimeType": DOCX_TYPE, "buffer": docx_bytes()}])
    page.get_by_role("button", name="Podgląd").click()
    preview = page.get_by_role("table", name="Paragrafy projektu po opublikowaniu")
    expect(page.get_by_role("heading", name="Podgląd podziału projektu")).to_be_visible()
    expect(preview).to_contain_text("Postanowienia ogólne")
    expect(preview).to_contain_text("Cele")
    expect(text_box).to_have_value(
        "## § 1. Postanowienia ogólne\n\nZażółć gęślą jaźń — wersja z Worda.\n\n## § 2. Cele\n\n"
        "Celem jest współpraca:\n\n- z organizacjami\n- z mieszkańcami\n")
    assert_accessible(page)

    # Another file: its text replaces the box's, and the preview follows it.
    odt = odt_bytes()
    upload.set_input_files(files=[{"name": "projekt.odt", "mimeType": ODT_TYPE, "buffer": odt}])
    page.get_by_role("button", name="Podgląd").click()
    expect(preview).to_contain_text("Źródła finansowania")
    expect(page.get_by_text("udostępnimy do pobrania plik „projekt.odt”")).to_be_visible()
    expect(text_box).to_contain_text("wersja z LibreOffice")
    assert "wersja z Worda" not in text_box.input_value()
    assert "| Obszar | Kwota |" in text_box.input_value()
    assert_accessible(page)

    # A damaged document: refused next to the field, the text stays.
    upload.set_input_files(files=[{"name": "zepsuty.docx", "mimeType": DOCX_TYPE, "buffer": b"PK\x03\x04nic"}])
    page.get_by_role("button", name="Podgląd").click()
    expect(page.locator("#upload-error")).to_contain_text("Nie udało się odczytać tego dokumentu")
    expect(text_box).to_contain_text("wersja z LibreOffice")
    assert_accessible(page)

    # Published from the box (no file chosen again); the forum lists the sections.
    page.get_by_role("button", name="Opublikuj").click()
    expect(page.get_by_role("status")).to_contain_text("Projekt dokumentu został opublikowany")
    main = page.get_by_role("main")
    for title in ("Postanowienia ogólne", "Cele", "Źródła finansowania"):
        expect(main.get_by_role("link", name=title, exact=False).first).to_be_visible()

    expect(page.get_by_role("status")).to_contain_text("Plik „projekt.odt” można pobrać przy projekcie dokumentu")

    # Opened again, the form holds what is published, and names the file it came from.
    page.goto(PAGE)
    expect(text_box).to_contain_text("## § 3. Źródła finansowania")
    expect(text_box).to_contain_text("Zażółć gęślą jaźń — wersja z LibreOffice.")
    expect(page.get_by_role("link", name="projekt.odt")).to_be_visible()

    # The whole draft offers the LibreOffice file itself beside the PDF.
    page.goto(f"/konsultacje/{SLUG}/projekt-dokumentu")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Pobierz wersję edytowalną").click()
    download = download_info.value
    assert download.suggested_filename == "projekt.odt"
    with open(download.path(), "rb") as file:
        assert file.read() == odt
    assert_accessible(page)
