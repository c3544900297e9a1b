"""Subscribing to news of consultations (double opt-in), one-click unsubscribe, the Atom feed."""
from flask import Blueprint

bp = Blueprint("news", __name__)
