"""The URL table (see portal/routing.py). Pages: the legal pages (privacy, accessibility, easy-to-
read, PJM) and their editing by admins.
"""
from flask import Blueprint

from portal.pages import legal, manage, views
from portal.routing import add_routes


legal_admin = Blueprint("legal_admin", __name__, url_prefix="/zespol/strony-prawne")
pages = Blueprint("pages", __name__)


add_routes(legal_admin, [
    ("GET", "", manage.pages),
])

add_routes(pages, [
    ("POST", "/jezyk", views.set_language),
    ("GET", "/healthz", views.healthz),
])
# One rule per legal page (no converter for the page): the address is fixed, `page` comes as a
# default, on the public side and in the back office alike.
for _page, _kind in views.LEGAL_PAGES.items():
    pages.add_url_rule(f"/{_page}", views.ENDPOINTS[_kind], views.legal_page, defaults={"page": _page})
    pages.add_url_rule(f"/{_page}/wersje", "legal_history", views.legal_history, defaults={"page": _page})
    pages.add_url_rule(f"/{_page}/wersje/<int:number>", "legal_version", views.legal_version,
                       defaults={"page": _page})
    legal_admin.add_url_rule(f"/{_page}", "edit", manage.edit, methods=["GET", "POST"], defaults={"page": _page})
pages.add_app_template_global(views.privacy_notice_version)
pages.add_app_template_global(views.legal_page_url)
pages.add_app_template_global(legal.statement_html, "statement_html")

BLUEPRINTS = (legal_admin, pages)
