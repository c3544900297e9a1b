"""Site-wide pages: accessibility statement, privacy notice, language switch, health check."""
import threading

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
    """For load balancers: 200 while this worker can reach the database, 503 otherwise.

    The check runs in a thread of its own and is waited for at most HEALTHZ_TIMEOUT seconds, so
    a database that accepts connections but never answers gives 503 in time, not a hung worker.
    A thread left waiting ends by itself at DATABASE_CONNECT_TIMEOUT or the pool's timeout (one
    on a pooled connection whose server stops answering mid-query waits until TCP gives up; at
    most the pool's size of them, since the others then wait for the pool).
    """
    engine, logger = db.engine, current_app.logger
    outcome: list[bool] = []

    def check() -> None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            outcome.append(True)
        except SQLAlchemyError:
            logger.exception("health check: the database is unreachable")

    worker = threading.Thread(target=check, name="healthz", daemon=True)
    worker.start()
    worker.join(float(current_app.config["HEALTHZ_TIMEOUT"]))
    if not outcome:
        if worker.is_alive():
            logger.error("health check: the database did not answer within %s s",
                         current_app.config["HEALTHZ_TIMEOUT"])
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
