"""Posting rhythm (issue 14): an organisation sends its ten prepared comments one after another;
a flood stops at the minute's or the day's limit, and the refused text is given back."""
from datetime import timedelta

from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.forum.models import Post
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"


def url(thread):
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"


def send(client, thread, body):
    return client.post(url(thread), data={"body": body, "action": "send",
                                          "csrf_token": form_token(client, url(thread))})


def written():
    db.session.expire_all()
    return db.session.scalar(select(func.count(Post.id)))


def test_ten_prepared_comments_go_in_a_row_and_the_eleventh_waits_for_the_minute(client, general, anna,
                                                                                   frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    login_as(client, anna)
    for number in range(10):
        frozen_clock.set(clock.now_utc() + timedelta(seconds=2))
        response = send(client, general, f"Uwaga przygotowana wcześniej nr {number + 1}.")
        assert response.status_code in (302, 303), number
    assert written() == 10

    html = send(client, general, "Jedenasta uwaga w tej samej minucie.").get_data(as_text=True)
    assert "Odczekaj jeszcze" in html and "Jedenasta uwaga w tej samej minucie." in html  # the text comes back
    assert written() == 10

    # The first of the ten was sent at 12:00:02; a minute after it, one more may go.
    frozen_clock.set_local("2020-09-20 12:01:01")
    assert "Odczekaj jeszcze 1 s" in send(client, general, "Jeszcze za wcześnie.").get_data(as_text=True)
    frozen_clock.set_local("2020-09-20 12:01:02")
    assert send(client, general, "Jedenasta uwaga, minutę później.").status_code in (302, 303)
    assert written() == 11


def test_the_daily_cap_names_when_the_next_comment_may_go(app, client, general, anna, frozen_clock):
    app.config["FORUM_POSTS_PER_DAY"] = 3
    frozen_clock.set_local("2020-09-20 12:00:00")
    login_as(client, anna)
    for hour in range(3):
        frozen_clock.set_local(f"2020-09-20 {12 + hour}:00:00")
        assert send(client, general, f"Uwaga o godzinie {12 + hour}.").status_code in (302, 303)

    frozen_clock.set_local("2020-09-21 11:59:59")
    html = send(client, general, "Czwarta uwaga w ciągu doby.").get_data(as_text=True)
    assert "najwyżej 3 uwagi w ciągu doby" in html
    assert "21 września 2020" in html and "12:00" in html  # a day after the first of the three
    assert "Czwarta uwaga w ciągu doby." in html
    assert written() == 3

    frozen_clock.set_local("2020-09-21 12:00:01")
    assert send(client, general, "Czwarta uwaga, dzień później.").status_code in (302, 303)
    assert written() == 4


def test_staff_are_not_held_by_the_rhythm(app, client, general, moderator, frozen_clock):
    app.config["FORUM_POSTS_PER_MINUTE"] = 1
    frozen_clock.set_local("2020-09-20 12:00:00")
    login_as(client, moderator)
    for number in range(3):
        assert send(client, general, f"Wyjaśnienie urzędu nr {number + 1}.").status_code in (302, 303)
    assert written() == 3
