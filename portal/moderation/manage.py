"""The moderation queue and the moderators' actions on comments.

Every change of a comment's state goes through `portal.moderation.services`; each form carries
the version of the comment the moderator saw, so of two moderators acting on the same item only
the first succeeds and the second is told who was first. All routes are for staff only.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from portal import pagination, permissions
from portal.accounts.models import User
from portal.extensions import db
from portal.forms import validates_own_csrf
from portal.forum.models import Post
from portal.moderation import flags, forms, services
from portal.moderation import queue as waiting
from portal.urls import local_path_or


# Fields a moderator types: given back, editable, when a stale form has to be sent again.
TYPED_FIELDS = {
    "edited_body": _l("Treść po poprawkach"),
    "note": _l("Wyjaśnienie dla autora"),
    "public_reason": _l("Powód ukrycia (widoczny publicznie)"),
}


def _template_globals(state) -> None:
    # Globals (not a context processor) so that imported macros (forum/_comment.html) see them.
    state.app.jinja_env.globals.update(
        moderation_reasons=forms.reason_choices,
    )


# --- the queue ----------------------------------------------------------------------------------

def _here() -> str:
    return request.full_path if request.query_string else request.path


def _render_queue(resend: dict | None = None, status: int = 200):
    consultations = waiting.consultation_choices()
    chosen = request.args.get("konsultacja", "").strip() if resend is None else ""
    consultation = next((c for c in consultations if c.slug == chosen), None)
    if chosen and consultation is None:
        abort(404)
    page = waiting.queue_page(consultation.id if consultation else None,
                              pagination.requested_page() if resend is None else 1)
    return render_template("moderation/queue.html", page=page, consultations=consultations,
                           consultation=consultation, here=_here() if resend is None else url_for("moderation.queue"),
                           flag_labels=flags.REASON_LABELS, resend=resend), status


@permissions.require(permissions.can_moderate)
def queue():
    return _render_queue()


# --- actions ------------------------------------------------------------------------------------

def _actor() -> User:
    return current_user._get_current_object()


def _back(form: forms.Form):
    return redirect(local_path_or(form.next.data, url_for("moderation.queue")), 303)


def _stale_form():
    """The token expired while the form was open: nothing is done; what was typed comes back."""
    hidden, typed = [], []
    for name in request.form:
        if name == "csrf_token":
            continue
        for value in request.form.getlist(name):
            if name in TYPED_FIELDS:
                typed.append((name, TYPED_FIELDS[name], value))
            else:
                hidden.append((name, value))
    return _render_queue(resend={"action": request.path, "hidden": hidden, "typed": typed}, status=400)


def _refusal(form: forms.Form):
    """The response when the form can't be acted on (stale token, missing field), else None."""
    if form.validate_on_submit():
        return None
    if form.csrf_failed:
        return _stale_form()
    messages = [str(error) for name, errors in form.errors.items() if name != "csrf_token" for error in errors]
    flash(_("Nic nie zostało zmienione: %(errors)s", errors=" ".join(messages)), "error")
    return _back(form)


def _already_handled(error: services.ModerationError) -> None:
    """Someone else was first (or a rule refused): say who or why. Nothing needs undoing: a
    refused action writes nothing and queues no mail (`services.perform` claims the comment first)."""
    flash(error.message, "error")


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _action(form_class: type[forms.Form]):
    """Make a moderator's action on one comment a view (POST with the comment's id).

    The decorated `action(post, form)` does it (through the services) and returns what to tell the
    moderator; it runs only for a valid form (see `_refusal`). A `services.ModerationError` it
    raises (someone else was first, a rule refused) is said instead. Either way the moderator
    goes back where they came from.
    """
    def decorator(action):
        @permissions.require(permissions.can_moderate)
        @validates_own_csrf
        @wraps(action)
        def view(post_id: int):
            post = db.get_or_404(Post, post_id)
            form = form_class()
            stop = _refusal(form)
            if stop:
                return stop
            try:
                message = action(post, form)
            except services.ModerationError as error:
                _already_handled(error)
            else:
                flash(message, "success")
            return _back(form)
        return view
    return decorator


@_action(forms.ApproveForm)
def approve(post: Post, form: forms.ApproveForm) -> str:
    edited = None
    if "edited_body" in request.form:
        edited = _normalised(form.edited_body.data or "")
        if not edited:
            raise services.ModerationError(_("Nic nie zostało zmienione: treść po poprawkach nie może być pusta."))
        if edited == _normalised(post.body):
            edited = None
    was_edit = services.waits_as_edit(post)
    services.approve(_actor(), post, form.expected_version, edited_body=edited)
    if was_edit:
        return _("Nowa treść uwagi #%(id)s została opublikowana.", id=post.id)
    return (_("Uwaga #%(id)s została zatwierdzona z poprawkami; autor dostał wiadomość z nową treścią.", id=post.id)
            if edited else _("Uwaga #%(id)s została zatwierdzona i opublikowana.", id=post.id))


@_action(forms.RejectForm)
def reject(post: Post, form: forms.RejectForm) -> str:
    was_edit = services.waits_as_edit(post)
    services.reject(_actor(), post, form.expected_version, form.chosen_reason, form.note.data or "")
    if was_edit:
        return _("Zmiana uwagi #%(id)s została odrzucona; na forum zostaje poprzednia treść. Autor dostał "
                 "wiadomość z powodem i pełną nową treścią.", id=post.id)
    return _("Uwaga #%(id)s została odrzucona; autor dostał wiadomość z powodem i pełną treścią uwagi.", id=post.id)


@_action(forms.HideForm)
def hide(post: Post, form: forms.HideForm) -> str:
    if post.hidden_by_flags or flags.open_reporters(post):
        # Reports wait for a decision: hiding agrees with them (and closes them).
        flags.agree(_actor(), post, form.expected_version, form.public_reason.data)
    else:
        services.hide(_actor(), post, form.expected_version, form.public_reason.data)
    return _("Uwaga #%(id)s została ukryta. W jej miejscu widać powód ukrycia; odpowiedzi zostają.", id=post.id)


@_action(forms.UnhideForm)
def unhide(post: Post, form: forms.UnhideForm) -> str:
    if post.hidden_by_flags:
        # Hidden automatically by reports: showing it again dismisses them (and closes them).
        flags.dismiss(_actor(), post, form.expected_version)
    else:
        services.unhide(_actor(), post, form.expected_version)
    return _("Uwaga #%(id)s jest znowu widoczna dla wszystkich.", id=post.id)


@permissions.require(permissions.can_moderate)
@validates_own_csrf
def bulk():
    """Approve or reject the checked comments; say which were done and which someone else handled."""
    form = forms.BulkForm()
    stop = _refusal(form)
    if stop:
        return stop
    items = form.items(request.form)
    if not items:
        flash(_("Nic nie zostało zmienione: zaznacz co najmniej jedną uwagę."), "error")
        return _back(form)
    posts = {post.id: post for post in db.session.scalars(select(Post).where(Post.id.in_([i for i, _v in items])))}
    actor, done, refused = _actor(), [], []
    for post_id, version in items:
        post = posts.get(post_id)
        if post is None:
            refused.append(_("Uwaga #%(id)s: nie ma takiej uwagi.", id=post_id))
            continue
        if version is None:
            refused.append(_("Uwaga #%(id)s: brakuje wersji uwagi — odśwież kolejkę.", id=post_id))
            continue
        try:
            # Neither call writes anything before its compare-and-set, so a refusal leaves nothing behind.
            if form.action.data == forms.APPROVE:
                services.approve(actor, post, version)
            else:
                services.reject(actor, post, version, form.chosen_reason, form.note.data or "")
        except services.ModerationError as error:
            refused.append(_("Uwaga #%(id)s: %(message)s", id=post_id, message=error.message))
        else:
            done.append(post_id)
    if done:
        numbers = ", ".join(f"#{post_id}" for post_id in done)
        if form.action.data == forms.APPROVE:
            flash(_("Zatwierdzono i opublikowano: %(ids)s (razem: %(count)s).", ids=numbers, count=len(done)),
                  "success")
        else:
            flash(_("Odrzucono: %(ids)s (razem: %(count)s). Autorzy dostali wiadomości z powodem.",
                    ids=numbers, count=len(done)), "success")
    for message in refused:
        flash(message, "error")
    return _back(form)
