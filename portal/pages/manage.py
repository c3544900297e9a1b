"""Back office: admins edit and publish the legal pages (privacy notice, accessibility statement,
easy-to-read text, PJM). Publishing adds a version; nothing published is ever changed."""
from flask import flash, redirect, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal import permissions
from portal.forms import Form, validates_own_csrf
from portal.pages import legal
from portal.pages.legal import LegalDocument, LegalKind
from portal.pages.views import LEGAL_PAGES, PAGE_OF_KIND, legal_page_url
from portal.registrations import recording
from portal.sanitize import render_markdown
from portal.urls import is_local_path


KIND_LABELS = {
    LegalKind.PRIVACY: _l("Ochrona danych osobowych"),
    LegalKind.ACCESSIBILITY: _l("Deklaracja dostępności"),
    LegalKind.EASY_READ: _l("Tekst łatwy do czytania"),
    LegalKind.SIGN_LANGUAGE: _l("Polski język migowy"),
}
_ONLY_FOR = {  # fields that belong to one kind of page
    "video_url": LegalKind.SIGN_LANGUAGE, "captions_url": LegalKind.SIGN_LANGUAGE,
    "site_published_on": LegalKind.ACCESSIBILITY, "site_updated_on": LegalKind.ACCESSIBILITY,
    "statement_prepared_on": LegalKind.ACCESSIBILITY,
    "recording_basis": LegalKind.PRIVACY, "recording_refusal": LegalKind.PRIVACY,
}


def _address(form, field):
    """A file on this site (/static/...) or an https:// link; nothing else is embedded or linked."""
    value = (field.data or "").strip()
    field.data = value
    if value and not (value.startswith("https://") or is_local_path(value)):
        raise ValidationError(_l("Podaj adres zaczynający się od https:// albo ścieżkę pliku w serwisie (od /)."))


class LegalDocumentForm(Form):
    title = StringField(_l("Tytuł"), validators=[DataRequired(_l("Podaj tytuł.")), Length(max=200)])
    body = TextAreaField(_l("Treść (Markdown)"), validators=[DataRequired(_l("Wpisz treść strony.")),
                                                            Length(max=100_000)])
    video_url = StringField(_l("Adres nagrania w PJM"), validators=[Optional(), Length(max=500), _address])
    captions_url = StringField(_l("Adres pliku z napisami (WebVTT)"),
                               validators=[Optional(), Length(max=500), _address])
    site_published_on = DateField(_l("Data publikacji strony internetowej"), validators=[Optional()])
    site_updated_on = DateField(_l("Data ostatniej istotnej aktualizacji strony"), validators=[Optional()])
    statement_prepared_on = DateField(_l("Data sporządzenia deklaracji"), validators=[Optional()])
    # Privacy notice: recording meetings (the forms and the notice read it: registrations/recording.py).
    recording_basis = SelectField(_l("Podstawa prawna nagrywania spotkań"), choices=[SelectChoice(*choice) for choice in recording.BASIS_CHOICES],
                                  validate_choice=True)
    recording_refusal = SelectField(_l("Udział osoby, która nie zgadza się na nagrywanie"),
                                    choices=[SelectChoice(*choice) for choice in recording.REFUSAL_CHOICES], validate_choice=True)

    def for_kind(self, kind: LegalKind) -> "LegalDocumentForm":
        for name, owner in _ONLY_FOR.items():
            if owner is not kind:
                delattr(self, name)
        return self

    def details(self) -> dict:
        return {name: getattr(self, name).data or ("" if name.endswith("_url") else None)
                for name in _ONLY_FOR if getattr(self, name, None) is not None}


@permissions.require(permissions.is_admin)
def pages():
    rows = [(kind, KIND_LABELS[kind], PAGE_OF_KIND[kind], legal.latest(kind)) for kind in LegalKind]
    return render_template("pages/admin_legal_list.html", rows=rows)


@permissions.require(permissions.is_admin)
@validates_own_csrf
def edit(page: str):
    """Edit with a preview; "Opublikuj" adds the next version. The first visit stores the built-in
    text as version 1, so the history starts with what was shown until then."""
    kind = LEGAL_PAGES[page]
    current = legal.ensure_first_version(kind)
    form = LegalDocumentForm(obj=current).for_kind(kind)
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "publish":
            document = legal.publish(kind, current_user, form.title.data, form.body.data, **form.details())
            flash(_("Opublikowano wersję %(number)s.", number=document.version), "success")
            return redirect(legal_page_url(kind))
        preview = _preview(kind, form)
    return render_template("pages/admin_legal_edit.html", form=form, kind=kind, page=page,
                           label=KIND_LABELS[kind], current=current, preview=preview), form.status()


def _preview(kind: LegalKind, form: LegalDocumentForm):
    """The page as it would be published (not stored)."""
    draft = LegalDocument(kind=kind, version=0, title=form.title.data, body=form.body.data,
                          body_html=str(render_markdown(form.body.data)),
                          published_at=legal.clock.now_utc(), **form.details())
    return legal.statement_html(draft) if kind is LegalKind.ACCESSIBILITY else render_markdown(form.body.data)
