"""Production entry point: `gunicorn wsgi:app` (FLASK_SECRET_KEY,
FLASK_SERVER_NAME and FLASK_SQLALCHEMY_DATABASE_URI set)."""
import gc

from portal import create_app, warm_up

app = create_app({"PRODUCTION": True})
warm_up(app)  # under gunicorn's preload_app, once in the master for every worker
# Everything made so far lives as long as the process: the collector need not look at it again.
# Each worker, a fork of the master, would otherwise walk all of it at its first full collection
# (and write to every page it shares with the master): stalls of up to a second while workers are
# recycled under load (p95 0.9 s → 16 ms in benchmarks/run.py's anonymous pages).
gc.freeze()
