"""Moderators' tools for threads: lock, pin, rename, and moving a comment with its replies.

Every change is a conditional UPDATE (a repeated click or a second moderator changes nothing)
and writes an audit row in the same transaction; nothing here commits.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update

from portal import audit, clock
from portal.accounts.models import User
from portal.errors import Refusal
from portal.extensions import db
from portal.forum.models import PATH_DIGITS, Post, PostState, Thread
from portal.forum.services import MAX_NESTING, TITLE_MAX, one_line
from portal.moderation import services


class ToolRefused(Refusal):
    """A rule refused the change; the message is shown to the moderator."""


def _switch(moderator: User, thread: Thread, action: str, condition, values: dict, before: dict,
            after: dict, reason: str = "") -> bool:
    """Change the thread only if it is not in the wanted state yet; False when it already was."""
    result = db.session.execute(update(Thread).where(Thread.id == thread.id, condition).values(**values)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    db.session.refresh(thread)
    audit.record(moderator, action, thread, reason, before=before, after=after)
    return True


def lock(moderator: User, thread: Thread, reason: str = "", now: datetime | None = None) -> bool:
    """No new comments, replies or edits from participants (see forum.services.may_post)."""
    return _switch(moderator, thread, "thread_locked", Thread.locked_at.is_(None),
                   {"locked_at": now or clock.now_utc()}, {"locked": False}, {"locked": True}, reason)


def unlock(moderator: User, thread: Thread, reason: str = "") -> bool:
    return _switch(moderator, thread, "thread_unlocked", Thread.locked_at.is_not(None),
                   {"locked_at": None}, {"locked": True}, {"locked": False}, reason)


def pin(moderator: User, thread: Thread, reason: str = "") -> bool:
    """Pinned threads come first on the forum's index."""
    return _switch(moderator, thread, "thread_pinned", Thread.pinned.is_(False),
                   {"pinned": True}, {"pinned": False}, {"pinned": True}, reason)


def unpin(moderator: User, thread: Thread, reason: str = "") -> bool:
    return _switch(moderator, thread, "thread_unpinned", Thread.pinned.is_(True),
                   {"pinned": False}, {"pinned": True}, {"pinned": False}, reason)


def rename(moderator: User, thread: Thread, title: str, reason: str = "") -> bool:
    title = one_line(title)
    if not title:
        raise ToolRefused(_l("Wpisz tytuł wątku."))
    if len(title) > TITLE_MAX:
        raise ToolRefused(_l("Tytuł może mieć najwyżej %(max)s znaków.", max=TITLE_MAX))
    old = thread.title
    return _switch(moderator, thread, "thread_renamed", Thread.title != title, {"title": title},
                   {"title": old}, {"title": title}, reason)


def move_targets(thread: Thread) -> list[Thread]:
    """The other threads of the same consultation, by title."""
    return list(db.session.scalars(select(Thread).where(Thread.consultation_id == thread.consultation_id,
                                                        Thread.id != thread.id)
                                   .order_by(Thread.pinned.desc(), Thread.title, Thread.id)))


def _pad(post_id: int) -> str:
    return str(post_id).zfill(PATH_DIGITS)


def move(moderator: User, post: Post, target: Thread, expected_version: int, reason: str = "",
         now: datetime | None = None) -> int:
    """Move a comment with all its replies to another thread of the same consultation.

    The comment becomes top-level there; its replies keep their places under it. Paths and
    depths are rebuilt with the rules replies are written by (forum.services.post_comment), so
    the moved tree reads exactly as if it had been written in the target thread. Returns the
    number of comments moved.
    """
    now = now or clock.now_utc()
    source = db.session.get(Thread, post.thread_id)
    if target.id == source.id:
        raise ToolRefused(_l("Uwaga już jest w tym wątku — wybierz inny wątek."))
    if target.consultation_id != source.consultation_id:
        raise ToolRefused(_l("Uwagę można przenieść tylko do wątku tych samych konsultacji."))
    # Claim the comment: a moderator acting on an older view of it (or a second move) is refused.
    # The audit row is written below, once the number of comments moved is known.
    services.perform(moderator, post, None, expected_version, Post.thread_id == source.id)
    before = {"thread_id": source.id, "parent_id": post.parent_id, "root_id": post.root_id,
              "path": post.path, "depth": post.depth}

    # One query: the whole tree the comment is in; its replies are found by parent (replies past
    # the 4th level are stored flat, so a path prefix alone would miss some of them).
    tree = db.session.scalars(select(Post).where(Post.thread_id == source.id, Post.root_id == post.root_id)
                              .order_by(Post.id).execution_options(populate_existing=True)).all()
    moving_ids: set[int] = set()
    moving: list[Post] = []
    for candidate in tree:  # a reply always has a higher id than the comment it answers
        if candidate.id == post.id or candidate.parent_id in moving_ids:
            moving_ids.add(candidate.id)
            moving.append(candidate)

    same_section = target.section_id == source.section_id
    placed: dict[int, tuple[str, int]] = {}
    for item in moving:
        if item.id == post.id:
            path, depth = _pad(item.id), 0
            item.parent_id = None
        else:
            parent_path, parent_depth = placed[item.parent_id]
            depth = min(parent_depth + 1, MAX_NESTING)
            base = parent_path if parent_depth < MAX_NESTING else parent_path.rsplit(".", 1)[0]
            path = f"{base}.{_pad(item.id)}"
        placed[item.id] = (path, depth)
        item.thread_id, item.root_id, item.path, item.depth = target.id, post.id, path, depth
        if not same_section:
            item.paragraph_number = None  # "§ N ust. M" means nothing in another thread
    db.session.flush()

    visible = [item for item in moving if item.state == PostState.APPROVED]
    if visible:
        latest = max(item.created_at for item in visible)
        db.session.execute(update(Thread).where(Thread.id == source.id)
                           .values(comment_count=Thread.comment_count - len(visible)))
        db.session.execute(update(Thread).where(Thread.id == target.id).values(
            comment_count=Thread.comment_count + len(visible),
            last_activity_at=case((Thread.last_activity_at < latest, latest), else_=Thread.last_activity_at)))
    db.session.refresh(source)
    db.session.refresh(target)
    audit.record(moderator, "post_moved", post, reason, before=before,
                 after={"thread_id": target.id, "parent_id": None, "root_id": post.id, "path": post.path,
                        "depth": 0, "moved": len(moving), "visible": len(visible)})
    return len(moving)
