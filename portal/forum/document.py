"""The whole draft on one page (issue 14): every section and paragraph with its comments' counts.

The page costs the same few queries whatever the size of the draft: the consultation, its
comment window, the sections with their paragraphs and threads (one query), and every count
grouped by section and paragraph (one query), and the file the draft was imported from, if any
(one query, portal.forum.draft_source). A comment is counted as the report counts it
(`reports.counts.is_comment`): approved, top-level, not the office's reply.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, render_template
from flask_babel import get_locale
from markupsafe import escape
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from portal import clock, page_cache, permissions
from portal.consultations import pdf
from portal.consultations.lookup import consultation_or_404
from portal.consultations.models import Consultation, PhaseKind, phase_of
from portal.downloads import file_response
from portal.extensions import db, limiter
from portal.forum import draft_source
from portal.forum.models import DraftParagraph, DraftSection, Post, Thread, ThreadKind
from portal.reports import counts


@dataclass(frozen=True)
class CountedParagraph:
    paragraph: DraftParagraph
    comments: int


@dataclass(frozen=True)
class CountedSection:
    section: DraftSection
    thread: Thread | None     # its forum thread ("Uwagi do § N")
    comments: int             # on the whole section, with or without a paragraph named
    paragraphs: list[CountedParagraph]


def whole_draft_of(consultation: Consultation) -> list[CountedSection]:
    """The published draft, section by section, with the comments on each section and paragraph: two queries."""
    rows = db.session.execute(
        select(DraftSection, Thread)
        .outerjoin(Thread, and_(Thread.section_id == DraftSection.id, Thread.kind == ThreadKind.SECTION))
        .where(DraftSection.consultation_id == consultation.id)
        .options(joinedload(DraftSection.paragraphs))
        .order_by(DraftSection.number, Thread.id)
    ).unique().all()
    if not rows:
        return []
    per_paragraph = comments_per_paragraph(consultation.id)
    sections, seen = [], set()
    for section, thread in rows:
        if section.id in seen:  # a second section thread would be a mistake; the first one is the section's
            continue
        seen.add(section.id)
        counted = per_paragraph.get(section.id, {})
        sections.append(CountedSection(
            section, thread, sum(counted.values()),
            [CountedParagraph(p, counted.get(p.number, 0)) for p in section.paragraphs]))
    return sections


def comments_per_paragraph(consultation_id: int) -> dict[int, dict[int | None, int]]:
    """Section id -> {paragraph number (None: the whole section) -> comments}: one query."""
    rows = db.session.execute(
        select(Thread.section_id, Post.paragraph_number, func.count(Post.id))
        .select_from(Post).join(Thread, Thread.id == Post.thread_id)
        .where(counts.is_comment(consultation_id), Thread.kind == ThreadKind.SECTION,
               Thread.section_id.is_not(None))
        .group_by(Thread.section_id, Post.paragraph_number)
    ).all()
    counted: dict[int, dict[int | None, int]] = {}
    for section_id, paragraph_number, number in rows:
        counted.setdefault(section_id, {})[paragraph_number] = number
    return counted


@page_cache.shared_with_anonymous_readers(participants=page_cache.EVERY_PARTICIPANT)
def whole_draft(slug: str):
    """The draft document on one page; before publication, a short notice (still 200)."""
    consultation = consultation_or_404(slug)
    window = phase_of(consultation.id, PhaseKind.E_CONSULTATION)
    sections = whole_draft_of(consultation)
    return render_template("forum/document.html", consultation=consultation, window=window, sections=sections,
                           source=draft_source.source_of(consultation.id) if sections else None,
                           state=permissions.window_state(window, clock.now_utc()))


@limiter.limit(lambda: current_app.config["PDF_LIMIT_PER_IP"])
def draft_pdf(slug: str):
    """The whole draft as a PDF, rendered once per version (pdf.cached); 404 before publication."""
    consultation = consultation_or_404(slug)
    sections = whole_draft_of(consultation)
    if not sections:
        abort(404)
    html = render_template("forum/document_print.html", consultation=consultation, sections=sections,
                           as_of=PDF_AS_OF)

    def with_as_of(html: str) -> str:  # the moment WeasyPrint ran, not part of the version
        as_of = current_app.jinja_env.filters["local_datetime"](clock.now_utc(), consultation.timezone)
        return html.replace(PDF_AS_OF, str(escape(as_of)))

    _key, document = pdf.cached(f"draft:{consultation.id}:{get_locale()}", html, with_as_of)
    return file_response(document, f"{slug}-projekt-dokumentu.pdf", inline=True)


# The PDF's "as of" moment, filled in after the version is taken (it changes every minute).
PDF_AS_OF = "__wspolnie_draft_pdf_as_of__"
