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
from sqlalchemy.orm import contains_eager

from portal.extensions import db
from portal.forum.models import DraftParagraph, DraftSection, Post, Thread
from portal.reports.models import Answer, AnsweredComment
from portal.reports.services import REPORT_ORDER, ReportComment, _change_links, in_report

BATCH = 500  # comments read from the database at a time


def report_comments_in_batches(consultation_id: int, batch: int | None = None) -> Iterator[ReportComment]:
    """The report's comments in report order, as `services.report_comments` gives them, read
    `batch` (BATCH) at a time: three queries whatever their number (the highest stored number,
    the changes they led to, the comments)."""
    last_given = db.session.scalar(
        select(func.max(Post.report_number)).join(Post.thread).where(*in_report(consultation_id)))
    numbered = last_given is not None  # after the first publication
    changes, change_labels = _change_links(consultation_id)
    first_with_answer: dict[int, int] = {}
    rows = db.session.execute(_comments_query(consultation_id).execution_options(yield_per=batch or BATCH))
    for position, (post, section_number, section_title, answer, section_label, paragraph_label) in enumerate(
            rows, start=1):
        if post.report_number is not None:
            number = post.report_number
        elif not numbered:
            number = position
        else:
            last_given += 1
            number = last_given
        comment = ReportComment(
            number=number, post=post, thread=post.thread, section_number=section_number,
            section_title=section_title if section_number is not None else post.thread.title,
            answer=answer, changed_sections=changes.get(post.id, []), changed_labels=change_labels.get(post.id, []),
            section_label=section_label or "", paragraph_label=paragraph_label or "")
        if answer is not None:
            first = first_with_answer.setdefault(answer.id, number)
            comment.shared_with = first if first != number else None
        yield comment


def _comments_query(consultation_id: int):
    """`services.report_comments`' query: each comment with its section, paragraph and answer."""
    return (
        select(Post, DraftSection.number, DraftSection.title, Answer, DraftSection.label, DraftParagraph.label)
        .join(Post.thread)
        .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .outerjoin(DraftParagraph, (DraftParagraph.section_id == DraftSection.id)
                   & (DraftParagraph.number == Post.paragraph_number))
        .outerjoin(Post.organisation)
        .outerjoin(AnsweredComment, AnsweredComment.post_id == Post.id)
        .outerjoin(Answer, Answer.id == AnsweredComment.answer_id)
        .options(contains_eager(Post.thread), contains_eager(Post.organisation))
        .where(*in_report(consultation_id))
        .order_by(*REPORT_ORDER)
    )
