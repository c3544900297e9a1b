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

Signed-in participants share pages too, where a view says how (`participants=`): during a
consultation they are the readers who matter, and a page rendered for each of them costs 20–70
times a shared one. Their pages are rendered once for a stand-in — a verified participant with
no organisation, no comments and nothing followed (`STAND_IN_ID`) — and kept under the
language, the path and the page version (portal.page_versions: it goes up with every committed
change such a page shows, so a comment, an edit, a moderator's decision or an answer is there at
once, whichever worker answers). The view's `participants(user, **view_args)` looks at the
reader in one query and says how their page differs (`Reader`): which named slots take their
alternative text (a slot holds both, written by the template through `slot()` while the page is
rendered for sharing) and which placeholders take the reader's own text; or None, and the page
is rendered for that person alone (staff, an unverified or blocked account, someone with a
comment waiting for a moderator, flashed messages). The reader's id goes into
`data-draft-owner` and their CSRF token where the placeholder stands, as for anonymous readers.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import wraps

from flask import Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from portal import permissions
from portal.extensions import cache

_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)  # the stand-in's "verified at"

PLACEHOLDER_PREFIX = "csrf-placeholder-"
STAND_IN_ID = 0  # no account has it: the stand-in's id, never equal to an author's or a follower's
_SLOT = re.compile(r"<!--(/?)slot:([A-Za-z0-9_.-]+)-->")
ORGANISATION = "__wspolnie_reader_organisation__"  # stands for the reader's organisation's name


@dataclass(frozen=True)
class Reader:
    """How a signed-in participant's page differs from the shared one (see the module docstring)."""

    version: int                                         # the page version read with the reader's state
    slots: frozenset[str] = frozenset()                  # slots that show their alternative ("u7": all "u7.*")
    texts: dict[str, str] = field(default_factory=dict)  # placeholder -> the reader's own text (escaped here)


def slot(name: str, shown, other) -> Markup:
    """`shown` in the page; while rendering for sharing, also `other`, for readers who see that instead."""
    slots = g.get("page_cache_slots")
    if slots is None:
        return Markup(shown)
    if str(other) != str(shown):
        slots[name] = str(other)
    return Markup(f"<!--slot:{name}-->{shown}<!--/slot:{name}-->")


def version_only(user, **_view_args) -> Reader:
    """`participants=` of a page that differs between participants only in what every page fills in
    (the version came with the signed-in user: no query)."""
    return Reader(user.page_version)


def sharing_for_participants() -> bool:
    """True while a page is rendered to be shared by participants (templates leave personal parts out)."""
    return g.get("page_cache_slots") is not None


def csrf_token() -> str:
    """The templates' `csrf_token()`: a placeholder while a page is rendered for the cache."""
    return g.get("csrf_placeholder") or generate_csrf()


def _new_placeholder() -> str:
    # Unguessable, and made after every comment on the page was written: nobody can type it.
    return PLACEHOLDER_PREFIX + secrets.token_urlsafe(24)


def shared_with_anonymous_readers(on_hit=None, participants=None):
    """View decorator: serve anonymous GETs from the cache; `on_hit(meta, **view_args)` runs on a hit.

    A view may put small values into `g.page_cache_meta` while rendering (e.g. the consultation's
    id, for counting a view); they are stored with the page and given to `on_hit`.
    `participants(user, **view_args)`: share the page with signed-in participants too (a `Reader`,
    or None to render it for that person).
    """
    def decorator(view):
        @wraps(view)
        def serve(*args, **kwargs):
            if not _may_share():
                if participants is not None and _may_share_with_participant():
                    reader = participants(current_user._get_current_object(), **kwargs)
                    if reader is not None:
                        return _serve_shared(view, args, kwargs,
                                             f"pp1:{reader.version}:{get_locale()}:{request.full_path}", on_hit, reader)
                return view(*args, **kwargs)
            # "page2": entries also hold their placeholder; a shared Redis may still hold old ones.
            return _serve_shared(view, args, kwargs, f"page2:{get_locale()}:{request.full_path}", on_hit)
        return serve
    return decorator


def _may_share() -> bool:
    return (current_app.config["PAGE_CACHE_SECONDS"] > 0 and request.method == "GET"
            and "_user_id" not in session and "_flashes" not in session)


def _may_share_with_participant() -> bool:
    return (current_app.config["PAGE_CACHE_SECONDS"] > 0 and request.method == "GET"
            and "_flashes" not in session and permissions.is_verified_participant(current_user)
            and not permissions.is_staff(current_user))


def stand_in():
    """The participant a shared page is rendered for: verified, no organisation, owns and follows nothing."""
    from portal.accounts.models import Role, User

    return User(id=STAND_IN_ID, role=Role.PARTICIPANT, display_name="", email="",
                email_verified_at=_EPOCH, session_version=1, organisation=None)


def as_participant(user_id: int):
    """A verified participant with this id, for a slot's alternative as its author would see it."""
    user = stand_in()
    user.id = user_id
    return user


def _serve_shared(view, args, kwargs, key: str, on_hit, reader: Reader | None = None):
    """The page under `key` from the cache, or rendered and kept there: for anonymous readers, or
    (`reader`) rendered for the stand-in participant and filled in for this one."""
    entry = cache.get(key)
    if entry is not None:
        body, mimetype, meta, placeholder = entry
        if on_hit is not None:
            on_hit(meta, **kwargs)
        return _personalised(_filled(body, meta, reader) if reader else body, mimetype, placeholder)
    placeholder = _new_placeholder()
    g.csrf_placeholder, g.page_cache_meta = placeholder, {}
    if reader is not None:
        reader_user, g._login_user, g.page_cache_slots = g._login_user, stand_in(), {}
    try:
        response = current_app.make_response(view(*args, **kwargs))
    finally:
        g.csrf_placeholder = None
        if reader is not None:
            g._login_user = reader_user
            g.page_cache_meta["slots"] = g.pop("page_cache_slots", {})
    if response.status_code != 200 or response.direct_passthrough:
        # An error page or a redirect is not kept; a participant's is rendered as their own.
        return response if reader is None else view(*args, **kwargs)
    body = response.get_data(as_text=True)
    if (reader is not None or _may_share()) and not _holds_a_real_token(body):
        cache.set(key, (body, response.mimetype, g.page_cache_meta, placeholder),
                  timeout=current_app.config["PAGE_CACHE_SECONDS"])
    return _personalised(_filled(body, g.page_cache_meta, reader) if reader else body, response.mimetype,
                         placeholder)


def _filled(body: str, meta: dict, reader: Reader) -> str:
    """The shared page as this reader sees it: their slots, their texts, their id as the drafts' owner."""
    alternatives = meta.get("slots", {})

    def chosen(name: str) -> bool:  # "u7.123": a slot of user 7's comment 123, chosen by "u7"
        return name in alternatives and (name in reader.slots or name.partition(".")[0] in reader.slots)

    def swap(match: re.Match) -> str:
        return alternatives[match.group(1)] if chosen(match.group(1)) else match.group(2)

    if any(chosen(name) for name in alternatives):
        body = _SLOT_BODY.sub(swap, body)
    body = _SLOT.sub("", body)
    for placeholder, text in reader.texts.items():
        body = body.replace(placeholder, str(escape(text)))
    return body.replace(f'data-draft-owner="{STAND_IN_ID}"', f'data-draft-owner="{current_user.id}"', 1)


_SLOT_BODY = re.compile(r"<!--slot:([A-Za-z0-9_.-]+)-->(.*?)<!--/slot:\1-->", re.S)


def _holds_a_real_token(body: str) -> bool:
    token = g.get("csrf_token")  # flask_wtf keeps the request's signed token here once made
    return bool(token) and token in body


def _personalised(body: str, mimetype: str, placeholder: str) -> Response:
    """The shared page with the reader's token in the attributes that held the placeholder."""
    attribute = f'value="{placeholder}"'
    if attribute in body:
        body = body.replace(attribute, f'value="{generate_csrf()}"')
    return Response(body, mimetype=mimetype)
