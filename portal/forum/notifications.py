"""The forum's e-mails about a new comment: to the author of the comment replied to and to the
thread's followers. Called by the forum (a comment published at once) and by moderation (a comment
approved), so neither package's services import the other's."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import mail
from portal.accounts.models import User
from portal.extensions import db
from portal.forum.models import Post, Subscription, Thread


def notify_about(post: Post, thread: Thread, parent: Post | None) -> None:
    """E-mail the author of the comment replied to, and the thread's followers (once each)."""
    author_id = post.author_id
    told = {author_id}
    link = url_for("forum.permalink", post_id=post.id, _external=True)
    author = db.session.get(User, author_id)
    author_name = author.display_name if author else str(_l("Konto usunięte"))
    if parent is not None and parent.author_id not in told:
        parent_author = db.session.get(User, parent.author_id) if parent.author_id else None
        if parent_author and parent_author.is_active and parent_author.notify_replies:
            mail.queue(parent_author.email, "forum_reply", post=post, thread=thread, link=link,
                       author_name=author_name)
        told.add(parent.author_id)
    followers = db.session.scalars(
        select(User).join(Subscription, Subscription.user_id == User.id)
        .where(Subscription.thread_id == thread.id, User.notify_subscriptions.is_(True),
               User.deleted_at.is_(None), User.id.not_in(told))
    ).all()
    for follower in followers:
        mail.queue(follower.email, "forum_new_comment", post=post, thread=thread, link=link,
                   author_name=author_name)
