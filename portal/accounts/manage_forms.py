"""Admin forms. They share one page (the user's), so every field has a name of its own.

A field name is also its id on the page; distinct names keep ids unique and let each error sit
next to its own field. The CSRF field keeps its usual name (rendered without an id).
"""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError

from portal import clock
from portal.accounts.models import ROLE_LABELS, Role
from portal.forms import Form

YES, NO = "1", "0"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def reason_field():
    return StringField(_l("Powód"), filters=[_strip], validators=[
        DataRequired(_l("Podaj powód — zapiszemy go w historii zmian.")), Length(max=1000)])


def target_state_field():
    """The state the button asks for ("1" on, "0" off), so a repeated click changes nothing."""
    return HiddenField(validators=[AnyOf([YES, NO])])


def local_today():
    return clock.to_local(clock.now_utc()).date()


def not_in_the_past(form, field):
    if field.data is not None and field.data < local_today():
        raise ValidationError(_l("Podaj dzisiejszą lub późniejszą datę."))


class RoleForm(Form):
    role = SelectField(_l("Rola"), choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role])
    role_reason = reason_field()

    @property
    def chosen_role(self) -> Role:
        return Role(self.role.data)


class TrustForm(Form):
    trusted = target_state_field()
    trust_reason = reason_field()

    @property
    def wants_trusted(self) -> bool:
        return self.trusted.data == YES


class BlockForm(Form):
    blocked_until = DateField(_l("Zablokuj do dnia (włącznie)"), validators=[Optional(), not_in_the_past],
                              invalid_value_message=_l("Podaj datę w formacie RRRR-MM-DD, np. 2020-09-30."))
    block_reason = StringField(_l("Powód blokady"), filters=[_strip], validators=[
        DataRequired(_l("Podaj powód blokady — wyślemy go użytkownikowi.")), Length(max=1000)])


class UnblockForm(Form):
    unblock_reason = reason_field()


class VerificationForm(Form):
    verified = target_state_field()
    verification_reason = reason_field()

    @property
    def wants_verified(self) -> bool:
        return self.verified.data == YES
