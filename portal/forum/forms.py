"""Forum forms. The text is kept on every refusal: validation, closed window, stale token."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.forms import Form
from portal.forum.services import COMMENT_MAX, TITLE_MAX


class CommentForm(Form):
    body = TextAreaField(_l("Treść uwagi"), validators=[
        Length(max=COMMENT_MAX, message=_l("Uwaga może mieć najwyżej %(max)d znaków."))])
    parent_id = HiddenField()
    paragraph = SelectField(_l("Dotyczy ustępu"), coerce=lambda v: int(v) if v else None,
                            validators=[Optional()], validate_choice=False)
    on_behalf = BooleanField(_l("W imieniu mojej organizacji"))


class ThreadForm(Form):
    title = StringField(_l("Tytuł wątku"), validators=[
        Length(max=TITLE_MAX, message=_l("Tytuł może mieć najwyżej %(max)d znaków."))])
    body = TextAreaField(_l("Treść uwagi"), validators=[
        Length(max=COMMENT_MAX, message=_l("Uwaga może mieć najwyżej %(max)d znaków."))])


class EditForm(Form):
    body = TextAreaField(_l("Treść uwagi"), validators=[
        Length(max=COMMENT_MAX, message=_l("Uwaga może mieć najwyżej %(max)d znaków."))])


class SubscribeForm(Form):
    pass
