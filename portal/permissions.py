"""Who may do what: small named rules, used by views (on the server) and by templates."""
from flask_login import current_user

from portal.accounts.models import Role


def is_staff(user=None) -> bool:
    """Moderators and admins: the city office's people."""
    user = current_user if user is None else user
    return bool(getattr(user, "is_authenticated", False)) and user.role in (Role.MODERATOR, Role.ADMIN)


def is_admin(user=None) -> bool:
    user = current_user if user is None else user
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.ADMIN


def can_view_consultation(consultation, user=None) -> bool:
    """Published consultations are public; drafts are seen only by staff (preview)."""
    return consultation.is_published or is_staff(user)
