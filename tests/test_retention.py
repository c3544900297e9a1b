"""After a consultation has been closed for the retention period, the office erases the personal
data of the people who signed up for its working groups and meeting:
`flask --app portal purge-personal-data --consultation SLUG --older-than DAYS [--dry-run]`.

The Toruń 2020 consultation's last phase (the council session on 22 October) ends at
23 October 2020 00:00 Warsaw time, so with 30 days its data may be erased from
22 November 2020 00:00 Warsaw time.
"""
import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit import AuditLog
from portal.extensions import db
from portal.mail import OutboxMessage
from portal.registrations import retention, services
from portal.registrations.models import (
    GroupRegistration,
    Meeting,
    MeetingRegistration,
    Status,
    WorkingGroup,
)
from tests.factories import add_comment

SLUG = "program-wspolpracy-2021"
DURING_SIGNUP = "2020-08-24 12:00:00"
ERASABLE_FROM = "2020-11-22 00:00:00"  # 30 whole days after the last phase ended
DETAILS = {"phone": "600 100 200", "organisation_address": "ul. Szeroka 1, 87-100 Toruń",
           "organisation_contact": "biuro@ngo.example", "prior_activity": "Warsztaty dla seniorów."}


def purge(app, *args):
    return app.test_cli_runner().invoke(args=["purge-personal-data", "--consultation", SLUG, *args])


def applicant(n: int, organisation: str = "") -> services.Applicant:
    return services.Applicant(full_name=f"Osoba Testowa {n}", email=f"osoba{n}@ngo.example",
                              organisation_name=organisation or f"Stowarzyszenie {n}", recording_consent=True,
                              **DETAILS)


def group_counts() -> dict[str, int]:
    return dict(db.session.execute(
        select(WorkingGroup.name, func.count(GroupRegistration.id))
        .join(GroupRegistration, GroupRegistration.group_id == WorkingGroup.id)
        .group_by(WorkingGroup.name)).all())


def all_rows():
    db.session.expire_all()
    return (db.session.scalars(select(GroupRegistration).order_by(GroupRegistration.id)).all(),
            db.session.scalars(select(MeetingRegistration).order_by(MeetingRegistration.id)).all())


@pytest.fixture
def signed_up(torun, frozen_clock, make_user):
    """Six people in two groups (one waiting, one cancelled by staff), two at the meeting, and e-mails."""
    frozen_clock.set_local(DURING_SIGNUP)
    groups = db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).all()
    small, other = groups[3], groups[0]
    small.capacity = 2
    moderator = make_user("moderatorka@urzad.example", role="moderator")
    for n in (1, 2, 3):  # the third waits
        services.take_seat(torun, small, applicant(n, "Fundacja Rowerowa"))
    for n in (4, 5, 6):
        services.take_seat(torun, other, applicant(n))
    db.session.flush()
    sixth = db.session.scalar(select(GroupRegistration).where(GroupRegistration.email == "osoba6@ngo.example"))
    services.cancel_by_staff(moderator, sixth, "Pani Osoba 6 zadzwoniła, że choruje.")
    meeting = db.session.scalar(select(Meeting))
    for n in (1, 7):
        services.register_for_meeting(meeting, applicant(n))
    # Other mail to the same person (their account) and to someone else stays.
    db.session.add_all([
        OutboxMessage(recipient="osoba1@ngo.example", subject="Zmiana hasła", body="Hasło zmienione."),
        OutboxMessage(recipient="ktos@example.org", subject="Zmiana hasła", body="Hasło zmienione."),
    ])
    account = make_user("osoba1@ngo.example", name="Osoba Testowa 1")
    add_comment(_a_thread(torun), account, "Uwaga Osoby 1 zostaje.")
    db.session.commit()
    return torun


def _a_thread(consultation):
    from portal.forum.models import Thread, ThreadKind

    thread = Thread(consultation_id=consultation.id, kind=ThreadKind.GENERAL, title="Uwagi ogólne")
    db.session.add(thread)
    db.session.flush()
    return thread


# --- refusals ---------------------------------------------------------------------------------

def test_an_unknown_consultation_is_refused_with_status_1(app):
    result = app.test_cli_runner().invoke(
        args=["purge-personal-data", "--consultation", "nie-ma-takiej", "--older-than", "30"])
    assert result.exit_code == 1
    assert "no consultation with the slug 'nie-ma-takiej'" in result.output


def test_a_consultation_still_running_is_refused_and_nothing_changes(app, signed_up, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")  # the electronic consultation runs
    result = purge(app, "--older-than", "0")
    assert result.exit_code == 1
    assert "is still running (its last phase ends 2020-10-23 00:00 CEST)" in result.output
    assert "nothing is erased" in result.output
    groups, meetings = all_rows()
    assert all(r.personal_data_erased_at is None for r in [*groups, *meetings])


def test_the_period_is_over_exactly_days_after_the_last_phase_ended(app, signed_up, frozen_clock):
    frozen_clock.set_local("2020-11-21 23:59:59")
    early = purge(app, "--older-than", "30")
    assert early.exit_code == 1
    assert "closed 2020-10-23 00:00 CEST, less than 30 days ago" in early.output
    assert "may be erased from 2020-11-22 00:00 CET" in early.output
    assert all(r.personal_data_erased_at is None for r in all_rows()[0])

    frozen_clock.set_local(ERASABLE_FROM)
    result = purge(app, "--older-than", "30")
    assert result.exit_code == 0, result.output
    assert all(r.personal_data_erased_at is not None for r in all_rows()[0])


# --- the dry run ------------------------------------------------------------------------------

def test_a_dry_run_counts_per_group_and_meeting_without_names_and_changes_nothing(app, signed_up, frozen_clock):
    frozen_clock.set_local(ERASABLE_FROM)
    result = purge(app, "--older-than", "30", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "group Współpraca i realizacja zadań publicznych w okresie pandemii: 3" in result.output
    assert "group Wspieranie i promocja działalności podmiotów ekonomii społecznej: 3" in result.output
    assert "meeting Spotkanie online: omówienie propozycji do programu: 2" in result.output
    assert "would erase group registrations 6, meeting registrations 2, outbox messages" in result.output
    for personal in ("Osoba Testowa", "osoba1@ngo.example", "600 100 200", "Szeroka", "choruje"):
        assert personal not in result.output
    groups, meetings = all_rows()
    assert all(r.personal_data_erased_at is None and r.full_name for r in [*groups, *meetings])
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 11
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "purge_personal_data")) == 0


# --- the real run -----------------------------------------------------------------------------

def test_a_run_blanks_every_personal_column_and_keeps_what_the_report_counts(app, signed_up, frozen_clock):
    before_counts = group_counts()
    before_groups, _ = all_rows()
    kept = [(r.status, r.group_id, r.organisation_name, r.created_at, r.confirmed_at, r.ended_at)
            for r in before_groups]
    frozen_clock.set_local(ERASABLE_FROM)

    result = purge(app, "--older-than", "30")

    assert result.exit_code == 0, result.output
    assert "Erasing personal data" in result.output
    assert "erased group registrations 6, meeting registrations 2, outbox messages 9" in result.output
    groups, meetings = all_rows()
    for r in groups:
        assert r.full_name == ""
        assert r.email == f"usunieto-{r.id}@invalid"
        assert r.phone == ""
        assert r.organisation_address == ""
        assert r.organisation_contact == ""
        assert r.prior_activity == ""
        assert r.end_reason == ""
        assert r.personal_data_erased_at is not None
    for r in meetings:
        assert (r.full_name, r.email, r.phone) == ("", f"usunieto-{r.id}@invalid", "")
        assert r.status == Status.PENDING and r.organisation_name
    assert [(r.status, r.group_id, r.organisation_name, r.created_at, r.confirmed_at, r.ended_at)
            for r in groups] == kept
    assert [r.status for r in groups] == [Status.PENDING, Status.PENDING, Status.WAITING,
                                          Status.PENDING, Status.PENDING, Status.CANCELLED]
    assert group_counts() == before_counts


def test_only_mail_to_these_people_about_this_consultation_is_deleted(app, signed_up, frozen_clock):
    frozen_clock.set_local(ERASABLE_FROM)
    purge(app, "--older-than", "30")
    left = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.subject)
                              .order_by(OutboxMessage.recipient)).all()
    assert left == [("ktos@example.org", "Zmiana hasła"), ("osoba1@ngo.example", "Zmiana hasła")]


def test_accounts_and_forum_comments_are_not_touched(app, signed_up, frozen_clock):
    frozen_clock.set_local(ERASABLE_FROM)
    purge(app, "--older-than", "30")
    from portal.forum.models import Post

    account = db.session.scalar(select(User).where(User.email == "osoba1@ngo.example"))
    assert account.display_name == "Osoba Testowa 1"
    assert db.session.scalar(select(Post.body)) == "Uwaga Osoby 1 zostaje."


def test_one_audit_row_counts_what_was_erased(app, signed_up, frozen_clock):
    frozen_clock.set_local(ERASABLE_FROM)
    purge(app, "--older-than", "30")
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "purge_personal_data")).all()
    assert len(rows) == 1
    assert (rows[0].actor_id, rows[0].target_type, rows[0].target_id) == (None, "consultation", signed_up.id)
    assert rows[0].after_data == {"group_registrations": 6, "meeting_registrations": 2, "outbox": 9}


def test_a_second_run_erases_nothing_more_and_logs_nothing(app, signed_up, frozen_clock):
    frozen_clock.set_local(ERASABLE_FROM)
    purge(app, "--older-than", "30")
    second = purge(app, "--older-than", "30")
    assert second.exit_code == 0, second.output
    assert "erased group registrations 0, meeting registrations 0, outbox messages 0" in second.output
    assert "would erase group registrations 0" in purge(app, "--older-than", "30", "--dry-run").output
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "purge_personal_data")) == 1


def test_an_erased_persons_private_link_no_longer_opens_the_registration(app, signed_up, frozen_clock):
    first = db.session.scalar(select(GroupRegistration).order_by(GroupRegistration.id))
    token = services.token_for(first)
    frozen_clock.set_local(ERASABLE_FROM)
    purge(app, "--older-than", "30")
    assert services.find_by_token(token) is None


def test_the_service_refuses_without_the_command_line(signed_up, frozen_clock):
    frozen_clock.set_local("2020-11-21 23:59:59")
    with pytest.raises(retention.RetentionRefused):
        retention.plan_purge(SLUG, 30)
    frozen_clock.set_local(ERASABLE_FROM)
    plan = retention.plan_purge(SLUG, 30)
    assert (len(plan.group_registrations), len(plan.meeting_registrations)) == (6, 2)


def test_the_purge_costs_the_same_statements_for_5_or_50_people(torun, frozen_clock, count_queries):
    from portal.consultations.models import Consultation

    costs = []
    for first, size in ((1, 5), (6, 50)):
        frozen_clock.set_local(DURING_SIGNUP)
        group = db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).first()
        group.capacity = 100
        for n in range(first, first + size):
            services.take_seat(db.session.scalar(select(Consultation)), group, applicant(n))
        db.session.commit()
        frozen_clock.set_local(ERASABLE_FROM)
        with count_queries() as queries:
            result = retention.purge(retention.plan_purge(SLUG, 30))
        assert result.group_registrations == size
        db.session.commit()
        costs.append(queries.count)
    assert costs[0] == costs[1] <= 10


def test_the_staff_export_says_the_data_was_erased_instead_of_showing_placeholders(app, signed_up, frozen_clock,
                                                                                     make_user):
    import csv
    import io

    from tests.conftest import login_as

    frozen_clock.set_local(ERASABLE_FROM)
    assert purge(app, "--older-than", "30").exit_code == 0
    client = app.test_client()
    login_as(client, make_user("admin@urzad.example", role="admin"))
    response = client.get(f"/zespol/konsultacje/{SLUG}/zapisy.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 6
    assert {(row["Imię i nazwisko"], row["Adres e-mail"]) for row in rows} == {("dane usunięte", "dane usunięte")}
    assert {row["Nazwa organizacji"] for row in rows} >= {"Fundacja Rowerowa"}
    assert "@invalid" not in response.get_data(as_text=True)
