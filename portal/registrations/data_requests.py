"""An applicant without an account asks for the data of their registrations (RODO art. 15).

They type an address; we e-mail a signed link valid for a day to it, and opening the link gives
the JSON of the registrations made with that address (`personal_data.registrations_export`):
whoever holds the mailbox holds the data. The answer page is the same whatever the address, so
it never tells whether someone registered.
"""
import json

from flask import current_app, render_template, request, url_for

from portal import equal_time, mail
from portal.accounts import personal_data, tokens
from portal.accounts.forms import ForgotPasswordForm
from portal.downloads import file_response
from portal.extensions import limiter
from portal.forms import validates_own_csrf


class DataRequestForm(ForgotPasswordForm):
    """Only the address (the same field as the password reset's)."""


@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
@validates_own_csrf
def request_data():
    return equal_time.address_form(DataRequestForm(), "registration_data", _send_data_link,
                                   "accounts/registration_data_sent.html", "accounts/registration_data_request.html")


def _send_data_link(address: str) -> bool:
    """A link to the data of the address's registrations, if it has any."""
    if not personal_data.has_registrations(address):
        return False
    mail.queue(address, "registration_data_link",
               link=url_for("registration_data.download", token=tokens.make_registration_data_token(address),
                            _external=True),
               hours=int(tokens.REGISTRATION_DATA_MAX_AGE.total_seconds() // 3600))
    return True


# The token travels in the query string, never in the path: access logs record paths only.
def download():
    try:
        address = tokens.read_registration_data_token(request.args.get("token", ""))
    except tokens.InvalidToken as error:
        return render_template("accounts/link_invalid.html", expired=error.expired, kind="registration_data"), 400
    data = personal_data.registrations_export(address)
    return file_response(json.dumps(data, ensure_ascii=False, indent=2), "moje-zgloszenia-wspolnie.json",
                         private=True)
