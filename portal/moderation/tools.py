"""Moderators' tools: reports of comments, thread tools (lock, pin, rename, move) and user tools.

Participants report a comment (GET/POST /forum/uwagi/<id>/zglos). Everything under /moderacja
is for staff (moderators and admins). The thread page links to the thread's tools page
(/moderacja/watki/<id>/narzedzia), which lists the open reports with the decisions, the lock,
pin and rename forms, and every comment with a link to moving it (/moderacja/uwagi/<id>/przenies).

User tools reuse the admin's account services (audit log, e-mail to the person); moderators use
them on participants only and cannot change roles.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from portal import pagination, permissions
from portal.accounts import admin_services
from portal.accounts.manage import account_change_views, change_trust
from portal.web import flash_outcome
from portal.accounts.models import User
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.formatting import end_date
from portal.forms import validates_own_csrf
from portal.forum import services as forum
from portal.forum.models import Post, PostState, Thread
from portal.moderation import flags, thread_tools
from portal.moderation import tool_forms as forms
from portal.moderation.services import ModerationError
from portal.urls import local_path_or


def _actor() -> User:
    return current_user._get_current_object()


def _back(target: str | None, default: str):
    # `next` only ever leads to a page of this site: the one check every redirect target uses.
    return redirect(local_path_or(target, default), 303)


def _thread_in_context(thread_id: int) -> tuple[Thread, Consultation]:
    thread = db.get_or_404(Thread, thread_id)
    return thread, db.session.get(Consultation, thread.consultation_id)


def _post_in_context(post_id: int) -> tuple[Post, Thread, Consultation]:
    post = db.get_or_404(Post, post_id)
    return (post, *_thread_in_context(post.thread_id))  # a comment's thread always exists (foreign key)


# --- reporting (participants) -----------------------------------------------------------------

@permissions.require(permissions.is_verified_participant)
@validates_own_csrf
def report(post_id: int):
    post, thread, consultation = _post_in_context(post_id)
    user = _actor()
    hidden_from_user = post.state in (PostState.PENDING, PostState.REJECTED) and post.author_id != user.id
    if not permissions.can_view_consultation(consultation) or (hidden_from_user and not permissions.is_staff()):
        abort(404)
    form = forms.ReportForm()
    refusal = flags.refusal(user, post)
    if request.method == "POST":
        valid = form.validate_on_submit()
        if form.csrf_failed:
            return _report_page(post, thread, consultation, form, refusal), 400
        if valid and refusal is None:
            try:
                flags.report(user, post, form.chosen_reason, form.note.data)
            except flags.FlagRefused as error:
                refusal = error.message
            else:
                flash(_("Dziękujemy za zgłoszenie. Moderatorzy sprawdzą tę uwagę."), "success")
                return redirect(url_for("forum.permalink", post_id=post.id), 303)
    return _report_page(post, thread, consultation, form, refusal), 200


def _report_page(post, thread, consultation, form, refusal):
    author = db.session.get(User, post.author_id) if post.author_id else None
    return render_template("moderation/report.html", post=post, thread=thread, consultation=consultation,
                           author=author, form=form, refusal=refusal)


# --- decisions on reports ---------------------------------------------------------------------

@permissions.require(permissions.can_moderate)
@validates_own_csrf
def agree_flags(post_id: int):
    post, thread, consultation = _post_in_context(post_id)
    form = forms.AgreeForm()
    if form.validate_on_submit():
        try:
            closed = flags.agree(_actor(), post, form.expected_version, form.public_reason.data)
        except ModerationError as error:
            return _tools_page(thread, consultation, refusal=error.message, status=409)
        flash(_("Uwaga jest ukryta z podanym powodem; zamknięto zgłoszenia: %(count)s.", count=closed), "success")
        return _back(form.next.data, url_for(".thread_tools", thread_id=thread.id))
    return _tools_page(thread, consultation, submitted={post.id: form}, status=form.status())


@permissions.require(permissions.can_moderate)
@validates_own_csrf
def dismiss_flags(post_id: int):
    post, thread, consultation = _post_in_context(post_id)
    form = forms.DismissForm()
    if form.validate_on_submit():
        try:
            closed = flags.dismiss(_actor(), post, form.expected_version, form.dismiss_note.data)
        except ModerationError as error:
            return _tools_page(thread, consultation, refusal=error.message, status=409)
        flash(_("Zgłoszenia oddalone (%(count)s); uwaga jest widoczna.", count=closed)
              if post.state == PostState.APPROVED else
              _("Zgłoszenia oddalone (%(count)s).", count=closed), "success")
        return _back(form.next.data, url_for(".thread_tools", thread_id=thread.id))
    return _tools_page(thread, consultation, submitted={post.id: form}, status=form.status())


def decision_forms(flagged: flags.FlaggedPost, submitted=None) -> tuple[forms.AgreeForm, forms.DismissForm]:
    """The agree and dismiss forms of one reported comment (the sent one keeps its errors)."""
    post = flagged.post
    agree = forms.AgreeForm(formdata=None, version=str(post.version),
                            public_reason=post.moderation_reason if post.state == PostState.HIDDEN
                            and not post.hidden_by_flags else flagged.suggested_public_reason)
    dismiss = forms.DismissForm(formdata=None, version=str(post.version))
    if isinstance(submitted, forms.AgreeForm):
        agree = submitted
    elif isinstance(submitted, forms.DismissForm):
        dismiss = submitted
    return forms.unique_ids(agree, f"uznaj-{post.id}"), forms.unique_ids(dismiss, f"oddal-{post.id}")


# --- thread tools -----------------------------------------------------------------------------

@permissions.require(permissions.can_moderate)
def show_thread_tools(thread_id: int):
    """The thread's tools page (endpoint `thread_tools`; the module of that name is the service)."""
    thread, consultation = _thread_in_context(thread_id)
    return _tools_page(thread, consultation)


def _tools_page(thread: Thread, consultation: Consultation, *, submitted: dict | None = None,
                rename_form: forms.RenameForm | None = None, refusal: str | None = None, status: int = 200):
    submitted = submitted or {}
    flagged = flags.open_in_thread(thread.id)
    decisions = {item.post.id: decision_forms(item, submitted.get(item.post.id)) for item in flagged}
    if any(post_id not in decisions for post_id in submitted):
        # A decision sent about a comment whose reports are already closed (or a broken form).
        refusal = refusal or _("Zgłoszenia tej uwagi zostały już rozpatrzone albo strona była nieaktualna. "
                               "Sprawdź aktualny stan poniżej.")
    page_number = pagination.requested_page()
    page = forum.thread_page(thread, _actor(), page_number)
    return render_template("moderation/thread_tools.html", thread=thread, consultation=consultation,
                           flagged=flagged, decisions=decisions,
                           rename_form=rename_form or forms.RenameForm(formdata=None, title=thread.title),
                           refusal=refusal, page=page, tree=forum.build_tree(page.posts)), status


def _thread_switch(thread_id: int, change, done: str, unchanged: str):
    thread, _consultation = _thread_in_context(thread_id)
    flash_outcome(change(_actor(), thread), done, unchanged)
    return _back(request.form.get("next"), url_for(".thread_tools", thread_id=thread.id))


# One-button forms: the global CSRF check guards them (nothing typed to give back).

@permissions.require(permissions.can_moderate)
def lock_thread(thread_id: int):
    return _thread_switch(thread_id, thread_tools.lock, _("Wątek jest zamknięty dla nowych uwag."),
                          _("Bez zmian: wątek był już zamknięty."))


@permissions.require(permissions.can_moderate)
def unlock_thread(thread_id: int):
    return _thread_switch(thread_id, thread_tools.unlock, _("Wątek jest znów otwarty dla uwag."),
                          _("Bez zmian: wątek był już otwarty."))


@permissions.require(permissions.can_moderate)
def pin_thread(thread_id: int):
    return _thread_switch(thread_id, thread_tools.pin, _("Wątek jest przypięty na początku forum."),
                          _("Bez zmian: wątek był już przypięty."))


@permissions.require(permissions.can_moderate)
def unpin_thread(thread_id: int):
    return _thread_switch(thread_id, thread_tools.unpin, _("Wątek nie jest już przypięty."),
                          _("Bez zmian: wątek nie był przypięty."))


@permissions.require(permissions.can_moderate)
@validates_own_csrf
def rename_thread(thread_id: int):
    thread, consultation = _thread_in_context(thread_id)
    form = forms.RenameForm()
    if form.validate_on_submit():
        try:
            changed = thread_tools.rename(_actor(), thread, form.title.data)
        except thread_tools.ToolRefused as error:
            form.title.errors.append(error.message)
        else:
            flash_outcome(changed, _("Zmieniono tytuł wątku."), _("Bez zmian: wątek miał już ten tytuł."))
            return _back(form.next.data, url_for(".thread_tools", thread_id=thread.id))
    return _tools_page(thread, consultation, rename_form=form, status=form.status())


# --- moving a comment -------------------------------------------------------------------------

def _move_form(post: Post, thread: Thread, formdata=True) -> forms.MoveForm:
    form = forms.MoveForm() if formdata else forms.MoveForm(formdata=None, version=str(post.version))
    form.target.choices = [SelectChoice("", _("— wybierz wątek —"))] + [
        SelectChoice(target.id, target.title) for target in thread_tools.move_targets(thread)]
    return form


def _move_page(post, thread, consultation, form, refusal=None, status=200):
    author = db.session.get(User, post.author_id) if post.author_id else None
    replies = db.session.scalar(select(func.count(Post.id)).where(
        Post.thread_id == thread.id, Post.root_id == post.root_id, Post.path.startswith(post.path + "."))) or 0
    return render_template("moderation/_tools_move_post.html", post=post, thread=thread, consultation=consultation,
                           author=author, form=form, refusal=refusal, replies=replies), status


@permissions.require(permissions.can_moderate)
def move_post_form(post_id: int):
    post, thread, consultation = _post_in_context(post_id)
    return _move_page(post, thread, consultation, _move_form(post, thread, formdata=False))


@permissions.require(permissions.can_moderate)
@validates_own_csrf
def move_post(post_id: int):
    post, thread, consultation = _post_in_context(post_id)
    form = _move_form(post, thread)
    if form.validate_on_submit():
        target = db.session.get(Thread, form.target.data)
        try:
            moved = thread_tools.move(_actor(), post, target, form.expected_version, form.move_reason.data)
        except thread_tools.ToolRefused as error:
            form.target.errors.append(error.message)
        except ModerationError as error:
            return _move_page(post, thread, consultation, form, refusal=error.message, status=409)
        else:
            flash(_("Przeniesiono do wątku „%(title)s”: uwag (z odpowiedziami) %(count)s.",
                    title=target.title, count=moved), "success")
            return redirect(url_for("forum.permalink", post_id=post.id), 303)
    return _move_page(post, thread, consultation, form, status=form.status())


# --- user tools -------------------------------------------------------------------------------

def _participant(user_id: int) -> User:
    """Moderators' user tools act on participants only (staff accounts are the admin's)."""
    user = db.get_or_404(User, user_id)
    if not permissions.can_moderate_account(current_user, user):
        abort(403)
    return user


def _user_page(user: User, submitted=None):
    page_forms = {
        "trust_form": forms.TrustForm(formdata=None, trusted=forms.NO if user.is_trusted else forms.YES),
        "block_form": forms.BlockForm(formdata=None),
        "unblock_form": forms.UnblockForm(formdata=None),
    }
    for name, form in page_forms.items():
        if type(form) is type(submitted):
            page_forms[name] = submitted
    counts = dict(db.session.execute(select(Post.state, func.count(Post.id)).where(Post.author_id == user.id)
                                     .group_by(Post.state)).all())
    organisation = user.organisation if user.organisation_id else None
    status = submitted.status() if submitted is not None else 200
    return render_template("moderation/_tools_user.html", user=user, organisation=organisation,
                           counts={PostState(state): count for state, count in counts.items()},
                           today=forms.local_today(), **page_forms), status


def _back_to_user(user: User):
    return redirect(url_for(".user_tools", user_id=user.id), 303)


@permissions.require(permissions.can_moderate)
def user_tools(user_id: int):
    return _user_page(db.get_or_404(User, user_id))


_change = account_change_views(permissions.can_moderate, _participant, _back_to_user, _user_page)


@_change(forms.BlockForm, "block_reason")
def block_user(actor: User, user: User, form: forms.BlockForm) -> None:
    admin_services.block_user(actor, user, form.blocked_until.data, form.block_reason.data)
    flash(_("Konto jest zablokowane do %(date)s włącznie. Wysłaliśmy użytkownikowi wiadomość z powodem.",
            date=end_date(user.blocked_until)) if user.blocked_until else
          _("Konto jest zablokowane bezterminowo. Wysłaliśmy użytkownikowi wiadomość z powodem."), "success")


@_change(forms.UnblockForm, "unblock_reason")
def unblock_user(actor: User, user: User, form: forms.UnblockForm) -> None:
    changed = admin_services.unblock_user(actor, user, form.unblock_reason.data)
    flash_outcome(changed, _("Konto zostało odblokowane. Wysłaliśmy użytkownikowi wiadomość."),
                  _("Bez zmian: konto nie było zablokowane."))


@_change(forms.TrustForm, "trust_reason")
def set_trusted(actor: User, user: User, form: forms.TrustForm) -> None:
    change_trust(actor, user, form)
