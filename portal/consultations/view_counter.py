"""Page views tallied in memory and added to the database in batches.

One UPDATE per view would make the consultation row a write hot-spot on the day a large city
opens a consultation (every reader of the announcement writes the same row). Instead each
process keeps a tally per consultation and adds it with a single
`UPDATE consultation SET view_count = view_count + n` once the oldest unwritten view is
VIEW_COUNT_FLUSH_SECONDS old (checked right after each request's commit), and when the process
exits. Nothing is lost or counted twice:
the tally is taken out under a lock before it is written and put back if the write fails.
A visitor sees the stored number plus this process's tally, so their own view shows at once;
across several processes the number is exact within the flush interval.
"""
from __future__ import annotations

import atexit
import threading
from collections import Counter
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import update

from portal import clock
from portal.consultations.models import Consultation
from portal.extensions import db

_lock = threading.Lock()
_tally: Counter[int] = Counter()
_oldest: datetime | None = None  # when the oldest view in the tally happened


def record(consultation_id: int) -> None:
    global _oldest
    with _lock:
        if not _tally:
            _oldest = clock.now_utc()
        _tally[consultation_id] += 1


def record_many(consultation_id: int, views: int) -> None:
    """(Lock held.) Put views back into the tally."""
    global _oldest
    if not _tally:
        _oldest = clock.now_utc()
    _tally[consultation_id] += views


def pending(consultation_id: int) -> int:
    with _lock:
        return _tally.get(consultation_id, 0)


def flush_if_due() -> int:
    """Write the tally once its oldest view is older than the interval; returns views written."""
    interval = current_app.config["VIEW_COUNT_FLUSH_SECONDS"]
    with _lock:
        if not _tally or (clock.now_utc() - _oldest).total_seconds() < interval:
            return 0
        batch = _take()
    return _write(batch)


def _take() -> dict[int, int]:
    """The whole tally, removed (call with the lock held)."""
    global _oldest
    batch = dict(_tally)
    _tally.clear()
    _oldest = None
    return batch


def flush() -> int:
    """Write the whole tally now (process exit, tests, CLI)."""
    with _lock:
        batch = _take()
    return _write(batch)


def _write(batch: dict[int, int]) -> int:
    if not batch:
        return 0
    try:
        for consultation_id, views in sorted(batch.items()):
            db.session.execute(update(Consultation).where(Consultation.id == consultation_id)
                               .values(view_count=Consultation.view_count + views))
        db.session.commit()
    except Exception:
        db.session.rollback()
        with _lock:
            for consultation_id, views in batch.items():  # try again with the next flush
                record_many(consultation_id, views)
        current_app.logger.exception("view counts not written; kept for the next flush")
        return 0
    return sum(batch.values())


def reset() -> None:
    """Forget the tally (tests: each test has a database of its own)."""
    with _lock:
        _take()


def init_app(app: Flask) -> None:
    def flush_at_exit():
        with app.app_context():
            flush()
    atexit.register(flush_at_exit)
