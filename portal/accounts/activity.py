"""A participant's own page: their comments with their state and the office's answer, the threads
they follow, and the registrations made with their e-mail (issue 14).

Only what the person's data export (`personal_data.export`) already holds, read for the signed-in
person alone; nothing is stored. One query per section whatever the numbers — the comments come a
page at a time (`?strona=`), counted in the same query — so the page costs 5 queries with the
signed-in user's own (a 6th only for a page number past the last page).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Response, render_template
from flask_login import current_user, login_required
from sqlalchemy import and_, exists, func, select

from portal import pagination
from portal.accounts.personal_data import registration_key
from portal.consultations.models import Consultation, Status as ConsultationStatus
from portal.extensions import db
from portal.forum.models import DraftParagraph, DraftSection, Post, PostState, Subscription, Thread
from portal.moderation.log_words import POST_STATE_LABELS
from portal.registrations.exports import MEETING_STATUS_LABELS, STATUS_LABELS
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, WorkingGroup
from portal.reports.annotations import ChangedSection, changed_sections, changed_sections_column
from portal.reports.models import DECISION_LABELS, Answer, AnsweredComment, Report
from portal.reports.services import in_report

COMMENTS_PER_PAGE = 20
EXCERPT_LENGTH = 280  # characters of the comment's Markdown source shown (escaped) on the page


@dataclass(frozen=True)
class OfficeAnswer:
    """What the office answered, as `reports.annotations` shows it at the comment: public once the
    consultation's report is published."""

    decision_label: str | None
    justification_html: str          # sanitised when the answer was saved
    changed_sections: tuple[ChangedSection, ...]


@dataclass(frozen=True)
class MyComment:
    id: int
    anchor: str
    is_reply: bool
    body: str                        # Markdown source: shown escaped and cut, never as HTML
    state: PostState
    state_label: str
    moderation_reason: str
    hidden_by_flags: bool
    created_at: datetime
    paragraph_number: int | None
    thread_title: str
    section_number: int | None
    consultation_slug: str
    consultation_public: bool       # its pages can be opened (an unpublished one answers 404)
    proposed_body: str | None       # a new text waiting for a moderator (the published one stays)
    section_label: str | None       # as written: "Rozdział 1"
    paragraph_label: str | None     # as written: "§ 2", "ust. 3"
    consultation_title: str
    timezone: str
    answer: OfficeAnswer | None


@dataclass
class CommentPage(pagination.Paged):
    comments: list[MyComment]
    total: int
    number: int
    pages: int


def _answer_is_public():
    """The rule of `reports.annotations`: an answer is shown at a comment in the report (`in_report`,
    here for the comment's own consultation) once that consultation's report is published."""
    published = exists().where(Report.consultation_id == Thread.consultation_id, Report.published_at.is_not(None))
    return and_(*in_report(Thread.consultation_id), published)


def my_comments(user, page: int) -> CommentPage:
    """The person's comments and replies, newest first, with where they are and the office's public
    answer: one query (the total rides along), a second only for a page past the last one."""
    changed = changed_sections_column()
    public = _answer_is_public()
    statement = (
        select(Post.id, Post.depth, Post.body, Post.proposed_body, Consultation.status, Post.state, Post.moderation_reason, Post.hidden_by_flags,
               Post.created_at, Post.paragraph_number, Thread.title.label("thread_title"),
               DraftSection.number.label("section_number"), DraftSection.label.label("section_label"),
               DraftParagraph.label.label("paragraph_label"), Consultation.slug, Consultation.title,
               Consultation.timezone, Answer.decision, Answer.justification_html, changed.label("changed"),
               func.count().over().label("total"))
        .join(Thread, Thread.id == Post.thread_id)
        .join(Consultation, Consultation.id == Thread.consultation_id)
        .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .outerjoin(DraftParagraph, and_(DraftParagraph.section_id == DraftSection.id,
                                        DraftParagraph.number == Post.paragraph_number))
        .outerjoin(AnsweredComment, and_(AnsweredComment.post_id == Post.id, public))
        .outerjoin(Answer, Answer.id == AnsweredComment.answer_id)
        .where(Post.author_id == user.id)
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    rows = db.session.execute(pagination.page_of(statement, page, COMMENTS_PER_PAGE)).all()
    if rows:
        total = rows[0].total
    elif page > 1:
        total = db.session.scalar(select(func.count()).select_from(Post).where(Post.author_id == user.id))
    else:
        total = 0
    comments = []
    for row in rows:
        # `changed` is read only with a visible answer: a change linked before publication stays unsaid.
        sections = changed_sections(row.changed) if row.decision else ()
        answer = (OfficeAnswer(str(DECISION_LABELS[row.decision]), row.justification_html or "", sections)
                  if row.decision else None)
        comments.append(MyComment(
            id=row.id, anchor=f"k-{row.id}", is_reply=row.depth > 0, body=row.body, state=row.state,
            state_label=str(POST_STATE_LABELS[row.state.value]), moderation_reason=row.moderation_reason,
            hidden_by_flags=row.hidden_by_flags, created_at=row.created_at, paragraph_number=row.paragraph_number,
            thread_title=row.thread_title, section_number=row.section_number, consultation_slug=row.slug,
            section_label=row.section_label, paragraph_label=row.paragraph_label,
            consultation_public=row.status == ConsultationStatus.PUBLISHED, proposed_body=row.proposed_body,
            consultation_title=row.title, timezone=row.timezone, answer=answer))
    return CommentPage(comments, total, page, pagination.page_count(total, COMMENTS_PER_PAGE))


def followed_threads(user) -> list:
    """The threads the person follows, newest subscription first: one query."""
    return db.session.execute(
        select(Thread.id, Thread.title, DraftSection.number.label("section_number"),
               DraftSection.label.label("section_label"), Consultation.slug,
               Consultation.title.label("consultation_title"), Subscription.created_at, Consultation.timezone)
        .join(Thread, Thread.id == Subscription.thread_id)
        .join(Consultation, Consultation.id == Thread.consultation_id)
        .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .where(Subscription.user_id == user.id)
        .order_by(Subscription.created_at.desc(), Thread.id.desc())).all()


def registrations(user) -> tuple[list, list]:
    """(group registrations, meeting registrations) made with the account's address, as the data
    export finds them (`personal_data`: the same `email_key`, not those retention erased): a query each."""
    key = registration_key(user.email)
    groups = db.session.execute(
        select(GroupRegistration.id, GroupRegistration.status, GroupRegistration.created_at,
               WorkingGroup.name, WorkingGroup.meeting_starts_at.label("starts_at"),
               Consultation.title.label("consultation_title"), Consultation.slug, Consultation.timezone)
        .join(WorkingGroup, WorkingGroup.id == GroupRegistration.group_id)
        .join(Consultation, Consultation.id == GroupRegistration.consultation_id)
        .where(GroupRegistration.email_key == key, GroupRegistration.personal_data_erased_at.is_(None))
        .order_by(GroupRegistration.created_at.desc(), GroupRegistration.id.desc())).all()
    meetings = db.session.execute(
        select(MeetingRegistration.id, MeetingRegistration.status, MeetingRegistration.created_at,
               Meeting.title.label("name"), Meeting.starts_at,
               Consultation.title.label("consultation_title"), Consultation.slug, Consultation.timezone)
        .join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .join(Consultation, Consultation.id == Meeting.consultation_id)
        .where(MeetingRegistration.email_key == key, MeetingRegistration.personal_data_erased_at.is_(None))
        .order_by(MeetingRegistration.created_at.desc(), MeetingRegistration.id.desc())).all()
    return groups, meetings


@login_required
def my_activity():
    """"Moje uwagi i zapisy": only the signed-in person's own data, never stored by a cache."""
    user = current_user._get_current_object()
    groups, meetings = registrations(user)
    response = Response(render_template(
        "accounts/my_activity.html", comments=my_comments(user, pagination.requested_page()),
        followed=followed_threads(user), groups=groups, meetings=meetings,
        group_status=STATUS_LABELS, meeting_status=MEETING_STATUS_LABELS))
    response.headers["Cache-Control"] = "no-store"
    return response
