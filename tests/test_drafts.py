"""Staff publish the draft document of a consultation from Markdown.

The text splits into numbered sections (§) at level-1/2 headings and into numbered paragraphs
(ust.) at top-level blocks; publishing keeps one forum thread per section and the comments
already made, and locks the threads of sections that are gone.
"""
import html as html_entities
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.accounts.models import Role
from portal.audit import AuditLog
from portal.consultations.models import Consultation, Status
from portal.extensions import db
from portal.forum import drafts, services
from portal.forum.models import DraftParagraph, DraftSection, Post, Thread, ThreadKind
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"
PAGE = f"/zespol/konsultacje/{SLUG}/projekt"
DURING_COMMENTS = "2020-09-20 12:00:00"

SAMPLE = """\
# § 1. Postanowienia ogólne

Program określa zasady współpracy.

Ilekroć w Programie jest mowa o:

- ustawie – rozumie się przez to ustawę o działalności pożytku publicznego,
- Gminie – rozumie się przez to Gminę Miasta Toruń.

## §2 Cele

Celem głównym jest **partnerstwo**.

### Cele szczegółowe

1. rozwój wolontariatu;
2. wsparcie ekonomii społecznej.

> Cytat z ustawy.

## Rozdział 3. Źródła finansowania

| Obszar | Kwota |
|---|---:|
| Sport | 100 zł |

    kod wcięty
"""


# --- helpers ----------------------------------------------------------------------------------

def draft(count: int, paragraphs: int = 2, prefix: str = "Tytuł") -> str:
    def section(n: int) -> str:
        return f"## {prefix} {n}\n\n" + "\n\n".join(f"Ustęp {p} paragrafu {n}." for p in range(1, paragraphs + 1))
    return "\n\n".join(section(n) for n in range(1, count + 1))


def section_threads(consultation) -> list[Thread]:
    db.session.expire_all()
    return db.session.scalars(select(Thread).where(Thread.consultation_id == consultation.id,
                                                   Thread.kind == ThreadKind.SECTION).order_by(Thread.id)).all()


def sections_of(consultation) -> list[DraftSection]:
    db.session.expire_all()
    return db.session.scalars(select(DraftSection).where(DraftSection.consultation_id == consultation.id)
                              .order_by(DraftSection.number)).all()


def thread_of(consultation, number: int) -> Thread:
    return db.session.scalar(select(Thread).join(DraftSection, DraftSection.id == Thread.section_id).where(
        DraftSection.consultation_id == consultation.id, DraftSection.number == number))


def page_text(response) -> str:
    return response.get_data(as_text=True)


def textarea(response) -> str:
    match = re.search(r'<textarea[^>]*name="markdown"[^>]*>(.*?)</textarea>', page_text(response), re.S)
    assert match, "no draft textarea on the page"
    return html_entities.unescape(match.group(1)).removeprefix("\r\n").removeprefix("\n")


# --- parsing ----------------------------------------------------------------------------------

def test_headings_become_numbered_sections_with_their_prefixes_dropped(app):
    sections = drafts.parse(SAMPLE)
    assert [(s.number, s.title) for s in sections] == [
        (1, "Postanowienia ogólne"), (2, "Cele"), (3, "Źródła finansowania")]


def test_each_top_level_block_is_one_numbered_paragraph(app):
    first, second, third = drafts.parse(SAMPLE)
    assert [p.number for p in first.paragraphs] == [1, 2]
    assert first.paragraphs[0].text == "Program określa zasady współpracy."
    # A list announced with a colon belongs to the paragraph that announces it (its points).
    assert first.paragraphs[1].text.startswith("Ilekroć w Programie jest mowa o:\n\n- ustawie")
    assert "<ul>" in first.paragraphs[1].html and first.paragraphs[1].html.count("<li>") == 2
    # A level-3 heading stays inside its section, with the block it introduces.
    assert [p.text.split("\n")[0] for p in second.paragraphs] == [
        "Celem głównym jest **partnerstwo**.", "### Cele szczegółowe", "> Cytat z ustawy."]
    assert second.paragraphs[1].text.endswith("2. wsparcie ekonomii społecznej.")
    assert "<h3>Cele szczegółowe</h3>" in second.paragraphs[1].html
    assert "<strong>partnerstwo</strong>" in second.paragraphs[0].html
    assert "<blockquote>" in second.paragraphs[2].html
    # A table and an indented code block: a paragraph each, their source kept as written.
    assert [p.text for p in third.paragraphs] == ["| Obszar | Kwota |\n|---|---:|\n| Sport | 100 zł |",
                                                  "    kod wcięty"]
    assert "<table>" in third.paragraphs[0].html and "<pre><code>kod wcięty" in third.paragraphs[1].html


def test_a_list_is_one_paragraph_and_a_following_paragraph_is_the_next(app):
    [section] = drafts.parse("## Zakres\n\n- jeden\n- dwa\n- trzy\n\nPo liście.\n\n1. a\n2. b\n")
    assert [p.text for p in section.paragraphs] == ["- jeden\n- dwa\n- trzy", "Po liście.", "1. a\n2. b"]


@pytest.mark.parametrize("heading, title", [
    ("## § 3. Zasady", "Zasady"),
    ("## §3 Zasady", "Zasady"),
    ("## § 12a. Zasady", "Zasady"),
    ("# Rozdział 4 – Zasady", "Zasady"),
    ("## Rozdział IV. Zasady", "Zasady"),
    ("## rozdział 2: Zasady", "Zasady"),
    ("## Zasady § 3", "Zasady § 3"),
    ("## Rozdziały budżetu", "Rozdziały budżetu"),
    ("## Dziedzictwo *kulturowe* i `kod`", "Dziedzictwo kulturowe i kod"),
    ("Zasady\n======", "Zasady"),
])
def test_section_titles(app, heading, title):
    [section] = drafts.parse(f"{heading}\n\nTreść.\n")
    assert section.title == title


def test_polish_characters_survive(app):
    [section] = drafts.parse("## Źródła finansowania: żółć, gęś, łąka\n\nZAŻÓŁĆ GĘŚLĄ JAŹŃ — „cudzysłów”.\n")
    assert section.title == "Źródła finansowania: żółć, gęś, łąka"
    assert section.paragraphs[0].text == "ZAŻÓŁĆ GĘŚLĄ JAŹŃ — „cudzysłów”."
    assert "ZAŻÓŁĆ GĘŚLĄ JAŹŃ" in section.paragraphs[0].html


def test_raw_html_and_script_are_shown_as_text(app):
    [section] = drafts.parse('## Zasady <b>x</b>\n\n<script>alert("x")</script>\n\n'
                             '[link](javascript:alert(1)) <img src=x onerror=alert(1)>\n')
    assert section.title == "Zasady <b>x</b>"  # plain text: escaped wherever it is shown
    html = " ".join(p.html for p in section.paragraphs)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert" in html and "&lt;img src=x" in html


def test_html_comment_blocks_are_authors_notes(app):
    [section] = drafts.parse("<!--\nnotatka\n\nna dwa akapity\n-->\n\n## Zasady\n\nTreść.\n\n<!-- uwaga -->\n")
    assert [p.text for p in section.paragraphs] == ["Treść."]


def test_reference_links_travel_with_their_paragraph(app):
    [section] = drafts.parse("## Zasady\n\nZob. [ustawa][u].\n\n[u]: https://isap.sejm.gov.pl\n")
    assert len(section.paragraphs) == 1
    assert 'href="https://isap.sejm.gov.pl"' in section.paragraphs[0].html


@pytest.mark.parametrize("text, message", [
    ("", "Projekt jest pusty"),
    ("   \n\n  ", "Projekt jest pusty"),
    ("Sam tekst bez nagłówków.", "Projekt nie ma nagłówków"),
    ("Wstęp przed nagłówkiem.\n\n## § 1. Zasady\n\nTreść.", "Projekt musi zaczynać się od nagłówka paragrafu"),
    ("## § 1.\n\nTreść.", "Nagłówek „§ 1” nie ma tytułu"),
    ("## " + "x" * 201, "najwyżej 200 znaków"),
    (draft(201, paragraphs=1), "najwyżej 200 paragrafów (ma 201)"),
    ("## A\n\n" + "x" * 500_001, "najwyżej 500"),
])
def test_drafts_that_cannot_be_published(app, text, message):
    with pytest.raises(drafts.DraftError) as error:
        drafts.parse(text)
    assert message in error.value.message


def test_two_hundred_sections_are_fine(app):
    assert len(drafts.parse(draft(200, paragraphs=1))) == 200


def test_the_demo_draft_has_the_programmes_eleven_chapters(app):
    sections = drafts.parse(drafts.DEMO_DRAFT.read_text(encoding="utf-8"))
    assert [s.title for s in sections] == [
        "Postanowienia ogólne", "Cel główny i cele szczegółowe", "Zasady współpracy", "Zakres przedmiotowy",
        "Formy współpracy", "Priorytetowe zadania publiczne", "Okres realizacji programu",
        "Wysokość środków przeznaczonych na realizację programu", "Sposób oceny realizacji programu",
        "Sposób tworzenia programu i przebieg konsultacji",
        "Tryb powoływania i zasady działania komisji konkursowych"]
    assert all(2 <= len(s.paragraphs) <= 6 for s in sections)
    assert 8_000 <= drafts.DEMO_DRAFT.stat().st_size <= 15_000
    assert "wspieranie i promocja wolontariatu" in " ".join(p.text for p in sections[5].paragraphs)
    assert "PRZYKŁADOWY" in drafts.DEMO_DRAFT.read_text(encoding="utf-8")[:300]


# --- publishing -------------------------------------------------------------------------------

def test_publishing_creates_sections_paragraphs_and_threads(torun, admin):
    result = drafts.publish(torun, SAMPLE, actor=admin)
    db.session.commit()
    sections = sections_of(torun)
    assert [(s.number, s.title) for s in sections] == [
        (1, "Postanowienia ogólne"), (2, "Cele"), (3, "Źródła finansowania")]
    paragraphs = db.session.scalars(select(DraftParagraph).where(DraftParagraph.section_id == sections[0].id)
                                    .order_by(DraftParagraph.number)).all()
    assert [(p.number, p.text, p.html) for p in paragraphs][0] == (
        1, "Program określa zasady współpracy.", "<p>Program określa zasady współpracy.</p>\n")
    threads = db.session.scalars(select(Thread).where(Thread.consultation_id == torun.id)).all()
    assert sorted((t.kind, t.title, t.section_id) for t in threads if t.kind == ThreadKind.SECTION) == sorted(
        (ThreadKind.SECTION, s.title, s.id) for s in sections)
    assert [t.title for t in threads if t.kind == ThreadKind.GENERAL] == ["Uwagi ogólne"]
    assert (result.sections_before, result.sections, result.paragraphs) == (0, 3, 7)
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "draft_published")).one()
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "consultation", torun.id)
    assert (entry.before_data, entry.after_data) == ({"sections": 0}, {"sections": 3})


def test_publishing_without_an_actor_writes_no_audit_entry(torun):
    drafts.publish(torun, SAMPLE)
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0


def test_a_refused_draft_changes_nothing(torun):
    drafts.publish(torun, SAMPLE)
    db.session.commit()
    with pytest.raises(drafts.DraftError):
        drafts.publish(torun, "Tekst bez nagłówka.")
    assert [s.title for s in sections_of(torun)] == ["Postanowienia ogólne", "Cele", "Źródła finansowania"]


def test_republishing_keeps_comments_and_locks_the_threads_of_removed_sections(torun, admin, jan, frozen_clock):
    frozen_clock.set_local(DURING_COMMENTS)
    drafts.publish(torun, draft(4), actor=admin)
    db.session.commit()
    kept, removed = thread_of(torun, 2), thread_of(torun, 4)
    comment = services.post_comment(jan, kept, "Proponuję doprecyzować ust. 2.", paragraph=2)
    frozen_clock.set_local("2020-09-20 12:05:00")
    services.post_comment(jan, removed, "Uwaga do paragrafu, który zniknie.")
    db.session.commit()
    general_before = db.session.scalars(select(Thread.id).where(Thread.kind == ThreadKind.GENERAL)).all()

    frozen_clock.set_local("2020-09-21 09:00:00")
    result = drafts.publish(torun, draft(3, paragraphs=3, prefix="Nowy tytuł"), actor=admin)
    db.session.commit()

    assert [(s.number, s.title) for s in sections_of(torun)] == [(n, f"Nowy tytuł {n}") for n in (1, 2, 3)]
    again = thread_of(torun, 2)
    assert again.id == kept.id and again.title == "Nowy tytuł 2" and not again.is_locked
    assert db.session.get(Post, comment.id).thread_id == kept.id
    assert [p.number for p in db.session.scalars(select(DraftParagraph).where(
        DraftParagraph.section_id == again.section_id).order_by(DraftParagraph.number))] == [1, 2, 3]
    gone = db.session.get(Thread, removed.id)
    assert gone.section_id is None and gone.kind == ThreadKind.SECTION
    assert gone.locked_at == clock.from_local(datetime(2020, 9, 21, 9), "Europe/Warsaw")
    assert gone.title == "§ 4. Tytuł 4" and gone.comment_count == 1
    assert db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == gone.id)) == 1
    assert result.removed_numbers == [4] and [t.id for t in result.locked_threads] == [gone.id]
    assert len(section_threads(torun)) == 4  # three current sections and the locked one
    assert db.session.scalars(select(Thread.id).where(Thread.kind == ThreadKind.GENERAL)).all() == general_before
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "draft_published")
                                 .order_by(AuditLog.id)).all()
    assert [(e.before_data, e.after_data) for e in entries] == [
        ({"sections": 0}, {"sections": 4}), ({"sections": 4}, {"sections": 3})]
    refused = services.may_post(jan, gone, services.comment_window(torun.id))
    assert not refused and "zamknięty" in refused.reason


def test_republishing_more_sections_adds_threads_only_for_the_new_ones(torun):
    drafts.publish(torun, draft(2))
    db.session.commit()
    first_ids = [t.id for t in section_threads(torun)]
    drafts.publish(torun, draft(5))
    db.session.commit()
    threads = section_threads(torun)
    assert [t.id for t in threads][:2] == first_ids and len(threads) == 5
    assert sorted(t.section_id for t in threads) == sorted(s.id for s in sections_of(torun))


# --- the staff page ---------------------------------------------------------------------------

def test_admin_previews_without_saving_then_publishes(admin_client, torun, admin):
    token = form_token(admin_client, PAGE)
    response = admin_client.post(PAGE, data={"csrf_token": token, "markdown": SAMPLE, "action": "preview"})
    assert response.status_code == 200
    html = page_text(response)
    assert "Podgląd podziału projektu" in html
    assert re.search(r"§ 2</th>\s*<td[^>]*>Cele</td>\s*<td>3", html)
    assert textarea(response) == SAMPLE
    assert sections_of(torun) == []

    response = admin_client.post(PAGE, data={"csrf_token": token, "markdown": SAMPLE, "action": "publish"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/konsultacje/{SLUG}/forum")
    assert [s.title for s in sections_of(torun)] == ["Postanowienia ogólne", "Cele", "Źródła finansowania"]
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "draft_published")).one()
    assert (entry.actor_id, entry.target_id, entry.after_data) == (admin.id, torun.id, {"sections": 3})
    forum = page_text(admin_client.get(response.headers["Location"]))
    assert "Projekt dokumentu został opublikowany (paragrafy: 3, ustępy: 7)." in forum
    assert "§ 1. Postanowienia ogólne" in forum and "Uwagi ogólne" in forum

    page = page_text(admin_client.get(PAGE))
    assert "Obecnie opublikowany projekt" in page and "Źródła finansowania" in page


def test_preview_shows_what_changes(admin_client, torun):
    drafts.publish(torun, draft(3))
    db.session.commit()
    token = form_token(admin_client, PAGE)
    response = admin_client.post(PAGE, data={"csrf_token": token, "markdown": draft(2, prefix="Inny"),
                                             "action": "preview"})
    html = page_text(response)
    assert "zmieniony tytuł (było: „Tytuł 1”)" in html
    assert "§ 3. Tytuł 3" in html and "zostaną zamknięte" in html

    response = admin_client.post(PAGE, data={"csrf_token": token, "markdown": draft(2, prefix="Inny"),
                                             "action": "publish"}, follow_redirects=True)
    assert "Tych paragrafów nie ma już w projekcie: § 3. Ich wątki zostały zamknięte" in page_text(response)


def test_the_page_rejects_a_draft_with_a_clear_message_and_keeps_the_text(admin_client, torun):
    token = form_token(admin_client, PAGE)
    text = "Wstęp bez nagłówka.\n\n## § 1. Zasady\n\nTreść."
    response = admin_client.post(PAGE, data={"csrf_token": token, "markdown": text, "action": "publish"})
    assert response.status_code == 200
    html = page_text(response)
    assert "Projekt musi zaczynać się od nagłówka paragrafu" in html and 'aria-invalid="true"' in html
    assert textarea(response) == text
    assert sections_of(torun) == []


def test_a_stale_token_keeps_the_text(admin_client, torun):
    response = admin_client.post(PAGE, data={"csrf_token": "nieaktualny", "markdown": SAMPLE,
                                             "action": "publish"})
    assert response.status_code == 400
    assert "Formularz nie został wysłany" in page_text(response)
    assert textarea(response) == SAMPLE
    assert sections_of(torun) == []


def test_upload_of_a_markdown_file_publishes_it(admin_client, torun):
    token = form_token(admin_client, PAGE)
    response = admin_client.post(PAGE, data={
        "csrf_token": token, "markdown": "", "action": "publish",
        "upload": (io.BytesIO("\ufeff".encode() + SAMPLE.encode("utf-8")), "projekt.md")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert [s.title for s in sections_of(torun)] == ["Postanowienia ogólne", "Cele", "Źródła finansowania"]


def test_preview_of_an_uploaded_file_puts_its_text_into_the_form(admin_client, torun):
    token = form_token(admin_client, PAGE)
    response = admin_client.post(PAGE, data={
        "csrf_token": token, "markdown": "", "action": "preview",
        "upload": (io.BytesIO(draft(2).encode("utf-8")), "projekt.TXT")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert textarea(response) == draft(2)
    assert sections_of(torun) == []


@pytest.mark.parametrize("content, filename, message", [
    (b"%PDF-1.4 binary", "projekt.pdf", "Wybierz plik DOCX, ODT, MD albo TXT."),
    ("## Źródła\n\nżółć".encode("cp1250"), "projekt.md", "Plik nie jest zapisany w kodowaniu UTF-8"),
    (b"## A\n\n" + b"x" * (1024 * 1024), "projekt.md", "Plik może mieć najwyżej 1 MB."),
    (b"## A\n\x00\x01", "projekt.txt", "To nie jest plik tekstowy"),
])
def test_a_wrong_file_is_refused_and_the_typed_text_kept(admin_client, torun, content, filename, message):
    token = form_token(admin_client, PAGE)
    response = admin_client.post(PAGE, data={"csrf_token": token, "markdown": SAMPLE, "action": "publish",
                                             "upload": (io.BytesIO(content), filename)},
                                 content_type="multipart/form-data")
    assert response.status_code == 200
    assert message in page_text(response)
    assert textarea(response) == SAMPLE
    assert sections_of(torun) == []


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.PARTICIPANT])
def test_only_admins_may_publish(client, make_user, torun, role):
    login_as(client, make_user("ktos@example.org", role=role))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"markdown": SAMPLE, "action": "publish"}).status_code == 403
    assert sections_of(torun) == []


def test_anonymous_people_are_sent_to_log_in(client, torun):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/logowanie" in response.headers["Location"] and "next=" in response.headers["Location"]


def test_unknown_consultation_is_not_found(admin_client, torun):
    assert admin_client.get("/zespol/konsultacje/nie-ma-takiej/projekt").status_code == 404


def test_published_section_thread_shows_its_paragraphs_with_anchors(admin_client, torun):
    token = form_token(admin_client, PAGE)
    admin_client.post(PAGE, data={"csrf_token": token, "action": "publish",
                                  "markdown": drafts.DEMO_DRAFT.read_text(encoding="utf-8")})
    thread = thread_of(torun, 6)
    assert thread.title == "Priorytetowe zadania publiczne"
    html = page_text(admin_client.get(f"/konsultacje/{SLUG}/forum/watek/{thread.id}"))
    count = db.session.scalar(select(func.count(DraftParagraph.id))
                              .where(DraftParagraph.section_id == thread.section_id))
    anchors = re.findall(r'id="par-6-(\d+)"', html)
    assert anchors == [str(n) for n in range(1, count + 1)] and count >= 2
    assert "Rozdział 6. Priorytetowe zadania publiczne" in html  # named as the draft writes it
    assert "wspieranie i promocja wolontariatu" in html


def test_the_page_costs_the_same_few_queries_for_3_or_60_sections(app, torun, admin, count_queries):
    torun_id, admin_id = torun.id, admin.id
    def queries(sections: int) -> int:
        drafts.publish(db.session.get(Consultation, torun_id), draft(sections, paragraphs=3))
        db.session.commit()
        client = app.test_client()
        login_as(client, db.session.get(type(admin), admin_id))
        with count_queries() as counted:
            response = client.get(PAGE)
        assert response.status_code == 200
        assert page_text(response).count("</th>\n      <td") == sections
        return counted.count

    few, many = queries(3), queries(60)
    assert few == many <= 6


def test_a_draft_consultation_can_be_prepared_before_it_is_published(admin_client, torun):
    torun.status = Status.DRAFT
    db.session.commit()
    token = form_token(admin_client, PAGE)
    response = admin_client.post(PAGE, data={"csrf_token": token, "markdown": SAMPLE, "action": "publish"})
    assert response.status_code == 303
    assert db.session.get(Consultation, torun.id).status == Status.DRAFT


def test_the_demo_can_date_its_threads(torun):
    moment = clock.from_local(datetime(2020, 9, 16, 12), "Europe/Warsaw")
    drafts.publish(torun, drafts.DEMO_DRAFT.read_text(encoding="utf-8"), now=moment)
    db.session.commit()
    threads = db.session.scalars(select(Thread).where(Thread.consultation_id == torun.id)).all()
    assert len(threads) == 12 and {(t.created_at, t.last_activity_at) for t in threads} == {(moment, moment)}
