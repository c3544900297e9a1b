"""The consultation a URL names, for views (the HTTP layer: it answers 404, which services never do)."""
from flask import abort
from sqlalchemy import select

from portal import permissions
from portal.consultations.models import Consultation
from portal.extensions import db


def consultation_or_404(slug: str, public: bool = True) -> Consultation:
    """The consultation named by a URL; 404 if none, or (public pages) a draft for a non-staff visitor."""
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None or (public and not permissions.can_view_consultation(consultation)):
        abort(404)
    return consultation
