"""The report's comments for its files (CSV, XLSX, JSON), read from the database in batches.

The files of a consultation with 10,000 comments are sent while they are made: the comments
come one by one from a streamed query (`yield_per`: a server-side cursor on PostgreSQL) and
each is forgotten once written, so a worker's memory does not grow with the report.

- The comments, their order and their numbers are exactly those of
  `services.report_comments(...).comments` (the report page's): the same query, and the same
  numbering — a stored number as it is; before the first publication the place in the report;
  after it, a comment not numbered yet gets the next number after the highest stored one
  (asked first, with one aggregate). A test compares the two readers row for row.
- Who may download is decided by the views as for the report page (`publishing.report_shown`),
  before anything is sent.
"""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from portal.extensions import db
from portal.forum.models import Post
from portal.reports.services import REPORT_ORDER, ReportComment, _change_links, comment_rows, in_report, numbered_comments

BATCH = 500  # comments read from the database at a time


def report_comments_in_batches(consultation_id: int, batch: int | None = None) -> Iterator[ReportComment]:
    """The report's comments in report order, as `services.report_comments` gives them, read
    `batch` (BATCH) at a time: three queries whatever their number (the highest stored number,
    the changes they led to, the comments)."""
    last_given = db.session.scalar(
        select(func.max(Post.report_number)).join(Post.thread).where(*in_report(consultation_id)))
    changes, change_labels = _change_links(consultation_id)
    rows = db.session.execute(_comments_query(consultation_id).execution_options(yield_per=batch or BATCH))
    yield from numbered_comments(rows, last_given, changes, change_labels)


def _comments_query(consultation_id: int):
    """`services.report_comments`' query: each comment with its section, paragraph and answer."""
    return comment_rows().where(*in_report(consultation_id)).order_by(*REPORT_ORDER)
