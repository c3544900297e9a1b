"""The forum of a consultation: index, threads, writing, replying, editing, permalinks."""
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, bindparam, exists, or_, select

from portal import clock, pagination, permissions
from portal.bad_input import bounded_int
from portal.consultations.models import Consultation, PhaseKind, phase_of
from portal.consultations.lookup import consultation_or_404
from portal.extensions import db
from portal.forms import validates_own_csrf
from portal.forum import forms, services
from portal.forum.models import Post, PostRevision, PostState, Subscription, Thread
from portal.reports import annotations, counts
from portal.reports.services import report_of
from portal.sanitize import render_markdown
from portal import page_cache


def _consultation(slug: str) -> Consultation:
    return consultation_or_404(slug)


def _comment_window(consultation: Consultation):
    """The e-consultation phase, for pages that loaded the consultation without it (one query)."""
    return phase_of(consultation.id, PhaseKind.E_CONSULTATION)


@page_cache.shared_with_anonymous_readers(participants=page_cache.EVERY_PARTICIPANT)
def index(slug: str):
    consultation = _consultation(slug)
    window = _comment_window(consultation)
    threads, comment_counts = counts.counted_threads(consultation.id)
    return render_template("forum/index.html", consultation=consultation, window=window,
                           threads=threads, counts=comment_counts, report=report_of(consultation.id),
                           state=permissions.window_state(window, clock.now_utc()),
                           decision=services.may_post(current_user, None, window))


class _ThreadReaders(page_cache.Participants):
    """How a participant's page of a thread differs from the shared one.

    Their comments' links (edit, versions instead of "report"), the follow button and the
    "on behalf of" box come from the shared page's slots; a comment of theirs that others don't
    see (waiting, rejected, an edit waiting for a moderator) needs a page of their own.
    """

    def columns(self) -> dict:
        reader, thread_id = page_cache.READER_ID, bindparam("thread_id")
        theirs = and_(Post.thread_id == thread_id, Post.author_id == reader)
        return {
            "following": exists().where(Subscription.user_id == reader, Subscription.thread_id == thread_id),
            "unseen": exists().where(theirs, or_(Post.state.not_in((PostState.APPROVED, PostState.HIDDEN)),
                                                 Post.proposed_at.is_not(None))),
        }

    def reader(self, user, row, slug: str, thread_id: int) -> page_cache.Reader | None:
        if row.unseen:
            return None
        organisation = user.organisation
        slots = {f"u{user.id}"} | ({"follow"} if row.following else set()) | ({"org"} if organisation else set())
        return page_cache.Reader(frozenset(slots), {page_cache.ORGANISATION: organisation.name} if organisation else {})


@page_cache.shared_with_anonymous_readers(participants=_ThreadReaders())
@validates_own_csrf
def thread(slug: str, thread_id: int):
    """Read a thread; POST writes a comment or a reply (or shows its preview)."""
    thread = services.load_thread(slug, thread_id)
    if thread is None or not permissions.can_view_consultation(thread.consultation):
        abort(404)
    consultation, window, section = thread.consultation, thread.consultation.comment_window, thread.section
    form = forms.CommentForm()
    paragraphs = section.paragraphs if section else []
    form.paragraph.choices = [("", _("całość: %(label)s", label=section.label) if section else "")] + [
        (str(p.number), p.label) for p in paragraphs]  # the units as the document writes them
    if request.method == "GET" and section is not None:  # "Skomentuj ten ustęp" on the whole draft
        chosen = bounded_int(request.args.get("ustep"), low=1)
        if any(p.number == chosen for p in section.paragraphs):
            form.paragraph.data = chosen
    reply_to = _reply_target(thread, form.parent_id.data if request.method == "POST"
                             else request.args.get("odpowiedz"))

    def send():
        if form.parent_id.data and reply_to is None:
            raise services.PostingRefused(_("Uwaga, na którą odpowiadasz, nie istnieje."))
        post = services.post_comment(_user(), thread, form.body.data, parent=reply_to,
                                     paragraph=form.paragraph.data, on_behalf=form.on_behalf.data, window=window)
        if post.state == "pending":
            flash(_("Dziękujemy. Uwaga czeka na moderację i pojawi się na forum, gdy moderator ją zatwierdzi."),
                  "success")
        else:
            flash(_("Dziękujemy, uwaga została dodana."), "success")
        return redirect(url_for("forum.permalink", post_id=post.id))

    done, preview, refusal, status = _editor_submission(form, send)
    if done:
        return done
    page = services.thread_page(thread, current_user, _page())
    return render_template("forum/thread.html", consultation=consultation, thread=thread, section=section,
                           window=window, page=page, form=form, preview=preview, refusal=refusal,
                           paragraph_labels={p.number: p.label for p in paragraphs},
                           decision=services.may_post(current_user, thread, window),
                           state=permissions.window_state(window, clock.now_utc()),
                           following=page.following, report=page.report,
                           tree=services.build_tree(page.posts), reply_to=reply_to,
                           max_nesting=services.MAX_NESTING,
                           annotations=annotations.for_thread_page(consultation.id, page.posts, current_user)), status


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _editor_submission(form, send):
    """The editors' POST: preview, or send; on any refusal the page comes back with the text.

    Returns (response or None, preview html, refusal message, status).
    """
    if request.method != "POST":
        return None, None, None, 200
    if not form.validate_on_submit():
        return None, None, None, form.status()
    if request.form.get("action") == "preview":
        return None, render_markdown(form.body.data), None, 200
    try:
        return send(), None, None, 200
    except services.PostingRefused as error:
        if not error.fields:
            return None, None, error.message, 200
        # What was typed is wrong: each message goes next to its field (and into the summary).
        for name, message in error.fields.items():
            form[name].errors = [*form[name].errors, str(message)]
        return None, None, None, 200


def _page() -> int:
    return pagination.requested_page()


def _reply_target(thread: Thread, parent_id: str | None) -> Post | None:
    """The comment being replied to, if the id names a comment of this thread."""
    number = bounded_int(parent_id, low=1)  # an id an INTEGER column can hold
    if number is None:
        return None
    parent = db.session.get(Post, number)
    return parent if parent is not None and parent.thread_id == thread.id else None


@validates_own_csrf
def new_thread(slug: str):
    consultation = _consultation(slug)
    window = _comment_window(consultation)
    form = forms.ThreadForm()

    def send():
        thread = services.open_thread(_user(), consultation, form.title.data, form.body.data)
        if db.session.scalar(select(Post.state).where(Post.thread_id == thread.id)) == "pending":
            flash(_("Wątek został otwarty. Pierwsza uwaga czeka na moderację i pojawi się na forum, gdy "
                    "moderator ją zatwierdzi."), "success")
        else:
            flash(_("Wątek został otwarty."), "success")
        return redirect(url_for("forum.thread", slug=slug, thread_id=thread.id))

    done, preview, refusal, status = _editor_submission(form, send)
    if done:
        return done
    return render_template("forum/new_thread.html", consultation=consultation, form=form, preview=preview,
                           refusal=refusal, decision=services.may_post(current_user, None, window)), status


def permalink(post_id: int):
    """#k-123: the thread page the comment is on, scrolled to it."""
    post = db.get_or_404(Post, post_id)
    thread = db.session.get(Thread, post.thread_id)
    consultation = db.session.get(Consultation, thread.consultation_id)
    if not permissions.can_view_consultation(consultation):
        abort(404)
    page = services.page_of(post, current_user)
    return redirect(url_for("forum.thread", slug=consultation.slug, thread_id=thread.id,
                            strona=page if page > 1 else None, _anchor=post.anchor))


@permissions.require(permissions.is_authenticated)
@validates_own_csrf
def edit(post_id: int):
    post = db.get_or_404(Post, post_id)
    if post.author_id != current_user.id:
        abort(403)  # someone else's comment: no page (the rule's reasons are for its author)
    thread = db.session.get(Thread, post.thread_id)
    consultation = db.session.get(Consultation, thread.consultation_id)
    # The page says at once why the author can't change the comment now, and offers no "Zapisz".
    decision = permissions.can_edit(current_user, post, thread, _comment_window(consultation))
    # The author carries on from their latest text, also while it waits for a moderator.
    latest = post.proposed_body if post.proposed_at is not None else post.body
    form = forms.EditForm(body=latest) if request.method == "GET" else forms.EditForm()

    def send():
        outcome = services.edit_comment(_user(), post, form.body.data)
        flash(EDIT_OUTCOMES[outcome], "success")
        return redirect(url_for("forum.permalink", post_id=post.id))

    done, preview, refusal, status = _editor_submission(form, send)
    if done:
        return done
    return render_template("forum/edit.html", consultation=consultation, thread=thread, post=post, form=form,
                           preview=preview, refusal=refusal, may_send=bool(decision), why_not=decision.reason,
                           reviewed=services.edit_needs_review(_user(), post, consultation)), status


EDIT_OUTCOMES = {
    services.EditOutcome.PUBLISHED: _l("Zapisano zmiany w uwadze."),
    services.EditOutcome.PROPOSED: _l("Zmiany czekają na zatwierdzenie przez moderatora. Do tego czasu na forum "
                                      "widać poprzednią treść uwagi."),
    services.EditOutcome.STILL_PENDING: _l("Zapisano zmiany. Uwaga nadal czeka na zatwierdzenie przez moderatora."),
    services.EditOutcome.UNCHANGED: _l("Treść uwagi się nie zmieniła — nic nie zapisano."),
}


@permissions.require(permissions.is_authenticated)
def revisions(post_id: int):
    """Earlier texts of a comment: for staff, and for its author (to see what a moderator changed)."""
    post = db.get_or_404(Post, post_id)
    if not permissions.can_see_revisions(current_user, post):
        abort(403)
    thread = db.session.get(Thread, post.thread_id)
    history = db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)
                                 .order_by(PostRevision.created_at.desc())).all()
    return render_template("forum/revisions.html", post=post, thread=thread, history=history,
                           render_markdown=render_markdown)


@permissions.require(permissions.is_authenticated)
@validates_own_csrf
def toggle_subscription(thread_id: int):
    thread = db.get_or_404(Thread, thread_id)
    form = forms.SubscribeForm()
    if not form.validate_on_submit():
        abort(400)
    consultation = db.session.get(Consultation, thread.consultation_id)
    user = current_user._get_current_object()
    if request.form.get("follow") == "1":
        services.subscribe(user, thread)
        flash(_("Obserwujesz ten wątek: napiszemy, gdy pojawią się nowe uwagi."), "success")
    else:
        services.unsubscribe(user, thread)
        flash(_("Nie obserwujesz już tego wątku."), "success")
    return redirect(url_for("forum.thread", slug=consultation.slug, thread_id=thread.id))


def preview():
    """The editor's live preview (progressive enhancement): the text through the one sanitiser."""
    return jsonify(html=str(render_markdown(request.form.get("body", "")[:services.COMMENT_MAX])))
