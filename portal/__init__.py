"""Wspólnie — a consultation portal for Polish municipalities."""
import secrets
from pathlib import Path

from flask import Flask, g, session
from flask_babel import lazy_gettext

from portal.config import Defaults
from portal.extensions import babel, cache, csrf, db, limiter, login_manager, migrate, static_digest

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI, error pages."""
    app = Flask(
        __name__,
        instance_path=instance_path or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    _configure(app, config or {})
    _trust_proxies(app)
    from portal import bad_input

    app.url_map.converters["int"] = bad_input.DatabaseIdConverter  # ids beyond INTEGER: 404
    _bind_extensions(app)
    from portal import database, page_versions

    database.init_app(app)  # connections pinged after idling, not before every use
    page_versions.init_app(app)  # PostgreSQL: workers listen for new page versions
    bad_input.init_app(app)  # NUL bytes, page numbers: 4xx before any view
    _register_blueprints(app)

    from portal import cli, web

    web.init_app(app)
    cli.init_app(app)
    return app


def warm_up(app: Flask) -> None:
    """Do now what every new process would otherwise do at its first requests: compile every
    template, read every language's translations and the Polish stemmer's tables. Under gunicorn's
    preload_app it runs once in the master (wsgi.py), and each worker — recycled every few thousand
    requests — starts as a fork that answers its first request as fast as its thousandth."""
    from flask_babel import force_locale, get_translations

    from portal.forum import search_index

    for name in app.jinja_env.list_templates(extensions=("html", "txt", "xml")):
        app.jinja_env.get_template(name)
    with app.test_request_context():
        for locale in app.config["LANGUAGES"]:
            with force_locale(locale):
                get_translations()
    search_index.warm()


def _configure(app: Flask, overrides: dict) -> None:
    app.config.from_object(Defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'wspolnie.sqlite'}"
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    app.config.update(overrides)
    _database_timeouts(app)

    if app.config["PRODUCTION"]:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. In production set FLASK_SECRET_KEY "
                "(or SECRET_KEY in instance/config.py).")
        if not app.config.get("SERVER_NAME"):
            # Without it a link in an e-mail (a password reset) names whatever Host the request did.
            raise RuntimeError(
                "SERVER_NAME is not set. In production set FLASK_SERVER_NAME to the portal's host, "
                "e.g. konsultacje.example.org (or SERVER_NAME in instance/config.py): links in "
                "e-mails are built from it.")
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"  # links made outside a request (scheduled e-mails)
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret_key(Path(app.instance_path))


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_TRUSTED_HOPS reverse proxies, the client address and scheme are theirs to tell.

    Only the last N entries of X-Forwarded-For/-Proto are believed (what our own proxies added),
    so a client cannot forge its address with a header of its own. The Host header is never
    taken from X-Forwarded-Host: links are built from SERVER_NAME or the Host the proxy passes.
    """
    hops = int(app.config.get("PROXY_TRUSTED_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


def _database_timeouts(app: Flask) -> None:
    """PostgreSQL: bounded connect, statement and pool waits (a database that hangs fails fast).

    Explicit values in SQLALCHEMY_ENGINE_OPTIONS win; the URL's own `options` (e.g. a
    search_path) are kept. SQLite takes none of these.
    """
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", int(app.config["DATABASE_CONNECT_TIMEOUT"]))
    statement_ms = int(float(app.config["DATABASE_STATEMENT_TIMEOUT"]) * 1000)
    if "statement_timeout" not in str(connect_args.get("options", url.query.get("options", ""))):
        given = connect_args.get("options", url.query.get("options", ""))
        if isinstance(given, tuple):
            given = " ".join(given)
        connect_args["options"] = f"{given} -c statement_timeout={statement_ms}".strip()
    options["connect_args"] = connect_args
    options.setdefault("pool_timeout", app.config["DATABASE_POOL_TIMEOUT"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _development_secret_key(instance: Path) -> str:
    """Generated once into instance/secret_key, so sessions survive restarts in development."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _select_locale() -> str:
    from flask import current_app, has_request_context

    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


_LIMITER_PHASE = "limiter_phase"
_LIMITS_FOR_EVERY_PAGE = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")


def _bind_limiter(app: Flask) -> None:
    """Flask-Limiter asks about limits twice a request: before the view, for limits that hold for
    every page (default, application-wide and meta limits, limits on a whole blueprint), and inside
    each view marked `@limiter.limit`, for that view's own. The portal sets only the latter, so the
    first question is pure cost — about a fifth of a shared page's time under load — and is skipped:
    hooks registered on either side of the limiter's own mark the phase, and the limiter is exempt
    only between them. Should they ever run in another order, the check simply runs. Limits for
    every page, in the configuration or the Limiter's arguments, keep the check; a limit on a whole
    blueprint (`limiter.limit(...)(blueprint)`) would need this skip taken out."""
    manager = limiter.limit_manager
    for_every_page = bool(any(app.config.get(key) for key in _LIMITS_FOR_EVERY_PAGE)
                          or manager.default_limits or manager.application_limits)
    if not for_every_page:
        app.before_request(lambda: setattr(g, _LIMITER_PHASE, "before the view"))
    limiter.init_app(app)
    if not for_every_page:
        app.before_request(lambda: setattr(g, _LIMITER_PHASE, "view"))


@limiter.request_filter
def _before_the_view() -> bool:
    return g.get(_LIMITER_PHASE) == "before the view"


def _bind_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_message = lazy_gettext("Zaloguj się, aby zobaczyć tę stronę.")
    login_manager.login_message_category = "info"
    _bind_limiter(app)
    static_digest.init_app(app)
    cache.init_app(app)

    from portal import page_cache

    # Flask-WTF's csrf_token() (global and context processor), with a placeholder in shared pages.
    app.jinja_env.globals["csrf_token"] = page_cache.csrf_token
    app.context_processor(lambda: {"csrf_token": page_cache.csrf_token})

    from portal import models  # noqa: F401 - every table known to metadata and Alembic

    login_manager.login_view = "accounts.login"
    login_manager.session_protection = None  # the session version below does this job

    @login_manager.user_loader
    def load_user(user_id: str):
        """The cookie names "<id>.<session version>"; an old version (after logout) is refused."""
        from portal.accounts.sessions import is_current, login_key
        from portal.moderation.queue_count import user_with_queue_count

        key = login_key(user_id)
        if key is None:
            return None
        user = user_with_queue_count(key[0])
        return user if is_current(user, key[1]) else None


def _register_blueprints(app: Flask) -> None:
    """Each package's URL table is its `urls.py`; the app takes all of them."""
    from portal.accounts import urls as accounts
    from portal.consultations import urls as consultations
    from portal.forum import urls as forum
    from portal.moderation import urls as moderation
    from portal.news import urls as news
    from portal.pages import urls as pages
    from portal.registrations import urls as registrations
    from portal.reports import urls as reports
    from portal.staff import urls as staff

    for package in (accounts, consultations, forum, moderation, pages, registrations, staff, reports, news):
        for blueprint in package.BLUEPRINTS:
            app.register_blueprint(blueprint)
