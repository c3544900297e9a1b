"""One compare-and-set for a comment (issue 18, "Moderation actions").

Every moderator's action enters through `moderation.services.perform`, which owns the version
check and the one refusal ("handled by someone else meanwhile" / "the author changed it
meanwhile"); the forum's edit uses the same `claim`. A refused action writes nothing, so the
moderation views need no rollback of their own: the unit of work in portal/web.py is the only one.
"""
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.audit import AuditLog
from portal.consultations.models import ModerationMode
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.models import Post, PostState
from portal.moderation import services as moderation

PORTAL = Path(__file__).resolve().parent.parent / "portal"
IN_WINDOW = "2020-09-20 12:00:00"


def audit_count(post) -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.target_type == "post",
                                                                   AuditLog.target_id == post.id))


@pytest.fixture
def pending(torun, general, anna, frozen_clock):
    torun.moderation_mode = ModerationMode.ALL
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Uwaga do rozpatrzenia.")
    db.session.commit()
    assert post.state == PostState.PENDING
    return post


def test_the_compare_and_set_on_a_comment_is_written_once():
    writers = [PORTAL / "moderation" / name for name in ("services.py", "flags.py", "thread_tools.py", "manage.py",
                                                         "queue.py")] + [PORTAL / "forum" / "services.py"]
    found = {path.relative_to(PORTAL).as_posix(): len(re.findall(r"update\(Post\)", path.read_text()))
             for path in writers}
    assert found == {"moderation/services.py": 1, "moderation/flags.py": 0, "moderation/thread_tools.py": 0,
                     "moderation/manage.py": 0, "moderation/queue.py": 0, "forum/services.py": 0}


def test_moderation_views_leave_commit_and_rollback_to_the_unit_of_work():
    for path in (PORTAL / "moderation").glob("*.py"):
        text = path.read_text()
        assert "rollback(" not in text and "queued_mail" not in text, path.name


def test_the_second_moderator_is_refused_and_nothing_of_theirs_is_written(
        app, pending, moderator, second_moderator):
    seen = pending.version
    moderation.approve(moderator, pending, seen)
    db.session.commit()
    audits = audit_count(pending)

    stale = db.session.get(Post, pending.id)
    with pytest.raises(moderation.AlreadyHandled) as refused:
        moderation.perform(second_moderator, stale, "post_rejected", seen, allowed_from=(PostState.PENDING,),
                           state=PostState.REJECTED, moderation_reason="spam")
    assert refused.value.message == f"Ta uwaga została już obsłużona przez: {moderator.display_name}."
    db.session.expire_all()
    post = db.session.get(Post, pending.id)
    assert (post.state, post.version, post.moderation_reason) == (PostState.APPROVED, seen + 1, "")
    assert audit_count(post) == audits


def test_an_authors_edit_meanwhile_is_named_as_the_reason(app, pending, anna, moderator, frozen_clock):
    seen = pending.version
    frozen_clock.set(clock.now_utc().replace(minute=5))
    assert forum.edit_comment(anna, pending, "Poprawiona uwaga.") == forum.EditOutcome.STILL_PENDING
    db.session.commit()
    with pytest.raises(moderation.AlreadyHandled) as refused:
        moderation.approve(moderator, pending, seen)
    assert refused.value.message.startswith("Autor zmienił treść tej uwagi w międzyczasie.")
    assert db.session.get(Post, pending.id).state == PostState.PENDING


def test_claim_changes_the_comment_only_at_the_version_and_under_the_conditions(app, pending):
    version = pending.version
    assert not moderation.claim(pending, version + 1, moderation_reason="x")
    assert not moderation.claim(pending, version, Post.state == PostState.HIDDEN, moderation_reason="x")
    assert moderation.claim(pending, version, Post.state == PostState.PENDING, moderation_reason="x")
    assert (pending.version, pending.moderation_reason) == (version + 1, "x")  # refreshed
    assert not moderation.claim(pending, version, moderation_reason="y")
