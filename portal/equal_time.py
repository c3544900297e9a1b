"""Answers that must not tell whether an address is known take as long either way.

Forgot-password, "send my registration link again" and the applicant's data request answer the
same page whether or not the address is known, but only a known one costs an e-mail (its commit
and SMTP delivery, tens of milliseconds). So a view says which kind of answer it gives and
whether it sent something (`answer = answer(kind)` first, then `answer.sent = …`); after the commit and the delivery
(portal/web.py) the answer is held until as long after its start as the slowest of the last
answers of that kind that sent an e-mail, in this process.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from flask import g, render_template

from portal.extensions import db


class AnswerTime:
    """How long the slowest of the last few answers that sent an e-mail took."""

    def __init__(self, remembered: int = 20):
        self._recent: deque[float] = deque(maxlen=remembered)
        self._lock = threading.Lock()

    def record(self, seconds: float) -> None:
        with self._lock:
            self._recent.append(seconds)

    def longest(self) -> float:
        with self._lock:
            return max(self._recent, default=0.0)


CLOCKS: dict[str, AnswerTime] = {}  # one per kind of answer ("password_reset", ...)


@dataclass
class Answer:
    kind: str
    started: float
    sent: bool = False


def answer(kind: str) -> Answer:
    """Start timing this request's answer; set `.sent` once it is known whether it sent an e-mail."""
    g.equal_time_answer = Answer(kind, time.monotonic())
    return g.equal_time_answer


def hold_the_answer(error=None) -> None:
    """The app's teardown (after commit and delivery, before the answer leaves)."""
    current = g.pop("equal_time_answer", None)
    if current is None or error is not None:
        return
    clock = CLOCKS.setdefault(current.kind, AnswerTime())
    if current.sent:
        clock.record(time.monotonic() - current.started)
    db.session.close()  # its connection goes back to the pool while the answer waits
    time.sleep(max(0.0, current.started + clock.longest() - time.monotonic()))


def address_form(form, kind: str, act, sent_template: str, form_template: str, **sent_context):
    """The page of a form that takes only an e-mail address and answers "check your inbox"
    (password reset, "send my link again", a registrant's data, news): `act(address)` runs,
    timed as `kind`, and says whether it sent an e-mail; the answer is the same page either way."""
    if form.validate_on_submit():
        from portal.accounts.services import normalise_email

        address = normalise_email(form.email.data)
        timed = answer(kind)  # the same time whatever the address
        timed.sent = act(address)
        return render_template(sent_template, email=address, **sent_context)
    return render_template(form_template, form=form), form.status()
