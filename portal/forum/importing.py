"""A draft written in Word or LibreOffice, as the draft's Markdown; and a published draft as Markdown again.

`to_markdown(upload)` turns an accepted DOCX or ODT (`portal.staff.uploads.Upload`, its type
decided by its bytes) into the Markdown `portal.forum.drafts.parse` splits: DOCX through mammoth
(its HTML), ODT by walking odfdo's body; both end up as the same few blocks, written by one writer:

- a heading of level 1 or 2 (Word's "Nagłówek 1/2", LibreOffice's outline level 1/2) is "## ", a
  section; deeper ones "### " and more, which the parser keeps with the paragraph they introduce;
- a paragraph is a paragraph, its bold and italics as ** and *; a number or bullet typed at its
  start is escaped ("1\\." ), so it stays a paragraph and never turns into a list;
- a bulleted list is a Markdown list (nested lists indented under their item); a numbered list
  too when a paragraph ending with a colon announces it ("… mowa o:"), otherwise its items are
  the section's numbered paragraphs (ust. 1, 2, …: our numbering replaces Word's);
- a table is a Markdown table, its first row the header; a cell's paragraphs are joined by spaces.

Images, footnote bodies, comments and tracked deletions are left out. A damaged file raises
ImportRefused with a message for the upload field.

`draft_blocks.sections_markdown` writes published sections back ("## Rozdział 1. Title", then the paragraphs'
Markdown separated by blank lines), so that parsing it gives the same sections again.
"""
from __future__ import annotations

import io
import zipfile

from flask_babel import lazy_gettext as _l

from portal.errors import Refusal
from portal.forum import import_docx, import_odt
from portal.forum.draft_blocks import write
from portal.staff import uploads

# Unpacked, the XML of a document this size (1 MB packed) is well under this; a ZIP claiming more is refused.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
# What a damaged or hostile ZIP may raise while we look inside it (as portal.staff.uploads).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
               OSError, ValueError, KeyError)


class ImportRefused(Refusal):
    """The document cannot be read; `message` says why (for the upload field)."""


def to_markdown(upload: uploads.Upload) -> str:
    """The draft's Markdown of a DOCX or ODT (ImportRefused when it cannot be read)."""
    _check_archive(upload.content)
    try:
        if upload.file_type == uploads.DOCX:
            blocks = import_docx.blocks(upload.content)
        elif upload.file_type == uploads.ODT:
            blocks = import_odt.blocks(upload.content)
        else:
            raise ImportRefused(_l("Wybierz plik DOCX, ODT, MD albo TXT."))
    except ImportRefused:
        raise
    except Exception:  # any parser's error on a damaged file: the message says what to do
        raise ImportRefused(damaged_message()) from None
    return write(blocks)


def damaged_message():
    """A DOCX or ODT that cannot be read (damaged, or another file under that name)."""
    return _l("Nie udało się odczytać tego dokumentu: plik jest uszkodzony albo nie jest dokumentem DOCX ani ODT. "
              "Otwórz go w edytorze, zapisz ponownie i wybierz jeszcze raz.")


def _check_archive(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ImportRefused(damaged_message())
    except _ZIP_ERRORS:
        raise ImportRefused(damaged_message()) from None
