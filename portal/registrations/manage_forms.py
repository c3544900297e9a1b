"""Staff forms for registrations. One page shows many of them (a few per registration), so
each form gets ids of its own: `<field name>-<registration or meeting id>`.

Field *names* stay plain (`cancel_reason`, `target_group`, ...), so a POST reads the same
whichever row it came from; only the ids (label `for`, hint, error, error-summary link) carry
the row's number. The CSRF field keeps its usual name and is rendered without an id. Forms
of meeting registrations put an "m" before the number (`cancel_reason-m7`): a group's
registration 7 may be on the same page.
"""
from urllib.parse import urlsplit

from flask import request
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

    id_prefix = ""  # before the row's number in field ids

    def __init__(self, *args, row_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_id = row_id
        if row_id is not None:
            for field in self:
                if field.name == "csrf_token":
                    continue
                field.id = f"{field.name}-{self.id_prefix}{row_id}"
                field.label = Label(field.id, field.label.text)


class ConfirmForm(RowForm):
    """Only the CSRF token: the button says it all."""


class CancelForm(RowForm):
    cancel_reason = StringField(_l("Powód anulowania"), filters=[_strip], validators=[
        DataRequired(_l("Podaj powód anulowania — wyślemy go tej osobie i zapiszemy w historii zmian.")),
        Length(max=REASON_MAX, message=_l("Najwyżej %(max)d znaków."))])


class MeetingCancelForm(CancelForm):
    id_prefix = "m"


class MoveForm(RowForm):
    target_group = SelectField(_l("Przenieś do grupy"), coerce=int, validate_choice=True,
                               validators=[DataRequired(_l("Wybierz grupę, do której przenieść zgłoszenie."))])
    move_reason = StringField(_l("Powód przeniesienia"), filters=[_strip], validators=[
        Optional(), Length(max=REASON_MAX, message=_l("Najwyżej %(max)d znaków."))])

    def __init__(self, *args, groups=(), current_group_id: int | None = None, **kwargs):
        """`groups`: (group, free seats) of the consultation; the registration's own is left out."""
        super().__init__(*args, **kwargs)
        self.target_group.choices = [
            (group.id, _l("%(group)s (wolnych miejsc: %(free)s)", group=group.name, free=free))
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


PRESENT, ABSENT = "present", "absent"


class AttendanceForm(RowForm):
    """Attendance at one session: a radio pair per confirmed registration, one button for all.

    The pairs are not WTForms fields (their number follows the data): each is named
    `obecnosc-<registration id>` with the value "present" or "absent"; a pair left empty
    changes nothing. `choices` holds what the page shows: what was sent, else what is stored.
    """

    def __init__(self, *args, registrations=(), **kwargs):
        super().__init__(*args, **kwargs)
        sent = request.form if kwargs.get("formdata", True) is not None and self.is_submitted() else {}
        stored = {True: PRESENT, False: ABSENT}
        self.choices: dict[int, str | None] = {}
        for registration in registrations:
            value = sent.get(self.input_name(registration.id))
            self.choices[registration.id] = value if value in (PRESENT, ABSENT) else stored.get(registration.attended)

    @staticmethod
    def input_name(registration_id: int) -> str:
        return f"obecnosc-{registration_id}"

    def marks(self) -> dict[int, bool]:
        """Registration id -> present, for every pair with a choice."""
        return {registration_id: value == PRESENT for registration_id, value in self.choices.items() if value}


class GroupAttendanceForm(AttendanceForm):
    id_prefix = "g"


class MeetingAttendanceForm(AttendanceForm):
    id_prefix = "m"
