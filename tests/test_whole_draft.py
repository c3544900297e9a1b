"""The whole draft on one page (issue 14): every section and paragraph with the comments made on it.

Counts follow the report's one definition of a comment (reports.counts): approved, top-level,
not the office's reply. "Skomentuj ten ustęp" is offered exactly while the person may comment.
"""
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.consultations.models import Consultation, Status
from portal.extensions import db
from portal.forum import drafts
from portal.forum.models import DraftSection, Post, PostState, Thread, ThreadKind
from tests.conftest import login_as, visible_text
from tests.factories import SLUG, add_comment

PAGE = f"/konsultacje/{SLUG}/projekt-dokumentu"
PDF = f"/konsultacje/{SLUG}/projekt-dokumentu.pdf"
IN_WINDOW = "2020-09-30 23:59:59"     # the last second of the e-consultation (Warsaw)
AFTER_WINDOW = "2020-10-01 00:00:00"
MAX_QUERIES = 6  # consultation, comment window, sections with paragraphs, counts, the user; one spare

DRAFT = """## Postanowienia ogólne

Program określa cele i zasady współpracy.

Gmina konsultuje projekty aktów prawa miejscowego.

## Finansowanie

Na realizację Programu przeznacza się 10 000 000 zł.
"""


def big_draft(sections: int = 10, paragraphs_each: int = 30) -> str:
    return "\n".join(f"## Paragraf numer {s}\n\n" + "\n\n".join(f"Ustęp {p} paragrafu {s}." for p in
                                                            range(1, paragraphs_each + 1)) + "\n"
                     for s in range(1, sections + 1))


def publish(consultation, text: str = DRAFT) -> dict[int, Thread]:
    """Publish the draft; section number -> its thread."""
    drafts.publish(consultation, text)
    db.session.commit()
    rows = db.session.execute(
        select(DraftSection.number, Thread).join(Thread, Thread.section_id == DraftSection.id)
        .where(DraftSection.consultation_id == consultation.id, Thread.kind == ThreadKind.SECTION)).all()
    return {number: thread for number, thread in rows}


def paragraph_block(html: str, section: int, paragraph: int) -> str:
    """The HTML of one "ust." of the page, from its anchor to the next one."""
    match = re.search(rf'id="par-{section}-{paragraph}"(.*?)(?=class="whole-draft__paragraph"|</section>)', html, re.S)
    assert match, f"no § {section} ust. {paragraph} on the page"
    return match.group(1)


class Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[int, str]] = []
        self._level = None

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self._level, self._text = int(tag[1]), ""

    def handle_data(self, data):
        if self._level:
            self._text += data

    def handle_endtag(self, tag):
        if self._level and tag == f"h{self._level}":
            self.found.append((self._level, " ".join(self._text.split())))
            self._level = None


def headings(html: str) -> list[tuple[int, str]]:
    parser = Headings()
    parser.feed(html)
    return parser.found


@pytest.fixture
def commented_draft(torun, anna, jan, admin, frozen_clock):
    """§ 1 ust. 2 has two comments; § 1 one more on the whole section; everything else must not count."""
    frozen_clock.set_local("2020-09-20 12:00:00")
    threads = publish(torun)
    first = threads[1]
    counted = add_comment(first, anna, "Doprecyzujcie ust. 2.", paragraph=2)
    add_comment(first, jan, "Popieram zmianę ust. 2.", paragraph=2)
    add_comment(first, jan, "Uwaga do całego paragrafu.")
    add_comment(first, jan, "Czeka na moderację.", paragraph=1, state=PostState.PENDING)
    add_comment(first, jan, "Ukryta przez moderatora.", paragraph=1, state=PostState.HIDDEN)
    add_comment(first, jan, "Odrzucona.", paragraph=1, state=PostState.REJECTED)
    add_comment(first, jan, "Odpowiedź, nie uwaga.", paragraph=2, parent=counted)
    official = add_comment(first, admin, "Odpowiedź urzędu.", paragraph=2)
    official.is_official = True
    db.session.commit()
    return threads


def test_counts_per_paragraph_and_section_are_approved_comments_only(client, torun, commented_draft):
    html = client.get(PAGE).get_data(as_text=True)
    first, second = commented_draft[1], commented_draft[2]

    assert f'href="/konsultacje/{SLUG}/forum/watek/{first.id}">Uwagi do: § 1 (3)</a>' in html
    assert f'href="/konsultacje/{SLUG}/forum/watek/{second.id}">Uwagi do: § 2 (0)</a>' in html
    ust_2 = paragraph_block(html, 1, 2)
    assert f'href="/konsultacje/{SLUG}/forum/watek/{first.id}#par-1-2"' in ust_2
    assert '>2 uwagi<span class="visually-hidden"> (§ 1 ust. 2)</span></a>' in ust_2
    # The pending, hidden and rejected comments were on ust. 1: none of them is counted.
    assert "0 uwag" in visible_text(paragraph_block(html, 1, 1))
    assert "forum/watek" not in paragraph_block(html, 1, 1)
    assert "0 uwag" in visible_text(paragraph_block(html, 2, 1))


def test_the_page_shows_every_section_and_paragraph_in_order_under_one_h1(client, torun, commented_draft):
    html = client.get(PAGE).get_data(as_text=True)

    found = headings(html)
    assert [text for level, text in found if level == 1] == ["Projekt dokumentu"]
    levels = [level for level, _ in found]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), found
    assert [text for level, text in found if level == 2] == [
        "Spis treści", "§ 1. Postanowienia ogólne", "§ 2. Finansowanie"]
    assert [text for level, text in found if level == 3] == ["ust. 1", "ust. 2", "ust. 1"]
    assert '<a href="#par-1">§ 1. Postanowienia ogólne</a>' in html
    assert "<p>Gmina konsultuje projekty aktów prawa miejscowego.</p>" in paragraph_block(html, 1, 2)
    assert "Program współpracy z organizacjami pozarządowymi na 2021 rok" in html


def test_comment_links_are_offered_during_the_window_only(client, torun, jan, commented_draft, frozen_clock):
    first = commented_draft[1]
    frozen_clock.set_local(IN_WINDOW)
    assert "Skomentuj ten ustęp" not in client.get(PAGE).get_data(as_text=True)  # anonymous: log in first

    login_as(client, jan)
    html = client.get(PAGE).get_data(as_text=True)
    assert html.count("Skomentuj ten ustęp") == 3
    assert (f'href="/konsultacje/{SLUG}/forum/watek/{first.id}?ustep=2#formularz">Skomentuj ten ustęp'
            in paragraph_block(html, 1, 2))

    frozen_clock.set_local(AFTER_WINDOW)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Skomentuj ten ustęp" not in html
    assert "Uwagi do: § 1 (3)" in html  # the counts stay


def test_a_locked_section_thread_offers_no_comment_link(client, torun, jan, commented_draft, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    commented_draft[2].locked_at = commented_draft[2].created_at
    db.session.commit()
    login_as(client, jan)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Skomentuj ten ustęp" in paragraph_block(html, 1, 1)
    assert "Skomentuj ten ustęp" not in paragraph_block(html, 2, 1)


def test_before_publication_the_page_says_so_and_there_is_no_pdf(client, torun):
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Projekt dokumentu nie został jeszcze opublikowany." in html
    assert "Spis treści" not in html
    assert client.get(PDF).status_code == 404


def test_a_draft_consultation_is_not_found_by_the_public(client, torun, commented_draft):
    torun.status = Status.DRAFT
    db.session.commit()
    assert client.get(PAGE).status_code == 404
    assert client.get(PDF).status_code == 404


def test_the_pdf_is_a_pdf_of_the_draft(client, torun, commented_draft):
    response = client.get(PDF)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "inline" in response.headers["Content-Disposition"]


def test_the_forum_and_a_section_thread_link_to_the_whole_draft(client, torun, commented_draft):
    assert f'href="{PAGE}"' in client.get(f"/konsultacje/{SLUG}/forum").get_data(as_text=True)
    thread = commented_draft[2]
    html = client.get(f"/konsultacje/{SLUG}/forum/watek/{thread.id}").get_data(as_text=True)
    assert f'href="{PAGE}#par-2">Cały projekt dokumentu</a>' in html


def queries_for_page(app, count_queries, user=None) -> int:
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    with count_queries() as queries:
        response = client.get(PAGE)
    assert response.status_code == 200
    return queries.count


@pytest.mark.parametrize("reader", ["anonymous", "participant"])
def test_the_page_costs_the_same_queries_for_3_or_300_paragraphs_and_5000_comments(app, torun, jan, frozen_clock, count_queries,
                                                                  reader):
    frozen_clock.set_local(IN_WINDOW)
    user = jan if reader == "participant" else None
    jan_id, torun_id = jan.id, torun.id
    publish(torun)
    small = queries_for_page(app, count_queries, user)

    jan = db.session.get(User, jan_id)  # the count started from an empty session
    threads = publish(db.session.get(Consultation, torun_id), big_draft())
    for n in range(300):
        thread = threads[n % 10 + 1]
        add_comment(thread, jan, f"Uwaga {n}.", paragraph=n % 30 + 1 if n % 7 else None,
                    state=PostState.PENDING if n % 11 == 0 else None)
    # 4,700 more written at once (the 5,000 comments), top-level and approved: they all count.
    db.session.add_all(Post(thread_id=threads[n % 10 + 1].id, author_id=jan.id, body=f"Uwaga {n}.",
                            body_html=f"<p>Uwaga {n}.</p>", paragraph_number=n % 30 + 1, depth=0,
                            path=f"{n:09d}", state=PostState.APPROVED) for n in range(300, 5000))
    db.session.commit()
    large = queries_for_page(app, count_queries, user)
    html = app.test_client().get(PAGE).get_data(as_text=True)
    assert html.count('class="whole-draft__paragraph"') == 300
    on_first = (sum(1 for n in range(300) if n % 10 == 0 and n % 30 == 0 and n % 7 and n % 11)
                + sum(1 for n in range(300, 5000) if n % 30 == 0))  # § 1 ust. 1, approved
    assert re.search(rf'id="par-1-1".*?>{on_first} uwag', html, re.S)

    assert small == large <= MAX_QUERIES


def test_the_thread_form_opens_with_the_paragraph_chosen_on_the_whole_draft(client, torun, jan, commented_draft,
                                                                              frozen_clock):
    first = commented_draft[1]
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, jan)
    thread = f"/konsultacje/{SLUG}/forum/watek/{first.id}"
    chosen = client.get(f"{thread}?ustep=2").get_data(as_text=True)
    assert re.search(r'<option selected value="2">|<option value="2" selected>', chosen)
    for ignored in ("99", "x", "-1", ""):  # not a paragraph of this section: nothing chosen, no error
        html = client.get(f"{thread}?ustep={ignored}").get_data(as_text=True)
        assert not re.search(r'<option selected value="\d+">|<option value="\d+" selected>', html)
