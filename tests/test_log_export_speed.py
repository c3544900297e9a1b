"""The moderation log's CSV says each row exactly as it was said row by row, only faster.

An export of 50,000 rows looks each action's label, each target's template and each described
state up once (`LogWords`), builds its links with the request's URL builder and reads columns,
not objects, in one streamed query. Here a log with every action, every kind of target and
every kind of logged state, in both languages and for a moderator and an admin, is compared byte
for byte with the former way: each row told on its own (gettext, `describe`, `url_for` per row),
its people, comment, thread and consultation read one by one. Its queries do not grow with it.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from itertools import cycle

import pytest
from flask import session, url_for
from markupsafe import escape
from flask_babel import gettext as _, refresh
from sqlalchemy import insert, select

from portal import clock
from portal.accounts.models import User
from portal.audit import AuditLog
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum.models import Post, PostState, Thread
from portal.moderation.log_words import (
    ACTION_LABELS,
    DATE_FIELDS,
    FIELD_LABELS,
    TARGET_LABELS,
    TEXT_FIELDS,
    _value_labels,
    action_label,
    describe,
)
from tests.conftest import login_as

LOG_CSV = "/moderacja/dziennik.csv"
LONG = "Bardzo długi powód, " + "zażółć gęślą jaźń " * 10


def coded_values(field_name: str, target_type: str) -> list:
    """The stored codes a field may hold for a kind of target ("published", "off_topic", …)."""
    return [getattr(code, "value", code) for code in _value_labels(field_name, target_type)]


def logged_states() -> list[dict]:
    """A state of every kind the log tells: each branch of `describe`, each field with a label,
    plain values and others (lists, fractions), and the same value as 1 and as True."""
    states = [
        {}, {"state": "pending", "body": "=Treść uwagi"}, {"state": "approved", "body": "Inna treść"},
        {"state": "hidden"}, {"state": "rejected", "proposed_body": "Nowa treść"}, {"state": "unknown_state"},
        {"title": "Nowy tytuł, „cytat”"}, {"locked": True}, {"locked": False}, {"pinned": True}, {"pinned": 0},
        {"thread_id": 5}, {"hidden_by_flags": True}, {"hidden_by_flags": False},
        {"published_at": "2020-09-20T10:00:00+00:00"}, {"published_at": None}, {"parent_id": None},
        {"parent_id": 7, "root_id": 7, "path": "000007.000009", "depth": 1},
        {"role": "moderator", "trusted": True, "verified": False, "blocked": True,
         "until": "2020-10-01T00:00:00+00:00"},
        {"role": "participant", "blocked": True, "until": None}, {"blocked": False, "trusted": False},
        {"visible": 1}, {"visible": True}, {"visible": "1"}, {"rows": 1.5}, {"rows": 2},
        {"order": [3, 1, 2]}, {"filter": {"dzialanie": "post_hidden", "od": "2020-09-01"}}, {"filter": {}},
        {"format": "xlsx"}, {"mystery_field": "x"}, {"reason": None}, {"reason": ""}, {"comments": []},
        {"meeting_starts_at": "2020-10-25T01:30:00"}, {"starts_at": "nie data"},
        {"state": "approved", "open_flags": 2, "reason": LONG},
    ]
    for field_name in FIELD_LABELS:
        states.append({field_name: "2020-03-29T01:30:00+00:00" if field_name in DATE_FIELDS
                       else LONG if field_name in TEXT_FIELDS else f"wartość {field_name}"})
    for field_name in ("status", "kind", "moderation_mode", "decision", "channel"):
        for target_type in ("consultation", "meetingregistration", "groupregistration", "document", "phase"):
            states += [{field_name: code} for code in coded_values(field_name, target_type)]
    return states


@pytest.fixture
def varied_log(torun, general, moderator, admin, anna, jan, make_user, frozen_clock):
    """Every action on every kind of target, with every kind of state, by people (one deleted)
    and by the system, across the autumn clock change; a few rows share their moment."""
    frozen_clock.set_local("2020-11-02 12:00:00")
    gone = make_user("usuniety@example.org", name="Usunięty Ktoś")
    gone.deleted_at = clock.now_utc()
    posts = [Post(thread_id=general.id, author_id=author.id, body=f"Uwaga {n}", body_html="", depth=0,
                  path=f"{n:06d}", state=PostState.APPROVED) for n, author in enumerate((anna, jan, gone))]
    db.session.add_all(posts)
    db.session.commit()
    targets = [("post", post.id) for post in posts] + [
        ("post", 999_999), ("thread", general.id), ("thread", 999_998), ("user", anna.id), ("user", gone.id),
        ("consultation", torun.id)] + [(kind, 41) for kind in TARGET_LABELS] + [("strange_kind", 3)]
    actions = [*ACTION_LABELS, "unknown_action"]
    states = logged_states()
    start = datetime(2020, 10, 24, 22, 0, tzinfo=timezone.utc)
    rows = [{"at": start + timedelta(minutes=n // 3), "actor_id": actor, "action": action,
             "target_type": kind, "target_id": target_id, "reason": reason,
             "before": json.dumps(before) if before else "", "after": json.dumps(after) if after else ""}
            for n, (action, (kind, target_id), before, after, actor, reason) in enumerate(zip(
                actions * 4, cycle(targets), cycle(states), cycle(states[1:]),
                cycle([moderator.id, None, gone.id, admin.id]), cycle(["", "=SUMA(A1)", LONG, "Spam"])))]
    db.session.execute(insert(AuditLog), rows)
    db.session.commit()
    return len(rows)


# --- the former way: each row told on its own -----------------------------------------------

def person_name(user: User | None) -> str:
    if user is None:
        return ""
    return _("Konto usunięte") if user.deleted_at is not None else user.display_name


def former_cells(entry: AuditLog, admin: bool) -> list[str]:
    kind, target_id = entry.target_type, entry.target_id
    before, after = entry.before_data, entry.after_data
    target = str(TARGET_LABELS[kind] % {"id": target_id}) if kind in TARGET_LABELS else f"{kind} {target_id}"
    url, detail, concerned = "", "", None
    if kind == "post":
        url = url_for("forum.permalink", post_id=target_id, _external=True)
        post = db.session.get(Post, target_id)
        if post is not None:
            concerned, detail = db.session.get(User, post.author_id), db.session.get(Thread, post.thread_id).title
    elif kind == "thread":
        thread = db.session.get(Thread, target_id)
        if thread is not None:
            slug = db.session.get(Consultation, thread.consultation_id).slug
            url = url_for("forum.thread", slug=slug, thread_id=target_id, _external=True)
            detail = thread.title
    elif kind == "user":
        concerned = db.session.get(User, target_id)
        if admin:
            url = url_for("admin_users.user_detail", user_id=target_id, _external=True)
    elif kind == "consultation":
        consultation = db.session.get(Consultation, target_id)
        detail = consultation.title if consultation else ""
    actor = db.session.get(User, entry.actor_id) if entry.actor_id is not None else None
    body_before = str(before.get("body", ""))
    body_after = str(after.get("body", before.get("body", "")))
    return [clock.to_local(entry.at).strftime("%Y-%m-%d %H:%M:%S"), person_name(actor) if actor else _("system"),
            action_label(entry.action), target, url, detail, person_name(concerned),
            str(concerned.id) if concerned else "", entry.reason, describe(before, kind), describe(after, kind),
            body_before, body_after if body_after != body_before else ""]


def former_csv(app, language: str, admin: bool) -> bytes:
    header = ["Kiedy (czas polski)", "Kto", "Działanie", "Czego dotyczy", "Link", "Wątek lub konsultacja",
              "Użytkownik, którego dotyczy", "Numer konta użytkownika", "Powód", "Przed", "Po", "Treść przed",
              "Treść po"]
    with app.test_request_context():
        session["lang"] = language
        refresh()
        entries = db.session.scalars(select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())).all()
        table = [[_(title) for title in header]] + [former_cells(entry, admin) for entry in entries]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    for cells in table:
        writer.writerow(["'" + cell if cell.startswith(("=", "+", "-", "@", "\t", "\r")) else cell
                         for cell in cells])
    return out.getvalue().encode("utf-8-sig")


def signed_in_client(app, user: User, language: str):
    client = app.test_client()
    login_as(client, user)
    with client.session_transaction() as stored:
        stored["lang"] = language
    return client


def exported(app, user: User, language: str) -> bytes:
    return downloaded(signed_in_client(app, user, language))


def downloaded(client) -> bytes:
    response = client.get(LOG_CSV)
    assert response.status_code == 200 and response.is_streamed
    return response.data


# --- the tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("who", ["moderator", "admin"])
def test_the_log_csv_says_every_kind_of_row_as_when_each_row_was_told_on_its_own(app, varied_log, moderator,
                                                                                  admin, language, who):
    expected = former_csv(app, language, admin=who == "admin")
    assert exported(app, {"moderator": moderator, "admin": admin}[who], language) == expected
    rows = list(csv.reader(io.StringIO(expected.decode("utf-8-sig"), newline="")))
    assert len(rows) == varied_log + 1
    if language == "pl":  # the same field as 1 and as True, in one export, each said as it is
        said = {cells[9] for cells in rows[1:]} | {cells[10] for cells in rows[1:]}
        assert {"w tym widoczne: 1", "w tym widoczne: tak", "w tym widoczne: „1”"} & said >= {
            "w tym widoczne: 1", "w tym widoczne: tak"}


def test_the_log_page_tells_its_rows_as_the_csv_does(app, varied_log, admin):
    client = app.test_client()
    login_as(client, admin)
    page = client.get("/moderacja/dziennik").get_data(as_text=True)
    newest = list(csv.reader(io.StringIO(former_csv(app, "pl", admin=True).decode("utf-8-sig"), newline="")))[1:51]
    for cells in newest:
        assert escape(cells[2]) in page and escape(cells[3]) in page
        assert escape(cells[9]) in page and escape(cells[10]) in page


def test_the_varied_log_csv_costs_the_same_queries_at_five_times_its_rows(app, varied_log, moderator,
                                                                          count_queries):
    moderator_id = moderator.id

    def queries() -> int:
        client = signed_in_client(app, db.session.get(User, moderator_id), "pl")
        with count_queries() as counted:
            downloaded(client)  # the streamed body is made here, inside the count
        return counted.count

    small = queries()
    rows = db.session.execute(select(*(column for column in AuditLog.__table__.c if column.name != "id"))
                              .where(AuditLog.action != "moderation_log_exported")).mappings().all()
    db.session.execute(insert(AuditLog), [dict(row) for row in rows] * 4)
    db.session.commit()
    assert queries() == small
