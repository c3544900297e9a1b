"""The home page and a consultation's announcement, print view and PDF, as a visitor sees them."""
import io

from sqlalchemy import select

from portal import clock
from portal.accounts.models import Role
from portal.consultations.models import Consultation, Phase, Status
from portal.extensions import db
from tests.conftest import login_as

ANNOUNCEMENT = "/konsultacje/program-wspolpracy-2021"


def add_consultation(slug, title, first_day, last_day, status=Status.PUBLISHED):
    consultation = Consultation(slug=slug, title=title, lead="", body="", status=status)
    consultation.phases = [Phase(title="Zgłaszanie uwag", position=0,
                                 starts_at=clock.start_of_day(first_day),
                                 ends_at=clock.end_of_day(last_day))]
    db.session.add(consultation)
    db.session.commit()
    return consultation


def test_home_lists_current_consultations_first_and_closed_ones_in_the_archive(client, torun, frozen_clock):
    from datetime import date
    add_consultation("budzet-2019", "Budżet obywatelski 2019", date(2019, 3, 1), date(2019, 3, 31))
    add_consultation("plan-2020", "Plan transportowy 2020", date(2020, 6, 1), date(2020, 6, 30))
    add_consultation("ukryta", "Szkic konsultacji", date(2020, 9, 1), date(2020, 12, 1), status=Status.DRAFT)
    frozen_clock.set_local("2020-09-20 12:00:00")

    html = client.get("/").get_data(as_text=True)
    current, archive = html.split('id="archiwum"')
    assert "Program współpracy z organizacjami pozarządowymi na 2021 rok" in current
    assert "Trwa teraz: Konsultacje elektroniczne projektu programu" in current
    assert archive.index("Plan transportowy 2020") < archive.index("Budżet obywatelski 2019")
    assert "Szkic konsultacji" not in html


def test_a_finished_consultation_moves_to_the_archive(client, torun, frozen_clock):
    frozen_clock.set_local("2020-10-23 00:00:00")
    current, archive = client.get("/").get_data(as_text=True).split('id="archiwum"')
    assert "W tej chwili nie trwają żadne konsultacje." in current
    assert "Program współpracy z organizacjami pozarządowymi na 2021 rok" in archive


def test_announcement_shows_everything_the_seed_page_announced(client, torun, frozen_clock):
    frozen_clock.set_local("2020-08-24 10:00:00")
    response = client.get(ANNOUNCEMENT)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<h1>Program współpracy z organizacjami pozarządowymi na 2021 rok</h1>' in html  # lang="pl" only in the English UI
    # lead, body rendered from Markdown, contact block
    assert "prowadzone we współpracy z Radą Działalności Pożytku Publicznego" in html
    assert "<h2>Zasady zdalnego spotkania</h2>" in html
    assert "<strong>Uwaga:</strong> spotkania są nagrywane" in html
    assert 'href="mailto:konsultacje@example.org"' in html and "56 000 00 00" in html
    # the five thematic groups with places and meeting times
    for name in ("Wspieranie i promocja działalności podmiotów ekonomii społecznej",
                 "Wspieranie i rozwijanie współpracy biznesu z organizacjami pozarządowymi",
                 "Wspieranie i promocja wolontariatu",
                 "Współpraca i realizacja zadań publicznych w okresie pandemii",
                 "Wspieranie działalności na rzecz osób niepełnosprawnych"):
        assert f'<h3>{name}</h3>' in html
    assert html.count("31 sierpnia 2020 r., godz. 16:30") == 3
    assert html.count("1 września 2020 r., godz. 16:30") == 2
    # the online meeting with its registration deadline, to the minute
    assert "Spotkanie online: omówienie propozycji do programu" in html
    assert "3 września 2020 r., godz. 10:00" in html
    # documents
    assert 'href="https://www.bip.torun.pl/dokumenty.php?Kod=1254074"' in html
    # print view and PDF are linked
    assert f'href="{ANNOUNCEMENT}/druk"' in html and f'href="{ANNOUNCEMENT}/pdf"' in html


def test_unknown_consultation_is_a_404_page_in_the_site_layout(client):
    response = client.get("/konsultacje/nie-ma-takiej")
    assert response.status_code == 404
    assert "Nie ma takiej strony" in response.get_data(as_text=True)


def test_a_draft_consultation_is_hidden_from_the_public_but_staff_can_preview_it(client, torun, make_user):
    torun_db = db.session.scalar(select(Consultation))
    torun_db.status = Status.DRAFT
    db.session.commit()
    assert client.get(ANNOUNCEMENT).status_code == 404
    assert client.get(ANNOUNCEMENT + "/druk").status_code == 404

    login_as(client, make_user("fundacja@example.org"))
    assert client.get(ANNOUNCEMENT).status_code == 404

    login_as(client, make_user("mod@example.org", role=Role.MODERATOR))
    response = client.get(ANNOUNCEMENT)
    assert response.status_code == 200
    assert "Podgląd: ta konsultacja nie jest jeszcze opublikowana." in response.get_data(as_text=True)


def test_print_view_has_the_content_without_the_site_navigation(client, torun, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    html = client.get(ANNOUNCEMENT + "/druk").get_data(as_text=True)
    assert "Program współpracy z organizacjami pozarządowymi na 2021 rok" in html
    assert 'aria-label="Menu główne"' not in html and "language-switch" not in html
    assert '<table class="timeline-table">' in html
    assert "<td>trwa teraz</td>" in html
    assert "Stan na 20 września 2020 r., godz. 12:00" in html


def test_pdf_has_the_announcement_in_polish_with_the_timeline_and_page_numbers(client, torun, frozen_clock):
    from pypdf import PdfReader

    frozen_clock.set_local("2020-09-20 12:00:00")
    response = client.get(ANNOUNCEMENT + "/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) >= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Program współpracy z organizacjami pozarządowymi na 2021 rok" in flat
    assert "Działalności Pożytku Publicznego" in flat  # Polish letters survive
    assert "Konsultacje elektroniczne projektu programu" in flat and "trwa teraz" in flat
    assert f"1 / {len(reader.pages)}" in flat and f"{len(reader.pages)} / {len(reader.pages)}" in flat


def test_the_page_renders_markdown_body_through_the_sanitiser(client, torun):
    consultation = db.session.scalar(select(Consultation))
    consultation.body = "Zobacz [BIP](https://bip.example.org).\n\n<script>alert('x')</script>"
    db.session.commit()
    html = client.get(ANNOUNCEMENT).get_data(as_text=True)
    assert '<a href="https://bip.example.org" rel="nofollow ugc noopener">BIP</a>' in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
