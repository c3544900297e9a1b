"""Forms for working groups and online meetings. Times are typed as a local date and a local time
in the consultation's zone (Europe/Warsaw) and handed to the services as UTC moments.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    Field,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from portal import clock
from portal.bad_input import check_day
from portal.forms import Form
from portal.registrations.models import REQUIRABLE_FIELDS, Meeting
from portal.registrations.manage_forms import JOIN_URL_MAX, https_url
from portal.staff.services import Refusal, local_moment

CAPACITY_MIN, CAPACITY_MAX = 1, 200
CAPACITY_MESSAGE = _l("Podaj liczbę miejsc od %(min)s do %(max)s.", min=CAPACITY_MIN, max=CAPACITY_MAX)
TEXT_MAX = 5000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _length(maximum: int):
    return Length(max=maximum, message=_l("Najwyżej %(max)d znaków."))


@dataclass
class GroupDetails:
    name: str
    description: str
    capacity: int
    meeting_starts_at: datetime | None
    moderator_office: str
    moderator_ngo: str
    meeting_ends_at: datetime | None = None
    join_url: str = ""


@dataclass
class MeetingDetails:
    title: str
    topic: str
    moderators: str
    starts_at: datetime
    ends_at: datetime | None
    registration_deadline: datetime
    required_fields: str  # names from REQUIRABLE_FIELDS, comma-separated


# The meeting form's optional applicant fields, as staff tick them (the sign-up form's wording).
REQUIRABLE_LABELS = {
    "phone": _l("Telefon"),
    "organisation_address": _l("Adres siedziby organizacji"),
    "organisation_contact": _l("Dane kontaktowe organizacji"),
    "prior_activity": _l("Dotychczasowe działania w organizacjach pozarządowych"),
}


def default_required_fields() -> list[str]:
    """What a new meeting requires: the model's default."""
    return Meeting.__table__.c.required_fields.default.arg.split(",")


def _optional_https(form, field):
    if field.data:
        https_url(form, field)


class _Readable:
    """Required (or optional) value with our own message, also when what was sent cannot be read
    (WTForms would say "Not a valid date value." in English)."""

    def __init__(self, message, required: bool = True):
        self.message, self.required = message, required

    def __call__(self, form, field):
        if field.data is not None:
            return
        field.errors[:] = []
        typed = any(str(value).strip() for value in field.raw_data or [])
        if typed or self.required:
            raise StopValidation(self.message)
        raise StopValidation()  # optional and left empty


def _day_field(label, required: bool = True):
    return DateField(label, validators=[_Readable(_l("Podaj dzień w postaci RRRR-MM-DD, np. 2020-09-03."),
                                                  required), check_day])


def _time_field(label, required: bool = True):
    return TimeField(label, validators=[_Readable(_l("Podaj godzinę w postaci GG:MM, np. 16:30."), required)])


def _moment(field: Field, day: date, at: time, tz: str) -> datetime | None:
    """`local_moment` for the time typed in `field`; a time the zone skips is an error next to it."""
    try:
        return local_moment(day, at, tz, field.name)
    except Refusal as refusal:
        field.errors.append(refusal.message)
        return None


def local_parts(moment: datetime | None, tz: str) -> tuple[date | None, time | None]:
    if moment is None:
        return None, None
    local = clock.to_local(moment, tz)
    return local.date(), local.time().replace(second=0, microsecond=0)


class GroupForm(Form):
    name = StringField(_l("Nazwa grupy"), filters=[_strip], validators=[
        DataRequired(_l("Podaj nazwę grupy.")), _length(300)])
    description = TextAreaField(_l("Opis"), filters=[_strip], validators=[Optional(), _length(TEXT_MAX)])
    capacity = IntegerField(_l("Liczba miejsc"), validators=[
        _Readable(CAPACITY_MESSAGE), NumberRange(CAPACITY_MIN, CAPACITY_MAX, CAPACITY_MESSAGE)])
    meeting_day = _day_field(_l("Dzień spotkania grupy"), required=False)
    meeting_time = _time_field(_l("Godzina spotkania grupy"), required=False)
    moderator_office = StringField(_l("Moderator z urzędu"), filters=[_strip], validators=[Optional(), _length(200)])
    moderator_ngo = StringField(_l("Moderator z organizacji pozarządowych"), filters=[_strip],
                                validators=[Optional(), _length(200)])
    meeting_end_time = _time_field(_l("Godzina zakończenia spotkania grupy"), required=False)
    join_url = StringField(_l("Link do spotkania online"), filters=[_strip], validators=[
        _length(JOIN_URL_MAX), _optional_https])

    def __init__(self, *args, tz: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz

    @classmethod
    def for_group(cls, group, tz: str) -> GroupForm:
        day, at = local_parts(group.meeting_starts_at, tz)
        _end_day, end = local_parts(group.meeting_ends_at, tz)
        return cls(formdata=None, tz=tz, name=group.name, description=group.description, capacity=group.capacity,
                   meeting_day=day, meeting_time=at, meeting_end_time=end,
                   moderator_office=group.moderator_office, moderator_ngo=group.moderator_ngo,
                   join_url=group.join_url)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        day, at, end = self.meeting_day, self.meeting_time, self.meeting_end_time
        if day.data and not at.data and not at.errors:
            at.errors.append(_l("Podaj też godzinę spotkania."))
        if (at.data or end.data) and not day.data and not day.errors:
            day.errors.append(_l("Podaj też dzień spotkania."))
        if end.data and not at.data and day.data and not at.errors:
            at.errors.append(_l("Podaj też godzinę rozpoczęcia spotkania."))
        starts = _moment(at, day.data, at.data, self.tz) if day.data and at.data else None
        ends = _moment(end, day.data, end.data, self.tz) if day.data and end.data else None
        if starts and ends and ends <= starts:
            end.errors.append(_l("Spotkanie musi się skończyć po rozpoczęciu (tego samego dnia)."))
        return valid and not day.errors and not at.errors and not end.errors

    def details(self) -> GroupDetails:
        day = self.meeting_day.data
        meeting = local_moment(day, self.meeting_time.data, self.tz, "meeting_time") if day else None
        ends = (local_moment(day, self.meeting_end_time.data, self.tz, "meeting_end_time")
                if day and self.meeting_end_time.data else None)
        return GroupDetails(name=self.name.data, description=self.description.data or "",
                            capacity=self.capacity.data, meeting_starts_at=meeting,
                            moderator_office=self.moderator_office.data or "",
                            moderator_ngo=self.moderator_ngo.data or "", meeting_ends_at=ends,
                            join_url=self.join_url.data or "")


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; none ticked is an answer too (an empty list)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MeetingForm(Form):
    title = StringField(_l("Tytuł spotkania"), filters=[_strip], validators=[
        DataRequired(_l("Podaj tytuł spotkania.")), _length(300)])
    topic = TextAreaField(_l("Temat"), filters=[_strip], validators=[Optional(), _length(TEXT_MAX)])
    moderators = StringField(_l("Moderatorzy"), filters=[_strip], validators=[Optional(), _length(500)])
    start_day = _day_field(_l("Dzień spotkania"))
    start_time = _time_field(_l("Godzina rozpoczęcia"))
    end_time = _time_field(_l("Godzina zakończenia"), required=False)
    deadline_day = _day_field(_l("Zgłoszenia przyjmujemy do dnia"))
    deadline_time = _time_field(_l("do godziny"))
    required_fields = CheckboxesField(_l("Wymagane pola formularza"), default=default_required_fields,
                                      choices=[SelectChoice(name, label) for name, label in REQUIRABLE_LABELS.items()],
                                      validate_choice=True)

    def __init__(self, *args, tz: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz

    @classmethod
    def for_meeting(cls, meeting, tz: str) -> MeetingForm:
        start_day, start_time = local_parts(meeting.starts_at, tz)
        _end_day, end_time = local_parts(meeting.ends_at, tz)
        deadline_day, deadline_time = local_parts(meeting.registration_deadline, tz)
        return cls(formdata=None, tz=tz, title=meeting.title, topic=meeting.topic, moderators=meeting.moderators,
                   start_day=start_day, start_time=start_time, end_time=end_time,
                   deadline_day=deadline_day, deadline_time=deadline_time,
                   required_fields=[name for name in REQUIRABLE_FIELDS if meeting.requires(name)])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        day = self.start_day.data
        starts = _moment(self.start_time, day, self.start_time.data, self.tz)
        ends = _moment(self.end_time, day, self.end_time.data, self.tz) if self.end_time.data else None
        deadline = _moment(self.deadline_time, self.deadline_day.data, self.deadline_time.data, self.tz)
        if starts and ends and ends <= starts:
            self.end_time.errors.append(_l("Spotkanie musi się skończyć po rozpoczęciu (tego samego dnia)."))
        if starts and deadline and deadline >= starts:
            self.deadline_time.errors.append(_l("Zgłoszenia muszą się kończyć przed rozpoczęciem spotkania."))
        return not (self.start_time.errors or self.end_time.errors or self.deadline_time.errors)

    def details(self) -> MeetingDetails:
        day = self.start_day.data
        return MeetingDetails(
            title=self.title.data, topic=self.topic.data or "", moderators=self.moderators.data or "",
            starts_at=local_moment(day, self.start_time.data, self.tz, "start_time"),
            ends_at=local_moment(day, self.end_time.data, self.tz, "end_time") if self.end_time.data else None,
            registration_deadline=local_moment(self.deadline_day.data, self.deadline_time.data, self.tz,
                                               "deadline_time"),
            required_fields=",".join(name for name in REQUIRABLE_FIELDS if name in (self.required_fields.data or [])))
