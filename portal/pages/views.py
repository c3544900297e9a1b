"""Site-wide pages: the legal pages (privacy, accessibility, easy-to-read, PJM) and their versions,
language switch, health check."""
import threading

from flask import abort, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.pages import legal, legal_defaults
from portal.pages.legal import LegalDocument, LegalKind
from portal.registrations import recording
from portal.sanitize import render_markdown
from portal.urls import local_path_or


# The legal pages' addresses and endpoints; each shows its latest published version
# (portal/pages/legal.py), and its history under <address>/wersje.
LEGAL_PAGES = {
    "ochrona-danych-osobowych": LegalKind.PRIVACY,
    "deklaracja-dostepnosci": LegalKind.ACCESSIBILITY,
    "tekst-latwy-do-czytania": LegalKind.EASY_READ,
    "polski-jezyk-migowy": LegalKind.SIGN_LANGUAGE,
}
PAGE_OF_KIND = {kind: page for page, kind in LEGAL_PAGES.items()}
ENDPOINTS = {LegalKind.PRIVACY: "privacy", LegalKind.ACCESSIBILITY: "accessibility",
             LegalKind.EASY_READ: "easy_read", LegalKind.SIGN_LANGUAGE: "sign_language"}


def privacy_notice_version() -> str:
    return legal.current_privacy_version()


def legal_page_url(kind: LegalKind | str) -> str:
    return url_for(f"pages.{ENDPOINTS[LegalKind(kind)]}")




def legal_page(page: str):
    """The latest published version; the built-in text while nothing has been published."""
    kind = LEGAL_PAGES[page]
    document = legal.latest(kind)
    if document is None:
        return _built_in(kind)
    return _document_page(document, document)


def legal_history(page: str):
    kind = LEGAL_PAGES[page]
    return render_template("pages/legal_history.html", kind=kind, documents=legal.history(kind))


def legal_version(page: str, number: int):
    kind = LEGAL_PAGES[page]
    document = legal.version_of(kind, number)
    if document is None:
        abort(404)
    return _document_page(document, legal.latest(kind))


def _document_page(document: LegalDocument, latest: LegalDocument):
    """A stored version; the privacy notice's recording part is that version's, printed under
    the text (the one partial the sign-up forms show too)."""
    notice = recording.notice_of(document) if document.kind is LegalKind.PRIVACY else None
    return render_template("pages/legal_document.html", document=document, latest=latest, recording=notice)


def _built_in(kind: LegalKind):
    if kind is LegalKind.PRIVACY:
        return render_template("pages/privacy.html", recording=recording.current())
    if kind is LegalKind.ACCESSIBILITY:
        return render_template("pages/accessibility.html")
    title, body, _details = legal_defaults.first_version(kind)
    return render_template("pages/legal_built_in.html", title=title, body_html=render_markdown(body))


def set_language():
    language = request.form.get("lang", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = language
    return redirect(local_path_or(request.form.get("next"), url_for("consultations.home")))


def healthz():
    """For load balancers: 200 while this worker can reach the database, 503 otherwise.

    The check runs in a thread of its own and is waited for at most HEALTHZ_TIMEOUT seconds, so
    a database that accepts connections but never answers gives 503 in time, not a hung worker.
    A thread left waiting ends by itself at DATABASE_CONNECT_TIMEOUT or the pool's timeout (one
    on a pooled connection whose server stops answering mid-query waits until TCP gives up; at
    most the pool's size of them, since the others then wait for the pool).
    """
    engine, logger = db.engine, current_app.logger
    outcome: list[bool] = []

    def check() -> None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            outcome.append(True)
        except SQLAlchemyError:
            logger.exception("health check: the database is unreachable")

    worker = threading.Thread(target=check, name="healthz", daemon=True)
    worker.start()
    worker.join(float(current_app.config["HEALTHZ_TIMEOUT"]))
    if not outcome:
        if worker.is_alive():
            logger.error("health check: the database did not answer within %s s",
                         current_app.config["HEALTHZ_TIMEOUT"])
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
