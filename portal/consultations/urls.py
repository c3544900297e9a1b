"""The URL table (see portal/routing.py). Consultations: the list, the announcement page, its print
view and PDF.
"""
from flask import Blueprint

from portal.consultations import views
from portal.routing import add_routes


consultations = Blueprint("consultations", __name__)


add_routes(consultations, [
    ("GET", "/", views.home),
    ("GET", "/konsultacje/<slug>", views.announcement),
    ("GET", "/konsultacje/<slug>/druk", views.print_view),
    ("GET", "/konsultacje/<slug>/pdf", views.pdf_view),
])

BLUEPRINTS = (consultations,)
