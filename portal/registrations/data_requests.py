"""An applicant without an account asks for the data of their registrations (RODO art. 15).

They type an address; we e-mail a signed link valid for a day to it, and opening the link gives
the JSON of the registrations made with that address (`personal_data.registrations_export`):
whoever holds the mailbox holds the data. The answer page is the same whatever the address, so
it never tells whether someone registered.
"""
import json
import time

from flask import Blueprint, Response, current_app, g, render_template, request, url_for

from portal import mail
from portal.accounts import personal_data, tokens
from portal.accounts.forms import ForgotPasswordForm
from portal.accounts.services import AnswerTime, normalise_email
from portal.extensions import db, limiter
from portal.forms import validates_own_csrf

bp = Blueprint("registration_data", __name__)


class DataRequestForm(ForgotPasswordForm):
    """Only the address (the same field as the password reset's)."""


@bp.route("/moje-zgloszenia/dane", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
@validates_own_csrf
def request_data():
    form = DataRequestForm()
    if form.validate_on_submit():
        address = normalise_email(form.email.data)
        sent = personal_data.has_registrations(address)
        g.data_request_answer = (time.monotonic(), sent)
        if sent:
            mail.queue(address, "registration_data_link",
                       link=url_for("registration_data.download", token=tokens.make_registration_data_token(address),
                                    _external=True),
                       hours=int(tokens.REGISTRATION_DATA_MAX_AGE.total_seconds() // 3600))
        return render_template("accounts/registration_data_sent.html", email=address)
    return render_template("accounts/registration_data_request.html", form=form), form.status()


ANSWER_TIME = AnswerTime()


@bp.teardown_request
def answer_in_equal_time(error):
    """As for password resets (accounts.views): an answer that sent nothing waits as long as the
    slowest recent one that sent an e-mail, so the time does not tell who registered."""
    started, sent = g.pop("data_request_answer", (None, False))
    if started is None or error is not None:
        return
    if sent:
        ANSWER_TIME.record(time.monotonic() - started)
    db.session.close()  # its connection goes back to the pool while the answer waits
    time.sleep(max(0.0, started + ANSWER_TIME.longest() - time.monotonic()))


# The token travels in the query string, never in the path: access logs record paths only.
@bp.get("/moje-zgloszenia/dane/pobierz")
def download():
    try:
        address = tokens.read_registration_data_token(request.args.get("token", ""))
    except tokens.InvalidToken as error:
        return render_template("accounts/link_invalid.html", expired=error.expired, kind="registration_data"), 400
    data = personal_data.registrations_export(address)
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="moje-zgloszenia-wspolnie.json"'
    response.headers["Cache-Control"] = "no-store"
    return response
