"""Every address of this package in one table: which URL runs which view.

Consultations: the list, the announcement page, its print view and PDF.

The views are plain functions in their modules; blueprints and routes are declared only here
(as Indico's blueprint.py), so the URL map of the package reads top to bottom."""
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
