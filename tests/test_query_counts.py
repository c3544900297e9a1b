"""Pages run a small, constant number of SQL queries whatever the amount of data."""
from datetime import date, timedelta

import pytest

from portal import clock
from portal.accounts.models import Role
from portal.consultations.models import Consultation, Document, Phase, Status
from portal.extensions import db
from portal.registrations.models import Meeting, WorkingGroup
from tests.conftest import login_as

BROWSER = {"User-Agent": "Mozilla/5.0 Firefox/120.0"}
MAX_QUERIES = 6


@pytest.fixture
def app_config():
    # As in production, views are written in batches (one UPDATE every few seconds for all pages):
    # measure what each page costs itself; tests/test_view_counter.py covers the batch write.
    return {"VIEW_COUNT_FLUSH_SECONDS": 3600}


def make_consultations(count: int, phases_each: int) -> None:
    start = date(2020, 1, 1)
    for n in range(count):
        consultation = Consultation(slug=f"k{n}", title=f"Konsultacja {n}", status=Status.PUBLISHED,
                                    body="Treść **ogłoszenia**.", contact_name="Biuro")
        consultation.phases = [
            Phase(title=f"Etap {i}", position=i,
                  starts_at=clock.start_of_day(start + timedelta(days=i)),
                  ends_at=clock.end_of_day(start + timedelta(days=i)))
            for i in range(phases_each)
        ]
        consultation.documents = [Document(title=f"Dokument {i}", url=f"https://example.org/{i}", position=i)
                                  for i in range(phases_each)]
        db.session.add(consultation)
        db.session.flush()
        db.session.add_all(WorkingGroup(consultation_id=consultation.id, name=f"Grupa {i}", position=i,
                                        meeting_starts_at=clock.start_of_day(start))
                           for i in range(min(phases_each, 20)))
        db.session.add_all(Meeting(consultation_id=consultation.id, title=f"Spotkanie {i}",
                                   starts_at=clock.start_of_day(start),
                                   registration_deadline=clock.start_of_day(start))
                           for i in range(min(phases_each, 20)))
    db.session.commit()


def queries_for(app, count_queries, url: str, user=None) -> int:
    """Queries one page view costs, in a new browser session (so the view counter writes too)."""
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    with count_queries() as queries:
        response = client.get(url, headers=BROWSER)
    assert response.status_code == 200
    return queries.count


def replace_data(count: int, phases_each: int) -> None:
    db.session.execute(db.delete(Consultation))
    db.session.commit()
    make_consultations(count, phases_each)


@pytest.fixture(params=["anonymous", "moderator"])
def visitor(request, make_user):
    return make_user("mod@example.org", role=Role.MODERATOR) if request.param == "moderator" else None


def test_home_page_queries_do_not_grow_with_200_consultations(app, count_queries, visitor):
    replace_data(1, 1)
    small = queries_for(app, count_queries, "/", visitor)
    replace_data(200, 5)
    large = queries_for(app, count_queries, "/", visitor)
    assert small == large <= MAX_QUERIES


def test_announcement_queries_do_not_grow_with_200_phases(app, client, count_queries, visitor):
    replace_data(1, 1)
    small = queries_for(app, count_queries, "/konsultacje/k0", visitor)
    replace_data(1, 200)
    large = queries_for(app, count_queries, "/konsultacje/k0", visitor)
    assert client.get("/konsultacje/k0/druk").get_data(as_text=True).count("<tr>") == 201
    assert small == large <= MAX_QUERIES
