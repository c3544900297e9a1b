"""The report and the answer workspace at thousands of comments (issue 20): a page at a time.

Both pages show one page of comments (`?strona=`; 50 in the report, 25 in the workspace) with the
numbers of the whole report, and count their totals with GROUP BY (`counts.report_numbers`), so
they cost the same few queries and stay small whatever the number of comments. The workspace's
forms carry the filters and the page, and go back to the page and the comment they came from.

The paging story is told with the `commented` fixture's five comments and small pages (the page
sizes are patched); the cost with 2,000 more comments written in bulk.
"""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from portal import clock
from portal.accounts.models import User
from portal.extensions import db
from portal.forum.models import Post, PostState
from portal.reports import counts, manage_answers, views
from portal.reports.models import Answer, AnsweredComment, Decision, Report
from portal.reports.services import Selection, fix_numbers, report_comments, select_comments
from tests.conftest import form_token, login_as
from tests.factories import REPORT_SUMMARY, add_comment, answer_all

SLUG = "program-wspolpracy-2021"
REPORT = f"/konsultacje/{SLUG}/raport"
WORKSPACE = f"/zespol/konsultacje/{SLUG}/odpowiedzi"
MAX_QUERIES = 6
MAX_PAGE_BYTES = 500_000


# --- helpers ----------------------------------------------------------------------------------

def report_rows(html: str) -> list[int]:
    """The report numbers of the table's rows, in order."""
    return [int(number) for number in re.findall(r'<tr id="uwaga-(\d+)"', html)]


def workspace_numbers(html: str) -> list[int]:
    return [int(number) for number in re.findall(r'class="comment__meta">Uwaga nr (\d+)</h3>', html)]


def unescape(url: str) -> str:
    return url.replace("&amp;", "&")


def pager_links(html: str) -> dict[str, str]:
    """rel -> href of the pager's links."""
    return {rel: unescape(href) for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)">', html)}


def comment_block(html: str, post_id: int) -> str:
    start = html.index(f'<article class="comment" id="uwaga-{post_id}"')
    return html[start:html.index("</article>", start)]


def form_action(html: str, post_id: int, suffix: str = "") -> str:
    action = re.search(rf'action="([^"]*/odpowiedzi/{post_id}{suffix}(?:\?[^"]*)?)"', html)
    assert action, f"no form for comment {post_id}{suffix}"
    return unescape(action.group(1))


def send(client, url: str, data: dict, page: str):
    """A form sent from `page` with the CSRF token of that page as loaded."""
    return client.post(url, data={**data, "csrf_token": form_token(client, page)})


@pytest.fixture
def small_pages(monkeypatch):
    """Two comments a page in both lists: the fixture's five comments fill three pages."""
    monkeypatch.setattr(views, "REPORT_PAGE_SIZE", 2)
    monkeypatch.setattr(manage_answers, "PER_PAGE", 2)


def publish_report(consultation_id: int) -> None:
    """Published as the publication does it: the numbers shown are stored (a later comment gets the next)."""
    fix_numbers(report_comments(consultation_id))
    db.session.add(Report(consultation_id=consultation_id, summary=REPORT_SUMMARY, published_at=clock.now_utc(),
                          first_published_at=clock.now_utc()))
    db.session.commit()


@pytest.fixture
def ids(commented) -> dict:
    """The ids of `commented` that bulk_comments needs (its objects may belong to a session that is gone)."""
    return {"threads": [commented.general.id, *(thread.id for thread in commented.sections.values())],
            "authors": [commented.anna.id, commented.jan.id], "organisation": commented.anna.organisation_id,
            "consultation": commented.consultation.id}


SENDERS = ["Rada Osiedla Bydgoskie", "rada  osiedla bydgoskie", "Jan Nowicki", "JAN NOWICKI ", "Łucja Wiśniewska"]


def bulk_comments(ids: dict, count: int) -> None:
    """`count` approved comments written at once, over every thread: some for Anna's foundation,
    some entered by staff from e-mails (senders named in varying case), a third answered (a big
    group sharing one answer, the rest alone), one reply and one hidden comment left out.
"""
    threads, authors, organisation_id, consultation_id = (ids["threads"], ids["authors"], ids["organisation"],
                                                          ids["consultation"])
    first_id = (db.session.scalar(select(func.max(Post.id))) or 0) + 1
    start = clock.now_utc()
    posts = []
    for n in range(count):
        offline = n % 11 == 0
        post_id = first_id + n
        posts.append(Post(
            id=post_id, thread_id=threads[n % len(threads)], author_id=None if offline else authors[n % 2],
            organisation_id=organisation_id if n % 7 == 0 and not offline else None,
            paragraph_number=1 if n % 5 == 0 and n % len(threads) else None,
            body=f"Uwaga numer {n}.", body_html=f"<p>Uwaga numer {n}. {'Treść uwagi. ' * 10}</p>",
            depth=0, root_id=post_id, path=f"{post_id:09d}", created_at=start + timedelta(seconds=n),
            state=PostState.HIDDEN if n == 3 else PostState.APPROVED,
            channel="email" if offline else "portal", submitter_name=SENDERS[n % len(SENDERS)] if offline else "",
            received_on=date(2020, 9, 20) if offline else None))
    db.session.add_all(posts)
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":  # ids were given: move the sequence past them
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('post', 'id'), (SELECT max(id) FROM post) + 1)"))
    reply_id = first_id + count
    db.session.add(Post(id=reply_id, thread_id=threads[1], author_id=authors[0], parent_id=first_id + 1,
                        body="Odpowiedź.", body_html="<p>Odpowiedź.</p>", depth=1, root_id=first_id + 1,
                        path=f"{first_id + 1:09d}.{reply_id:09d}", state=PostState.APPROVED))
    shared = Answer(consultation_id=consultation_id, decision=Decision.EXPLANATION,
                    justification="Wspólne wyjaśnienie.")
    db.session.add(shared)
    decisions = list(Decision)
    alone = [Answer(consultation_id=consultation_id, decision=decisions[n % 4],
                    justification=f"Odpowiedź {n}.") for n in range(0, count, 6)]
    db.session.add_all(alone)
    db.session.flush()
    rows = [AnsweredComment(post_id=first_id + n, answer_id=shared.id, consultation_id=consultation_id)
            for n in range(3, count, 6)]
    rows += [AnsweredComment(post_id=first_id + n, answer_id=row.id, consultation_id=consultation_id)
             for n, row in zip(range(0, count, 6), alone)]
    db.session.add_all(rows)
    db.session.commit()


# --- the numbers: one grouped query, the same as reading every comment ----------------------------

def test_the_totals_counted_by_group_by_equal_those_of_every_comment_read(commented, ids):
    answer_all(commented)
    bulk_comments(ids, 300)
    consultation_id = commented.consultation.id
    everything = report_comments(consultation_id)
    numbers = counts.report_numbers(consultation_id)

    assert numbers.total == everything.total == 5 + 299  # one of them hidden
    assert numbers.answered == everything.answered
    assert numbers.by_decision() == everything.by_decision()
    assert numbers.by_section() == everything.by_section()
    assert numbers.organisations() == everything.organisations() == 1  # Anna's foundation
    assert numbers.authors() == everything.authors() == 2 + 3  # case and spaces do not make a new sender
    general = commented.general.id
    assert numbers.listed(Selection(thread_id=general)) == sum(1 for c in everything.comments if c.thread.id == general)
    assert numbers.listed(Selection(section_number=2, decision="explanation")) == sum(
        1 for c in everything.comments if c.section_number == 2 and c.answer and c.answer.decision == "explanation")
    assert numbers.listed(Selection(unanswered_only=True)) == everything.total - everything.answered


@pytest.mark.parametrize("published", [False, True])
def test_a_comment_read_a_page_at_a_time_has_the_number_and_answer_of_the_whole_report(commented, ids, published):
    answer_all(commented)
    bulk_comments(ids, 120)
    consultation_id = commented.consultation.id
    if published:  # numbers stored, then a comment enters late: it gets the next number, out of reading order
        publish_report(consultation_id)
        late = add_comment(commented.general, commented.jan, "Spóźniona.")
        db.session.commit()
        assert late.report_number is None  # not numbered yet: the report reads it after the highest number
        late_id = late.id
    everything = report_comments(consultation_id).comments
    by_pages = [comment for first in range(1, len(everything) + 1, 50)
                for comment in select_comments(consultation_id, places=(first, first + 49))]

    assert [(c.post.id, c.number, c.shared_with, c.answer.id if c.answer else None, c.changed_sections,
             c.section_heading, c.reference, c.submitter) for c in by_pages] == \
        [(c.post.id, c.number, c.shared_with, c.answer.id if c.answer else None, c.changed_sections,
          c.section_heading, c.reference, c.submitter) for c in everything]
    assert [c.place for c in by_pages] == list(range(1, len(everything) + 1))
    if published:
        [late] = [c for c in by_pages if c.post.id == late_id]
        assert late.number == max(c.number for c in everything) and late is not by_pages[-1]


# --- the public report ----------------------------------------------------------------------------

def test_page_2_of_the_report_shows_the_next_comments_with_their_report_numbers(client, commented, small_pages):
    answer_all(commented)
    publish_report(commented.consultation.id)

    first = client.get(REPORT).get_data(as_text=True)
    assert report_rows(first) == [1, 2]
    assert "strona 1 z 3" in first
    assert pager_links(first) == {"next": f"{REPORT}?strona=2#uwagi"}
    # The numbers count the whole report, whatever the page.
    assert "Uwagi łącznie</dt><dd>5</dd>" in re.sub(r"\s+", " ", first)

    second = client.get(f"{REPORT}?strona=2").get_data(as_text=True)
    assert report_rows(second) == [3, 4]
    assert "<title>Raport z konsultacji (strona 2 z 3) —" in second
    assert "strona 2 z 3" in second
    assert pager_links(second) == {"prev": f"{REPORT}#uwagi", "next": f"{REPORT}?strona=3#uwagi"}
    assert "Uwagi łącznie</dt><dd>5</dd>" in re.sub(r"\s+", " ", second)
    assert "Wydruk obejmie uwagi z jednej strony zestawienia" in second
    # Comment 4 shares the answer of comment 3, on the same page.
    row4 = second.split('id="uwaga-4"')[1].split("</tr>")[0]
    assert f'href="{REPORT}?strona=2#uwaga-3">jak w uwadze 3</a>' in row4

    assert report_rows(client.get(f"{REPORT}?strona=3").get_data(as_text=True)) == [5]
    assert report_rows(client.get(f"{REPORT}?strona=9").get_data(as_text=True)) == [5]  # past the end: the last


def test_a_link_to_a_comment_by_its_number_opens_the_page_holding_it(client, commented, small_pages):
    answer_all(commented)
    publish_report(commented.consultation.id)
    assert report_rows(client.get(f"{REPORT}?uwaga=4").get_data(as_text=True)) == [3, 4]
    assert report_rows(client.get(f"{REPORT}?uwaga=5").get_data(as_text=True)) == [5]
    fifth = commented.comments[4]
    assert report_rows(client.get(f"{REPORT}?komentarz={fifth.id}").get_data(as_text=True)) == [5]
    assert report_rows(client.get(f"{REPORT}?uwaga=99").get_data(as_text=True)) == [1, 2]  # none such: page 1

    # Comment 5 gets the answer of comment 3: "jak w uwadze 3" on page 3 asks for the page holding 3.
    db.session.get(AnsweredComment, fifth.id).answer_id = db.session.get(AnsweredComment,
                                                                         commented.comments[2].id).answer_id
    db.session.commit()
    html = client.get(f"{REPORT}?strona=3").get_data(as_text=True)
    assert f'href="{REPORT}?uwaga=3#uwaga-3">jak w uwadze 3</a>' in html


def test_the_report_filters_survive_paging(client, commented, small_pages):
    answer_all(commented)
    publish_report(commented.consultation.id)
    add_comment(commented.sections[2], commented.jan, "Jeszcze jedna uwaga do § 2.")
    db.session.commit()

    first = client.get(f"{REPORT}?czesc=2").get_data(as_text=True)
    assert report_rows(first) == [3, 4]
    assert "Pokazano 3 z 6 uwag." in first
    assert pager_links(first) == {"next": f"{REPORT}?czesc=2&strona=2#uwagi"}
    second = client.get(pager_links(first)["next"]).get_data(as_text=True)
    assert report_rows(second) == [6]
    assert "Pokazano 3 z 6 uwag." in second and "strona 2 z 2" in second
    assert re.search(r'<option selected value="2">|<option value="2" selected>', second)

    decided = client.get(f"{REPORT}?rozstrzygniecie=partly_accepted&strona=1").get_data(as_text=True)
    assert report_rows(decided) == [3, 4] and "rel=\"next\"" not in decided


# --- the workspace --------------------------------------------------------------------------------

def test_page_2_of_the_workspace_shows_the_next_comments_and_its_forms_keep_the_page(commented, moderator_client,
                                                                                      small_pages):
    first = moderator_client.get(WORKSPACE).get_data(as_text=True)
    assert workspace_numbers(first) == [1, 2]
    assert "Na liście: 5 z 5." in first and "Odpowiedziano na 0 z 5 uwag" in first
    assert pager_links(first) == {"next": f"{WORKSPACE}?strona=2"}
    # Every section is offered by the filter, not only those on this page.
    assert len(re.findall(r'<option value="\d+"', first)) == 4

    second = moderator_client.get(f"{WORKSPACE}?strona=2").get_data(as_text=True)
    assert workspace_numbers(second) == [3, 4]
    assert "<title>Odpowiedzi na uwagi (strona 2 z 3) —" in second
    third = commented.comments[2]
    assert form_action(second, third.id).endswith(f"/odpowiedzi/{third.id}?strona=2")
    assert form_action(second, third.id, "/jak-w-uwadze").endswith("?strona=2")
    assert re.search(r'id="wspolna" action="[^"]*/odpowiedzi/wspolna\?strona=2"', second)


def test_answering_a_comment_on_page_2_goes_back_to_page_2_at_the_comment(commented, moderator_client, small_pages):
    fourth = commented.comments[3]
    page = f"{WORKSPACE}?strona=2"
    html = moderator_client.get(page).get_data(as_text=True)
    response = send(moderator_client, form_action(html, fourth.id),
                    {"decision": "accepted", "justification": "Spotkania będą też na żywo."}, page)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{WORKSPACE}?strona=2#uwaga-{fourth.id}")
    html = moderator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zapisano odpowiedź na uwagę nr 4." in html
    assert workspace_numbers(html) == [3, 4]
    assert "Spotkania będą też na żywo." in comment_block(html, fourth.id)
    assert "Odpowiedziano na 1 z 5 uwag" in html


def test_a_form_sent_from_another_page_than_the_comments_goes_to_the_comments_page(commented, moderator_client,
                                                                                     small_pages):
    """The page number in the action is stale (the list changed meanwhile): the comment's place decides."""
    fifth = commented.comments[4]
    response = send(moderator_client, f"{WORKSPACE}/{fifth.id}?strona=1",
                    {"decision": "accepted", "justification": "Tak."}, WORKSPACE)
    assert response.headers["Location"].endswith(f"{WORKSPACE}?strona=3#uwaga-{fifth.id}")


def test_a_failed_answer_on_page_2_shows_page_2_with_the_typed_text_and_the_error(commented, moderator_client,
                                                                                 small_pages):
    third = commented.comments[2]
    page = f"{WORKSPACE}?strona=2"
    html = moderator_client.get(page).get_data(as_text=True)
    response = send(moderator_client, form_action(html, third.id),
                    {"decision": "", "justification": "Długo pisane uzasadnienie."}, page)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert workspace_numbers(html) == [3, 4]
    block = comment_block(html, third.id)
    assert "Długo pisane uzasadnienie.</textarea>" in block
    assert f'id="decision-{third.id}-error"' in block and "Wybierz rozstrzygnięcie." in block
    assert f'href="#decision-{third.id}-accepted"' in html  # the error summary leads to the field
    assert form_action(html, third.id).endswith("?strona=2")  # sent again, it still knows its page

    stale = moderator_client.post(form_action(html, third.id), data={
        "csrf_token": "stary", "decision": "accepted", "justification": "Po przerwie."})
    assert stale.status_code == 400
    assert workspace_numbers(stale.get_data(as_text=True)) == [3, 4]
    assert "Po przerwie.</textarea>" in comment_block(stale.get_data(as_text=True), third.id)


def test_the_workspace_filters_survive_paging_and_answering(commented, moderator_client, small_pages):
    add_comment(commented.sections[2], commented.anna, "Trzecia uwaga do § 2.")
    db.session.commit()
    section = commented.sections[2].id
    page = f"{WORKSPACE}?sekcja={section}&bez-odpowiedzi=1"
    first = moderator_client.get(page).get_data(as_text=True)
    assert workspace_numbers(first) == [3, 4]  # § 2: comments 3, 4 and the new 5 (numbers are provisional)
    assert "Na liście: 3 z 6." in first
    next_page = pager_links(first)["next"]
    assert f"sekcja={section}" in next_page and "bez-odpowiedzi=1" in next_page and "strona=2" in next_page
    second = moderator_client.get(next_page).get_data(as_text=True)
    assert workspace_numbers(second) == [5]

    # Answered, comment 3 leaves the list of unanswered ones: back to the page it was on, which now
    # shows the comments after it.
    third = commented.comments[2]
    action = form_action(first, third.id)
    assert f"sekcja={section}" in action and "bez-odpowiedzi=1" in action
    response = send(moderator_client, action, {"decision": "accepted", "justification": "Tak."}, page)
    location = response.headers["Location"]
    assert f"sekcja={section}" in location and "bez-odpowiedzi=1" in location and "strona=" not in location
    assert workspace_numbers(moderator_client.get(location).get_data(as_text=True)) == [4, 5]


def test_a_joint_answer_may_name_comments_on_other_pages_by_number(commented, moderator_client, small_pages):
    third, fourth = commented.comments[2], commented.comments[3]
    page = f"{WORKSPACE}?strona=2"
    html = moderator_client.get(page).get_data(as_text=True)
    action = unescape(re.search(r'id="wspolna" action="([^"]+)"', html).group(1))
    response = send(moderator_client, action, {"post_ids": [fourth.id], "numbers": "1, 5",
                                               "decision": "accepted", "justification": "Wspólnie."}, page)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{WORKSPACE}?strona=2#uwaga-{fourth.id}")
    html = moderator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zapisano wspólną odpowiedź na uwagi nr 1, 4, 5." in html
    answered = {c.number: c.answer for c in report_comments(commented.consultation.id).comments}
    assert answered[1] is not None and answered[1].id == answered[4].id == answered[5].id and answered[3] is None
    assert "jak w uwadze 1" in comment_block(html, fourth.id)
    assert "Tę samą odpowiedź ma też: 1, 5." in re.sub(r"\s+", " ", comment_block(html, fourth.id))

    wrong = send(moderator_client, action, {"post_ids": [third.id], "numbers": "2, 9",
                                            "decision": "accepted", "justification": "Źle."}, page)
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 200 and "Nie ma uwag o numerach: 9" in html
    assert workspace_numbers(html) == [3, 4] and re.search(rf'id="wybierz-{third.id}"[^>]*checked', html)


def test_same_answer_as_a_comment_on_another_page(commented, moderator_client, small_pages):
    first, fifth = commented.comments[0], commented.comments[4]
    send(moderator_client, f"{WORKSPACE}/{first.id}", {"decision": "not_accepted", "justification": "Nie."},
         WORKSPACE)
    page = f"{WORKSPACE}?strona=3"
    html = moderator_client.get(page).get_data(as_text=True)
    response = send(moderator_client, form_action(html, fifth.id, "/jak-w-uwadze"), {"source_number": "1"}, page)
    assert response.headers["Location"].endswith(f"{WORKSPACE}?strona=3#uwaga-{fifth.id}")
    assert "jak w uwadze 1" in comment_block(moderator_client.get(response.headers["Location"]).get_data(
        as_text=True), fifth.id)

    missing = send(moderator_client, form_action(html, fifth.id, "/jak-w-uwadze"), {"source_number": "9"}, page)
    assert missing.status_code == 200
    assert "Nie ma uwagi nr 9" in comment_block(missing.get_data(as_text=True), fifth.id)
    assert workspace_numbers(missing.get_data(as_text=True)) == [5]


# --- the cost at 2,000 comments -----------------------------------------------------------------

def queries_and_bytes(app, count_queries, url: str, user_id: int | None) -> tuple[int, int]:
    client = app.test_client()
    if user_id is not None:
        login_as(client, db.session.get(User, user_id))
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.count, len(response.get_data())


@pytest.mark.parametrize("page, viewer", [(REPORT, "anonymous"), (REPORT, "moderator"), (WORKSPACE, "moderator")])
def test_the_pages_cost_the_same_queries_and_stay_small_at_10_and_2000_comments(app, commented, ids, count_queries,
                                                                                page, viewer):
    moderator_id = commented.moderator.id if viewer == "moderator" else None
    answer_all(commented)
    publish_report(commented.consultation.id)
    bulk_comments(ids, 5)
    small, small_size = queries_and_bytes(app, count_queries, page, moderator_id)
    bulk_comments(ids, 2000)
    total = counts.report_numbers(ids["consultation"]).total
    for url in (page, f"{page}?strona=7", f"{page}?strona=7&{'czesc=2' if page == REPORT else 'bez-odpowiedzi=1'}"):
        large, size = queries_and_bytes(app, count_queries, url, moderator_id)
        print(f"{url} as {viewer}: {small} queries, {small_size:,} B at 10 comments; "
              f"{large} queries, {size:,} B at {total:,}")
        assert large == small <= MAX_QUERIES, url
        assert size <= MAX_PAGE_BYTES, url


def test_a_shared_answer_names_its_first_comments_and_counts_the_rest(commented, ids, moderator_client):
    bulk_comments(ids, 300)
    html = moderator_client.get(f"{WORKSPACE}?sekcja={commented.sections[1].id}").get_data(as_text=True)
    hints = re.findall(r"Tę samą odpowiedź ma też: ([\d, ]+) i jeszcze (\d+) uwag", html)
    assert hints, "the comments sharing the big answer are named ten at most"
    numbers, more = hints[0]
    assert len(numbers.split(", ")) == manage_answers.SHARING_SHOWN and int(more) > 0
