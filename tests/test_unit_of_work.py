"""One commit per request, in one place — and none for a request that wrote nothing."""
import pytest
from sqlalchemy import event, select, update

from portal.consultations.models import Consultation
from portal.extensions import db
from portal.mail import OutboxMessage

SLUG = "program-wspolpracy-2021"
# These count real COMMITs: inside a test's rolled-back transaction a commit is only a savepoint.
pytestmark = pytest.mark.commits


def commits_during(app, request):
    commits = []
    listener = lambda connection: commits.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        response = request()
    finally:
        event.remove(db.engine, "commit", listener)
    return response, len(commits)


def test_a_page_that_only_reads_is_not_committed(app, torun):
    response, commits = commits_during(app, lambda: app.test_client().get("/"))
    assert response.status_code == 200 and commits == 0


@pytest.mark.own_app
def test_what_a_request_writes_before_and_inside_a_savepoint_is_committed(app, torun):
    @app.get("/test/zapis-z-punktem-zapisu")
    def write_with_a_savepoint():
        db.session.add(OutboxMessage(recipient="a@example.org", subject="Przed", body="."))
        with db.session.begin_nested():
            db.session.add(OutboxMessage(recipient="b@example.org", subject="W środku", body="."))
        return "ok"

    response, commits = commits_during(app, lambda: app.test_client().get("/test/zapis-z-punktem-zapisu"))
    assert response.status_code == 200 and commits == 1
    db.session.expire_all()
    assert sorted(db.session.scalars(select(OutboxMessage.subject))) == ["Przed", "W środku"]


@pytest.mark.own_app
def test_an_update_statement_alone_is_committed(app, torun):
    @app.get("/test/update")
    def only_an_update():
        db.session.execute(update(Consultation).values(title="Nowy tytuł"))
        return "ok"

    app.test_client().get("/test/update")
    db.session.expire_all()
    assert db.session.scalar(select(Consultation.title)) == "Nowy tytuł"
