"""Moderation forms. Each action carries the version of the comment the moderator saw.

The version goes to the service's compare-and-set: of two moderators acting on what they both
saw, only the first succeeds. The forms are rendered by hand in the templates (many on one page,
each with ids of its own); these classes only read and check what was sent.
"""
import enum

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError

from portal.bad_input import bounded_int
from portal.forms import Form
from portal.forum.services import COMMENT_MAX
from portal.moderation.services import REJECTION_LABELS, RejectionReason

NOTE_MAX = 900  # "label: note" must fit the 1000 characters of Post.moderation_reason
PUBLIC_REASON_MAX = 1000
APPROVE, REJECT = "approve", "reject"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _version_given(form, field):
    if bounded_int(field.data, low=1) is None:  # also refuses what an INTEGER column can't hold
        raise ValidationError(_l("Brakuje wersji uwagi — odśwież stronę i spróbuj ponownie."))


def version_field():
    """The comment's version as the moderator saw it (a hidden field of every action)."""
    return HiddenField(validators=[_version_given])


def reason_choices():
    return [SelectChoice(reason.value, REJECTION_LABELS[reason]) for reason in RejectionReason]


def one_of(reasons: type[enum.Enum], message):
    """A validator: the field holds the value of one of `reasons` (a rejection's, a report's)."""
    values = {reason.value for reason in reasons}

    def check(form, field):
        if field.data not in values:
            raise ValidationError(message)
    return check


def described_when_other(reasons: type[enum.Enum], message):
    """A validator of a note: it must be written when the form's `reason` is `reasons.OTHER`."""
    def check(form, field):
        if form.reason.data == reasons.OTHER.value and not field.data:
            raise ValidationError(message)
    return check


_known_reason = one_of(RejectionReason, _l("Wybierz powód odrzucenia."))
_note_for_other = described_when_other(
    RejectionReason, _l("Przy powodzie „inny powód” opisz go w wyjaśnieniu dla autora."))


class _Action(Form):
    next = HiddenField()

    @property
    def expected_version(self) -> int:
        return int(self.version.data)


class ApproveForm(_Action):
    version = version_field()
    edited_body = TextAreaField(_l("Treść po poprawkach"), validators=[
        Optional(), Length(max=COMMENT_MAX, message=_l("Uwaga może mieć najwyżej %(max)d znaków."))])


class RejectForm(_Action):
    version = version_field()
    reason = SelectField(_l("Powód odrzucenia"), choices=reason_choices, validators=[_known_reason],
                         validate_choice=False)
    note = TextAreaField(_l("Wyjaśnienie dla autora"), filters=[_strip], validators=[
        _note_for_other, Length(max=NOTE_MAX, message=_l("Wyjaśnienie dla autora może mieć najwyżej %(max)d znaków."))])

    @property
    def chosen_reason(self) -> RejectionReason:
        return RejectionReason(self.reason.data)


class HideForm(_Action):
    version = version_field()
    public_reason = StringField(_l("Powód ukrycia (widoczny publicznie)"), filters=[_strip], validators=[
        DataRequired(_l("Podaj powód ukrycia — zobaczą go czytelnicy zamiast uwagi.")),
        Length(max=PUBLIC_REASON_MAX, message=_l("Powód może mieć najwyżej %(max)d znaków."))])


class UnhideForm(_Action):
    version = version_field()


class BulkForm(_Action):
    """Checked comments (`post_ids`), each with its version in `version-<id>`; approve or reject."""

    # Radio buttons and a select rendered by hand in moderation/queue.html.
    action = StringField(_l("Co zrobić z zaznaczonymi"), validators=[
        AnyOf([APPROVE, REJECT], message=_l("Wybierz, co zrobić z zaznaczonymi."))])
    reason = StringField(_l("Powód odrzucenia"))
    note = TextAreaField(_l("Wyjaśnienie dla autorów"), filters=[_strip], validators=[
        Length(max=NOTE_MAX, message=_l("Wyjaśnienie dla autorów może mieć najwyżej %(max)d znaków."))])

    def validate_reason(self, field):
        if self.action.data != REJECT:
            return
        _known_reason(self, field)
        if field.data == RejectionReason.OTHER.value and not self.note.data:
            raise ValidationError(_l("Przy powodzie „inny powód” opisz go w wyjaśnieniu dla autorów."))

    @property
    def chosen_reason(self) -> RejectionReason:
        return RejectionReason(self.reason.data)

    def items(self, formdata) -> list[tuple[int, int | None]]:
        """(post id, version it was seen at) for each checked comment, in the order sent, once each."""
        seen, items = set(), []
        for raw in formdata.getlist("post_ids"):
            post_id = bounded_int(raw, low=1)
            if post_id is None or post_id in seen:
                continue
            seen.add(post_id)
            items.append((post_id, bounded_int(formdata.get(f"version-{post_id}", ""), low=1)))
        return items
