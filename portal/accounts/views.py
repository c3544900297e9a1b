"""Sign-up, e-mail verification, login/logout, password reset, profile, data export and erasure."""
import json
from datetime import datetime, timezone

from flask import (Response, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from portal import clock, equal_time
from portal.accounts import admin_services, forms, known_browsers, services, sessions, tokens
from portal.downloads import file_response
from portal.extensions import limiter
from portal.forms import validates_own_csrf
from portal.urls import local_path_or


def _organisation(form) -> services.OrganisationData:
    return services.OrganisationData(form.organisation_name.data or "", form.organisation_krs.data or "",
                                     form.organisation_city.data or "")


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


def too_many_attempts(error):
    """Over the limit: the same form again, saying when to try again, with what was typed kept."""
    if request.endpoint not in RATE_LIMITED_FORMS:
        return render_template("errors/error.html", status=429, error=error), 429
    form_class, template = RATE_LIMITED_FORMS[request.endpoint]
    limit = limiter.current_limit
    retry_at = datetime.fromtimestamp(limit.reset_at, timezone.utc) if limit else clock.now_utc()
    return render_template(template, form=form_class(), retry_at=retry_at), 429


@login_required
def logout():
    sessions.log_out(current_user._get_current_object())
    flash(_("Wylogowano."), "success")
    return redirect(url_for("consultations.home"))


@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
@validates_own_csrf
def forgot_password():
    # The same page, headers and time whether or not the address has an account.
    return equal_time.address_form(forms.ForgotPasswordForm(), "password_reset", services.request_password_reset,
                                   "accounts/check_inbox.html", "accounts/forgot_password.html", reset=True)


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


@login_required
def resend_verification():
    user = current_user._get_current_object()
    if not user.is_verified:
        services.send_verification(user)
        flash(_("Wysłaliśmy nowy link potwierdzający na adres %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.profile"))


def _went_through(form, attempt, *refusals) -> bool:
    """Whether the form is valid and `attempt()` did what it was asked.

    `refusals` are (kind of refusal, field) pairs: a refusal of a listed kind (the first that
    matches) is shown next to its field, like a validation error, and the page comes back.
    """
    if not form.validate_on_submit():
        return False
    try:
        attempt()
    except tuple(kind for kind, _field in refusals) as error:
        field = next(field for kind, field in refusals if isinstance(error, kind))
        field.errors.append(error.message)
        return False
    return True


@login_required
@validates_own_csrf
def change_password():
    form = forms.ChangePasswordForm()
    user = current_user._get_current_object()
    if _went_through(form, lambda: services.change_password(user, form.current_password.data, form.password.data),
                     (services.AccountError, form.current_password)):
        sessions.log_in(user)  # this one continues; old copies do not
        flash(_("Hasło zostało zmienione. Inne zalogowane urządzenia zostały wylogowane."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form), form.status()


@login_required
@validates_own_csrf
def change_email():
    form = forms.ChangeEmailForm()
    user = current_user._get_current_object()
    if _went_through(form, lambda: services.request_email_change(user, form.current_password.data, form.email.data),
                     (services.WrongPassword, form.current_password), (services.AccountError, form.email)):
        flash(_("Wysłaliśmy link na adres %(email)s. Adres zmieni się, gdy go otworzysz.",
                email=services.normalise_email(form.email.data)), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_email.html", form=form), form.status()


@login_required
def export_data():
    data = services.export_data(current_user._get_current_object())
    return file_response(json.dumps(data, ensure_ascii=False, indent=2), "moje-dane-wspolnie.json", private=True)


@login_required
def data_summary():
    """The same data as the JSON, to read: every kind under its heading."""
    data = services.export_data(current_user._get_current_object())
    response = Response(render_template("accounts/my_data.html", data=data))
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@validates_own_csrf
def delete_account():
    form = forms.DeleteAccountForm()
    user = current_user._get_current_object()
    if _went_through(form, lambda: services.delete_account(user, form.current_password.data),
                     (services.AccountError, form.current_password), (admin_services.AdminError, form.confirm)):
        sessions.forget(user)
        flash(_("Konto zostało usunięte, a Twoje dane osobowe wymazane."), "success")
        return redirect(url_for("consultations.home"))
    return render_template("accounts/delete_account.html", form=form), form.status()
