"""The test harness itself: a test's writes, committed or not, never outlive the test.

Every other test relies on this (tests/database.py): each runs inside one transaction that is
rolled back at its end, and a commit inside it — by the test, a request or a CLI command — is
a savepoint that the next request of the same test sees, as a real commit would be.
"""
import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from tests.conftest import form_token, log_in, login_as
from tests.database import transaction_rolled_back_at_the_end
from tests.factories import SLUG


def people_seen_by(connection) -> int:
    return connection.execute(select(func.count(User.id))).scalar_one()


@pytest.mark.commits  # this test opens the per-test transaction itself, to look at it from outside
def test_what_a_test_commits_is_seen_inside_it_and_gone_after_it(app, client, make_user):
    with transaction_rolled_back_at_the_end(db.engine):
        make_user("anna@ngo.example")  # committed by the test
        result = app.test_cli_runner().invoke(  # committed by a command in an app context of its own
            args=["create-user", "jan@example.org", "--password-stdin"], input="bardzo długie hasło Jana\n")
        assert result.exit_code == 0, result.output
        # A request sees both commits, as it would see real ones.
        assert log_in(client, "jan@example.org", "bardzo długie hasło Jana").status_code == 302
        assert db.session.scalar(select(func.count(User.id))) == 2
        with db.engine.connect() as other:  # ... but nothing was committed for real
            assert people_seen_by(other) == 0
        db.session.remove()
    assert db.session.scalar(select(func.count(User.id))) == 0
    with db.engine.connect() as other:
        assert people_seen_by(other) == 0


def test_a_test_starts_on_an_empty_database_after_one_that_wrote(app, make_user):
    """Run in any order with the test above: neither leaves a row behind."""
    assert db.session.scalar(select(func.count(User.id))) == 0
    make_user("anna@ngo.example")
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_rollback_by_the_test_never_undoes_what_a_request_committed(app, client, general, moderator):
    """Savepoints nest: the request's must not sit inside one the test still holds open."""
    from portal.forum.models import Thread

    login_as(client, moderator)
    assert db.session.get(Thread, general.id).locked_at is None  # the test's session is in a savepoint
    thread_page = f"/konsultacje/{SLUG}/forum/watek/{general.id}"
    response = client.post(f"/moderacja/watki/{general.id}/zamknij",
                           data={"csrf_token": form_token(client, thread_page)})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Thread, general.id).locked_at is not None


def test_a_request_after_uncommitted_changes_of_the_test_is_an_error_in_the_test(app, client, anna):
    anna.display_name = "Anna Zmieniona"
    with pytest.raises(AssertionError, match="uncommitted changes"):
        client.get("/")
    db.session.rollback()
