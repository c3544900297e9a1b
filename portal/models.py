"""Imports every model, so the metadata (and Alembic) sees all tables."""
from portal.accounts.models import Organisation, Role, User  # noqa: F401
from portal.consultations.models import Consultation, Document, Phase  # noqa: F401
from portal.registrations.models import (  # noqa: F401
    GroupRegistration, Meeting, MeetingRegistration, WorkingGroup)
from portal.audit import AuditLog  # noqa: F401
from portal.mail import OutboxMessage  # noqa: F401
from portal.forum.models import (  # noqa: F401
    DraftParagraph, DraftSection, Post, PostRevision, Subscription, Thread)
from portal.moderation.models import Flag  # noqa: F401
from portal.pages.legal import LegalDocument  # noqa: F401
from portal.reports.models import (  # noqa: F401
    Answer, AnsweredComment, ChangeLink, FinalSection, Report)
from portal.news.models import NewsSubscription  # noqa: F401
from portal.page_versions import PageVersion  # noqa: F401
