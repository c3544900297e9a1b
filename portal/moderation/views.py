"""The moderation queue and the moderators' actions on comments.

Every change of a comment's state goes through `portal.moderation.services`; each form carries
the version of the comment the moderator saw, so of two moderators acting on the same item only
the first succeeds and the second is told who was first. All routes are for staff only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from portal import pagination, permissions
from portal.accounts.models import User
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forms import validates_own_csrf
from portal.forum.models import DraftSection, Post, PostState, Thread
from portal.moderation import flags, forms, services
from portal.moderation.models import Flag
from portal.urls import local_path_or

bp = Blueprint("moderation", __name__)

PER_PAGE = 50

# Fields a moderator types: given back, editable, when a stale form has to be sent again.
TYPED_FIELDS = {
    "edited_body": _l("Treść po poprawkach"),
    "note": _l("Wyjaśnienie dla autora"),
    "public_reason": _l("Powód ukrycia (widoczny publicznie)"),
}


@bp.record_once
def _template_globals(state) -> None:
    # Globals (not a context processor) so that imported macros (forum/_comment.html) see them.
    state.app.jinja_env.globals.update(
        moderation_reasons=forms.reason_choices,
    )


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the queue ----------------------------------------------------------------------------------

@dataclass
class QueueItem:
    post: Post
    thread: Thread
    consultation: Consultation
    section_number: int | None
    flags: list[Flag] = field(default_factory=list)
    history: dict[str, int] = field(default_factory=dict)

    @property
    def reporters(self) -> int:
        return len({flag.reporter_id for flag in self.flags})

    @property
    def reported(self) -> bool:
        """Waiting for a decision on reports (open ones, or hidden by them)."""
        return bool(self.flags) or (self.post.state == PostState.HIDDEN and self.post.hidden_by_flags)

    @property
    def suggested_public_reason(self) -> str:
        """What the moderator who agrees with the reports is offered to show in the placeholder."""
        if self.post.state == PostState.HIDDEN and not self.post.hidden_by_flags:
            return self.post.moderation_reason
        return flags.FlaggedPost(self.post, self.flags).suggested_public_reason


@dataclass
class QueuePage(pagination.Paged):
    items: list[QueueItem]
    number: int
    pages: int
    total: int


def _open_flags():
    return (select(Flag.post_id, func.min(Flag.created_at).label("first_at"))
            .where(Flag.resolved_at.is_(None)).group_by(Flag.post_id).subquery())


def queue_page(consultation_id: int | None, number: int) -> QueuePage:
    """Pending comments, new texts of published ones and reported ones, longest waiting first:
    three queries whatever the size.

    One for the page (with its thread, consultation, section, author and organisation, and the
    total), one for the authors' history (grouped), one for the open reports; a fourth only for
    a page past the end. Reported items wait since their first open report, edits since they
    were sent.
    """
    flagged = _open_flags()
    waiting = or_(services.awaiting_approval(), flagged.c.post_id.is_not(None),
                  and_(Post.state == PostState.HIDDEN, Post.hidden_by_flags.is_(True)))
    query = (select(Post, Thread, Consultation, DraftSection.number, func.count().over().label("total"))
             .join(Thread, Thread.id == Post.thread_id)
             .join(Consultation, Consultation.id == Thread.consultation_id)
             .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
             .outerjoin(flagged, flagged.c.post_id == Post.id)
             .where(waiting))
    if consultation_id is not None:
        query = query.where(Thread.consultation_id == consultation_id)
    rows = db.session.execute(pagination.page_of(
        query.options(joinedload(Post.author), joinedload(Post.organisation))
        .order_by(func.coalesce(flagged.c.first_at, Post.proposed_at, Post.created_at), Post.id),
        number, PER_PAGE)).all()
    if rows:
        total = rows[0].total
    elif number > 1:
        count = select(func.count(Post.id)).join(Thread, Thread.id == Post.thread_id) \
            .outerjoin(flagged, flagged.c.post_id == Post.id).where(waiting)
        if consultation_id is not None:
            count = count.where(Thread.consultation_id == consultation_id)
        total = db.session.scalar(count)
    else:
        total = 0
    items = [QueueItem(row.Post, row.Thread, row.Consultation, row.number) for row in rows]
    _add_history(items)
    _add_flags(items)
    return QueuePage(items, number, pagination.page_count(total, PER_PAGE), total)


def _add_history(items: list[QueueItem]) -> None:
    """Each author's approved / rejected / hidden comments: one grouped query for the page."""
    author_ids = {item.post.author_id for item in items if item.post.author_id}
    counts: dict[int, dict[str, int]] = {author_id: {} for author_id in author_ids}
    if author_ids:
        for author_id, state, count in db.session.execute(
                select(Post.author_id, Post.state, func.count(Post.id))
                .where(Post.author_id.in_(author_ids),
                       Post.state.in_((PostState.APPROVED, PostState.REJECTED, PostState.HIDDEN)))
                .group_by(Post.author_id, Post.state)):
            counts[author_id][PostState(state).value] = count
    for item in items:
        item.history = counts.get(item.post.author_id, {})


def _add_flags(items: list[QueueItem]) -> None:
    by_post = {item.post.id: item for item in items}
    if not by_post:
        return
    for flag in db.session.scalars(select(Flag).where(Flag.post_id.in_(by_post), Flag.resolved_at.is_(None))
                                   .order_by(Flag.created_at, Flag.id)):
        by_post[flag.post_id].flags.append(flag)


def _here() -> str:
    return request.full_path if request.query_string else request.path


def _render_queue(resend: dict | None = None, status: int = 200):
    consultations = db.session.execute(
        select(Consultation.id, Consultation.slug, Consultation.title).order_by(Consultation.created_at.desc())
    ).all()
    chosen = request.args.get("konsultacja", "").strip() if resend is None else ""
    consultation = next((c for c in consultations if c.slug == chosen), None)
    if chosen and consultation is None:
        abort(404)
    page = queue_page(consultation.id if consultation else None, pagination.requested_page() if resend is None else 1)
    return render_template("moderation/queue.html", page=page, consultations=consultations,
                           consultation=consultation, here=_here() if resend is None else url_for("moderation.queue"),
                           flag_labels=flags.REASON_LABELS, resend=resend), status


@bp.get("/moderacja/kolejka")
@permissions.require(permissions.can_moderate)
def queue():
    return _render_queue()


# --- actions ------------------------------------------------------------------------------------

def _actor() -> User:
    return current_user._get_current_object()


def _post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    return post


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
    """Someone else was first: undo anything this request prepared, and say who it was."""
    db.session.rollback()
    g.pop("queued_mail", None)
    flash(error.message, "error")


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


@bp.post("/moderacja/uwagi/<int:post_id>/zatwierdz")
@permissions.require(permissions.can_moderate)
@validates_own_csrf
def approve(post_id: int):
    post = _post_or_404(post_id)
    form = forms.ApproveForm()
    stop = _refusal(form)
    if stop:
        return stop
    edited = None
    if "edited_body" in request.form:
        edited = _normalised(form.edited_body.data or "")
        if not edited:
            flash(_("Nic nie zostało zmienione: treść po poprawkach nie może być pusta."), "error")
            return _back(form)
        if edited == _normalised(post.body):
            edited = None
    was_edit = services.waits_as_edit(post)
    try:
        services.approve(_actor(), post, form.expected_version, edited_body=edited)
    except services.ModerationError as error:
        _already_handled(error)
    else:
        if was_edit:
            flash(_("Nowa treść uwagi #%(id)s została opublikowana.", id=post.id), "success")
            return _back(form)
        flash(_("Uwaga #%(id)s została zatwierdzona z poprawkami; autor dostał wiadomość z nową treścią.",
                id=post.id) if edited else _("Uwaga #%(id)s została zatwierdzona i opublikowana.", id=post.id),
              "success")
    return _back(form)


@bp.post("/moderacja/uwagi/<int:post_id>/odrzuc")
@permissions.require(permissions.can_moderate)
@validates_own_csrf
def reject(post_id: int):
    post = _post_or_404(post_id)
    form = forms.RejectForm()
    stop = _refusal(form)
    if stop:
        return stop
    was_edit = services.waits_as_edit(post)
    try:
        services.reject(_actor(), post, form.expected_version, form.chosen_reason, form.note.data or "")
    except services.ModerationError as error:
        _already_handled(error)
    else:
        if was_edit:
            flash(_("Zmiana uwagi #%(id)s została odrzucona; na forum zostaje poprzednia treść. Autor dostał "
                    "wiadomość z powodem i pełną nową treścią.", id=post.id), "success")
            return _back(form)
        flash(_("Uwaga #%(id)s została odrzucona; autor dostał wiadomość z powodem i pełną treścią uwagi.",
                id=post.id), "success")
    return _back(form)


@bp.post("/moderacja/uwagi/<int:post_id>/ukryj")
@permissions.require(permissions.can_moderate)
@validates_own_csrf
def hide(post_id: int):
    post = _post_or_404(post_id)
    form = forms.HideForm()
    stop = _refusal(form)
    if stop:
        return stop
    try:
        if post.hidden_by_flags or flags.open_reporters(post):
            # Reports wait for a decision: hiding agrees with them (and closes them).
            flags.agree(_actor(), post, form.expected_version, form.public_reason.data)
        else:
            services.hide(_actor(), post, form.expected_version, form.public_reason.data)
    except services.ModerationError as error:
        _already_handled(error)
    else:
        flash(_("Uwaga #%(id)s została ukryta. W jej miejscu widać powód ukrycia; odpowiedzi zostają.",
                id=post.id), "success")
    return _back(form)


@bp.post("/moderacja/uwagi/<int:post_id>/pokaz")
@permissions.require(permissions.can_moderate)
@validates_own_csrf
def unhide(post_id: int):
    post = _post_or_404(post_id)
    form = forms.UnhideForm()
    stop = _refusal(form)
    if stop:
        return stop
    try:
        if post.hidden_by_flags:
            # Hidden automatically by reports: showing it again dismisses them (and closes them).
            flags.dismiss(_actor(), post, form.expected_version)
        else:
            services.unhide(_actor(), post, form.expected_version)
    except services.ModerationError as error:
        _already_handled(error)
    else:
        flash(_("Uwaga #%(id)s jest znowu widoczna dla wszystkich.", id=post.id), "success")
    return _back(form)


@bp.post("/moderacja/zbiorczo")
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
