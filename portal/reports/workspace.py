"""STUB: filled in by its owner (see the module's final docstring)."""
from flask import Blueprint, abort

bp = Blueprint("report_workspace", __name__, url_prefix="/zespol")


@bp.route("/konsultacje/<slug>/odpowiedzi")
def workspace(**kwargs):
    abort(404)
