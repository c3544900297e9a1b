"""Staff forms for registrations. One page shows many of them (a few per registration), so
each form gets ids of its own: `<field name>-<registration or meeting id>`.

Field *names* stay plain (`cancel_reason`, `target_group`, ...), so a POST reads the same
whichever row it came from; only the ids (label `for`, hint, error, error-summary link) carry
the row's number. The CSRF field keeps its usual name and is rendered without an id.
"""
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields import Label
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.forms import Form

REASON_MAX = 1000  # GroupRegistration.end_reason is String(1000)
JOIN_URL_MAX = 1000  # Meeting.join_url is String(1000)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RowForm(Form):
    """A form shown once per row: `row_id` makes its field ids unique on the page."""

    def __init__(self, *args, row_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_id = row_id
        if row_id is not None:
            for field in self:
                if field.name == "csrf_token":
                    continue
                field.id = f"{field.name}-{row_id}"
                field.label = Label(field.id, field.label.text)


class ConfirmForm(RowForm):
    """Only the CSRF token: the button says it all."""


class CancelForm(RowForm):
    cancel_reason = StringField(_l("Powód anulowania"), filters=[_strip], validators=[
        DataRequired(_l("Podaj powód anulowania — wyślemy go tej osobie i zapiszemy w historii zmian.")),
        Length(max=REASON_MAX, message=_l("Najwyżej %(max)d znaków."))])


class MoveForm(RowForm):
    target_group = SelectField(_l("Przenieś do grupy"), coerce=int, validate_choice=True,
                               validators=[DataRequired(_l("Wybierz grupę, do której przenieść zgłoszenie."))])
    move_reason = StringField(_l("Powód przeniesienia"), filters=[_strip], validators=[
        Optional(), Length(max=REASON_MAX, message=_l("Najwyżej %(max)d znaków."))])

    def __init__(self, *args, groups=(), current_group_id: int | None = None, **kwargs):
        """`groups`: (group, free seats) of the consultation; the registration's own is left out."""
        super().__init__(*args, **kwargs)
        self.target_group.choices = [
            (group.id, _l("%(group)s (wolnych miejsc: %(free)s)", group=group.name, free=max(free, 0)))
            for group, free in groups if group.id != current_group_id]


def https_url(form, field):
    parts = urlsplit(field.data or "")
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in field.data):
        raise ValidationError(_l("Podaj pełny adres zaczynający się od https://, "
                                 "np. https://spotkanie.example.org/abc."))


class MeetingLinkForm(RowForm):
    join_url = StringField(_l("Link do spotkania"), filters=[_strip], validators=[
        DataRequired(_l("Podaj link do spotkania.")),
        Length(max=JOIN_URL_MAX, message=_l("Najwyżej %(max)d znaków.")), https_url])
