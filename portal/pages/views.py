"""Site-wide pages: accessibility statement, privacy notice, language switch, health check."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.urls import local_path_or

bp = Blueprint("pages", __name__)


@bp.get("/deklaracja-dostepnosci")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.get("/ochrona-danych-osobowych")
def privacy():
    return render_template("pages/privacy.html")


@bp.post("/jezyk")
def set_language():
    language = request.form.get("lang", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = language
    return redirect(local_path_or(request.form.get("next"), url_for("consultations.home")))


@bp.get("/healthz")
def healthz():
    """For load balancers: 200 while this worker can reach the database, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("health check: the database is unreachable")
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
