"""The file a draft was imported from is offered for download with the published draft (issue 14, item 2).

An admin previews a DOCX or ODT, publishes the text it gave, and the same file can then be
downloaded beside the whole draft and in the consultation's documents. A text changed after the
import is not offered as that file; a new import replaces it; a changed text published without
a file removes it. The file waits between preview and publication under a signed token.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.audit import AuditLog
from portal.consultations.models import Document, DocumentKind
from portal.extensions import db
from portal.forum import draft_source
from portal.staff import uploads
from tests.conftest import form_token
from tests.test_draft_import import PAGE, SLUG, docx_bytes, odt_bytes, textarea

WHOLE_DRAFT = f"/konsultacje/{SLUG}/projekt-dokumentu"
ANNOUNCEMENT = f"/konsultacje/{SLUG}"
SOURCE_INPUT = re.compile(r'<input[^>]*name="source"[^>]*value="([^"]*)"')


def send(client, markdown="", action="preview", file=None, source=""):
    import io

    data = {"markdown": markdown, "action": action, "source": source, "csrf_token": form_token(client, PAGE)}
    if file is not None:
        data["upload"] = (io.BytesIO(file[0]), file[1])
    return client.post(PAGE, data=data, content_type="multipart/form-data", follow_redirects=action == "publish")


def source_token(response) -> str:
    match = SOURCE_INPUT.search(response.get_data(as_text=True))
    assert match, "no source field in the form"
    return match.group(1)


def preview(client, content, name):
    """Choose the file and press "Podgląd": the text box and the hidden token, as the browser holds them."""
    response = send(client, file=(content, name))
    assert response.status_code == 200
    return textarea(response), source_token(response), response.get_data(as_text=True)


def sources(consultation_id):
    db.session.expire_all()
    return db.session.scalars(select(Document).where(Document.consultation_id == consultation_id,
                                                     Document.draft_source.is_(True))).all()


def download_link(page: str) -> str:
    match = re.search(r'<a href="(/konsultacje/[^"]+/dokumenty/\d+[^"]*)">Pobierz wersję edytowalną</a>', page)
    assert match, "no link to the editable version"
    return match.group(1)


@pytest.mark.parametrize("make, name, file_type", [(docx_bytes, "Projekt programu 2021.docx", uploads.DOCX),
                                                   (odt_bytes, "projekt-łódź.odt", uploads.ODT)])
def test_the_imported_file_is_downloaded_beside_the_published_draft(torun, admin_client, client, make, name,
                                                                    file_type):
    content = make()
    box, token, page = preview(admin_client, content, name)
    assert token
    assert f"udostępnimy do pobrania plik „{name}”" in page

    published = send(admin_client, markdown=box.replace("\n", "\r\n"), action="publish", source=token)
    assert published.status_code == 200
    assert f"Plik „{name}” można pobrać przy projekcie dokumentu" in published.get_data(as_text=True)

    [document] = sources(torun.id)
    assert (document.kind, document.title, document.original_name) == (
        DocumentKind.DRAFT, "Projekt dokumentu (wersja edytowalna)", name)
    whole = client.get(WHOLE_DRAFT).get_data(as_text=True)
    link = download_link(whole)
    assert re.search(rf"Pobierz wersję edytowalną</a> <span class=\"muted\">\({file_type.label}, \d+ kB\)", whole)
    downloaded = client.get(link)
    assert downloaded.status_code == 200
    assert downloaded.data == content
    assert downloaded.headers["Content-Type"] == file_type.content_type
    assert "attachment" in downloaded.headers["Content-Disposition"]
    # Listed with the consultation's documents, and named on the publishing page.
    assert link in client.get(ANNOUNCEMENT).get_data(as_text=True)
    assert name in admin_client.get(PAGE).get_data(as_text=True)


def test_a_text_changed_after_the_import_is_published_without_the_file(torun, admin_client, client):
    box, token, _page = preview(admin_client, docx_bytes(), "projekt.docx")
    edited = box.replace("pierwszy ustęp", "pierwszy ustęp, poprawiony w portalu", 1)
    # A second preview of the edited text says so before anything is published.
    again = send(admin_client, markdown=edited, source=token).get_data(as_text=True)
    assert "Tekst różni się od wczytanego pliku „projekt.docx”" in again

    published = send(admin_client, markdown=edited, action="publish", source=token).get_data(as_text=True)
    assert "Tekst zmieniono po wczytaniu pliku „projekt.docx”" in published
    assert sources(torun.id) == []
    assert "poprawiony w portalu" in client.get(WHOLE_DRAFT).get_data(as_text=True)
    assert "Pobierz wersję edytowalną" not in client.get(WHOLE_DRAFT).get_data(as_text=True)


def test_a_new_import_replaces_the_file_and_the_old_one_leaves_the_disk(torun, admin_client, client, app):
    box, token, _page = preview(admin_client, docx_bytes(), "pierwszy.docx")
    send(admin_client, markdown=box, action="publish", source=token)
    [first] = sources(torun.id)
    first_path = uploads.folder() / first.file_name
    assert first_path.exists()

    box, token, _page = preview(admin_client, odt_bytes("Przepisy wstępne"), "drugi.odt")
    send(admin_client, markdown=box, action="publish", source=token)
    [second] = sources(torun.id)
    assert second.original_name == "drugi.odt"
    assert not first_path.exists()
    assert client.get(download_link(client.get(WHOLE_DRAFT).get_data(as_text=True))).data == odt_bytes_again(second)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("document_%"))
                                 .order_by(AuditLog.id)).all()
    assert actions == ["document_added", "document_deleted", "document_added"]


def odt_bytes_again(document) -> bytes:
    return (uploads.folder() / document.file_name).read_bytes()


def test_publishing_straight_from_the_file_keeps_it_too(torun, admin_client, client):
    content = docx_bytes()
    send(admin_client, action="publish", file=(content, "projekt.docx"))
    assert client.get(download_link(client.get(WHOLE_DRAFT).get_data(as_text=True))).data == content


def test_the_same_text_again_keeps_the_file_and_a_changed_one_removes_it(torun, admin_client, client):
    box, token, _page = preview(admin_client, docx_bytes(), "projekt.docx")
    send(admin_client, markdown=box, action="publish", source=token)
    [document] = sources(torun.id)
    path = uploads.folder() / document.file_name

    # Opened afresh, the form holds the published draft; publishing it as it is keeps the file.
    unchanged = textarea(admin_client.get(PAGE))
    send(admin_client, markdown=unchanged, action="publish")
    assert [d.id for d in sources(torun.id)] == [document.id]

    changed = unchanged.replace("pierwszy ustęp", "inny pierwszy ustęp", 1)
    page = send(admin_client, markdown=changed, action="publish").get_data(as_text=True)
    assert "Usunięto z dokumentów konsultacji plik „projekt.docx”: opublikowany tekst różni się od niego." in page
    assert sources(torun.id) == []
    assert not path.exists()
    assert "Pobierz wersję edytowalną" not in client.get(WHOLE_DRAFT).get_data(as_text=True)


def test_a_forged_or_expired_token_brings_no_file(torun, admin_client, frozen_clock):
    frozen_clock.set(clock.now_utc())
    box, token, _page = preview(admin_client, docx_bytes(), "projekt.docx")
    assert draft_source.take(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), box).upload is None
    assert draft_source.take("", box).upload is None
    assert draft_source.take(token, box).upload is not None

    frozen_clock.set(clock.now_utc() + timedelta(seconds=draft_source.MAX_AGE_SECONDS + 1))
    send(admin_client, markdown=box, action="publish", source=token)
    assert sources(torun.id) == []


def test_a_file_left_in_preview_is_swept_a_day_later(torun, admin_client, frozen_clock):
    start = clock.now_utc()
    frozen_clock.set(start)
    preview(admin_client, docx_bytes(), "zostawiony.docx")
    pending = uploads.folder() / "pending"
    [left] = list(pending.iterdir())

    frozen_clock.set(start + timedelta(seconds=draft_source.MAX_AGE_SECONDS - 60))
    preview(admin_client, odt_bytes(), "nastepny.odt")
    assert left.exists()  # not a day old yet
    frozen_clock.set(start + timedelta(seconds=draft_source.MAX_AGE_SECONDS + 60))
    preview(admin_client, odt_bytes(), "trzeci.odt")
    assert not left.exists()
    assert len(list(pending.iterdir())) == 2


def test_a_pasted_or_markdown_file_draft_has_no_editable_version(torun, admin_client, client):
    page = send(admin_client, action="publish", file=("## § 1. Wstęp\n\nTekst.".encode(), "projekt.md"))
    assert page.status_code == 200
    assert sources(torun.id) == []
    whole = client.get(WHOLE_DRAFT).get_data(as_text=True)
    assert "Wstęp" in whole and "Pobierz wersję edytowalną" not in whole
