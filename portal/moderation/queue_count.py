"""The moderator's header shows how many items wait in the queue, at no extra query.

The signed-in user is loaded on every request anyway; the count of pending comments (and new texts of published ones) and of
comments with open reports rides along in the same SELECT. The counts sit inside a CASE on the
role, so for participants (most requests) the database never evaluates them.
"""
from sqlalchemy import case, func, literal, select

from portal.accounts.models import User
from portal.extensions import db
from portal.forum.models import Post
from portal.moderation.models import Flag
from portal.moderation.services import awaiting_approval

_pending = select(func.count(Post.id)).where(awaiting_approval()).scalar_subquery()
_flagged = select(func.count(func.distinct(Flag.post_id))).where(Flag.resolved_at.is_(None)).scalar_subquery()
_queue = case((User.is_staff, _pending + _flagged), else_=literal(0))


def user_with_queue_count(user_id: int) -> User | None:
    """The signed-in user, with the moderation queue's count riding along: one query."""
    row = db.session.execute(select(User, _queue).where(User.id == user_id)).first()
    if row is None:
        return None
    user, queue = row
    user.queue_count = queue or 0
    return user
