"""Command-line tasks: `flask --app portal <command>`."""
import secrets
import sys

import click
from flask import Flask

from portal import clock, demo, mail
from portal.accounts import passwords, services as accounts
from portal.accounts.models import Role, User
from portal.extensions import db
from portal.registrations import services as registrations


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(send_mail)
    app.cli.add_command(registrations_sweep)
    app.cli.add_command(moderation_digest)


@click.command("seed-demo")
@click.option("--phase", type=click.Choice(demo.PHASE_CHOICES), default="e_consultation",
              show_default=True, help="Shift every date so that today falls in this phase.")
@click.option("--original-dates", is_flag=True, help="Keep the 2020 dates (the consultation is then archived).")
@click.option("--password", help="Password of the demo accounts (a random one is printed if omitted).")
def seed_demo(phase: str, original_dates: bool, password: str | None) -> None:
    """Load the Toruń 2021 demo consultation and the demo accounts (again: no duplicates)."""
    shown = password or secrets.token_urlsafe(12)
    consultation = demo.seed(phase=phase, original_dates=original_dates, password=shown)
    db.session.commit()
    click.echo(f"Demo consultation: /konsultacje/{consultation.slug}"
               f" ({'original 2020 dates' if original_dates else 'today in phase ' + phase})")
    for email, _name, role in demo.DEMO_USERS:
        click.echo(f"  {role.value:<12} {email}")
    if password is None:
        click.echo(f"Password of the demo accounts: {shown}")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.PARTICIPANT.value,
              show_default=True)
@click.option("--name", help="Display name (default: the part of the e-mail before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email: str, role: str, name: str | None, password_stdin: bool) -> None:
    """Create a verified account (e.g. the first admin); the password is asked for, never an argument."""
    email = accounts.normalise_email(email)
    if accounts.find_by_email(email) is not None:
        raise click.ClickException(f"an account for {email} already exists")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    found = passwords.problems(password, email=email, name=name or "")
    if found:
        raise click.ClickException(" ".join(found))
    user = User(email=email, display_name=name or email.split("@")[0], role=Role(role),
                email_verified_at=clock.now_utc())
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {email}")


@click.command("send-mail")
def send_mail() -> None:
    """Send e-mails still waiting in the outbox (run it from a scheduler, e.g. every minute)."""
    sent, failed = mail.deliver()
    click.echo(f"sent {sent}, failed {failed}")
    if failed:
        raise SystemExit(1)


@click.command("registrations-sweep")
def registrations_sweep() -> None:
    """Release expired seat holds (promoting the waiting list) and send due meeting links."""
    expired = registrations.release_expired_holds()
    links = registrations.send_meeting_links()
    db.session.commit()
    mail.deliver()
    click.echo(f"expired holds {expired}, meeting links {links}")


@click.command("moderation-digest")
def moderation_digest() -> None:
    """E-mail each moderator who asked for it a digest of the queue (at most hourly)."""
    from portal.moderation import digest

    sent = digest.send_digests(clock.now_utc())
    db.session.commit()
    mail.deliver()
    click.echo(f"digests sent {sent}")
