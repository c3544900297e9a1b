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

Signed-in participants share pages too, where a view says how (`participants=`, a
`Participants`): during a consultation they are the readers who matter, and a page rendered for
each of them costs 20–70 times a shared one. Their pages are rendered once for a stand-in — a
verified participant with no organisation, no comments and nothing followed (`STAND_IN_ID`) —
and kept under the language, the path and the page version (portal.page_versions: it goes up
with every committed change such a page shows, so a comment, an edit, a moderator's decision or
an answer is there at once, whichever worker answers). One query reads the reader: their
account, the page version and the view's `columns` (accounts.sessions.signed_in_reader) — or
none, where the worker remembers them and knows of no change since (page_versions.Listener);
the account is not loaded through the ORM and no second query loads it for `current_user`.
The view's `reader(user, row, **view_args)` then says how their page differs (`Reader`): which
named slots take their alternative text (a slot holds both, written by the template through
`slot()` while the page is rendered for sharing) and which placeholders take the reader's own
text; or None, and the page is rendered for that person alone (as it is for staff, an
unverified or blocked account, flashed messages). The reader's id goes into `data-draft-owner`
and their CSRF token where the placeholder stands, as for anonymous readers.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property, wraps

from flask import Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Integer, Row, bindparam

from portal import page_versions, permissions
from portal.extensions import cache

_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)  # the stand-in's "verified at"

PLACEHOLDER_PREFIX = "csrf-placeholder-"
STAND_IN_ID = 0  # no account has it: the stand-in's id, never equal to an author's or a follower's
_SLOT = re.compile(r"<!--(/?)slot:([A-Za-z0-9_.-]+)-->")
ORGANISATION = "__wspolnie_reader_organisation__"  # stands for the reader's organisation's name


@dataclass(frozen=True)
class Reader:
    """How a signed-in participant's page differs from the shared one (see the module docstring)."""

    slots: frozenset[str] = frozenset()                  # slots that show their alternative ("u7": all "u7.*")
    texts: dict[str, str] = field(default_factory=dict)  # placeholder -> the reader's own text (escaped here)


READER_ID = bindparam("reader_id", type_=Integer)  # the signed-in reader's id in `Participants.columns`


class Participants:
    """`participants=` of a shared page: what to read about a signed-in participant, and how their
    page differs from the shared one. This class as it is: only in what every page fills in."""

    def columns(self) -> dict[str, ColumnElement]:
        """SQL expressions about the reader (`READER_ID`; the view's arguments as `bindparam(name)`),
        read with their account in one query and named so in its row."""
        return {}

    @cached_property
    def query(self):
        """The one statement that reads each reader of the page (built once, run with their id)."""
        from portal.accounts import sessions

        return sessions.reader_query(READER_ID, page_version=page_versions.current(), **self.columns())

    def reader(self, user, row: Row, **view_args) -> Reader | None:
        """How `user`'s page differs (`row` holds `columns`); None: render the page for them alone."""
        return Reader()


EVERY_PARTICIPANT = Participants()


def slot(name: str, shown, other) -> Markup:
    """`shown` in the page; while rendering for sharing, also `other`, for readers who see that instead."""
    slots = g.get("page_cache_slots")
    if slots is None:
        return Markup(shown)
    if str(other) != str(shown):
        slots[name] = str(other)
    return Markup(f"<!--slot:{name}-->{shown}<!--/slot:{name}-->")


def sharing_for_participants() -> bool:
    """True while a page is rendered to be shared by participants (templates leave personal parts out)."""
    return g.get("page_cache_slots") is not None


def csrf_token() -> str:
    """The templates' `csrf_token()`: a placeholder while a page is rendered for the cache."""
    return g.get("csrf_placeholder") or generate_csrf()


def _new_placeholder() -> str:
    # Unguessable, and made after every comment on the page was written: nobody can type it.
    return PLACEHOLDER_PREFIX + secrets.token_urlsafe(24)


def shared_with_anonymous_readers(on_hit=None, participants: Participants | None = None):
    """View decorator: serve anonymous GETs from the cache; `on_hit(meta, **view_args)` runs on a hit.

    A view may put small values into `g.page_cache_meta` while rendering (e.g. the consultation's
    id, for counting a view); they are stored with the page and given to `on_hit`.
    `participants`: share the page with signed-in participants too (see `Participants`).
    """
    def decorator(view):
        @wraps(view)
        def serve(*args, **kwargs):
            if _may_share():
                # "page2": entries also hold their placeholder; a shared Redis may still hold old ones.
                return _serve_shared(view, args, kwargs, f"page2:{get_locale()}:{request.full_path}", on_hit)
            if participants is not None and _shareable_request():
                shared = _participant_reader(participants, kwargs)
                if shared is not None:
                    version, reader = shared
                    return _serve_shared(view, args, kwargs, f"pp2:{version}:{get_locale()}:{request.full_path}",
                                         on_hit, reader)
            return view(*args, **kwargs)
        return serve
    return decorator


def _shareable_request() -> bool:
    """Sharing is on, the request only reads, and no message waits for this reader."""
    return current_app.config["PAGE_CACHE_SECONDS"] > 0 and request.method == "GET" and "_flashes" not in session


def _may_share() -> bool:
    """Shared with anonymous readers: a shareable request by nobody signed in."""
    return _shareable_request() and "_user_id" not in session


def _participant_reader(participants: Participants, view_args: dict) -> tuple[int, Reader] | None:
    """(page version, Reader) of the signed-in participant, read in one query; they are `current_user`
    from now on (no query loads them again). None: not a participant who shares this page."""
    from portal.accounts import sessions

    key = sessions.login_in_this_session()
    if key is None:
        return None
    found = sessions.signed_in_reader(key, participants.query, {**view_args, READER_ID.key: key[0]})
    if found is None:
        return None
    user, row = found
    if not permissions.is_verified_participant(user) or permissions.is_staff(user):
        return None  # Flask-Login loads them as usual, for a page of their own
    reader = participants.reader(user, row, **view_args)
    if reader is not None:
        g._login_user = user
    return None if reader is None else (row.page_version or 0, reader)


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
        page, mimetype, meta, placeholder = entry
        if on_hit is not None:
            on_hit(meta, **kwargs)
        return _personalised(_filled(page, meta, reader) if reader else page, mimetype, placeholder)
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
        if reader is None:
            return response
        g.pop("_login_user")  # Flask-Login loads the account for it
        return view(*args, **kwargs)
    body = response.get_data(as_text=True)
    page = body if reader is None else _cut(body, g.page_cache_meta)
    if (reader is not None or _may_share()) and not _holds_a_real_token(body):
        cache.set(key, (page, response.mimetype, g.page_cache_meta, placeholder),
                  timeout=current_app.config["PAGE_CACHE_SECONDS"])
    return _personalised(_filled(page, g.page_cache_meta, reader) if reader else page, response.mimetype,
                         placeholder)


_SLOT_BODY = re.compile(r"<!--slot:([A-Za-z0-9_.-]+)-->(.*?)<!--/slot:\1-->", re.S)


def _cut(body: str, meta: dict) -> list[str]:
    """The page shared by participants cut at its slots once, when it is kept, so that filling it
    in for a reader is a join: [text, slot name, shown, text, slot name, shown, …, text], every
    marker gone (from the alternatives in `meta` too)."""
    meta["slots"] = {name: _SLOT.sub("", other) for name, other in meta.get("slots", {}).items()}
    return [piece if index % 3 == 1 else _SLOT.sub("", piece) for index, piece in enumerate(_SLOT_BODY.split(body))]


def _filled(pieces: list[str], meta: dict, reader: Reader) -> str:
    """The shared page as this reader sees it: their slots, their texts, their id as the drafts' owner."""
    alternatives = meta["slots"]

    def chosen(name: str) -> bool:  # "u7.123": a slot of user 7's comment 123, chosen by "u7"
        return name in alternatives and (name in reader.slots or name.partition(".")[0] in reader.slots)

    shown = pieces.copy()
    for index in range(1, len(pieces), 3):
        name = pieces[index]
        shown[index] = ""
        if chosen(name):
            shown[index + 1] = alternatives[name]
    body = "".join(shown)
    for placeholder, text in reader.texts.items():
        body = body.replace(placeholder, str(escape(text)))
    return body.replace(f'data-draft-owner="{STAND_IN_ID}"', f'data-draft-owner="{current_user.id}"', 1)


def _holds_a_real_token(body: str) -> bool:
    token = g.get("csrf_token")  # flask_wtf keeps the request's signed token here once made
    return bool(token) and token in body


def _personalised(body: str, mimetype: str, placeholder: str) -> Response:
    """The shared page with the reader's token in the attributes that held the placeholder."""
    attribute = f'value="{placeholder}"'
    if attribute in body:
        body = body.replace(attribute, f'value="{generate_csrf()}"')
    return Response(body, mimetype=mimetype)
