"""The moderation queue: what waits for a moderator, longest waiting first.

Pending comments, new texts of published ones and reported ones, with what a moderator needs to
decide on each (the author's history, the open reports) in a constant number of queries. The
view (`moderation.manage.queue`) only picks the consultation and the page.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from portal import pagination
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum.models import DraftParagraph, DraftSection, Post, PostState, Thread, reference
from portal.moderation import flags, services
from portal.moderation.models import Flag

PER_PAGE = 50


def consultation_choices():
    """Every consultation (id, slug, title), newest first: the queue's filter."""
    return db.session.execute(
        select(Consultation.id, Consultation.slug, Consultation.title).order_by(Consultation.created_at.desc())
    ).all()


@dataclass
class QueueItem:
    post: Post
    thread: Thread
    consultation: Consultation
    section_number: int | None
    flags: list[Flag] = field(default_factory=list)
    history: dict[str, int] = field(default_factory=dict)
    reference: str = ""  # where in the draft, as written: "§ 3 ust. 2", "Rozdział 1"

    @property
    def reporters(self) -> int:
        return len({flag.reporter_id for flag in self.flags})

    @property
    def reported(self) -> bool:
        """Waiting for a decision on reports (open ones, or hidden by them)."""
        return bool(self.flags) or (self.post.state == PostState.HIDDEN and self.post.hidden_by_flags)

    @property
    def suggested_public_reason(self) -> str:
        """What the moderator who agrees with the reports is offered to show in the placeholder."""
        if self.post.state == PostState.HIDDEN and not self.post.hidden_by_flags:
            return self.post.moderation_reason
        return flags.FlaggedPost(self.post, self.flags).suggested_public_reason


@dataclass
class QueuePage(pagination.Paged):
    items: list[QueueItem]
    number: int
    pages: int
    total: int


def _open_flags():
    return (select(Flag.post_id, func.min(Flag.created_at).label("first_at"))
            .where(Flag.resolved_at.is_(None)).group_by(Flag.post_id).subquery())


def queue_page(consultation_id: int | None, number: int) -> QueuePage:
    """Pending comments, new texts of published ones and reported ones, longest waiting first:
    three queries whatever the size.

    One for the page (with its thread, consultation, section, author and organisation, and the
    total), one for the authors' history (grouped), one for the open reports; a fourth only for
    a page past the end. Reported items wait since their first open report, edits since they
    were sent.
    """
    flagged = _open_flags()
    waiting = or_(services.awaiting_approval(), flagged.c.post_id.is_not(None),
                  and_(Post.state == PostState.HIDDEN, Post.hidden_by_flags.is_(True)))
    query = (select(Post, Thread, Consultation, DraftSection.number, DraftSection.label.label("section_label"),
                    DraftParagraph.label.label("paragraph_label"), func.count().over().label("total"))
             .join(Thread, Thread.id == Post.thread_id)
             .join(Consultation, Consultation.id == Thread.consultation_id)
             .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
             .outerjoin(DraftParagraph, (DraftParagraph.section_id == DraftSection.id)
                        & (DraftParagraph.number == Post.paragraph_number))
             .outerjoin(flagged, flagged.c.post_id == Post.id)
             .where(waiting))
    if consultation_id is not None:
        query = query.where(Thread.consultation_id == consultation_id)
    rows = db.session.execute(pagination.page_of(
        query.options(joinedload(Post.author), joinedload(Post.organisation))
        .order_by(func.coalesce(flagged.c.first_at, Post.proposed_at, Post.created_at), Post.id),
        number, PER_PAGE)).all()
    if rows:
        total = rows[0].total
    elif number > 1:
        count = select(func.count(Post.id)).join(Thread, Thread.id == Post.thread_id) \
            .outerjoin(flagged, flagged.c.post_id == Post.id).where(waiting)
        if consultation_id is not None:
            count = count.where(Thread.consultation_id == consultation_id)
        total = db.session.scalar(count)
    else:
        total = 0
    items = [QueueItem(row.Post, row.Thread, row.Consultation, row.number,
                       reference=reference(row.section_label, row.paragraph_label)) for row in rows]
    _add_history(items)
    _add_flags(items)
    return QueuePage(items, number, pagination.page_count(total, PER_PAGE), total)


def _add_history(items: list[QueueItem]) -> None:
    """Each author's approved / rejected / hidden comments: one grouped query for the page."""
    author_ids = {item.post.author_id for item in items if item.post.author_id}
    counts: dict[int, dict[str, int]] = {author_id: {} for author_id in author_ids}
    if author_ids:
        for author_id, state, count in db.session.execute(
                select(Post.author_id, Post.state, func.count(Post.id))
                .where(Post.author_id.in_(author_ids),
                       Post.state.in_((PostState.APPROVED, PostState.REJECTED, PostState.HIDDEN)))
                .group_by(Post.author_id, Post.state)):
            counts[author_id][PostState(state).value] = count
    for item in items:
        item.history = counts.get(item.post.author_id, {})


def _add_flags(items: list[QueueItem]) -> None:
    by_post = {item.post.id: item for item in items}
    if not by_post:
        return
    for flag in db.session.scalars(select(Flag).where(Flag.post_id.in_(by_post), Flag.resolved_at.is_(None))
                                   .order_by(Flag.created_at, Flag.id)):
        by_post[flag.post_id].flags.append(flag)
