"""Command-line tasks: `flask --app portal <command>`."""
import secrets
import sys
from collections import Counter

import click
from flask import Flask, current_app

from portal import clock, demo, mail
from portal.accounts import passwords, services as accounts
from portal.accounts.models import Role, User
from portal.extensions import db
from portal.news import services as news
from portal.registrations import links as group_links, retention, services as registrations


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(send_mail)
    app.cli.add_command(registrations_sweep)
    app.cli.add_command(moderation_digest)
    app.cli.add_command(purge_personal_data)
    app.cli.add_command(retention_sweep)


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
    """Send e-mails still waiting in the outbox (run it from a scheduler, e.g. every minute).

    Prints what it sent, what failed and what still waits; exits 1 when a message failed now
    or waits after an earlier failure (retried with a back-off, never given up).
    """
    sent, failed = mail.deliver(seconds=current_app.config["MAIL_SECONDS_PER_RUN"])
    outbox = mail.status()
    line = f"sent {sent}, failed {failed}, waiting {outbox.waiting}"
    if outbox.oldest is not None:
        minutes = int(outbox.oldest_age(clock.now_utc()).total_seconds() // 60)
        line += (f" ({outbox.failed} after a failed attempt), oldest waiting {minutes} min"
                 f" (queued {outbox.oldest.created_at:%Y-%m-%d %H:%M} UTC)")
        if outbox.oldest.last_error:
            line += f", its last error: {outbox.oldest.last_error}"
    click.echo(line)
    if failed or outbox.failed:
        click.echo("could not send every e-mail: they wait and are tried again", err=True)
        raise SystemExit(1)


@click.command("registrations-sweep")
def registrations_sweep() -> None:
    """Release expired seat holds (promoting the waiting list), send due meeting and group meeting
    links, forget accessibility needs once the meeting is over, tell news subscribers of phases
    that started, forget news addresses never confirmed."""
    expired = registrations.release_expired_holds()
    links = registrations.send_meeting_links()
    group_links_sent = group_links.send_group_meeting_links()
    needs_forgotten = retention.forget_accessibility_needs()
    phase_news = news.announce_phase_starts()
    forgotten = news.forget_unconfirmed()
    db.session.commit()
    mail.deliver()
    click.echo(f"expired holds {expired}, meeting links {links}, group meeting links {group_links_sent}, "
               f"accessibility needs forgotten {needs_forgotten}, phase news {phase_news}, "
               f"unconfirmed news addresses forgotten {forgotten}")


@click.command("moderation-digest")
def moderation_digest() -> None:
    """E-mail each moderator who asked for it a digest of the queue (at most hourly)."""
    from portal.moderation import digest

    sent = digest.send_digests(clock.now_utc())
    db.session.commit()
    mail.deliver()
    click.echo(f"digests sent {sent}")


@click.command("purge-personal-data")
@click.option("--consultation", "slug", required=True, help="The consultation's slug (from its address).")
@click.option("--older-than", "days", type=click.IntRange(min=0), required=True,
              help="Days since the consultation's last phase ended (local days); refused before that.")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased, per group and meeting.")
def purge_personal_data(slug: str, days: int, dry_run: bool) -> None:
    """Erase the personal data of people registered for a closed consultation's groups and meetings.

    Names, e-mail addresses, phones, organisation addresses and contacts, prior activity and
    staff notes are blanked; the rows keep their status, group or meeting, dates and the
    organisation's name (the report and the per-group counts stay exact). E-mails to these
    people about the consultation are deleted from the outbox. Forum comments and user accounts
    are NOT touched: an account is erased by its owner from the profile page.
    """

    now = clock.now_utc()
    try:
        plan = retention.plan_purge(slug, days, now)
    except retention.RetentionRefused as refusal:
        raise click.ClickException(refusal.message) from None
    if dry_run:
        # Counts only: printing the data being erased would copy it into logs.
        click.echo(f"Dry run for {slug}: nothing is changed.")
        for name, count in plan.per_group():
            click.echo(f"  group {name}: {count}")
        for title, count in plan.per_meeting():
            click.echo(f"  meeting {title}: {count}")
        click.echo(f"would erase group registrations {len(plan.group_registrations)}, "
                   f"meeting registrations {len(plan.meeting_registrations)}, outbox messages {len(plan.outbox_ids)}")
        return
    with click.progressbar(length=plan.rows, label="Erasing personal data") as bar:
        result = retention.purge(plan, now, on_row=lambda: bar.update(1))
    db.session.commit()
    click.echo(f"erased group registrations {result.group_registrations}, "
               f"meeting registrations {result.meeting_registrations}, outbox messages {result.outbox}")


@click.command("retention-sweep")
@click.option("--dry-run", is_flag=True, help="Only list what is due and what would be erased; change nothing.")
def retention_sweep(dry_run: bool) -> None:
    """Erase registrants' personal data of every consultation closed RETENTION_MONTHS_AFTER_CLOSE
    months ago (run it from a scheduler, e.g. daily; a second run erases nothing more).

    One line per consultation, then the totals; each consultation is its own transaction with
    one audit row, as `purge-personal-data` writes. Exits 1 when a consultation could not be
    purged (the others are; it is tried again at the next run).
    """

    totals, purged, failed = Counter(), 0, 0
    try:
        for outcome in retention.sweep(clock.now_utc(), dry_run=dry_run):
            entry = outcome.entry
            label = f"{entry.slug}: closed {clock.to_local(entry.closed_at, entry.timezone):%Y-%m-%d %H:%M %Z}"
            if outcome.result is None:
                failed += 1
                click.echo(f"{label}, NOT purged: {outcome.error}", err=True)
                continue
            purged += 1
            totals.update(outcome.result.as_dict())
            click.echo(f"{label}, {'would erase' if dry_run else 'erased'} {_erasure_counts(outcome.result.as_dict())}")
    except retention.RetentionRefused as refusal:
        raise click.ClickException(refusal.message) from None
    verb = "Dry run, nothing is changed: would purge" if dry_run else "purged"
    click.echo(f"{verb} consultations {purged}, {_erasure_counts(totals)}, failed {failed}")
    if failed:
        raise SystemExit(1)


def _erasure_counts(counts: dict[str, int]) -> str:
    return (f"group registrations {counts['group_registrations']}, "
            f"meeting registrations {counts['meeting_registrations']}, outbox messages {counts['outbox']}")
