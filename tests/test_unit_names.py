"""Numbering as written (issue 14): the draft's units — Rozdział, §, art., ust., pkt — keep the names
the office gave them, on the page, in the editor, in the report and in every export. The portal
never turns "Rozdział 1" into "§ 1" (the text itself says "w rozdziale 1").
"""
import csv
import io
import json
import re

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.forum import drafts
from portal.forum.models import DraftParagraph, DraftSection, Post, Thread, ThreadKind
from portal.reports.models import Decision
from tests.conftest import form_token, login_as, visible_text
from tests.factories import SLUG, answer, publish_with_the_form

EDITOR = f"/zespol/konsultacje/{SLUG}/projekt"
WHOLE = f"/konsultacje/{SLUG}/projekt-dokumentu"
REPORT = f"/konsultacje/{SLUG}/raport"

DRAFT = """## Rozdział 1. Postanowienia ogólne

§ 1. Program określa cele współpracy, o których mowa w rozdziale 2.

ust. 1 Koordynatorem Programu jest pełnomocnik Prezydenta.

pkt 1) konsultowanie projektów aktów normatywnych;

Zdanie bez numeru.

## Rozdział 2
### Cele

§ 2. Celem głównym Programu jest partnerstwo.

## Art. 3. Przepisy końcowe

Program wchodzi w życie z dniem 1 stycznia.
"""
SECTIONS = [("Rozdział 1", "Postanowienia ogólne", ["§ 1", "ust. 1", "pkt 1", "ust. 4"]),
            ("Rozdział 2", "Cele", ["§ 2"]),
            ("Art. 3", "Przepisy końcowe", ["ust. 1"])]


def names(parsed) -> list:
    return [(s.label, s.title, [p.label for p in s.paragraphs]) for s in parsed]


def publish(client, text=DRAFT):
    return client.post(EDITOR, data={"markdown": text, "action": "publish",
                                     "csrf_token": form_token(client, EDITOR)})


def textarea(response) -> str:
    import html

    match = re.search(r'<textarea[^>]*name="markdown"[^>]*>(.*?)</textarea>', response.get_data(as_text=True), re.S)
    return html.unescape(match.group(1)).lstrip("\r\n")


@pytest.fixture
def written(client, torun, admin, anna, moderator, frozen_clock):
    """The draft published with the staff form; Anna comments on "Rozdział 1 pkt 1" through the forum's form;
    the office answers. The clock then stands after the consultation."""
    frozen_clock.set_local("2020-09-20 12:00:00")
    login_as(client, admin)
    assert publish(client).status_code == 303
    thread = db.session.scalar(select(Thread).join(DraftSection, DraftSection.id == Thread.section_id)
                               .where(DraftSection.label == "Rozdział 1", Thread.kind == ThreadKind.SECTION))
    login_as(client, anna)
    page = f"/konsultacje/{SLUG}/forum/watek/{thread.id}"
    html = client.get(page).get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\d*)"[^>]*>([^<]*)</option>', html)
    assert options == [("", "całość: Rozdział 1"), ("1", "§ 1"), ("2", "ust. 1"), ("3", "pkt 1"), ("4", "ust. 4")]
    response = client.post(page, data={"body": "Prosimy dopisać konsultacje z radami osiedli.", "paragraph": "3",
                                       "action": "send", "csrf_token": form_token(client, page)})
    assert response.status_code == 302
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    answer(torun, [post], Decision.ACCEPTED, "Dopiszemy rady osiedli.")
    db.session.commit()
    frozen_clock.set_local("2020-10-05 12:00:00")
    return thread


def test_the_parser_keeps_every_unit_as_written():
    assert names(drafts.parse(DRAFT)) == SECTIONS


def test_a_published_draft_keeps_its_names_and_the_editor_gives_them_back(client, torun, admin, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    login_as(client, admin)
    assert publish(client).status_code == 303
    stored = db.session.execute(select(DraftSection.label, DraftSection.title).order_by(DraftSection.number)).all()
    assert [tuple(row) for row in stored] == [(label, title) for label, title, _ in SECTIONS]
    assert db.session.scalars(select(DraftParagraph.label).join(DraftSection)
                              .where(DraftSection.label == "Rozdział 1").order_by(DraftParagraph.number)).all() \
        == SECTIONS[0][2]

    again = textarea(client.get(EDITOR))
    assert again.startswith("## Rozdział 1. Postanowienia ogólne")
    assert names(drafts.parse(again)) == SECTIONS
    assert publish(client, again).status_code == 303  # publishing it again renames nothing
    assert names(drafts.parse(textarea(client.get(EDITOR)))) == SECTIONS


def test_the_whole_draft_and_the_thread_say_rozdzial_never_paragraph(client, written):
    text = visible_text(client.get(WHOLE).get_data(as_text=True))
    for heading in ("Rozdział 1. Postanowienia ogólne", "Rozdział 2. Cele", "Art. 3. Przepisy końcowe"):
        assert text.count(heading) == 2  # table of contents and the heading
    assert not re.search(r"§ [123]\. (Postanowienia|Cele\b|Przepisy)", text)
    assert "Uwagi do: Rozdział 1 (1)" in text
    assert "(Rozdział 1 pkt 1)" in text  # the count's link says where, for screen readers

    html = client.get(f"/konsultacje/{SLUG}/forum/watek/{written.id}").get_data(as_text=True)
    assert "<h1 lang=\"pl\">Rozdział 1. Postanowienia ogólne</h1>" in html or \
        "Rozdział 1. Postanowienia ogólne</h1>" in html
    assert "Uwaga do: Rozdział 1 pkt 1" in visible_text(html)
    forum = visible_text(client.get(f"/konsultacje/{SLUG}/forum").get_data(as_text=True))
    assert "Rozdział 2. Cele" in forum and not re.search(r"§ 2\. Cele\b", forum)


def test_the_report_and_its_exports_cite_the_units_as_written(client, written, moderator, smtp_sink):
    assert publish_with_the_form(client, moderator).status_code == 303
    client.get("/wyloguj")
    report = visible_text(client.get(REPORT).get_data(as_text=True))
    assert "Rozdział 1. Postanowienia ogólne" in report and "Rozdział 1 pkt 1" in report
    assert "§ 1. Postanowienia" not in report

    rows = list(csv.reader(io.StringIO(client.get(f"{REPORT}.csv").data.decode("utf-8-sig"), newline="")))
    header, row = rows[0], rows[1]
    assert row[header.index("Część dokumentu")] == "Rozdział 1. Postanowienia ogólne"
    assert row[header.index("Ustęp")] == "Rozdział 1 pkt 1"

    sheet = load_workbook(io.BytesIO(client.get(f"{REPORT}.xlsx").data)).active
    values = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert "Rozdział 1. Postanowienia ogólne" in values[1] and "Rozdział 1 pkt 1" in values[1]

    data = json.loads(client.get(f"{REPORT}.json").data)
    comment = data["comments"][0]
    assert comment["section"] == {"number": 1, "label": "Rozdział 1", "title": "Postanowienia ogólne"}
    assert comment["paragraph"] == 3 and comment["paragraph_label"] == "pkt 1"

    document = Document(io.BytesIO(client.get(f"{REPORT}/sprawozdanie.docx").data))
    cells = [cell.text for table in document.tables for line in table.rows for cell in line.cells]
    assert "Rozdział 1 pkt 1" in cells


def test_a_change_in_the_final_version_is_named_as_the_final_version_writes_it(
        client, written, torun, moderator, admin):
    from portal.reports import final

    post = db.session.scalar(select(Post).where(Post.thread_id == written.id))
    final.save_final(torun, DRAFT.replace("konsultowanie projektów", "konsultowanie wszystkich projektów"),
                     admin)
    final.link_comments(torun, 1, [post.id], admin)
    db.session.commit()
    login_as(client, moderator)
    rows = list(csv.reader(io.StringIO(client.get(f"{REPORT}.csv").data.decode("utf-8-sig"), newline="")))
    assert rows[1][rows[0].index("Zmiany w dokumencie")] == "wprowadzono zmianę: Rozdział 1"
    thread = visible_text(client.get(f"/konsultacje/{SLUG}/forum/watek/{written.id}").get_data(as_text=True))
    assert "wprowadzono zmianę: Rozdział 1" in thread
    changes = visible_text(client.get(f"/zespol/konsultacje/{SLUG}/wersja-koncowa").get_data(as_text=True))
    assert "Rozdział 1. Postanowienia ogólne" in changes and "Uwagi, w odpowiedzi na które wprowadzono zmianę: " \
        "Rozdział 1" in changes


def test_two_sections_with_the_same_name_are_refused_before_anything_is_written(client, torun, admin):
    login_as(client, admin)
    response = publish(client, "## § 1. Cele\n\nTekst.\n\n## § 1. Zasady\n\nTekst.")
    assert response.status_code == 200
    text = visible_text(response.get_data(as_text=True))
    assert "Dwa nagłówki mają ten sam numer: „§ 1” („Cele” i „Zasady”)" in text
    assert "## § 1. Zasady" in textarea(response)  # the text comes back
    assert db.session.scalar(select(DraftSection.id)) is None
