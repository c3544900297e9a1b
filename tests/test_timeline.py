"""Where the consultation stands: phases done, current ("trwa teraz") and next, at the edges."""
import pytest

from portal.consultations import services
from portal.consultations.models import PhaseKind

ANNOUNCEMENT = "/konsultacje/program-wspolpracy-2021"


def current_kinds(consultation):
    return [p.kind for p in services.timeline(consultation.phases).current]


@pytest.mark.parametrize("wall, expected", [
    ("2020-08-20 23:59:59", []),
    ("2020-08-21 00:00:00", [PhaseKind.ANNOUNCEMENT, PhaseKind.GROUP_SIGNUP]),
    ("2020-08-27 23:59:59", [PhaseKind.GROUP_SIGNUP]),
    ("2020-08-28 00:00:00", []),
    ("2020-09-16 23:59:59", [PhaseKind.PRESENTATION]),
    ("2020-09-17 00:00:00", [PhaseKind.E_CONSULTATION]),
    ("2020-09-30 23:59:59", [PhaseKind.E_CONSULTATION]),
    ("2020-10-01 00:00:00", [PhaseKind.ANALYSIS]),
    ("2020-10-22 12:00:00", [PhaseKind.COUNCIL]),
    ("2020-10-23 00:00:00", []),
])
def test_the_current_phase_changes_exactly_at_local_midnight(torun, frozen_clock, wall, expected):
    frozen_clock.set_local(wall)
    assert current_kinds(torun) == expected


def test_before_the_start_the_first_phase_is_next(torun, frozen_clock):
    frozen_clock.set_local("2020-08-01 12:00:00")
    tl = services.timeline(torun.phases)
    assert tl.not_started and not tl.finished
    assert tl.next.kind == PhaseKind.ANNOUNCEMENT


def test_after_the_council_session_the_consultation_is_finished(torun, frozen_clock):
    frozen_clock.set_local("2020-11-01 12:00:00")
    tl = services.timeline(torun.phases)
    assert tl.finished and tl.next is None and len(tl.done) == len(torun.phases)


def test_page_marks_the_one_current_phase_and_says_what_comes_next(client, torun, frozen_clock):
    frozen_clock.set_local("2020-09-30 23:59:59")
    html = client.get(ANNOUNCEMENT).get_data(as_text=True)
    assert html.count('aria-current="step"') == 1
    assert "Trwa teraz: Konsultacje elektroniczne projektu programu (17–30 września 2020 r.)." in html
    assert "Następny etap: Analiza i naniesienie uwag z konsultacji — 1–9 października 2020 r." in html
    assert html.count("timeline__phase--done") == 5


def test_on_1_october_the_electronic_consultation_shows_as_done(client, torun, frozen_clock):
    frozen_clock.set_local("2020-10-01 00:00:00")
    html = client.get(ANNOUNCEMENT).get_data(as_text=True)
    assert "Trwa teraz: Analiza i naniesienie uwag z konsultacji" in html
    assert html.count("timeline__phase--done") == 6


def test_in_a_gap_between_phases_the_page_names_the_next_one(client, torun, frozen_clock):
    frozen_clock.set_local("2020-09-13 12:00:00")
    html = client.get(ANNOUNCEMENT).get_data(as_text=True)
    assert "Trwa teraz" not in html
    assert "Następny etap: Przedstawienie wyników pracy Prezydentowi Miasta — 16 września 2020 r." in html


def test_before_and_after_the_page_says_so_in_words(client, torun, frozen_clock):
    frozen_clock.set_local("2020-08-01 09:00:00")
    assert ("Pierwszy etap: Ogłoszenie konsultacji społecznych i naboru do grup roboczych — "
            "21 sierpnia 2020 r.") in client.get(ANNOUNCEMENT).get_data(as_text=True)
    frozen_clock.set_local("2020-12-01 09:00:00")
    assert "Konsultacje zakończyły się: 22 października 2020 r." in client.get(ANNOUNCEMENT).get_data(as_text=True)


def test_dates_in_the_timeline_read_as_in_the_announcement(client, torun, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    html = client.get(ANNOUNCEMENT).get_data(as_text=True)
    for text in ("21 sierpnia 2020 r.", "21–27 sierpnia 2020 r.", "31 sierpnia – 1 września 2020 r.",
                 "17–30 września 2020 r.", "22 października 2020 r."):
        assert text in html, text
    assert '<time datetime="2020-09-17T00:00+02:00">' in html
