"""Is a seat free? One answer everywhere: `seats.availability`, the same expressions in every
query, and every change of seats or capacity going the same way — lock the group, release the
holds nobody confirmed in time, count, promote from the waiting list.

The clock stands in the demo consultation's group sign-up (24 August 2020, 12:00 Warsaw).
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import seats, services
from portal.registrations.models import GroupRegistration, Status, WorkingGroup
from tests.conftest import form_token

SLUG = "program-wspolpracy-2021"
GROUPS = f"/zespol/konsultacje/{SLUG}/grupy"
SIGNUP = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
GROUP = {"name": "Kultura i sztuka", "description": "Wydarzenia kulturalne organizacji.",
         "meeting_day": "2020-09-02", "meeting_time": "16:30", "moderator_office": "Wydział Kultury",
         "moderator_ngo": "Fundacja Sztuki"}


@pytest.fixture
def as_admin(torun, admin_client, frozen_clock):
    frozen_clock.set_local("2020-08-24 12:00:00")
    return admin_client


def first_group() -> WorkingGroup:
    db.session.expire_all()
    return db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position, WorkingGroup.id))


def register(group: WorkingGroup, n: int) -> GroupRegistration:
    consultation = db.session.get(Consultation, group.consultation_id)
    registration = services.take_seat(consultation, group, services.Applicant(
        full_name=f"Osoba {n}", email=f"osoba{n}@ngo.example", organisation_name=f"Stowarzyszenie {n}",
        recording_consent=True))
    db.session.commit()
    return registration


def statuses(registrations) -> list[Status]:
    db.session.expire_all()
    return [db.session.get(GroupRegistration, r.id).status for r in registrations]


def change_capacity(client, group: WorkingGroup, capacity: int):
    url = f"{GROUPS}/{group.id}"
    return client.post(url, data={"csrf_token": form_token(client, url), **GROUP, "name": group.name,
                                  "capacity": str(capacity)})


def test_raising_the_capacity_first_releases_holds_nobody_confirmed_in_time(as_admin, frozen_clock, smtp_sink):
    group = first_group()
    group.capacity = 1
    db.session.commit()
    late = register(group, 0)
    waiting = [register(group, n) for n in (1, 2)]
    assert statuses([late, *waiting]) == [Status.PENDING, Status.WAITING, Status.WAITING]

    frozen_clock.set(clock.now_utc() + services.HOLD + timedelta(minutes=1))  # nobody swept since
    assert change_capacity(as_admin, group, 2).status_code == 303

    # The unconfirmed hold no longer counts: both free seats go to the two people waiting.
    assert statuses([late, *waiting]) == [Status.EXPIRED, Status.PENDING, Status.PENDING]
    assert [m["Subject"] for m in smtp_sink.to("osoba2@ngo.example")][-1] == "Zwolniło się miejsce w grupie roboczej"


def test_lowering_the_capacity_does_not_count_an_expired_hold_nor_promote_into_seats_taken_away(
        as_admin, frozen_clock):
    group = first_group()
    group.capacity = 2
    db.session.commit()
    confirmed, late = register(group, 0), register(group, 1)
    services.confirm(db.session.get(GroupRegistration, confirmed.id))
    db.session.commit()
    waiting = register(group, 2)

    frozen_clock.set(clock.now_utc() + services.HOLD + timedelta(minutes=1))
    assert change_capacity(as_admin, group, 1).status_code == 303

    assert statuses([confirmed, late, waiting]) == [Status.CONFIRMED, Status.EXPIRED, Status.WAITING]
    assert first_group().capacity == 1


def test_availability_says_what_is_free_and_whether_the_group_is_full():
    assert seats.Availability(capacity=3, held=1, waiting=0).free == 2
    assert not seats.Availability(capacity=3, held=1).full
    assert seats.Availability(capacity=3, held=3, waiting=2).full
    assert seats.Availability(capacity=2, held=3).free == 0  # a capacity lowered under old data


def test_one_query_gives_every_group_its_availability_counting_unexpired_holds_only(as_admin, frozen_clock):
    group = first_group()
    group.capacity = 2
    db.session.commit()
    first, second = register(group, 0), register(group, 1)
    register(group, 2)
    services.confirm(db.session.get(GroupRegistration, first.id))
    db.session.commit()

    by_group = dict((g.id, a) for g, a in seats.groups_with_seats(group.consultation_id, clock.now_utc()))
    assert by_group[group.id] == seats.Availability(capacity=2, held=2, waiting=1)
    assert by_group[group.id].full

    later = clock.now_utc() + services.HOLD + timedelta(minutes=1)  # `second`'s hold has run out
    by_group = dict((g.id, a) for g, a in seats.groups_with_seats(group.consultation_id, later))
    assert by_group[group.id] == seats.Availability(capacity=2, held=1, waiting=1)
    free = db.session.scalar(select(seats.free_places_column(later)).where(WorkingGroup.id == group.id))
    assert free == 1
    assert statuses([second]) == [Status.PENDING]  # reading never changes anything


def test_the_pages_show_the_free_places_each_asks_for(as_admin, client, frozen_clock):
    group = first_group()
    group.capacity = 2
    db.session.commit()
    register(group, 0)

    signup = as_admin.get(SIGNUP).get_data(as_text=True)
    assert "zostało 1 miejsce z 2" in signup
    announcement = as_admin.get(f"/konsultacje/{SLUG}").get_data(as_text=True)
    assert "zostało 1 miejsce z 2" in announcement
    assert "zajęte 1 z 2" in as_admin.get(GROUPS).get_data(as_text=True)
    overview = as_admin.get(f"/zespol/konsultacje/{SLUG}/zapisy").get_data(as_text=True)
    assert "Miejsca zajęte: 1 z 2. Na liście oczekujących: 0." in overview

    register(group, 1)
    signup = as_admin.get(SIGNUP).get_data(as_text=True)
    assert "brak wolnych miejsc — zapiszemy Cię na listę oczekujących" in signup
