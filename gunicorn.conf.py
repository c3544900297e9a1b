"""gunicorn settings for `gunicorn wsgi:app` (read automatically from the working directory).

Every value can be overridden by the environment (GUNICORN_CMD_ARGS="--workers 8") or the
command line. Workers keep no state of their own — sessions are signed cookies, rate limits
live in Redis, e-mail waits in the database's outbox, and the participants a worker remembers
are forgotten the moment PostgreSQL announces a change (portal/page_versions.py; each worker
listens on a connection of its own, opened at its first participant's page) — so any number of
them, on any number of machines behind one load balancer, serve the same portal.
"""
import functools
import multiprocessing
import os
import signal
import sys

bind = os.environ.get("WSPOLNIE_BIND", "127.0.0.1:8000")
# Synchronous workers, the usual 2 × cores + 1: requests are short and wait on PostgreSQL.
workers = int(os.environ.get("WSPOLNIE_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A request (a PDF, an XLSX export of a large report) may take seconds, never a minute.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak can never grow without bound; the jitter spreads
# the restarts, and preloading makes each one a fork of the master, which has imported the portal
# and read the Polish stemmer's tables already (wsgi.py): a new worker answers at once instead of
# spending ~1 s of CPU on imports while its requests wait, and the tables' ~30 MB are shared.
max_requests = 2000
max_requests_jitter = 500
preload_app = True


def when_ready(server):
    """The master's handlers for a stop (SIGTERM, SIGINT, SIGQUIT) end a worker that still runs them.

    A worker has the master's signal handlers from its fork until gunicorn gives it its own; they
    only queue a signal for the master's loop, a loop the worker never runs. A stop that reached a
    worker in that moment was lost, and the master waited its whole graceful_timeout for it
    (gunicorn issue #1910). On a busy machine the moment lasts: a forked worker may not run at
    all before both the stop sent to the whole process group and the master's own SIGTERM have
    come. The master's handlers, wrapped here once they are set, see in which process they run.
    """
    master = os.getpid()
    for stop in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(stop, functools.partial(_stop, master, signal.getsignal(stop)))


def _stop(master: int, masters_handler, sig, frame):
    if os.getpid() != master:
        sys.exit(0)  # a worker still starting: gunicorn logs "Worker exiting", the master counts it gone
    masters_handler(sig, frame)


def post_fork(server, worker):
    """A worker opens its own database connections (none may be inherited from the master)."""
    app = server.app.wsgi()  # the preloaded application (the portal, or the benchmark's "hello")
    extension = getattr(app, "extensions", {}).get("sqlalchemy")
    if extension is not None:
        with app.app_context():
            extension.engine.dispose(close=False)


# No control socket: gunicorn 27 opens one at a fixed path (~/.gunicorn/gunicorn.ctl) that every
# instance on the machine would share, and the portal is managed by signals (systemd, `kill -HUP`).
control_socket_disable = True
# Trust X-Forwarded-* only from the reverse proxy in front (set to its address).
forwarded_allow_ips = os.environ.get("WSPOLNIE_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
# No personal data in the access log: no client address (%(h)s), no user agent, no referer,
# and the path without its query string (%(U)s) — private links carry their tokens there.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
