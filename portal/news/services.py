"""News of consultations by e-mail: subscribing (double opt-in), unsubscribing, and the news itself.

- `subscribe(address)` answers nothing about the address (the page says the same whatever it
  was); it queues a confirmation link (or, for an address already receiving news, a note that
  it is) at most once per CONFIRMATION_AGAIN_AFTER, so the form cannot flood a mailbox.
- The confirmation link is signed, carries the address it confirms and expires after
  CONFIRMATION_VALID; confirming takes a POST (a link scanner's GET subscribes nobody).
- The unsubscribe link is signed, never expires and names the subscription; every news e-mail
  carries it in its body and in RFC 8058's List-Unsubscribe headers (mail.queue).
- `announce_publication` runs in the staff's publishing transaction; `announce_phase_starts` runs
  from a scheduled sweep. Both claim what they announce with an UPDATE … WHERE news_sent_at IS
  NULL, so nothing is announced twice, and load the subscribers in one query.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

from flask import current_app, url_for
from flask_babel import force_locale, get_locale
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import clock, mail
from portal.accounts.tokens import ClockSigner
from portal.consultations.models import Consultation, Phase, Status
from portal.extensions import db
from portal.news.models import NewsStatus, NewsSubscription
from portal.pages import legal
from portal.registrations.models import email_key, ignore_plus_tags

CONFIRMATION_VALID = timedelta(days=7)
# One e-mail per address from the form this often at most (a new link replaces nothing: the
# earlier one keeps working until it expires).
CONFIRMATION_AGAIN_AFTER = timedelta(minutes=10)
# A phase first seen by the sweep this long after it started is old news: marked, not sent.
STALE_PHASE = timedelta(days=7)
# Addresses never confirmed are forgotten this long after the last confirmation e-mail.
UNCONFIRMED_KEPT = timedelta(days=30)
FEED_ENTRIES = 50


class InvalidLink(Exception):
    """A confirmation link that is forged or broken (expired=False) or too old (expired=True)."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


# --- links ------------------------------------------------------------------------------------

def _confirmation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wspolnie-news-confirm",
                                  signer=ClockSigner)


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="wspolnie-news-unsubscribe")


def confirmation_url(subscription: NewsSubscription) -> str:
    token = _confirmation_serializer().dumps([subscription.id, subscription.email])
    return url_for("news.confirm", token=token, _external=True)


def subscription_to_confirm(token: str) -> NewsSubscription:
    """The subscription a confirmation link names, for the address it was sent to; else InvalidLink."""
    try:
        (subscription_id, address), signed_at = _confirmation_serializer().loads(
            token, max_age=None, return_timestamp=True)
    except (BadSignature, ValueError, TypeError):
        raise InvalidLink(expired=False) from None
    if clock.now_utc() - signed_at > CONFIRMATION_VALID:
        raise InvalidLink(expired=True)
    subscription = db.session.get(NewsSubscription, subscription_id)
    if subscription is None or subscription.email != address:
        raise InvalidLink(expired=False)  # erased, or asked again for another spelling since
    return subscription


def unsubscribe_url(subscription: NewsSubscription) -> str:
    return url_for("news.unsubscribe", token=_unsubscribe_serializer().dumps(subscription.id), _external=True)


def subscription_to_unsubscribe(token: str) -> NewsSubscription | None:
    """The subscription an unsubscribe link names, or None (forged, or its data erased)."""
    try:
        subscription_id = _unsubscribe_serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(subscription_id, int):
        return None
    return db.session.get(NewsSubscription, subscription_id)


# --- subscribing ------------------------------------------------------------------------------

def _find(address: str) -> NewsSubscription | None:
    key = email_key(address, ignore_plus_tags())
    return db.session.scalar(select(NewsSubscription).where(NewsSubscription.email_key == key))


def _new_subscription(address: str, now: datetime) -> NewsSubscription:
    """A pending row for the address; a simultaneous request for the same person wins the insert."""
    subscription = NewsSubscription(email=address, status=NewsStatus.PENDING, locale=str(get_locale()),
                                    privacy_notice_version=legal.current_privacy_version(),
                                    privacy_notice_accepted_at=now, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(subscription)
    except IntegrityError:
        return _find(address)
    return subscription


def subscribe(address: str, now: datetime | None = None) -> bool:
    """Ask for news to `address` (already normalised); True when an e-mail was queued.

    A new, pending or unsubscribed address gets a confirmation link (its consent is recorded
    anew: the privacy notice's version and when); one already confirmed gets a note saying so,
    with its unsubscribe link, written to the address stored (as registrations do).
    """
    now = now or clock.now_utc()
    subscription = _find(address) or _new_subscription(address, now)
    if (subscription.confirmation_sent_at is not None
            and now - subscription.confirmation_sent_at < CONFIRMATION_AGAIN_AFTER):
        return False
    subscription.confirmation_sent_at = now
    if subscription.status == NewsStatus.CONFIRMED:
        url = unsubscribe_url(subscription)
        mail.queue(subscription.email, "news_already_subscribed", list_unsubscribe=url, unsubscribe_url=url)
        return True
    subscription.email = address
    subscription.status = NewsStatus.PENDING
    subscription.locale = str(get_locale())
    subscription.privacy_notice_version = legal.current_privacy_version()
    subscription.privacy_notice_accepted_at = now
    db.session.flush()  # the id, for the link
    mail.queue(address, "news_confirm", confirm_url=confirmation_url(subscription),
               valid_days=CONFIRMATION_VALID.days)
    return True


def confirm(subscription: NewsSubscription, now: datetime | None = None) -> bool:
    """Start sending news to a pending subscription; False when it was not pending."""
    if subscription.status != NewsStatus.PENDING:
        return False
    subscription.status = NewsStatus.CONFIRMED
    subscription.confirmed_at = now or clock.now_utc()
    return True


def unsubscribe(subscription: NewsSubscription, now: datetime | None = None) -> bool:
    """Stop sending news; False when the address was already unsubscribed."""
    if subscription.status == NewsStatus.UNSUBSCRIBED:
        return False
    subscription.status = NewsStatus.UNSUBSCRIBED
    subscription.unsubscribed_at = now or clock.now_utc()
    return True


def forget_unconfirmed(now: datetime | None = None) -> int:
    """Delete addresses never confirmed within UNCONFIRMED_KEPT of their last link (for a sweep)."""
    now = now or clock.now_utc()
    return db.session.execute(
        delete(NewsSubscription).where(NewsSubscription.status == NewsStatus.PENDING,
                                       NewsSubscription.confirmation_sent_at < now - UNCONFIRMED_KEPT)
        .execution_options(synchronize_session=False)).rowcount


# --- the news ---------------------------------------------------------------------------------

def _confirmed_subscribers() -> list[NewsSubscription]:
    """Everyone receiving news, by language (one query)."""
    return list(db.session.scalars(select(NewsSubscription).where(NewsSubscription.status == NewsStatus.CONFIRMED)
                                   .order_by(NewsSubscription.locale, NewsSubscription.id)))


def _send_to(subscribers: list[NewsSubscription], template: str, **context) -> int:
    """One e-mail to each subscriber, in the language they subscribed in, with its unsubscribe link."""
    sent = 0
    for locale, group in groupby(subscribers, key=lambda subscriber: subscriber.locale):
        with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            for subscriber in group:
                url = unsubscribe_url(subscriber)
                mail.queue(subscriber.email, template, list_unsubscribe=url, unsubscribe_url=url, **context)
                sent += 1
    return sent


def announce_publication(consultation: Consultation, now: datetime | None = None) -> int:
    """Tell confirmed subscribers that a consultation is published: once in its life (a
    withdrawal and a new publication say nothing again). Phases that have already started are
    counted as told. Returns the number of e-mails queued."""
    now = now or clock.now_utc()
    claimed = db.session.execute(
        update(Consultation).where(Consultation.id == consultation.id, Consultation.news_sent_at.is_(None))
        .values(news_sent_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.expire(consultation, ["news_sent_at"])
    if not claimed:
        return 0
    db.session.execute(
        update(Phase).where(Phase.consultation_id == consultation.id, Phase.has_started_at(now),
                            Phase.news_sent_at.is_(None))
        .values(news_sent_at=now).execution_options(synchronize_session=False))
    return _send_to(_confirmed_subscribers(), "news_publication", consultation=consultation,
                    url=url_for("consultations.announcement", slug=consultation.slug, _external=True))


def announce_phase_starts(now: datetime | None = None) -> int:
    """Tell confirmed subscribers of phases of published consultations that have started since
    the last sweep: one e-mail per subscriber and consultation. A phase that started more than
    STALE_PHASE ago is marked without a word. Returns the number of phases announced.

    Safe to run twice at once: the phases are claimed with one UPDATE … WHERE news_sent_at IS
    NULL, and each sweep announces only what its own UPDATE claimed.
    """
    now = now or clock.now_utc()
    due = select(Phase.id).join(Consultation, Consultation.id == Phase.consultation_id).where(
        Consultation.status == Status.PUBLISHED, Phase.has_started_at(now), Phase.news_sent_at.is_(None))
    claimed = set(db.session.scalars(
        update(Phase).where(Phase.id.in_(due.scalar_subquery()), Phase.news_sent_at.is_(None))
        .values(news_sent_at=now).returning(Phase.id)
        .execution_options(synchronize_session=False)).all())
    if not claimed:
        return 0
    fresh = db.session.scalars(
        select(Phase).where(Phase.id.in_(claimed), Phase.starts_at > now - STALE_PHASE)
        .options(selectinload(Phase.consultation)).order_by(Phase.consultation_id, Phase.starts_at, Phase.id)).all()
    by_consultation = [(consultation, list(phases))
                       for consultation, phases in groupby(fresh, key=lambda phase: phase.consultation)]
    if not by_consultation:
        return 0
    subscribers = _confirmed_subscribers()
    for consultation, phases in by_consultation:
        _send_to(subscribers, "news_phase", consultation=consultation, phases=phases,
                 url=url_for("consultations.announcement", slug=consultation.slug, _external=True))
    return len(fresh)


# --- the feed ---------------------------------------------------------------------------------

def published_for_feed(limit: int = FEED_ENTRIES) -> list[Consultation]:
    """Published consultations, most recently published first, with their phases (two queries)."""
    published = Consultation.news_sent_at
    return list(db.session.scalars(
        select(Consultation).where(Consultation.status == Status.PUBLISHED)
        .options(selectinload(Consultation.phases))
        .order_by(published.desc().nulls_last(), Consultation.created_at.desc(), Consultation.id.desc())
        .limit(limit)))


# --- personal data (RODO art. 15, 17, 20) -----------------------------------------------------

def export_for(address: str) -> list[dict]:
    """The news subscription of an address (its every spelling), as the person's data export shows it."""
    key = email_key(address, ignore_plus_tags())
    rows = db.session.scalars(select(NewsSubscription).where(NewsSubscription.email_key == key)
                              .order_by(NewsSubscription.id))
    return [{"email": row.email, "status": row.status.value, "locale": row.locale,
             "privacy_notice_version": row.privacy_notice_version,
             "privacy_notice_accepted_at": _iso(row.privacy_notice_accepted_at),
             "created_at": _iso(row.created_at), "confirmation_sent_at": _iso(row.confirmation_sent_at),
             "confirmed_at": _iso(row.confirmed_at), "unsubscribed_at": _iso(row.unsubscribed_at)}
            for row in rows]


def erase_for(address: str) -> int:
    """Delete the news subscription of an address; returns the number of rows deleted."""
    key = email_key(address, ignore_plus_tags())
    return db.session.execute(delete(NewsSubscription).where(NewsSubscription.email_key == key)
                              .execution_options(synchronize_session=False)).rowcount


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
