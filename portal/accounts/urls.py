"""The URL table (see portal/routing.py). Accounts: signing up, logging in, passwords, profile,
personal data; admins' user management.
"""
from flask import Blueprint

from portal.accounts import activity, manage, views
from portal.routing import add_routes


admin_users = Blueprint("admin_users", __name__, url_prefix="/admin")
accounts = Blueprint("accounts", __name__)


add_routes(admin_users, [
    ("GET", "/uzytkownicy", manage.list_users),
    ("GET", "/uzytkownicy/<int:user_id>", manage.user_detail),
    ("POST", "/uzytkownicy/<int:user_id>/rola", manage.change_role),
    ("POST", "/uzytkownicy/<int:user_id>/zaufany", manage.set_trusted),
    ("POST", "/uzytkownicy/<int:user_id>/blokada", manage.block_user),
    ("POST", "/uzytkownicy/<int:user_id>/odblokowanie", manage.unblock_user),
    ("POST", "/organizacje/<int:organisation_id>/weryfikacja", manage.verify_organisation),
])

add_routes(accounts, [
    ("GET POST", "/rejestracja", views.sign_up),
    ("GET", "/potwierdz-email", views.verify_email),
    ("GET POST", "/logowanie", views.login),
    ("POST", "/wyloguj", views.logout),
    ("GET POST", "/nie-pamietam-hasla", views.forgot_password),
    ("GET POST", "/nowe-haslo", views.reset_password),
    ("GET POST", "/konto", views.profile),
    ("POST", "/konto/wyslij-potwierdzenie", views.resend_verification),
    ("GET POST", "/konto/haslo", views.change_password),
    ("GET POST", "/konto/email", views.change_email),
    ("GET", "/konto/moje-dane.json", views.export_data),
    ("GET", "/konto/moje-dane", views.data_summary),
    ("GET", "/konto/moje-uwagi", activity.my_activity),
    ("GET POST", "/konto/usun", views.delete_account),
])
accounts.register_error_handler(429, views.too_many_attempts)

BLUEPRINTS = (admin_users, accounts)
