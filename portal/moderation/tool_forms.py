"""Forms of the moderators' tools and of reporting a comment.

Several of these forms can share one page (a decision per reported comment), so the views give
each rendered field an id of its own (`unique_ids`); the field names stay plain, so the CSRF
token and the posted names are the same whichever form on the page was sent.
"""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

# The user tools reuse the admin's forms: the same fields, checks and messages.
from portal.accounts.manage_forms import NO, YES, BlockForm, TrustForm, UnblockForm, local_today  # noqa: F401
from portal.bad_input import bounded_int
from portal.forms import Form
from portal.forum.services import TITLE_MAX
from portal.text_rules import ShownAsTyped
from portal.moderation.flags import NOTE_MAX, REASON_LABELS, REASON_MAX
from portal.moderation.forms import described_when_other, one_of
from portal.moderation.models import FlagReason

REFRESH_MESSAGE = _l("Strona była nieaktualna. Odśwież ją i spróbuj ponownie.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _version_present(form, field):
    if bounded_int(field.data) is None:  # ASCII digits an INTEGER column can hold
        raise ValidationError(REFRESH_MESSAGE)


def version_field():
    """The comment's version the moderator saw (the compare-and-set of moderation.services)."""
    return HiddenField(_l("Wersja uwagi"), validators=[_version_present])


def next_field():
    """Where to go back after the action (a path on this site; checked by the view)."""
    return HiddenField()


class VersionedForm(Form):
    version = version_field()
    next = next_field()

    @property
    def expected_version(self) -> int:
        return int(self.version.data)


class ReportForm(Form):
    # Rendered as a group of radio buttons (report.html); a plain field keeps the error summary's
    # link pointing at the group (#reason).
    reason = StringField(_l("Co jest nie tak z tą uwagą?"), validators=[
        one_of(FlagReason, _l("Wybierz powód zgłoszenia."))])
    reason_options = tuple((reason.value, REASON_LABELS[reason]) for reason in FlagReason)
    note = TextAreaField(_l("Opis"), filters=[_strip], validators=[
        Length(max=NOTE_MAX, message=_l("Opis może mieć najwyżej %(max)d znaków.")),
        described_when_other(FlagReason, _l("Opisz, co jest nie tak z tą uwagą (wymagane przy powodzie „inne”)."))])

    @property
    def chosen_reason(self) -> FlagReason:
        return FlagReason(self.reason.data)


class AgreeForm(VersionedForm):
    public_reason = StringField(_l("Powód ukrycia widoczny dla czytelników"), filters=[_strip], validators=[
        DataRequired(_l("Podaj powód ukrycia — zobaczą go czytelnicy zamiast uwagi.")),
        Length(max=REASON_MAX, message=_l("Powód może mieć najwyżej %(max)d znaków."))])


class DismissForm(VersionedForm):
    dismiss_note = StringField(_l("Notatka do historii moderacji"), filters=[_strip], validators=[
        Length(max=REASON_MAX, message=_l("Notatka może mieć najwyżej %(max)d znaków."))])


class RenameForm(Form):
    title = StringField(_l("Nowy tytuł wątku"), filters=[_strip], validators=[
        DataRequired(_l("Wpisz tytuł wątku.")),
        Length(max=TITLE_MAX, message=_l("Tytuł może mieć najwyżej %(max)d znaków.")), ShownAsTyped()])
    next = next_field()


def _optional_int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MoveForm(VersionedForm):
    target = SelectField(_l("Przenieś do wątku"), coerce=_optional_int, validate_choice=False)
    move_reason = StringField(_l("Powód przeniesienia"), filters=[_strip], validators=[
        DataRequired(_l("Podaj powód — zapiszemy go w historii moderacji.")),
        Length(max=REASON_MAX, message=_l("Powód może mieć najwyżej %(max)d znaków."))])

    def validate_target(self, field):
        allowed = {str(choice.value) for choice in field.choices if choice.value != ""}
        if field.data is None or str(field.data) not in allowed:
            raise ValidationError(_l("Wybierz wątek, do którego przenieść uwagę."))


def unique_ids(form: Form, suffix) -> Form:
    """Give the form's visible fields ids ending in `suffix` (several such forms on one page)."""
    for field in form:
        if field.name != "csrf_token":
            field.id = f"{field.name}-{suffix}"
            field.label.field_id = field.id
    return form
