"""No overbooking and no lost submission when many people press "send" at the same moment.

On PostgreSQL (TEST_DATABASE_URL) at least 100 threads, each with its own connection; on SQLite
the same story with fewer threads (SQLite serialises writers; it is the embedded default).
"""
import threading

import pytest
from sqlalchemy import func, select

from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import seats, services
from portal.registrations.models import GroupRegistration, Status, WorkingGroup
from tests.conftest import _is_postgres

SUBMISSIONS = 120 if _is_postgres() else 30
pytestmark = pytest.mark.commits  # every thread has a connection of its own


@pytest.fixture
def app_config():
    # Enough connections for the threads to really overlap (PostgreSQL allows 100 by default).
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10, "max_overflow": 60, "pool_timeout": 60}}


def run_at_once(app, jobs):
    """Start every job at the same moment, each in its own thread and app context (own connection)."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(index, job):
        barrier.wait()
        with app.app_context():
            try:
                results[index] = job()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - every failure is reported by the test
                db.session.rollback()
                errors.append(error)
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def take_seat_job(group_id, n, email=None):
    def job():
        group = db.session.get(WorkingGroup, group_id)
        consultation = db.session.get(Consultation, group.consultation_id)
        registration = services.take_seat(consultation, group, services.Applicant(
            f"Osoba {n}", email or f"osoba{n}@ngo.example", f"Organizacja {n}", True))
        return registration.id, registration.status
    return job


def test_a_rush_at_a_group_of_12_fills_exactly_12_seats_and_queues_the_rest_in_order(app, torun, frozen_clock):
    frozen_clock.set_local("2020-08-24 09:00:00")
    group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.capacity == 12))
    results, errors = run_at_once(app, [take_seat_job(group.id, n) for n in range(SUBMISSIONS)])

    assert errors == []
    db.session.expire_all()
    rows = db.session.scalars(select(GroupRegistration).order_by(GroupRegistration.id)).all()
    assert len(rows) == SUBMISSIONS  # one row per submission, none lost
    holders = [r for r in rows if r.status == Status.PENDING]
    waiting = [r for r in rows if r.status == Status.WAITING]
    assert len(holders) == 12 and len(waiting) == SUBMISSIONS - 12
    # Arrival order is the order through the lock: the first 12 in got the seats.
    assert max(r.id for r in holders) < min(r.id for r in waiting)
    assert [seats.waiting_position(r) for r in waiting] == list(range(1, len(waiting) + 1))


def test_two_simultaneous_sign_ups_with_one_address_for_two_groups_let_exactly_one_in(app, torun, frozen_clock):
    frozen_clock.set_local("2020-08-24 09:00:00")
    first, second = db.session.scalars(select(WorkingGroup.id).order_by(WorkingGroup.id).limit(2)).all()
    for attempt in range(5):  # a few rounds: the race must never let both in
        email = f"ta-sama-osoba-{attempt}@ngo.example"
        results, errors = run_at_once(app, [take_seat_job(first, 1, email), take_seat_job(second, 2, email)])
        assert len(errors) == 1 and isinstance(errors[0], services.AlreadyRegistered), errors
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(GroupRegistration)
                                 .where(GroupRegistration.email == email)) == 1
