"""What every request shares: the unit of work, security and cache headers, template helpers, errors."""
import re

from flask import Flask, current_app, flash, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import clock, equal_time, formatting, mail, page_cache, permissions
from portal.accounts.models import ROLE_LABELS
from portal.consultations import view_counter
from portal.extensions import db
from portal.forms import CSRF_EXPIRED_MESSAGE, errors_in_page_order
from portal.forum.models import reference as draft_reference

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app: Flask) -> None:
    app.after_request(commit_unit_of_work)
    app.teardown_request(equal_time.hold_the_answer)  # after the commit and the delivery
    view_counter.init_app(app)
    app.after_request(set_security_headers)
    app.after_request(set_cache_headers)
    _register_template_helpers(app)
    _register_error_pages(app)


def commit_unit_of_work(response):
    """The one place a request's changes are committed: only when the response succeeded.

    Models and services never commit; a failed response (4xx/5xx) rolls everything back. A
    request that wrote nothing is not committed at all: a commit would only expire every object
    it loaded (75 comments and their authors on a thread page) for nothing; the session's close
    at the end of the request ends its read-only transaction.
    """
    if response.status_code < 400:
        if _wrote_something():
            db.session.commit()
        mail.deliver_queued_after_commit()
        view_counter.flush_if_due()
    else:
        db.session.rollback()
        g.pop("queued_mail", None)
    return response


def _wrote_something() -> bool:
    if not db.session.registry.has():
        return False  # no session began (a page served without the database): none is made to ask
    session = db.session()
    return bool(session.info.get("wrote") or session.new or session.dirty or session.deleted)


@event.listens_for(Session, "after_flush")
def _remember_flush(session, flush_context):
    session.info["wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _remember_statement(state):
    # UPDATE/INSERT/DELETE statements and text() run through the session count as writes;
    # SELECTs (FOR UPDATE too: the lock ends with the transaction) do not.
    if not state.is_select:
        state.session.info["wrote"] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session, transaction):
    # Only when the whole transaction ends: a savepoint's release or rollback (begin_nested)
    # ends an inner transaction, and what was written before it still needs the commit.
    if transaction.parent is None:
        session.info.pop("wrote", None)


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


# `flask digest compile` names copies of static files "main-<md5 of the content>.css".
FINGERPRINTED = re.compile(r"-[0-9a-f]{32}\.[^/]+$")
A_YEAR = 365 * 24 * 3600


# The back office (staff, moderators, admins): no response from there is stored, whoever asked.
PRIVATE_AREAS = ("/zespol/", "/moderacja/", "/admin/")


def set_cache_headers(response):
    """Fingerprinted static files are cached for a year; nothing shown to a signed-in person is stored.

    A fingerprinted name changes whenever the file does, so browsers and proxies may keep it
    forever. Pages for a signed-in person carry their name and often others' personal data:
    `no-store` keeps them out of every cache (and the back button after logout). Nothing under
    the back office's addresses (PRIVATE_AREAS) is stored either, whoever asked: one rule for
    all its blueprints.
    """
    if request.endpoint == "static":
        if FINGERPRINTED.search((request.view_args or {}).get("filename", "")):
            response.cache_control.no_cache = None  # werkzeug's default for files without max_age
            response.cache_control.public = True
            response.cache_control.max_age = A_YEAR
            response.cache_control.immutable = True
        else:
            response.cache_control.no_cache = True  # revalidate (ETag) — the name doesn't change
        return response
    response.vary.add("Cookie")  # language, sign-in and flashed messages live in the session cookie
    if current_user.is_authenticated or request.path.startswith(PRIVATE_AREAS):
        response.headers["Cache-Control"] = "no-store"
    return response


def content_lang() -> Markup:
    """` lang="pl"` for an element holding text people wrote in the consultations' language
    (comments, names, titles, the draft), when the interface speaks another one; else nothing.

    WCAG 3.1.2: a screen reader then reads Polish text in Polish inside an English page. In the
    Polish interface the page's own `<html lang>` already says it. Used as `<p{{ content_lang() }}>`.
    """
    language = current_app.config["CONTENT_LANGUAGE"]
    if str(get_locale()) == language:
        return Markup("")
    return Markup(' lang="%s"') % escape(language)


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        local_date=formatting.local_date,
        local_datetime=formatting.local_datetime,
        local_time=formatting.local_time,
        end_date=formatting.end_date,
        phase_when=formatting.phase_when,
        iso=formatting.iso,
        relative=formatting.relative,
        number=formatting.number,
        errors_in_page_order=errors_in_page_order,
    )
    app.jinja_env.globals.update(
        permissions=permissions,
        current_locale=lambda: str(get_locale()),
        content_lang=content_lang,
        now_utc=clock.now_utc,
        csrf_expired_message=CSRF_EXPIRED_MESSAGE,
        role_names=ROLE_LABELS,
        reference=draft_reference,  # "§ 3 ust. 2", "Rozdział 1 § 2": the draft's units as written
        paragraph_labels={},        # a thread page passes its paragraphs' labels
        shared_slot=page_cache.slot,  # page_cache: parts a shared page holds in two versions
        sharing_for_participants=page_cache.sharing_for_participants,
        as_participant=page_cache.as_participant,
        READER_ORGANISATION=page_cache.ORGANISATION,
    )


def _register_error_pages(app: Flask) -> None:
    def render_error(status: int):
        def handler(error):
            return render_template("errors/error.html", status=status, error=error), status
        return handler

    for status in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(status, render_error(status))
    app.register_error_handler(CSRFError, render_error(400))


def flash_outcome(changed: bool, done_message: str, unchanged_message: str | None = None) -> None:
    """Say what a change did, or (as a notice) that there was nothing to change."""
    if changed:
        flash(done_message, "success")
    else:
        flash(unchanged_message or _("Bez zmian: ten stan był już ustawiony."), "info")
