"""What the office answered, shown at the comment itself: "Did my comment change anything?"

For the top-level comments of a forum page: the decision and its justification, the sections
changed because of the comment, and the comment's number in the report. Everyone sees this once
the consultation's report is published; staff see it while the report is being prepared.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import String, cast, exists, func, select

from portal import permissions
from portal.extensions import db
from portal.forum.models import Post, PostState, Thread
from portal.reports.models import (
    DECISION_LABELS,
    Answer,
    AnsweredComment,
    ChangeLink,
    FinalSection,
    Report,
)
from portal.reports.services import in_report


@dataclass(frozen=True)
class Annotation:
    decision_label: str | None       # None: not answered yet, but a change was linked to it
    justification_html: str          # sanitised when the answer was saved
    changed_sections: tuple[ChangedSection, ...]
    is_public: bool                  # False: staff see it before the report is published


class ChangedSection(NamedTuple):
    number: int   # the final version's section, for the link to the change ("#zmiana-2")
    label: str    # its name as written: "Rozdział 2", "§ 2"


def changed_sections_column():
    """The final version's sections whose change a comment caused, with their names as written
    ("2:Rozdział 2,5:§ 5"), as a subquery correlated to Post. Names hold no "," or ":" (a unit and
    a number, forum.drafts)."""
    entry = cast(ChangeLink.section_number, String) + ":" + func.coalesce(FinalSection.label, "")
    return (select(func.aggregate_strings(entry, ","))
            .select_from(ChangeLink)
            .outerjoin(FinalSection, (FinalSection.consultation_id == ChangeLink.consultation_id)
                       & (FinalSection.number == ChangeLink.section_number))
            .where(ChangeLink.post_id == Post.id).scalar_subquery())


def changed_sections(text: str | None) -> tuple[ChangedSection, ...]:
    """`changed_sections_column()`'s value as sections in order of number."""
    if not text:
        return ()
    sections = []
    for entry in text.split(","):
        number, _, label = entry.partition(":")
        sections.append(ChangedSection(int(number), label or f"§ {number}"))
    return tuple(sorted(sections))


def annotations_for(consultation_id: int, post_ids: list[int], *,
                    include_unpublished: bool = False) -> dict[int, Annotation]:
    """Post id -> Annotation for those of `post_ids` that were answered or linked to a change: one query.

    The cost follows the page, not the consultation: only the page's comments are read (by primary
    key). That is why the comment's number in the report is not shown here — counting the comments
    before it would read them all; the link goes to the comment's row in the report instead.
    """
    if not post_ids:
        return {}
    changed = changed_sections_column()
    published = exists().where(Report.consultation_id == consultation_id, Report.published_at.is_not(None))
    query = (
        select(Post.id, Answer.decision, Answer.justification_html, changed.label("changed"),
               published.label("published"))
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(AnsweredComment, AnsweredComment.post_id == Post.id)
        .outerjoin(Answer, Answer.id == AnsweredComment.answer_id)
        .where(Post.id.in_(post_ids), *in_report(consultation_id))
    )
    if not include_unpublished:
        query = query.where(published)
    result = {}
    for post_id, decision, justification_html, changed_sections_text, is_public in db.session.execute(query):
        sections = changed_sections(changed_sections_text)
        if decision is None and not sections:
            continue
        result[post_id] = Annotation(
            decision_label=str(DECISION_LABELS[decision]) if decision else None,
            justification_html=justification_html or "", changed_sections=sections, is_public=bool(is_public))
    return result


def for_thread_page(consultation_id: int, posts: list[Post], user=None) -> dict[int, Annotation]:
    """The annotations of a forum page's top-level comments (one query; public once the report is)."""
    ids = [post.id for post in posts
           if post.depth == 0 and post.state == PostState.APPROVED and not post.is_official]
    return annotations_for(consultation_id, ids, include_unpublished=permissions.is_staff(user))
