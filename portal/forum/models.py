"""The consultation forum: the draft document in sections, threads, threaded comments.

A comment's place in its thread is a materialised path ("000012.000345"): one ordered query
reads a whole page of the tree, and replies always travel with their top-level comment.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.accounts.models import Organisation, User
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.types import UTCDateTime, enum_column

PATH_DIGITS = 9  # ids up to 999,999,999 keep paths sortable as text


def _numbered(unit: str, context) -> str:
    return f"{unit} {context.get_current_parameters()['number']}"


def heading(label: str, title: str) -> str:
    """A section's name as the document writes it: "Rozdział 9. Sposób oceny realizacji programu"."""
    return f"{label}. {title}" if label else title


def reference(section_label: str | None, paragraph_label: str | None = None) -> str:
    """Where a comment points, in the document's own units: "§ 3 ust. 2", "Rozdział 1 § 2"."""
    return " ".join(part for part in (section_label, paragraph_label) if part)


class DraftSection(db.Model):
    """One numbered section (§) of the draft document under consultation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()  # our order, 1, 2, …: the section's thread and URLs keep it
    # As the office wrote it: "Rozdział 9", "§ 3"; "§ <number>" when nothing was written.
    label: Mapped[str] = mapped_column(String(60), default=lambda context: _numbered("§", context))
    title: Mapped[str] = mapped_column(String(300))

    paragraphs: Mapped[list[DraftParagraph]] = relationship(
        back_populates="section", order_by="DraftParagraph.number", lazy="raise",
        cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    @property
    def anchor(self) -> str:
        return f"par-{self.number}"

    @property
    def heading(self) -> str:
        """"Rozdział 1. Postanowienia ogólne": the unit as written, then the title."""
        return heading(self.label, self.title)


class DraftParagraph(db.Model):
    """A paragraph ("ust.") of a section, with a stable anchor: #par-6-2 is § 6 ust. 2."""

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("draft_section.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()  # our order within the section: "?ustep=M", the anchor
    # As written: "§ 1", "ust. 2", "pkt 3"; "ust. <number>" when nothing was written.
    label: Mapped[str] = mapped_column(String(60), default=lambda context: _numbered("ust.", context))
    text: Mapped[str] = mapped_column(Text)  # Markdown source
    html: Mapped[str] = mapped_column(Text)  # through portal.sanitize
    search_text: Mapped[str] = mapped_column(Text, default="")  # words and stems (forum.search_index)

    section: Mapped[DraftSection] = relationship(back_populates="paragraphs", lazy="raise")

    @property
    def label_in_text(self) -> bool:
        """The text opens with its own name ("§ 4. Program…"): pages need not show the name again."""
        start = "".join(self.text[:len(self.label) + 12].lstrip("#*_ \t").split()).casefold()
        return start.startswith("".join(self.label.split()).casefold())

    __table_args__ = (UniqueConstraint("section_id", "number"),)


class ThreadKind(enum.StrEnum):
    SECTION = "section"    # one per section of the draft, created with it
    GENERAL = "general"    # "Uwagi ogólne"
    OPEN = "open"          # opened by a participant


class Thread(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("draft_section.id", ondelete="SET NULL"))
    kind: Mapped[ThreadKind] = mapped_column(enum_column(ThreadKind, 20))
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned: Mapped[bool] = mapped_column(default=False)
    # Visible (approved) comments and the time of the last one: updated in SQL as comments arrive.
    comment_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)

    consultation: Mapped[Consultation] = relationship(lazy="raise")
    section: Mapped[DraftSection | None] = relationship(lazy="raise")

    __table_args__ = (Index("ix_thread_consultation_activity", "consultation_id", "last_activity_at"),)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class PostState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    HIDDEN = "hidden"


class Post(db.Model):
    """A comment (uwaga) or a reply, written in Markdown and shown as sanitised HTML."""

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    root_id: Mapped[int | None] = mapped_column()  # the top-level comment this belongs under (self for top-level)
    path: Mapped[str] = mapped_column(String(1000), default="")
    depth: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    paragraph_number: Mapped[int | None] = mapped_column()  # "uwaga do § N ust. M" in a section thread
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")  # words and stems (forum.search_index)
    state: Mapped[PostState] = mapped_column(enum_column(PostState, 20), default=PostState.APPROVED)
    is_official: Mapped[bool] = mapped_column(default=False)  # the office's reply
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moderation's version check: two moderators can never both act on one state.
    version: Mapped[int] = mapped_column(default=1)
    # Why it was rejected (told to the author) or hidden (shown in the placeholder).
    moderation_reason: Mapped[str] = mapped_column(String(1000), default="")
    hidden_by_flags: Mapped[bool] = mapped_column(default=False)  # hidden until a moderator decides
    # Notifications (replies, followers) go out once, when the comment first becomes public.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An author's edit of a published comment under pre-moderation: the published text stays
    # public until a moderator approves this one (or rejects it: then these are cleared).
    proposed_body: Mapped[str | None] = mapped_column(Text)
    proposed_body_html: Mapped[str | None] = mapped_column(Text)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The comment's number in the report: given once (reports.numbering) and never changed, so a
    # link or an e-mail naming "uwaga 12" stays true.
    report_number: Mapped[int | None] = mapped_column()
    # When a moderator last changed the text (approval with edits): shown on the comment.
    moderator_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the comment came from: written on the site, or entered by staff from an e-mail, a
    # letter or a meeting (then `submitter_name` and `received_on` say who sent it and when).
    channel: Mapped[str] = mapped_column(String(20), default="portal", server_default="portal")
    submitter_name: Mapped[str] = mapped_column(String(300), default="", server_default="")
    received_on: Mapped[date | None] = mapped_column()

    thread: Mapped[Thread] = relationship(lazy="raise")
    author: Mapped[User | None] = relationship(lazy="raise")
    organisation: Mapped[Organisation | None] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_post_thread_root_path", "thread_id", "root_id", "path"),
        Index("ix_post_thread_depth_id", "thread_id", "depth", "id"),
        Index("ix_post_author_created", "author_id", "created_at"),
        Index("ix_post_state_created", "state", "created_at"),
    )

    @property
    def edited_by_author(self) -> bool:
        """Shown as "edytowano": the author changed the text after publication (not only a moderator)."""
        return self.edited_at is not None and (self.moderator_edited_at is None
                                               or self.edited_at > self.moderator_edited_at)

    @property
    def anchor(self) -> str:
        return f"k-{self.id}"


class PostRevision(db.Model):
    """The text of a comment before an edit (kept for moderators)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_post_revision_post", "post_id", "created_at"),)


class Subscription(db.Model):
    """A participant follows a thread: new comments there are e-mailed (if they want that)."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)


# The search text follows the text on every ORM write, the constructor's included (issue 14);
# bulk UPDATEs of a body set it themselves (moderation.services.claim).
def _index_on_set(attribute) -> None:
    from sqlalchemy import event

    from portal.forum.search_index import indexed

    @event.listens_for(attribute, "set", propagate=True)
    def _index(target, value, _old, _initiator):
        target.search_text = indexed(value or "")


_index_on_set(Post.body)
_index_on_set(DraftParagraph.text)
