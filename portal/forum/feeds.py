"""Search, the Atom feed and the read-only JSON (open data) of a consultation's forum.

Everything here only reads. Search shows what the person could read on the thread pages
(`services.visible_to`); the feed and the JSON publish approved comments only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import abort, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, literal, select, text
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import joinedload

from portal import pagination, permissions
from portal.atom import ATOM, utc_timestamp, xml_text
from portal.accounts.models import DELETED_NAME
from portal.consultations.models import Consultation
from portal.consultations.lookup import consultation_or_404
from portal.extensions import db
from portal.forum import services
from portal.forum.models import Post, PostState, Thread


SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 200   # longer queries are cut: a search box, not a document
RESULTS_PER_PAGE = 50
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
    post: Post
    thread_title: str
    snippet: Markup


@dataclass
class SearchResults(pagination.Paged):
    hits: list[Hit]
    total: int
    number: int
    pages: int


_text_search_configs: dict[str, str] = {}


def _text_search_config() -> str:
    """'polish' (stemming) where the server has it, else 'simple'; asked once per database."""
    bind = db.session.get_bind()
    key = bind.engine.url.render_as_string(hide_password=True)  # get_bind() may give a Connection
    if key not in _text_search_configs:
        has_polish = db.session.scalar(text("SELECT 1 FROM pg_ts_config WHERE cfgname = 'polish'"))
        _text_search_configs[key] = "polish" if has_polish else "simple"
    return _text_search_configs[key]


def _casefold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


def _with_unicode_lower_in_sqlite() -> None:
    """SQLite's LIKE and lower() fold only ASCII: "Łódź" would not match "łódź" without this."""
    raw = db.session.connection().connection.driver_connection
    raw.create_function("unicode_lower", 1, _casefold, deterministic=True)


def _matching(statement, query: str, words: list[str]):
    """The dialect's way to find the words: full text in PostgreSQL, LIKE per word in SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        config = literal(_text_search_config(), REGCONFIG)
        document = func.to_tsvector(config, Post.body)
        wanted = func.plainto_tsquery(config, query)
        return (statement.where(document.op("@@")(wanted))
                .order_by(func.ts_rank(document, wanted).desc(), Post.created_at.desc(), Post.id.desc()))
    _with_unicode_lower_in_sqlite()
    body = func.unicode_lower(Post.body)
    return (statement.where(*(body.contains(word.casefold(), autoescape=True) for word in words))
            .order_by(Post.created_at.desc(), Post.id.desc()))


def search_comments(consultation: Consultation, user, query: str, page: int = 1) -> SearchResults:
    """The consultation's comments this person may read that contain every word of the query."""
    words = query.split()
    conditions = [Thread.consultation_id == consultation.id, services.visible_to(user)]
    if not permissions.is_staff(user):
        conditions.append(Post.state != PostState.HIDDEN)  # shown as a placeholder, never by its text
    statement = _matching(
        select(Post, Thread.title, func.count().over().label("total"))
        .join(Thread, Thread.id == Post.thread_id).where(*conditions)
        .options(joinedload(Post.author), joinedload(Post.organisation)),
        query, words)
    rows = db.session.execute(pagination.page_of(statement, page, RESULTS_PER_PAGE)).all()
    if rows:
        total = rows[0].total
    elif page > 1:
        total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    else:
        total = 0
    pattern = _highlight_pattern(words, whole_words=db.session.get_bind().dialect.name == "postgresql")
    hits = [Hit(row.Post, row.title, snippet(row.Post.body_html, pattern)) for row in rows]
    return SearchResults(hits, total, page, pagination.page_count(total, RESULTS_PER_PAGE))


def _highlight_pattern(words: list[str], whole_words: bool) -> re.Pattern | None:
    """Full-text search matches whole words, LIKE matches inside words: highlight the same."""
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))
    if whole_words:
        alternatives = rf"(?<!\w)(?:{alternatives})(?!\w)"
    return re.compile(alternatives, re.IGNORECASE)


def snippet(body_html: str, pattern: re.Pattern | None) -> Markup:
    """About 200 characters of the comment's plain text around the first match, words in <mark>."""
    plain = Markup(body_html).striptags()  # sanitised HTML -> text (entities decoded)
    match = pattern.search(plain) if pattern else None
    start = 0
    if match and match.end() > SNIPPET_LENGTH:  # it would be cut off: begin a few words before it
        start = plain.rfind(" ", 0, max(0, match.start() - SNIPPET_LEAD)) + 1
    end = min(len(plain), start + SNIPPET_LENGTH)
    if end < len(plain):
        space = plain.rfind(" ", start + SNIPPET_LENGTH // 2, end)
        end = space if space > 0 else end
    return Markup("{}{}{}").format("… " if start else "", highlight(plain[start:end], pattern),
                                   " …" if end < len(plain) else "")


def highlight(plain: str, pattern: re.Pattern | None) -> Markup:
    """Plain text as HTML: every piece escaped, the matches wrapped in <mark>."""
    if pattern is None:
        return escape(plain)
    parts, last = [], 0
    for match in pattern.finditer(plain):
        parts += [escape(plain[last:match.start()]), Markup("<mark>{}</mark>").format(match.group())]
        last = match.end()
    parts.append(escape(plain[last:]))
    return Markup("").join(parts)


def search(slug: str):
    consultation = _consultation(slug)
    query = " ".join(request.args.get("q", "").split())[:SEARCH_MAX_LENGTH]
    error, results = None, None
    if query and len(query) < SEARCH_MIN_LENGTH:
        error = _("Wpisz co najmniej %(min)s znaki.", min=SEARCH_MIN_LENGTH)
    elif query:
        results = search_comments(consultation, current_user, query, pagination.requested_page())
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
