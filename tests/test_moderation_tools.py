"""Moderators' tools: reports of comments and decisions on them, thread tools, user tools."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.accounts.models import Role, User
from portal.audit import AuditLog
from portal.extensions import db
from portal.forum import services
from portal.forum.models import Post, PostState, Thread
from portal.moderation import flags
from portal.moderation.models import Flag, FlagReason
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"
IN_WINDOW = "2020-09-20 12:00:00"


# --- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture
def reporters(make_user):
    return [make_user(f"czytelnik{n}@ngo.example", name=f"Czytelnik {n}") for n in range(1, 5)]


@pytest.fixture
def window(frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    return frozen_clock


def write(author, thread, body, parent=None):
    """A comment written through the forum's service, a minute after the previous one."""
    clock.set(clock.now_utc() + timedelta(minutes=1))
    post = services.post_comment(author, thread, body, parent=parent)
    db.session.commit()
    return post


def thread_url(thread):
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"


def tools_url(thread):
    return f"/moderacja/watki/{thread.id}/narzedzia"


def fresh(model, id_):
    return db.session.get(model, id_, populate_existing=True)


def audit_rows(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def client_for(app, user):
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    return client


def send_report(client, post, reason="spam", note=""):
    page = f"/forum/uwagi/{post.id}/zglos"
    return client.post(page, data={"reason": reason, "note": note, "csrf_token": form_token(client, page)})


def version_on_page(html, post, form="uznaj"):
    match = re.search(rf'id="version-{form}-{post.id}" name="version" type="hidden" value="(\d+)"', html)
    assert match, f"no {form} form for comment {post.id}"
    return match.group(1)


# --- reporting -------------------------------------------------------------------------------

def test_a_participant_reports_a_comment_once(app, general, anna, reporters, window):
    post = write(anna, general, "Uwaga Anny.")
    client = client_for(app, reporters[0])
    html = client.get(f"/forum/uwagi/{post.id}/zglos").get_data(as_text=True)
    assert "Zgłoś naruszenie" in html and "Uwaga Anny." in html
    for label in ("spam", "obraźliwa treść", "dane osobowe", "nie na temat", "inne"):
        assert f">{label}</label>" in html

    response = send_report(client, post, "offensive")
    assert response.status_code == 303 and response.headers["Location"] == f"/forum/uwagi/{post.id}"
    again = send_report(client, post, "spam")
    assert again.status_code == 200
    assert "Ta uwaga została już przez Ciebie zgłoszona." in again.get_data(as_text=True)
    [flag] = db.session.scalars(select(Flag)).all()
    assert (flag.reporter_id, flag.reason, flag.resolved_at) == (reporters[0].id, FlagReason.OFFENSIVE, None)
    assert fresh(Post, post.id).state == PostState.APPROVED  # one report of three needed


def test_a_report_needs_a_reason_and_a_description_for_other(app, general, anna, reporters, window):
    post = write(anna, general, "Uwaga Anny.")
    client = client_for(app, reporters[0])
    assert "Wybierz powód zgłoszenia." in send_report(client, post, reason="").get_data(as_text=True)
    html = send_report(client, post, reason="other").get_data(as_text=True)
    assert "wymagane przy powodzie „inne”" in html
    assert send_report(client, post, "other", "Reklama sklepu w treści.").status_code == 303
    assert [f.note for f in db.session.scalars(select(Flag))] == ["Reklama sklepu w treści."]


def test_nobody_reports_their_own_comment_and_staff_decide_instead(app, general, anna, moderator, window):
    post = write(anna, general, "Uwaga Anny.")
    own = client_for(app, anna)
    assert "Nie możesz zgłosić własnej uwagi." in own.get(f"/forum/uwagi/{post.id}/zglos").get_data(as_text=True)
    assert send_report(own, post).status_code == 200
    staff = client_for(app, moderator)
    html = staff.get(f"/forum/uwagi/{post.id}/zglos").get_data(as_text=True)
    assert "Moderatorzy nie zgłaszają uwag" in html and tools_url(general) in html
    assert db.session.scalars(select(Flag)).all() == []


def test_the_unique_constraint_is_the_final_guard(general, anna, reporters, window, monkeypatch):
    post = write(anna, general, "Uwaga Anny.")
    monkeypatch.setattr(flags, "has_reported", lambda user, post: False)  # two requests at once
    flags.report(reporters[0], post, FlagReason.SPAM)
    with pytest.raises(flags.AlreadyReported):
        flags.report(reporters[0], post, FlagReason.OFFENSIVE)
    db.session.commit()  # the savepoint kept the first report and the transaction usable
    assert len(db.session.scalars(select(Flag)).all()) == 1


def test_the_third_distinct_reporter_hides_the_comment(app, general, anna, reporters, window):
    post = write(anna, general, "Uwaga Anny.")
    write(anna, general, "Druga uwaga Anny.")
    assert fresh(Thread, general.id).comment_count == 2
    for reporter in reporters[:2]:
        send_report(client_for(app, reporter), post)
    assert fresh(Post, post.id).state == PostState.APPROVED
    send_report(client_for(app, reporters[2]), post, "personal_data")
    hidden = fresh(Post, post.id)
    assert hidden.state == PostState.HIDDEN and hidden.hidden_by_flags
    assert fresh(Thread, general.id).comment_count == 1
    [row] = audit_rows("post_hidden_by_flags")
    assert row.actor_id is None and row.target_id == post.id
    # A hidden comment takes no more reports.
    html = send_report(client_for(app, reporters[3]), post).get_data(as_text=True)
    assert "Tej uwagi nie można zgłosić" in html
    assert len(db.session.scalars(select(Flag)).all()) == 3


def test_the_threshold_is_the_consultations_setting(app, torun, general, anna, reporters, window):
    torun.flag_threshold = 2
    db.session.commit()
    post = write(anna, general, "Uwaga Anny.")
    for reporter in reporters[:2]:
        send_report(client_for(app, reporter), post)
    assert fresh(Post, post.id).state == PostState.HIDDEN


# --- decisions -------------------------------------------------------------------------------

def hidden_by_three(app, general, anna, reporters):
    post = write(anna, general, "Kup tanie rowery w naszym sklepie!")
    for reporter, reason in zip(reporters[:3], ("spam", "spam", "off_topic")):
        send_report(client_for(app, reporter), post, reason)
    assert fresh(Post, post.id).hidden_by_flags
    return post


def test_a_moderator_agrees_and_the_comment_stays_hidden_with_a_public_reason(app, general, anna, reporters,
                                                                             moderator, window):
    post = hidden_by_three(app, general, anna, reporters)
    client = client_for(app, moderator)
    html = client.get(tools_url(general)).get_data(as_text=True)
    assert "Kup tanie rowery" in html and html.count("<li><time") == 3 and "nie na temat" in html
    assert 'value="spam lub reklama"' in html  # the most common reason, suggested
    response = client.post(f"/moderacja/uwagi/{post.id}/zgloszenia/uznaj", data={
        "version": version_on_page(html, post), "public_reason": "reklama", "next": tools_url(general),
        "csrf_token": form_token(client, tools_url(general))})
    assert response.status_code == 303 and response.headers["Location"] == tools_url(general)
    decided = fresh(Post, post.id)
    assert (decided.state, decided.hidden_by_flags, decided.moderation_reason) == (PostState.HIDDEN, False, "reklama")
    assert {(f.resolution, f.resolved_at is not None) for f in db.session.scalars(select(Flag))} == {("agreed", True)}
    assert fresh(Thread, general.id).comment_count == 0
    for action in ("post_hidden_confirmed", "flags_agreed"):
        [row] = audit_rows(action)
        assert row.actor_id == moderator.id and row.reason == "reklama"
    assert "W tym wątku nie ma otwartych zgłoszeń." in client.get(tools_url(general)).get_data(as_text=True)


def test_agreeing_with_reports_of_a_visible_comment_hides_it(app, general, anna, reporters, moderator, window):
    post = write(anna, general, "Pan Jan Kowalski z ul. Długiej 5 ...")
    send_report(client_for(app, reporters[0]), post, "personal_data")
    client = client_for(app, moderator)
    html = client.get(tools_url(general)).get_data(as_text=True)
    client.post(f"/moderacja/uwagi/{post.id}/zgloszenia/uznaj", data={
        "version": version_on_page(html, post), "public_reason": "zawiera dane osobowe",
        "csrf_token": form_token(client, tools_url(general))})
    hidden = fresh(Post, post.id)
    assert (hidden.state, hidden.moderation_reason) == (PostState.HIDDEN, "zawiera dane osobowe")
    assert fresh(Thread, general.id).comment_count == 0
    assert audit_rows("post_hidden")[0].actor_id == moderator.id
    assert audit_rows("flags_agreed")[0].actor_id == moderator.id


def test_agreeing_needs_a_public_reason(app, general, anna, reporters, moderator, window):
    post = write(anna, general, "Uwaga Anny.")
    send_report(client_for(app, reporters[0]), post)
    client = client_for(app, moderator)
    html = client.get(tools_url(general)).get_data(as_text=True)
    response = client.post(f"/moderacja/uwagi/{post.id}/zgloszenia/uznaj", data={
        "version": version_on_page(html, post), "public_reason": " ",
        "csrf_token": form_token(client, tools_url(general))})
    assert response.status_code == 200 and "Podaj powód ukrycia" in response.get_data(as_text=True)
    assert fresh(Post, post.id).state == PostState.APPROVED and audit_rows("flags_agreed") == []


def test_a_moderator_dismisses_reports_and_the_comment_comes_back(app, general, anna, reporters, moderator, window):
    post = hidden_by_three(app, general, anna, reporters)
    client = client_for(app, moderator)
    html = client.get(tools_url(general)).get_data(as_text=True)
    response = client.post(f"/moderacja/uwagi/{post.id}/zgloszenia/oddal", data={
        "version": version_on_page(html, post, "oddal"), "dismiss_note": "to nie reklama",
        "csrf_token": form_token(client, tools_url(general))})
    assert response.status_code == 303
    shown = fresh(Post, post.id)
    assert (shown.state, shown.hidden_by_flags, shown.moderation_reason) == (PostState.APPROVED, False, "")
    assert {f.resolution for f in db.session.scalars(select(Flag))} == {"dismissed"}
    assert fresh(Thread, general.id).comment_count == 1
    assert audit_rows("post_unhidden")[0].actor_id == moderator.id
    [row] = audit_rows("flags_dismissed")
    assert (row.actor_id, row.reason) == (moderator.id, "to nie reklama")
    assert "Kup tanie rowery" in client_for(app, None).get(thread_url(general)).get_data(as_text=True)


def test_of_two_moderators_deciding_at_once_only_the_first_decides(app, general, anna, reporters, moderator,
                                                                   second_moderator, window):
    post = hidden_by_three(app, general, anna, reporters)
    first = client_for(app, moderator)
    second = client_for(app, second_moderator)
    first_page = first.get(tools_url(general)).get_data(as_text=True)
    second_page = second.get(tools_url(general)).get_data(as_text=True)
    second_token = form_token(second, tools_url(general))
    first.post(f"/moderacja/uwagi/{post.id}/zgloszenia/uznaj", data={
        "version": version_on_page(first_page, post), "public_reason": "spam",
        "csrf_token": form_token(first, tools_url(general))})
    late = second.post(f"/moderacja/uwagi/{post.id}/zgloszenia/oddal", data={
        "version": version_on_page(second_page, post, "oddal"), "csrf_token": second_token})
    assert late.status_code == 409
    assert f"Ta uwaga została już obsłużona przez: {moderator.display_name}." in late.get_data(as_text=True)
    decided = fresh(Post, post.id)
    assert (decided.state, decided.moderation_reason) == (PostState.HIDDEN, "spam")
    assert {f.resolution for f in db.session.scalars(select(Flag))} == {"agreed"}
    assert audit_rows("flags_dismissed") == [] and audit_rows("post_unhidden") == []


# --- thread tools ----------------------------------------------------------------------------

def test_lock_and_unlock_a_thread(app, general, anna, moderator, window):
    client = client_for(app, moderator)
    html = client.get(thread_url(general)).get_data(as_text=True)
    assert "Narzędzia moderatora" in html and "Zamknij wątek dla nowych uwag" in html
    response = client.post(f"/moderacja/watki/{general.id}/zamknij", data={
        "next": thread_url(general), "csrf_token": form_token(client, thread_url(general))})
    assert response.status_code == 303 and response.headers["Location"] == thread_url(general)
    locked = fresh(Thread, general.id)
    assert locked.is_locked
    decision = services.may_post(anna, locked, services.comment_window(general.consultation_id))
    assert not decision and decision.reason == "Ten wątek jest zamknięty dla nowych uwag."
    with pytest.raises(services.PostingRefused):
        services.post_comment(anna, locked, "Jeszcze jedna uwaga.")
    db.session.rollback()
    client.post(f"/moderacja/watki/{general.id}/zamknij", data={"csrf_token": form_token(client, thread_url(general))})
    assert len(audit_rows("thread_locked")) == 1  # a second click changes nothing
    assert "Otwórz wątek dla uwag" in client.get(thread_url(general)).get_data(as_text=True)

    client.post(f"/moderacja/watki/{general.id}/otworz", data={"csrf_token": form_token(client, thread_url(general))})
    assert not fresh(Thread, general.id).is_locked
    assert services.may_post(anna, fresh(Thread, general.id), services.comment_window(general.consultation_id))
    assert [row.actor_id for row in audit_rows("thread_locked") + audit_rows("thread_unlocked")] == [moderator.id] * 2


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "//evil.example",
                                    "/forum\r\nSet-Cookie: a=b", "https://evil.example/"])
def test_a_tool_goes_back_only_to_a_page_of_this_site(app, general, moderator, window, target):
    # The one check of portal/urls.py: browsers drop tabs and newlines, so "/\t/x" is "//x".
    client = client_for(app, moderator)
    response = client.post(f"/moderacja/watki/{general.id}/zamknij", data={
        "next": target, "csrf_token": form_token(client, thread_url(general))})
    assert response.status_code == 303 and response.headers["Location"] == tools_url(general)
    assert fresh(Thread, general.id).is_locked


def test_a_pinned_thread_comes_first_on_the_forum(app, torun, general, section_thread, anna, moderator, window):
    own = services.open_thread(anna, torun, "Wolontariat seniorów", "Brakuje działań dla seniorów.")
    db.session.commit()
    index = f"/konsultacje/{SLUG}/forum"

    def order():
        html = client_for(app, None).get(index).get_data(as_text=True)
        return sorted(("Formy współpracy", "Uwagi ogólne", "Wolontariat seniorów"), key=html.index)

    assert order() == ["Formy współpracy", "Uwagi ogólne", "Wolontariat seniorów"]
    client = client_for(app, moderator)
    client.post(f"/moderacja/watki/{own.id}/przypnij", data={"csrf_token": form_token(client, tools_url(own))})
    assert order() == ["Wolontariat seniorów", "Formy współpracy", "Uwagi ogólne"]
    client.post(f"/moderacja/watki/{own.id}/odepnij", data={"csrf_token": form_token(client, tools_url(own))})
    assert order() == ["Formy współpracy", "Uwagi ogólne", "Wolontariat seniorów"]
    assert [row.actor_id for row in audit_rows("thread_pinned") + audit_rows("thread_unpinned")] == [moderator.id] * 2


def test_rename_a_thread(app, general, moderator, window):
    client = client_for(app, moderator)
    rename = f"/moderacja/watki/{general.id}/tytul"
    html = client.post(rename, data={"title": "", "csrf_token": form_token(client, tools_url(general))}).get_data(as_text=True)
    assert "Wpisz tytuł wątku." in html
    html = client.post(rename, data={"title": "x" * 201, "csrf_token": form_token(client, tools_url(general))}).get_data(as_text=True)
    assert "Tytuł może mieć najwyżej 200 znaków." in html
    assert fresh(Thread, general.id).title == "Uwagi ogólne"
    response = client.post(rename, data={"title": "  Uwagi ogólne do programu  ", "next": thread_url(general),
                                         "csrf_token": form_token(client, thread_url(general))})
    assert response.status_code == 303
    assert fresh(Thread, general.id).title == "Uwagi ogólne do programu"
    [row] = audit_rows("thread_renamed")
    assert row.actor_id == moderator.id
    assert (row.before_data, row.after_data) == ({"title": "Uwagi ogólne"}, {"title": "Uwagi ogólne do programu"})


def test_a_rename_with_a_stale_token_keeps_the_title(app, general, moderator, window):
    client = client_for(app, moderator)
    response = client.post(f"/moderacja/watki/{general.id}/tytul", data={"title": "Nowy", "csrf_token": "stary"})
    assert response.status_code == 400
    assert 'value="Nowy"' in response.get_data(as_text=True) and fresh(Thread, general.id).title == "Uwagi ogólne"


# --- moving a comment ------------------------------------------------------------------------

def move(client, post, target, reason="dotyczy § 6", version=None):
    page = f"/moderacja/uwagi/{post.id}/przenies"
    return client.post(page, data={"target": str(target.id), "move_reason": reason,
                                   "version": str(version if version is not None else fresh(Post, post.id).version),
                                   "csrf_token": form_token(client, page)})


def test_a_comment_moves_with_two_levels_of_replies(app, general, section_thread, anna, jan, moderator, window):
    root = write(anna, general, "Uwaga o formach współpracy.")
    reply = write(jan, general, "Odpowiedź Jana.", parent=root)
    reply_to_reply = write(anna, general, "Odpowiedź Anny na odpowiedź.", parent=reply)
    staying = write(jan, general, "Uwaga, która zostaje.")
    existing = write(jan, section_thread, "Uwaga już w § 6.")
    assert (fresh(Thread, general.id).comment_count, fresh(Thread, section_thread.id).comment_count) == (4, 1)

    client = client_for(app, moderator)
    page = client.get(f"/moderacja/uwagi/{root.id}/przenies").get_data(as_text=True)
    assert "Razem z nią przeniesiemy 2 odpowiedzi." in page and "Formy współpracy</option>" in page
    assert ">Uwagi ogólne</option>" not in page  # not to the thread it is in
    response = move(client, root, section_thread)
    assert response.status_code == 303 and response.headers["Location"] == f"/forum/uwagi/{root.id}"

    moved = [fresh(Post, p.id) for p in (root, reply, reply_to_reply)]
    pad = lambda post: f"{post.id:09d}"
    assert [(p.thread_id, p.root_id, p.depth) for p in moved] == [(section_thread.id, root.id, d) for d in (0, 1, 2)]
    assert [p.path for p in moved] == [pad(root), f"{pad(root)}.{pad(reply)}",
                                       f"{pad(root)}.{pad(reply)}.{pad(reply_to_reply)}"]
    assert [p.parent_id for p in moved] == [None, root.id, reply.id]
    assert fresh(Post, staying.id).thread_id == general.id and fresh(Post, existing.id).path == pad(existing)
    assert (fresh(Thread, general.id).comment_count, fresh(Thread, section_thread.id).comment_count) == (1, 4)

    target_html = client_for(app, None).get(thread_url(section_thread)).get_data(as_text=True)
    source_html = client_for(app, None).get(thread_url(general)).get_data(as_text=True)
    for text in ("Uwaga o formach współpracy.", "Odpowiedź Jana.", "Odpowiedź Anny na odpowiedź."):
        assert text in target_html and text not in source_html
    assert "Uwaga, która zostaje." in source_html
    [row] = audit_rows("post_moved")
    assert (row.actor_id, row.reason, row.after_data["moved"]) == (moderator.id, "dotyczy § 6", 3)
    assert row.before_data["thread_id"] == general.id


def test_a_moved_reply_becomes_a_comment_of_its_own(app, general, section_thread, anna, jan, moderator, window):
    root = write(anna, section_thread, "Uwaga do § 6.")
    root.paragraph_number = 2
    reply = write(jan, section_thread, "Odpowiedź nie na temat.", parent=root)
    answer = write(anna, section_thread, "Odpowiedź na nią.", parent=reply)
    move(client_for(app, moderator), reply, general)
    reply, answer, root = fresh(Post, reply.id), fresh(Post, answer.id), fresh(Post, root.id)
    assert (reply.thread_id, reply.parent_id, reply.root_id, reply.depth, reply.path) == (
        general.id, None, reply.id, 0, f"{reply.id:09d}")
    assert (answer.thread_id, answer.parent_id, answer.root_id, answer.depth, answer.path) == (
        general.id, reply.id, reply.id, 1, f"{reply.id:09d}.{answer.id:09d}")
    assert (root.thread_id, root.paragraph_number) == (section_thread.id, 2)
    assert (fresh(Thread, section_thread.id).comment_count, fresh(Thread, general.id).comment_count) == (1, 2)


def test_replies_stored_flat_past_the_fourth_level_move_with_their_comment(app, general, section_thread, anna,
                                                                          reporters, moderator, window):
    chain = [write(anna, general, "Poziom 0")]
    for level in range(1, 7):
        chain.append(write(reporters[level % 2], general, f"Poziom {level}", parent=chain[-1]))
    assert [p.depth for p in chain] == [0, 1, 2, 3, 4, 4, 4]
    move(client_for(app, moderator), chain[4], section_thread)  # the 4th level, with its flat replies
    moved = [fresh(Post, p.id) for p in chain[4:]]
    assert all(p.thread_id == section_thread.id and p.root_id == chain[4].id for p in moved)
    assert [p.depth for p in moved] == [0, 1, 2]
    assert [p.path.count(".") for p in moved] == [0, 1, 2]
    assert all(p.path.startswith(f"{chain[4].id:09d}") for p in moved)
    assert all(fresh(Post, p.id).thread_id == general.id for p in chain[:4])
    assert (fresh(Thread, general.id).comment_count, fresh(Thread, section_thread.id).comment_count) == (4, 3)


def test_moving_needs_another_thread_and_a_reason_and_the_current_version(app, general, section_thread, anna,
                                                                         moderator, second_moderator, window):
    post = write(anna, general, "Uwaga.")
    client = client_for(app, moderator)
    html = move(client, post, general).get_data(as_text=True)
    assert "Wybierz wątek, do którego przenieść uwagę." in html
    assert "Podaj powód" in move(client, post, section_thread, reason="").get_data(as_text=True)
    version = fresh(Post, post.id).version
    other = client_for(app, second_moderator)
    assert move(client, post, section_thread, version=version).status_code == 303
    late = move(other, post, general, version=version)
    assert late.status_code == 409 and "została już obsłużona" in late.get_data(as_text=True)
    assert fresh(Post, post.id).thread_id == section_thread.id and len(audit_rows("post_moved")) == 1


# --- user tools ------------------------------------------------------------------------------

def test_a_moderator_blocks_a_participant_until_a_date(app, general, anna, moderator, window, smtp_sink):
    write(anna, general, "Uwaga Anny.")
    client = client_for(app, moderator)
    page = f"/moderacja/uzytkownicy/{anna.id}"
    html = client.get(page).get_data(as_text=True)
    assert anna.display_name in html and anna.organisation.name in html and "opublikowane: 1" in html
    assert anna.email not in html  # moderators do not need the address
    response = client.post(f"{page}/blokada", data={"blocked_until": "2020-09-25", "block_reason": "Powtarzany spam.",
                                                    "csrf_token": form_token(client, page)})
    assert response.status_code == 303 and response.headers["Location"] == page
    anna = fresh(User, anna.id)
    assert anna.is_blocked() and anna.block_reason == "Powtarzany spam."
    [row] = audit_rows("user_blocked")
    assert (row.actor_id, row.target_id, row.reason) == (moderator.id, anna.id, "Powtarzany spam.")

    participant = client_for(app, anna)
    refused = participant.post(thread_url(general), data={
        "body": "Jeszcze jedna.", "action": "send", "csrf_token": form_token(participant, thread_url(general))})
    text = refused.get_data(as_text=True)
    assert "Twoje konto jest zablokowane (do 25 września 2020 r.)" in text and "Powtarzany spam." in text
    assert len(db.session.scalars(select(Post)).all()) == 1
    [message] = smtp_sink.to(anna.email)
    assert "zablokowane" in message["Subject"]
    assert "do 25 września 2020 r. włącznie" in message.get_content() and "Powtarzany spam." in message.get_content()

    window.set_local("2020-09-26 00:00:00")  # the block ends with 25 September
    assert services.may_post(fresh(User, anna.id), general, services.comment_window(general.consultation_id))


def test_a_moderator_unblocks_and_trusts_a_participant(app, anna, moderator, window, smtp_sink):
    anna.blocked_at, anna.block_reason = clock.now_utc(), "spam"
    db.session.commit()
    client = client_for(app, moderator)
    page = f"/moderacja/uzytkownicy/{anna.id}"
    assert client.post(f"{page}/odblokowanie", data={"unblock_reason": "Wyjaśnione.",
                                                     "csrf_token": form_token(client, page)}).status_code == 303
    assert not fresh(User, anna.id).is_blocked()
    assert client.post(f"{page}/zaufany", data={"trusted": "1", "trust_reason": "Znana organizacja.",
                                                "csrf_token": form_token(client, page)}).status_code == 303
    assert fresh(User, anna.id).is_trusted
    assert [(row.action, row.actor_id) for row in db.session.scalars(select(AuditLog).order_by(AuditLog.id))] == [
        ("user_unblocked", moderator.id), ("trust_changed", moderator.id)]
    assert smtp_sink.to(anna.email)  # told about the unblock


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MODERATOR])
def test_a_moderator_cannot_block_staff(app, moderator, make_user, window, role):
    staff = make_user("urzad@um.torun.example", role=role, name="Urzędnik")
    client = client_for(app, moderator)
    page = f"/moderacja/uzytkownicy/{staff.id}"
    html = client.get(page).get_data(as_text=True)
    assert "Narzędzia moderatora dotyczą tylko uczestników" in html and "Zablokuj konto" not in html
    token = form_token(client, "/")
    assert client.post(f"{page}/blokada", data={"block_reason": "test", "csrf_token": token}).status_code == 403
    assert client.post(f"{page}/zaufany", data={"trusted": "1", "trust_reason": "t", "csrf_token": token}).status_code == 403
    assert not fresh(User, staff.id).is_blocked() and db.session.scalars(select(AuditLog)).all() == []
    own = f"/moderacja/uzytkownicy/{moderator.id}/blokada"
    assert client.post(own, data={"block_reason": "test", "csrf_token": token}).status_code == 403


# --- access ----------------------------------------------------------------------------------

STAFF_ROUTES = [
    ("GET", "/moderacja/watki/{thread}/narzedzia"),
    ("POST", "/moderacja/watki/{thread}/zamknij"),
    ("POST", "/moderacja/watki/{thread}/otworz"),
    ("POST", "/moderacja/watki/{thread}/przypnij"),
    ("POST", "/moderacja/watki/{thread}/odepnij"),
    ("POST", "/moderacja/watki/{thread}/tytul"),
    ("GET", "/moderacja/uwagi/{post}/przenies"),
    ("POST", "/moderacja/uwagi/{post}/przenies"),
    ("POST", "/moderacja/uwagi/{post}/zgloszenia/uznaj"),
    ("POST", "/moderacja/uwagi/{post}/zgloszenia/oddal"),
    ("GET", "/moderacja/uzytkownicy/{user}"),
    ("POST", "/moderacja/uzytkownicy/{user}/blokada"),
    ("POST", "/moderacja/uzytkownicy/{user}/odblokowanie"),
    ("POST", "/moderacja/uzytkownicy/{user}/zaufany"),
]
REPORT = ("POST", "/forum/uwagi/{post}/zglos")


@pytest.fixture
def targets(general, anna, window):
    post = write(anna, general, "Uwaga Anny.")
    return {"thread": general.id, "post": post.id, "user": anna.id}


def call(client, method, template, targets, data=None):
    url = template.format(**targets)
    if method == "GET":
        return client.get(url)
    return client.post(url, data=data if data is not None else {"csrf_token": form_token(client, "/")})


@pytest.mark.parametrize("method, template", STAFF_ROUTES)
def test_participants_get_403_and_anonymous_people_are_sent_to_log_in(app, targets, reporters, method, template):
    assert call(client_for(app, reporters[0]), method, template, targets).status_code == 403
    anonymous = client_for(app, None)
    response = call(anonymous, method, template, targets, data={"csrf_token": form_token(anonymous, "/")})
    assert response.status_code == 302 and "/logowanie" in response.headers["Location"]
    assert db.session.scalars(select(AuditLog)).all() == []


def test_reporting_needs_a_verified_account(app, targets, make_user):
    anonymous = client_for(app, None)
    response = call(anonymous, *REPORT, targets, data={"csrf_token": form_token(anonymous, "/")})
    assert response.status_code == 302 and "/logowanie" in response.headers["Location"]
    assert call(client_for(app, make_user("nowa@example.org", verified=False)), *REPORT, targets).status_code == 403


@pytest.mark.parametrize("method, template", [route for route in STAFF_ROUTES if route[0] == "POST"] + [REPORT])
def test_a_post_without_a_csrf_token_is_refused(app, targets, moderator, reporters, method, template):
    user = reporters[0] if template == REPORT[1] else moderator
    client = client_for(app, user)
    data = {"reason": "spam", "title": "Nowy", "public_reason": "x", "version": "1", "block_reason": "x",
            "unblock_reason": "x", "trusted": "1", "trust_reason": "x", "move_reason": "x"}
    assert call(client, method, template, targets, data=data).status_code == 400
    assert db.session.scalars(select(AuditLog)).all() == [] and db.session.scalars(select(Flag)).all() == []
    thread = fresh(Thread, targets["thread"])
    assert (thread.title, thread.is_locked, thread.pinned) == ("Uwagi ogólne", False, False)


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
def test_staff_see_the_tools_and_participants_do_not(app, targets, general, reporters, make_user, role):
    staff = client_for(app, make_user("staff@um.torun.example", role=role))
    assert "Narzędzia moderatora" in staff.get(thread_url(general)).get_data(as_text=True)
    for method, template in STAFF_ROUTES:
        if method == "GET":
            assert call(staff, method, template, targets).status_code == 200, template
    html = client_for(app, reporters[0]).get(thread_url(general)).get_data(as_text=True)
    assert "Narzędzia moderatora" not in html and "/moderacja/" not in html
