"""STUB: filled in by its owner (see the module's final docstring)."""
from flask import Blueprint, abort

bp = Blueprint("reports", __name__, url_prefix="")


@bp.route("/konsultacje/<slug>/raport")
def report(**kwargs):
    abort(404)


@bp.route("/zespol/konsultacje/<slug>/raport")
def manage(**kwargs):
    abort(404)
