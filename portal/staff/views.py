"""STUB: filled in by its owner (see the module's final docstring)."""
from flask import Blueprint, abort

bp = Blueprint("staff", __name__, url_prefix="/zespol")


@bp.route("/konsultacje")
def consultations(**kwargs):
    abort(404)


@bp.route("/konsultacje/<slug>/edycja")
def edit_consultation(**kwargs):
    abort(404)


@bp.route("/konsultacje/<slug>/etapy")
def phases(**kwargs):
    abort(404)
