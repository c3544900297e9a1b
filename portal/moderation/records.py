"""What moderation leaves behind: the staff's log of actions and the public transparency page.

The log (/moderacja/dziennik) reads the append-only audit log: newest first, 50 a page, filtered
by who acted, what they did, whom it concerned and when (local days, Europe/Warsaw). The same
rows can be taken out as CSV (every cell through `safe_cell`); taking them out is itself logged,
because the file carries personal data. Nothing here changes or deletes a log row — there is no
route for that, and the ORM refuses it anyway (portal.audit.AppendOnlyError).

The transparency page (/konsultacje/<slug>/moderacja) is public: how many comments were sent,
published, rejected (and why, by reason label), hidden, still waiting; how many threads are
locked. Numbers only — no names, no texts. One query.
"""
from __future__ import annotations

from flask import make_response, render_template, request
from flask_login import current_user

from portal import audit, bad_input, clock, pagination, permissions
from portal.consultations.lookup import consultation_or_404
from portal.downloads import streamed_response
from portal.moderation.log import (
    SYSTEM,
    LogFilter,
    ModerationLog,
    csv_chunks,
    log_export,
    log_page,
    log_rows,
    moderator_choices,
)
from portal.moderation.log_words import ACTION_GROUPS
from portal.moderation.statistics import MODE_DESCRIPTIONS, transparency_numbers
from portal import page_cache


# --- Staff views -------------------------------------------------------------------------------

def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@permissions.require(permissions.is_staff)
def log():
    log_filter = LogFilter.from_args(request.args)
    page = log_page(log_filter, pagination.requested_page())
    response = make_response(render_template(
        "moderation/log.html", page=page, log_filter=log_filter, moderators=moderator_choices(),
        action_groups=ACTION_GROUPS, system=SYSTEM))
    return _no_store(response)


@permissions.require(permissions.is_staff)
def log_csv():
    log_filter = LogFilter.from_args(request.args)
    if log_filter.errors:  # e.g. a date out of range: no export of something not asked for
        bad_input.refuse(400, " ".join(log_filter.errors.values()))
    export = log_export(log_filter)
    # Who took personal data (names, comments' texts) out of the system, and when (GDPR).
    audit.record(current_user._get_current_object(), "moderation_log_exported", ModerationLog(), "",
                 after={"rows": export.rows, "filter": log_filter.args()})
    stamp = clock.to_local(clock.now_utc()).strftime("%Y-%m-%d")
    # Sent while it is written, its rows read in batches: a log of 50,000 rows is never in memory whole.
    return streamed_response(csv_chunks(log_rows(export)), f"dziennik-moderacji-{stamp}.csv", private=True)


# --- Transparency (public) ---------------------------------------------------------------------

@page_cache.shared_with_anonymous_readers()
def transparency(slug: str):
    consultation = consultation_or_404(slug)
    return render_template("moderation/transparency.html", consultation=consultation,
                           numbers=transparency_numbers(consultation),
                           mode=MODE_DESCRIPTIONS.get(consultation.moderation_mode, ""), now=clock.now_utc())
