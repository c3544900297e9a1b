"""Staff import the draft from Word (DOCX) or LibreOffice (ODT), and start editing from what is published.

The documents are written here, by python-docx and odfdo (no binary fixtures): headings become
sections, paragraphs paragraphs, lists and tables Markdown lists and tables, Polish letters intact;
the Markdown is put into the form's text box to be checked, previewed and published.
"""
import html as html_entities
import io
import os
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.forum import draft_blocks, drafts, importing
from portal.forum.manage import published_markdown
from portal.forum.models import DraftSection
from portal.reports import final
from portal.staff import uploads
from tests.conftest import form_token

SLUG = "program-wspolpracy-2021"
PAGE = f"/zespol/konsultacje/{SLUG}/projekt"
FINAL_PAGE = f"/zespol/konsultacje/{SLUG}/wersja-koncowa"
POLISH = "Zażółć gęślą jaźń"


# --- documents, written by the tests ------------------------------------------------------------

def docx_bytes(title_1="Postanowienia ogólne", extra="") -> bytes:
    import docx
    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import nsdecls, qn

    document = docx.Document()
    document.add_heading(f"§ 1. {title_1}", level=1)
    paragraph = document.add_paragraph(f"{POLISH} — pierwszy ustęp{extra}.")
    paragraph = document.add_paragraph("Program obejmuje ")
    paragraph.add_run("współpracę").bold = True
    paragraph.add_run(" i ")
    paragraph.add_run("wsparcie").italic = True
    paragraph.add_run(".")
    document.add_paragraph("1. Tak napisany numer nie jest listą.")
    document.add_heading("Zakres", level=2)
    document.add_paragraph("Ilekroć jest mowa o:")
    document.add_paragraph("organizacjach – ąę", style="List Bullet")
    nested = document.add_paragraph("fundacjach", style="List Bullet")
    num_pr = OxmlElement("w:numPr")
    level = OxmlElement("w:ilvl")
    level.set(qn("w:val"), "1")
    num_id = OxmlElement("w:numId")
    num_id.set(qn("w:val"), "1")
    num_pr.append(level)
    num_pr.append(num_id)
    nested._p.get_or_add_pPr().append(num_pr)
    # The template's bullets have one level: give them a second one, as Word's own lists have.
    numbering = document.part.numbering_part.element
    abstract_id = numbering.xpath('//w:num[@w:numId="1"]/w:abstractNumId/@w:val')[0]
    [abstract] = numbering.xpath(f'//w:abstractNum[@w:abstractNumId="{abstract_id}"]')
    abstract.append(parse_xml(
        f'<w:lvl {nsdecls("w")} w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/>'
        '<w:lvlText w:val="o"/><w:lvlJc w:val="left"/></w:lvl>'))
    document.add_paragraph("stowarzyszeniach", style="List Bullet")
    document.add_paragraph("Kolejne kroki:")
    document.add_paragraph("ogłoszenie", style="List Number")
    document.add_paragraph("zbieranie uwag", style="List Number")
    document.add_heading("Finansowanie", level=1)
    table = document.add_table(rows=3, cols=2)
    for row, cells in enumerate([("Obszar", "Kwota"), ("Sport", "100 zł"), ("Kultura | sztuka", "200 zł")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def odt_bytes(title_1="Postanowienia ogólne") -> bytes:
    from odfdo import Document, Element, Header, List, Paragraph, Span, Table

    document = Document("text")
    document.insert_style(Element.from_tag(
        '<style:style style:name="Gruby" style:family="text">'
        '<style:text-properties fo:font-weight="bold"/></style:style>'), automatic=True)
    document.insert_style(Element.from_tag(
        '<text:list-style style:name="Numery"><text:list-level-style-number text:level="1" '
        'style:num-format="1" style:num-suffix="."/></text:list-style>'), automatic=True)
    body = document.body
    body.append(Header(1, f"§ 1. {title_1}"))
    body.append(Paragraph(f"{POLISH} — pierwszy ustęp."))
    paragraph = Paragraph("Program obejmuje ")
    paragraph.append(Span("współpracę", style="Gruby"))
    paragraph.append(" i wsparcie.")
    body.append(paragraph)
    body.append(Paragraph("1. Tak napisany numer nie jest listą."))
    body.append(Header(2, "Zakres"))
    body.append(Paragraph("Ilekroć jest mowa o:"))
    bullets = List(["organizacjach – ąę", "fundacjach", "stowarzyszeniach"])
    bullets.get_item(position=1).append(List(["fundacjach rodzinnych"]))
    body.append(bullets)
    body.append(Paragraph("Kolejne kroki:"))
    numbered = List(["ogłoszenie", "zbieranie uwag"])
    numbered.set_attribute("text:style-name", "Numery")
    body.append(numbered)
    body.append(Header(1, "Finansowanie"))
    table = Table("Kwoty", width=2, height=3)
    for row, cells in enumerate([("Obszar", "Kwota"), ("Sport", "100 zł"), ("Kultura | sztuka", "200 zł")]):
        for column, text in enumerate(cells):
            table.set_value((column, row), text)
    body.append(table)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def textarea(response) -> str:
    match = re.search(r'<textarea[^>]*name="markdown"[^>]*>(.*?)</textarea>', response.get_data(as_text=True), re.S)
    assert match, "no draft textarea on the page"
    return html_entities.unescape(match.group(1)).removeprefix("\r\n").removeprefix("\n")


def post(client, page=PAGE, markdown="", action="preview", file=None):
    data = {"markdown": markdown, "action": action, "csrf_token": form_token(client, page)}
    if file is not None:
        data["upload"] = (io.BytesIO(file[0]), file[1])
    return client.post(page, data=data, content_type="multipart/form-data")


def as_upload(content: bytes) -> uploads.Upload:
    return uploads.Upload(content, uploads.sniff(content), "projekt")


# --- conversion -------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [docx_bytes, odt_bytes], ids=["docx", "odt"])
def test_a_document_becomes_the_drafts_sections_and_paragraphs(app, make):
    text = importing.to_markdown(as_upload(make()))
    first, second, third = drafts.parse(text)
    assert [(s.number, s.title) for s in (first, second, third)] == [
        (1, "Postanowienia ogólne"), (2, "Zakres"), (3, "Finansowanie")]
    assert [p.text for p in first.paragraphs][0] == f"{POLISH} — pierwszy ustęp."
    assert "<strong>współpracę</strong>" in first.paragraphs[1].html
    # A number typed at a paragraph's start stays text: no list, no merged paragraphs.
    assert first.paragraphs[2].text == "1\\. Tak napisany numer nie jest listą."
    assert first.paragraphs[2].html.strip() == "<p>1. Tak napisany numer nie jest listą.</p>"
    assert len(first.paragraphs) == 3
    # A list announced with a colon stays a list, in the paragraph announcing it; nested lists nest.
    definitions, steps = second.paragraphs
    assert definitions.text.startswith("Ilekroć jest mowa o:\n\n- organizacjach – ąę\n")
    assert definitions.html.count("<ul>") == 2 and "<li>stowarzyszeniach</li>" in definitions.html
    assert steps.text == "Kolejne kroki:\n\n1. ogłoszenie\n2. zbieranie uwag"
    assert "<ol>" in steps.html
    # The table: a Markdown table with its first row as the header, "|" in a cell escaped.
    [table] = third.paragraphs
    assert table.text.split("\n") == ["| Obszar | Kwota |", "|---|---|", "| Sport | 100 zł |",
                                      "| Kultura \\| sztuka | 200 zł |"]
    assert "<table>" in table.html and "<th>Obszar</th>" in table.html and "<td>Kultura | sztuka</td>" in table.html


def test_the_nested_list_of_each_format(app):
    docx_text = importing.to_markdown(as_upload(docx_bytes()))
    assert "- organizacjach – ąę\n  - fundacjach\n- stowarzyszeniach" in docx_text
    odt_text = importing.to_markdown(as_upload(odt_bytes()))
    assert "- fundacjach\n  - fundacjach rodzinnych\n- stowarzyszeniach" in odt_text


def test_numbered_paragraphs_not_announced_are_the_sections_paragraphs(app):
    import docx

    document = docx.Document()
    document.add_heading("Cele", level=2)
    document.add_paragraph("Celem jest rozwój.", style="List Number")
    document.add_paragraph("Celem jest też współpraca.", style="List Number")
    buffer = io.BytesIO()
    document.save(buffer)
    [section] = drafts.parse(importing.to_markdown(as_upload(buffer.getvalue())))
    assert [p.text for p in section.paragraphs] == ["Celem jest rozwój.", "Celem jest też współpraca."]


def test_markdown_characters_in_a_document_are_text(app):
    markdown = draft_blocks.write([draft_blocks.Heading(1, draft_blocks.inline_text("A *b* [c]")),
                                draft_blocks.Para(draft_blocks.inline_text("# nie nagłówek")),
                                draft_blocks.Para(draft_blocks.inline_text("- nie lista <b>x</b>"))])
    [section] = drafts.parse(markdown)
    assert section.title == "A *b* [c]"
    assert [p.html.strip() for p in section.paragraphs] == ["<p># nie nagłówek</p>",
                                                            "<p>- nie lista &lt;b&gt;x&lt;/b&gt;</p>"]


# --- the page ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make, name", [(docx_bytes, "projekt.docx"), (odt_bytes, "projekt.odt")])
def test_an_uploaded_document_is_put_into_the_text_box_and_previewed(torun, admin_client, make, name):
    response = post(admin_client, file=(make(), name))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Podgląd podziału projektu" in page
    assert "Postanowienia ogólne" in page and "Finansowanie" in page
    box = textarea(response)
    assert box.startswith(f"## § 1. Postanowienia ogólne\n\n{POLISH}")
    assert [s.title for s in drafts.parse(box)] == ["Postanowienia ogólne", "Zakres", "Finansowanie"]
    assert db.session.scalar(select(DraftSection.id).where(DraftSection.consultation_id == torun.id)) is None


def test_the_type_is_read_from_the_bytes_not_the_name(torun, admin_client):
    response = post(admin_client, file=(odt_bytes(), "projekt.txt"))
    assert response.status_code == 200
    assert textarea(response).startswith("## § 1. Postanowienia ogólne")


def test_choosing_another_document_replaces_the_text(torun, admin_client):
    first = textarea(post(admin_client, file=(docx_bytes(), "projekt.docx")))
    second = textarea(post(admin_client, markdown=first, file=(odt_bytes("Przepisy wstępne"), "projekt-2.odt")))
    assert second.startswith("## § 1. Przepisy wstępne") and "Postanowienia ogólne" not in second
    again = textarea(post(admin_client, markdown=second, file=(docx_bytes(extra=" (wersja 3)"), "projekt-3.docx")))
    assert "pierwszy ustęp (wersja 3)." in again and "Przepisy wstępne" not in again


@pytest.mark.parametrize("content, name", [
    (os.urandom(4000), "projekt.docx"),
    (b"PK\x03\x04" + os.urandom(4000), "projekt.odt"),
    (docx_bytes()[:3000], "projekt.docx"),
])
def test_a_damaged_document_is_refused_next_to_the_upload_with_the_text_kept(torun, admin_client, content, name):
    typed = "## Wstęp\n\nTekst wpisany ręcznie, ąę."
    response = post(admin_client, markdown=typed, file=(content, name))
    assert response.status_code in (200, 400, 422)
    page = response.get_data(as_text=True)
    assert "Nie udało się odczytać tego dokumentu" in page
    assert re.search(r'id="upload-error"|upload[^"]*-error', page)
    assert textarea(response) == typed
    assert "Podgląd podziału projektu" not in page


def test_a_pdf_is_not_taken_as_a_draft(torun, admin_client):
    response = post(admin_client, markdown="## A\n\nB", file=(b"%PDF-1.4\n" + b"x" * 100, "projekt.pdf"))
    assert response.status_code in (200, 400, 422)
    assert "Pliku PDF nie da się wczytać" in response.get_data(as_text=True) or \
        "Wybierz plik DOCX, ODT, MD albo TXT." in response.get_data(as_text=True)


def test_the_document_can_be_published_straight_away(torun, admin_client):
    response = post(admin_client, action="publish", file=(docx_bytes(), "projekt.docx"))
    assert response.status_code == 303
    sections = db.session.scalars(select(DraftSection).where(DraftSection.consultation_id == torun.id)
                                  .order_by(DraftSection.number)).all()
    assert [s.title for s in sections] == ["Postanowienia ogólne", "Zakres", "Finansowanie"]
    assert published_markdown(torun.id).startswith(f"## § 1. Postanowienia ogólne\n\n{POLISH}")


# --- starting from what is published ----------------------------------------------------------

def test_the_form_starts_empty_before_anything_is_published(torun, admin_client):
    assert textarea(admin_client.get(PAGE)) == ""


def test_the_form_starts_from_the_published_draft_and_publishing_it_unchanged_changes_nothing(
        torun, admin, admin_client):
    source = drafts.DEMO_DRAFT.read_text(encoding="utf-8")
    drafts.publish(torun, source, actor=admin)
    db.session.commit()
    before = drafts.parse(source)

    box = textarea(admin_client.get(PAGE))
    assert box == published_markdown(torun.id)
    assert drafts.parse(box) == before  # the same sections, titles and paragraphs' Markdown
    assert post(admin_client, markdown=box, action="publish").status_code == 303
    db.session.expire_all()
    assert drafts.parse(published_markdown(torun.id)) == before
    assert published_markdown(torun.id) == box


def test_titles_that_look_like_numbers_survive_the_round_trip(app):
    text = draft_blocks.sections_markdown([("§ 1", "Rozdział 2 budżetu", ["Tekst."]), ("Art. 2", "Gwiazdka *", ["A"]),
                                        ("Rozdział III", "Pusty", [])])
    assert [(s.label, s.title, [p.text for p in s.paragraphs]) for s in drafts.parse(text)] == [
        ("§ 1", "Rozdział 2 budżetu", ["Tekst."]), ("Art. 2", "Gwiazdka *", ["A"]), ("Rozdział III", "Pusty", [])]


def test_the_final_version_form_starts_from_the_draft_then_from_the_saved_final_version(commented, moderator_client):
    consultation = commented.consultation
    box = textarea(moderator_client.get(FINAL_PAGE))
    draft = final.draft_texts(consultation.id)
    assert [(s.title, s.paragraphs) for s in final.parse_final(box)] == [(s.title, s.paragraphs) for s in draft]

    changed = box.replace(draft[0].paragraphs[0], "Zmieniony pierwszy ustęp – ąę.", 1)
    assert post(moderator_client, FINAL_PAGE, markdown=changed, action="save").status_code == 303
    again = textarea(moderator_client.get(FINAL_PAGE))
    assert "Zmieniony pierwszy ustęp – ąę." in again
    assert [s.paragraphs for s in final.parse_final(again)] == [s.paragraphs for s in final.final_texts(consultation.id)]


def test_the_final_version_can_be_a_document(commented, moderator_client):
    response = post(moderator_client, FINAL_PAGE, file=(odt_bytes(), "wersja-koncowa.odt"))
    assert response.status_code == 200
    assert textarea(response).startswith("## § 1. Postanowienia ogólne")
    assert "Podgląd: projekt a wersja końcowa" in response.get_data(as_text=True)
