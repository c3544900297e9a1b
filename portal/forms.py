"""What every form shares: its own CSRF check that gives the typed text back, and the field macros' needs.

Views built on `Form` are exempt from the global CSRF check (`validates_own_csrf`): the form
checks the token itself, so an expired token re-renders the page with everything the person
typed (except passwords) and a clear message, instead of an error page.
"""
import re

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from markupsafe import Markup

from portal.extensions import csrf


def _without_nul(value):
    # NUL can't be stored in PostgreSQL text and is never meant by a person typing.
    return value.replace("\x00", "") if isinstance(value, str) else value


class _SharedPageCSRF(_FlaskFormCSRF):
    """A form on a page rendered to be shared (portal.page_cache) carries the placeholder each reader's token replaces."""

    def generate_csrf_token(self, csrf_token_field):
        return g.get("csrf_placeholder") or super().generate_csrf_token(csrf_token_field)


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        csrf_class = _SharedPageCSRF

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field.filters = (*field.filters, _without_nul)
            return field

    @property
    def csrf_failed(self) -> bool:
        return bool(self.is_submitted() and getattr(self, "csrf_token", None) is not None
                    and self.csrf_token.errors)

    def status(self) -> int:
        """HTTP status for re-showing the form: 400 for a stale token (nothing is written), else 200."""
        return 400 if self.csrf_failed else 200


CSRF_EXPIRED_MESSAGE = _l("Formularz był otwarty zbyt długo albo sesja wygasła, więc nie został wysłany. "
                          "To, co wpisano, jest poniżej — wyślij formularz ponownie.")


def validates_own_csrf(view):
    """Mark a view whose Form checks CSRF itself (see module docstring)."""
    return csrf.exempt(view)


_SUMMARY_LIST = re.compile(r"(<ul data-error-summary>)(.*?)(\s*</ul>)", re.S)
_SUMMARY_ITEM = re.compile(r"\s*<li data-error-for=\"([^\"]*)\">.*?</li>", re.S)


def errors_in_page_order(html: str) -> Markup:
    """Put the items of every error summary (macros/forms.html) in the order of their fields on the page.

    A form knows its fields in the order they were declared (fields of a mixin first); the page
    shows them in the order its template renders them. The page is the one truth a person sees,
    so each item goes where the element it links to stands; an item whose field is not on the
    page keeps its place after the others.
    """
    html = Markup(html)
    if "data-error-summary" not in html:
        return html

    def position(target: str) -> int:
        at = html.find(f' id="{target}"')
        return at if at >= 0 else len(html)

    def reorder(summary: re.Match) -> str:
        items = [(position(item.group(1)), item.group(0)) for item in _SUMMARY_ITEM.finditer(summary.group(2))]
        ordered = sorted(items, key=lambda item: item[0])  # stable: ties keep the form's order
        return summary.group(1) + "".join(text for _, text in ordered) + summary.group(3)

    return Markup(_SUMMARY_LIST.sub(reorder, str(html)))
