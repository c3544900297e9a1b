"""STUB: filled in by its owner (see the module's final docstring)."""
from flask import Blueprint, abort

bp = Blueprint("staff_groups", __name__, url_prefix="/zespol")


@bp.route("/konsultacje/<slug>/grupy")
def groups(**kwargs):
    abort(404)


@bp.route("/konsultacje/<slug>/spotkania")
def meetings(**kwargs):
    abort(404)
