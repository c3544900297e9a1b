"""What moderation leaves behind: the staff's log, the public numbers, the moderators' digest.

- The log (/moderacja/dziennik) lists every audit row, newest first, filtered by who acted, what
  was done, whom it concerned and local (Warsaw) days; the CSV carries the same rows, never a
  formula. Nobody can change or delete a row.
- The transparency page (/konsultacje/<slug>/moderacja) gives numbers only, right after each
  decision, and no names, e-mails or texts.
- The digest e-mails opted-in staff at most once an hour, and only when something waits.
"""
import csv
import io
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from portal import audit, clock
from portal.accounts import admin_services
from portal.accounts.models import Role, User
from portal.accounts.services import erase_personal_data
from portal.audit import AppendOnlyError, AuditLog
from portal.consultations.models import ModerationMode
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.models import Post, PostState, Thread, ThreadKind
from portal.mail import OutboxMessage
from portal.moderation import digest, services as moderation
from portal.moderation.models import Flag, FlagReason
from portal.moderation.services import RejectionReason
from tests.conftest import login_as

SLUG = "program-wspolpracy-2021"
LOG = "/moderacja/dziennik"
LOG_CSV = "/moderacja/dziennik.csv"
TRANSPARENCY = f"/konsultacje/{SLUG}/moderacja"
IN_WINDOW = "2020-09-20 12:00:00"


# --- fixtures and helpers ----------------------------------------------------------------------

@pytest.fixture
def moderated(torun, frozen_clock):
    """The demo consultation with every participant's comment pre-moderated, during its window."""
    frozen_clock.set_local(IN_WINDOW)
    torun.moderation_mode = ModerationMode.ALL
    db.session.commit()
    return torun


_minutes = {"sent": 0}


@pytest.fixture(autouse=True)
def _fresh_minutes():
    _minutes["sent"] = 0


def comment(user, thread, body) -> Post:
    """A comment sent a minute after the last one (so the 30-second rule never applies)."""
    _minutes["sent"] += 1
    post = forum.post_comment(user, thread, body, now=clock.now_utc() + timedelta(minutes=_minutes["sent"]))
    db.session.commit()
    return post


def approve(moderator, post):
    moderation.approve(moderator, post, post.version)
    db.session.commit()


def reject(moderator, post, reason, note=""):
    moderation.reject(moderator, post, post.version, reason, note)
    db.session.commit()


def hide(moderator, post, reason):
    moderation.hide(moderator, post, post.version, reason)
    db.session.commit()


def table_rows(html: str) -> list[str]:
    """The log table's body rows as text (tags removed, spaces squeezed)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def csv_rows(response) -> list[dict]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    header = next(reader)
    return [dict(zip(header, row)) for row in reader]


def at_local(frozen_clock, wall: str, actor, action: str, target, reason: str = "") -> None:
    frozen_clock.set_local(wall)
    audit.record(actor, action, target, reason)
    db.session.commit()


# --- the log: who may read it ------------------------------------------------------------------

@pytest.mark.parametrize("url", [LOG, LOG_CSV])
def test_the_log_is_for_moderators_and_admins_only(app, jan, moderator, admin, url):
    def status(user):
        client = app.test_client()
        if user is not None:
            login_as(client, user)
        return client.get(url)

    anonymous = status(None)
    assert anonymous.status_code == 302 and "/logowanie" in anonymous.headers["Location"]
    assert status(jan).status_code == 403
    assert status(moderator).status_code == 200
    assert status(admin).status_code == 200


def test_no_route_changes_a_log_row_and_the_orm_refuses_to(app, moderator_client, moderator, anna):
    audit.record(moderator, "user_blocked", anna, "spam")
    db.session.commit()

    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(LOG)]
    assert {rule.endpoint for rule in rules} == {"moderation_records.log", "moderation_records.log_csv"}
    assert all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in rules)
    assert moderator_client.post(LOG).status_code in (400, 405)  # no CSRF token / no such method

    entry = db.session.scalar(select(AuditLog))
    entry.reason = "zmieniony powód"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.delete(db.session.scalar(select(AuditLog)))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(AuditLog)).reason == "spam"


# --- the log: what it shows ----------------------------------------------------------------------

def test_the_log_shows_who_did_what_to_which_comment_and_why_newest_first(moderator_client, moderated, general,
                                                                         moderator, anna, jan):
    first = comment(anna, general, "Proszę wydłużyć termin naboru wniosków.")
    second = comment(jan, general, "Kup tanie buty!")
    approve(moderator, first)
    clock.set(clock.now_utc() + timedelta(minutes=1))
    reject(moderator, second, RejectionReason.SPAM, "link do sklepu")
    clock.set(clock.now_utc() + timedelta(minutes=1))
    moderation.hide_by_flags(first)
    db.session.commit()

    response = moderator_client.get(LOG)
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    rows = table_rows(html)
    assert len(rows) == 3
    assert "Automatyczne ukrycie po zgłoszeniach" in rows[0] and "system" in rows[0]
    assert "opublikowana → ukryta" in rows[0]
    assert "Odrzucenie uwagi" in rows[1] and moderator.display_name in rows[1]
    assert "spam lub reklama: link do sklepu" in rows[1] and f"Użytkownik: {jan.display_name}" in rows[1]
    assert "czeka na moderację → odrzucona" in rows[1]
    assert "Publikacja uwagi" in rows[2] and f"Użytkownik: {anna.display_name}" in rows[2]
    assert "20 września 2020 r., godz. 12:" in rows[2]
    assert f'href="/forum/uwagi/{first.id}"' in html and f'href="/forum/uwagi/{second.id}"' in html
    assert "Uwagi ogólne" in rows[2]  # the thread of the comment
    assert "Proszę wydłużyć termin naboru wniosków." in html  # the text, in a <details>
    assert "<details>" in html


def test_an_edit_shows_the_text_before_and_after(moderator_client, moderated, general, moderator, anna):
    post = comment(anna, general, "Tekst z literówką w wyrazie konsultacjie.")
    moderation.approve(moderator, post, post.version, edited_body="Tekst bez literówki w wyrazie konsultacje.")
    db.session.commit()

    html = moderator_client.get(LOG).get_data(as_text=True)
    assert "Publikacja uwagi z poprawkami moderatora" in html and "Treść przed i po zmianie" in html
    before, after = html.split("Przed:", 1)[1].split("Po:", 1)
    assert "konsultacjie" in before and "konsultacje." in after and "konsultacjie" not in after


def test_texts_reasons_titles_and_filter_values_are_shown_as_text(moderator_client, moderated, moderator, anna):
    thread = Thread(consultation_id=moderated.id, kind=ThreadKind.OPEN, title="<b onmouseover=alert(1)>Tytuł</b>")
    db.session.add(thread)
    db.session.commit()
    post = comment(anna, thread, "<script>alert('tekst')</script>")
    approve(moderator, post)
    hide(moderator, post, "<img src=x onerror=alert('powod')>")

    html = moderator_client.get(LOG + '?uzytkownik="><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html
    assert '&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;' in html  # the typed filter, given back as text
    html = moderator_client.get(LOG).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;tekst&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(&#39;powod&#39;)&gt;" in html
    assert "&lt;b onmouseover=alert(1)&gt;Tytuł&lt;/b&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html


def test_user_targets_link_to_the_account_for_admins_and_deleted_people_stay_unnamed(app, admin,
                                                                                     moderator, anna, jan):
    admin_services.change_role(admin, jan, Role.MODERATOR, "Dołącza do zespołu")
    db.session.commit()
    erase_personal_data(anna)
    db.session.commit()
    audit.record(moderator, "user_blocked", anna, "wulgaryzmy")
    db.session.commit()

    as_admin = app.test_client()
    login_as(as_admin, admin)
    html = as_admin.get(LOG).get_data(as_text=True)
    assert f'href="/admin/uzytkownicy/{jan.id}"' in html and "Zmiana roli" in html
    assert "uczestnik → moderator" in html
    assert "Konto usunięte" in html and "Anna" not in html

    as_moderator = app.test_client()
    login_as(as_moderator, moderator)
    html = as_moderator.get(LOG).get_data(as_text=True)
    assert "/admin/uzytkownicy/" not in html  # the account pages are for admins only


# --- the log: filters ----------------------------------------------------------------------------

@pytest.fixture
def busy_log(moderated, general, moderator, second_moderator, anna, jan, admin):
    """The moderator approves Anna's comment, the second one rejects Jan's, reports hide Anna's, an admin
    blocks Jan."""
    annas = comment(anna, general, "Uwaga Anny")
    jans = comment(jan, general, "Uwaga Jana")
    approve(moderator, annas)
    reject(second_moderator, jans, RejectionReason.OFFENSIVE)
    moderation.hide_by_flags(annas)
    db.session.commit()
    admin_services.block_user(admin, jan, None, "Powtarzające się obraźliwe wpisy")
    db.session.commit()
    return {"annas": annas, "jans": jans}


def test_filter_by_moderator_and_by_system(moderator_client, busy_log, moderator, second_moderator):
    rows = table_rows(moderator_client.get(f"{LOG}?moderator={second_moderator.id}").get_data(as_text=True))
    assert len(rows) == 1 and "Odrzucenie uwagi" in rows[0]

    html = moderator_client.get(f"{LOG}?moderator={moderator.id}").get_data(as_text=True)
    rows = table_rows(html)
    assert len(rows) == 1 and "Publikacja uwagi" in rows[0]
    assert f'<option value="{moderator.id}" selected>{moderator.display_name}</option>' in html
    assert "Pasujących wpisów: 1." in html

    rows = table_rows(moderator_client.get(f"{LOG}?moderator=system").get_data(as_text=True))
    assert len(rows) == 1 and "Automatyczne ukrycie po zgłoszeniach" in rows[0]


def test_the_moderator_list_holds_staff_and_former_staff_who_acted_but_no_participants(moderator_client, busy_log,
                                                                                       moderator, second_moderator,
                                                                                       admin, anna, jan):
    second_moderator.role = Role.PARTICIPANT
    db.session.commit()
    html = moderator_client.get(LOG).get_data(as_text=True)
    select_html = html.split('name="moderator"', 1)[1].split("</select>", 1)[0]
    assert second_moderator.display_name in select_html and admin.display_name in select_html
    assert moderator.display_name in select_html
    assert anna.display_name not in select_html and jan.display_name not in select_html


def test_filter_by_action(moderator_client, busy_log):
    html = moderator_client.get(f"{LOG}?dzialanie=post_rejected").get_data(as_text=True)
    rows = table_rows(html)
    assert len(rows) == 1 and "Odrzucenie uwagi" in rows[0]
    assert '<option value="post_rejected" selected>' in html
    rows = table_rows(moderator_client.get(f"{LOG}?dzialanie=user_blocked").get_data(as_text=True))
    assert len(rows) == 1 and "Blokada konta" in rows[0] and "Powtarzające się obraźliwe wpisy" in rows[0]


def test_filter_by_the_user_concerned_covers_their_account_and_their_comments(moderator_client, busy_log, anna,
                                                                              jan):
    rows = table_rows(moderator_client.get(f"{LOG}?uzytkownik={jan.id}").get_data(as_text=True))
    assert len(rows) == 2
    assert "Blokada konta" in rows[0] and "Odrzucenie uwagi" in rows[1]

    rows = table_rows(moderator_client.get(f"{LOG}?uzytkownik={anna.email.upper()}").get_data(as_text=True))
    assert len(rows) == 2
    assert "Automatyczne ukrycie po zgłoszeniach" in rows[0] and "Publikacja uwagi" in rows[1]

    html = moderator_client.get(f"{LOG}?uzytkownik=nikt@nigdzie.example").get_data(as_text=True)
    assert "Nie ma konta o takim numerze ani adresie e-mail." in html
    assert len(table_rows(html)) == 4  # the wrong filter is left out, and said so


def test_filters_combine(moderator_client, busy_log, moderator, second_moderator, jan):
    rows = table_rows(moderator_client.get(f"{LOG}?uzytkownik={jan.id}&moderator={second_moderator.id}"
                                           "&dzialanie=post_rejected").get_data(as_text=True))
    assert len(rows) == 1
    assert table_rows(moderator_client.get(f"{LOG}?uzytkownik={jan.id}&moderator={moderator.id}")
                      .get_data(as_text=True)) == []


def reasons_shown(client, query: str) -> list[str]:
    return re.findall(r"powod-(\w+)", client.get(f"{LOG}?{query}").get_data(as_text=True))


def test_date_filters_take_whole_warsaw_days(moderator_client, frozen_clock, moderator, anna):
    for wall, reason in [("2020-09-19 23:59:59", "przed"), ("2020-09-20 00:00:00", "pierwsza"),
                         ("2020-09-20 23:59:59", "ostatnia"), ("2020-09-21 00:00:00", "po")]:
        at_local(frozen_clock, wall, moderator, "user_blocked", anna, f"powod-{reason}")

    assert reasons_shown(moderator_client, "od=2020-09-20&do=2020-09-20") == ["ostatnia", "pierwsza"]
    assert reasons_shown(moderator_client, "od=2020-09-21") == ["po"]
    assert reasons_shown(moderator_client, "do=2020-09-19") == ["przed"]
    assert reasons_shown(moderator_client, "od=2020-09-20") == ["po", "ostatnia", "pierwsza"]


def test_date_filters_across_the_autumn_clock_change(moderator_client, frozen_clock, moderator, anna):
    # 25 October 2020 had 25 hours in Warsaw: it began at 22:00 UTC the day before (CEST) and
    # ended at 23:00 UTC (CET). A day cut in UTC would get both ends wrong.
    for wall, reason in [("2020-10-24 23:30:00", "przed"), ("2020-10-25 00:30:00", "pierwsza"),
                         ("2020-10-25 23:30:00", "ostatnia"), ("2020-10-26 00:30:00", "po")]:
        at_local(frozen_clock, wall, moderator, "user_blocked", anna, f"powod-{reason}")
    assert reasons_shown(moderator_client, "od=2020-10-25&do=2020-10-25") == ["ostatnia", "pierwsza"]


def test_wrong_dates_are_reported_and_left_out(moderator_client, frozen_clock, moderator, anna):
    at_local(frozen_clock, "2020-09-20 12:00:00", moderator, "user_blocked", anna, "jedyna")
    html = moderator_client.get(f"{LOG}?od=2020-13-01").get_data(as_text=True)
    assert "Wpisz datę w postaci RRRR-MM-DD" in html and 'aria-invalid="true"' in html
    assert len(table_rows(html)) == 1
    html = moderator_client.get(f"{LOG}?od=2020-09-21&do=2020-09-20").get_data(as_text=True)
    assert "Data „od” jest późniejsza niż data „do”." in html and len(table_rows(html)) == 1
    for odd in ("moderator=abc", "moderator=99999999999", "uzytkownik=%C2%B2", "uzytkownik=99999999999"):
        response = moderator_client.get(f"{LOG}?{odd}")
        assert response.status_code == 200 and len(table_rows(response.get_data(as_text=True))) == 1, odd
    # A wrong start date is left out; the end date still applies.
    html = moderator_client.get(f"{LOG}?od=zle&do=2020-09-19").get_data(as_text=True)
    assert "Żaden wpis nie pasuje do tych filtrów." in html


def test_the_log_pages_by_fifty_and_keeps_the_filters(moderator_client, frozen_clock, moderator, anna):
    frozen_clock.set_local(IN_WINDOW)
    for n in range(120):
        audit.record(moderator, "user_blocked", anna, f"powód {n:03}")
    db.session.commit()

    first = moderator_client.get(f"{LOG}?dzialanie=user_blocked").get_data(as_text=True)
    assert len(table_rows(first)) == 50 and "strona 1 z 3" in first and "powód 119" in first
    assert 'href="/moderacja/dziennik?strona=2&amp;dzialanie=user_blocked" rel="next"' in first
    last = moderator_client.get(f"{LOG}?dzialanie=user_blocked&strona=3").get_data(as_text=True)
    assert len(table_rows(last)) == 20 and "powód 000" in last and "Następna" not in last


# --- the log as CSV -----------------------------------------------------------------------------------

def test_the_csv_has_the_filtered_rows_and_no_formulas(moderator_client, moderated, general, moderator, anna,
                                                       jan):
    post = comment(anna, general, "=1+1 to moja uwaga")
    approve(moderator, post)
    hide(moderator, post, '=HYPERLINK("http://zly.example","kliknij")')
    other = comment(jan, general, "Inna uwaga")
    approve(moderator, other)

    response = moderator_client.get(f"{LOG_CSV}?uzytkownik={anna.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="dziennik-moderacji-2020-09-20.csv"'
    rows = csv_rows(response)
    assert [row["Działanie"] for row in rows] == ["Ukrycie uwagi", "Publikacja uwagi"]
    hidden = rows[0]
    assert hidden["Powód"] == "'=HYPERLINK(\"http://zly.example\",\"kliknij\")"
    assert hidden["Treść przed"] == "'=1+1 to moja uwaga"
    assert hidden["Kto"] == moderator.display_name and hidden["Użytkownik, którego dotyczy"] == anna.display_name
    assert hidden["Przed"] == "opublikowana" and hidden["Po"] == "ukryta"
    assert hidden["Link"] == f"http://localhost/forum/uwagi/{post.id}"
    assert hidden["Kiedy (czas polski)"].startswith("2020-09-20 12:")
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())

    # Taking personal data out is itself logged (GDPR accountability).
    db.session.expire_all()
    export = db.session.scalar(select(AuditLog).where(AuditLog.action == "moderation_log_exported"))
    assert export.actor_id == moderator.id
    assert export.after_data == {"rows": 2, "filter": {"uzytkownik": str(anna.id)}}
    assert "Pobranie dziennika moderacji" in moderator_client.get(LOG).get_data(as_text=True)


# --- the log: queries do not grow with its size ------------------------------------------------

def fill_log(count: int, moderator_id: int, author_id: int, thread_id: int) -> None:
    """`count` rows about comments and accounts, quickly (straight into the tables)."""
    moderator, author = db.session.get(User, moderator_id), db.session.get(User, author_id)
    posts = [Post(thread_id=thread_id, author_id=author_id, body=f"Uwaga {n}", body_html="",
                  state=PostState.APPROVED) for n in range(count // 2)]
    db.session.add_all(posts)
    db.session.flush()
    for post in posts:
        audit.record(moderator, "post_approved", post, "", before={"state": "pending", "body": post.body},
                     after={"state": "approved", "body": post.body})
    for n in range(count - len(posts)):
        audit.record(moderator if n % 2 else None, "user_blocked", author, f"powód {n}")
    db.session.commit()


@pytest.mark.parametrize("url", [LOG, f"{LOG}?dzialanie=post_approved&od=2020-09-01&do=2020-09-30",
                                 f"{LOG}?uzytkownik={{anna_email}}", LOG_CSV])
def test_the_log_runs_the_same_few_queries_for_10_and_500_rows(app, moderated, general, moderator, anna,
                                                               count_queries, url):
    url = url.format(anna_email=anna.email)  # her address comes with the fixture, after parametrizing
    moderator_id, anna_id, thread_id = moderator.id, anna.id, general.id

    def queries() -> int:
        client = app.test_client()
        login_as(client, db.session.get(User, moderator_id))
        with count_queries() as counted:
            response = client.get(url)
        assert response.status_code == 200
        return counted.count

    fill_log(10, moderator_id, anna_id, thread_id)
    small = queries()
    fill_log(490, moderator_id, anna_id, thread_id)
    large = queries()
    assert small == large <= 6


# --- transparency -----------------------------------------------------------------------------------

def number_of(html: str, label: str) -> int:
    match = re.search(rf"<th scope=\"row\">{re.escape(label)}</th><td>([\d\s\u00a0]+)</td>", html)
    assert match, label
    return int(re.sub(r"\D", "", match.group(1)))


@pytest.fixture
def decided(moderated, general, moderator, anna, jan, make_user):
    """Ten comments with every kind of outcome; one thread locked."""
    people = [anna, jan] + [make_user(f"osoba{n}@ngo.example", name=f"Osoba {n}") for n in range(3)]
    posts = [comment(people[n % len(people)], general, f"Uwaga numer {n} od uczestnika") for n in range(9)]
    approve(moderator, posts[0])
    approve(moderator, posts[1])
    approve(moderator, posts[2])
    hide(moderator, posts[2], "Dane osobowe osoby trzeciej")
    approve(moderator, posts[3])
    moderation.hide_by_flags(posts[3])
    db.session.commit()
    reject(moderator, posts[4], RejectionReason.OFFENSIVE)
    reject(moderator, posts[5], RejectionReason.OFFENSIVE, "wyzwiska pod adresem radnych")
    reject(moderator, posts[6], RejectionReason.SPAM, "reklama sklepu")
    # posts[7], posts[8] wait for a moderator
    reply = comment(moderator, general, "Dziękujemy, odpowiemy w raporcie.")  # staff: published at once
    reply.is_official = True
    locked = Thread(consultation_id=moderated.id, kind=ThreadKind.OPEN, title="Zamknięty wątek",
                    locked_at=clock.now_utc())
    db.session.add(locked)
    db.session.commit()
    return posts


def test_transparency_counts_every_outcome_and_reason(client, decided):
    html = client.get(TRANSPARENCY).get_data(as_text=True)
    assert number_of(html, "Wysłane") == 10
    assert number_of(html, "Opublikowane") == 3  # two of the participants' and the office's reply
    assert number_of(html, "Czekają na decyzję moderatora") == 2
    assert number_of(html, "Odrzucone") == 3
    assert number_of(html, "Ukryte przez moderatora po publikacji") == 1
    assert number_of(html, "Ukryte po zgłoszeniach użytkowników, do czasu decyzji moderatora") == 1
    assert "W tym odpowiedzi urzędu: 1." in html
    assert number_of(html, "treść obraźliwa") == 2
    assert number_of(html, "spam lub reklama") == 1
    assert number_of(html, "zawiera dane osobowe") == 0 and number_of(html, "inny powód") == 0
    assert re.search(r"<dt>Wszystkie wątki</dt><dd>2</dd>\s*<dt>Zamknięte dla nowych uwag</dt><dd>1</dd>", html)
    assert f'href="/konsultacje/{SLUG}/forum"' in html
    assert "Każda uwaga uczestnika jest sprawdzana przez moderatora przed publikacją." in html


def test_transparency_follows_each_decision_at_once(client, moderated, general, moderator, anna):
    post = comment(anna, general, "Jedna uwaga")
    html = client.get(TRANSPARENCY).get_data(as_text=True)
    assert (number_of(html, "Wysłane"), number_of(html, "Czekają na decyzję moderatora")) == (1, 1)
    assert "Nie odrzuciliśmy żadnej uwagi." in html
    approve(moderator, post)
    html = client.get(TRANSPARENCY).get_data(as_text=True)
    assert (number_of(html, "Opublikowane"), number_of(html, "Czekają na decyzję moderatora")) == (1, 0)
    hide(moderator, post, "Poza tematem")
    html = client.get(TRANSPARENCY).get_data(as_text=True)
    assert (number_of(html, "Opublikowane"), number_of(html, "Ukryte przez moderatora po publikacji")) == (0, 1)
    moderation.unhide(moderator, post, post.version, "Jednak na temat")
    db.session.commit()
    html = client.get(TRANSPARENCY).get_data(as_text=True)
    assert (number_of(html, "Opublikowane"), number_of(html, "Ukryte przez moderatora po publikacji")) == (1, 0)


def test_a_rejection_made_in_english_counts_under_the_same_reason(client, moderated, general, moderator, anna,
                                                                   jan):
    first = comment(anna, general, "Pierwsza")
    second = comment(jan, general, "Druga")
    with force_locale("en"):
        reject(moderator, first, RejectionReason.DUPLICATE, "see comment 12")
    reject(moderator, second, RejectionReason.DUPLICATE)
    db.session.execute(update(Post).where(Post.id == second.id).values(moderation_reason="coś zupełnie innego"))
    db.session.commit()
    html = client.get(TRANSPARENCY).get_data(as_text=True)
    assert number_of(html, "powtórzenie wcześniejszej uwagi") == 1
    assert number_of(html, "inny powód") == 1  # a text with no known label


def test_transparency_shows_no_names_emails_or_texts(client, decided, moderator, anna, jan):
    html = client.get(TRANSPARENCY).get_data(as_text=True)
    for private in (anna.display_name, anna.email, jan.display_name, jan.email, moderator.display_name,
                    moderator.email, "Osoba 1", "osoba1@", "Uwaga numer", "wyzwiska", "reklama sklepu",
                    "Dane osobowe osoby trzeciej", "Dziękujemy, odpowiemy"):
        assert private not in html, private
    assert "@" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_transparency_runs_the_same_few_queries_for_few_and_many_comments(app, moderated, general, anna,
                                                                          count_queries):
    thread_id, anna_id = general.id, anna.id

    def queries() -> int:
        with count_queries() as counted:
            response = app.test_client().get(TRANSPARENCY)
        assert response.status_code == 200
        return counted.count

    def add(count: int) -> None:
        db.session.add_all([Post(thread_id=thread_id, author_id=anna_id, body="b", body_html="",
                                 state=list(PostState)[n % 4], moderation_reason="spam lub reklama")
                            for n in range(count)])
        db.session.commit()

    add(1)
    few = queries()
    add(200)
    many = queries()
    assert few == many <= 3


def test_transparency_of_an_unpublished_consultation_is_not_found(client, moderated):
    from portal.consultations.models import Status

    moderated.status = Status.DRAFT
    db.session.commit()
    assert client.get(TRANSPARENCY).status_code == 404
    assert client.get("/konsultacje/nie-ma-takiej/moderacja").status_code == 404


# --- the digest ---------------------------------------------------------------------------------------

def outbox() -> list[OutboxMessage]:
    """The digests queued (not the forum's own notifications to people following the thread)."""
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Kolejka moderacji"))
                              .order_by(OutboxMessage.id)).all()


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def opted_in(make_user, moderator, second_moderator, admin):
    """The moderator and the admin asked for the digest; the second moderator did not; a participant cannot."""
    participant = make_user("uczestnik@ngo.example", name="Uczestnik")
    former = make_user("byly.moderator@um.example", role=Role.PARTICIPANT, name="Były moderator")
    gone = make_user("usuniety@um.example", role=Role.MODERATOR, name="Usunięty")
    for user in (moderator, admin, participant, former, gone):
        user.moderation_digest = True
    erase_personal_data(gone)
    db.session.commit()
    return {"moderator": moderator, "admin": admin, "second_moderator": second_moderator, "participant": participant}


def test_no_digest_when_nothing_waits(moderated, general, opted_in):
    approved = comment(opted_in["moderator"], general, "Odpowiedź urzędu")  # staff: published at once
    assert approved.state == PostState.APPROVED
    assert digest.send_digests(clock.now_utc()) == 0
    db.session.commit()
    assert outbox() == []
    assert reload(opted_in["moderator"]).digest_sent_at is None  # the next item is reported at the next run


def test_the_digest_goes_only_to_opted_in_staff_with_counts_items_and_the_queue(moderated, general, opted_in, anna):
    post = comment(anna, general, "Uwaga czekająca na moderację")
    now = clock.now_utc()
    assert digest.send_digests(now) == 2
    db.session.commit()

    messages = outbox()
    assert sorted(m.recipient for m in messages) == sorted([opted_in["admin"].email, opted_in["moderator"].email])
    message = messages[0]
    assert message.subject == "Kolejka moderacji: do obsłużenia 1"
    assert "uwagi czekające na publikację: 1" in message.body
    assert "uwagi zgłoszone przez użytkowników: 0" in message.body
    assert "czeka na publikację — wątek „Uwagi ogólne”" in message.body
    assert f"http://localhost/forum/uwagi/{post.id}" in message.body
    assert "http://localhost/moderacja/kolejka" in message.body
    assert "Uwaga czekająca na moderację" not in message.body  # no comment texts by e-mail
    assert reload(opted_in["moderator"]).digest_sent_at == now
    assert reload(opted_in["second_moderator"]).digest_sent_at is None


def test_the_digest_is_sent_at_most_once_an_hour(moderated, general, opted_in, anna, jan, frozen_clock):
    comment(anna, general, "Pierwsza")
    start = clock.now_utc()
    assert digest.send_digests(start) == 2
    db.session.commit()
    comment(jan, general, "Druga")
    assert digest.send_digests(start + timedelta(minutes=59, seconds=59)) == 0
    db.session.commit()
    assert len(outbox()) == 2
    assert digest.send_digests(start + timedelta(hours=1)) == 2
    db.session.commit()
    messages = outbox()
    assert len(messages) == 4 and "uwagi czekające na publikację: 2" in messages[-1].body


def test_a_recipient_is_claimed_once_an_hour_even_by_two_runs_at_once(opted_in):
    # Each run takes a recipient with a compare-and-set on digest_sent_at: of two runs that both
    # read the moderator as due, only the first one's UPDATE matches, so they get one digest.
    moderator, now = opted_in["moderator"], clock.now_utc()
    assert digest._claim(moderator.id, now) is True
    assert digest._claim(moderator.id, now) is False
    assert digest._claim(moderator.id, now + timedelta(minutes=59)) is False
    assert digest._claim(moderator.id, now + timedelta(hours=1)) is True


def test_reported_comments_count_and_the_oldest_ten_come_first(moderated, general, opted_in, make_user,
                                                                frozen_clock):
    authors = [make_user(f"autor{n}@ngo.example", name=f"Autor {n}") for n in range(12)]
    posts = [comment(author, general, f"Uwaga {n}") for n, author in enumerate(authors)]
    published = comment(opted_in["moderator"], general, "Odpowiedź urzędu")
    # Reported long before every pending comment was sent: it waits longest.
    db.session.add(Flag(post_id=published.id, reporter_id=authors[0].id, reason=FlagReason.SPAM,
                        created_at=clock.now_utc() - timedelta(days=1)))
    db.session.add(Flag(post_id=published.id, reporter_id=authors[1].id, reason=FlagReason.OFFENSIVE,
                        created_at=clock.now_utc()))
    db.session.commit()

    assert digest.send_digests(clock.now_utc() + timedelta(hours=1)) == 2
    db.session.commit()
    body = outbox()[0].body
    assert "uwagi czekające na publikację: 12" in body and "uwagi zgłoszone przez użytkowników: 1" in body
    links = re.findall(r"http://localhost/forum/uwagi/(\d+)", body)
    assert links == [str(published.id)] + [str(p.id) for p in posts[:9]]
    assert "zgłoszona (zgłoszeń: 2)" in body
    assert "Pozostałe sprawy w kolejce: 3." in body  # 12 waiting + 1 reported, 10 shown


def test_the_cli_command_sends_the_digest(app, moderated, general, opted_in, anna, smtp_sink):
    comment(anna, general, "Uwaga")
    result = app.test_cli_runner().invoke(args=["moderation-digest"])
    assert result.exit_code == 0, result.output
    assert "digests sent 2" in result.output
    assert len(smtp_sink.to(opted_in["moderator"].email)) == 1
    again = app.test_cli_runner().invoke(args=["moderation-digest"])
    assert "digests sent 0" in again.output
