"""A file handed to the browser: its type, its name, and whether anything may keep a copy.

Every download of the portal (exports, calendar files, PDFs, a person's data) answers through
`file_response`, so the `Content-Disposition` is written once: a plain ASCII name as it is, any
other name in UTF-8 (RFC 5987/6266) beside an ASCII stand-in for old clients.

A large file is never made in memory whole: `streamed_response` sends it piece by piece as it is
made (a CSV of 50,000 rows), with the same headers as `file_response`.

A streamed file is made after its view has ended (its changes committed, its session closed), in
a request context of its own: the same request (language, signed-in person, `url_for`), a new
database session, and every context variable set in a `contextvars.Context` of its own. Flask's
`stream_with_context` would keep the view's context pushed between pieces instead, where whoever
reads the body (the server, a test client) would see it as its own.
"""
import contextvars
import re
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from flask import Response, current_app, make_response, request

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
    return _described(make_response(content), file_name, inline, private, mimetype)


def streamed_response(chunks: Iterable[bytes], file_name: str | None, *, inline: bool = False,
                      private: bool = False, mimetype: str | None = None) -> Response:
    """`file_response` for a file made while it is sent: `chunks` is read after the headers have
    gone, in a request context of its own (the same language, signed-in person and `url_for`; a
    database session of its own).

    Without a `file_name` (data read in place, as the report's JSON) no `Content-Disposition` is
    sent and `mimetype` says the type."""
    return _described(Response(_InRequestOfItsOwn(chunks)), file_name, inline, private, mimetype)


class _InRequestOfItsOwn(Iterator[bytes]):
    """`chunks`, each piece made inside a request context of its own (see the module's docstring):
    pushed before the first piece, popped (its session removed) after the last, on an error, or
    when the server closes the body early (the person cancelled the download)."""

    def __init__(self, chunks: Iterable[bytes]):
        self._app = current_app._get_current_object()
        self._environ = dict(request.environ)
        self._chunks = iter(chunks)
        self._variables = contextvars.Context()
        self._context = None
        self._ended = False

    def __next__(self) -> bytes:
        return self._variables.run(self._next_piece)

    def close(self) -> None:
        self._variables.run(self._close)

    def _next_piece(self) -> bytes:
        if self._ended:
            raise StopIteration
        if self._context is None:
            self._context = self._app.request_context(self._environ)
            self._context.push()
        try:
            return next(self._chunks)
        except StopIteration:
            self._end(None)
            raise
        except BaseException as error:
            self._end(error)
            raise

    def _close(self) -> None:
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None and self._context is not None:
                close()  # a generator's `finally` runs while its context is still there
        finally:
            self._end(None)

    def _end(self, error: BaseException | None) -> None:
        self._ended = True
        context, self._context = self._context, None
        if context is not None:
            context.pop(error)


def _described(response: Response, file_name: str | None, inline: bool, private: bool,
               mimetype: str | None) -> Response:
    response.headers["Content-Type"] = mimetype or MIMETYPES[file_name.rsplit(".", 1)[-1]]
    if file_name is not None:
        response.headers["Content-Disposition"] = content_disposition(file_name, inline)
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response
