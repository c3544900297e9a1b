"""A file handed to the browser: its type, its name, and whether anything may keep a copy.

Every download of the portal (exports, calendar files, PDFs, a person's data) answers through
`file_response`, so the `Content-Disposition` is written once: a plain ASCII name as it is, any
other name in UTF-8 (RFC 5987/6266) beside an ASCII stand-in for old clients.
"""
import re
from urllib.parse import quote

from flask import Response, make_response

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "json": "application/json",
    "ics": "text/calendar; charset=utf-8",
}

_ASCII_LETTERS = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ–—", "acelnoszzACELNOSZZ--")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._ -]+")


def content_disposition(file_name: str, inline: bool = False) -> str:
    """`attachment; filename="…"` (or `inline`), with `filename*=UTF-8''…` when the name needs it."""
    kind = "inline" if inline else "attachment"
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", file_name).strip()
    if _PLAIN_NAME.fullmatch(name):
        return f'{kind}; filename="{name}"'
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]+", "-", name.translate(_ASCII_LETTERS)).strip("- ")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(content: bytes | str, file_name: str, *, inline: bool = False, private: bool = False,
                  mimetype: str | None = None) -> Response:
    """The file as a response; its type from its extension unless given. `private`: personal data
    or a staff preview, which no cache may keep."""
    response = make_response(content)
    response.headers["Content-Type"] = mimetype or MIMETYPES[file_name.rsplit(".", 1)[-1]]
    response.headers["Content-Disposition"] = content_disposition(file_name, inline)
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response
