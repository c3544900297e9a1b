"""An admin puts a consultation's documents on its page: uploads a PDF, DOCX or ODT (recognised by
its content, never by its name) or adds a link, orders them and deletes them. Anyone downloads the
files of a published consultation; a draft's files stay with the staff.
"""
import io
import re
import zipfile
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from portal.audit import AuditLog
from portal.consultations.models import Consultation, Document, DocumentKind, Status
from portal.extensions import db
from portal.staff import documents, uploads
from tests.conftest import form_token, login_as
from tests.factories import pdf_bytes

SLUG = "program-wspolpracy-2021"
MANAGE = f"/zespol/konsultacje/{SLUG}/dokumenty"
ADD_LINK = f"{MANAGE}/link"
ANNOUNCEMENT = f"/konsultacje/{SLUG}"
MB = 1024 * 1024


# --- tiny real documents, built here -----------------------------------------------------------

def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            # ODF wants `mimetype` first and uncompressed; the rest may be deflated.
            compression = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=compression)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                               b'package/2006/content-types"/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                             b'wordprocessingml/2006/main"><w:body/></w:document>',
    })


def odt_bytes() -> bytes:
    return zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text",
                      "content.xml": b'<?xml version="1.0"?><office:document-content/>'})


# --- helpers ----------------------------------------------------------------------------------

@pytest.fixture
def as_admin(torun, admin_client):
    """`admin_client`, with the demo consultation whose documents the tests manage."""
    return admin_client


def upload(client, content: bytes, name: str, title="Projekt programu na 2021 r.", kind="draft", token=None):
    data = {"csrf_token": token or form_token(client, MANAGE), "title": title, "kind": kind,
            "file": (io.BytesIO(content), name)}
    return client.post(MANAGE, data=data, content_type="multipart/form-data")


def stored_documents() -> list[Document]:
    db.session.expire_all()
    return db.session.scalars(select(Document).where(Document.file_name.is_not(None)).order_by(Document.id)).all()


def upload_folder(app):
    return app.instance_path + "/uploads"


def stored_files(app) -> list[str]:
    import os

    folder = upload_folder(app)
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field__error" id="{field_id}-error">(.*?)</p>', html, re.DOTALL)
    assert match, f"no error next to #{field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def download_url(document) -> str:
    return f"/konsultacje/{SLUG}/dokumenty/{document.id}"


# --- uploading and downloading ----------------------------------------------------------------

def test_an_admin_uploads_a_pdf_which_the_public_page_links_and_anyone_downloads_byte_identical(
        app, as_admin):
    content = pdf_bytes()
    response = upload(as_admin, content, "projekt.pdf")
    assert response.status_code == 303
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dodano dokument „Projekt programu na 2021 r.”." in page

    [document] = stored_documents()
    assert (document.kind, document.content_type, document.size_bytes) == (
        DocumentKind.DRAFT, "application/pdf", len(content))
    public = app.test_client().get(ANNOUNCEMENT).get_data(as_text=True)
    assert f'<a href="{download_url(document)}">Projekt programu na 2021 r.</a>' in public
    assert "(PDF, 1 kB)" in public
    assert "(PDF, 1 kB)" in app.test_client().get(f"{ANNOUNCEMENT}/druk").get_data(as_text=True)

    file = app.test_client().get(download_url(document))
    assert file.status_code == 200
    assert file.data == content
    assert file.headers["Content-Type"] == "application/pdf"
    assert file.headers["X-Content-Type-Options"] == "nosniff"
    assert file.headers["Content-Security-Policy"] == "sandbox"
    assert file.headers["Content-Disposition"].startswith("inline")  # a PDF opens in the browser
    assert "projekt.pdf" in file.headers["Content-Disposition"]


@pytest.mark.parametrize(("content", "extension", "content_type"), [
    (docx_bytes(), "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (odt_bytes(), "odt", "application/vnd.oasis.opendocument.text"),
])
def test_docx_and_odt_are_downloaded_as_attachments_under_their_polish_names(
        app, as_admin, content, extension, content_type):
    name = f"Uwagi – Łódź i Toruń.{extension}"
    assert upload(as_admin, content, name).status_code == 303

    [document] = stored_documents()
    file = app.test_client().get(download_url(document))
    assert file.data == content
    assert file.headers["Content-Type"] == content_type
    disposition = file.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=UTF-8''{quote(name)}" in disposition  # RFC 5987: the letters arrive intact
    assert file.headers["X-Content-Type-Options"] == "nosniff"
    public = app.test_client().get(ANNOUNCEMENT).get_data(as_text=True)
    assert f"({extension.upper()}, 1 kB)" in public


@pytest.mark.parametrize(("content", "name"), [
    (b"<!doctype html><title>x</title><script>alert(document.cookie)</script>", "projekt.pdf"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "projekt.exe"),
    (zip_bytes({"zdjecie.jpg": b"\xff\xd8\xff\xe0"}), "projekt.docx"),
    (zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "projekt.odt"),
    (zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>",
                "word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}), "projekt.docx"),
    (b"PK\x03\x04 this is not really a zip", "projekt.docx"),
    (b"", "projekt.pdf"),
], ids=["html-named-pdf", "exe", "zip-of-a-photo", "ods-spreadsheet", "docm-with-macros", "broken-zip", "empty"])
def test_a_file_that_is_not_a_pdf_docx_or_odt_is_refused_and_the_title_stays(app, as_admin, content, name):
    response = upload(as_admin, content, name, title="Mój ważny dokument")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Popraw błędy w formularzu" in html
    message = field_error(html, "file")
    assert "PDF, DOCX ani ODT" in message or "pusty" in message
    assert 'value="Mój ważny dokument"' in html
    assert stored_documents() == []
    assert stored_files(app) == []


def test_an_upload_without_a_file_or_title_says_what_is_missing(as_admin):
    response = as_admin.post(MANAGE, data={"csrf_token": form_token(as_admin, MANAGE), "title": "", "kind": "other"},
                             content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert field_error(html, "title") == "Błąd: Podaj tytuł dokumentu."
    assert field_error(html, "file") == "Błąd: Wybierz plik z dokumentem."


def test_the_stored_name_is_random_and_owes_nothing_to_the_uploaded_name(app, as_admin):
    for _ in range(2):
        assert upload(as_admin, pdf_bytes(), "../../etc/passwd-projekt.pdf").status_code == 303

    first, second = stored_documents()
    for document in (first, second):
        assert re.fullmatch(r"[0-9a-f]{32}\.pdf", document.file_name)
        assert "projekt" not in document.file_name and "passwd" not in document.file_name
        assert document.original_name == "passwd-projekt.pdf"  # no folders, kept for the download only
    assert first.file_name != second.file_name
    assert stored_files(app) == sorted([first.file_name, second.file_name])


def test_a_name_that_lies_about_the_type_gets_the_real_extension_for_the_download(app, as_admin):
    assert upload(as_admin, odt_bytes(), "program.pdf").status_code == 303
    [document] = stored_documents()
    assert document.original_name == "program.odt"
    assert document.content_type == "application/vnd.oasis.opendocument.text"


def test_a_file_over_the_size_limit_is_refused_with_the_limit_in_megabytes(app, as_admin):
    app.config["DOCUMENT_MAX_BYTES"] = 1 * MB
    response = upload(as_admin, pdf_bytes(padding=MB), "duzy.pdf", title="Duży skan")
    html = response.get_data(as_text=True)
    assert field_error(html, "file") == "Błąd: Plik może mieć najwyżej 1 MB."
    assert 'value="Duży skan"' in html
    assert stored_documents() == [] and stored_files(app) == []

    assert upload(as_admin, pdf_bytes(padding=MB - 200), "w-limicie.pdf").status_code == 303


def test_a_file_larger_than_the_site_wide_request_limit_still_gets_the_message(app, as_admin):
    app.config.update(MAX_CONTENT_LENGTH=1 * MB, DOCUMENT_MAX_BYTES=2 * MB)
    response = upload(as_admin, pdf_bytes(padding=int(1.5 * MB)), "skan.pdf")
    assert response.status_code == 303  # within the documents' own limit
    response = upload(as_admin, pdf_bytes(padding=int(2.2 * MB)), "skan.pdf")
    assert field_error(response.get_data(as_text=True), "file") == "Błąd: Plik może mieć najwyżej 2 MB."


def test_the_public_page_gives_the_size_in_megabytes_polish_style(app, as_admin):
    assert upload(as_admin, pdf_bytes(padding=int(1.2 * MB)), "skan.pdf").status_code == 303
    public = app.test_client().get(ANNOUNCEMENT).get_data(as_text=True)
    assert "(PDF, 1,2 MB)" in public


def test_a_stale_form_comes_back_with_the_title_and_nothing_is_stored(app, as_admin):
    response = upload(as_admin, pdf_bytes(), "projekt.pdf", title="Projekt po poprawkach", token="stary-token")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz nie został wysłany" in html
    assert 'value="Projekt po poprawkach"' in html
    assert stored_documents() == [] and stored_files(app) == []


# --- links ------------------------------------------------------------------------------------

def test_a_link_is_added_when_it_is_http_or_https(app, as_admin):
    def add(url):
        return as_admin.post(ADD_LINK, data={"csrf_token": form_token(as_admin, MANAGE), "link_title": "Uchwała",
                                             "link_kind": "current", "url": url})

    for bad in ("javascript:alert(1)", "ftp://bip.example.org/a.pdf", "bip.example.org/a.pdf"):
        response = add(bad)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "https://" in field_error(html, "url")
        assert 'value="Uchwała"' in html and f'value="{bad}"' in html

    assert add("https://bip.example.org/uchwala.pdf").status_code == 303
    public = app.test_client().get(ANNOUNCEMENT).get_data(as_text=True)
    assert '<a href="https://bip.example.org/uchwala.pdf" rel="noopener">Uchwała</a>' in public


def test_a_link_document_has_no_download(app, as_admin):
    document = db.session.scalar(select(Document).where(Document.url.is_not(None)))
    assert app.test_client().get(download_url(document)).status_code == 404


# --- order and deletion -----------------------------------------------------------------------

def public_titles(app) -> list[str]:
    html = app.test_client().get(ANNOUNCEMENT).get_data(as_text=True)
    section = html.split('<ul class="documents"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<a [^>]*>([^<]+)</a>", section)


def test_moving_a_document_changes_the_order_on_the_public_page(app, as_admin):
    upload(as_admin, pdf_bytes(), "a.pdf", title="Projekt")
    [document] = stored_documents()
    assert public_titles(app)[-1] == "Projekt"

    move = f"{MANAGE}/{document.id}/przesun"
    for _ in range(3):  # the third press finds it already first
        response = as_admin.post(move, data={"csrf_token": form_token(as_admin, MANAGE), "direction": "up"})
        assert response.status_code == 303
    assert public_titles(app)[0] == "Projekt"
    as_admin.post(move, data={"csrf_token": form_token(as_admin, MANAGE), "direction": "down"})
    assert public_titles(app)[1] == "Projekt"
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "document_moved")) == 3


def test_deleting_a_document_removes_its_file_and_is_recorded(app, as_admin, admin):
    upload(as_admin, pdf_bytes(), "projekt.pdf")
    [document] = stored_documents()
    assert stored_files(app) == [document.file_name]
    url = download_url(document)

    response = as_admin.post(f"{MANAGE}/{document.id}/usun", data={"csrf_token": form_token(as_admin, MANAGE)})
    assert response.status_code == 303
    assert "Usunięto dokument" in as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert stored_documents() == [] and stored_files(app) == []
    assert app.test_client().get(url).status_code == 404
    actions = db.session.execute(select(AuditLog.action, AuditLog.actor_id).where(AuditLog.target_type == "document")
                                 .order_by(AuditLog.id)).all()
    assert actions == [("document_added", admin.id), ("document_deleted", admin.id)]


def test_a_file_follows_its_rows_transaction(app, torun, admin):
    """Written but rolled back: gone. Deleted but rolled back: still there. Deleted and committed: gone."""
    accepted = uploads.Upload(pdf_bytes(), uploads.PDF, "a.pdf")
    documents.add_uploaded_document(admin, torun, "Projekt", DocumentKind.DRAFT, accepted)
    assert len(stored_files(app)) == 1
    db.session.rollback()
    assert stored_files(app) == []

    document = documents.add_uploaded_document(admin, torun, "Projekt", DocumentKind.DRAFT, accepted)
    db.session.commit()
    documents.delete_document(admin, document)
    db.session.rollback()
    assert stored_files(app) == [document.file_name]
    documents.delete_document(admin, db.session.get(Document, document.id))
    db.session.commit()
    assert stored_files(app) == []


# --- who may do what --------------------------------------------------------------------------

def test_only_admins_manage_documents(app, client, torun, admin, moderator):
    document = db.session.scalar(select(Document))
    delete_url = f"{MANAGE}/{document.id}/usun"

    anonymous = app.test_client()
    assert anonymous.get(MANAGE).status_code == 302
    assert "/logowanie" in anonymous.get(MANAGE).headers["Location"]

    as_moderator = app.test_client()
    login_as(as_moderator, moderator)
    token = form_token(as_moderator, ANNOUNCEMENT)
    assert as_moderator.get(MANAGE).status_code == 403
    assert upload(as_moderator, pdf_bytes(), "a.pdf", token=token).status_code == 403
    assert as_moderator.post(delete_url, data={"csrf_token": token}).status_code == 403
    assert stored_files(app) == []

    login_as(client, admin)
    assert client.post(delete_url, data={}).status_code == 400  # no CSRF token
    assert client.post(MANAGE, data={"title": "x"}).status_code == 400
    assert db.session.get(Document, document.id) is not None


def test_a_draft_consultations_files_are_only_for_staff(app, torun, admin, jan, moderator):
    document = documents.add_uploaded_document(admin, torun, "Projekt", DocumentKind.DRAFT,
                                               uploads.Upload(pdf_bytes(), uploads.PDF, "projekt.pdf"))
    torun.status = Status.DRAFT
    db.session.commit()

    assert app.test_client().get(download_url(document)).status_code == 404
    as_participant = app.test_client()
    login_as(as_participant, jan)
    assert as_participant.get(download_url(document)).status_code == 404
    as_moderator = app.test_client()
    login_as(as_moderator, moderator)
    preview = as_moderator.get(download_url(document))
    assert preview.status_code == 200 and preview.headers["Cache-Control"] == "no-store"


def test_another_consultations_document_is_not_found_under_this_slug(app, torun, admin):
    other = Consultation(slug="budzet-2021", title="Budżet obywatelski", status=Status.PUBLISHED)
    db.session.add(other)
    db.session.flush()
    document = documents.add_uploaded_document(admin, other, "Regulamin", DocumentKind.OTHER,
                                               uploads.Upload(pdf_bytes(), uploads.PDF, "regulamin.pdf"))
    db.session.commit()
    client = app.test_client()
    assert client.get(f"/konsultacje/budzet-2021/dokumenty/{document.id}").status_code == 200
    assert client.get(download_url(document)).status_code == 404


# --- the page's cost --------------------------------------------------------------------------

def test_the_documents_page_costs_the_same_queries_for_2_or_40_documents(app, as_admin, admin, count_queries):
    def page_queries() -> int:
        with count_queries() as queries:
            assert as_admin.get(MANAGE).status_code == 200
        return queries.count

    few = page_queries()
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    for n in range(38):
        documents.add_uploaded_document(admin, consultation, f"Załącznik {n}", DocumentKind.OTHER,
                                        uploads.Upload(pdf_bytes(), uploads.PDF, f"z{n}.pdf"))
    db.session.commit()
    assert page_queries() == few == 3  # the user (with the queue count), the consultation, its documents
    html = as_admin.get(MANAGE).get_data(as_text=True)
    assert html.count("<tr id=\"dokument-") == 40
    assert as_admin.get(MANAGE).headers["Cache-Control"] == "no-store"
