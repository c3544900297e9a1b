"""Writing the office's answers to comments: one comment, several together, or "jak w uwadze N".

The rule for every path: an answer is edited in place only when exactly the chosen comments
share it; otherwise the chosen comments get a new answer of their own, and the comments that
shared their old one keep it. An answer no comment points to any more is deleted.

A change while the report is public is a correction: the report says so and keeps the version
before it (publishing.note_correction). Every change writes one audit row per comment whose answer changed, with the decision and
justification before and after. The comments' rows are locked before their answers are read,
so of two people answering one comment at once the later save wins and logs the earlier one's
answer as its "before".
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select, update

from portal import audit, clock
from portal.errors import Refusal
from portal.extensions import db
from portal.forum.models import Post
from portal.reports.models import Answer, AnsweredComment, Decision
from portal.reports.publishing import note_correction

AUDIT_ACTION = "answer_comment"


class AnswerError(Refusal):
    """A rule refused the answer; the message is shown next to the field it is about."""


@dataclass
class AnswerOutcome:
    answer: Answer
    changed_post_ids: list[int]  # comments whose answer changed (empty: nothing to save)


def answer_comments(actor, consultation_id: int, posts: list[Post], decision: Decision,
                    justification: str) -> AnswerOutcome:
    """Give the comments (approved top-level ones of the consultation) one answer."""
    posts = sorted({post.id: post for post in posts}.values(), key=lambda post: post.id)
    post_ids = [post.id for post in posts]
    if not post_ids:
        raise ValueError("no comments to answer")
    _lock_comments(post_ids)
    current = _current_answers(post_ids)
    answers = {answer.id: answer for answer in current.values() if answer is not None}
    before = {post_id: _snapshot(answer) for post_id, answer in current.items()}
    wanted = {"decision": Decision(decision).value, "justification": justification}
    if all(snapshot == wanted for snapshot in before.values()):
        return AnswerOutcome(next(iter(answers.values())), [])  # a second click, a re-sent form
    if len(answers) == 1 and None not in current.values() and _comments_of(next(iter(answers))) == set(post_ids):
        answer = next(iter(answers.values()))  # exactly these comments share it: edit in place
        answer.decision, answer.justification = decision, justification
        answer.updated_at, answer.updated_by_id = clock.now_utc(), getattr(actor, "id", None)
    else:
        answer = Answer(consultation_id=consultation_id, decision=decision, justification=justification,
                        updated_at=clock.now_utc(), updated_by_id=getattr(actor, "id", None))
        db.session.add(answer)
        db.session.flush()
        _point_to(consultation_id, post_ids, answer.id)
        _delete_unused(answers)
    return _corrected(consultation_id, actor, AnswerOutcome(answer, _audit(actor, posts, before, _snapshot(answer))))


def answer_as_in(actor, consultation_id: int, post: Post, source: Post) -> AnswerOutcome:
    """Give the comment the same answer as another comment ("jak w uwadze N")."""
    post_id, source_post_id = post.id, source.id
    if post_id == source_post_id:
        raise AnswerError(_l("To jest ta sama uwaga — podaj numer innej uwagi."))
    _lock_comments(sorted({post_id, source_post_id}))
    current = _current_answers([post_id, source_post_id])
    shared, old = current[source_post_id], current[post_id]
    if shared is None:
        raise AnswerError(_l("Ta uwaga nie ma jeszcze odpowiedzi — najpierw odpowiedz na nią."))
    if old is not None and old.id == shared.id:
        return AnswerOutcome(shared, [])
    _point_to(consultation_id, [post_id], shared.id)
    _delete_unused({old.id: old} if old is not None else {})
    return _corrected(consultation_id, actor,
                      AnswerOutcome(shared, _audit(actor, [post], {post_id: _snapshot(old)}, _snapshot(shared))))


def _corrected(consultation_id: int, actor, outcome: AnswerOutcome) -> AnswerOutcome:
    """A changed answer in a published report is a correction, made in the open (publishing.py)."""
    if outcome.changed_post_ids:
        note_correction(consultation_id, actor)
    return outcome


# --- the parts ---------------------------------------------------------------------------------

def _lock_comments(post_ids: list[int]) -> None:
    """Serialise everyone answering these comments until the transaction ends (ids in order)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Post.id).where(Post.id.in_(post_ids)).order_by(Post.id).with_for_update())
    else:  # a write takes SQLite's single write lock at once
        db.session.execute(update(Post).where(Post.id.in_(post_ids)).values(version=Post.version))


def _current_answers(post_ids: list[int]) -> dict[int, Answer | None]:
    rows = db.session.execute(
        select(AnsweredComment.post_id, Answer).join(Answer, Answer.id == AnsweredComment.answer_id)
        .where(AnsweredComment.post_id.in_(post_ids))
        .execution_options(populate_existing=True)).all()  # what is committed now, not a cached copy
    found = dict(rows)
    return {post_id: found.get(post_id) for post_id in post_ids}


def _comments_of(answer_id: int) -> set[int]:
    return set(db.session.scalars(select(AnsweredComment.post_id).where(AnsweredComment.answer_id == answer_id)))


def _point_to(consultation_id: int, post_ids: list[int], answer_id: int) -> None:
    existing = set(db.session.scalars(select(AnsweredComment.post_id).where(AnsweredComment.post_id.in_(post_ids))))
    if existing:
        db.session.execute(update(AnsweredComment).where(AnsweredComment.post_id.in_(existing))
                           .values(answer_id=answer_id))
    db.session.add_all(AnsweredComment(post_id=post_id, answer_id=answer_id, consultation_id=consultation_id)
                       for post_id in post_ids if post_id not in existing)
    db.session.flush()


def _delete_unused(answers: dict[int, Answer]) -> None:
    if not answers:
        return
    db.session.execute(delete(Answer).where(
        Answer.id.in_(answers), ~exists().where(AnsweredComment.answer_id == Answer.id))
        .execution_options(synchronize_session=False))


def _snapshot(answer: Answer | None) -> dict:
    if answer is None:
        return {"decision": None, "justification": None}
    return {"decision": Decision(answer.decision).value, "justification": answer.justification}


def _audit(actor, posts: list[Post], before: dict[int, dict], after: dict) -> list[int]:
    """One audit row per comment whose answer changed; returns their ids."""
    changed = [post for post in posts if before[post.id] != after]
    for post in changed:
        audit.record(actor, AUDIT_ACTION, post, before=before[post.id], after=after)
    return [post.id for post in changed]
