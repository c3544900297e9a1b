"""The scheduled retention sweep: `flask --app portal retention-sweep [--dry-run]` erases, by
itself, the registrants' personal data of every consultation closed RETENTION_MONTHS_AFTER_CLOSE
(12) calendar months ago, and admins see the same plan at /zespol/retencja.

"Closes" is the end of the consultation's last phase. The Toruń 2020 consultation's last phase
ends at 23 October 2020 00:00 Warsaw time, so its data are due from 23 October 2021 00:00
(at that instant). The second consultation here closes two months later, on 23 December 2020,
and is due from 23 December 2021.
"""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.audit import AuditLog
from portal.consultations.models import Consultation, Phase, PhaseKind, Status
from portal.extensions import db
from portal.mail import OutboxMessage
from portal.registrations import retention
from portal.registrations.models import (
    GroupRegistration,
    Meeting,
    MeetingRegistration,
    Status as RegistrationStatus,
    WorkingGroup,
)
from tests.conftest import login_as, visible_text

TORUN = "program-wspolpracy-2021"
LATER = "budzet-obywatelski-2021"
DURING_SIGNUP = "2020-08-24 12:00:00"
TORUN_DUE_FROM = "2021-10-23 00:00:00"
THIRTEEN_AND_ELEVEN_MONTHS = "2021-11-23 12:00:00"  # Toruń closed 13 months ago, the later one 11


def sweep(app, *args):
    return app.test_cli_runner().invoke(args=["retention-sweep", *args])


def a_person(consultation, group, n: int) -> GroupRegistration:
    registration = GroupRegistration(
        consultation_id=consultation.id, group_id=group.id, status=RegistrationStatus.CONFIRMED,
        full_name=f"Osoba Testowa {n}", email=f"osoba{n}@ngo.example", phone=f"600 100 20{n}",
        organisation_name=f"Stowarzyszenie {n}", organisation_address="ul. Szeroka 1, 87-100 Toruń",
        recording_consent=True, privacy_notice_version="2020-08", privacy_notice_accepted_at=clock.now_utc())
    db.session.add(registration)
    return registration


def a_later_consultation(slug: str = LATER, title: str = "Budżet obywatelski 2021") -> Consultation:
    """A consultation whose only phase ends (exclusive) at 23 December 2020 00:00 Warsaw time."""
    consultation = Consultation(slug=slug, title=title, status=Status.PUBLISHED)
    db.session.add(consultation)
    db.session.flush()
    db.session.add(Phase(consultation_id=consultation.id, kind=PhaseKind.OTHER, title="Zbieranie propozycji",
                         starts_at=clock.from_local(datetime(2020, 11, 1)),
                         ends_at=clock.from_local(datetime(2020, 12, 23))))
    db.session.add(WorkingGroup(consultation_id=consultation.id, name="Zieleń miejska", capacity=10))
    db.session.flush()
    return consultation


@pytest.fixture
def two_consultations(torun, frozen_clock):
    """Toruń: two people in a group, one at the meeting, their e-mail; the later one: two people."""
    frozen_clock.set_local(DURING_SIGNUP)
    later = a_later_consultation()
    torun_group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.consultation_id == torun.id)
                                    .order_by(WorkingGroup.position))
    later_group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.consultation_id == later.id))
    for n in (1, 2):
        a_person(torun, torun_group, n)
    for n in (3, 4):
        a_person(later, later_group, n)
    meeting = db.session.scalar(select(Meeting).where(Meeting.consultation_id == torun.id))
    db.session.add(MeetingRegistration(
        meeting_id=meeting.id, status=RegistrationStatus.CONFIRMED, full_name="Osoba Testowa 5",
        email="osoba5@ngo.example", phone="600 100 205", organisation_name="Fundacja 5", recording_consent=True,
        privacy_notice_version="2020-08", privacy_notice_accepted_at=clock.now_utc()))
    db.session.add(OutboxMessage(recipient="osoba1@ngo.example", subject=f"Zapis do grupy „{torun_group.name}”",
                                 body="Potwierdź zapis."))
    db.session.commit()
    return torun, later


def people(slug: str) -> list[tuple[str, str, str]]:
    """(name, e-mail, phone) of everyone registered for the consultation, as stored now."""
    db.session.expire_all()
    consultation_id = select(Consultation.id).where(Consultation.slug == slug).scalar_subquery()
    groups = db.session.execute(
        select(GroupRegistration.full_name, GroupRegistration.email, GroupRegistration.phone)
        .where(GroupRegistration.consultation_id == consultation_id).order_by(GroupRegistration.id)).all()
    meetings = db.session.execute(
        select(MeetingRegistration.full_name, MeetingRegistration.email, MeetingRegistration.phone)
        .join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .where(Meeting.consultation_id == consultation_id).order_by(MeetingRegistration.id)).all()
    return [tuple(row) for row in (*groups, *meetings)]


def purge_audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "purge_personal_data"))


def outbox_size() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


LATER_PEOPLE = [("Osoba Testowa 3", "osoba3@ngo.example", "600 100 203"),
                ("Osoba Testowa 4", "osoba4@ngo.example", "600 100 204")]


# --- the sweep --------------------------------------------------------------------------------

def test_the_sweep_erases_a_consultation_closed_13_months_ago_and_leaves_one_closed_11_months_ago(
        app, two_consultations, frozen_clock):
    torun, _later = two_consultations
    frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)

    result = sweep(app)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{TORUN}: closed 2020-10-23 00:00 CEST, erased group registrations 2, meeting registrations 1, "
        "outbox messages 1",
        "purged consultations 1, group registrations 2, meeting registrations 1, outbox messages 1, failed 0",
    ]
    erased = people(TORUN)
    assert len(erased) == 3
    assert all(name == "" and email.startswith("usunieto-") and email.endswith("@invalid") and phone == ""
               for name, email, phone in erased)
    assert people(LATER) == LATER_PEOPLE
    assert outbox_size() == 0
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "purge_personal_data")).all()
    assert [(row.target_id, row.after_data) for row in audit] == [
        (torun.id, {"group_registrations": 2, "meeting_registrations": 1, "outbox": 1})]


def test_a_consultation_still_running_is_not_due_even_with_no_retention_period(app, two_consultations,
                                                                                frozen_clock):
    app.config["RETENTION_MONTHS_AFTER_CLOSE"] = 0
    frozen_clock.set_local("2020-10-22 23:59:59")  # the last second of Toruń's last phase

    assert retention.due_for_purge() == []
    result = sweep(app)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == ("purged consultations 0, group registrations 0, meeting registrations 0, "
                                     "outbox messages 0, failed 0")
    assert all(name for name, _email, _phone in people(TORUN))


def test_a_second_run_erases_nothing_and_logs_nothing(app, two_consultations, frozen_clock):
    frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)
    assert sweep(app).exit_code == 0
    first_state = people(TORUN)

    second = sweep(app)

    assert second.exit_code == 0, second.output
    assert second.stdout.strip() == ("purged consultations 0, group registrations 0, meeting registrations 0, "
                                     "outbox messages 0, failed 0")
    assert people(TORUN) == first_state
    assert people(LATER) == LATER_PEOPLE
    assert purge_audit_rows() == 1


def test_each_consultation_is_erased_when_its_own_time_comes(app, two_consultations, frozen_clock):
    frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)
    sweep(app)
    frozen_clock.set_local("2021-12-23 00:00:00")

    result = sweep(app)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(f"{LATER}: closed 2020-12-23 00:00 CET, erased group "
                                                    "registrations 2, meeting registrations 0")
    assert not any(name for name, _email, _phone in people(LATER))
    assert purge_audit_rows() == 2


def test_a_consultation_that_fails_does_not_stop_the_others_and_the_exit_code_says_so(
        app, two_consultations, frozen_clock, monkeypatch):
    frozen_clock.set_local("2022-01-10 12:00:00")  # both due
    real_purge = retention.purge

    def failing_for_torun(plan, now=None, on_row=None):
        if plan.consultation.slug == TORUN:
            raise RuntimeError("the database went away")
        return real_purge(plan, now, on_row)

    monkeypatch.setattr(retention, "purge", failing_for_torun)

    result = sweep(app)

    assert result.exit_code == 1
    assert f"{TORUN}: closed 2020-10-23 00:00 CEST, NOT purged: the database went away" in result.stderr
    assert result.stdout.splitlines()[-1] == ("purged consultations 1, group registrations 2, meeting registrations 0, "
                                              "outbox messages 0, failed 1")
    assert all(name for name, _email, _phone in people(TORUN))
    assert not any(name for name, _email, _phone in people(LATER))


def test_a_period_that_is_not_a_whole_number_of_months_is_refused(app, two_consultations, frozen_clock):
    app.config["RETENTION_MONTHS_AFTER_CLOSE"] = "12"  # e.g. a quoted value in instance/config.py
    frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)
    result = sweep(app)
    assert result.exit_code == 1
    assert "RETENTION_MONTHS_AFTER_CLOSE must be a whole number of months" in result.output
    assert all(name for name, _email, _phone in people(TORUN))


# --- the boundary: due AT the instant the period ends (start <= now, like every window) -------

def test_the_data_are_due_at_the_instant_the_period_ends_not_a_second_before(app, two_consultations, frozen_clock):
    frozen_clock.set_local("2021-10-22 23:59:59")
    assert retention.due_for_purge() == []
    assert "purged consultations 0" in sweep(app).stdout
    assert all(name for name, _email, _phone in people(TORUN))

    frozen_clock.set_local(TORUN_DUE_FROM)
    assert [entry.consultation.slug for entry in retention.due_for_purge()] == [TORUN]
    result = sweep(app)
    assert "purged consultations 1, group registrations 2" in result.stdout
    assert not any(name for name, _email, _phone in people(TORUN))


@pytest.mark.parametrize(("closed_local", "months", "due_utc"), [
    # Closed in summer time, due in summer time: local midnight both times.
    (datetime(2020, 10, 23), 12, datetime(2021, 10, 22, 22, 0)),
    # Closed in winter, due in summer: still local midnight (22:00 UTC, not 23:00).
    (datetime(2020, 12, 23), 6, datetime(2021, 6, 22, 22, 0)),
    # A day the month lacks: the month's last day.
    (datetime(2021, 3, 31), 1, datetime(2021, 4, 29, 22, 0)),
    (datetime(2020, 2, 29), 12, datetime(2021, 2, 27, 23, 0)),
    (datetime(2020, 10, 23), 0, datetime(2020, 10, 22, 22, 0)),
])
def test_months_are_counted_on_the_consultations_wall_clock(closed_local, months, due_utc):
    closed_at = clock.from_local(closed_local, "Europe/Warsaw")
    assert retention.erasable_after_months(closed_at, months, "Europe/Warsaw") == due_utc.replace(tzinfo=timezone.utc)


# --- the dry run ------------------------------------------------------------------------------

def test_the_dry_run_lists_the_due_consultation_and_changes_nothing(app, two_consultations, frozen_clock):
    frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)
    before = people(TORUN)

    result = sweep(app, "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{TORUN}: closed 2020-10-23 00:00 CEST, would erase group registrations 2, meeting registrations 1, "
        "outbox messages 1",
        "Dry run, nothing is changed: would purge consultations 1, group registrations 2, meeting registrations 1, "
        "outbox messages 1, failed 0",
    ]
    for personal in ("Osoba Testowa", "osoba1@ngo.example", "600 100 20"):
        assert personal not in result.output
    assert people(TORUN) == before
    assert people(LATER) == LATER_PEOPLE
    assert outbox_size() == 1
    assert purge_audit_rows() == 0
    # ... and the real run afterwards still finds everything.
    assert "purged consultations 1, group registrations 2" in sweep(app).stdout


def test_the_per_consultation_command_still_works_next_to_the_sweep(app, two_consultations, frozen_clock):
    frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)
    result = app.test_cli_runner().invoke(
        args=["purge-personal-data", "--consultation", LATER, "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert not any(name for name, _email, _phone in people(LATER))
    assert "purged consultations 1, group registrations 2, meeting registrations 1" in sweep(app).stdout


# --- the admin page ---------------------------------------------------------------------------

def test_admins_see_what_is_due_and_what_comes_later_and_the_page_changes_nothing(
        app, client, two_consultations, frozen_clock, make_user):
    admin = make_user("admin@urzad.example", role="admin")
    frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)
    login_as(client, admin)

    response = client.get("/zespol/retencja")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = visible_text(response.get_data(as_text=True))
    assert "usuwamy 12 miesięcy po zakończeniu konsultacji" in text
    due, later = text.split("Do usunięcia później")
    # The last day (the session on 22 October), and the instant the data may go.
    assert ("Program współpracy" in due and "22 października 2020 r." in due
            and "23 października 2021 r., godz. 00:00" in due)
    assert "Budżet obywatelski 2021" not in due
    assert ("Budżet obywatelski 2021" in later and "22 grudnia 2020 r." in later
            and "23 grudnia 2021 r., godz. 00:00" in later)
    assert "Osoba Testowa" not in text and "osoba1@ngo.example" not in text
    assert people(TORUN)[0][0] == "Osoba Testowa 1"
    assert purge_audit_rows() == 0


def test_after_the_sweep_the_page_has_nothing_due(app, client, two_consultations, frozen_clock, make_user):
    frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)
    sweep(app)
    login_as(client, make_user("admin@urzad.example", role="admin"))
    text = visible_text(client.get("/zespol/retencja").get_data(as_text=True))
    assert "Nie ma danych do usunięcia." in text
    assert "Budżet obywatelski 2021" in text


def test_the_page_costs_the_same_queries_for_two_or_five_consultations(app, client, two_consultations,
                                                                      frozen_clock, make_user, count_queries):
    frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)
    login_as(client, make_user("admin@urzad.example", role="admin"))
    costs = []
    for more in (0, 3):
        for n in range(more):
            consultation = a_later_consultation(f"konsultacja-{n}", f"Konsultacja {n}")
            group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.consultation_id == consultation.id))
            a_person(consultation, group, 10 + n)
        db.session.commit()
        with count_queries() as queries:
            text = visible_text(client.get("/zespol/retencja").get_data(as_text=True))
        costs.append(queries.count)
    assert "Konsultacja 2" in text
    assert costs[0] == costs[1] <= 5


@pytest.mark.parametrize("role", ["moderator", "participant"])
def test_the_page_is_for_admins_only(app, client, two_consultations, make_user, role):
    login_as(client, make_user(f"{role}@urzad.example", role=role))
    assert client.get("/zespol/retencja").status_code == 403


def test_the_page_sends_anonymous_people_to_log_in(client, two_consultations):
    response = client.get("/zespol/retencja")
    assert response.status_code == 302 and "/logowanie" in response.headers["Location"]


# --- two sweeps at once (two machines' schedulers) ---------------------------------------------

@pytest.mark.commits
def test_two_sweeps_at_the_same_moment_erase_once_and_log_once(app, two_consultations, frozen_clock, monkeypatch):
    """Two machines' schedulers: the second waits for the first's lock, then finds nothing left."""
    import threading
    import time

    now = frozen_clock.set_local(THIRTEEN_AND_ELEVEN_MONTHS)
    real_purge = retention.purge

    def slow_purge(plan, now=None, on_row=None):
        time.sleep(0.3)  # the other sweep has planned by now, unless the lock made it wait
        return real_purge(plan, now, on_row)

    monkeypatch.setattr(retention, "purge", slow_purge)
    barrier, outcomes = threading.Barrier(2), []

    def run():
        barrier.wait()
        with app.app_context():
            try:
                outcomes.extend(retention.sweep(now))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [outcome.error for outcome in outcomes] == ["", ""]
    assert sorted(outcome.result.group_registrations for outcome in outcomes) == [0, 2]
    assert purge_audit_rows() == 1
    assert not any(name for name, _email, _phone in people(TORUN))
