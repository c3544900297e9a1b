"""Every address of this package in one table: which URL runs which view.

News by e-mail: subscribe, confirm, unsubscribe; the Atom feed of consultations.

The views are plain functions in their modules; blueprints and routes are declared only here
(as Indico's blueprint.py), so the URL map of the package reads top to bottom."""
from flask import Blueprint

from portal.news import views
from portal.routing import add_routes


news = Blueprint("news", __name__)


add_routes(news, [
    ("GET POST", "/powiadomienia", views.subscribe),
    ("GET POST", "/powiadomienia/potwierdz/<token>", views.confirm),
    ("GET POST", "/powiadomienia/wypisz/<token>", views.unsubscribe),
    ("GET", "/konsultacje.atom", views.atom),
])

BLUEPRINTS = (news,)
