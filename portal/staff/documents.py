"""STUB: filled in by its owner (see the module's final docstring)."""
from flask import Blueprint, abort

bp = Blueprint("documents", __name__, url_prefix="")


@bp.route("/zespol/konsultacje/<slug>/dokumenty")
def manage(**kwargs):
    abort(404)


@bp.route("/konsultacje/<slug>/dokumenty/<int:document_id>")
def download(**kwargs):
    abort(404)
