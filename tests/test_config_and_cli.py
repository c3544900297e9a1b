"""Configuration layers, the secret key rule, `flask seed-demo` and the migrations."""

import pytest
from sqlalchemy import func, select

from portal import clock, create_app, demo
from portal.accounts.models import Role, User
from portal.consultations.models import Consultation, Phase, PhaseKind
from portal.consultations import services
from portal.extensions import db
from tests.conftest import log_in
from portal.registrations.models import Meeting, WorkingGroup


def test_instance_config_then_environment_then_arguments(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('SITE_OWNER = "Urząd Miasta Torunia"\nSITE_NAME = "Z pliku"\n')
    monkeypatch.setenv("FLASK_SITE_NAME", "Ze środowiska")
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    assert app.config["SITE_OWNER"] == "Urząd Miasta Torunia"
    assert app.config["SITE_NAME"] == "Ze środowiska"
    assert create_app({"SECRET_KEY": "x", "SITE_NAME": "Z argumentu"},
                      instance_path=str(tmp_path)).config["SITE_NAME"] == "Z argumentu"


def test_the_database_is_chosen_by_an_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI")
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'wspolnie.sqlite'}"


def test_development_generates_a_secret_key_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    first = create_app(instance_path=str(tmp_path)).config["SECRET_KEY"]
    second = create_app(instance_path=str(tmp_path)).config["SECRET_KEY"]
    assert len(first) >= 64 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"PRODUCTION": True}, instance_path=str(tmp_path))
    app = create_app({"PRODUCTION": True, "SECRET_KEY": "s" * 64, "SERVER_NAME": "konsultacje.example.org"},
                     instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_session_cookie_is_httponly_and_samesite_lax(client, torun):
    client.get("/konsultacje/program-wspolpracy-2021", headers={"User-Agent": "Mozilla/5.0"})
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_twice_does_not_duplicate_anything(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed-demo", "--password", "demo haslo 2020"])
        assert result.exit_code == 0, result.output
    assert (count(Consultation), count(Phase), count(WorkingGroup), count(Meeting), count(User)) == (1, 8, 5, 1, 5)
    # 3 demo accounts to sign in with, 2 example commenters without a password
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    assert admin.role == Role.ADMIN and admin.check_password("demo haslo 2020")
    assert "admin@example.org" in result.output


@pytest.mark.parametrize("phase", demo.PHASE_CHOICES)
def test_seed_demo_puts_today_inside_the_chosen_phase(app, phase):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--phase", phase])
    assert result.exit_code == 0, result.output
    assert "Password of the demo accounts:" in result.output  # generated, shown once
    consultation = services.load_announcement(demo.SLUG).consultation
    tl = services.timeline(consultation.phases)
    if phase == "closed":
        assert tl.finished
    else:
        assert PhaseKind(phase) in [p.kind for p in tl.current]


def test_seed_demo_keeps_wall_clock_times_when_shifted(app):
    app.test_cli_runner().invoke(args=["seed-demo", "--phase", "meetings"])
    meeting_times = {clock.to_local(g.meeting_starts_at).strftime("%H:%M")
                     for g in db.session.scalars(select(WorkingGroup))}
    deadline = db.session.scalar(select(Meeting.registration_deadline))
    assert meeting_times == {"16:30"} and clock.to_local(deadline).strftime("%H:%M") == "10:00"


def test_seed_demo_with_original_dates_matches_the_2020_announcement(app):
    app.test_cli_runner().invoke(args=["seed-demo", "--original-dates"])
    phases = {p.kind: p for p in db.session.scalars(select(Phase))}
    e = phases[PhaseKind.E_CONSULTATION]
    assert clock.to_local(e.starts_at).isoformat() == "2020-09-17T00:00:00+02:00"
    assert clock.to_local(e.ends_at).isoformat() == "2020-10-01T00:00:00+02:00"
    signup = phases[PhaseKind.GROUP_SIGNUP]
    assert clock.to_local(signup.ends_at).isoformat() == "2020-08-28T00:00:00+02:00"
    deadline = db.session.scalar(select(Meeting.registration_deadline))
    assert clock.to_local(deadline).isoformat() == "2020-09-03T10:00:00+02:00"


def test_demo_contact_details_are_placeholders_not_the_real_officials(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    consultation = db.session.scalar(select(Consultation))
    assert consultation.contact_email.endswith("@example.org")
    assert "skibicka" not in (consultation.contact_email + consultation.body).lower()


def test_the_migrations_build_exactly_the_schema_the_models_describe(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def declared_on_models(obj, name, type_, reflected, compare_to):
        # PostgreSQL's full-text search: a generated tsvector column and its GIN index on post and
        # draft_paragraph (migration 0017); no model maps them (SQLite has neither).
        return name not in ("ix_post_search", "ix_draft_paragraph_search", "search_vector")

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": declared_on_models})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_create_user_makes_a_verified_admin_who_can_log_in(app, client):
    result = app.test_cli_runner().invoke(
        args=["create-user", "Urzednik@Example.org", "--role", "admin", "--name", "Jan Urzędnik",
              "--password-stdin"], input="bardzo długie hasło urzędu\n")
    assert result.exit_code == 0, result.output
    assert "bardzo długie hasło urzędu" not in result.output
    user = db.session.scalar(select(User).where(User.email == "urzednik@example.org"))
    assert user.role == Role.ADMIN and user.is_verified and user.display_name == "Jan Urzędnik"
    assert log_in(client, "urzednik@example.org", "bardzo długie hasło urzędu").status_code == 302


def test_create_user_asks_for_the_password_twice_when_not_piped(app):
    result = app.test_cli_runner().invoke(args=["create-user", "mod@example.org", "--role", "moderator"],
                                          input="hasło moderatora 2020\nhasło moderatora 2020\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role).where(User.email == "mod@example.org")) == Role.MODERATOR


@pytest.mark.parametrize("password, message", [("krótkie", "co najmniej 12"), ("password1234", "najczęściej")])
def test_create_user_refuses_weak_passwords(app, password, message):
    result = app.test_cli_runner().invoke(args=["create-user", "x@example.org", "--password-stdin"],
                                          input=password + "\n")
    assert result.exit_code != 0 and message in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_refuses_an_existing_address(app, make_user):
    make_user("x@example.org")
    result = app.test_cli_runner().invoke(args=["create-user", "X@example.org", "--password-stdin"],
                                          input="bardzo długie hasło urzędu\n")
    assert result.exit_code != 0 and "already exists" in result.output


def test_seed_demo_publishes_the_example_draft_with_a_thread_per_section(app, client):
    from portal.forum.models import DraftSection, Thread, ThreadKind

    app.test_cli_runner().invoke(args=["seed-demo"])
    sections = db.session.scalars(select(DraftSection).order_by(DraftSection.number)).all()
    assert len(sections) == 11 and sections[0].title == "Postanowienia ogólne"
    kinds = [t.kind for t in db.session.scalars(select(Thread))]
    assert kinds.count(ThreadKind.SECTION) == 11 and kinds.count(ThreadKind.GENERAL) == 1
    html = client.get("/konsultacje/program-wspolpracy-2021").get_data(as_text=True)
    assert "Wątek dyskusyjny na forum" in html and "Rozdział 6. Priorytetowe zadania publiczne" in html
