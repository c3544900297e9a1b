"""Reading the report: every approved top-level comment of a consultation, numbered, with its answer.

Numbers are given once and never change, so "uwaga 12" in an e-mail, a link or a justification
stays true whatever happens later. Until the report is first published they are provisional:
the comment's place in the report (general comments first, then § by §, oldest first within a
section), the same on every page that shows them. The first publication stores them
(`Post.report_number`); a comment that enters the report later (approved late, shown again,
entered by staff) gets the next free number when it enters (`number_late_comment`), so later
comments have later numbers and nobody's number moves.

The pages read a page at a time (`comments_page`, `select_comments`): one query numbers every
comment of the report with window functions over narrow rows (no texts) — the same numbers as
`report_comments`, which the files and the publication still use — and reads the texts, answers
and changes of only the comments asked for. A comment keeps its number on whatever page it is.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import String, and_, case, cast, func, literal, or_, select, update
from sqlalchemy.orm import contains_eager

from portal import pagination
from portal.extensions import db
from portal.forum.models import DraftParagraph, DraftSection, Post, PostState, Thread, heading, reference
from portal.reports.models import Answer, AnsweredComment, ChangeLink, Decision, FinalSection, Report


@dataclass
class ReportComment:
    number: int
    post: Post
    thread: Thread
    section_number: int | None   # None: general comments or a participant's thread
    section_title: str
    answer: Answer | None
    shared_with: int | None = None  # the number of the first comment that has the same answer
    changed_sections: list[int] = field(default_factory=list)  # the final version's sections it changed
    changed_labels: list[str] = field(default_factory=list)  # the same sections named as written
    section_label: str = ""      # as written: "Rozdział 1", "§ 3" ("" outside sections)
    paragraph_label: str = ""    # as written: "§ 1", "ust. 2", "pkt 3" ("" when on the whole section)
    # Read by `select_comments` only:
    place: int | None = None     # its place in the list shown (None: outside the filters)
    sharing: int = 0             # how many comments have its answer, itself included
    sharing_numbers: list[int] = field(default_factory=list)  # the first of them, when asked for

    @property
    def section_heading(self) -> str:
        """"Rozdział 1. Postanowienia ogólne", or the thread's title outside sections."""
        return heading(self.section_label, self.section_title) if self.section_number is not None \
            else self.section_title

    @property
    def reference(self) -> str:
        """"Rozdział 1 § 2", "§ 3 ust. 2", "§ 3" — or "" outside sections."""
        return reference(self.section_label, self.paragraph_label) if self.section_number is not None else ""

    @property
    def submitter(self) -> str | None:
        """Who sent the comment, as the report names them: the sender as staff entered them for a
        comment received outside the portal, else the organisation's name, or None for a private
        person ("osoba prywatna")."""
        if self.post.channel != "portal":
            return self.post.submitter_name
        return self.post.organisation.name if self.post.organisation else None


@dataclass
class ReportData:
    comments: list[ReportComment]

    @property
    def answered(self) -> int:
        return sum(1 for comment in self.comments if comment.answer is not None)

    @property
    def total(self) -> int:
        return len(self.comments)

    def by_decision(self) -> dict[Decision, int]:
        counts = Counter(comment.answer.decision for comment in self.comments if comment.answer)
        return {decision: counts.get(decision, 0) for decision in Decision}

    def by_section(self) -> list[tuple[int | None, str, int]]:
        """(section number, heading as written, comments) in report order."""
        counts: dict[tuple[int | None, str], int] = {}
        for comment in self.comments:
            key = (comment.section_number, comment.section_heading)
            counts[key] = counts.get(key, 0) + 1
        return [(number, title, count) for (number, title), count in counts.items()]

    def organisations(self) -> int:
        return len({comment.post.organisation_id for comment in self.comments if comment.post.organisation_id})

    def authors(self) -> int:
        """People who sent comments: accounts, and the senders staff entered from letters, e-mails and meetings."""
        accounts = {comment.post.author_id for comment in self.comments if comment.post.author_id}
        senders = {" ".join(comment.post.submitter_name.casefold().split()) for comment in self.comments
                   if comment.post.author_id is None and comment.post.submitter_name}
        return len(accounts) + len(senders)


# The report's order (general comments first, then § by §, oldest first) and what it holds: the
# one definition, used here and by the numbers shown at each comment (reports/annotations.py).
REPORT_ORDER = (func.coalesce(DraftSection.number, 0), Thread.id, Post.created_at, Post.id)


def in_report(consultation_id: int) -> tuple:
    """The conditions a comment meets to be in the report (with Post joined to Thread and DraftSection)."""
    return (Thread.consultation_id == consultation_id, Post.depth == 0,
            Post.state == PostState.APPROVED, Post.is_official.is_(False))


def comment_rows(*columns):
    """A comment with what the report shows of it — its thread, section and paragraph (as written),
    organisation and answer — and any `columns`; the caller says which comments and in what order."""
    return (
        select(Post, DraftSection.number, DraftSection.title, Answer, DraftSection.label, DraftParagraph.label,
               *columns)
        .join(Post.thread)
        .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .outerjoin(DraftParagraph, (DraftParagraph.section_id == DraftSection.id)
                   & (DraftParagraph.number == Post.paragraph_number))
        .outerjoin(Post.organisation)
        .outerjoin(AnsweredComment, AnsweredComment.post_id == Post.id)
        .outerjoin(Answer, Answer.id == AnsweredComment.answer_id)
        .options(contains_eager(Post.thread), contains_eager(Post.organisation))
    )


def report_comments(consultation_id: int) -> ReportData:
    """All approved top-level comments with thread, section, organisation and answer: two queries."""
    rows = db.session.execute(
        comment_rows().where(*in_report(consultation_id)).order_by(*REPORT_ORDER)).all()
    stored = [post.report_number for post, *_rest in rows if post.report_number is not None]
    return ReportData(list(numbered_comments(rows, max(stored, default=None), *_change_links(consultation_id))))


def numbered_comments(rows, last_given: int | None, changes: dict, change_labels: dict):
    """`comment_rows()` in report order as ReportComments with their numbers: a stored number stays;
    before the first publication (`last_given` None) the place in the report is the number; after
    it, a comment not numbered yet comes after the rest. A comment sharing an answer with an
    earlier one names it (`shared_with`)."""
    first_with_answer: dict[int, int] = {}
    for position, (post, section_number, section_title, answer, section_label, paragraph_label) in enumerate(
            rows, start=1):
        if post.report_number is not None:
            number = post.report_number
        elif last_given is None:
            number = position  # before the first publication: provisional, the place in the report
        else:  # not numbered yet after publication (normally numbered as it entered): after the rest
            last_given += 1
            number = last_given
        comment = ReportComment(
            number=number, post=post, thread=post.thread, section_number=section_number,
            section_title=section_title if section_number is not None else post.thread.title,
            answer=answer, changed_sections=changes.get(post.id, []), changed_labels=change_labels.get(post.id, []),
            section_label=section_label or "",
            paragraph_label=paragraph_label or "")
        if answer is not None:
            first = first_with_answer.setdefault(answer.id, number)
            comment.shared_with = first if first != number else None
        yield comment


def fix_numbers(data: ReportData) -> None:
    """Store the numbers shown (at a publication): from now on they never change."""
    for comment in data.comments:
        if comment.post.report_number is None:
            comment.post.report_number = comment.number


def number_late_comment(post: Post) -> None:
    """A comment entering the report after its first publication gets the next free number.

    Call when a top-level comment becomes approved (approval, shown again, entered by staff).
    The report row is locked while the highest number is read, so two at once never share one.
    """
    if post.report_number is not None or post.depth != 0 or post.is_official or post.state != PostState.APPROVED:
        return
    consultation_id = db.session.scalar(select(Thread.consultation_id).where(Thread.id == post.thread_id))
    report = db.session.scalars(select(Report).where(Report.consultation_id == consultation_id)
                                .with_for_update()).first()
    if report is None or report.first_published_at is None:
        return  # before the first publication numbers are provisional
    if db.session.get_bind().dialect.name != "postgresql":  # SQLite: the first write takes the lock
        db.session.execute(update(Report).where(Report.consultation_id == consultation_id)
                           .values(updated_at=Report.updated_at))
    highest = db.session.scalar(select(func.max(Post.report_number)).join(Thread, Thread.id == Post.thread_id)
                                .where(Thread.consultation_id == consultation_id))
    post.report_number = (highest or 0) + 1


def _change_links(consultation_id: int) -> tuple[dict[int, list[int]], dict[int, list[str]]]:
    """Post id -> the numbers of the final version's sections it changed, and their names as written."""
    links, labels = defaultdict(list), defaultdict(list)
    for post_id, section_number, label in db.session.execute(
            select(ChangeLink.post_id, ChangeLink.section_number, FinalSection.label)
            .outerjoin(FinalSection, (FinalSection.consultation_id == ChangeLink.consultation_id)
                       & (FinalSection.number == ChangeLink.section_number))
            .where(ChangeLink.consultation_id == consultation_id)
            .order_by(ChangeLink.section_number)):
        links[post_id].append(section_number)
        labels[post_id].append(label or f"§ {section_number}")
    return links, labels


def report_of(consultation_id: int) -> Report | None:
    return db.session.get(Report, consultation_id)


def report_for_update(consultation_id: int) -> Report:
    """The consultation's report row, created on first use."""
    report = db.session.get(Report, consultation_id)
    if report is None:
        report = Report(consultation_id=consultation_id)
        db.session.add(report)
    return report


# --- a page at a time ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    """Which of the report's comments a list shows (the filters of the report and the workspace).

    Only the list is narrowed: numbers, and "jak w uwadze N", stay those of the whole report.
    """

    thread_id: int | None = None        # one thread: a section's, the general comments', a participant's
    section_number: int | None = None   # one section of the draft
    decision: str | None = None         # one decision (Decision value)
    unanswered_only: bool = False

    def conditions(self) -> list:
        """SQL conditions on Post joined to DraftSection, AnsweredComment (and Answer for a decision)."""
        conditions = []
        if self.thread_id is not None:
            conditions.append(Post.thread_id == self.thread_id)
        if self.section_number is not None:
            conditions.append(DraftSection.number == self.section_number)
        if self.decision:
            conditions.append(Answer.decision == self.decision)
        if self.unanswered_only:
            conditions.append(AnsweredComment.answer_id.is_(None))
        return conditions


def _numbered(consultation_id: int, selection: Selection, sharing_numbers: int = 0):
    """Every comment of the report as a subquery of narrow rows (no texts): its number as
    `report_comments` gives it, its place in `selection` (`chosen` 1 when in it), the number of the
    first comment with the same answer, how many have it and (`sharing_numbers` > 0) the first
    numbers among them ("3,5,9"). Two sorts of narrow rows: in report order, then by answer."""
    conditions = selection.conditions()
    chosen = case((and_(*conditions), 1), else_=0) if conditions else literal(1)
    in_order = {"order_by": REPORT_ORDER}
    ranked = (
        select(Post.id.label("post_id"), AnsweredComment.answer_id.label("answer_id"),
               Post.report_number.label("report_number"),
               func.row_number().over(**in_order).label("position"),
               func.count(Post.report_number).over().label("stored"),
               func.max(Post.report_number).over().label("last_given"),
               # Comments not numbered yet up to this one: after a publication they follow the highest number.
               func.count(case((Post.report_number.is_(None), 1))).over(**in_order).label("late"),
               chosen.label("chosen"), func.sum(chosen).over(**in_order).label("place"))
        .select_from(Post).join(Thread, Thread.id == Post.thread_id)
        .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .outerjoin(AnsweredComment, AnsweredComment.post_id == Post.id)
        .where(*in_report(consultation_id))
    )
    if selection.decision:
        ranked = ranked.outerjoin(Answer, Answer.id == AnsweredComment.answer_id)
    r = ranked.subquery("ranked").c
    number = case((r.report_number.is_not(None), r.report_number), (r.stored == 0, r.position),
                  else_=r.last_given + r.late)
    n = select(r.post_id, r.answer_id, r.position, number.label("number"), r.chosen, r.place).subquery("numbered").c
    same_answer = {"partition_by": n.answer_id, "order_by": n.position}
    listed = select(n.post_id, n.answer_id, n.position, n.number, n.chosen, n.place,
                    func.first_value(n.number).over(**same_answer).label("first_number"),
                    func.row_number().over(**same_answer).label("rank_in_answer"),
                    func.count().over(partition_by=n.answer_id).label("sharing")).subquery("listed")
    if not sharing_numbers:
        return listed
    c = listed.c
    first = case((c.rank_in_answer <= sharing_numbers, cast(c.number, String)))
    return select(listed, func.aggregate_strings(first, ",").over(partition_by=c.answer_id)
                  .label("sharing_numbers")).subquery("shared")


def select_comments(consultation_id: int, selection: Selection = Selection(), *,
                    places: tuple[int, int] | None = None, post_ids=(), numbers=(),
                    sharing_numbers: int = 0) -> list[ReportComment]:
    """The comments at `places` (first, last) of the selection, and those named by id or by report
    number (wherever they are), in report order: one query, whatever the size of the report.

    `sharing_numbers`: give each comment the numbers of the first that many comments with its answer.
    """
    from portal.reports.annotations import changed_sections, changed_sections_column

    listed = _numbered(consultation_id, selection, sharing_numbers)
    c = listed.c
    wanted = []
    if places is not None:
        wanted.append(and_(c.chosen == 1, c.place.between(*places)))
    if post_ids:
        wanted.append(c.post_id.in_(list(post_ids)))
    if numbers:
        wanted.append(c.number.in_(list(numbers)))
    if not wanted:
        return []
    rows = db.session.execute(
        comment_rows(c.number, c.chosen, c.place, c.first_number, c.sharing,
                     c.sharing_numbers if sharing_numbers else literal(None), changed_sections_column())
        .join(listed, c.post_id == Post.id)
        .where(or_(*wanted))
        .order_by(c.position)
    ).all()
    comments = []
    for (post, section_number, section_title, answer, section_label, paragraph_label,
         number, chosen, place, first_number, sharing, first_numbers, changed) in rows:
        sections = changed_sections(changed)
        comments.append(ReportComment(
            number=number, post=post, thread=post.thread, section_number=section_number,
            section_title=section_title if section_number is not None else post.thread.title,
            answer=answer, shared_with=first_number if answer is not None and first_number != number else None,
            changed_sections=[section.number for section in sections],
            changed_labels=[section.label for section in sections],
            section_label=section_label or "", paragraph_label=paragraph_label or "",
            place=place if chosen else None, sharing=sharing or 0 if answer is not None else 0,
            sharing_numbers=sorted(int(shared) for shared in first_numbers.split(","))
            if answer is not None and first_numbers else []))
    return comments


@dataclass
class CommentPage(pagination.Paged):
    """A page of the report's comments (`?strona=`), as the report and the workspace show them."""

    comments: list[ReportComment]
    number: int
    pages: int
    listed: int   # comments in the selection, on every page

    def holds(self, number: int) -> bool:
        """Whether the comment with this report number is on this page."""
        return any(comment.number == number for comment in self.comments)


def page_holding(place: int, per_page: int) -> int:
    """The page on which the comment at `place` (1-based) of a list is."""
    return (place - 1) // per_page + 1


def comments_page(consultation_id: int, selection: Selection, number: int, per_page: int, listed: int,
                  pinned=(), sharing_numbers: int = 0) -> CommentPage:
    """Page `number` of the selection (which holds `listed` comments, counted beforehand), moved into
    its pages; `pinned` comments (ids) come too, in their places, wherever they are: one query."""
    number = pagination.clamped(number, listed, per_page)
    first = pagination.offset(number, per_page) + 1
    comments = select_comments(consultation_id, selection, places=(first, first + per_page - 1), post_ids=pinned,
                               sharing_numbers=sharing_numbers)
    return CommentPage(comments, number, pagination.page_count(listed, per_page), listed)
