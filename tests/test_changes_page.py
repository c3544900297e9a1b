"""The public changes page reads like the document: both versions rendered (tables as tables, lists
as lists), differences marked word by word, never inside a word or a number ("20 000 zł" → "20 500 zł"
is one whole number dropped and one added)."""
import re

import pytest

from portal import clock
from portal.extensions import db
from portal.forum import drafts
from portal.reports.models import Report
from tests.conftest import form_token, visible_text
from tests.factories import SLUG

MANAGE = f"/zespol/konsultacje/{SLUG}/wersja-koncowa"
CHANGES = f"/konsultacje/{SLUG}/zmiany"

DRAFT = """## Postanowienia ogólne

Program określa cele i zasady współpracy.

## Finansowanie

Na realizację **Programu** przeznacza się 20 000 zł.

Podział środków:

| Zadanie | Kwota |
| --- | --- |
| Sport | 5 000 zł |
| Kultura | 15 000,50 zł |

## Formy współpracy

Współpraca obejmuje:

- konsultowanie projektów aktów prawa miejscowego,
- wspólne zespoły.

## Wolontariat

Gmina wspiera wolontariat seniorów.
"""

NEW_SECTION = """
## Sprawozdanie

| Rok | Liczba ofert |
| --- | --- |
| 2021 | 1 200 |
"""

FINAL = (DRAFT.replace("się 20 000 zł", "się 20 500 zł")
         .replace("| Kultura | 15 000,50 zł |", "| Kultura | 15 500,50 zł |")
         .replace("- wspólne zespoły.", "- wspólne zespoły,\n- udostępnianie lokali.")
         .replace("wolontariat seniorów.", "wolontariat młodzieży.")) + NEW_SECTION


@pytest.fixture
def changes_page(app, commented, moderator_client):
    """The draft above, its final version uploaded through the staff form, the report published."""
    drafts.publish(commented.consultation, DRAFT, actor=commented.admin)
    db.session.commit()
    response = moderator_client.post(MANAGE, data={"markdown": FINAL, "action": "save",
                                                   "csrf_token": form_token(moderator_client, MANAGE)})
    assert response.status_code == 303
    report = db.session.get(Report, commented.consultation.id) or Report(consultation_id=commented.consultation.id)
    report.published_at = clock.now_utc()
    db.session.add(report)
    db.session.commit()
    response = app.test_client().get(CHANGES)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html: str, number: int) -> str:
    """The element of § `number` on the page (from its start tag to the next section's)."""
    start = html.rindex("<", 0, html.index(f'id="zmiana-{number}"'))
    following = html.find(f'id="zmiana-{number + 1}"', start)
    return html[start:html.rindex("<", 0, following) if following != -1 else len(html)]


def marked(html: str, tag: str) -> list[str]:
    return [visible_text(inner).strip() for inner in re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL)]


def test_a_changed_amount_is_one_whole_number_dropped_and_one_added(changes_page):
    funding = section(changes_page, 2)
    assert marked(funding, "del") == ["usunięto: 20 000", "usunięto: 15 000,50"]
    assert marked(funding, "ins") == ["dodano: 20 500", "dodano: 15 500,50"]
    text = visible_text(funding)
    assert "przeznacza się usunięto: 20 000 dodano: 20 500 zł." in text
    assert "<strong>Programu</strong>" in funding and "**" not in text  # inline Markdown rendered too


def test_a_changed_table_and_list_are_shown_rendered_before_and_after(changes_page):
    funding, forms = section(changes_page, 2), section(changes_page, 3)
    assert funding.count("<table>") == 2 and funding.count("<td>Sport</td>") == 2
    assert forms.count("<ul>") == 2
    before, after = forms.split("W wersji końcowej:")
    assert "W projekcie:" in before and "udostępnianie lokali" not in before
    assert marked(before, "del") == ["usunięto: ."]
    assert marked(after, "ins") == ["dodano: ,", "dodano: udostępnianie lokali."]
    assert re.search(r"<li><ins>.*?udostępnianie lokali\.</ins></li>", after)


def test_a_changed_word_is_marked_whole(changes_page):
    volunteering = section(changes_page, 4)
    assert marked(volunteering, "del") == ["usunięto: seniorów"]
    assert marked(volunteering, "ins") == ["dodano: młodzieży"]


def test_a_new_section_shows_its_table_as_a_table(changes_page):
    added = section(changes_page, 5)
    assert "nowy" in visible_text(added)
    inserted_table = r'<ins><span class="visually-hidden">dodano: </span><table>.*<td>1 200</td>.*</table>\s*</ins>'
    assert re.search(inserted_table, added, re.DOTALL)


def test_an_unchanged_section_says_so(changes_page):
    kept = section(changes_page, 1)
    assert "<details" in kept
    assert "§ 1. Postanowienia ogólne — bez zmian" in visible_text(kept)
    assert "<ins>" not in kept and "<del>" not in kept


def test_the_page_shows_no_raw_markdown(changes_page):
    text = visible_text(changes_page)
    assert "|" not in text and "---" not in text
    assert "- konsultowanie" not in text and "- wspólne" not in text
    assert "Sport 5 000 zł" in text and "konsultowanie projektów aktów prawa miejscowego" in text
