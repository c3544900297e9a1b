"""The final document: staff upload it, see how it differs from the draft section by section, and say
which comments caused each change; residents read the changes once the report is published."""
import io
import re

import pytest
from sqlalchemy import select

from portal import clock
from portal.audit import AuditLog
from portal.extensions import db
from portal.reports import final
from portal.reports.models import ChangeLink, FinalSection, Report
from portal.reports.services import report_comments
from tests.conftest import form_token, login_as
from tests.factories import FINAL_DRAFT

SLUG = "program-wspolpracy-2021"
MANAGE = f"/zespol/konsultacje/{SLUG}/wersja-koncowa"
CHANGES = f"/konsultacje/{SLUG}/zmiany"


def link_url(number):
    return f"{MANAGE}/paragraf/{number}/uwagi"


def upload(client, text, action="save", **extra):
    return client.post(MANAGE, data={"markdown": text, "action": action,
                                     "csrf_token": form_token(client, MANAGE), **extra})


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


@pytest.fixture
def uploaded(commented, moderator_client):
    assert upload(moderator_client, FINAL_DRAFT).status_code == 303
    return commented


def publish_report(consultation):
    report = db.session.get(Report, consultation.id, populate_existing=True)
    if report is None:
        report = Report(consultation_id=consultation.id)
        db.session.add(report)
    report.published_at = clock.now_utc()
    db.session.commit()


# --- uploading -----------------------------------------------------------------------------------

def test_staff_preview_the_final_version_before_saving_it(commented, moderator_client):
    response = upload(moderator_client, FINAL_DRAFT, action="preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nic nie zostało jeszcze zapisane" in html
    assert "Zapisz wersję końcową" in html
    assert FINAL_DRAFT.splitlines()[0].removeprefix("## ") in html and "Wolontariat" in html
    assert "z organizacjami pozarządowymi" in html        # the typed text stays in the form
    assert db.session.scalars(select(FinalSection)).all() == []


def test_saving_the_final_version_replaces_it_and_logs_each_upload(commented, moderator_client):
    response = upload(moderator_client, FINAL_DRAFT)
    assert response.status_code == 303 and response.location.endswith(MANAGE)
    page = moderator_client.get(MANAGE)
    assert "Zapisano wersję końcową dokumentu (paragrafy: 4, zmienione: 3)." in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert [s.number for s in db.session.scalars(select(FinalSection).order_by(FinalSection.number))] == [1, 2, 3, 4]
    assert db.session.get(Report, commented.consultation.id).final_uploaded_at == clock.now_utc()

    assert upload(moderator_client, FINAL_DRAFT.split("## Wolontariat")[0]).status_code == 303
    db.session.expire_all()
    assert [s.number for s in db.session.scalars(select(FinalSection).order_by(FinalSection.number))] == [1, 2, 3]
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "final_document_uploaded")
                             .order_by(AuditLog.id)).all()
    assert [(entry.actor_id, entry.before_data["sections"], entry.after_data["sections"]) for entry in log] == [
        (commented.moderator.id, 0, 4), (commented.moderator.id, 4, 3)]


def test_the_final_version_can_be_a_markdown_file(commented, moderator_client):
    token = form_token(moderator_client, MANAGE)
    response = moderator_client.post(MANAGE, data={
        "markdown": "", "action": "preview", "csrf_token": token,
        "upload": (io.BytesIO("\ufeff".encode() + FINAL_DRAFT.encode()), "wersja-koncowa.md")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Wolontariat" in html
    assert "Gmina wspiera wolontariat." in html  # the file's text is now in the form, ready to save


def test_a_text_without_section_headings_is_refused_with_the_text_kept(commented, moderator_client):
    response = upload(moderator_client, "Tylko akapit bez nagłówka.")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Popraw błędy w formularzu" in html and "Tylko akapit bez nagłówka." in html
    assert db.session.scalars(select(FinalSection)).all() == []


def test_a_stale_form_gives_the_text_back_and_saves_nothing(commented, moderator_client):
    response = moderator_client.post(MANAGE, data={"markdown": FINAL_DRAFT, "action": "save", "csrf_token": "stale"})
    assert response.status_code == 400
    assert "z organizacjami pozarządowymi" in response.get_data(as_text=True)
    assert db.session.scalars(select(FinalSection)).all() == []


# --- the difference --------------------------------------------------------------------------------

def test_the_difference_section_by_section(commented):
    changes = final.compare(final.draft_texts(commented.consultation.id), final.parse_final(FINAL_DRAFT))
    assert [(c.number, c.status) for c in changes] == [
        (1, "unchanged"), (2, "changed"), (3, "changed"), (4, "new")]
    kept, extended = changes[1].paragraphs
    assert kept.kind == "equal" and "<ins" not in kept.html
    assert extended.kind == "changed"
    assert '<ins><span class="visually-hidden">dodano: </span> z organizacjami pozarządowymi</ins>' in extended.html
    amount = changes[2].paragraphs[0].html
    assert '<del><span class="visually-hidden">usunięto: </span>10 000 000</del>' in amount
    assert '<ins><span class="visually-hidden">dodano: </span>12 000 000</ins>' in amount
    assert "<ins" in changes[2].title_html and "rozliczenia" in changes[2].title_html
    assert changes[3].paragraphs[0].kind == "inserted"

    shorter = final.compare(final.draft_texts(commented.consultation.id), final.parse_final(FINAL_DRAFT)[:2])
    assert shorter[2].status == "removed"
    assert shorter[2].paragraphs[0].kind == "deleted" and "<del>" in shorter[2].paragraphs[0].html


def test_staff_see_unchanged_sections_collapsed_and_changes_marked(uploaded, moderator_client):
    html = moderator_client.get(MANAGE).get_data(as_text=True)
    unchanged = html[html.index('id="zmiana-1"') - 80:html.index('id="zmiana-2"')]
    assert "<details" in unchanged and "bez zmian" in unchanged
    assert "nowy" in html[html.index('id="zmiana-4"'):]
    assert "Zmiana tytułu:" in html
    assert html.count("<ins>") >= 3 and "<del>" in html


def test_text_in_the_final_version_is_never_markup(commented, moderator_client):
    hostile = FINAL_DRAFT.replace("Gmina wspiera wolontariat.",
                            'Gmina <script>alert(1)</script> wspiera <img src=x onerror="alert(2)"> wolontariat.')
    hostile = hostile.replace("Program określa", "Program <b onmouseover=alert(3)>określa")  # unchanged text
    assert upload(moderator_client, hostile).status_code == 303
    publish_report(commented.consultation)
    for page in (moderator_client.get(MANAGE), moderator_client.get(CHANGES)):
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "onerror=&#34;alert(2)&#34;&gt;" in html


# --- which comments caused a change ---------------------------------------------------------------

def link(client, number, post_ids):
    return client.post(link_url(number), data={"comments": [str(i) for i in post_ids],
                                                "csrf_token": form_token(client, MANAGE)})


def test_staff_link_a_change_to_the_comments_that_caused_it(uploaded, moderator_client):
    html = moderator_client.get(MANAGE).get_data(as_text=True)
    form = html[html.index('id="uwagi-2"'):html.index('id="zmiana-3"')]
    # Every comment of the report can be ticked, those on § 2 first (report numbers 3 and 4).
    assert re.findall(r"Uwaga nr (\d+)", form)[:2] == ["3", "4"]
    assert sorted(re.findall(r"Uwaga nr (\d+)", form)) == ["1", "2", "3", "4", "5"]
    assert "osoba prywatna" in form and uploaded.anna.organisation.name in form

    on_section_2 = [uploaded.comments[2].id, uploaded.comments[3].id]
    response = link(moderator_client, 2, on_section_2)
    assert response.status_code == 303 and response.location.endswith(f"{MANAGE}#zmiana-2")
    data = report_comments(uploaded.consultation.id)
    assert [c.changed_sections for c in data.comments] == [[], [], [2], [2], []]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "change_links_saved"))
    assert entry.actor_id == uploaded.moderator.id
    assert entry.before_data == {"section": 2, "comments": []}
    assert entry.after_data == {"section": 2, "comments": sorted(on_section_2)}

    # Saving again replaces the section's links.
    assert link(moderator_client, 2, [uploaded.comments[3].id]).status_code == 303
    assert [c.changed_sections for c in report_comments(uploaded.consultation.id).comments] == [
        [], [], [], [2], []]
    html = moderator_client.get(MANAGE).get_data(as_text=True)
    form = html[html.index('id="uwagi-2"'):html.index('id="zmiana-3"')]
    assert re.findall(r'value="(\d+)" id="[^"]+" checked', form) == [str(uploaded.comments[3].id)]


def test_residents_see_which_comments_caused_each_change_once_the_report_is_published(app, uploaded,
                                                                                       moderator_client):
    link(moderator_client, 2, [uploaded.comments[2].id, uploaded.comments[3].id])
    link(moderator_client, 4, [uploaded.comments[0].id])
    publish_report(uploaded.consultation)
    response = app.test_client().get(CHANGES)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    section_2 = html[html.index('id="zmiana-2"'):html.index('id="zmiana-3"')]
    assert "Wprowadzono w odpowiedzi na uwagi nr 3, 4" in text_of(section_2)
    assert f'href="/konsultacje/{SLUG}/raport?uwaga=3#uwaga-3"' in section_2
    assert f'href="/konsultacje/{SLUG}/raport?uwaga=4#uwaga-4"' in section_2
    assert "Wprowadzono w odpowiedzi na uwagę nr 1" in text_of(html[html.index('id="zmiana-4"'):])
    assert "nr 3" not in text_of(html[html.index('id="zmiana-1"'):html.index('id="zmiana-2"')])
    assert "Fundacja" not in html and uploaded.jan.display_name not in html


def test_only_a_changed_section_can_be_linked_and_only_to_comments_of_the_report(uploaded, moderator_client):
    assert link(moderator_client, 1, [uploaded.comments[0].id]).status_code == 404   # § 1 unchanged
    assert link(moderator_client, 9, [uploaded.comments[0].id]).status_code == 404   # no § 9
    response = link(moderator_client, 2, [uploaded.comments[0].id, uploaded.pending.id])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Wybierz uwagi z listy uwag w raporcie." in html
    form = html[html.index('id="uwagi-2"'):html.index('id="zmiana-3"')]
    assert re.findall(r'value="(\d+)" id="[^"]+" checked', form) == [str(uploaded.comments[0].id)]
    assert db.session.scalars(select(ChangeLink)).all() == []


def test_a_stale_link_form_keeps_the_ticks_and_saves_nothing(uploaded, moderator_client):
    response = moderator_client.post(link_url(2), data={"comments": [str(uploaded.comments[2].id)],
                                                         "csrf_token": "stale"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Formularz był otwarty zbyt długo" in html
    form = html[html.index('id="uwagi-2"'):html.index('id="zmiana-3"')]
    assert re.findall(r'value="(\d+)" id="[^"]+" checked', form) == [str(uploaded.comments[2].id)]
    assert db.session.scalars(select(ChangeLink)).all() == []


def test_re_uploading_drops_links_of_sections_that_no_longer_differ(uploaded, moderator_client):
    link(moderator_client, 2, [uploaded.comments[2].id])
    link(moderator_client, 3, [uploaded.comments[4].id])
    from tests.factories import SMALL_DRAFT
    back_to_draft_in_2 = SMALL_DRAFT.replace("10 000 000", "12 000 000")
    response = upload(moderator_client, back_to_draft_in_2)
    assert response.status_code == 303
    assert "Usunięto powiązania" in moderator_client.get(MANAGE).get_data(as_text=True)
    assert [(l.section_number, l.post_id) for l in db.session.scalars(select(ChangeLink))] == [
        (3, uploaded.comments[4].id)]


# --- who sees what -------------------------------------------------------------------------------

def test_the_back_office_page_is_for_staff(app, commented):
    client = app.test_client()
    assert client.get(MANAGE).status_code == 302
    login_as(client, commented.anna)
    assert client.get(MANAGE).status_code == 403
    assert client.post(link_url(2), data={"csrf_token": form_token(client, "/")}).status_code == 403
    for person in (commented.moderator, commented.admin):
        staff = app.test_client()
        login_as(staff, person)
        assert staff.get(MANAGE).status_code == 200


def test_posting_without_a_token_is_refused(uploaded, moderator_client):
    assert moderator_client.post(MANAGE, data={"markdown": FINAL_DRAFT, "action": "save"}).status_code == 400
    assert moderator_client.post(link_url(2), data={"comments": [str(uploaded.comments[2].id)]}).status_code == 400
    assert db.session.scalars(select(ChangeLink)).all() == []


def test_the_changes_page_is_public_only_after_the_report_is_published(app, uploaded, moderator_client):
    anonymous = app.test_client()
    assert anonymous.get(CHANGES).status_code == 404
    participant = app.test_client()
    login_as(participant, uploaded.anna)
    assert participant.get(CHANGES).status_code == 404
    preview = moderator_client.get(CHANGES)
    assert preview.status_code == 200
    assert "widzą tylko pracownicy urzędu" in preview.get_data(as_text=True)
    publish_report(uploaded.consultation)
    html = anonymous.get(CHANGES).get_data(as_text=True)
    assert "Wolontariat" in html and "widzi tylko zespół" not in html


def test_before_a_final_version_the_changes_page_says_so(client, commented):
    publish_report(commented.consultation)
    html = client.get(CHANGES).get_data(as_text=True)
    assert "Urząd nie opublikował jeszcze wersji końcowej dokumentu." in html
    assert "usunięty" not in html


# --- cost ----------------------------------------------------------------------------------------

def many_sections(count: int) -> str:
    return "\n".join(f"## Paragraf {n}\n\nTreść numer {n} w wersji {'końcowej' if n % 2 else 'projektu'}.\n"
                     for n in range(1, count + 1))


@pytest.mark.parametrize("sections", [3, 40])
def test_the_changes_page_costs_the_same_few_queries_for_3_or_40_sections(
        app, client, commented, count_queries, sections):
    from portal.forum import drafts

    drafts.publish(commented.consultation, many_sections(sections).replace("końcowej", "projektu"))
    final.save_final(commented.consultation, many_sections(sections), commented.admin)
    db.session.add(ChangeLink(post_id=commented.comments[0].id, section_number=1,
                              consultation_id=commented.consultation.id))
    db.session.commit()
    publish_report(commented.consultation)
    with count_queries() as queries:
        response = client.get(CHANGES)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("<ins>") == (sections + 1) // 2
    assert queries.count <= 6, queries.statements
