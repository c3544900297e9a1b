"""Every page and file counts a consultation's comments the same way (issue 13).

A "uwaga" is what the report numbers: an approved top-level comment that is not the office's
reply (portal/reports/counts.py). Replies are "odpowiedzi", counted apart; pending, rejected
and hidden comments count nowhere. The `commented` fixture brings five comments (1 general,
1 in § 1, 2 in § 2, 1 in § 3), a pending one and Jan's reply; its threads' stored counters
all say 2, as a counter that drifted would.
"""
import csv
import io
import re

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.forum.models import Post, PostState
from tests.conftest import login_as, visible_text
from tests.factories import SLUG, add_comment, answer_all, publish_with_the_form

ANNOUNCEMENT = f"/konsultacje/{SLUG}"
FORUM = f"{ANNOUNCEMENT}/forum"
REPORT = f"{ANNOUNCEMENT}/raport"
COMMENTS, REPLIES = 5, 4  # replies: Jan's, Anna's, the office's reply and the office's own post


@pytest.fixture
def everything(commented):
    """Besides the five comments: a rejected and a hidden comment, two more replies (one the office's),
    a rejected reply and the office's own top-level post."""
    general, section = commented.general, commented.sections[2]
    add_comment(general, commented.jan, "Odrzucona.", state=PostState.REJECTED)
    add_comment(section, commented.anna, "Ukryta.", state=PostState.HIDDEN)
    first_in_section = commented.comments[2]
    add_comment(section, commented.anna, "Też tak uważam.", parent=first_in_section)
    official = add_comment(section, commented.admin, "Dziękujemy, rozważymy to.", parent=first_in_section)
    official.is_official = True
    note = add_comment(general, commented.admin, "Przypominamy o terminie.")
    note.is_official = True
    add_comment(section, commented.jan, "Odrzucona odpowiedź.", parent=first_in_section,
                state=PostState.REJECTED)
    db.session.commit()
    return commented


def text_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return visible_text(response.get_data(as_text=True))


def thread_ids(commented) -> dict[str, int]:
    return {"Uwagi ogólne": commented.general.id,
            **{f"§ {n}.": thread.id for n, thread in commented.sections.items()}}


def announcement_counts(client) -> tuple[int, int, dict[str, int]]:
    text = text_of(client, ANNOUNCEMENT)
    total = re.search(r"Wątek dyskusyjny na forum \((\d+) uwag\w*(?:, (\d+) odpowiedzi)?\)", text)
    sections = {f"§ {n}.": int(count)
                for n, count in re.findall(r"§ (\d+)\. [^()§]+ \((\d+) uwag\w*\)", text)}
    return int(total.group(1)), int(total.group(2) or 0), sections


def forum_index_counts(client) -> dict[str, tuple[int, int]]:
    html = client.get(FORUM).get_data(as_text=True)
    rows = re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a>.*?</th>\s*<td>(\d+)</td>\s*<td>(\d+)</td>',
                      html, re.S)
    return {short_title(title): (int(comments), int(replies)) for title, comments, replies in rows}


def short_title(title: str) -> str:
    """"§ 2." for a section's thread, the title for the others."""
    section = re.match(r"§ \d+\.", title)
    return section.group(0) if section else title.strip()


def thread_header(client, thread_id: int) -> int:
    text = text_of(client, f"{FORUM}/watek/{thread_id}")
    return int(re.search(r"Uwagi \((\d+)\)", text).group(1))


def home_count(client) -> int:
    return int(re.search(r"(\d+) uwag\w*", text_of(client, "/")).group(1))


def report_count(client) -> int:
    return int(re.search(r"Uwagi łącznie (\d+)", text_of(client, REPORT)).group(1))


def export_rows(client) -> tuple[int, int, int]:
    sheet = load_workbook(io.BytesIO(client.get(f"{REPORT}.xlsx").data)).active
    xlsx = sum(1 for row in sheet.iter_rows(min_row=2, values_only=True) if any(row))
    table = list(csv.reader(io.StringIO(client.get(f"{REPORT}.csv").data.decode("utf-8-sig"))))
    return xlsx, len(table) - 1, len(client.get(f"{REPORT}.json").get_json()["comments"])


def test_every_page_and_file_shows_the_same_number_of_comments(app, client, everything, smtp_sink):
    answer_all(everything)
    assert publish_with_the_form(client, everything.moderator).status_code == 303
    reader = app.test_client()

    total, replies, per_section = announcement_counts(reader)
    index = forum_index_counts(reader)
    headers = {name: thread_header(reader, thread_id) for name, thread_id in thread_ids(everything).items()}

    assert total == home_count(reader) == report_count(reader) == COMMENTS
    assert export_rows(reader) == (COMMENTS, COMMENTS, COMMENTS)
    assert replies == sum(r for _, r in index.values()) == REPLIES
    assert headers == {name: comments for name, (comments, _) in index.items()}
    assert headers == {"Uwagi ogólne": 1, "§ 1.": 1, "§ 2.": 2, "§ 3.": 1}
    assert per_section == {"§ 1.": 1, "§ 2.": 2, "§ 3.": 1}


def test_a_moderator_sees_the_same_numbers_as_the_public(app, everything, client):
    """Staff see pending and rejected comments in the thread, but the counts follow the one rule."""
    login_as(client, everything.moderator)
    index = forum_index_counts(client)
    assert thread_header(client, everything.general.id) == index["Uwagi ogólne"][0] == 1
    assert announcement_counts(client)[:2] == (COMMENTS, REPLIES)


def test_the_counts_move_when_a_comment_is_approved_or_hidden(app, everything, client):
    db.session.get(Post, everything.pending.id).state = PostState.APPROVED
    db.session.commit()
    assert announcement_counts(client)[0] == COMMENTS + 1
    assert thread_header(client, everything.general.id) == forum_index_counts(client)["Uwagi ogólne"][0] == 2

    db.session.get(Post, everything.comments[0].id).state = PostState.HIDDEN  # Jan's general comment
    db.session.commit()
    assert announcement_counts(client)[0] == COMMENTS
    assert thread_header(client, everything.general.id) == forum_index_counts(client)["Uwagi ogólne"][0] == 1


def test_the_report_accounts_for_what_its_table_leaves_out(client, commented):
    """Replies, rejected and hidden comments are not rows of the report, but the report counts them."""
    answer_all(commented)
    add_comment(commented.general, commented.anna, "Reklama sklepu.", state=PostState.REJECTED)
    add_comment(commented.general, commented.anna, "Ukryta obraza.", state=PostState.HIDDEN)
    db.session.commit()
    publish_with_the_form(client, commented.moderator)
    text = visible_text(client.get(f"/konsultacje/{commented.consultation.slug}/raport").get_data(as_text=True))
    assert "Uwagi łącznie 5" in text
    # One reply ("Popieram.") in the fixture; the pending comment counts nowhere yet.
    assert "Odpowiedzi w dyskusji (w tym wpisy urzędu) 1" in text
    assert "Uwagi, których moderator nie opublikował 1" in text and "Uwagi ukryte przez moderatora 1" in text
    assert "Reklama sklepu." not in text and "Ukryta obraza." not in text
