"""Comments received outside the portal: staff enter a comment sent by e-mail, by post or made
at a meeting, so that it gets a number, an answer and a row in the report like any other.

Such a comment is a top-level `Post` without an author: `channel` says how it came,
`submitter_name` who sent it (as they signed it) and `received_on` when. It is published at once
in its section's thread (or in "Uwagi ogólne"), so the workspace, the report, the exports and
the statistics count it with the rest; wherever it is shown, its channel is shown with it.
Staff may correct or delete an entry until the report is published; every entry, correction
and deletion leaves an audit row. A scanned letter is not attached (not built).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import joinedload
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from portal import audit, clock, formatting, permissions
from portal.bad_input import check_day
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.errors import Refusal
from portal.extensions import db
from portal.forms import Form, validates_own_csrf
from portal.forum.drafts import GENERAL_THREAD_TITLE
from portal.forum.models import DraftSection, Post, PostState, Thread, ThreadKind, heading
from portal.forum.services import COMMENT_MAX, place_top_level
from portal.reports.models import Answer, AnsweredComment, ChangeLink
from portal.reports.services import number_late_comment, report_comments, report_of
from portal.sanitize import render_markdown
from portal.text_rules import ShownAsTyped

PORTAL = "portal"
# How a comment came, as the report's column "Sposób złożenia" says it.
CHANNEL_LABELS = {
    PORTAL: _l("forum konsultacji"),
    "email": _l("e-mail"),
    "letter": _l("list (poczta)"),
    "meeting": _l("spotkanie"),
    "other": _l("inny sposób"),
}
# What a comment entered by staff says about itself, next to its submitter.
CHANNEL_NOTES = {
    "email": _l("uwaga przesłana e-mailem, %(date)s"),
    "letter": _l("uwaga przesłana pocztą, %(date)s"),
    "meeting": _l("uwaga zgłoszona na spotkaniu, %(date)s"),
    "other": _l("uwaga przekazana w inny sposób, %(date)s"),
}
OFFLINE_CHANNELS = [channel for channel in CHANNEL_LABELS if channel != PORTAL]
GENERAL = "ogolne"  # the section field's value for "Uwagi ogólne" (sections go by their number)
SUBMITTER_MAX = 300


# --- how such a comment is shown ----------------------------------------------------------------

def is_offline(post: Post) -> bool:
    return post.channel != PORTAL


def channel_label(post: Post) -> str:
    """"e-mail", "list (poczta)", … — "forum konsultacji" for a comment written on the site."""
    return str(CHANNEL_LABELS.get(post.channel, CHANNEL_LABELS["other"]))


def received_date(post: Post, tz: str | None = None) -> str:
    """"25 września 2020 r.": the day the office received it (entered, if no day was given)."""
    day = post.received_on or clock.to_local(post.created_at, tz).date()
    return formatting.local_date(clock.start_of_day(day, tz), tz)


def channel_note(post: Post, tz: str | None = None) -> str:
    """"uwaga przesłana pocztą, 25 września 2020 r." — empty for a comment written on the site."""
    if not is_offline(post):
        return ""
    return str(CHANNEL_NOTES.get(post.channel, CHANNEL_NOTES["other"]) % {"date": received_date(post, tz)})


# --- the rules ------------------------------------------------------------------------------------

@dataclass
class OfflineEntry:
    """What staff typed: how and when the comment came, who sent it, what about, and its text."""

    channel: str
    received_on: date
    submitter_name: str
    section: str  # a section's number, or GENERAL
    body: str


class EntryRefused(Refusal):
    """The entry cannot be changed now; `field` names the form field it is about, if any."""


def today(consultation: Consultation) -> date:
    """The day it is now where the consultation takes place."""
    return clock.to_local(clock.now_utc(), consultation.timezone).date()


def section_choices(consultation_id: int) -> list[tuple[str, str]]:
    """The draft's sections in order, then the general comments (one query)."""
    sections = db.session.execute(select(DraftSection.number, DraftSection.label, DraftSection.title)
                                  .where(DraftSection.consultation_id == consultation_id)
                                  .order_by(DraftSection.number)).all()
    return ([(str(number), heading(label, title)) for number, label, title in sections]
            + [(GENERAL, str(_l("Uwagi ogólne")))])


def changes_allowed(consultation_id: int) -> bool:
    """Entries are added, corrected and deleted only while the report is not published."""
    report = report_of(consultation_id)
    return report is None or not report.is_published


def _refuse_if_published(consultation_id: int) -> None:
    if not changes_allowed(consultation_id):
        raise EntryRefused(_l("Raport jest opublikowany, więc uwag spoza serwisu nie można teraz dodawać, "
                              "poprawiać ani usuwać. Najpierw wycofaj publikację raportu."))


def target_thread(consultation: Consultation, section: str) -> Thread:
    """The thread of the chosen section, or "Uwagi ogólne" (made here when the draft has none yet)."""
    if section == GENERAL:
        thread = db.session.scalar(select(Thread).where(Thread.consultation_id == consultation.id,
                                                        Thread.kind == ThreadKind.GENERAL).order_by(Thread.id))
        if thread is None:
            now = clock.now_utc()
            thread = Thread(consultation_id=consultation.id, kind=ThreadKind.GENERAL, title=GENERAL_THREAD_TITLE,
                            created_at=now, last_activity_at=now)
            db.session.add(thread)
            db.session.flush()
        return thread
    thread = db.session.scalar(
        select(Thread).join(DraftSection, DraftSection.id == Thread.section_id)
        .where(Thread.consultation_id == consultation.id, Thread.kind == ThreadKind.SECTION,
               DraftSection.number == int(section)).order_by(Thread.id))
    if thread is None:
        raise EntryRefused(_l("Wybierz część dokumentu z listy."), "section")
    return thread


def _snapshot(post: Post) -> dict:
    return {"channel": post.channel, "submitter_name": post.submitter_name,
            "received_on": post.received_on.isoformat() if post.received_on else None,
            "thread_id": post.thread_id, "body": post.body}


def _count(thread_id: int, step: int, now: datetime | None = None) -> None:
    values = {"comment_count": Thread.comment_count + step}
    if now is not None:
        values["last_activity_at"] = now
    db.session.execute(update(Thread).where(Thread.id == thread_id).values(**values))


def add_offline_comment(actor, consultation: Consultation, entry: OfflineEntry) -> Post:
    """Publish a comment received outside the portal in its thread, as staff typed it."""
    _refuse_if_published(consultation.id)
    thread = target_thread(consultation, entry.section)
    now = clock.now_utc()
    post = Post(thread_id=thread.id, author_id=None, body=entry.body, body_html=str(render_markdown(entry.body)),
                state=PostState.APPROVED, is_official=False, depth=0, created_at=now, notified_at=now,
                channel=entry.channel, submitter_name=entry.submitter_name, received_on=entry.received_on)
    db.session.add(post)
    db.session.flush()
    place_top_level(post)
    _count(thread.id, +1, now)
    number_late_comment(post)  # after the report's first publication: the next free number
    audit.record(actor, "offline_comment_added", post, after=_snapshot(post))
    return post


def _has_replies(post: Post) -> bool:
    return bool(db.session.scalar(select(exists().where(Post.parent_id == post.id))))


def change_offline_comment(actor, consultation: Consultation, post: Post, entry: OfflineEntry) -> bool:
    """Correct an entry (a typo, the wrong section); False when nothing changed."""
    _refuse_if_published(consultation.id)
    thread = target_thread(consultation, entry.section)
    before = _snapshot(post)
    if thread.id != post.thread_id:
        if _has_replies(post):
            raise EntryRefused(_l("Na tę uwagę są już odpowiedzi na forum, więc nie można jej przenieść do innej "
                                  "części dokumentu tutaj. Przenieś ją narzędziami moderatora w wątku."), "section")
        if post.state == PostState.APPROVED:
            _count(post.thread_id, -1)
            _count(thread.id, +1)
        post.thread_id, post.paragraph_number = thread.id, None
    post.channel, post.submitter_name, post.received_on = entry.channel, entry.submitter_name, entry.received_on
    if entry.body != post.body:
        post.body, post.body_html = entry.body, str(render_markdown(entry.body))
    after = _snapshot(post)
    if after == before:
        return False
    post.version = Post.version + 1  # in SQL; a moderator's decision taken on the old text is refused
    audit.record(actor, "offline_comment_changed", post, before=before, after=after)
    return True


def delete_offline_comment(actor, consultation: Consultation, post: Post) -> None:
    """Remove an entry made by mistake, with its answer when no other comment shares it."""
    _refuse_if_published(consultation.id)
    if _has_replies(post):
        raise EntryRefused(_l("Na tę uwagę są już odpowiedzi na forum, więc nie można jej usunąć. "
                              "Możesz ją ukryć narzędziami moderatora w wątku."))
    audit.record(actor, "offline_comment_deleted", post, before=_snapshot(post))
    answer_id = db.session.scalar(select(AnsweredComment.answer_id).where(AnsweredComment.post_id == post.id))
    db.session.execute(delete(AnsweredComment).where(AnsweredComment.post_id == post.id))
    db.session.execute(delete(ChangeLink).where(ChangeLink.post_id == post.id))
    if answer_id is not None and not db.session.scalar(
            select(exists().where(AnsweredComment.answer_id == answer_id))):
        db.session.execute(delete(Answer).where(Answer.id == answer_id))
    if post.state == PostState.APPROVED:
        _count(post.thread_id, -1)
    db.session.delete(post)
    db.session.flush()


def offline_comments(consultation_id: int) -> list[Post]:
    """The consultation's entries from outside the portal, newest received first (one query)."""
    return list(db.session.scalars(
        select(Post).join(Thread, Thread.id == Post.thread_id)
        .where(Thread.consultation_id == consultation_id, Post.channel != PORTAL)
        .options(joinedload(Post.thread).joinedload(Thread.section))
        .order_by(Post.received_on.desc(), Post.id.desc())))


def entry_of(post: Post) -> dict:
    """An entry's values as the form shows them.

    A comment a moderator moved to a participant's thread, or whose section left the draft, has
    no section to show: the field then asks for one rather than moving it anywhere unasked.
    """
    thread = post.thread
    section = (str(thread.section.number) if thread.section is not None
               else GENERAL if thread.kind == ThreadKind.GENERAL else "")
    return {"channel": post.channel, "received_on": post.received_on, "submitter_name": post.submitter_name,
            "section": section, "body": post.body}


# --- the form -----------------------------------------------------------------------------------------

def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _not_in_future(form, field):
    if field.data is not None and form.today is not None and field.data > form.today:
        raise ValidationError(_l("Data wpływu nie może być późniejsza niż dzisiejsza."))


def _body_length(form, field):
    if field.data and len(field.data) > COMMENT_MAX:
        raise ValidationError(_l("Uwaga może mieć najwyżej %(max)s znaków (ma %(length)s).",
                                 max=COMMENT_MAX, length=len(field.data)))


class OfflineCommentForm(Form):
    channel = SelectField(_l("Sposób złożenia"),
                          choices=[SelectChoice("", _l("Wybierz…")),
                                   *(SelectChoice(c, CHANNEL_LABELS[c]) for c in OFFLINE_CHANNELS)],
                          validators=[DataRequired(_l("Wybierz, jak uwaga została złożona."))])
    received_on = DateField(_l("Data wpływu"),
                            validators=[InputRequired(_l("Podaj datę wpływu uwagi.")), check_day, _not_in_future],
                            invalid_value_message=_l("Podaj datę w formacie RRRR-MM-DD, np. 2020-09-25."))
    submitter_name = StringField(_l("Zgłaszający"), filters=[_strip], validators=[
        DataRequired(_l("Podaj, kto zgłosił uwagę: imię i nazwisko albo nazwę organizacji.")),
        Length(max=SUBMITTER_MAX, message=_l("Najwyżej %(max)d znaków.")), ShownAsTyped()])
    section = SelectField(_l("Część dokumentu"), validators=[DataRequired(_l("Wybierz część dokumentu."))])
    body = TextAreaField(_l("Treść uwagi"), filters=[_strip],
                         validators=[DataRequired(_l("Wpisz treść uwagi.")), _body_length])

    def __init__(self, *args, sections: list[tuple[str, str]], today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.section.choices = [SelectChoice("", _l("Wybierz…")),
                                *(SelectChoice(value, label) for value, label in sections)]

    def entry(self) -> OfflineEntry:
        return OfflineEntry(channel=self.channel.data, received_on=self.received_on.data,
                            submitter_name=self.submitter_name.data, section=self.section.data, body=self.body.data)

    def show_refusal(self, refusal: EntryRefused) -> None:
        field = getattr(self, refusal.field)
        field.errors = [*field.errors, refusal.message]


# --- the back office --------------------------------------------------------------------------------

def _actor():
    return current_user._get_current_object()


def _form(consultation: Consultation, **kwargs) -> OfflineCommentForm:
    return OfflineCommentForm(sections=section_choices(consultation.id), today=today(consultation), **kwargs)


def _private(response, status: int = 200):
    response = make_response(response, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _list_page(consultation: Consultation, form: OfflineCommentForm, refusal: str | None = None):
    numbers = {comment.post.id: comment.number for comment in report_comments(consultation.id).comments}
    return _private(render_template(
        "reports/offline.html", consultation=consultation, entries=offline_comments(consultation.id),
        numbers=numbers, form=form, allowed=changes_allowed(consultation.id), refusal=refusal),
        form.status())


def _entry_or_404(consultation: Consultation, post_id: int) -> Post:
    post = db.session.scalar(
        select(Post).join(Thread, Thread.id == Post.thread_id)
        .where(Post.id == post_id, Thread.consultation_id == consultation.id, Post.channel != PORTAL)
        .options(joinedload(Post.thread).joinedload(Thread.section)))
    if post is None:
        abort(404)
    return post


def _refused(refusal: EntryRefused, form: OfflineCommentForm, page, consultation: Consultation):
    """A refusal about a field goes next to it; one about the whole report (published) is flashed on the list."""
    if refusal.field is not None:
        form.show_refusal(refusal)
        return page()
    flash(refusal.message, "error")
    return _to_list(consultation)


def _to_list(consultation: Consultation, post: Post | None = None):
    anchor = f"wpis-{post.id}" if post is not None else None
    return redirect(url_for("offline_comments.entries", slug=consultation.slug, _anchor=anchor), 303)


@permissions.require(permissions.is_staff)
@validates_own_csrf
def entries(slug: str):
    """The entries so far, and the form for a new one (POST)."""
    consultation = consultation_or_404(slug, public=False)
    form = _form(consultation)
    if not form.validate_on_submit():
        return _list_page(consultation, form)
    try:
        post = add_offline_comment(_actor(), consultation, form.entry())
    except EntryRefused as refusal:
        return _refused(refusal, form, lambda: _list_page(consultation, form), consultation)
    flash(_("Dodano uwagę spoza serwisu. Jest już na forum i w odpowiedziach na uwagi."), "success")
    return _to_list(consultation, post)


def _edit_page(consultation: Consultation, post: Post, form: OfflineCommentForm):
    return _private(render_template("reports/offline_edit.html", consultation=consultation, post=post, form=form,
                                    allowed=changes_allowed(consultation.id)),
                    form.status())


@permissions.require(permissions.is_staff)
@validates_own_csrf
def edit(slug: str, post_id: int):
    consultation = consultation_or_404(slug, public=False)
    post = _entry_or_404(consultation, post_id)
    form = _form(consultation, data=entry_of(post))  # what was sent, if anything was
    if not form.validate_on_submit():
        return _edit_page(consultation, post, form)
    try:
        changed = change_offline_comment(_actor(), consultation, post, form.entry())
    except EntryRefused as refusal:
        return _refused(refusal, form, lambda: _edit_page(consultation, post, form), consultation)
    flash(_("Zapisano zmiany.") if changed else _("Bez zmian: uwaga ma już taką treść i dane."),
          "success" if changed else "info")
    return _to_list(consultation, post)


@permissions.require(permissions.is_staff)
def remove(slug: str, post_id: int):
    consultation = consultation_or_404(slug, public=False)
    post = _entry_or_404(consultation, post_id)
    try:
        delete_offline_comment(_actor(), consultation, post)
    except EntryRefused as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("offline_comments.edit", slug=slug, post_id=post_id), 303)
    flash(_("Usunięto uwagę spoza serwisu."), "success")
    return _to_list(consultation)
