"""Comments received outside the portal: staff enter a letter, an e-mail or what was said at a
meeting; it gets a number, an answer and a row in the report like any other, marked with its channel."""
import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.audit import AuditLog
from portal.extensions import db
from portal.forum.models import Post, Thread
from portal.reports.models import Answer, AnsweredComment, Decision
from tests.conftest import form_token, login_as, visible_text
from tests.factories import SLUG, add_comment, answer, answer_all, publish_with_the_form

ENTRIES = f"/zespol/konsultacje/{SLUG}/uwagi-spoza-serwisu"
WORKSPACE = f"/zespol/konsultacje/{SLUG}/odpowiedzi"
REPORT = f"/konsultacje/{SLUG}/raport"
SUBMITTER = "Jan Wiśniewski, Stowarzyszenie Przyjaciół Torunia"
LETTER = "Prosimy dopisać w § 6 **konsultacje z radami osiedli**."
LETTER_NOTE = "uwaga przesłana pocztą, 25 września 2020 r."


def enter(client, url=ENTRIES, **fields):
    """Send the entry form as a person would: the page loaded, the token from it, the fields filled in."""
    data = {"channel": "letter", "received_on": "2020-09-25", "submitter_name": SUBMITTER, "section": "6",
            "body": LETTER, "csrf_token": form_token(client, url)}
    data.update(fields)
    return client.post(url, data=data)


def offline_posts() -> list[Post]:
    db.session.expire_all()
    return db.session.scalars(select(Post).where(Post.channel != "portal").order_by(Post.id)).all()


def text_of(response) -> str:
    return visible_text(response.get_data(as_text=True))


@pytest.fixture
def letter(commented, section_thread, moderator_client):
    """The Toruń consultation of `commented` with § 6 in its draft, and a letter entered for § 6 with the form."""
    response = enter(moderator_client)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(ENTRIES)
    (post,) = offline_posts()
    return post


# --- entering a comment --------------------------------------------------------------------------

def test_a_moderator_enters_a_letter_and_it_is_published_in_the_section_thread(letter, section_thread,
                                                                                moderator_client):
    assert (letter.channel, letter.submitter_name, letter.received_on.isoformat()) == (
        "letter", SUBMITTER, "2020-09-25")
    assert letter.author_id is None and letter.depth == 0 and letter.root_id == letter.id
    assert letter.thread_id == section_thread.id and letter.state == "approved" and not letter.is_official
    assert "<strong>konsultacje z radami osiedli</strong>" in letter.body_html
    db.session.refresh(section_thread)
    assert section_thread.comment_count == 1

    listing = text_of(moderator_client.get(ENTRIES))
    assert "Dodano uwagę spoza serwisu." in listing
    assert SUBMITTER in listing and "list (poczta)" in listing and "25 września 2020 r." in listing
    assert "§ 6. Formy współpracy" in listing

    thread_page = moderator_client.get(f"/konsultacje/{SLUG}/forum/watek/{section_thread.id}")
    shown = text_of(thread_page)
    assert SUBMITTER in shown and LETTER_NOTE in shown and "Konto usunięte" not in shown


def test_the_letter_gets_the_next_number_in_the_workspace_and_can_be_answered(letter, moderator_client):
    page = moderator_client.get(WORKSPACE).get_data(as_text=True)
    start = page.index(f'id="uwaga-{letter.id}"')
    block = visible_text(page[start:page.index("</article>", start)])
    assert "Uwaga nr 6" in block  # after the five comments of §§ 1–3 and the general ones
    assert SUBMITTER in block and LETTER_NOTE in block and "osoba prywatna" not in block

    response = moderator_client.post(f"{WORKSPACE}/{letter.id}", data={
        "decision": "accepted", "justification": "Dopiszemy rady osiedli.",
        "csrf_token": form_token(moderator_client, WORKSPACE)})
    assert response.status_code == 303
    assert "Zapisano odpowiedź na uwagę nr 6." in text_of(moderator_client.get(WORKSPACE))
    assert db.session.scalar(select(func.count()).select_from(AnsweredComment)
                             .where(AnsweredComment.post_id == letter.id)) == 1


def test_a_comment_for_the_general_part_goes_to_the_general_thread(commented, moderator_client):
    assert enter(moderator_client, section="ogolne", channel="meeting",
                 submitter_name="Rada Osiedla Bydgoskie").status_code == 303
    (post,) = offline_posts()
    assert post.thread_id == commented.general.id
    page = text_of(moderator_client.get(WORKSPACE))
    assert "uwaga zgłoszona na spotkaniu, 25 września 2020 r." in page


# --- in the report, its files and its numbers ------------------------------------------------------

@pytest.fixture
def published(client, commented, letter, moderator):
    answer_all(commented)
    answer(commented.consultation, [letter], Decision.ACCEPTED, "Dopiszemy rady osiedli.")
    db.session.commit()
    assert publish_with_the_form(client, moderator).status_code == 303
    return letter


def test_the_published_report_shows_the_letter_with_its_submitter_channel_and_section(app, published):
    reader = app.test_client()
    page = reader.get(REPORT)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = html[html.index('<tr id="uwaga-6">'):]
    row = visible_text(row[:row.index("</tr>")])
    assert SUBMITTER in row and LETTER_NOTE in row and "§ 6. Formy współpracy" in row
    assert "konsultacje z radami osiedli" in row and "uwzględniona" in row

    numbers = html[html.index('id="liczby"'):]
    numbers = visible_text(numbers[:numbers.index("</section>")])
    assert "Uwagi łącznie 6" in numbers
    assert "§ 6. Formy współpracy 1" in numbers
    # Anna and Jan wrote on the site; the letter's sender is a third person.
    assert "Osoby, które zgłosiły uwagi 3" in numbers


def test_the_exports_have_the_letter_and_say_how_every_comment_came(app, published):
    reader = app.test_client()
    rows = list(csv.reader(io.StringIO(reader.get(f"{REPORT}.csv").data.decode("utf-8-sig"), newline="")))
    assert rows[0][-1] == "Sposób złożenia"
    assert [row[-1] for row in rows[1:]] == ["forum konsultacji"] * 5 + ["list (poczta)"]
    assert rows[6][:3] == ["6", SUBMITTER, "§ 6. Formy współpracy"] and rows[6][4] == LETTER

    sheet = load_workbook(io.BytesIO(reader.get(f"{REPORT}.xlsx").data)).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0][-1] == "Sposób złożenia"
    assert cells[6][0] == 6 and cells[6][1] == SUBMITTER and cells[6][-1] == "list (poczta)"

    data = json.loads(reader.get(f"{REPORT}.json").data)
    entry = data["comments"][5]
    assert (entry["number"], entry["submitter"], entry["organisation"], entry["channel"], entry["received_on"]) == (
        6, SUBMITTER, None, "letter", "2020-09-25")
    assert data["comments"][0]["channel"] == "portal"


# --- refusals --------------------------------------------------------------------------------------

def test_a_refused_entry_keeps_what_was_typed_and_says_what_to_fix(commented, section_thread, moderator_client):
    typed = "Uwaga z zebrania — **do przepisania**."
    response = enter(moderator_client, submitter_name="  ", received_on="2020-10-06", body=typed)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = visible_text(html)
    assert "Popraw błędy w formularzu" in shown
    assert "Podaj, kto zgłosił uwagę: imię i nazwisko albo nazwę organizacji." in shown
    assert "Data wpływu nie może być późniejsza niż dzisiejsza." in shown  # the clock stands at 5 October 2020
    assert 'id="submitter_name-error"' in html and 'id="received_on-error"' in html
    assert typed in html
    assert re.search(r'<option selected value="6">|value="6" selected', html)
    assert offline_posts() == []

    old = enter(moderator_client, received_on="1999-12-31", channel="", body="Tekst listu.")
    shown = text_of(old)
    assert "Podaj datę z lat 2000–2099." in shown and "Wybierz, jak uwaga została złożona." in shown
    assert "Tekst listu." in old.get_data(as_text=True)
    assert offline_posts() == []


def test_an_entry_without_csrf_token_is_refused_with_the_text_kept(commented, section_thread, moderator_client):
    response = moderator_client.post(ENTRIES, data={"channel": "letter", "received_on": "2020-09-25",
                                                    "submitter_name": SUBMITTER, "section": "6", "body": LETTER})
    assert response.status_code == 400
    assert "Formularz nie został wysłany" in text_of(response)
    assert "konsultacje z radami osiedli" in response.get_data(as_text=True)
    assert offline_posts() == []


def test_participants_get_403_and_anonymous_visitors_are_sent_to_log_in(client, letter, section_thread, jan):
    edit = f"{ENTRIES}/{letter.id}"
    login_as(client, jan)
    token = form_token(client, f"/konsultacje/{SLUG}/forum/watek/{section_thread.id}")  # a form jan may use
    for url in (ENTRIES, edit):
        assert client.get(url).status_code == 403, url
    for url in (ENTRIES, edit, f"{edit}/usun"):
        assert client.post(url, data={"csrf_token": token, "channel": "email", "received_on": "2020-09-25",
                                      "submitter_name": "X", "section": "6", "body": "Y"}).status_code == 403, url
    assert len(offline_posts()) == 1
    anonymous = client.application.test_client()
    assert anonymous.get(ENTRIES).status_code in (302, 303)


def test_the_entry_is_in_the_moderation_log_in_polish(letter, moderator_client):
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "offline_comment_added"))
    assert row is not None and row.target_id == letter.id
    log = moderator_client.get("/moderacja/dziennik").get_data(as_text=True)
    body = " ".join(visible_text(part) for part in re.findall(r"(?s)<tbody>.*?</tbody>", log))
    assert "Dodanie uwagi złożonej poza serwisem" in body
    assert "sposób złożenia: list (poczta)" in body and "data wpływu: 2020-09-25" in body
    assert not re.findall(r"\b(?:offline_comment_\w+|submitter_name|received_on|letter)\b", body)


# --- corrections before publication -------------------------------------------------------------------

def test_an_entry_is_corrected_and_moved_to_another_section(commented, letter, section_thread, moderator_client):
    edit = f"{ENTRIES}/{letter.id}"
    form = moderator_client.get(edit).get_data(as_text=True)
    assert SUBMITTER in form and "konsultacje z radami osiedli" in form
    response = enter(moderator_client, url=edit, section="2", channel="email", body="Poprawiony tekst.")
    assert response.status_code == 303
    (post,) = offline_posts()
    assert (post.thread_id, post.channel, post.body) == (commented.sections[2].id, "email", "Poprawiony tekst.")
    db.session.refresh(section_thread)
    assert section_thread.comment_count == 0
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "offline_comment_changed"))
    assert row.before_data["channel"] == "letter" and row.after_data["channel"] == "email"


def test_an_entry_made_by_mistake_is_deleted_with_its_own_answer(letter, section_thread, moderator_client, commented):
    answer(commented.consultation, [letter], Decision.ACCEPTED, "Dopiszemy.")
    db.session.commit()
    letter_id, edit = letter.id, f"{ENTRIES}/{letter.id}"
    response = moderator_client.post(f"{edit}/usun", data={"csrf_token": form_token(moderator_client, edit)})
    assert response.status_code == 303
    assert offline_posts() == []
    assert db.session.scalar(select(func.count()).select_from(AnsweredComment)
                             .where(AnsweredComment.post_id == letter_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0  # it was the letter's own
    db.session.refresh(section_thread)
    assert section_thread.comment_count == 0
    assert "Usunięcie uwagi złożonej poza serwisem" in text_of(moderator_client.get("/moderacja/dziennik"))


def test_after_publication_entries_cannot_be_added_changed_or_deleted(client, published, moderator):
    login_as(client, moderator)
    listing = text_of(client.get(ENTRIES))
    assert "Raport jest opublikowany" in listing and "Popraw albo usuń" not in listing
    token = form_token(client, f"/zespol/konsultacje/{SLUG}/raport")
    response = client.post(ENTRIES, data={"channel": "email", "received_on": "2020-09-26", "submitter_name": "X",
                                          "section": "6", "body": "Spóźniona.", "csrf_token": token})
    assert response.status_code == 303
    assert "Raport jest opublikowany" in text_of(client.get(response.headers["Location"]))
    client.post(f"{ENTRIES}/{published.id}/usun", data={"csrf_token": token})
    assert [post.id for post in offline_posts()] == [published.id]
    assert offline_posts()[0].body == LETTER


def test_an_entry_after_a_withdrawn_publication_gets_the_next_number_and_moves_nobody(
        client, published, moderator, section_thread):
    manage = f"/zespol/konsultacje/{SLUG}/raport"
    login_as(client, moderator)
    assert client.post(f"{manage}/wycofanie", data={"csrf_token": form_token(client, manage)}).status_code == 303
    assert enter(client, section="ogolne", channel="email", submitter_name="Anna Zielińska",
                 received_on="2020-09-29", body="Spóźniony e-mail.").status_code == 303
    page = client.get(WORKSPACE).get_data(as_text=True)
    numbers = re.findall(r'class="comment__meta">Uwaga nr (\d+)</h3>', page)
    assert numbers == ["1", "7", "2", "3", "4", "5", "6"]  # the e-mail sits among the general comments as nr 7
    assert "uwaga przesłana e-mailem, 29 września 2020 r." in visible_text(page)


def test_an_entry_with_replies_on_the_forum_is_neither_deleted_nor_moved(letter, moderator_client, commented, jan):
    add_comment(db.session.get(Thread, letter.thread_id), jan, "Popieram ten list.", parent=letter)
    db.session.commit()
    edit = f"{ENTRIES}/{letter.id}"
    response = moderator_client.post(f"{edit}/usun", data={"csrf_token": form_token(moderator_client, edit)})
    assert response.status_code == 303
    assert "nie można jej usunąć" in text_of(moderator_client.get(response.headers["Location"]))
    moved = enter(moderator_client, url=edit, section="2")
    assert moved.status_code == 200 and 'id="section-error"' in moved.get_data(as_text=True)
    assert [(post.id, post.thread_id) for post in offline_posts()] == [(letter.id, letter.thread_id)]
