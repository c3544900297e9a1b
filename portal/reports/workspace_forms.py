"""Forms of the answer workspace. One page shows a form per comment, so field ids carry a suffix
(`decision-<post id>`, `justification-wspolna`); field *names* stay plain, so a POST reads the
same whichever comment it came from. CSRF fields are rendered without an id.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import Label
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from portal.forms import Form
from portal.reports.models import DECISION_LABELS

JUSTIFICATION_MAX = 20_000
NUMBERS_MAX = 500


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _SuffixedForm(Form):
    def __init__(self, *args, suffix: str | int, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            if field.name != "csrf_token":
                field.id = f"{field.name}-{suffix}"
                field.label = Label(field.id, field.label.text)


class _AnswerFields(_SuffixedForm):
    decision = RadioField(_l("Rozstrzygnięcie"), choices=[(d.value, label) for d, label in DECISION_LABELS.items()],
                          validators=[InputRequired(_l("Wybierz rozstrzygnięcie."))])
    justification = TextAreaField(_l("Uzasadnienie"), filters=[_strip], validators=[
        DataRequired(_l("Napisz uzasadnienie — raport z konsultacji musi je zawierać.")),
        Length(max=JUSTIFICATION_MAX, message=_l("Najwyżej %(max)d znaków."))])


class AnswerForm(_AnswerFields):
    """The answer to one comment."""

    def __init__(self, *args, post_id: int, **kwargs):
        super().__init__(*args, suffix=post_id, **kwargs)
        self.post_id = post_id


class SameAnswerForm(_SuffixedForm):
    """ "Jak w uwadze N": the answer another comment already has."""

    source_number = IntegerField(_l("Ta sama odpowiedź co w uwadze nr"), validators=[
        InputRequired(_l("Podaj numer uwagi, której odpowiedź ma dostać ta uwaga.")),
        NumberRange(min=1, message=_l("Podaj numer uwagi z tej listy."))])

    def __init__(self, *args, post_id: int, **kwargs):
        super().__init__(*args, suffix=post_id, **kwargs)
        self.post_id = post_id


NUMBER_LIST = re.compile(r"^\s*\d+(\s*[-–]\s*\d+)?(\s*[,;\s]\s*\d+(\s*[-–]\s*\d+)?)*\s*$")


def parse_numbers(text: str) -> list[int]:
    """'3, 5-7' -> [3, 5, 6, 7]. Raises ValueError when the text is not such a list."""
    if not NUMBER_LIST.match(text):
        raise ValueError(text)
    numbers = []
    for start, end in re.findall(r"(\d+)(?:\s*[-–]\s*(\d+))?", text):
        first, last = int(start), int(end or start)
        if last < first or last - first > 1000:
            raise ValueError(text)
        numbers.extend(range(first, last + 1))
    return numbers


class JointAnswerForm(_AnswerFields):
    """One answer for several comments: ticked in the list (`post_ids`) or typed as numbers."""

    post_ids = SelectMultipleField(coerce=int, validate_choice=False)  # checkboxes next to each comment
    numbers = StringField(_l("Numery uwag"), filters=[_strip], validators=[
        Length(max=NUMBERS_MAX, message=_l("Najwyżej %(max)d znaków."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, suffix="wspolna", **kwargs)
        self.post_ids.id = "post_ids-wspolna"

    def validate_numbers(self, field):
        if field.data:
            try:
                parse_numbers(field.data)
            except ValueError:
                raise ValidationError(_l("Wpisz numery uwag oddzielone przecinkami, np. 3, 4, 7 albo 3-5.")) from None
        elif not self.post_ids.data:
            raise ValidationError(_l("Zaznacz uwagi na liście albo wpisz ich numery."))

    def typed_numbers(self) -> list[int]:
        return parse_numbers(self.numbers.data) if self.numbers.data else []
