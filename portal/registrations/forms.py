"""Sign-up forms for working groups and online meetings (no account needed)."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.accounts.forms import email_field
from portal.forms import Form
from portal.text_rules import ShownAsTyped

PRIOR_ACTIVITY_MAX = 2000


class Honeypot:
    """A field people never see; scripts fill it in."""

    def __call__(self, form, field):
        if field.data:
            raise ValidationError("honeypot")


class ApplicantFields(Form):
    full_name = StringField(_l("Imię i nazwisko"), validators=[
        DataRequired(_l("Podaj imię i nazwisko.")), Length(max=200), ShownAsTyped()])
    email = email_field()
    phone = TelField(_l("Telefon"), validators=[Optional(), Length(max=50)])
    organisation_name = StringField(_l("Nazwa organizacji"), validators=[
        DataRequired(_l("Podaj nazwę organizacji, którą reprezentujesz.")), Length(max=300),
        ShownAsTyped()])
    recording_consent = BooleanField(
        _l("Wiem, że spotkanie będzie nagrywane na potrzeby spisania zgłoszonych uwag i propozycji"),
        validators=[DataRequired(_l("Udział wymaga przyjęcia do wiadomości, że spotkanie jest nagrywane."))])
    privacy_notice = BooleanField(
        _l("Przyjmuję do wiadomości informację o przetwarzaniu danych osobowych"),
        validators=[DataRequired(_l("Potwierdź, że znasz zasady przetwarzania danych."))])
    # Named like a real field so that scripts fill it in; hidden from people and assistive tech.
    website = StringField(_l("Strona internetowa"), validators=[Honeypot()])

    def is_spam(self) -> bool:
        return bool(self.website.data)


class GroupSignupForm(ApplicantFields):
    group = RadioField(_l("Grupa robocza"), coerce=int, validate_choice=True,
                       validators=[DataRequired(_l("Wybierz jedną grupę roboczą."))])
    organisation_address = StringField(_l("Adres siedziby organizacji"), validators=[
        DataRequired(_l("Podaj adres siedziby organizacji.")), Length(max=500)])
    organisation_contact = StringField(_l("Dane kontaktowe organizacji"), validators=[
        DataRequired(_l("Podaj telefon lub e-mail organizacji.")), Length(max=300)])
    prior_activity = TextAreaField(_l("Dotychczasowe działania w organizacjach pozarządowych"), validators=[
        DataRequired(_l("Napisz krótko o swoich dotychczasowych działaniach.")),
        Length(max=PRIOR_ACTIVITY_MAX, message=_l("Najwyżej %(max)d znaków."))])


class MeetingSignupForm(ApplicantFields):
    pass


def prefill_from(user) -> dict:
    """A signed-in participant's own details, so that the sign-up form need not be typed again.

    Staff get nothing: they sign up other people, and their own name would be the wrong one.
    Consents are never here: they are given anew each time. The organisation is loaded with
    the user (a joined relationship), so this adds no query.
    """
    if not user.is_authenticated or user.is_staff:
        return {}
    data = {"full_name": user.display_name, "email": user.email}
    if user.organisation is not None:
        data["organisation_name"] = user.organisation.name
    return data


class TokenForm(Form):
    """The private link's token travels in the POST body, not in a logged URL."""

    t = HiddenField()
