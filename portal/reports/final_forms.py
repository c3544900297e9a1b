"""Forms of the final document's back office: the upload and the links of a change to comments."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import ValidationError

from portal.forms import Form
from portal.forum.manage import UPLOAD_EXTENSIONS, UPLOAD_EXTENSIONS_MESSAGE, DraftForm


class FinalDocumentForm(DraftForm):
    """Pasted Markdown or a file (.md/.txt, DOCX, ODT), read exactly as the draft's upload."""

    markdown = TextAreaField(_l("Treść wersji końcowej w formacie Markdown"))
    upload = FileField(_l("Plik z wersją końcową"), validators=[
        FileAllowed(UPLOAD_EXTENSIONS, UPLOAD_EXTENSIONS_MESSAGE)])


class ChangeLinksForm(Form):
    """The report's comments that caused the change in one section (the choices are set by the view)."""

    comments = SelectMultipleField(_l("Uwagi, w odpowiedzi na które wprowadzono zmianę"), coerce=int,
                                   validate_choice=False)  # checked below, with a message in Polish

    def validate_comments(self, field):
        allowed = {value for value, _label in field.choices}
        if any(value not in allowed for value in field.data or []):
            raise ValidationError(_l("Wybierz uwagi z listy uwag w raporcie."))
