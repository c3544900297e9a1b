""""Moje konto → Moje uwagi i zapisy" (/konto/moje-uwagi): a person's own comments with their
state and the office's answer, followed threads and registrations made with their address."""
import re

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.forum.models import PostState, Subscription
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, Status, WorkingGroup
from portal.reports.models import Decision, Report
from tests.conftest import login_as, visible_text
from tests.factories import add_comment, answer

URL = "/konto/moje-uwagi"


def page_text(client, url: str = URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return visible_text(response.get_data(as_text=True))


def section(text: str, heading: str, next_heading: str | None) -> str:
    start = text.index(heading)
    return text[start:text.index(next_heading, start)] if next_heading else text[start:]


def comments_of(text: str) -> str:
    return section(text, "Moje uwagi ", "Obserwowane wątki")


def publish_report(consultation) -> None:
    db.session.add(Report(consultation_id=consultation.id, summary="Podsumowanie.", published_at=clock.now_utc()))
    db.session.commit()


def register(consultation, email: str, status=Status.PENDING, meeting: bool = False):
    """A group (or meeting) registration of the Toruń consultation made with `email`."""
    now = clock.now_utc()
    common = dict(status=status, full_name="Jan Kowalski", email=email, organisation_name="Org",
                  recording_consent=True, privacy_notice_version="2020-08", privacy_notice_accepted_at=now,
                  created_at=now)
    if meeting:
        owner = db.session.scalar(select(Meeting).where(Meeting.consultation_id == consultation.id))
        row = MeetingRegistration(meeting_id=owner.id, **common)
    else:
        group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.consultation_id == consultation.id)
                                  .order_by(WorkingGroup.position))
        row = GroupRegistration(consultation_id=consultation.id, group_id=group.id, **common)
    db.session.add(row)
    db.session.commit()
    return row


def test_someone_not_signed_in_is_sent_to_the_login_page(client, torun):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/logowanie" in response.headers["Location"]


def test_the_page_is_never_stored_by_a_cache(client, jan):
    login_as(client, jan)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_account_page_links_to_it(client, jan):
    login_as(client, jan)
    html = client.get("/konto").get_data(as_text=True)
    assert f'href="{URL}">Moje uwagi i zapisy</a>' in html


def test_an_empty_account_says_so_in_every_section(client, jan):
    login_as(client, jan)
    text = page_text(client)
    assert "Nie masz jeszcze uwag ani odpowiedzi." in text
    assert "Nie obserwujesz żadnego wątku." in text
    assert "Nie ma zgłoszeń do grup roboczych ani zapisów na spotkania wysłanych z adresu jan@example.org." in text


def test_headings_are_in_order(client, jan):
    login_as(client, jan)
    html = client.get(URL).get_data(as_text=True)
    headings = re.findall(r"<h([1-6])[^>]*>(.*?)</h\1>", html, re.S)
    assert [(level, visible_text(text).strip()) for level, text in headings] == [
        ("1", "Moje uwagi i zapisy"), ("2", "Moje uwagi"), ("2", "Obserwowane wątki"), ("2", "Moje zgłoszenia")]


def test_a_person_sees_their_own_comments_with_their_state_and_not_anyone_elses(
        client, torun, general, section_thread, anna, jan, frozen_clock):
    frozen_clock.set_local("2020-09-20 10:00:00")
    add_comment(general, jan, "Moja **pierwsza** uwaga <script>alert(1)</script>")
    frozen_clock.set_local("2020-09-21 11:30:00")
    add_comment(section_thread, jan, "Uwaga do ustępu drugiego.", paragraph=2, state=PostState.PENDING)
    frozen_clock.set_local("2020-09-22 09:00:00")
    annas = add_comment(general, anna, "Uwaga Anny, nie Jana.")
    frozen_clock.set_local("2020-09-23 09:00:00")
    add_comment(general, jan, "Odpowiadam Annie.", parent=annas)
    hidden = add_comment(general, jan, "Ukryta uwaga.", state=PostState.HIDDEN)
    hidden.moderation_reason = "wycieczki osobiste"
    db.session.commit()

    login_as(client, jan)
    html = client.get(URL).get_data(as_text=True)
    text = comments_of(visible_text(html))
    assert "Uwaga Anny" not in text
    # Newest first; where, when and in which state.
    assert text.index("Ukryta uwaga.") < text.index("Odpowiadam Annie.") < text.index("Uwaga do ustępu drugiego.") \
        < text.index("Moja **pierwsza** uwaga")
    assert "Twoja odpowiedź: Uwagi ogólne" in text
    assert "Twoja uwaga: § 6. Formy współpracy" in text and "Uwaga do: § 6 ust. 2" in text
    assert f"Konsultacja: {torun.title}" in text
    assert "21 września 2020" in text and "11:30" in text  # the consultation's zone (Warsaw)
    assert "czeka na moderację" in text and "opublikowana" in text
    assert "ukryta: wycieczki osobiste" in text
    assert "Masz 4 uwag" in text  # "uwagi" once the Polish plural forms are in the catalogue
    # The Markdown source, escaped: nothing the person typed becomes markup.
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Each one links to where its author can see it.
    assert html.count('href="/forum/uwagi/') == 4


def test_anna_sees_only_hers(client, torun, general, anna, jan):
    add_comment(general, jan, "Tylko Jana.")
    add_comment(general, anna, "Tylko Anny.")
    db.session.commit()
    login_as(client, anna)
    text = comments_of(page_text(client))
    assert "Tylko Anny." in text and "Tylko Jana." not in text


def test_a_rejected_comment_shows_its_reason_to_its_author(client, torun, general, jan):
    rejected = add_comment(general, jan, "Odrzucona uwaga.", state=PostState.REJECTED)
    rejected.moderation_reason = "treść niezwiązana z konsultacją"
    db.session.commit()
    login_as(client, jan)
    assert "odrzucona: treść niezwiązana z konsultacją" in comments_of(page_text(client))


def test_an_edit_waiting_for_a_moderator_is_shown_beside_the_published_text(client, torun, general, jan):
    post = add_comment(general, jan, "Tekst opublikowany.")
    post.proposed_body, post.proposed_body_html, post.proposed_at = "Nowy tekst.", "<p>Nowy tekst.</p>", clock.now_utc()
    db.session.commit()
    login_as(client, jan)
    text = comments_of(page_text(client))
    assert "Tekst opublikowany." in text
    assert "Twoja zmiana czeka na moderację Do tego czasu widoczna jest treść powyżej. Nowa treść: Nowy tekst." in text


def test_a_comment_in_a_consultation_taken_off_the_site_has_no_dead_link(client, torun, general, jan):
    from portal.consultations.models import Status

    post = add_comment(general, jan, "Uwaga w konsultacji, którą wycofano.")
    torun.status = Status.DRAFT
    db.session.commit()
    login_as(client, jan)
    html = client.get(URL).get_data(as_text=True)
    assert "Uwaga w konsultacji, którą wycofano." in visible_text(html)
    assert f"/forum/uwagi/{post.id}" not in html
    assert "Strona tej konsultacji nie jest teraz opublikowana." in visible_text(html)
    assert client.get(f"/forum/uwagi/{post.id}").status_code == 404  # what the link would have met


def test_a_long_comment_is_cut(client, torun, general, jan):
    add_comment(general, jan, "słowo " * 200 + "KONIEC")
    db.session.commit()
    login_as(client, jan)
    text = comments_of(page_text(client))
    assert "KONIEC" not in text and "…" in text


def test_the_offices_answer_shows_only_once_the_report_is_published(client, commented):
    anna, (first, second, third, fourth, fifth) = commented.anna, commented.comments
    answer(commented.consultation, [second], Decision.ACCEPTED, "Definicja zostanie **rozszerzona**.")
    db.session.commit()
    login_as(client, anna)

    before = client.get(URL).get_data(as_text=True)
    assert "Odpowiedź urzędu" not in before and "Definicja zostanie" not in before

    publish_report(commented.consultation)
    html = client.get(URL).get_data(as_text=True)
    text = visible_text(html)
    assert "Odpowiedź urzędu: uwzględniona" in text
    assert "Definicja zostanie <strong>rozszerzona</strong>." in html  # the sanitised justification
    assert f'href="/konsultacje/program-wspolpracy-2021/raport?komentarz={second.id}#k-{second.id}"' in html
    assert text.count("Odpowiedź urzędu") == 1  # only the answered comment; Jan's answers are not hers


def test_an_answer_to_someone_elses_comment_is_not_shown(client, commented):
    jan, first = commented.jan, commented.comments[0]
    answer(commented.consultation, [first], Decision.EXPLANATION, "Wolontariat opisuje § 4.")
    db.session.commit()
    publish_report(commented.consultation)
    login_as(client, commented.anna)
    assert "Wolontariat opisuje" not in page_text(client)
    login_as(client, jan)
    assert "Odpowiedź urzędu: wyjaśnienie" in page_text(client)


def test_followed_threads_are_listed_with_links(client, torun, general, section_thread, jan, anna):
    db.session.add(Subscription(user_id=jan.id, thread_id=section_thread.id))
    db.session.add(Subscription(user_id=anna.id, thread_id=general.id))
    db.session.commit()
    login_as(client, jan)
    html = client.get(URL).get_data(as_text=True)
    followed = section(visible_text(html), "Obserwowane wątki", "Moje zgłoszenia")
    assert "§ 6. Formy współpracy" in followed and "Uwagi ogólne" not in followed
    assert f'href="/konsultacje/program-wspolpracy-2021/forum/watek/{section_thread.id}"' in html


def test_registrations_made_with_the_same_address_are_listed_and_others_are_not(client, torun, jan):
    register(torun, "Jan@Example.org")                                     # another letter case
    register(torun, "jan+ngo@example.org", status=Status.WITHDRAWN)        # a +tag: the same person
    register(torun, "jan@example.org", status=Status.CONFIRMED, meeting=True)
    register(torun, "janek@example.org", status=Status.CONFIRMED, meeting=False)  # someone else
    erased = register(torun, "JAN@example.org", status=Status.EXPIRED)
    erased.personal_data_erased_at = clock.now_utc()  # retention erased it: not in the export either
    db.session.commit()
    group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.consultation_id == torun.id)
                              .order_by(WorkingGroup.position))

    login_as(client, jan)
    html = client.get(URL).get_data(as_text=True)
    mine = section(visible_text(html), "Moje zgłoszenia", None)
    assert group.name in mine
    assert "miejsce zarezerwowane — czeka na potwierdzenie" in mine
    assert "wycofane przez zgłaszającego" in mine
    assert "Spotkanie online: omówienie propozycji do programu" in mine and "potwierdzone" in mine
    assert "wygasło" not in mine
    assert mine.count(group.name) == 2
    assert 'href="/zgloszenie/wyslij-link"' in html
    assert "?t=" not in html  # the private link is only ever sent by e-mail
    assert 'class="table-scroll" role="region"' in html

    other = register(torun, "anna@ngo.example")
    assert other.id
    login_as(client, jan)
    assert "Anna" not in section(page_text(client), "Moje zgłoszenia", None)


@pytest.fixture
def app_config():
    return {"VIEW_COUNT_FLUSH_SECONDS": 3600}


def queries_for(app, count_queries, user, url: str = URL) -> int:
    client = app.test_client()
    login_as(client, user)
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.count


def test_the_page_costs_the_same_few_queries_whatever_the_numbers(
        app, count_queries, torun, general, section_thread, jan):
    add_comment(general, jan, "Jedna uwaga.")
    db.session.add(Subscription(user_id=jan.id, thread_id=general.id))
    db.session.commit()
    register(torun, "jan@example.org")
    register(torun, "jan@example.org", meeting=True)
    thread_id, user_id = section_thread.id, jan.id
    small = queries_for(app, count_queries, jan)

    from portal.accounts.models import User
    from portal.forum.models import Thread

    section_thread, jan = db.session.get(Thread, thread_id), db.session.get(User, user_id)
    for n in range(60):
        parent = add_comment(section_thread, jan, f"Uwaga {n}.", paragraph=1)
        add_comment(section_thread, jan, f"Odpowiedź {n}.", parent=parent)
    db.session.add(Subscription(user_id=jan.id, thread_id=section_thread.id))
    db.session.commit()
    large = queries_for(app, count_queries, jan)
    jan = db.session.get(User, user_id)
    last_page = queries_for(app, count_queries, jan, URL + "?strona=7")

    assert small == large == last_page <= 6


def test_the_comments_come_in_pages(client, torun, general, jan, frozen_clock):
    from datetime import timedelta

    from portal.accounts.activity import COMMENTS_PER_PAGE

    start = frozen_clock.set_local("2020-09-18 08:00:00")
    for n in range(COMMENTS_PER_PAGE + 3):
        frozen_clock.set(start + timedelta(minutes=n))
        add_comment(general, jan, f"Uwaga numer {n:03d}.")
    db.session.commit()
    login_as(client, jan)
    first = client.get(URL).get_data(as_text=True)
    assert "Uwaga numer 022." in first and "Uwaga numer 002." not in first
    assert 'href="/konto/moje-uwagi?strona=2"' in first
    second = page_text(client, URL + "?strona=2")
    assert "Uwaga numer 002." in second and "Uwaga numer 000." in second and "Uwaga numer 022." not in second
    past = page_text(client, URL + "?strona=9")
    assert "Masz 23 uwag" in past


def test_a_thread_title_is_shown_as_text(client, torun, jan):
    from portal.forum.models import Thread, ThreadKind

    thread = Thread(consultation_id=torun.id, kind=ThreadKind.OPEN, title="<i>Rowery</i> & ścieżki")
    db.session.add(thread)
    db.session.flush()
    add_comment(thread, jan, "W otwartym wątku.")
    db.session.add(Subscription(user_id=jan.id, thread_id=thread.id))
    db.session.commit()
    login_as(client, jan)
    html = client.get(URL).get_data(as_text=True)
    assert "<i>Rowery</i>" not in html
    assert html.count("&lt;i&gt;Rowery&lt;/i&gt; &amp; ścieżki") == 3  # heading, the link's hidden text, followed
