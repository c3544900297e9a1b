"""Search, the Atom feed and the read-only JSON (open data) of a consultation's forum.

Everything here only reads. Search finds the words in any inflected form (their stems are stored
beside each text, `search_index`) in the published draft and in the comments the person could
read on the thread pages (`services.visible_to`); the feed and the JSON publish approved comments
only.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import and_, bindparam, exists, func, literal, literal_column, or_, select
from sqlalchemy.orm import joinedload, load_only

from portal import page_cache, pagination, permissions
from portal.atom import ATOM, utc_timestamp, xml_text
from portal.accounts.models import DELETED_NAME
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.extensions import db
from portal.forum import search_index, services
from portal.forum.models import DraftParagraph, DraftSection, Post, PostState, Thread, heading, reference


SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 200   # longer queries are cut: a search box, not a document
RESULTS_PER_PAGE = 20
SNIPPET_LENGTH = 200
SNIPPET_LEAD = 60          # characters shown before a match deep in a long comment
FEED_ENTRIES = 50


def _consultation(slug: str) -> Consultation:
    return consultation_or_404(slug)


def _author_name(post: Post) -> str:
    return post.author.shown_name if post.author else DELETED_NAME


# --- search -----------------------------------------------------------------------------------

@dataclass
class Hit:
    """A comment found: its thread, where in the draft it points ("§ 3 ust. 2"; "" elsewhere)."""
    post: Post
    thread_title: str
    reference: str
    snippet: Markup

    @property
    def title(self) -> str:
        return heading(self.reference, self.thread_title)


@dataclass
class DraftHit:
    """A paragraph of the published draft found, cited as the document writes it."""
    section_number: int
    paragraph_number: int
    reference: str
    section_title: str
    snippet: Markup

    @property
    def title(self) -> str:
        return heading(self.reference, self.section_title)

    @property
    def anchor(self) -> str:
        return f"par-{self.section_number}-{self.paragraph_number}"


@dataclass
class SearchResults(pagination.Paged):
    """One page of both lists: the draft's paragraphs and the comments, `number` paging each."""
    draft: list[DraftHit]
    draft_total: int
    hits: list[Hit]
    total: int
    number: int
    pages: int


def _lexeme(form: str) -> str:
    return "'" + form.replace("\\", "\\\\").replace("'", "''") + "'"


def _like_word(form: str) -> str:
    return "% " + form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %"


_SIMPLE = literal_column("'simple'")  # a constant, so PostgreSQL matches the GIN index's expression


def _matching(search_text, wanted: list[tuple[str, ...]]):
    """SQL condition: the search text holds, for every word of the query, one of its forms
    (search_index.indexed stored the words and stems of the text, folded, space-separated)."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = " & ".join("(" + " | ".join(_lexeme(form) for form in forms) + ")" for forms in wanted)
        # The table's stored to_tsvector('simple', search_text), GIN-indexed (migration 0017).
        vector = literal_column(f"{search_text.class_.__tablename__}.search_vector")
        # The query is written into the SQL (escaped by the driver's dialect), not bound: a
        # statement psycopg prepares after five runs may get PostgreSQL's generic plan, which
        # cannot know how many rows the words match, and then reads and sorts every comment
        # holding a common word (20 ms for 10,000) where the index of dates stops after a page.
        return vector.op("@@")(func.to_tsquery(_SIMPLE, literal(query, literal_execute=True)))
    padded = literal(" ").concat(search_text).concat(" ")
    return and_(*(or_(*(padded.like(_like_word(form), escape="\\") for form in forms)) for forms in wanted))


def _draft_matches(consultation: Consultation, wanted):
    return (select(DraftParagraph.number, DraftParagraph.label, DraftParagraph.html,
                   DraftSection.number.label("section"), DraftSection.label.label("section_label"),
                   DraftSection.title)
            .join(DraftSection, DraftSection.id == DraftParagraph.section_id)
            .where(DraftSection.consultation_id == consultation.id, _matching(DraftParagraph.search_text, wanted)))


def _comment_conditions(consultation: Consultation, user, wanted) -> list:
    """Which comments this person may find: those they could read on the thread pages
    (`services.visible_to`), but never a hidden one by its text (staff excepted)."""
    if permissions.is_staff(user):
        shown = services.visible_to(user)
    elif permissions.is_authenticated(user) and user.id != page_cache.STAND_IN_ID:
        shown = or_(Post.state == PostState.APPROVED,
                    and_(Post.author_id == user.id, Post.state != PostState.HIDDEN))
    else:
        # An anonymous reader, or the stand-in a page shared by participants is rendered for (it
        # owns nothing): one state, which PostgreSQL reads newest first from ix_post_state_created,
        # stopping at the page's last row, however many comments hold the words.
        shown = Post.state == PostState.APPROVED
    return [Thread.consultation_id == consultation.id, shown, _matching(Post.search_text, wanted)]


def _totals(consultation: Consultation, user, wanted) -> tuple[int, int]:
    """How many paragraphs of the draft and how many comments hold the words: one query of two
    counts. A plain count of the rows the index finds; the pages are asked apart, LIMITed, so a
    word in every comment does not sort them all (issue 20)."""
    draft = select(func.count()).select_from(_draft_matches(consultation, wanted).subquery())
    comments = (select(func.count()).select_from(Post).join(Thread, Thread.id == Post.thread_id)
                .where(*_comment_conditions(consultation, user, wanted)))
    row = db.session.execute(select(draft.scalar_subquery().label("draft"),
                                    comments.scalar_subquery().label("comments"))).one()
    return row.draft, row.comments


def _on_page(total: int, page: int) -> bool:
    """Whether page `page` holds any of `total` rows (else its query is not sent)."""
    return pagination.offset(page, RESULTS_PER_PAGE) < total


def _draft_hits(consultation: Consultation, wanted, marked: set[str], page: int) -> list[DraftHit]:
    """A page of the published draft's paragraphs holding every word, in the document's order: one query."""
    rows = db.session.execute(pagination.page_of(
        _draft_matches(consultation, wanted).order_by(DraftSection.number, DraftParagraph.number),
        page, RESULTS_PER_PAGE)).all()
    return [DraftHit(row.section, row.number, reference(row.section_label, row.label), row.title,
                     snippet(row.html, marked)) for row in rows]


def _comment_hits(consultation: Consultation, user, wanted, marked: set[str], page: int) -> list[Hit]:
    """A page of the comments this person may read that hold every word, newest first, with the
    § they point at (the thread's section, the paragraph of that section): one query."""
    rows = db.session.execute(pagination.page_of(
        select(Post, Thread.title, DraftSection.label.label("section_label"),
               DraftParagraph.label.label("paragraph_label"))
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .outerjoin(DraftParagraph, and_(DraftParagraph.section_id == DraftSection.id,
                                        DraftParagraph.number == Post.paragraph_number))
        .where(*_comment_conditions(consultation, user, wanted))
        .options(load_only(Post.thread_id, Post.author_id, Post.organisation_id, Post.created_at, Post.state,
                           Post.body_html),  # what a result shows, not the texts it does not
                 joinedload(Post.author), joinedload(Post.organisation))
        .order_by(Post.created_at.desc(), Post.id.desc()), page, RESULTS_PER_PAGE)).all()
    return [Hit(row.Post, row.title, reference(row.section_label, row.paragraph_label),
                snippet(row.Post.body_html, marked)) for row in rows]


def search_consultation(consultation: Consultation, user, query: str, page: int = 1) -> SearchResults:
    """The paragraphs of the draft and the comments (those this person may read) that hold every
    word of the query in some inflected form: "edukacja" finds "edukacji" and "edukację".

    At most three queries, however many comments match: both totals, then the page of each list
    that has rows on this page (past the end of both, the totals alone)."""
    wanted = search_index.query_forms(query)
    if not wanted:  # nothing but punctuation: nothing can match
        return SearchResults([], 0, [], 0, page, 1)
    marked = {form for forms in wanted for form in forms}
    draft_total, total = _totals(consultation, user, wanted)
    draft = _draft_hits(consultation, wanted, marked, page) if _on_page(draft_total, page) else []
    hits = _comment_hits(consultation, user, wanted, marked, page) if _on_page(total, page) else []
    pages = max(pagination.page_count(draft_total, RESULTS_PER_PAGE), pagination.page_count(total, RESULTS_PER_PAGE))
    return SearchResults(draft, draft_total, hits, total, page, pages)


def _is_wanted(word: str, marked: set[str]) -> bool:
    return not marked.isdisjoint(search_index.forms(word))


def snippet(html: str, marked: set[str]) -> Markup:
    """About 200 characters of the text around its first word the query wanted, such words in <mark>."""
    plain = Markup(html).striptags()  # sanitised HTML -> text (entities decoded)
    first = next((match for match in search_index.word_matches(plain) if _is_wanted(match.group(), marked)), None)
    start = 0
    if first and first.end() > SNIPPET_LENGTH:  # it would be cut off: begin a few words before it
        start = plain.rfind(" ", 0, max(0, first.start() - SNIPPET_LEAD)) + 1
    end = min(len(plain), start + SNIPPET_LENGTH)
    if end < len(plain):
        space = plain.rfind(" ", start + SNIPPET_LENGTH // 2, end)
        end = space if space > 0 else end
    # Concatenated, not Markup.format: 50 snippets a page, and format costs a third of each.
    return Markup("… " if start else "") + highlight(plain[start:end], marked) + (" …" if end < len(plain) else "")


def highlight(plain: str, marked: set[str]) -> Markup:
    """Plain text as HTML: every piece escaped, each word with a wanted form wrapped in <mark>."""
    parts, last = [], 0
    for match in search_index.word_matches(plain):
        if _is_wanted(match.group(), marked):
            parts += [escape(plain[last:match.start()]), "<mark>", escape(match.group()), "</mark>"]
            last = match.end()
    parts.append(escape(plain[last:]))
    return Markup("".join(parts))  # every piece of the text escaped above


class _SearchReaders(page_cache.Participants):
    """A participant shares the search pages unless a comment of theirs in this consultation is one
    others don't find (waiting, rejected): their results differ, and the page is rendered for them
    alone. Nothing else on the page is theirs."""

    def columns(self) -> dict:
        return {"unseen": exists().where(
            Post.author_id == page_cache.READER_ID, Post.state.not_in((PostState.APPROVED, PostState.HIDDEN)),
            Post.thread_id.in_(select(Thread.id).join(Consultation, Consultation.id == Thread.consultation_id)
                               .where(Consultation.slug == bindparam("slug"))))}

    def reader(self, user, row, slug: str) -> page_cache.Reader | None:
        return None if row.unseen else page_cache.Reader()


@page_cache.shared_with_anonymous_readers(participants=_SearchReaders())
def search(slug: str):
    """The search page; readers share it like the forum's pages (the query string is part of the key)."""
    consultation = _consultation(slug)
    query = " ".join(request.args.get("q", "").split())[:SEARCH_MAX_LENGTH]
    error, results = None, None
    if query and len(query) < SEARCH_MIN_LENGTH:
        error = _("Wpisz co najmniej %(min)s znaki.", min=SEARCH_MIN_LENGTH)
    elif query:
        results = search_consultation(consultation, current_user, query, pagination.requested_page())
    return render_template("forum/search.html", consultation=consultation, query=query, error=error,
                           results=results, per_page=RESULTS_PER_PAGE)


# --- Atom -------------------------------------------------------------------------------------

def latest_approved(consultation: Consultation, limit: int = FEED_ENTRIES) -> list[tuple[Post, str]]:
    """The newest approved comments of the consultation, with their thread's title."""
    return db.session.execute(
        select(Post, Thread.title).join(Thread, Thread.id == Post.thread_id)
        .where(Thread.consultation_id == consultation.id, Post.state == PostState.APPROVED)
        .options(joinedload(Post.author))
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(limit)
    ).all()


def atom(slug: str):
    consultation = _consultation(slug)
    entries = [{
        "id": url_for("forum.permalink", post_id=post.id, _external=True),
        "title": xml_text(_("Uwaga w wątku „%(title)s”", title=thread_title)),
        "author": xml_text(_author_name(post)),
        "published": utc_timestamp(post.created_at),
        "updated": utc_timestamp(post.edited_at or post.created_at),
        "html": xml_text(post.body_html),
    } for post, thread_title in latest_approved(consultation)]
    updated = max((entry["updated"] for entry in entries), default=utc_timestamp(consultation.created_at))
    body = render_template("forum/atom.xml", consultation=consultation, entries=entries, updated=updated,
                           title=xml_text(_("Uwagi w konsultacji: %(title)s", title=consultation.title)))
    response = make_response(body)
    response.headers["Content-Type"] = ATOM
    return response


# --- open data (JSON) -------------------------------------------------------------------------

def _thread_data(thread: Thread, slug: str) -> dict:
    return {
        "id": thread.id,
        "kind": str(thread.kind),
        "title": thread.title,
        "section_number": thread.section.number if thread.section else None,
        "comment_count": thread.comment_count,
        "last_activity_at": utc_timestamp(thread.last_activity_at),
        "locked": thread.is_locked,
        "url": url_for("forum.thread", slug=slug, thread_id=thread.id, _external=True),
    }


def _comment_data(post: Post) -> dict:
    """What the thread page shows of a comment, and nothing more (no e-mail, no account id)."""
    return {
        "id": post.id,
        "parent_id": post.parent_id,
        "depth": post.depth,
        "author": _author_name(post),
        "organisation": post.organisation.name if post.organisation else None,
        "organisation_verified": bool(post.organisation and post.organisation.is_verified),
        "official": post.is_official,
        "created_at": utc_timestamp(post.created_at),
        "edited_at": utc_timestamp(post.edited_at),
        "paragraph_number": post.paragraph_number,
        "body": post.body,
        "body_html": post.body_html,
        "url": url_for("forum.permalink", post_id=post.id, _external=True),
    }


def _open_data(consultation: Consultation, payload: dict):
    response = jsonify(payload)
    if consultation.is_published:
        response.headers["Access-Control-Allow-Origin"] = "*"  # public data, no cookies involved
    return response


def _consultation_data(consultation: Consultation) -> dict:
    return {"slug": consultation.slug, "title": consultation.title,
            "url": url_for("forum.index", slug=consultation.slug, _external=True)}


def threads_json(slug: str):
    consultation = _consultation(slug)
    threads = services.forum_threads(consultation.id)
    return _open_data(consultation, {"consultation": _consultation_data(consultation),
                                     "threads": [_thread_data(thread, slug) for thread in threads]})


def thread_json(slug: str, thread_id: int):
    """The thread and its approved comments in tree order (replies follow their comment)."""
    thread = db.session.scalar(
        select(Thread).join(Consultation, Consultation.id == Thread.consultation_id)
        .where(Thread.id == thread_id, Consultation.slug == slug)
        .options(joinedload(Thread.consultation), joinedload(Thread.section)))
    if thread is None or not permissions.can_view_consultation(thread.consultation):
        abort(404)
    posts = db.session.scalars(
        select(Post).where(Post.thread_id == thread.id, Post.state == PostState.APPROVED)
        .options(joinedload(Post.author), joinedload(Post.organisation))
        .order_by(Post.path)).all()
    return _open_data(thread.consultation, {"consultation": _consultation_data(thread.consultation),
                                            "thread": _thread_data(thread, slug),
                                            "comments": [_comment_data(post) for post in posts]})
