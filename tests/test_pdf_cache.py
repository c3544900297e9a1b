"""The public PDF: rendered once per version of what it shows, shared through the page cache's
store, and limited per address (20 anonymous PDF clients once took the whole site down)."""
import pytest
from sqlalchemy import select

from portal.consultations import pdf
from portal.consultations.models import Consultation, Phase
from portal.extensions import db

PDF_URL = "/konsultacje/program-wspolpracy-2021/pdf"


@pytest.fixture
def renders(monkeypatch):
    """Every HTML given to WeasyPrint; a cheap stand-in PDF names its number."""
    seen: list[str] = []

    def render(html: str) -> bytes:
        seen.append(html)
        return b"%PDF-1.4 render " + str(len(seen)).encode()

    monkeypatch.setattr(pdf, "render", render)
    return seen


def test_the_pdf_is_rendered_once_and_then_served_from_the_cache(app, torun, renders, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    first = app.test_client().get(PDF_URL)
    frozen_clock.set_local("2020-09-20 12:05:00")  # later, another reader
    second = app.test_client().get(PDF_URL)
    assert first.status_code == second.status_code == 200
    assert second.headers["Content-Type"] == "application/pdf"
    assert first.data == second.data == b"%PDF-1.4 render 1" and len(renders) == 1
    # the "as of" date is the render's, filled in after the version was taken
    assert "Stan na 20 września 2020 r., godz. 12:00" in renders[0]
    assert "__wspolnie_pdf_as_of__" not in renders[0]


def test_a_change_to_what_the_pdf_shows_gives_a_new_pdf(app, torun, renders, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    client = app.test_client()
    assert client.get(PDF_URL).data == b"%PDF-1.4 render 1"
    consultation = db.session.scalar(select(Consultation))
    consultation.title = "Program współpracy na 2021 rok (po poprawkach)"
    db.session.commit()
    assert client.get(PDF_URL).data == b"%PDF-1.4 render 2"
    assert "(po poprawkach)" in renders[1]
    phase = db.session.scalars(select(Phase).order_by(Phase.id)).first()
    phase.title = "Zmieniony etap"
    db.session.commit()
    assert client.get(PDF_URL).data == b"%PDF-1.4 render 3" and "Zmieniony etap" in renders[2]
    assert client.get(PDF_URL).data == b"%PDF-1.4 render 3"  # unchanged again: cached
    # a phase's state is shown ("trwa teraz" / "zakończony"): time moving it on is a change too
    frozen_clock.set_local("2021-06-01 12:00:00")
    assert client.get(PDF_URL).data == b"%PDF-1.4 render 4"


def test_the_pdf_in_another_language_is_another_version(app, torun, renders):
    client = app.test_client()
    client.get(PDF_URL)
    with client.session_transaction() as session:
        session["lang"] = "en"
    client.get(PDF_URL)
    assert len(renders) == 2 and '<html lang="en">' in renders[1]


def test_without_the_cache_every_request_renders(app, torun, renders):
    app.config["PDF_CACHE_SECONDS"] = 0
    client = app.test_client()
    client.get(PDF_URL)
    client.get(PDF_URL)
    assert len(renders) == 2


def test_pdfs_are_rate_limited_per_address(app, torun, renders):
    app.config["PDF_LIMIT_PER_IP"] = "3 per minute"
    client = app.test_client()
    statuses = [client.get(PDF_URL).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = app.test_client()  # another address is not affected
    assert other.get(PDF_URL, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert len(renders) == 1


def test_a_draft_pdf_is_still_hidden_from_the_public_after_staff_rendered_it(app, torun, renders, make_user):
    from portal.accounts.models import Role
    from portal.consultations.models import Status
    from tests.conftest import login_as

    consultation = db.session.scalar(select(Consultation))
    consultation.status = Status.DRAFT
    db.session.commit()
    staff = app.test_client()
    login_as(staff, make_user("urzednik@example.org", role=Role.ADMIN))
    assert staff.get(PDF_URL).status_code == 200
    assert app.test_client().get(PDF_URL).status_code == 404


def test_anonymous_readers_get_the_current_pdf_without_a_query_like_the_shared_pages(
        app, torun, renders, count_queries, make_user):
    from tests.conftest import login_as

    app.config["PAGE_CACHE_SECONDS"] = 10
    app.test_client().get(PDF_URL)
    with count_queries() as queries:
        response = app.test_client().get(PDF_URL)
    assert response.data == b"%PDF-1.4 render 1" and queries.count == 0
    consultation = db.session.scalar(select(Consultation))
    consultation.title = "Nowy tytuł"
    db.session.commit()
    # a signed-in reader always gets the current version; anonymous ones within PAGE_CACHE_SECONDS
    signed_in = app.test_client()
    login_as(signed_in, make_user("anna@ngo.example"))
    assert signed_in.get(PDF_URL).data == b"%PDF-1.4 render 2"
    assert app.test_client().get(PDF_URL).data == b"%PDF-1.4 render 1"
    from portal.extensions import cache
    cache.delete("pdf-current:pl:program-wspolpracy-2021")  # what 10 seconds do
    assert app.test_client().get(PDF_URL).data == b"%PDF-1.4 render 2" and len(renders) == 2
