"""Admin: manage users (roles, trust, blocks, organisation verification).

Every route is for admins only. Pages carry personal data, so no response here is cached.
"""
from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import mail, pagination, permissions
from portal.accounts import manage_forms as forms, admin_services as services
from portal.accounts.models import ROLE_LABELS, Organisation, User
from portal.bad_input import bounded_int
from portal.extensions import db
from portal.forms import validates_own_csrf
from portal.web import flash_outcome


@permissions.require(permissions.is_admin)
def list_users():
    search = request.args.get("q", "").strip()
    page = services.find_users(search, pagination.requested_page())
    return render_template("accounts/admin/users.html", page=page, search=search, outbox=mail.status())


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


def account_change_views(rule, find_user, back, page):
    """Views that change an account from a form of its page: the admin's here, the moderators'
    user tools (moderation.tools). `rule` says who may, `find_user(user_id)` gives the account
    (or 404/403), `back(user)` leads to the page again and `page(user, form)` shows it.

    Returns the decorator `(form_class, refused_field)`: the decorated `change(actor, user, form)`
    runs for a valid form, calls one service and says what it did; a rule's refusal (`AdminError`)
    is shown next to `refused_field`, like a validation error, with the form as sent.
    """
    def form_view(form_class: type[forms.Form], refused_field: str):
        def decorator(change):
            @permissions.require(rule)
            @validates_own_csrf
            @wraps(change)
            def view(user_id: int):
                user = find_user(user_id)
                form = form_class()
                if form.validate_on_submit():
                    try:
                        change(_actor(), user, form)
                    except services.AdminError as error:
                        form[refused_field].errors.append(error.message)
                    else:
                        return back(user)
                return page(user, form)
            return view
        return decorator
    return form_view


def change_trust(actor: User, user: User, form: forms.TrustForm) -> None:
    """Trust or stop trusting an account (the moderators' user tools do it the same way)."""
    changed = services.set_trusted(actor, user, form.wants_trusted, form.trust_reason.data)
    flash_outcome(changed, _("Użytkownik jest teraz zaufany: jego uwagi nie czekają na wstępną moderację.")
                  if form.wants_trusted else
                  _("Użytkownik nie jest już zaufany: jego uwagi będą wstępnie moderowane."))


_change = account_change_views(permissions.is_admin, lambda user_id: db.get_or_404(User, user_id),
                               _back_to, _detail_page)


@_change(forms.RoleForm, "role")
def change_role(actor: User, user: User, form: forms.RoleForm) -> None:
    changed = services.change_role(actor, user, form.chosen_role, form.role_reason.data)
    flash_outcome(changed, _("Zmieniono rolę na: %(role)s.", role=ROLE_LABELS[user.role]))


@_change(forms.TrustForm, "trust_reason")
def set_trusted(actor: User, user: User, form: forms.TrustForm) -> None:
    change_trust(actor, user, form)


@_change(forms.BlockForm, "block_reason")
def block_user(actor: User, user: User, form: forms.BlockForm) -> None:
    services.block_user(actor, user, form.blocked_until.data, form.block_reason.data)
    flash(_("Konto zostało zablokowane. Wysłaliśmy użytkownikowi wiadomość z powodem blokady."), "success")


@_change(forms.UnblockForm, "unblock_reason")
def unblock_user(actor: User, user: User, form: forms.UnblockForm) -> None:
    changed = services.unblock_user(actor, user, form.unblock_reason.data)
    flash_outcome(changed, _("Konto zostało odblokowane. Wysłaliśmy użytkownikowi wiadomość."))


@permissions.require(permissions.is_admin)
@validates_own_csrf
def verify_organisation(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    user = _member(organisation, bounded_int(request.args.get("uzytkownik")))
    form = forms.VerificationForm()
    if form.validate_on_submit():
        changed = services.set_organisation_verified(_actor(), organisation, form.wants_verified,
                                                     form.verification_reason.data)
        flash_outcome(changed, _("Organizacja jest teraz zweryfikowana.") if form.wants_verified
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
