"""Wspólnie — a consultation portal for Polish municipalities."""
import secrets
from pathlib import Path

from flask import Flask, session
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
    _bind_extensions(app)
    _register_blueprints(app)

    from portal import cli, web

    web.init_app(app)
    cli.init_app(app)
    return app


def _configure(app: Flask, overrides: dict) -> None:
    app.config.from_object(Defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'wspolnie.sqlite'}"
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    app.config.update(overrides)

    if app.config["PRODUCTION"]:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. In production set FLASK_SECRET_KEY "
                "(or SECRET_KEY in instance/config.py).")
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        app.config["SESSION_COOKIE_SECURE"] = True
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret_key(Path(app.instance_path))


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


def _bind_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_message = lazy_gettext("Zaloguj się, aby zobaczyć tę stronę.")
    login_manager.login_message_category = "info"
    limiter.init_app(app)
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
        user_key, _, version = user_id.partition(".")
        if not (user_key.isdigit() and version.isdigit()):
            return None
        from portal.moderation.queue_count import user_with_queue_count

        user = user_with_queue_count(int(user_key))
        if user is None or user.session_version != int(version) or not user.is_active:
            return None
        return user


def _register_blueprints(app: Flask) -> None:
    from portal.accounts.admin import bp as admin_users
    from portal.accounts.views import bp as accounts
    from portal.consultations.views import bp as consultations
    from portal.forum.feeds import bp as forum_feeds
    from portal.forum.staff import bp as forum_staff
    from portal.forum.views import bp as forum
    from portal.moderation.records import bp as moderation_records
    from portal.moderation.settings import bp as moderation_settings
    from portal.moderation.tools import bp as moderation_tools
    from portal.moderation.views import bp as moderation
    from portal.pages.views import bp as pages
    from portal.registrations.staff import bp as registrations_staff
    from portal.registrations.views import bp as registrations
    from portal.reports.final_views import bp as final_document
    from portal.reports.views import bp as reports
    from portal.reports.workspace import bp as report_workspace
    from portal.staff.documents import bp as documents
    from portal.staff.groups import bp as staff_groups
    from portal.staff.views import bp as staff

    app.register_blueprint(accounts)
    app.register_blueprint(admin_users)
    app.register_blueprint(consultations)
    app.register_blueprint(forum)
    app.register_blueprint(forum_feeds)
    app.register_blueprint(forum_staff)
    app.register_blueprint(moderation)
    app.register_blueprint(moderation_tools)
    app.register_blueprint(moderation_records)
    app.register_blueprint(moderation_settings)
    app.register_blueprint(pages)
    app.register_blueprint(registrations)
    app.register_blueprint(registrations_staff)
    app.register_blueprint(staff)
    app.register_blueprint(documents)
    app.register_blueprint(staff_groups)
    app.register_blueprint(report_workspace)
    app.register_blueprint(reports)
    app.register_blueprint(final_document)
