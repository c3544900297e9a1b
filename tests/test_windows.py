"""One window rule (issue 18): `Phase.is_open_at` answers the same in Python and in the database,
at the edges of a whole-day end, and every page that says "open" asks it."""
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import clock, permissions
from portal.consultations import services
from portal.consultations.models import Consultation, Phase, PhaseKind, phase_of
from portal.extensions import db
from tests.conftest import WARSAW, login_as

SLUG = "program-wspolpracy-2021"

# The electronic consultation of Toruń 2020 runs 17–30 September inclusive (Europe/Warsaw).
EDGES = [
    ("2020-09-16 23:59:59", "before"),
    ("2020-09-17 00:00:00", "open"),
    ("2020-09-30 23:59:59", "open"),
    ("2020-10-01 00:00:00", "after"),
]


def at(wall: str) -> datetime:
    return clock.from_local(datetime.fromisoformat(wall), WARSAW)


def window_of(consultation) -> Phase:
    return phase_of(consultation.id, PhaseKind.E_CONSULTATION)


@pytest.mark.parametrize("wall, state", EDGES)
def test_the_database_and_python_agree_at_the_edges_of_the_window(torun, wall, state):
    now = at(wall)
    window = window_of(torun)
    in_python = window.is_open_at(now)
    in_sql = db.session.scalar(select(Phase.is_open_at(now)).where(Phase.id == window.id))
    found = db.session.scalars(select(Phase.id).where(Phase.consultation_id == torun.id,
                                                      Phase.is_open_at(now))).all()
    assert bool(in_sql) is in_python is (state == "open")
    assert (window.id in found) is in_python


@pytest.mark.parametrize("wall, state", EDGES)
def test_the_start_and_end_of_the_window_are_the_same_in_the_database_and_python(torun, wall, state):
    now = at(wall)
    window = window_of(torun)
    started, ended = db.session.execute(select(Phase.has_started_at(now), Phase.has_ended_at(now))
                                        .where(Phase.id == window.id)).one()
    assert bool(started) is window.has_started_at(now) is (state != "before")
    assert bool(ended) is window.has_ended_at(now) is (state == "after")


@pytest.mark.parametrize("wall, state", EDGES)
def test_the_forum_and_the_timeline_ask_the_same_rule(torun, wall, state):
    now = at(wall)
    window = window_of(torun)
    assert permissions.window_state(window, now) == window.state_at(now) == state
    place = services.timeline(torun.phases, now).state_of(window)
    assert place == {"before": "upcoming", "open": "current", "after": "done"}[state]


def test_a_consultation_without_an_electronic_consultation_has_no_window_yet(torun):
    db.session.delete(window_of(torun))
    db.session.commit()
    assert window_of(torun) is None
    assert permissions.window_state(None, at("2020-09-20 12:00:00")) == "before"


def test_the_comment_window_relationship_and_the_query_load_the_same_phase(torun):
    db.session.expunge_all()
    consultation = db.session.scalar(select(Consultation).where(Consultation.id == torun.id)
                                     .options(selectinload(Consultation.comment_window)))
    assert consultation.comment_window is window_of(consultation)
    assert phase_of(consultation.id, PhaseKind.GROUP_SIGNUP).kind == PhaseKind.GROUP_SIGNUP


@pytest.mark.parametrize("wall, open_", [("2020-09-30 23:59:59", True), ("2020-10-01 00:00:00", False)])
def test_the_forum_says_the_window_is_open_exactly_while_it_is(client, general, anna, frozen_clock, wall, open_):
    frozen_clock.set_local(wall)
    login_as(client, anna)
    for url in (f"/konsultacje/{SLUG}/forum", f"/konsultacje/{SLUG}/forum/watek/{general.id}"):
        html = client.get(url).get_data(as_text=True)
        assert ("Uwagi przyjmujemy do 30 września 2020 r." in html) is open_, url
        assert ("Zgłaszanie uwag zakończyło się 30 września 2020 r." in html) is not open_, url


@pytest.mark.parametrize("wall, sentence", [
    ("2020-08-20 23:59:59", "Zapisy do grup ruszą"),
    ("2020-08-21 00:00:00", "Zapisz się do grupy roboczej"),
    ("2020-08-27 23:59:59", "Zapisz się do grupy roboczej"),
    ("2020-08-28 00:00:00", "Zapisy do grup roboczych są zamknięte."),
])
def test_the_announcement_asks_the_timeline_whether_group_signup_is_open(client, torun, frozen_clock,
                                                                        wall, sentence):
    frozen_clock.set_local(wall)
    html = client.get(f"/konsultacje/{SLUG}").get_data(as_text=True)
    others = {"Zapisy do grup ruszą", "Zapisz się do grupy roboczej", "Zapisy do grup roboczych są zamknięte."}
    assert sentence in html
    assert not any(other in html for other in others - {sentence})
