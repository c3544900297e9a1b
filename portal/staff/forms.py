"""Back-office forms for a consultation's announcement and its timeline.

Fields check what can be seen in the value itself (format, length, a real time zone); rules
that need the database or the other phases (a free address, one comment window) are the
services' and come back as `services.Refusal`, shown next to the field they name.
"""
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from portal import clock
from portal.bad_input import check_day
from portal.consultations.models import PhaseKind
from portal.forms import Form
from portal.staff import services

PHASE_KIND_LABELS = {
    PhaseKind.ANNOUNCEMENT: _l("Ogłoszenie konsultacji"),
    PhaseKind.GROUP_SIGNUP: _l("Zapisy do grup roboczych"),
    PhaseKind.MEETINGS: _l("Spotkania grup roboczych"),
    PhaseKind.DRAFTING: _l("Prace nad projektem"),
    PhaseKind.PRESENTATION: _l("Przedstawienie wyników"),
    PhaseKind.E_CONSULTATION: _l("Konsultacje elektroniczne (zbieranie uwag na forum)"),
    PhaseKind.ANALYSIS: _l("Analiza uwag"),
    PhaseKind.COUNCIL: _l("Uchwała rady"),
    PhaseKind.OTHER: _l("Inny etap"),
}

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send seconds when a step asks for them


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _valid_slug(form, field):
    if field.data and not services.is_valid_slug(field.data):
        raise ValidationError(_l("Adres może zawierać tylko małe litery a–z bez polskich znaków, cyfry i łączniki "
                                 "(np. program-wspolpracy-2021)."))


def _known_timezone(form, field):
    if field.data and not services.is_known_timezone(field.data):
        raise ValidationError(_l("Nie znamy takiej strefy czasowej. Podaj nazwę z bazy IANA, np. Europe/Warsaw."))


class ConsultationForm(Form):
    title = StringField(_l("Tytuł"), filters=[_strip],
                        validators=[DataRequired(_l("Podaj tytuł konsultacji.")), Length(max=300)])
    slug = StringField(_l("Adres strony"), filters=[_strip], validators=[Optional(), _valid_slug])
    lead = TextAreaField(_l("Wstęp"), filters=[_strip], validators=[Length(max=2000)])
    body = TextAreaField(_l("Treść ogłoszenia"), filters=[_strip], validators=[Length(max=100_000)])
    contact_name = StringField(_l("Osoba do kontaktu"), filters=[_strip], validators=[Length(max=200)])
    contact_role = StringField(_l("Stanowisko osoby do kontaktu"), filters=[_strip], validators=[Length(max=300)])
    contact_email = EmailField(_l("Adres e-mail do kontaktu"), filters=[_strip], validators=[
        Optional(), Email(_l("Podaj adres e-mail w formacie nazwa@domena.pl."), check_deliverability=False),
        Length(max=254)])
    contact_phone = StringField(_l("Telefon do kontaktu"), filters=[_strip], validators=[Length(max=50)])
    timezone = StringField(_l("Strefa czasowa"), default=clock.DEFAULT_ZONE, filters=[_strip], validators=[
        DataRequired(_l("Podaj strefę czasową, np. Europe/Warsaw.")), _known_timezone])

    def values(self) -> dict:
        return {name: getattr(self, name).data or "" for name in services.CONSULTATION_FIELDS}


class PhaseForm(Form):
    kind = SelectField(_l("Rodzaj etapu"), choices=[SelectChoice(kind.value, label) for kind, label in PHASE_KIND_LABELS.items()],
                       default=PhaseKind.OTHER.value)
    title = StringField(_l("Nazwa etapu"), filters=[_strip],
                        validators=[DataRequired(_l("Podaj nazwę etapu.")), Length(max=300)])
    description = TextAreaField(_l("Opis"), filters=[_strip], validators=[Length(max=2000)])
    start_day = DateField(_l("Data rozpoczęcia"),
                          validators=[InputRequired(_l("Podaj datę rozpoczęcia.")), check_day],
                          invalid_value_message=_l("Podaj datę w formacie RRRR-MM-DD, np. 2020-09-17."))
    start_time = TimeField(_l("Godzina rozpoczęcia"), format=TIME_FORMATS, validators=[Optional()],
                           invalid_value_message=_l("Podaj godzinę w formacie GG:MM, np. 16:30."))
    end_day = DateField(_l("Data zakończenia"),
                        validators=[InputRequired(_l("Podaj datę zakończenia.")), check_day],
                        invalid_value_message=_l("Podaj datę w formacie RRRR-MM-DD, np. 2020-09-30."))
    end_time = TimeField(_l("Godzina zakończenia"), format=TIME_FORMATS, validators=[Optional()],
                         invalid_value_message=_l("Podaj godzinę w formacie GG:MM, np. 18:00."))

    def entered(self) -> services.PhaseInput:
        return services.PhaseInput(
            kind=PhaseKind(self.kind.data), title=self.title.data, description=self.description.data or "",
            start_day=self.start_day.data, start_time=self.start_time.data,
            end_day=self.end_day.data, end_time=self.end_time.data)


def show_refusal(form: Form, refusal: services.Refusal) -> None:
    """Put a rule's refusal next to the field it names."""
    getattr(form, refusal.field).errors = [*getattr(form, refusal.field).errors, refusal.message]
