"""Public pages of consultations: the list, the announcement, its print view and PDF."""
from flask import abort, current_app, g, render_template, request, session
from flask_babel import get_locale
from markupsafe import escape

from portal import clock, permissions
from portal.consultations import pdf, services, view_counter
from portal import page_cache
from portal.downloads import file_response
from portal.extensions import cache, limiter
from portal.reports import counts


@page_cache.shared_with_anonymous_readers(participants=page_cache.EVERY_PARTICIPANT)
def home():
    current, archive = services.public_consultations()
    ids = [consultation.id for consultation in current + archive]
    return render_template("consultations/home.html", current=current, archive=archive,
                           timeline=services.timeline, comments=counts.comments_by_consultation(ids),
                           reports=services.published_reports(ids))


def _count_shared_view(meta: dict, slug: str) -> None:
    _count_view_once(meta["consultation_id"])  # shared pages are published ones (a draft is 404)


@page_cache.shared_with_anonymous_readers(on_hit=_count_shared_view, participants=page_cache.EVERY_PARTICIPANT)
def announcement(slug: str):
    page = _visible_announcement(slug)
    if page.consultation.is_published:
        _count_view_once(page.consultation.id)
        if "page_cache_meta" in g:
            g.page_cache_meta["consultation_id"] = page.consultation.id
    return render_template("consultations/announcement.html", page=page,
                           views=page.consultation.view_count + view_counter.pending(page.consultation.id),
                           timeline=services.timeline(page.consultation.phases))


def print_view(slug: str):
    page = _visible_announcement(slug)
    return render_template("consultations/print.html", page=page, print_layout=True,
                           timeline=services.timeline(page.consultation.phases))


@limiter.limit(lambda: current_app.config["PDF_LIMIT_PER_IP"])
def pdf_view(slug: str):
    """Rendered once per version of what it shows (see `_cached_pdf`), at most N a minute per address.

    Anonymous readers, like on the shared pages, are told which version is current for
    PAGE_CACHE_SECONDS without a query (`pdf-current:` names the cached PDF's key).
    """
    shared = page_cache._may_share()
    current = f"pdf-current:{get_locale()}:{slug}"
    document = None
    if shared:
        key = cache.get(current)
        document = cache.get(key) if key else None
    if document is None:
        page = _visible_announcement(slug)
        html = render_template("consultations/print.html", page=page, for_pdf=True, print_layout=True,
                               timeline=services.timeline(page.consultation.phases), as_of=PDF_AS_OF)
        key, document = _cached_pdf(page.consultation, html)
        if shared and current_app.config["PDF_CACHE_SECONDS"] > 0:
            cache.set(current, key, timeout=current_app.config["PAGE_CACHE_SECONDS"])
    return file_response(document, f"{slug}.pdf", inline=True)


# The PDF's "as of" date, filled in after the version is taken (it changes every minute).
PDF_AS_OF = "__wspolnie_pdf_as_of__"


def _cached_pdf(consultation, html: str) -> tuple[str, bytes]:
    """The cache key and the PDF of this HTML, from the shared cache when this version was rendered before.

    The version is a hash of the print HTML itself (without its "as of" date): whatever the
    PDF shows — texts, phases and their state, documents, groups, meetings, comment counts,
    language — changes it, and rendering that HTML costs milliseconds where WeasyPrint costs
    hundreds. A PDF served from the cache says "as of" the moment it was rendered.
    """
    def with_as_of(html: str) -> str:
        as_of = current_app.jinja_env.filters["local_datetime"](clock.now_utc(), consultation.timezone)
        return html.replace(PDF_AS_OF, str(escape(as_of)))

    return pdf.cached(str(consultation.id), html, with_as_of)


def _visible_announcement(slug: str) -> services.Announcement:
    page = services.load_announcement(slug)
    if page is None or not permissions.can_view_consultation(page.consultation):
        abort(404)
    return page


def _count_view_once(consultation_id: int) -> None:
    """Count a human's view once per browser session within the window (30 minutes)."""
    if not services.is_human_view(request.user_agent.string):
        return
    now = clock.now_utc()
    window = current_app.config["VIEW_COUNT_WINDOW"]
    seen = {key: at for key, at in session.get("seen", {}).items()
            if not services.should_count_view(at, now, window)}
    key = str(consultation_id)
    if services.should_count_view(seen.get(key), now, window):
        view_counter.record(consultation_id)
        seen[key] = now.timestamp()
    if seen != session.get("seen"):  # else the cookie stays as it is (not signed and sent again)
        session["seen"] = seen
