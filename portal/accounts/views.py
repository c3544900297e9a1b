"""Sign-up, e-mail verification, login/logout, password reset, profile, data export and erasure."""
import json
from datetime import datetime, timezone

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from portal import clock, equal_time
from portal.accounts import admin_services, forms, known_browsers, services, sessions, tokens
from portal.extensions import limiter
from portal.forms import validates_own_csrf
from portal.urls import local_path_or

bp = Blueprint("accounts", __name__)


def _organisation(form) -> services.OrganisationData:
    return services.OrganisationData(form.organisation_name.data or "", form.organisation_krs.data or "",
                                     form.organisation_city.data or "")


@bp.route("/rejestracja", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_LIMIT_PER_IP"], methods=["POST"])
@validates_own_csrf
def sign_up():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("accounts.profile"))
    form = forms.SignUpForm()
    if form.validate_on_submit():
        # The same page, headers and time whether or not the address is taken (no login here).
        services.sign_up(form.email.data, form.display_name.data, form.password.data, _organisation(form))
        return render_template("accounts/check_inbox.html", email=services.normalise_email(form.email.data))
    return render_template("accounts/sign_up.html", form=form), form.status()


# Tokens travel in the query string, never in the path: access logs record paths only.
@bp.get("/potwierdz-email")
def verify_email():
    token = request.args.get("token", "")
    try:
        user, outcome = services.verify_email(token)
    except tokens.InvalidToken as error:
        return render_template("accounts/link_invalid.html", expired=error.expired, kind="verify"), 400
    except services.AccountError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.profile"))
    messages = {
        "verified": _("Adres e-mail został potwierdzony. Możesz już brać udział w konsultacjach."),
        "changed": _("Adres e-mail konta został zmieniony i potwierdzony."),
        "already": _("Ten adres e-mail był już potwierdzony."),
    }
    if outcome == "verified" and not current_user.is_authenticated:
        # The first opening of a sign-up link logs the new person in (sign-up itself does not,
        # so that its answer is the same for a taken address); the mailbox vouches for the browser.
        sessions.log_in(user)  # a fresh session: the message comes after it
        flash(messages[outcome], "success")
        return known_browsers.remember(redirect(url_for("accounts.profile")), user.email)
    flash(messages[outcome], "success")
    return redirect(url_for("accounts.profile" if current_user.is_authenticated else "accounts.login"))


def _login_account_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))


def _failed_login(response) -> bool:
    # A request refused by a limit (429) guessed nothing: it must not add to the account's count,
    # or an address locked out for guessing could keep the account locked too.
    return response.status_code not in (302, 429)


def _known_browser() -> bool:
    # The account's lock does not refuse a browser that has logged in as it before
    # (portal/accounts/known_browsers.py): that browser is held by the limit per address only.
    return known_browsers.is_known(request.form.get("email", ""))


@bp.route("/logowanie", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], key_func=get_remote_address,
               methods=["POST"], deduct_when=_failed_login, scope="login-ip")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_login_account_key,
               methods=["POST"], deduct_when=_failed_login, exempt_when=_known_browser,
               scope="login-account")
@validates_own_csrf
def login():
    form = forms.LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            sessions.log_in(user)
            return known_browsers.remember(
                redirect(local_path_or(form.next.data, url_for("consultations.home"))), user.email)
        form.password.errors.append(_("Nieprawidłowy adres e-mail lub hasło."))
        return render_template("accounts/login.html", form=form), 200
    return render_template("accounts/login.html", form=form), form.status()


RATE_LIMITED_FORMS = {
    "accounts.login": (forms.LoginForm, "accounts/login.html"),
    "accounts.sign_up": (forms.SignUpForm, "accounts/sign_up.html"),
    "accounts.forgot_password": (forms.ForgotPasswordForm, "accounts/forgot_password.html"),
}


@bp.errorhandler(429)
def too_many_attempts(error):
    """Over the limit: the same form again, saying when to try again, with what was typed kept."""
    if request.endpoint not in RATE_LIMITED_FORMS:
        return render_template("errors/error.html", status=429, error=error), 429
    form_class, template = RATE_LIMITED_FORMS[request.endpoint]
    limit = limiter.current_limit
    retry_at = datetime.fromtimestamp(limit.reset_at, timezone.utc) if limit else clock.now_utc()
    return render_template(template, form=form_class(), retry_at=retry_at), 429


@bp.post("/wyloguj")
@login_required
def logout():
    sessions.log_out(current_user._get_current_object())
    flash(_("Wylogowano."), "success")
    return redirect(url_for("consultations.home"))


@bp.route("/nie-pamietam-hasla", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
@validates_own_csrf
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        # The same page, headers and time whether or not the address has an account.
        answer = equal_time.answer("password_reset")  # timed from here (the right side runs first)
        answer.sent = services.request_password_reset(form.email.data)
        return render_template("accounts/check_inbox.html", email=services.normalise_email(form.email.data),
                               reset=True)
    return render_template("accounts/forgot_password.html", form=form), form.status()


@bp.route("/nowe-haslo", methods=["GET", "POST"])
@validates_own_csrf
def reset_password():
    token = request.args.get("token", "")
    try:
        services.user_for_reset(token)
    except tokens.InvalidToken as error:
        return render_template("accounts/link_invalid.html", expired=error.expired, kind="reset"), 400
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(token, form.password.data)
        flash(_("Hasło zostało zmienione. Zaloguj się nowym hasłem."), "success")
        # The link came by e-mail: this browser is the owner's, and the account's lock
        # (if someone is guessing) no longer keeps it out.
        return known_browsers.remember(redirect(url_for("accounts.login")), user.email)
    return render_template("accounts/reset_password.html", form=form), form.status()


@bp.route("/konto", methods=["GET", "POST"])
@login_required
@validates_own_csrf
def profile():
    user = current_user._get_current_object()
    organisation = user.organisation
    form = forms.ProfileForm(obj=user, organisation_name=organisation.name if organisation else "",
                             organisation_krs=organisation.krs if organisation else "",
                             organisation_city=organisation.city if organisation else "")
    if form.validate_on_submit():
        services.update_profile(user, form.display_name.data, _organisation(form),
                                form.notify_replies.data, form.notify_subscriptions.data,
                                form.notify_report.data, form.moderation_digest.data)
        flash(_("Zapisano zmiany w profilu."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, user=user), form.status()


@bp.post("/konto/wyslij-potwierdzenie")
@login_required
def resend_verification():
    user = current_user._get_current_object()
    if not user.is_verified:
        services.send_verification(user)
        flash(_("Wysłaliśmy nowy link potwierdzający na adres %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/konto/haslo", methods=["GET", "POST"])
@login_required
@validates_own_csrf
def change_password():
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(), form.current_password.data,
                                     form.password.data)
        except services.AccountError as error:
            form.current_password.errors.append(error.message)
        else:
            sessions.log_in(current_user._get_current_object())  # this one continues; old copies do not
            flash(_("Hasło zostało zmienione. Inne zalogowane urządzenia zostały wylogowane."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form), form.status()


@bp.route("/konto/email", methods=["GET", "POST"])
@login_required
@validates_own_csrf
def change_email():
    form = forms.ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user._get_current_object(), form.current_password.data,
                                          form.email.data)
        except services.WrongPassword as error:
            form.current_password.errors.append(error.message)
        except services.AccountError as error:
            form.email.errors.append(error.message)
        else:
            flash(_("Wysłaliśmy link na adres %(email)s. Adres zmieni się, gdy go otworzysz.",
                    email=services.normalise_email(form.email.data)), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_email.html", form=form), form.status()


@bp.get("/konto/moje-dane.json")
@login_required
def export_data():
    data = services.export_data(current_user._get_current_object())
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="moje-dane-wspolnie.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/konto/moje-dane")
@login_required
def data_summary():
    """The same data as the JSON, to read: every kind under its heading."""
    data = services.export_data(current_user._get_current_object())
    response = Response(render_template("accounts/my_data.html", data=data))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/konto/usun", methods=["GET", "POST"])
@login_required
@validates_own_csrf
def delete_account():
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        try:
            user = current_user._get_current_object()
            services.delete_account(user, form.current_password.data)
        except services.AccountError as error:
            form.current_password.errors.append(error.message)
        except admin_services.AdminError as error:
            form.confirm.errors.append(error.message)
        else:
            sessions.forget(user)
            flash(_("Konto zostało usunięte, a Twoje dane osobowe wymazane."), "success")
            return redirect(url_for("consultations.home"))
    return render_template("accounts/delete_account.html", form=form), form.status()
