"""Who may do what: small named rules, each decided here and nowhere else.

Views apply them with `@require(rule)` or call them with the object at hand; services call them
before they change anything; templates call the same functions through the `permissions` global,
so a button is shown exactly when its POST would be accepted (tests/test_button_agreement.py).

Rules about a comment or a thread take what the page already loaded (the post, its thread, the
consultation's comment window) and never query: a thread page asks them once per comment.
Rules that explain a refusal return a `Decision` (falsy, with the reason); the others a bool.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import clock, formatting
from portal.accounts.models import STAFF_ROLES, Role
from portal.extensions import login_manager

__all__ = ["STAFF_ROLES", "Decision", "is_authenticated", "is_staff", "is_admin", "is_verified_participant",
           "can_view_consultation", "window_state", "can_comment", "can_reply", "can_edit", "can_report",
           "can_see_revisions", "can_moderate", "moderation_actions", "can_moderate_account", "can_answer",
           "can_manage", "can_configure", "require"]


@dataclass(frozen=True)
class Decision:
    """A rule's answer: true when allowed; otherwise `reason` says why, in the reader's words."""

    allowed: bool
    reason: str = ""
    official: bool = False  # staff writing outside the window: the office's reply

    def __bool__(self) -> bool:
        return self.allowed


def _user(user):
    return current_user if user is None else user


# --- who the person is ------------------------------------------------------------------------

def is_authenticated(user=None) -> bool:
    return bool(getattr(_user(user), "is_authenticated", False))


def is_staff(user=None) -> bool:
    """Moderators and admins: the city office's people (`STAFF_ROLES`, `User.is_staff`)."""
    user = _user(user)
    return is_authenticated(user) and user.is_staff


def is_admin(user=None) -> bool:
    user = _user(user)
    return is_authenticated(user) and user.role == Role.ADMIN


def is_verified_participant(user=None) -> bool:
    """May take part (comment, report, register with an account): verified e-mail and not blocked."""
    user = _user(user)
    return is_authenticated(user) and user.is_verified and not user.is_blocked()


def can_view_consultation(consultation, user=None) -> bool:
    """Published consultations are public; drafts are seen only by staff (preview)."""
    return consultation.is_published or is_staff(user)


# --- the forum --------------------------------------------------------------------------------

def window_state(window, now: datetime) -> str:
    """"before", "open" or "after" the comment window (None: not planned yet, so "before").

    The window's own rule decides (`Phase.state_at`, built on the `Phase.is_open_at` hybrid).
    """
    return "before" if window is None else window.state_at(now)


def can_comment(user, thread, window, now: datetime | None = None) -> Decision:
    """May this person post here now: a new thread (`thread` None), a comment, a reply, an edit?

    Staff may always write; outside the window their post is the office's reply (`official`).
    """
    user, now = _user(user), now or clock.now_utc()
    state = window_state(window, now)
    if not is_authenticated(user):
        return Decision(False, str(_l("Zaloguj się, aby zgłosić uwagę.")))
    if is_staff(user):
        return Decision(True, official=state != "open")
    if not user.is_verified:
        return Decision(False, str(_l("Potwierdź adres e-mail, aby zgłaszać uwagi.")))
    if user.is_blocked(now):
        until = (str(_l("do %(date)s", date=formatting.end_date(user.blocked_until)))
                 if user.blocked_until else str(_l("bezterminowo")))
        return Decision(False, str(_l("Twoje konto jest zablokowane (%(until)s). Powód: %(reason)s",
                                      until=until, reason=user.block_reason)))
    if thread is not None and thread.is_locked:
        return Decision(False, str(_l("Ten wątek jest zamknięty dla nowych uwag.")))
    if state == "before":
        when = formatting.local_datetime(window.starts_at) if window else ""
        return Decision(False, str(_l("Zgłaszanie uwag rozpocznie się %(when)s.", when=when))
                        if window else str(_l("Zgłaszanie uwag nie zostało jeszcze zaplanowane.")))
    if state == "after":
        return Decision(False, str(_l("Zgłaszanie uwag zakończyło się %(date)s",
                                      date=formatting.end_date(window.ends_at))))
    return Decision(True)


def _is_public(post) -> bool:
    # Published, or hidden behind a placeholder that everyone sees (its replies stay).
    return post.state in ("approved", "hidden")


def can_reply(user, post, thread, window, now: datetime | None = None) -> Decision:
    """May this person answer this comment: they may comment here, and the comment is public."""
    decision = can_comment(user, thread, window, now)
    if not decision:
        return decision
    if post.thread_id != thread.id or not _is_public(post):
        return Decision(False, str(_l("Na tę uwagę nie można odpowiedzieć: nie jest opublikowana.")))
    return decision


def can_edit(user, post, thread, window, now: datetime | None = None) -> Decision:
    """May the author change this comment now: their own, not rejected or hidden, while they may
    comment in its thread and the window is open (staff's official replies are not edited)."""
    user = _user(user)
    if not is_authenticated(user) or post.author_id is None or post.author_id != user.id:
        return Decision(False, str(_l("Możesz edytować tylko własne uwagi.")))
    if post.state == "rejected":
        return Decision(False, str(_l("Tej uwagi nie można edytować: moderator jej nie opublikował. Jej treść "
                                      "jest w wiadomości z powodem odrzucenia — możesz ją poprawić i wysłać "
                                      "jako nową uwagę.")))
    if post.state == "hidden":
        return Decision(False, str(_l("Tej uwagi nie można edytować: została ukryta przez moderatora.")))
    decision = can_comment(user, thread, window, now)
    if not decision or decision.official:
        return Decision(False, decision.reason or str(_l("Uwag nie można już edytować.")))
    return decision


def can_report(user, post) -> Decision:
    """May this person report this comment to the moderators (a verified participant, someone
    else's published comment)? Reporting the same comment twice is refused by the report itself."""
    user = _user(user)
    if not is_authenticated(user):
        return Decision(False, str(_l("Zaloguj się, aby zgłosić uwagę.")))
    if is_staff(user):
        return Decision(False, str(_l("Moderatorzy nie zgłaszają uwag: możesz od razu zdecydować o tej uwadze "
                                      "w narzędziach moderatora wątku.")))
    if not is_verified_participant(user):
        return Decision(False, str(_l("Potwierdź adres e-mail, aby zgłaszać uwagi.")) if not user.is_verified
                        else str(_l("Twoje konto jest zablokowane.")))
    if post.author_id == user.id:
        return Decision(False, str(_l("Nie możesz zgłosić własnej uwagi.")))
    if post.state != "approved":
        return Decision(False, str(_l("Tej uwagi nie można zgłosić: nie jest opublikowana albo została już ukryta.")))
    return Decision(True)


def can_see_revisions(user, post) -> bool:
    """The texts of a comment others don't see — earlier versions, a new text awaiting approval:
    staff, and its author (to see what a moderator changed, or what still waits)."""
    user = _user(user)
    return is_staff(user) or (is_authenticated(user) and post.author_id is not None and post.author_id == user.id)


# --- moderation -------------------------------------------------------------------------------

def can_moderate(user=None, thread_or_post=None) -> bool:
    """Moderators' tools on a thread or a comment (today: every staff member, everywhere)."""
    return is_staff(user)


# The moderation service's transitions (moderation.services: allowed_from), by the comment's state.
_ACTIONS_BY_STATE = {
    "pending": ("approve", "approve_with_edits", "reject"),
    "approved": ("hide",),
    "hidden": ("unhide",),
    "rejected": (),
}


def moderation_actions(user, post) -> tuple[str, ...]:
    """The decisions a moderator may take on this comment now, in the order they are offered."""
    if not can_moderate(user, post):
        return ()
    if post.state == "approved" and post.proposed_at is not None:
        return ("approve", "reject", "hide")  # the author's new text: approve or reject it
    if post.state == "hidden" and post.hidden_by_flags:
        return ("unhide", "hide")  # hidden by reports: a moderator keeps it hidden with a reason
    return _ACTIONS_BY_STATE.get(str(post.state), ())


def can_moderate_account(user, account) -> bool:
    """Moderators' user tools (block, trust) act on participants only; staff accounts are the admin's."""
    return is_staff(user) and account.role == Role.PARTICIPANT


# --- the back office --------------------------------------------------------------------------

def can_answer(user=None, consultation=None) -> bool:
    """The report workspace: answering comments on the office's behalf."""
    return is_staff(user)


def can_manage(user=None, consultation=None) -> bool:
    """The back office of a consultation: the pages every staff member uses."""
    return is_staff(user)


def can_configure(user=None, consultation=None) -> bool:
    """The back office's settings of a consultation (announcement, phases, draft, groups): admins."""
    return is_admin(user)


def require(rule):
    """View decorator: anonymous people are sent to log in; others without the right get 403.

    `rule` is asked about the signed-in person (`rule(user)`).
    """
    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not is_authenticated():
                return login_manager.unauthorized()
            if not rule(current_user._get_current_object()):
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorator
