"""Account forms. Passwords are checked against the one password rule (passwords.py)."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from portal.accounts import passwords
from portal.forms import Form
from portal.text_rules import ShownAsTyped

EMAIL_REQUIRED = _l("Podaj adres e-mail.")
EMAIL_FORMAT = _l("Podaj adres e-mail w formacie nazwa@domena.pl.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def email_field(label=None):
    return EmailField(label or _l("Adres e-mail"), filters=[_strip],
                      validators=[DataRequired(EMAIL_REQUIRED), Email(EMAIL_FORMAT, check_deliverability=False),
                                  Length(max=254)])


class NewPassword:
    """The password rule as a WTForms validator; reads e-mail/name from the form when present."""

    def __call__(self, form, field):
        email = getattr(form, "email", None)
        name = getattr(form, "display_name", None)
        found = passwords.problems(field.data or "", email=email.data or "" if email else "",
                                   name=name.data or "" if name else "")
        if found:
            raise ValidationError(" ".join(found))


def new_password_field(label=None):
    return PasswordField(label or _l("Hasło"), validators=[DataRequired(_l("Podaj hasło.")), NewPassword()])


class OrganisationFields:
    organisation_name = StringField(_l("Nazwa organizacji"), validators=[Optional(), Length(max=300), ShownAsTyped()])
    organisation_krs = StringField(_l("Numer KRS"), validators=[
        Optional(), Regexp(r"^\d{10}$", message=_l("Numer KRS ma 10 cyfr, np. 0000123456."))])
    organisation_city = StringField(_l("Miejscowość siedziby"), validators=[Optional(), Length(max=120)])


class SignUpForm(OrganisationFields, Form):
    email = email_field()
    display_name = StringField(_l("Imię i nazwisko lub podpis"), validators=[
        DataRequired(_l("Podaj, jak mamy Cię podpisywać.")), Length(max=120), ShownAsTyped()])
    password = new_password_field()
    accept_privacy = BooleanField(_l("Przyjmuję do wiadomości informację o przetwarzaniu danych osobowych"),
                                  validators=[DataRequired(_l("Potwierdź, że znasz zasady przetwarzania danych."))])


class LoginForm(Form):
    email = email_field()
    password = PasswordField(_l("Hasło"), validators=[DataRequired(_l("Podaj hasło."))])
    next = HiddenField()


class ForgotPasswordForm(Form):
    email = email_field()


class ResetPasswordForm(Form):
    password = new_password_field(_l("Nowe hasło"))


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Obecne hasło"), validators=[DataRequired(_l("Podaj obecne hasło."))])
    password = new_password_field(_l("Nowe hasło"))


class ChangeEmailForm(Form):
    current_password = PasswordField(_l("Obecne hasło"), validators=[DataRequired(_l("Podaj obecne hasło."))])
    email = email_field(_l("Nowy adres e-mail"))


class ProfileForm(OrganisationFields, Form):
    display_name = StringField(_l("Imię i nazwisko lub podpis"), validators=[
        DataRequired(_l("Podaj, jak mamy Cię podpisywać.")), Length(max=120), ShownAsTyped()])
    notify_replies = BooleanField(_l("Powiadamiaj mnie e-mailem o odpowiedziach na moje uwagi"))
    notify_subscriptions = BooleanField(_l("Powiadamiaj mnie e-mailem o nowych uwagach w obserwowanych wątkach"))
    notify_report = BooleanField(_l("Powiadamiaj mnie e-mailem o opublikowaniu raportu z odpowiedziami na moje uwagi"))
    moderation_digest = BooleanField(_l("Przysyłaj mi co godzinę zestawienie kolejki moderacji (gdy coś w niej czeka)"))


class DeleteAccountForm(Form):
    current_password = PasswordField(_l("Obecne hasło"), validators=[DataRequired(_l("Podaj obecne hasło."))])
    confirm = BooleanField(_l("Rozumiem, że usunięcia konta nie można cofnąć"),
                           validators=[DataRequired(_l("Potwierdź, że chcesz usunąć konto."))])
