"""Public pages of working-group and meeting sessions: the group meeting's calendar file and what
staff published afterwards (recording link, minutes, summary)."""
from flask import Blueprint

bp = Blueprint("meeting_materials", __name__)
