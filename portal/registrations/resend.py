""""Wyślij link ponownie": someone who signed up (no account) lost the e-mail with their private link.

They type an address; every active registration (pending, confirmed, waiting — groups and
meetings) whose `email_key` matches gets its private link re-sent, all in one e-mail. The
private link is a signature of the registration's id (`services.token_for`), so re-sending
gives the same link again: nothing is issued or revoked, and a link already in a mailbox keeps
working. The e-mail goes to the address stored on the registrations, never to the typed one,
so a spelling that only counts as the same person (`alice+ngo@x.pl`) cannot receive someone
else's links unless it is that mailbox. The answer page is the same whatever the address, and
takes as long (as in data_requests), so it never tells whether someone registered.
"""

from flask import current_app
from sqlalchemy import select

from portal import equal_time, mail
from portal.accounts.forms import ForgotPasswordForm
from portal.extensions import db, limiter
from portal.forms import validates_own_csrf
from portal.registrations import services
from portal.registrations.models import (ACTIVE, GroupRegistration, Meeting, MeetingRegistration,
                                         WorkingGroup, ignore_plus_tags, email_key)


class ResendLinkForm(ForgotPasswordForm):
    """Only the address (the same field as the password reset's)."""


def active_registrations(address: str) -> list[tuple[object, str]]:
    """(registration, what it is for) of every active registration made with the address, oldest first."""
    key = email_key(address, ignore_plus_tags())
    groups = db.session.execute(
        select(GroupRegistration, WorkingGroup.name).join(WorkingGroup, WorkingGroup.id == GroupRegistration.group_id)
        .where(GroupRegistration.email_key == key, GroupRegistration.status.in_(ACTIVE),
               GroupRegistration.personal_data_erased_at.is_(None))).all()
    meetings = db.session.execute(
        select(MeetingRegistration, Meeting.title).join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .where(MeetingRegistration.email_key == key, MeetingRegistration.status.in_(ACTIVE),
               MeetingRegistration.personal_data_erased_at.is_(None))).all()
    return sorted([*groups, *meetings], key=lambda row: row[0].created_at)


def send_links(address: str) -> bool:
    """Queue one e-mail per stored address (normally just one) with its links; False if none."""
    by_mailbox: dict[str, list[dict]] = {}
    for registration, name in active_registrations(address):
        by_mailbox.setdefault(registration.email, []).append({
            "name": name, "is_group": isinstance(registration, GroupRegistration),
            "url": services.manage_url(registration)})
    for mailbox, links in by_mailbox.items():
        mail.queue(mailbox, "registration_links", links=links)
    return bool(by_mailbox)


@limiter.limit(lambda: current_app.config["RESEND_LINK_LIMIT_PER_IP"], methods=["POST"])
@validates_own_csrf
def resend():
    return equal_time.address_form(ResendLinkForm(), "resend_link", send_links,
                                   "registrations/resend_sent.html", "registrations/resend.html")
