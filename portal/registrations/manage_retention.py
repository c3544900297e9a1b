"""The back office's retention report: which consultations' registrants' data the scheduled sweep
erases now, and when it erases the others. Read only (a dry run of `flask retention-sweep`):
erasing is the scheduler's job, so the page shows what it will do and writes nothing.
"""
from __future__ import annotations

from flask import render_template

from portal import clock, permissions
from portal.registrations import retention


@permissions.require(permissions.is_admin)
def overview():
    now = clock.now_utc()
    months = retention.months_after_close()
    schedule = retention.retention_schedule(months)
    return render_template("registrations/retention.html", months=months, now=now,
                           due=[entry for entry in schedule if entry.is_due(now)],
                           upcoming=[entry for entry in schedule if not entry.is_due(now)])
