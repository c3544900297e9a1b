"""Command-line tasks: `flask --app portal <command>`."""
import secrets

import click
from flask import Flask

from portal import demo
from portal.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)


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
