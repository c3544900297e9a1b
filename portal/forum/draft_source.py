"""The file a draft was published from: kept from the preview to the publication, then offered for download.

A DOCX or ODT chosen in the draft form is turned into Markdown at once (portal.forum.importing)
and the browser does not send the file again: "Podgląd" shows the text, "Opublikuj" posts the
text. So the file itself waits in the upload folder's `pending/` under a random name, and the
form carries a signed token naming it together with a digest of the text it gave (`keep`).
At publication `take` gives the file back only while the text published is still that text: an
office that corrects the text in the form after the import publishes something the file does
not say, and the file is not offered as the draft.

The file becomes one of the consultation's documents ("Projekt dokumentu (wersja edytowalna)",
kind DRAFT, `draft_source`), listed on the announcement and linked from the whole draft
(`settle`). There is at most one: the next imported file replaces it, and a publication of a
text that differs from it removes it (the audit log keeps what it was). A pending file nobody
published is swept after MAX_AGE, when the next one is kept.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from portal import clock
from portal.accounts.tokens import ClockSigner
from portal.consultations.models import Consultation, Document, DocumentKind
from portal.extensions import db
from portal.staff import documents, uploads

MAX_AGE_SECONDS = 24 * 60 * 60  # a preview left open overnight can still be published
_SALT = "wspolnie-draft-source"
_TYPES = {file_type.extension: file_type for file_type in (uploads.DOCX, uploads.ODT)}


@dataclass(frozen=True)
class Carried:
    """What the form's token says at publication."""

    upload: uploads.Upload | None  # the file, when the text published is still the text it gave
    edited_name: str | None = None  # the file's name when the text was changed after the import


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT, signer=ClockSigner)


def _digest(text: str) -> str:
    """The text as the form posts it back: a browser sends CRLF and may drop a final newline."""
    return hashlib.sha256(text.replace("\r\n", "\n").strip().encode()).hexdigest()


def _pending_folder() -> Path:
    return uploads.folder() / "pending"


def keep(upload: uploads.Upload, text: str) -> str:
    """Put the imported file aside until publication; the token for the form's hidden field."""
    folder = _pending_folder()
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    name = f"{secrets.token_hex(16)}.{upload.file_type.extension}"
    with open(folder / name, "xb") as file:
        file.write(upload.content)
    kept_at = clock.now_utc().timestamp()
    os.utime(folder / name, (kept_at, kept_at))  # the sweep reads the portal's clock, as everything else
    return _serializer().dumps({"file": name, "name": upload.original_name, "text": _digest(text)})


def take(token: str | None, text: str) -> Carried:
    """The file the token names, if the text is still the one it gave (an unknown token is no file)."""
    if not token:
        return Carried(None)
    try:
        carried = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # also an expired token (SignatureExpired)
        return Carried(None)
    name = str(carried.get("file", ""))
    if not uploads.STORED_NAME.fullmatch(name) or name.rsplit(".", 1)[1] not in _TYPES:
        return Carried(None)
    if carried.get("text") != _digest(text):
        return Carried(None, edited_name=str(carried.get("name", "")))
    try:
        content = (_pending_folder() / name).read_bytes()
    except OSError:  # swept, or another server's disk
        return Carried(None)
    file_type = uploads.sniff(content)
    if file_type not in _TYPES.values():
        return Carried(None)
    return Carried(uploads.Upload(content, file_type, str(carried.get("name", "")) or name))


def source_of(consultation_id: int) -> Document | None:
    """The consultation's document that is the file of its published draft (one query)."""
    return db.session.scalar(select(Document).where(Document.consultation_id == consultation_id,
                                                    Document.draft_source.is_(True)).limit(1))


def settle(actor, consultation: Consultation, upload: uploads.Upload | None, text_unchanged: bool) -> list[Document]:
    """After a publication: the new file becomes the draft's file, or the old one goes when the text
    changed without a file. Returns the documents removed (audited, their files deleted on commit)."""
    if upload is None and text_unchanged:
        return []
    removed = list(db.session.scalars(select(Document).where(Document.consultation_id == consultation.id,
                                                             Document.draft_source.is_(True))))
    for document in removed:
        documents.delete_document(actor, document)
    if upload is not None:
        with force_locale(current_app.config["CONTENT_LANGUAGE"]):  # the office's document, in its language
            title = _("Projekt dokumentu (wersja edytowalna)")
        documents.add_uploaded_document(actor, consultation, title, DocumentKind.DRAFT, upload, draft_source=True)
    return removed


def _sweep(folder: Path) -> None:
    """Remove pending files older than MAX_AGE_SECONDS (nobody published them)."""
    oldest = clock.now_utc().timestamp() - MAX_AGE_SECONDS
    for path in folder.glob("*.*"):
        try:
            if uploads.STORED_NAME.fullmatch(path.name) and path.stat().st_mtime < oldest:
                path.unlink(missing_ok=True)
        except OSError:
            continue
