"""An applicant without an account asks for the data of their registrations (RODO art. 15).

They type an address; we e-mail a signed link valid for a day to it, and opening the link gives
the JSON of the registrations made with that address (`personal_data.registrations_export`):
whoever holds the mailbox holds the data. The answer page is the same whatever the address, so
it never tells whether someone registered.
"""
import json

from flask import Blueprint, Response, current_app, render_template, request, url_for

from portal import equal_time, mail
from portal.accounts import personal_data, tokens
from portal.accounts.forms import ForgotPasswordForm
from portal.accounts.services import normalise_email
from portal.extensions import limiter
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
        answer = equal_time.answer("registration_data")  # the same time whatever the address
        answer.sent = personal_data.has_registrations(address)
        if answer.sent:
            mail.queue(address, "registration_data_link",
                       link=url_for("registration_data.download", token=tokens.make_registration_data_token(address),
                                    _external=True),
                       hours=int(tokens.REGISTRATION_DATA_MAX_AGE.total_seconds() // 3600))
        return render_template("accounts/registration_data_sent.html", email=address)
    return render_template("accounts/registration_data_request.html", form=form), form.status()


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
