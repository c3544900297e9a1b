"""One number that goes up with every committed change a shared page may show.

Pages shared by signed-in participants (portal.page_cache) are kept under this number, so a
comment, an edit, a moderator's decision, an office's answer or a newly published draft is
on every such page from the moment it is committed, in every worker and on every server: the
number lives in the database (one row), read with the viewer's state in the same query.

Any transaction that writes one of the watched models (`_watched`) — through the ORM or an
ORM-enabled bulk `update()`/`delete()` — adds `UPDATE page_version SET version = version + 1`
just before it commits; a rolled-back one changes nothing. Not watched, so that they never wait
for one another on this row: views of a consultation (`view_counter`), registrations (the
sign-up burst) and reports of comments (a report that hides a comment changes the comment).
A shared page shows those up to PAGE_CACHE_SECONDS late ("N odsłon", free places), as
anonymous readers' pages do. The row is one for the whole portal: a change anywhere renders
the shared pages anew (writes are rare next to reads).
"""
from __future__ import annotations

from itertools import chain

from sqlalchemy import BigInteger, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.extensions import db

_ROW = 1
_FLAG = "page_version_changed"


class PageVersion(db.Model):
    __tablename__ = "page_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def current():
    """The version as a scalar subquery, to ride along in a page's first query."""
    return select(PageVersion.version).where(PageVersion.id == _ROW).scalar_subquery()


def read() -> int:
    """The version now (one query)."""
    return db.session.scalar(select(PageVersion.version).where(PageVersion.id == _ROW)) or 0


def _watched() -> tuple[type, ...]:
    from portal.accounts.models import Organisation, User
    from portal.consultations.models import Consultation, Document, Phase
    from portal.forum.models import DraftParagraph, DraftSection, Post, Thread
    from portal.registrations.models import Meeting, WorkingGroup
    from portal.reports.models import Answer, AnsweredComment, ChangeLink, FinalSection, Report

    return (Post, Thread, DraftSection, DraftParagraph, Report, Answer, AnsweredComment, ChangeLink,
            FinalSection, User, Organisation, Consultation, Phase, Document, WorkingGroup, Meeting)


def _bulk_watched() -> tuple[type, ...]:
    """Bulk statements that change what pages show (not the view counter, not a group's lock)."""
    from portal.consultations.models import Consultation
    from portal.registrations.models import WorkingGroup

    return tuple(cls for cls in _watched() if cls not in (Consultation, WorkingGroup))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    # Here `new`, `dirty` and `deleted` still hold what this flush wrote.
    if not session.info.get(_FLAG):
        watched = _watched()
        if any(isinstance(obj, watched) for obj in chain(session.new, session.dirty, session.deleted)):
            session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and issubclass(state.bind_mapper.class_, _bulk_watched()) \
            and state.bind_mapper.class_ is not PageVersion:
        state.session.info[_FLAG] = True


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    session.flush()  # what is still pending is written now, and noted
    if session.info.pop(_FLAG, False):
        result = session.execute(update(PageVersion).where(PageVersion.id == _ROW)
                                 .values(version=PageVersion.version + 1))
        if result.rowcount == 0:  # a database made without the migration's row
            session.add(PageVersion(id=_ROW, version=1))
            session.flush()
        session.info.pop(_FLAG, None)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_FLAG, None)
