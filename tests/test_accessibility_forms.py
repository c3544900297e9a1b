"""Issue 17, what axe cannot see: forum errors tied to their fields, error summaries in the order
of the fields, the preview as a labelled region, a unique title for every page, and Polish
content marked lang="pl" when the interface speaks English (WCAG 3.3.1, 4.1.3, 2.4.2, 3.1.2).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from markupsafe import Markup
from sqlalchemy import select

from portal.consultations.models import Phase
from portal.registrations.models import Meeting, WorkingGroup
from portal.extensions import db
from portal.forms import errors_in_page_order
from portal.forum.models import Post, Thread
from tests.conftest import form_token, login_as
from tests.factories import SLUG, add_comment

IN_WINDOW = "2020-09-20 12:00:00"
FORUM = f"/konsultacje/{SLUG}/forum"
NEW_THREAD = f"{FORUM}/nowy-watek"


def thread_url(thread) -> str:
    return f"{FORUM}/watek/{thread.id}"


# --- a small DOM, enough to follow ids -----------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)
    parent: "Node | None" = None

    @property
    def text(self) -> str:
        return " ".join("".join(c if isinstance(c, str) else c.text for c in self.children).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, **attrs) -> list["Node"]:
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def by_id(self, element_id: str) -> "Node":
        found = [n for n in self.iter() if n.attrs.get("id") == element_id]
        assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
        return found[0]

    def lang(self) -> str | None:
        """The language this element is in: its own lang or its nearest ancestor's."""
        node = self
        while node is not None:
            if "lang" in node.attrs:
                return node.attrs["lang"]
            node = node.parent
        return None


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def dom(response) -> Node:
    builder = _Builder()
    builder.feed(response.get_data(as_text=True))
    return builder.root


def title_of(response) -> str:
    return dom(response).find_all("title")[0].text


def assert_error_tied_to_field(page: Node, field_id: str, message: str) -> None:
    """The pattern of every form (macros/forms.html): a summary linking to the field, and the
    field itself invalid and described by the message printed next to it."""
    [summary] = [n for n in page.find_all("div") if "error-summary" in n.attrs.get("class", "")
                 and n.find_all("ul")]
    assert summary.attrs["role"] == "alert"
    links = [a for a in summary.find_all("a") if a.attrs["href"] == f"#{field_id}"]
    assert links and message in links[0].text
    control = page.by_id(field_id)
    assert control.attrs.get("aria-invalid") == "true"
    error_id = f"{field_id}-error"
    assert error_id in control.attrs["aria-describedby"].split()
    assert message in page.by_id(error_id).text


def summary_targets(page: Node) -> list[str]:
    return [a.attrs["href"] for ul in page.find_all("ul") if "data-error-summary" in ul.attrs
            for a in ul.find_all("a")]


@pytest.fixture
def writing(client, anna, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    return client


def post_form(client, url, **data):
    return client.post(url, data={**data, "csrf_token": form_token(client, url)})


# --- 1. forum forms: errors tied to their fields, nothing typed lost -----------------------

def test_an_empty_comment_is_an_error_of_the_body_field_and_the_paragraph_chosen_stays(writing, section_thread):
    response = post_form(writing, thread_url(section_thread), body="   \n ", paragraph="2", action="send")
    assert response.status_code == 200
    page = dom(response)
    assert_error_tied_to_field(page, "body", "Wpisz treść uwagi.")
    assert summary_targets(page) == ["#body"]
    [chosen] = page.by_id("paragraph").find_all("option", selected="")
    assert chosen.attrs["value"] == "2"
    # A rule about what was typed is said once, at the field: not also as a general refusal.
    assert "Uwaga nie została dodana" not in response.get_data(as_text=True)
    assert db.session.scalars(select(Post)).all() == []


def test_an_empty_reply_is_an_error_of_the_body_field_and_stays_a_reply(writing, general, jan):
    parent = add_comment(general, jan, "Program powinien mówić więcej o wolontariacie.")
    db.session.commit()
    response = post_form(writing, thread_url(general), body="", parent_id=str(parent.id), action="send")
    page = dom(response)
    assert_error_tied_to_field(page, "body", "Wpisz treść uwagi.")
    assert page.find_all("input", name="parent_id")[0].attrs["value"] == str(parent.id)
    assert page.by_id("formularz-tytul").text == "Odpowiedz"


def test_emptying_a_comment_being_edited_is_an_error_of_the_body_field(writing, general, anna):
    own = add_comment(general, anna, "Moja uwaga do poprawienia.")
    db.session.commit()
    url = f"/forum/uwagi/{own.id}/edycja"
    assert title_of(writing.get(url)) == f"Edycja uwagi #{own.id} — Uwagi ogólne — Wspólnie"
    response = post_form(writing, url, body=" ", action="send")
    assert response.status_code == 200
    assert_error_tied_to_field(dom(response), "body", "Wpisz treść uwagi.")
    db.session.expire_all()
    assert db.session.get(Post, own.id).body == "Moja uwaga do poprawienia."


def test_a_thread_without_a_title_is_an_error_of_the_title_field_and_the_text_comes_back(writing, torun):
    response = post_form(writing, NEW_THREAD, title="  ", body="Brakuje działań dla seniorów.", action="send")
    assert response.status_code == 200
    page = dom(response)
    assert_error_tied_to_field(page, "title", "Wpisz tytuł wątku.")
    assert page.by_id("body").text == "Brakuje działań dla seniorów."
    assert page.by_id("body").attrs.get("aria-invalid") is None
    assert db.session.scalars(select(Thread).where(Thread.created_by_id.is_not(None))).all() == []


def test_a_thread_with_neither_title_nor_text_names_both_fields_in_their_order(writing, torun):
    page = dom(post_form(writing, NEW_THREAD, title="", body="", action="send"))
    assert_error_tied_to_field(page, "title", "Wpisz tytuł wątku.")
    assert_error_tied_to_field(page, "body", "Wpisz treść uwagi.")
    assert summary_targets(page) == ["#title", "#body"]


def test_a_typed_title_comes_back_when_the_text_is_missing(writing, torun):
    page = dom(post_form(writing, NEW_THREAD, title="Wolontariat seniorów", body="", action="send"))
    assert page.by_id("title").attrs["value"] == "Wolontariat seniorów"
    assert_error_tied_to_field(page, "body", "Wpisz treść uwagi.")
    assert page.by_id("title").attrs.get("aria-invalid") is None


def test_a_refusal_about_no_field_stays_a_general_message(client, general, anna, frozen_clock):
    frozen_clock.set_local("2020-10-02 12:00:00")  # the window has closed
    login_as(client, anna)
    response = post_form(client, thread_url(general), body="Spóźniona uwaga.", action="send")
    page = dom(response)
    assert "Spóźniona uwaga." in page.by_id("body").text
    assert page.by_id("body").attrs.get("aria-invalid") is None
    assert summary_targets(page) == []


# --- 2. error summaries in the order of the fields -----------------------------------------

def test_the_sign_up_summary_follows_the_fields_on_the_page_not_the_forms_declaration(client):
    """SignUpForm's organisation fields come from a mixin, so the form declares them first."""
    response = post_form(client, "/rejestracja", email="", display_name="Anna", password="",
                         organisation_krs="12")
    page = dom(response)
    targets = summary_targets(page)
    assert targets == ["#email", "#password", "#organisation_krs", "#accept_privacy"]
    html = response.get_data(as_text=True)
    assert [html.index(f'id="{t[1:]}"') for t in targets] == sorted(html.index(f'id="{t[1:]}"') for t in targets)


def test_errors_in_page_order_sorts_each_summary_by_where_its_fields_stand():
    html = Markup(
        '<ul data-error-summary>\n'
        '<li data-error-for="b"><a href="#b">B</a></li>\n'
        '<li data-error-for="gone"><a href="#gone">not on the page</a></li>\n'
        '<li data-error-for="a"><a href="#a">A</a></li>\n'
        '</ul>'
        '<input id="a"><input id="b">')
    ordered = errors_in_page_order(html)
    assert isinstance(ordered, Markup)
    assert re.findall(r'href="#(\w+)"', ordered) == ["a", "b", "gone"]
    assert errors_in_page_order(Markup("<p>no summary</p>")) == "<p>no summary</p>"


# --- 3. the preview: a labelled region, there from the start ---------------------------------

def test_the_preview_is_a_labelled_region_on_the_editor_before_anything_is_typed(writing, general):
    page = dom(writing.get(thread_url(general)))
    region = page.by_id("podglad")
    assert region.tag == "section"
    assert page.by_id(region.attrs["aria-labelledby"]).text == "Podgląd"
    assert "hidden" not in region.attrs
    # No aria-live on the preview itself (every pause would re-read all of it): a short status.
    assert not [n for n in [region, *region.iter()] if "aria-live" in n.attrs]
    [status] = region.find_all(role="status")
    assert status.attrs["data-message"] == "Podgląd zaktualizowany"
    # Without JS the "Podgląd" button sends the form and the page comes back at the preview.
    [button] = page.find_all("button", value="preview")
    assert button.attrs["formaction"].endswith("#podglad")


def test_the_preview_button_fills_the_same_region_without_javascript(writing, general):
    page = dom(post_form(writing, thread_url(general), body="Proponuję **dyżury** w soboty.", action="preview"))
    region = page.by_id("podglad")
    assert [b.text for b in region.find_all("strong")] == ["dyżury"]
    assert page.by_id("body").text == "Proponuję **dyżury** w soboty."
    assert [p for p in region.find_all("p") if "data-preview-empty" in p.attrs][0].attrs.get("hidden") == ""


# --- 4. page titles: what is on the page, and which one -------------------------------------

def test_every_phase_edit_page_of_torun_has_its_own_title(admin_client, torun):
    phases = db.session.scalars(select(Phase).where(Phase.consultation_id == torun.id)).all()
    assert len(phases) == 8
    titles = [title_of(admin_client.get(f"/zespol/konsultacje/{SLUG}/etapy/{p.id}")) for p in phases]
    assert len(set(titles)) == 8
    for phase, title in zip(phases, titles):
        assert title == f"Edytuj etap: {phase.title} — {torun.title} — Wspólnie"


def test_a_thread_page_is_titled_by_its_thread_and_its_consultation(client, torun, general, section_thread):
    assert title_of(client.get(thread_url(general))) == f"Uwagi ogólne — Forum konsultacji — {torun.title} — Wspólnie"
    assert title_of(client.get(thread_url(section_thread))).startswith("§ 6. Formy współpracy — ")


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_pages_of_one_consultation_have_no_title_twice(admin_client, torun, general, section_thread, anna,
                                                           language):
    own = add_comment(general, anna, "Uwaga do edycji.", organisation=anna.organisation)
    db.session.commit()
    if language == "en":  # every page in the English UI too, where Polish content gets lang="pl"
        in_english(admin_client)
    staff = f"/zespol/konsultacje/{SLUG}"
    pages = [f"/konsultacje/{SLUG}", FORUM, thread_url(general), thread_url(section_thread), NEW_THREAD,
             f"{FORUM}/szukaj", f"{FORUM}/szukaj?q=uwaga", f"/forum/uwagi/{own.id}/wersje",
             f"{staff}/edycja", f"{staff}/etapy", f"{staff}/grupy", f"{staff}/spotkania", f"{staff}/dokumenty",
             f"{staff}/zapisy", f"{staff}/odpowiedzi", f"{staff}/raport", f"{staff}/moderacja", f"{staff}/projekt",
             f"{staff}/wersja-koncowa", f"/konsultacje/{SLUG}/raport", f"/konsultacje/{SLUG}/moderacja",
             f"/moderacja/watki/{general.id}/narzedzia", f"/moderacja/watki/{section_thread.id}/narzedzia",
             *[f"{staff}/grupy/{group_id}" for group_id in db.session.scalars(
                 select(WorkingGroup.id).where(WorkingGroup.consultation_id == torun.id))],
             *[f"{staff}/spotkania/{meeting_id}" for meeting_id in db.session.scalars(
                 select(Meeting.id).where(Meeting.consultation_id == torun.id))]]
    titles = {}
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        titles.setdefault(title_of(response), []).append(url)
    repeated = {title: urls for title, urls in titles.items() if len(urls) > 1}
    assert repeated == {}


# --- 5. lang="pl" on Polish content when the interface is English ---------------------------

def in_english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def test_comments_names_and_the_draft_are_marked_polish_in_the_english_ui(client, section_thread, anna, jan,
                                                                         frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    root = add_comment(section_thread, anna, "Proponuję **konsultacje** w soboty.",
                       organisation=anna.organisation, paragraph=1)
    add_comment(section_thread, jan, "Popieram.", parent=root)
    db.session.commit()
    login_as(client, jan)  # signed in: the editor is on the page too
    in_english(client)
    page = dom(client.get(thread_url(section_thread)))
    assert page.find_all("html")[0].attrs["lang"] == "en"
    article = page.by_id(f"k-{root.id}")
    body = [n for n in article.find_all("div") if "comment__body" in n.attrs.get("class", "")][0]
    assert body.lang() == "pl"
    author = [n for n in article.find_all("strong") if "comment__author" in n.attrs.get("class", "")][0]
    assert author.text == "Anna Nowak" and author.lang() == "pl"
    organisation = [n for n in article.iter() if n.text == "Fundacja Rowerowa „Łańcuch”"][-1]
    assert organisation.lang() == "pl"
    assert page.find_all("h1")[0].lang() == "pl"                                   # the thread's title
    assert page.by_id("par-6-1").lang() == "pl"                                    # the draft
    # The interface around them stays English; the editor's text and its preview are Polish.
    assert page.by_id("uwagi").lang() == "en"
    assert page.by_id("body").lang() == "pl"
    assert page.by_id("podglad-tytul").lang() == "en"
    assert page.find_all(data_live_preview_for="body")[0].lang() == "pl"


def test_the_workspace_and_the_queue_mark_what_people_wrote_in_the_english_ui(commented, moderator_client):
    in_english(moderator_client)
    page = dom(moderator_client.get(f"/zespol/konsultacje/{SLUG}/odpowiedzi"))
    bodies = [n for n in page.find_all("div") if "comment__body" in n.attrs.get("class", "")]
    assert bodies and all(n.lang() == "pl" for n in bodies)
    submitters = [n for n in page.iter() if n.text == "Fundacja Rowerowa „Łańcuch”" and n.tag == "span"]
    assert submitters and all(n.lang() == "pl" for n in submitters)

    page = dom(moderator_client.get("/moderacja/kolejka"))
    items = [n for n in page.find_all("div") if "comment__body" in n.attrs.get("class", "")]
    assert items and all(n.lang() == "pl" for n in items)


def test_the_polish_ui_marks_nothing_twice(client, section_thread, anna):
    add_comment(section_thread, anna, "Proponuję konsultacje w soboty.", organisation=anna.organisation)
    db.session.commit()
    html = client.get(thread_url(section_thread)).get_data(as_text=True)
    main = html[html.index("<main"):html.index("</main>")]
    assert '<html lang="pl">' in html and 'lang="pl"' not in main
