"""Forms of the documents page: upload a file, or add a link. Both sit on one page, so their
fields have names of their own (`title` / `link_title`), and so their ids never clash.
"""
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.consultations.models import DocumentKind
from portal.forms import Form
from portal.staff import uploads

KIND_LABELS = {
    DocumentKind.CURRENT: _l("Dokument obowiązujący"),
    DocumentKind.DRAFT: _l("Projekt poddany konsultacjom"),
    DocumentKind.FINAL: _l("Wersja końcowa"),
    DocumentKind.REPORT: _l("Raport z konsultacji"),
    DocumentKind.MINUTES: _l("Protokół ze spotkania"),
    DocumentKind.OTHER: _l("Inny dokument"),
}
# Minutes are attached to their group or meeting (staff "Materiały ze spotkania"), not added here.
KIND_CHOICES = [(kind.value, label) for kind, label in KIND_LABELS.items() if kind != DocumentKind.MINUTES]
TITLE_MAX = 300  # Document.title
URL_MAX = 1000   # Document.url


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _title_field():
    return StringField(_l("Tytuł dokumentu"), filters=[_strip], validators=[
        DataRequired(_l("Podaj tytuł dokumentu.")), Length(max=TITLE_MAX, message=_l("Najwyżej %(max)d znaków."))])


def _kind_field():
    return SelectField(_l("Rodzaj dokumentu"), choices=KIND_CHOICES, default=DocumentKind.OTHER.value,
                       validators=[DataRequired(_l("Wybierz rodzaj dokumentu."))])


class UploadForm(Form):
    title = _title_field()
    kind = _kind_field()
    file = FileField(_l("Plik (PDF, DOCX albo ODT)"))

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.upload: uploads.Upload | None = None  # the accepted file

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", None):
            raise ValidationError(_l("Wybierz plik z dokumentem."))
        try:
            self.upload = uploads.read_upload(field.data, self.max_bytes)
        except uploads.UploadRefused as refusal:
            raise ValidationError(refusal.message) from None


def http_url(form, field):
    parts = urlsplit(field.data or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in field.data):
        raise ValidationError(_l("Podaj pełny adres zaczynający się od https:// albo http://, "
                                 "np. https://bip.example.org/dokument.pdf."))


class LinkForm(Form):
    link_title = _title_field()
    link_kind = _kind_field()
    url = StringField(_l("Adres dokumentu (link)"), filters=[_strip], validators=[
        DataRequired(_l("Podaj adres dokumentu.")), Length(max=URL_MAX, message=_l("Najwyżej %(max)d znaków.")),
        http_url])
