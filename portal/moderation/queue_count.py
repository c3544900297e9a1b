"""The moderator's header shows how many items wait in the queue, at no extra query.

The signed-in user is loaded on every request anyway; the count of pending comments and of
comments with open reports rides along in the same SELECT as two scalar subqueries.
"""
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.forum.models import Post, PostState
from portal.moderation.models import Flag

_pending = select(func.count(Post.id)).where(Post.state == PostState.PENDING).scalar_subquery()
_flagged = select(func.count(func.distinct(Flag.post_id))).where(Flag.resolved_at.is_(None)).scalar_subquery()


def user_with_queue_count(user_id: int) -> User | None:
    row = db.session.execute(select(User, _pending, _flagged).where(User.id == user_id)).first()
    if row is None:
        return None
    user, pending, flagged = row
    user.queue_count = (pending or 0) + (flagged or 0) if user.is_staff else 0
    return user
