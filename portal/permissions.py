"""Who may do what: small named rules, used by views (on the server) and by templates.

Views apply them with `@require(rule)`; templates call the same functions through the
`permissions` global, so a button is shown exactly when the action would be allowed.
"""
from functools import wraps

from flask import abort
from flask_login import current_user

from portal.accounts.models import Role
from portal.extensions import login_manager


def _user(user):
    return current_user if user is None else user


def is_authenticated(user=None) -> bool:
    return bool(getattr(_user(user), "is_authenticated", False))


def is_staff(user=None) -> bool:
    """Moderators and admins: the city office's people."""
    user = _user(user)
    return is_authenticated(user) and user.role in (Role.MODERATOR, Role.ADMIN)


def is_admin(user=None) -> bool:
    user = _user(user)
    return is_authenticated(user) and user.role == Role.ADMIN


def is_verified_participant(user=None) -> bool:
    """May take part (comment, register with an account): verified e-mail and not blocked."""
    user = _user(user)
    return is_authenticated(user) and user.is_verified and not user.is_blocked()


def can_view_consultation(consultation, user=None) -> bool:
    """Published consultations are public; drafts are seen only by staff (preview)."""
    return consultation.is_published or is_staff(user)


def require(rule):
    """View decorator: anonymous people are sent to log in; others without the right get 403."""
    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not is_authenticated():
                return login_manager.unauthorized()
            if not rule():
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorator
