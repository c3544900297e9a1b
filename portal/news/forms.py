"""The subscription form: an address, the consent it rests on, and the registrations' honeypot."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from portal.accounts.forms import email_field
from portal.forms import Form
from portal.registrations.forms import Honeypot


class SubscribeForm(Form):
    email = email_field()
    consent = BooleanField(
        _l("Zgadzam się na otrzymywanie e-mailem powiadomień o nowych konsultacjach i ich kolejnych etapach"),
        validators=[DataRequired(_l("Zaznacz zgodę — bez niej nie możemy wysyłać powiadomień."))])
    # Named like a real field so that scripts fill it in; hidden from people and assistive tech.
    website = StringField(_l("Strona internetowa"), validators=[Honeypot()])

    def is_spam(self) -> bool:
        return bool(self.website.data)


class ButtonForm(Form):
    """A confirmation or unsubscribe button: only the CSRF token (the link's token is in the URL)."""
