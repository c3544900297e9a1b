"""The office's legal pages: privacy notice, accessibility statement, easy-to-read text, PJM.

Admins edit them in the back office; every publication is a new numbered row (nothing is
overwritten), so the version a person accepted can always be read again. Until the first
publication the built-in texts (templates/pages/*) are shown; the first visit to the admin
page stores them as version 1 (see `ensure_first_version`).
"""
from __future__ import annotations

import enum
import re
from datetime import date, datetime

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal import audit, clock
from portal.extensions import db
from portal.sanitize import render_markdown
from portal.types import UTCDateTime, enum_column
from portal.urls import is_local_path


class LegalKind(enum.Enum):
    PRIVACY = "privacy"
    ACCESSIBILITY = "accessibility"
    EASY_READ = "easy_read"
    SIGN_LANGUAGE = "sign_language"


class LegalDocument(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LegalKind] = mapped_column(enum_column(LegalKind, 20))
    version: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    body_html: Mapped[str] = mapped_column(Text, default="")  # render_markdown(body)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # PJM: a recording (a file on this site, or a link elsewhere) and its captions file.
    video_url: Mapped[str] = mapped_column(String(500), default="")
    captions_url: Mapped[str] = mapped_column(String(500), default="")
    # Accessibility statement: the dates the official template asks for (the review date is
    # the publication of the version itself).
    site_published_on: Mapped[date | None] = mapped_column(Date)
    site_updated_on: Mapped[date | None] = mapped_column(Date)
    statement_prepared_on: Mapped[date | None] = mapped_column(Date)
    # Privacy notice: the lawful basis for recording meetings ("consent" or "public_task") and,
    # under consent, how a person who refuses takes part ("camera_off" or "listener"). The
    # sign-up forms read them from the version they show (portal/registrations/recording.py).
    recording_basis: Mapped[str] = mapped_column(String(20), default="consent")
    recording_refusal: Mapped[str] = mapped_column(String(20), default="camera_off")

    __table_args__ = (UniqueConstraint("kind", "version"),)

    @property
    def label(self) -> str:
        """What registrations and accounts store: number and date, e.g. "2 (2026-12-06)"."""
        return f"{self.version} ({clock.to_local(self.published_at).date().isoformat()})"

    @property
    def embeds_video(self) -> bool:
        """A recording on this site plays in the page; one elsewhere is a link (the CSP allows
        media from this site only)."""
        return is_local_path(self.video_url)


def latest(kind: LegalKind) -> LegalDocument | None:
    return db.session.scalar(select(LegalDocument).where(LegalDocument.kind == kind)
                             .order_by(LegalDocument.version.desc()).limit(1))


def version_of(kind: LegalKind, number: int) -> LegalDocument | None:
    return db.session.scalar(select(LegalDocument).where(LegalDocument.kind == kind,
                                                         LegalDocument.version == number))


def history(kind: LegalKind) -> list[LegalDocument]:
    return list(db.session.scalars(select(LegalDocument).where(LegalDocument.kind == kind)
                                   .order_by(LegalDocument.version.desc())))


def current_privacy_version() -> str:
    """The privacy notice version a person accepts now: the latest published one's label, or
    the configured label of the built-in text while nothing has been published."""
    document = latest(LegalKind.PRIVACY)
    return document.label if document else current_app.config["PRIVACY_NOTICE_VERSION"]


def publish(kind: LegalKind, actor, title: str, body: str, **details) -> LegalDocument:
    """Add the next version of a page, published now, with an audit row.

    Two admins publishing at once both read the same highest number; the (kind, version) unique
    index refuses the second insert, which then takes the next number (in a savepoint).
    """
    for _attempt in range(5):
        number = (db.session.scalar(select(func.max(LegalDocument.version))
                                    .where(LegalDocument.kind == kind)) or 0) + 1
        document = LegalDocument(kind=kind, version=number, title=title.strip(), body=body,
                                 body_html=str(render_markdown(body)), published_at=clock.now_utc(),
                                 created_by_id=getattr(actor, "id", None), **details)
        try:
            with db.session.begin_nested():
                db.session.add(document)
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError(f"could not number a new version of {kind.value}")
    audit.record(actor, "legal_page_published", document,
                 after={"kind": kind.value, "version": number, "title": document.title})
    return document


def ensure_first_version(kind: LegalKind) -> LegalDocument:
    """The latest version; on first use, the built-in text stored as version 1 (no author)."""
    document = latest(kind)
    if document is not None:
        return document
    from portal.pages import legal_defaults  # renders templates: needs the app

    title, body, details = legal_defaults.first_version(kind)
    return publish(kind, None, title, body, **details)


_DATE_TOKEN = re.compile(r"\{(data-publikacji|data-aktualizacji|data-sporzadzenia|data-przegladu)\}")
_DATE_SPAN_IDS = {"data-publikacji": "a11y-data-publikacja", "data-aktualizacji": "a11y-data-aktualizacja",
                  "data-sporzadzenia": "a11y-data-sporzadzenie", "data-przegladu": "a11y-data-deklaracja-przeglad"}


def statement_dates(document: LegalDocument) -> dict[str, date | None]:
    return {"data-publikacji": document.site_published_on, "data-aktualizacji": document.site_updated_on,
            "data-sporzadzenia": document.statement_prepared_on,
            "data-przegladu": clock.to_local(document.published_at).date()}


def statement_html(document: LegalDocument) -> Markup:
    """The sanitised statement with its date tokens ({data-publikacji} ...) marked up as the
    official template requires: <span id="a11y-data-...">yyyy-mm-dd</span>."""
    dates = statement_dates(document)

    def span(match: re.Match) -> str:
        value = dates[match.group(1)]
        return (f'<span id="{_DATE_SPAN_IDS[match.group(1)]}">'
                f'{escape(value.isoformat() if value else "")}</span>')

    return Markup(_DATE_TOKEN.sub(span, document.body_html))
