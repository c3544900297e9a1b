"""Public pages rendered once and shared by anonymous readers for a few seconds.

On the day a large city opens a consultation, thousands of people read the same few pages
without signing in. For them a page is rendered once per PAGE_CACHE_SECONDS (10 s) and language
and kept in the cache (Flask-Caching: per process by default, Redis in production), so a reader
costs a cache lookup instead of queries and templates. What may differ between two anonymous
readers never enters the cache:

- the CSRF token (the header's language switch is a form): pages are rendered with a
  placeholder that each response replaces with the reader's own token; a page in which a real
  token appears anyway is not cached (a token must never reach another person). The placeholder
  is random, new for each rendering and kept with the page, and only `value="…"` attributes
  holding it are replaced: a comment quoting a placeholder cannot carry the reader's token off;
- flashed messages: a reader with messages waiting gets the page rendered for them;
- signed-in people (their name, their pending comments, staff tools) always get a fresh page.

So an anonymous reader may see a page up to PAGE_CACHE_SECONDS old: a new comment, a hidden one
or the view count appear that much later. Views are still counted on every request
(`on_hit`), since counting runs before the cache is asked.
"""
from __future__ import annotations

import secrets
from functools import wraps

from flask import Response, current_app, g, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from portal.extensions import cache

PLACEHOLDER_PREFIX = "csrf-placeholder-"


def csrf_token() -> str:
    """The templates' `csrf_token()`: a placeholder while a page is rendered for the cache."""
    return g.get("csrf_placeholder") or generate_csrf()


def _new_placeholder() -> str:
    # Unguessable, and made after every comment on the page was written: nobody can type it.
    return PLACEHOLDER_PREFIX + secrets.token_urlsafe(24)


def shared_with_anonymous_readers(on_hit=None):
    """View decorator: serve anonymous GETs from the cache; `on_hit(meta, **view_args)` runs on a hit.

    A view may put small values into `g.page_cache_meta` while rendering (e.g. the consultation's
    id, for counting a view); they are stored with the page and given to `on_hit`.
    """
    def decorator(view):
        @wraps(view)
        def serve(*args, **kwargs):
            if not _may_share():
                return view(*args, **kwargs)
            # "page2": entries also hold their placeholder; a shared Redis may still hold old ones.
            key = f"page2:{get_locale()}:{request.full_path}"
            entry = cache.get(key)
            if entry is not None:
                body, mimetype, meta, placeholder = entry
                if on_hit is not None:
                    on_hit(meta, **kwargs)
                return _personalised(body, mimetype, placeholder)
            placeholder = _new_placeholder()
            g.csrf_placeholder, g.page_cache_meta = placeholder, {}
            try:
                response = current_app.make_response(view(*args, **kwargs))
            finally:
                g.csrf_placeholder = None
            if response.status_code != 200 or response.direct_passthrough:
                return response
            body = response.get_data(as_text=True)
            if _may_share() and not _holds_a_real_token(body):
                cache.set(key, (body, response.mimetype, g.page_cache_meta, placeholder),
                          timeout=current_app.config["PAGE_CACHE_SECONDS"])
            return _personalised(body, response.mimetype, placeholder)
        return serve
    return decorator


def _may_share() -> bool:
    return (current_app.config["PAGE_CACHE_SECONDS"] > 0 and request.method == "GET"
            and "_user_id" not in session and "_flashes" not in session)


def _holds_a_real_token(body: str) -> bool:
    token = g.get("csrf_token")  # flask_wtf keeps the request's signed token here once made
    return bool(token) and token in body


def _personalised(body: str, mimetype: str, placeholder: str) -> Response:
    """The shared page with the reader's token in the attributes that held the placeholder."""
    attribute = f'value="{placeholder}"'
    if attribute in body:
        body = body.replace(attribute, f'value="{generate_csrf()}"')
    return Response(body, mimetype=mimetype)
