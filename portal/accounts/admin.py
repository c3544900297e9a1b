"""Admin: manage users (roles, trust, blocks, organisation verification).

Every route is for admins only. Pages carry personal data, so no response here is cached.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import mail, pagination, permissions
from portal.accounts import admin_forms as forms, admin_services as services
from portal.accounts.models import ROLE_LABELS, Organisation, User
from portal.bad_input import bounded_int
from portal.extensions import db
from portal.forms import validates_own_csrf

bp = Blueprint("admin_users", __name__, url_prefix="/admin")


@bp.get("/uzytkownicy")
@permissions.require(permissions.is_admin)
def list_users():
    search = request.args.get("q", "").strip()
    page = services.find_users(search, pagination.requested_page())
    return render_template("accounts/admin/users.html", page=page, search=search, outbox=mail.status())


@bp.get("/uzytkownicy/<int:user_id>")
@permissions.require(permissions.is_admin)
def user_detail(user_id: int):
    return _detail_page(db.get_or_404(User, user_id))


def _detail_page(user: User, submitted: forms.Form | None = None):
    """The user's page; `submitted` is the form re-shown with what was typed and its errors."""
    organisation_verified = bool(user.organisation and user.organisation.is_verified)
    page_forms = {
        "role_form": forms.RoleForm(formdata=None, role=user.role.value),
        "trust_form": forms.TrustForm(formdata=None, trusted=forms.NO if user.is_trusted else forms.YES),
        "block_form": forms.BlockForm(formdata=None),
        "unblock_form": forms.UnblockForm(formdata=None),
        "verification_form": forms.VerificationForm(
            formdata=None, verified=forms.NO if organisation_verified else forms.YES),
    }
    for name, form in page_forms.items():
        if type(form) is type(submitted):
            page_forms[name] = submitted
    status = submitted.status() if submitted is not None else 200
    return render_template("accounts/admin/user.html", user=user, history=services.history(user),
                           today=forms.local_today(), **page_forms), status


def _back_to(user: User):
    return redirect(url_for("admin_users.user_detail", user_id=user.id), 303)


def _actor() -> User:
    return current_user._get_current_object()


def _flash_outcome(changed: bool, done_message: str) -> None:
    if changed:
        flash(done_message, "success")
    else:
        flash(_("Bez zmian: ten stan był już ustawiony."), "info")


# Each change: validate the form, call one service, flash, go back to the user's page. A rule's
# refusal is shown next to the form's field, like a validation error.

@bp.post("/uzytkownicy/<int:user_id>/rola")
@permissions.require(permissions.is_admin)
@validates_own_csrf
def change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = forms.RoleForm()
    if form.validate_on_submit():
        try:
            changed = services.change_role(_actor(), user, form.chosen_role, form.role_reason.data)
        except services.AdminError as error:
            form.role.errors.append(error.message)
        else:
            _flash_outcome(changed, _("Zmieniono rolę na: %(role)s.", role=ROLE_LABELS[user.role]))
            return _back_to(user)
    return _detail_page(user, form)


@bp.post("/uzytkownicy/<int:user_id>/zaufany")
@permissions.require(permissions.is_admin)
@validates_own_csrf
def set_trusted(user_id: int):
    user = db.get_or_404(User, user_id)
    form = forms.TrustForm()
    if form.validate_on_submit():
        try:
            changed = services.set_trusted(_actor(), user, form.wants_trusted, form.trust_reason.data)
        except services.AdminError as error:
            form.trust_reason.errors.append(error.message)
        else:
            _flash_outcome(changed, _("Użytkownik jest teraz zaufany: jego uwagi nie czekają na wstępną moderację.")
                           if form.wants_trusted else
                           _("Użytkownik nie jest już zaufany: jego uwagi będą wstępnie moderowane."))
            return _back_to(user)
    return _detail_page(user, form)


@bp.post("/uzytkownicy/<int:user_id>/blokada")
@permissions.require(permissions.is_admin)
@validates_own_csrf
def block_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = forms.BlockForm()
    if form.validate_on_submit():
        try:
            services.block_user(_actor(), user, form.blocked_until.data, form.block_reason.data)
        except services.AdminError as error:
            form.block_reason.errors.append(error.message)
        else:
            flash(_("Konto zostało zablokowane. Wysłaliśmy użytkownikowi wiadomość z powodem blokady."), "success")
            return _back_to(user)
    return _detail_page(user, form)


@bp.post("/uzytkownicy/<int:user_id>/odblokowanie")
@permissions.require(permissions.is_admin)
@validates_own_csrf
def unblock_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = forms.UnblockForm()
    if form.validate_on_submit():
        try:
            changed = services.unblock_user(_actor(), user, form.unblock_reason.data)
        except services.AdminError as error:
            form.unblock_reason.errors.append(error.message)
        else:
            _flash_outcome(changed, _("Konto zostało odblokowane. Wysłaliśmy użytkownikowi wiadomość."))
            return _back_to(user)
    return _detail_page(user, form)


@bp.post("/organizacje/<int:organisation_id>/weryfikacja")
@permissions.require(permissions.is_admin)
@validates_own_csrf
def verify_organisation(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    user = _member(organisation, bounded_int(request.args.get("uzytkownik")))
    form = forms.VerificationForm()
    if form.validate_on_submit():
        changed = services.set_organisation_verified(_actor(), organisation, form.wants_verified,
                                                     form.verification_reason.data)
        _flash_outcome(changed, _("Organizacja jest teraz zweryfikowana.") if form.wants_verified
                       else _("Cofnięto weryfikację organizacji."))
        return _back_to(user)
    return _detail_page(user, form)


def _member(organisation: Organisation, user_id: int | None) -> User:
    """The member whose page the form was sent from (another member if that one has left)."""
    user = db.session.get(User, user_id) if user_id else None
    if user is not None and user.organisation_id == organisation.id:
        return user
    user = db.session.scalar(select(User).where(User.organisation_id == organisation.id).order_by(User.id).limit(1))
    if user is None:
        abort(404)
    return user
