"""A reader finds the report, and the changes in the document, from where they read (issue 13).

Once the report is published, the announcement (its print view and PDF), the forum's index and
the home page's card link to it, with its date; the forum's status text says where the answers
are instead of "znajdą się w raporcie". Before publication none of them links to it. The
`commented` fixture is Toruń on 5 October 2020: the window is closed, the report not published.
"""
import io
import re

import pytest
from pypdf import PdfReader

from portal.consultations.models import Consultation
from portal.extensions import db
from portal.reports import final
from tests.conftest import login_as, visible_text
from tests.factories import FINAL_DRAFT, SLUG, add_comment, answer_all, publish_with_the_form

ANNOUNCEMENT = f"/konsultacje/{SLUG}"
REPORT = f"{ANNOUNCEMENT}/raport"
CHANGES = f"{ANNOUNCEMENT}/zmiany"
PAGES = ["/", ANNOUNCEMENT, f"{ANNOUNCEMENT}/druk", f"{ANNOUNCEMENT}/forum"]
BEFORE = "Uwagi są analizowane, a odpowiedzi na nie znajdą się w raporcie z konsultacji."
AFTER = "Raport z konsultacji opublikowano 5 października 2020 r. — zobacz odpowiedzi urzędu"
BROWSER = {"User-Agent": "Mozilla/5.0 Firefox/120.0"}


@pytest.fixture
def app_config():
    # Views are written in batches, as in production: a page's queries are its own (test_query_counts).
    return {"VIEW_COUNT_FLUSH_SECONDS": 3600}


def links_to(html: str, path: str) -> list[str]:
    """The links of a page that lead to `path` (relative or absolute)."""
    return [href for href in re.findall(r'href="([^"]+)"', html) if re.fullmatch(rf"(https?://[^/]+)?{path}", href)]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def publish(app, commented):
    answer_all(commented)
    staff = app.test_client()
    assert publish_with_the_form(staff, commented.moderator).status_code == 303


def upload_final(commented):
    """The office's final version of the document (uploading it is tested in test_final_version)."""
    final.save_final(db.session.get(Consultation, commented.consultation.id), FINAL_DRAFT, commented.admin)
    db.session.commit()


def test_before_publication_no_page_links_to_the_report(app, client, commented):
    answer_all(commented)
    upload_final(commented)  # the final version is ready, the report is not published yet
    for url in PAGES:
        html = page(client, url)
        assert links_to(html, REPORT) == links_to(html, CHANGES) == [], url
        assert "Raport opublikowano" not in html
    assert BEFORE in visible_text(page(client, f"{ANNOUNCEMENT}/forum/watek/{commented.general.id}"))
    assert BEFORE in visible_text(page(client, f"{ANNOUNCEMENT}/forum"))
    assert client.get(REPORT).status_code == 404


def test_after_publication_a_reader_reaches_the_report_from_every_page(app, client, commented, smtp_sink):
    publish(app, commented)
    for url in PAGES:
        html = page(client, url)
        found = links_to(html, REPORT)
        assert found, f"no link to the report on {url}"
        report = page(client, found[0])
        assert "Raport z konsultacji" in report and "Opublikowano" in report
        assert links_to(html, CHANGES) == [], "no final version yet: no link to the changes"
    for url in (ANNOUNCEMENT, f"{ANNOUNCEMENT}/druk", f"{ANNOUNCEMENT}/forum"):
        assert "Raport opublikowano 5 października 2020 r." in visible_text(page(client, url)), url
    assert "opublikowano 5 października 2020 r." in visible_text(page(client, "/"))


def test_the_official_report_is_listed_among_the_documents_once_published(app, client, commented, smtp_sink):
    html = page(client, ANNOUNCEMENT)
    assert "sprawozdanie.pdf" not in html
    publish(app, commented)
    html = page(client, ANNOUNCEMENT)
    documents = html[html.index('id="dokumenty"'):]
    documents = documents[:documents.index("</section>")]
    for link in (f"{REPORT}/sprawozdanie.pdf", f"{REPORT}/sprawozdanie.docx"):
        assert f'href="{link}"' in documents
        assert client.get(link).status_code == 200


def test_the_forum_says_where_the_answers_are_once_the_report_is_out(app, client, commented, smtp_sink):
    thread = f"{ANNOUNCEMENT}/forum/watek/{commented.sections[2].id}"
    publish(app, commented)
    text = visible_text(page(client, thread))
    assert AFTER in text and "analizowane" not in text and "znajdą się" not in text
    assert links_to(page(client, thread), REPORT)
    index = visible_text(page(client, f"{ANNOUNCEMENT}/forum"))
    assert "analizowane" not in index and "forum jest archiwum konsultacji" in index


def test_the_changes_page_is_linked_once_the_final_version_is_uploaded(app, client, commented, smtp_sink):
    publish(app, commented)
    upload_final(commented)
    for url in PAGES:
        found = links_to(page(client, url), CHANGES)
        assert found, f"no link to the changes on {url}"
        assert client.get(found[0]).status_code == 200


def test_the_pdf_of_the_announcement_links_to_the_report(app, client, commented, smtp_sink):
    publish(app, commented)
    response = client.get(f"{ANNOUNCEMENT}/pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Raport opublikowano 5 października 2020 r." in " ".join(text.split())
    uris = [annotation.get_object()["/A"].get("/URI") for p in reader.pages for annotation in p.get("/Annots", [])
            if annotation.get_object().get("/A")]
    assert any(uri and re.fullmatch(rf"https?://[^/]+{REPORT}", uri) for uri in uris), uris


# --- the pages stay within their queries ----------------------------------------------------------

def reattach(commented) -> None:
    db.session.add_all([commented.consultation, commented.general, *commented.sections.values(), commented.anna,
                        commented.jan, commented.moderator, commented.admin, *commented.comments])


def queries_of(app, count_queries, url: str, user_id=None) -> int:
    client = app.test_client()
    if user_id is not None:
        from portal.accounts.models import User
        login_as(client, db.session.get(User, user_id))
    with count_queries() as queries:
        assert client.get(url, headers=BROWSER).status_code == 200
    return queries.count


@pytest.mark.parametrize("who", ["anonymous", "participant"])
def test_publishing_and_more_comments_cost_no_more_queries(app, commented, count_queries, smtp_sink, who):
    user_id = commented.anna.id if who == "participant" else None
    thread = commented.sections[2]
    urls = [*PAGES, f"{ANNOUNCEMENT}/forum/watek/{thread.id}"]
    before = [queries_of(app, count_queries, url, user_id) for url in urls]
    reattach(commented)  # counting started from a new session
    publish(app, commented)
    upload_final(commented)
    for n in range(40):
        add_comment(thread, commented.jan, f"Uwaga {n}.")
    db.session.commit()
    after = [queries_of(app, count_queries, url, user_id) for url in urls]
    assert after == before, dict(zip(urls, zip(before, after)))
    assert max(after) <= 6, dict(zip(urls, after))


def test_the_home_page_asks_once_for_all_reports_and_counts(app, commented, count_queries, smtp_sink):
    from portal.consultations.models import Status

    one = queries_of(app, count_queries, "/")
    reattach(commented)
    publish(app, commented)
    for n in range(5):
        db.session.add(Consultation(slug=f"inna-{n}", title=f"Inna {n}", status=Status.PUBLISHED))
    db.session.commit()
    assert queries_of(app, count_queries, "/") == one <= 6
