"""Subscribing to news of consultations (double opt-in), one-click unsubscribe, the Atom feed."""
from flask import (abort, current_app, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _

from portal import clock, equal_time
from portal.accounts.services import normalise_email
from portal.extensions import limiter
from portal.forms import validates_own_csrf
from portal.atom import ATOM, utc_timestamp, xml_text
from portal.news import services
from portal.news.forms import ButtonForm, SubscribeForm
from portal.news.models import NewsStatus


ONE_CLICK = "One-Click"  # RFC 8058: the body a mail provider POSTs is List-Unsubscribe=One-Click


def _private(response, status: int = 200):
    """Pages reached by a personal link: never cached, never in a shared cache."""
    response = make_response(response, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@limiter.limit(lambda: current_app.config["NEWS_SUBSCRIBE_LIMIT_PER_IP"], methods=["POST"])
@validates_own_csrf
def subscribe():
    form = SubscribeForm()
    if form.is_submitted() and form.is_spam():
        return render_template("news/subscribe_sent.html", email=normalise_email(form.email.data or ""),
                               valid_days=services.CONFIRMATION_VALID.days)
    return equal_time.address_form(form, "news_subscribe", services.subscribe, "news/subscribe_sent.html",
                                   "news/subscribe.html", valid_days=services.CONFIRMATION_VALID.days)


def _link_refused(expired: bool):
    return _private(render_template("news/link_refused.html", expired=expired), 410 if expired else 404)


@validates_own_csrf
def confirm(token: str):
    """GET shows a button; only its POST confirms (mail scanners follow links, people press buttons)."""
    form = ButtonForm()
    pressed = form.validate_on_submit()
    try:
        subscription = services.subscription_to_confirm(token)
    except services.InvalidLink as refused:
        if request.method == "POST" and not pressed:
            abort(400)  # no valid CSRF token: refused before the link is even judged
        return _link_refused(refused.expired)
    if pressed:
        if services.confirm(subscription):
            flash(_("Gotowe — będziemy wysyłać powiadomienia o konsultacjach."), "success")
        return redirect(url_for("news.confirm", token=token), 303)
    if subscription.status == NewsStatus.UNSUBSCRIBED:
        return _link_refused(expired=False)
    return _private(render_template("news/confirm.html", subscription=subscription, form=form,
                                    unsubscribe_url=services.unsubscribe_url(subscription)), form.status())


@validates_own_csrf
def unsubscribe(token: str):
    """One click (RFC 8058): a POST of List-Unsubscribe=One-Click unsubscribes without CSRF (a
    mail provider sends it); a person's POST comes from the page's button, with CSRF. A GET
    never unsubscribes."""
    subscription = services.subscription_to_unsubscribe(token)
    if request.method == "POST" and request.form.get("List-Unsubscribe") == ONE_CLICK:
        if subscription is None:
            return _link_refused(expired=False)
        services.unsubscribe(subscription)
        return _private(render_template("news/unsubscribed.html"))
    form = ButtonForm()
    pressed = form.validate_on_submit()
    if subscription is None:
        if request.method == "POST" and not pressed:
            abort(400)  # no valid CSRF token: refused before the link is even judged
        return _link_refused(expired=False)
    if pressed:
        if services.unsubscribe(subscription):
            flash(_("Wypisaliśmy adres z powiadomień. Nie wyślemy już na niego wiadomości o konsultacjach."),
                  "success")
        return redirect(url_for("news.unsubscribe", token=token), 303)
    return _private(render_template("news/unsubscribe.html", subscription=subscription, form=form),
                    form.status())


def atom():
    now = clock.now_utc()
    entries = []
    for consultation in services.published_for_feed():
        published = consultation.news_sent_at or consultation.created_at
        started = [phase.starts_at for phase in consultation.phases if phase.has_started_at(now)]
        entries.append({
            "id": url_for("consultations.announcement", slug=consultation.slug, _external=True),
            "title": xml_text(consultation.title),
            "summary": xml_text(consultation.lead),
            "published": utc_timestamp(published),
            "updated": utc_timestamp(max([published, *started])),
        })
    updated = max((entry["updated"] for entry in entries), default=utc_timestamp(now))
    title = xml_text(_("Konsultacje społeczne — %(owner)s", owner=current_app.config["SITE_OWNER"]))
    body = render_template("news/atom.xml", entries=entries, updated=updated, title=title)
    response = make_response(body)
    response.headers["Content-Type"] = ATOM
    return response
