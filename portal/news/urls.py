"""The URL table (see portal/routing.py). News by e-mail: subscribe, confirm, unsubscribe; the Atom
feed of consultations.
"""
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
