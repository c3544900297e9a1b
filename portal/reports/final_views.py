"""STUB: filled in by its owner (see the module's final docstring)."""
from flask import Blueprint, abort

bp = Blueprint("final_document", __name__, url_prefix="")


@bp.route("/zespol/konsultacje/<slug>/wersja-koncowa")
def manage(**kwargs):
    abort(404)


@bp.route("/konsultacje/<slug>/zmiany")
def changes(**kwargs):
    abort(404)
