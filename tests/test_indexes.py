"""Every query a page runs on a large table can use an index (PostgreSQL's EXPLAIN says so).

The pages are requested as a person would; each SELECT they ran is then EXPLAINed with
sequential scans switched off — a "Seq Scan" on a large table left in such a plan means no index
can serve that query, and it will read the whole table once the table is big.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from portal import clock
from portal.accounts.models import Role
from portal.extensions import db
from portal.forum.models import PostState
from tests.conftest import _is_postgres, login_as
from tests.factories import add_comment

pytestmark = [
    pytest.mark.skipif(not _is_postgres(),
                       reason="EXPLAIN plans are PostgreSQL's: run with TEST_DATABASE_URL=postgresql+psycopg://…"),
    pytest.mark.commits,  # the plans are asked for on a connection of their own
]

LARGE_TABLES = {"post", "audit_log", "flag", "answer", "answered_comment", "change_link", "post_revision",
                "subscription", "group_registration", "meeting_registration", "outbox_message"}
SLUG = "program-wspolpracy-2021"


@pytest.fixture
def busy_forum(commented, frozen_clock):
    """The commented consultation with more comments, replies, pending ones and a moderation history."""
    from portal.moderation import services as moderation

    frozen_clock.set_local("2020-09-20 10:00:00")
    thread = commented.sections[2]
    for n in range(40):
        frozen_clock.set(clock.now_utc() + timedelta(minutes=1))
        parent = add_comment(thread, commented.anna, f"Uwaga {n}", organisation=commented.anna.organisation)
        add_comment(thread, commented.jan, f"Odpowiedź {n}", parent=parent)
        pending = add_comment(commented.general, commented.jan, f"Czeka {n}", state=PostState.PENDING)
        if n % 4 == 0:
            moderation.approve(commented.moderator, pending, pending.version)
    db.session.commit()
    frozen_clock.set_local("2020-09-25 12:00:00")
    return commented


@pytest.fixture
def explain(app):
    """Collect the SELECTs run inside the block; then `.seq_scans()` lists those reading a large table whole."""
    class Plans:
        statements: list[tuple[str, object]] = []

        def seq_scans(self) -> list[str]:
            found = []
            connection = db.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("SET enable_seqscan = off")
                for statement, parameters in self.statements:
                    cursor.execute("EXPLAIN " + statement, parameters)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                    tables = set(re.findall(r"Seq Scan on (\w+)", plan)) & LARGE_TABLES
                    if tables:
                        found.append(f"{sorted(tables)} in: {statement}\n{plan}")
            finally:
                connection.close()
            return found

    plans = Plans()
    plans.statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            plans.statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    yield plans
    event.remove(db.engine, "before_cursor_execute", record)


def test_the_forum_pages_use_indexes(app, busy_forum, explain):
    client = app.test_client()
    login_as(client, busy_forum.anna)
    thread = busy_forum.sections[2]
    for url in (f"/konsultacje/{SLUG}/forum", f"/konsultacje/{SLUG}/forum/watek/{thread.id}",
                f"/konsultacje/{SLUG}/forum/watek/{thread.id}?strona=2",
                f"/forum/uwagi/{busy_forum.comments[2].id}", f"/konsultacje/{SLUG}/forum/szukaj?q=uwaga",
                f"/konsultacje/{SLUG}", "/"):
        assert client.get(url).status_code in (200, 302), url
    problems = explain.seq_scans()
    assert problems == [], "\n\n".join(problems)


def test_the_moderation_pages_use_indexes(app, busy_forum, explain, make_user):
    client = app.test_client()
    login_as(client, busy_forum.moderator)
    for url in ("/moderacja/kolejka", "/moderacja/dziennik", f"/moderacja/dziennik?akcja=approve",
                f"/moderacja/dziennik?moderator={busy_forum.moderator.id}",
                f"/konsultacje/{SLUG}/moderacja"):
        assert client.get(url).status_code == 200, url
    problems = explain.seq_scans()
    assert problems == [], "\n\n".join(problems)


def test_the_forum_search_can_use_the_full_text_index(app, busy_forum):
    """The GIN indexes are on the stored vectors the search filters by (the search's own SQL)."""
    from portal.forum.feeds import _matching
    from portal.forum.models import DraftParagraph, Post
    from portal.forum.search_index import query_forms

    wanted = query_forms("terminów")
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    for table, column, index in ((Post, Post.search_text, "ix_post_search"),
                                 (DraftParagraph, DraftParagraph.search_text, "ix_draft_paragraph_search")):
        sql = select(table.id).where(_matching(column, wanted)).compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
        assert index in plan, plan


def test_the_report_pages_use_indexes(app, busy_forum, explain, frozen_clock):
    from portal.reports import answers, publishing
    from portal.reports.models import Decision
    from portal.reports.services import report_comments

    moderator = busy_forum.moderator
    posts = [comment.post for comment in report_comments(busy_forum.consultation.id).comments]
    answers.answer_comments(moderator, busy_forum.consultation.id, posts, Decision.EXPLANATION, "Wyjaśniamy.")
    frozen_clock.set_local("2020-10-05 12:00:00")  # a report is published after the e-consultation
    publishing.publish(busy_forum.consultation, moderator, "Konsultacje trwały dwa tygodnie.")
    db.session.commit()
    explain.statements.clear()
    client = app.test_client()
    login_as(client, moderator)
    thread = busy_forum.sections[2]
    for url in (f"/konsultacje/{SLUG}/raport", f"/konsultacje/{SLUG}/raport?sekcja=2",
                f"/zespol/konsultacje/{SLUG}/odpowiedzi", f"/konsultacje/{SLUG}/zmiany",
                f"/konsultacje/{SLUG}/forum/watek/{thread.id}", f"/zespol/konsultacje/{SLUG}/raport"):
        assert client.get(url).status_code == 200, url
    problems = explain.seq_scans()
    assert problems == [], "\n\n".join(problems)
