"""Sign-up forms for working groups and online meetings (no account needed)."""
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TelField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError

from portal.accounts.forms import email_field
from portal.forms import Form
from portal.registrations import needs
from portal.registrations.models import REQUIRABLE_FIELDS
from portal.text_rules import ShownAsTyped

PRIOR_ACTIVITY_MAX = 2000
ACCESSIBILITY_DETAILS_MAX = 1000



class Honeypot:
    """A field people never see; scripts fill it in."""

    def __call__(self, form, field):
        if field.data:
            raise ValidationError("honeypot")


class RequiredWhenAsked:
    """Required when the form asks for the field (`form.requires(name)`); otherwise optional:
    left empty, its other validators are skipped."""

    def __init__(self, message):
        self.message = message
        self.field_flags = {}

    def __call__(self, form, field):
        if (field.data or "").strip():
            return
        field.errors[:] = []
        raise StopValidation(self.message if form.requires(field.name) else None)


class ApplicantFields(Form):
    """What every sign-up asks: the person, their organisation, recording, accessibility needs.

    Which of REQUIRABLE_FIELDS (registrations.models) must be filled in is `required_fields`:
    fixed for working groups, chosen per meeting for meetings.
    """

    required_fields: frozenset[str] = frozenset()

    full_name = StringField(_l("Imię i nazwisko"), validators=[
        DataRequired(_l("Podaj imię i nazwisko.")), Length(max=200), ShownAsTyped()])
    email = email_field()
    phone = TelField(_l("Telefon"), validators=[
        RequiredWhenAsked(_l("Podaj numer telefonu.")), Length(max=50)])
    organisation_name = StringField(_l("Nazwa organizacji"), validators=[
        DataRequired(_l("Podaj nazwę organizacji, którą reprezentujesz.")), Length(max=300),
        ShownAsTyped()])
    organisation_address = StringField(_l("Adres siedziby organizacji"), validators=[
        RequiredWhenAsked(_l("Podaj adres siedziby organizacji.")), Length(max=500)])
    organisation_contact = StringField(_l("Dane kontaktowe organizacji"), validators=[
        RequiredWhenAsked(_l("Podaj telefon lub e-mail organizacji.")), Length(max=300)])
    prior_activity = TextAreaField(_l("Dotychczasowe działania w organizacjach pozarządowych"), validators=[
        RequiredWhenAsked(_l("Napisz krótko o swoich dotychczasowych działaniach.")),
        Length(max=PRIOR_ACTIVITY_MAX, message=_l("Najwyżej %(max)d znaków."))])
    # Optional under the "consent" basis (a refusal does not block the sign-up); not shown under
    # "public task" (registrations/recording.py).
    recording_consent = BooleanField(
        _l("Zgadzam się na nagrywanie mojego głosu i wizerunku podczas spotkania na potrzeby spisania "
           "zgłoszonych uwag i propozycji"))
    accessibility_needs = SelectMultipleField(_l("Potrzeby związane z dostępnością"),
                                              choices=[SelectChoice(code, label) for code, label in needs.FORM_CHOICES],
                                              validate_choice=True)
    accessibility_details = TextAreaField(_l("Opisz swoje potrzeby"), validators=[
        Length(max=ACCESSIBILITY_DETAILS_MAX, message=_l("Najwyżej %(max)d znaków."))])
    accessibility_consent = BooleanField(
        _l("Zgadzam się na przetwarzanie informacji o moich potrzebach związanych z dostępnością, "
           "także o stanie zdrowia, w celu zapewnienia dostępności spotkania (art. 9 ust. 2 lit. a RODO)"))
    privacy_notice = BooleanField(
        _l("Przyjmuję do wiadomości informację o przetwarzaniu danych osobowych"),
        validators=[DataRequired(_l("Potwierdź, że znasz zasady przetwarzania danych."))])
    # Named like a real field so that scripts fill it in; hidden from people and assistive tech.
    website = StringField(_l("Strona internetowa"), validators=[Honeypot()])

    def requires(self, name: str) -> bool:
        return name in self.required_fields

    def is_spam(self) -> bool:
        return bool(self.website.data)

    @property
    def gives_accessibility_needs(self) -> bool:
        return bool(self.accessibility_needs.data or (self.accessibility_details.data or "").strip())

    def validate_accessibility_details(self, field):
        if "other" in (self.accessibility_needs.data or []) and not (field.data or "").strip():
            raise ValidationError(_l("Opisz, czego potrzebujesz."))

    def validate_accessibility_consent(self, field):
        # The needs may reveal health data: kept only with explicit consent (art. 9(2)(a) RODO).
        if self.gives_accessibility_needs and not field.data:
            raise ValidationError(_l("Aby przekazać nam informację o potrzebach, zaznacz zgodę na jej "
                                     "przetwarzanie — albo usuń tę informację."))

    def accessibility_codes(self) -> str:
        return ",".join(code for code in needs.CODES if code in (self.accessibility_needs.data or []))


class GroupSignupForm(ApplicantFields):
    required_fields = frozenset({"organisation_address", "organisation_contact", "prior_activity"})

    group = RadioField(_l("Grupa robocza"), coerce=int, validate_choice=True,
                       validators=[DataRequired(_l("Wybierz jedną grupę roboczą."))])


class MeetingSignupForm(ApplicantFields):
    @classmethod
    def for_meeting(cls, meeting, **kwargs) -> "MeetingSignupForm":
        """The form with the fields this meeting requires (Meeting.required_fields)."""
        form = cls(**kwargs)
        form.required_fields = frozenset(name for name in REQUIRABLE_FIELDS if meeting.requires(name))
        return form


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
