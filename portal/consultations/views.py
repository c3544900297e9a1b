"""Public pages of consultations: the list, the announcement, its print view and PDF."""
from flask import Blueprint, abort, current_app, g, make_response, render_template, request, session

from portal import clock, permissions
from portal.consultations import pdf, services, view_counter
from portal import page_cache

bp = Blueprint("consultations", __name__)


@bp.get("/")
@page_cache.shared_with_anonymous_readers()
def home():
    current, archive = services.public_consultations()
    return render_template("consultations/home.html", current=current, archive=archive,
                           timeline=services.timeline)


def _count_shared_view(meta: dict, slug: str) -> None:
    _count_view_once(meta["consultation_id"])  # shared pages are published ones (a draft is 404)


@bp.get("/konsultacje/<slug>")
@page_cache.shared_with_anonymous_readers(on_hit=_count_shared_view)
def announcement(slug: str):
    page = _visible_announcement(slug)
    if page.consultation.is_published:
        _count_view_once(page.consultation.id)
        if "page_cache_meta" in g:
            g.page_cache_meta["consultation_id"] = page.consultation.id
    return render_template("consultations/announcement.html", page=page,
                           views=page.consultation.view_count + view_counter.pending(page.consultation.id),
                           timeline=services.timeline(page.consultation.phases))


@bp.get("/konsultacje/<slug>/druk")
def print_view(slug: str):
    page = _visible_announcement(slug)
    return render_template("consultations/print.html", page=page, print_layout=True,
                           timeline=services.timeline(page.consultation.phases))


@bp.get("/konsultacje/<slug>/pdf")
def pdf_view(slug: str):
    page = _visible_announcement(slug)
    html = render_template("consultations/print.html", page=page, for_pdf=True, print_layout=True,
                           timeline=services.timeline(page.consultation.phases))
    response = make_response(pdf.render(html))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{slug}.pdf"'
    return response


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
    session["seen"] = seen
