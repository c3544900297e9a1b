"""Uploaded documents: what a file really is (decided by its bytes, never its name) and where it lives.

Only PDF, DOCX and ODT are accepted: a PDF starts with `%PDF-`; a DOCX is a ZIP holding
`[Content_Types].xml` and `word/document.xml` (and no macros); an ODT is a ZIP whose `mimetype` entry says
`application/vnd.oasis.opendocument.text`. A file is stored in the upload folder under a random
name of ours, so no uploaded name ever reaches the file system; the uploader's name is kept only
as the download's filename (with the extension of the type we recognised).

A stored file follows its row's transaction: a file written by a request that rolls back is
removed, and a deleted document's file is removed only once the deletion is committed.
"""
from __future__ import annotations

import io
import re
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import formatting
from portal.errors import Refusal
from portal.extensions import db

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    label: str         # as people know it: "PDF"
    extension: str
    content_type: str


PDF = FileType("PDF", "pdf", "application/pdf")
DOCX = FileType("DOCX", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
ODT = FileType("ODT", "odt", "application/vnd.oasis.opendocument.text")
FILE_TYPES = {file_type.content_type: file_type for file_type in (PDF, DOCX, ODT)}

STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:pdf|docx|odt)")
# Errors a damaged or hostile ZIP may raise while we look inside it.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
               OSError, ValueError, KeyError)


def sniff(content: bytes) -> FileType | None:
    """The type the bytes really are, or None when they are not a PDF, DOCX or ODT."""
    if content.startswith(b"%PDF-"):
        return PDF
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if {"[Content_Types].xml", "word/document.xml"} <= names:
                # A macro-enabled document (.docm) renamed .docx is not passed on to the public.
                return None if "word/vbaProject.bin" in names else DOCX
            if "mimetype" in names:
                with archive.open("mimetype") as entry:  # a few bytes only, however it is packed
                    if entry.read(len(ODT.content_type) + 1) == ODT.content_type.encode():
                        return ODT
    except _ZIP_ERRORS:
        return None
    return None


@dataclass(frozen=True)
class Upload:
    """An accepted file, not yet stored."""

    content: bytes
    file_type: FileType
    original_name: str


class UploadRefused(Refusal):
    """The file is refused (type, size); `message` says why."""


def megabytes(size: int) -> str:
    """"20", "1,5": a size in MB as people read it."""
    return formatting.number(round(size / MEGABYTE, 1))


def read_upload(storage, max_bytes: int) -> Upload:
    """Read an uploaded file (werkzeug FileStorage) and accept it, or say why not (UploadRefused)."""
    content = storage.stream.read(max_bytes + 1)
    if not content:
        raise UploadRefused(_("Wybrany plik jest pusty. Wybierz plik z dokumentem."))
    if len(content) > max_bytes:
        raise UploadRefused(_("Plik może mieć najwyżej %(limit)s MB.", limit=megabytes(max_bytes)))
    file_type = sniff(content)
    if file_type is None:
        raise UploadRefused(_("Ten plik nie jest dokumentem PDF, DOCX ani ODT (sprawdzamy zawartość pliku, "
                              "nie jego nazwę). Zapisz dokument w jednym z tych formatów i wybierz go ponownie."))
    return Upload(content, file_type, download_name(storage.filename, file_type))


def download_name(uploaded_name: str | None, file_type: FileType) -> str:
    """The uploader's file name without any folder part, ending in the extension of its real type."""
    name = re.split(r"[\\/]", uploaded_name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:200] or _("dokument")
    return f"{stem}.{file_type.extension}"


# --- storage ----------------------------------------------------------------------------------

def folder() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def store(upload: Upload) -> str:
    """Write the file under a new random name; returns that name (removed again on rollback)."""
    directory = folder()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{upload.file_type.extension}"
    path = directory / name
    with open(path, "xb") as file:  # "x": never over another file
        file.write(upload.content)
    _pending(db.session(), "written").append(path)
    return name


def remove_after_commit(name: str) -> None:
    """The file goes when the transaction deleting its document commits (and stays if it rolls back)."""
    if STORED_NAME.fullmatch(name):
        _pending(db.session(), "removed").append(folder() / name)


def _pending(session: Session, kind: str) -> list[Path]:
    return session.info.setdefault(f"uploads_{kind}", [])


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop("uploads_written", None)
    _unlink(session.info.pop("uploads_removed", []))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("uploads_removed", None)
    _unlink(session.info.pop("uploads_written", []))
