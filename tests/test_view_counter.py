"""The view counter ("7017 odsłon"): people, not crawlers; one browser session once per 30 minutes."""

import pytest
from sqlalchemy import select

from portal.consultations.models import Consultation
from portal.extensions import db

ANNOUNCEMENT = "/konsultacje/program-wspolpracy-2021"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"}


def views():
    db.session.expire_all()
    return db.session.scalar(select(Consultation.view_count))


def test_a_visit_counts_once_and_the_page_shows_the_new_number(client, torun):
    html = client.get(ANNOUNCEMENT, headers=BROWSER).get_data(as_text=True)
    assert views() == 7018
    assert "7\xa0018 odsłon" in html  # Polish digit grouping with a no-break space


def test_the_same_browser_session_within_30_minutes_counts_once(client, torun, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    assert "Set-Cookie" in client.get(ANNOUNCEMENT, headers=BROWSER).headers  # the view noted in the session
    frozen_clock.set_local("2020-09-20 12:29:59")
    assert "Set-Cookie" not in client.get(ANNOUNCEMENT, headers=BROWSER).headers  # nothing new to note: no new cookie
    assert views() == 7018
    frozen_clock.set_local("2020-09-20 12:30:00")
    client.get(ANNOUNCEMENT, headers=BROWSER)
    assert views() == 7019


def test_another_browser_counts_separately(app, torun):
    app.test_client().get(ANNOUNCEMENT, headers=BROWSER)
    app.test_client().get(ANNOUNCEMENT, headers=BROWSER)
    assert views() == 7019


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0)",
    "Screaming Frog SEO Spider/19.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0)",
    "SomeCrawler/1.0",
    "",
])
def test_crawlers_and_scripts_without_a_user_agent_are_not_counted(app, torun, agent):
    response = app.test_client().get(ANNOUNCEMENT, headers={"User-Agent": agent})
    assert response.status_code == 200
    assert views() == 7017


def test_the_print_view_and_the_pdf_do_not_count(client, torun):
    client.get(ANNOUNCEMENT + "/druk", headers=BROWSER)
    assert views() == 7017


def test_the_increment_happens_in_sql_not_by_read_modify_write(client, torun, count_queries):
    with count_queries() as queries:
        client.get(ANNOUNCEMENT, headers=BROWSER)
    updates = [s for s in queries.statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    assert "view_count=(consultation.view_count + " in updates[0].replace(" = ", "=")


def test_plural_forms_follow_polish_grammar(client, torun):
    for count, words in ((0, "1 odsłona"), (1, "2 odsłony"), (4, "5 odsłon"), (20, "21 odsłon"), (21, "22 odsłony")):
        consultation = db.session.scalar(select(Consultation))
        consultation.view_count = count
        db.session.commit()
        html = client.get(ANNOUNCEMENT, headers=BROWSER).get_data(as_text=True)
        assert f">{words}<" in html, words
        client.delete_cookie("session", domain="localhost")


@pytest.fixture
def batched(app):
    app.config["VIEW_COUNT_FLUSH_SECONDS"] = 10
    return app


def test_views_are_written_in_batches_and_shown_at_once(batched, torun, frozen_clock, count_queries):
    frozen_clock.set_local("2020-09-20 12:00:00")
    for n in range(4):
        html = batched.test_client().get(ANNOUNCEMENT, headers=BROWSER).get_data(as_text=True)
    assert views() == 7017  # tallied in memory, not yet written...
    assert "7\xa0021 odsłon" in html  # ...but shown at once
    frozen_clock.set_local("2020-09-20 12:00:09")
    batched.test_client().get(ANNOUNCEMENT, headers=BROWSER)
    assert views() == 7017
    frozen_clock.set_local("2020-09-20 12:00:10")  # the oldest waiting view is 10 s old
    with count_queries() as queries:
        batched.test_client().get(ANNOUNCEMENT, headers=BROWSER)
    assert views() == 7023  # one UPDATE adds the whole batch
    assert sum(s.lstrip().upper().startswith("UPDATE") for s in queries.statements) == 1


def test_the_tally_is_written_when_the_process_ends(batched, torun, frozen_clock):
    from portal.consultations import view_counter

    frozen_clock.set_local("2020-09-20 12:00:00")
    for _ in range(3):
        batched.test_client().get(ANNOUNCEMENT, headers=BROWSER)
    assert views() == 7017
    assert view_counter.flush() == 3
    assert views() == 7020
