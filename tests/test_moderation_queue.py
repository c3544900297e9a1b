"""Pre-moderation and the moderators' queue: pending comments wait, moderators decide once.

With ModerationMode.ALL a participant's comment is seen by its author and moderators only and
notifies nobody until approved; approval, rejection, edits, hiding go through the one service,
each form carrying the version the moderator saw, so two moderators never act twice.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from portal import clock
from portal.audit import AuditLog
from portal.consultations.models import Consultation, ModerationMode, Status
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.models import Post, PostRevision, PostState, Thread, ThreadKind
from portal.moderation import services as moderation
from portal.moderation.models import Flag, FlagReason
from tests.conftest import form_token, login_as, signed_in

SLUG = "program-wspolpracy-2021"
IN_WINDOW = "2020-09-20 12:00:00"
QUEUE = "/moderacja/kolejka"


# --- fixtures and helpers ------------------------------------------------------------------

def premoderate(consultation: Consultation) -> None:
    consultation.moderation_mode = ModerationMode.ALL
    db.session.commit()


def thread_url(thread) -> str:
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"



def write(client, thread, body, **fields):
    return client.post(thread_url(thread), data={"body": body, "action": "send", **fields,
                                                 "csrf_token": form_token(client, thread_url(thread))})


def later(frozen_clock, minutes=1) -> None:
    """One participant's comments are at least 30 s apart."""
    frozen_clock.set(clock.now_utc() + timedelta(minutes=minutes))


def fresh(post: Post) -> Post:
    db.session.expire_all()
    return db.session.get(Post, post.id)


def last_post() -> Post:
    db.session.expire_all()
    return db.session.scalar(select(Post).order_by(Post.id.desc()).limit(1))


def version_on(html: str, post_id: int, action: str = "zatwierdz") -> str:
    """The version a moderator's form for this comment carries, as the page shows it."""
    match = re.search(rf'action="/moderacja/uwagi/{post_id}/{action}".*?name="version" value="(\d+)"', html, re.DOTALL)
    assert match, f"no {action} form for comment {post_id}"
    return match.group(1)


def act(client, post_id, action, version, page=QUEUE, **fields):
    """Send a moderator's form as from the page it is on (token and `next` from that page)."""
    token = form_token(client, page)
    return client.post(f"/moderacja/uwagi/{post_id}/{action}",
                       data={"csrf_token": token, "version": version, "next": page, **fields})


def audit_rows(post: Post) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.target_type == "post",
                                                     AuditLog.target_id == post.id).order_by(AuditLog.id)).all()


def page_text(client, url) -> str:
    return client.get(url, follow_redirects=True).get_data(as_text=True)


# --- pending comments ------------------------------------------------------------------------

def test_a_pending_comment_is_seen_by_its_author_and_moderators_and_notifies_once_when_approved(
        app, client, torun, general, anna, jan, moderator, make_user, frozen_clock, smtp_sink):
    ewa = make_user("ewa@ngo.example", name="Ewa")
    frozen_clock.set_local(IN_WINDOW)
    parent = forum.post_comment(jan, general, "Uwaga Jana o harmonogramie.")  # no pre-moderation yet
    forum.subscribe(ewa, general)
    db.session.commit()
    premoderate(torun)
    smtp_sink.clear()

    later(frozen_clock)
    author = signed_in(app, anna)
    response = write(author, general, "Zgadzam się z Janem, ale **termin** jest za krótki.", parent_id=str(parent.id))
    assert response.status_code == 302
    post = last_post()
    assert post.state == PostState.PENDING and post.notified_at is None
    assert smtp_sink.messages == []  # nobody is told about a comment nobody may see yet

    html = author.get(thread_url(general)).get_data(as_text=True)
    assert "<strong>termin</strong>" in html and "czeka na zatwierdzenie" in html
    assert "termin</strong>" not in client.get(thread_url(general)).get_data(as_text=True)  # anonymous
    assert "termin</strong>" not in signed_in(app, ewa).get(thread_url(general)).get_data(as_text=True)
    assert general.comment_count == 1  # Jan's only

    staff = signed_in(app, moderator)
    queue = staff.get(QUEUE).get_data(as_text=True)
    assert "termin</strong>" in queue and anna.display_name in queue
    response = act(staff, post.id, "zatwierdz", version_on(queue, post.id))
    assert response.status_code == 303 and response.headers["Location"] == QUEUE
    assert f"Uwaga #{post.id} została zatwierdzona i opublikowana." in page_text(staff, QUEUE)

    post = fresh(post)
    assert post.state == PostState.APPROVED and post.version == 2 and post.notified_at is not None
    assert db.session.get(Thread, general.id).comment_count == 2
    assert "termin</strong>" in client.get(thread_url(general)).get_data(as_text=True)
    [reply_mail] = smtp_sink.to(jan.email)
    assert reply_mail["Subject"] == "Nowa odpowiedź na Twoją uwagę" and "za krótki" in reply_mail.get_content()
    [follower_mail] = smtp_sink.to(ewa.email)
    assert "za krótki" in follower_mail.get_content()
    assert smtp_sink.to(anna.email) == []  # never about one's own comment
    assert [row.action for row in audit_rows(post)] == ["post_approved"]

    # Hidden and shown again from the thread page: published once, so nobody is told again.
    page = thread_url(general)
    html = staff.get(page).get_data(as_text=True)
    act(staff, post.id, "ukryj", version_on(html, post.id, "ukryj"), page=page, public_reason="Do wyjaśnienia.")
    html = staff.get(page).get_data(as_text=True)
    act(staff, post.id, "pokaz", version_on(html, post.id, "pokaz"), page=page)
    post = fresh(post)
    assert post.state == PostState.APPROVED and post.version == 4
    assert len(smtp_sink.messages) == 2
    assert [row.action for row in audit_rows(post)] == ["post_approved", "post_hidden", "post_unhidden"]


def test_rejection_tells_the_author_the_reason_and_gives_back_the_full_text(
        app, client, torun, general, anna, moderator, frozen_clock, smtp_sink):
    premoderate(torun)
    frozen_clock.set_local(IN_WINDOW)
    body = "Pierwszy akapit z <b>nawiasami</b> & znakami.\n\nDrugi akapit: pan Kowalski, tel. 600 000 000."
    author = signed_in(app, anna)
    write(author, general, body)
    post = last_post()
    staff = signed_in(app, moderator)

    # "inny powód" needs a note: nothing happens without it.
    html = staff.get(QUEUE).get_data(as_text=True)
    response = act(staff, post.id, "odrzuc", version_on(html, post.id, "odrzuc"), reason="other", note="")
    assert response.status_code == 303
    assert "Przy powodzie „inny powód” opisz go" in page_text(staff, QUEUE)
    assert fresh(post).state == PostState.PENDING and smtp_sink.messages == []

    act(staff, post.id, "odrzuc", version_on(html, post.id, "odrzuc"), reason="personal_data",
        note="Prosimy nie podawać numerów telefonów.")
    post = fresh(post)
    assert post.state == PostState.REJECTED
    assert post.moderation_reason == "zawiera dane osobowe: Prosimy nie podawać numerów telefonów."
    [message] = smtp_sink.messages
    assert message["To"] == anna.email and message["Subject"] == "Twoja uwaga nie została opublikowana"
    content = message.get_content().replace("\r\n", "\n")
    assert "zawiera dane osobowe: Prosimy nie podawać numerów telefonów." in content
    assert body in content  # every word the author typed, unescaped
    assert f"http://localhost/forum/uwagi/{post.id}" in content

    own_view = author.get(thread_url(general)).get_data(as_text=True)
    assert "odrzucona: zawiera dane osobowe: Prosimy nie podawać numerów telefonów." in own_view
    assert "Drugi akapit" not in client.get(thread_url(general)).get_data(as_text=True)
    assert "Drugi akapit" not in staff.get(QUEUE).get_data(as_text=True)  # left the queue
    assert db.session.get(Thread, general.id).comment_count == 0
    assert [row.action for row in audit_rows(post)] == ["post_rejected"]


def test_approval_with_edits_keeps_the_original_as_a_revision_and_tells_the_author(
        app, client, torun, general, anna, moderator, frozen_clock, smtp_sink):
    premoderate(torun)
    frozen_clock.set_local(IN_WINDOW)
    write(signed_in(app, anna), general, "Proszę dzwonić: 600 000 000. Program pomija seniorów.")
    post = last_post()
    staff = signed_in(app, moderator)
    html = staff.get(QUEUE).get_data(as_text=True)
    assert "<details" in html and "Zatwierdź z poprawkami" in html
    assert ">Proszę dzwonić: 600 000 000. Program pomija seniorów.</textarea>" in html  # prefilled

    act(staff, post.id, "zatwierdz", version_on(html, post.id),
        edited_body="Proszę dzwonić: [usunięto dane osobowe]. Program pomija seniorów.")
    post = fresh(post)
    assert post.state == PostState.APPROVED and post.edited_at is not None
    assert post.body == "Proszę dzwonić: [usunięto dane osobowe]. Program pomija seniorów."
    assert [r.body for r in db.session.scalars(select(PostRevision))] == [
        "Proszę dzwonić: 600 000 000. Program pomija seniorów."]
    [message] = smtp_sink.to(anna.email)
    assert message["Subject"] == "Twoja uwaga została opublikowana z poprawkami"
    assert "[usunięto dane osobowe]" in message.get_content()
    assert f"http://localhost/forum/uwagi/{post.id}" in message.get_content()
    public = client.get(thread_url(general)).get_data(as_text=True)
    assert "[usunięto dane osobowe]" in public and "600 000 000" not in public
    assert [row.action for row in audit_rows(post)] == ["post_approved_with_edits"]


def test_the_prefilled_text_sent_back_unchanged_is_a_plain_approval(
        app, torun, general, anna, moderator, frozen_clock, smtp_sink):
    premoderate(torun)
    frozen_clock.set_local(IN_WINDOW)
    write(signed_in(app, anna), general, "Pierwsza linia.\nDruga linia.")
    post = last_post()
    staff = signed_in(app, moderator)
    version = version_on(staff.get(QUEUE).get_data(as_text=True), post.id)
    act(staff, post.id, "zatwierdz", version, edited_body="Pierwsza linia.\r\nDruga linia.\r\n")  # as browsers send
    assert fresh(post).state == PostState.APPROVED and fresh(post).edited_at is None
    assert db.session.scalar(select(func.count(PostRevision.id))) == 0
    assert smtp_sink.to(anna.email) == []


@pytest.mark.parametrize("first, second", [
    ("approve", "approve"),
    ("reject", "approve_with_edits"),
    ("approve", "reject"),
])
def test_two_moderators_in_two_sessions_act_once_and_the_second_is_told_who_was_first(
        app, torun, general, anna, jan, moderator, second_moderator, frozen_clock, smtp_sink, first, second):
    frozen_clock.set_local(IN_WINDOW)
    forum.subscribe(jan, general)  # a follower: approval e-mails him
    db.session.commit()
    premoderate(torun)
    write(signed_in(app, anna), general, "Uwaga do rozpatrzenia.")
    post = last_post()

    first_session, second_session = signed_in(app, moderator), signed_in(app, second_moderator)
    first_version = version_on(first_session.get(QUEUE).get_data(as_text=True), post.id)
    second_version = version_on(second_session.get(QUEUE).get_data(as_text=True), post.id)
    assert first_version == second_version == "1"

    def send(client, action, version):
        if action == "approve":
            return act(client, post.id, "zatwierdz", version)
        if action == "approve_with_edits":
            return act(client, post.id, "zatwierdz", version, edited_body="Uwaga po poprawkach drugiego.")
        return act(client, post.id, "odrzuc", version, reason="spam")

    send(first_session, first, first_version)
    response = send(second_session, second, second_version)
    assert response.status_code == 303
    html = page_text(second_session, QUEUE)
    assert f"Ta uwaga została już obsłużona przez: {moderator.display_name}." in html
    assert 'class="flash flash--error"' in html

    post = fresh(post)
    assert post.state == (PostState.APPROVED if first == "approve" else PostState.REJECTED)
    assert post.version == 2 and post.body == "Uwaga do rozpatrzenia."
    assert len(audit_rows(post)) == 1
    assert db.session.scalar(select(func.count(PostRevision.id))) == 0  # the loser's edit left nothing
    assert len(smtp_sink.messages) == 1  # the follower's notice, or the author's rejection: once
    assert smtp_sink.messages[0]["To"] == (jan.email if first == "approve" else anna.email)
    assert db.session.get(Thread, general.id).comment_count == (1 if first == "approve" else 0)


# --- bulk ------------------------------------------------------------------------------------

def test_bulk_approval_and_rejection_report_each_item(app, torun, general, anna, jan, moderator, second_moderator,
                                                      frozen_clock, smtp_sink):
    premoderate(torun)
    frozen_clock.set_local(IN_WINDOW)
    ids = []
    for n in range(4):
        later(frozen_clock)
        ids.append(forum.post_comment(anna if n % 2 == 0 else jan, general, f"Uwaga zbiorcza {n}").id)
    db.session.commit()
    staff = signed_in(app, moderator)
    html = staff.get(QUEUE).get_data(as_text=True)
    assert html.count('name="post_ids"') == 4 and 'form="zbiorczo"' in html
    versions = {f"version-{post_id}": version_on(html, post_id) for post_id in ids}

    # Meanwhile another moderator rejects the second one.
    other = signed_in(app, second_moderator)
    act(other, ids[1], "odrzuc", "1", reason="duplicate")
    smtp_sink.clear()

    token = form_token(staff, QUEUE)
    response = staff.post("/moderacja/zbiorczo", data={
        "csrf_token": token, "action": "approve", "post_ids": [str(ids[0]), str(ids[1])], **versions, "next": QUEUE})
    assert response.status_code == 303
    html = page_text(staff, QUEUE)
    assert f"Zatwierdzono i opublikowano: #{ids[0]} (razem: 1)." in html
    assert f"Uwaga #{ids[1]}: Ta uwaga została już obsłużona przez: {second_moderator.display_name}." in html
    assert [fresh(db.session.get(Post, i)).state for i in ids[:2]] == [PostState.APPROVED, PostState.REJECTED]

    # Rejecting needs a reason; with one, every author is told.
    smtp_sink.clear()
    response = staff.post("/moderacja/zbiorczo", data={
        "csrf_token": token, "action": "reject", "post_ids": [str(ids[2]), str(ids[3])], **versions})
    assert "Wybierz powód odrzucenia." in page_text(staff, QUEUE)
    assert db.session.get(Post, ids[2]).state == PostState.PENDING
    staff.post("/moderacja/zbiorczo", data={
        "csrf_token": token, "action": "reject", "reason": "off_topic", "post_ids": [str(ids[2]), str(ids[3])],
        **versions})
    html = page_text(staff, QUEUE)
    assert f"Odrzucono: #{ids[2]}, #{ids[3]} (razem: 2)." in html
    assert "Kolejka jest pusta" in html
    assert {m["To"] for m in smtp_sink.messages} == {anna.email, jan.email}
    assert all("nie dotyczy tematu konsultacji" in m.get_content() for m in smtp_sink.messages)
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.target_type == "post")) == 4


# --- hiding ----------------------------------------------------------------------------------

def test_hiding_with_a_public_reason_shows_a_placeholder_and_keeps_the_replies(
        app, client, general, anna, jan, moderator, frozen_clock, smtp_sink):
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Uwaga z nazwiskiem sąsiada.")
    later(frozen_clock)
    reply = forum.post_comment(jan, general, "Odpowiedź, która zostaje.", parent=post)
    db.session.commit()
    page = thread_url(general)
    staff = signed_in(app, moderator)
    html = staff.get(page).get_data(as_text=True)
    assert "Ukryj" in html and 'name="public_reason"' in html and "required" in html

    response = act(staff, post.id, "ukryj", version_on(html, post.id, "ukryj"), page=page, public_reason="  ")
    assert "Podaj powód ukrycia" in page_text(staff, page) and fresh(post).state == PostState.APPROVED

    response = act(staff, post.id, "ukryj", version_on(html, post.id, "ukryj"), page=page,
                   next=f"/forum/uwagi/{post.id}", public_reason="dane osobowe osoby trzeciej")
    assert response.headers["Location"] == f"/forum/uwagi/{post.id}"  # back to the comment in context
    post = fresh(post)
    assert post.state == PostState.HIDDEN and post.moderation_reason == "dane osobowe osoby trzeciej"
    public = client.get(page).get_data(as_text=True)
    assert "Uwaga ukryta przez moderatora: dane osobowe osoby trzeciej" in public
    assert "nazwiskiem sąsiada" not in public and "Odpowiedź, która zostaje." in public
    assert f'id="k-{reply.id}"' in public
    staff_view = staff.get(page).get_data(as_text=True)
    assert "nazwiskiem sąsiada" in staff_view and version_on(staff_view, post.id, "pokaz") == "2"
    assert db.session.get(Thread, general.id).comment_count == 1
    assert smtp_sink.to(anna.email) == []


def report_three_times(post, make_user, prefix) -> None:
    for n in range(3):
        reporter = make_user(f"{prefix}{n}@ngo.example")
        db.session.add(Flag(post_id=post.id, reporter_id=reporter.id, reason=FlagReason.OFFENSIVE,
                            note=f"powód {n}", created_at=clock.now_utc()))
    moderation.hide_by_flags(post)
    db.session.commit()


def test_a_comment_hidden_by_reports_says_so_and_waits_for_a_moderator(app, client, general, anna, jan, moderator,
                                                                      make_user, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Sporna uwaga.")
    later(frozen_clock)
    other = forum.post_comment(jan, general, "Uwaga zgłoszona niesłusznie.")
    db.session.flush()
    report_three_times(post, make_user, "r")
    report_three_times(other, make_user, "s")
    page = thread_url(general)
    public = client.get(page).get_data(as_text=True)
    assert public.count("Uwaga ukryta po zgłoszeniach użytkowników — czeka na decyzję moderatora.") == 2
    assert "Sporna uwaga." not in public

    staff = signed_in(app, moderator)
    queue = staff.get(QUEUE).get_data(as_text=True)
    assert queue.count("ukryta automatycznie po zgłoszeniach — czeka na decyzję") == 2 and "od różnych osób: 3" in queue
    item = queue[queue.index(f'id="pozycja-{post.id}"'):queue.index(f'id="pozycja-{other.id}"')]
    assert f'action="/moderacja/uwagi/{post.id}/zgloszenia/uznaj"' in item
    assert f'action="/moderacja/uwagi/{post.id}/zgloszenia/oddal"' in item
    assert 'value="treść obraźliwa"' in item  # the public reason offered for the reports' reason

    # On the thread page the moderator keeps one hidden with a reason of their own: reports agreed.
    html = staff.get(page).get_data(as_text=True)
    assert "Pozostaw ukrytą z powodem" in html
    act(staff, post.id, "ukryj", version_on(html, post.id, "ukryj"), page=page,
        public_reason="obraźliwe określenia")
    post = fresh(post)
    assert post.state == PostState.HIDDEN and not post.hidden_by_flags
    assert "Uwaga ukryta przez moderatora: obraźliwe określenia" in client.get(page).get_data(as_text=True)
    assert set(db.session.scalars(select(Flag.resolution).where(Flag.post_id == post.id))) == {"agreed"}

    # From the queue the other one's reports are dismissed: it is shown again, back to the queue.
    queue = staff.get(QUEUE).get_data(as_text=True)
    version = version_on(queue, other.id, "zgloszenia/oddal")
    response = staff.post(f"/moderacja/uwagi/{other.id}/zgloszenia/oddal", data={
        "csrf_token": form_token(staff, QUEUE), "version": version, "next": QUEUE})
    assert response.status_code == 303 and response.headers["Location"] == QUEUE
    assert fresh(other).state == PostState.APPROVED
    assert "Uwaga zgłoszona niesłusznie." in client.get(page).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.resolved_at.is_(None))) == 0
    assert "Kolejka jest pusta" in staff.get(QUEUE).get_data(as_text=True)
    assert db.session.get(Thread, general.id).comment_count == 1


def test_showing_again_a_comment_hidden_by_reports_dismisses_them(app, client, general, anna, moderator, make_user,
                                                                  frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Uwaga ukryta po zgłoszeniach.")
    db.session.flush()
    report_three_times(post, make_user, "r")
    staff = signed_in(app, moderator)
    page = thread_url(general)
    html = staff.get(page).get_data(as_text=True)
    act(staff, post.id, "pokaz", version_on(html, post.id, "pokaz"), page=page)
    assert fresh(post).state == PostState.APPROVED and not fresh(post).hidden_by_flags
    assert set(db.session.scalars(select(Flag.resolution).where(Flag.post_id == post.id))) == {"dismissed"}
    assert "Uwaga ukryta po zgłoszeniach." in client.get(page).get_data(as_text=True)


# --- the queue -------------------------------------------------------------------------------

def test_the_queue_shows_each_item_in_context_with_its_author_history_and_reports(
        app, torun, section_thread, general, anna, jan, moderator, make_user, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    # Anna's history: two approved earlier, one rejected.
    earlier = []
    for n in range(3):
        later(frozen_clock)
        earlier.append(forum.post_comment(anna, general, f"Wcześniejsza uwaga {n}"))
    db.session.flush()
    earlier[2].state = PostState.REJECTED
    # A published comment reported twice by two people (flags made directly), still open.
    later(frozen_clock)
    reported = forum.post_comment(jan, general, "Zgłoszona uwaga Jana.")
    db.session.flush()
    reporters = [make_user("z1@ngo.example"), make_user("z2@ngo.example")]
    db.session.add_all([
        Flag(post_id=reported.id, reporter_id=reporters[0].id, reason=FlagReason.SPAM, note="reklama sklepu"),
        Flag(post_id=reported.id, reporter_id=reporters[1].id, reason=FlagReason.OFFENSIVE, note=""),
        Flag(post_id=earlier[0].id, reporter_id=reporters[0].id, reason=FlagReason.SPAM,
             resolved_at=clock.now_utc(), resolution="dismissed"),  # settled: not in the queue
    ])
    db.session.commit()
    premoderate(torun)
    later(frozen_clock)
    pending = forum.post_comment(anna, section_thread, "Uwaga do ustępu drugiego.", paragraph=2, on_behalf=True)
    db.session.commit()

    staff = signed_in(app, moderator)
    html = staff.get(QUEUE).get_data(as_text=True)
    assert "Czeka na decyzję: 2." in html
    assert html.index("Zgłoszona uwaga Jana.") < html.index("Uwaga do ustępu drugiego.")  # oldest first
    assert "Wcześniejsza uwaga 0" not in html
    item = html[html.index(f'id="pozycja-{pending.id}"'):]
    assert "§ 6 ust. 2. Formy współpracy" in item
    assert f'href="/forum/uwagi/{pending.id}"' in item
    assert anna.display_name in item and anna.organisation.name in item and "organizacja zweryfikowana" in item
    assert "zatwierdzone: 2, odrzucone: 1, ukryte: 0" in item
    flagged = html[html.index(f'id="pozycja-{reported.id}"'):html.index(f'id="pozycja-{pending.id}"')]
    assert "Zgłoszenia: 2, od różnych osób: 2" in flagged
    assert "<li>spam — <q>reklama sklepu</q>" in flagged and "<li>obraźliwa treść" in flagged
    assert "opublikowana, zgłoszona" in flagged and 'name="post_ids"' not in flagged  # not in bulk
    assert "Uwagi ogólne" in flagged

    # Hiding it from the thread page agrees with the reports: they are closed, it leaves the queue.
    page = thread_url(general)
    act(staff, reported.id, "ukryj", version_on(staff.get(page).get_data(as_text=True), reported.id, "ukryj"),
        page=page, public_reason="reklama")
    assert db.session.scalars(select(Flag.resolution).where(Flag.post_id == reported.id)).all() == ["agreed", "agreed"]
    assert "Zgłoszona uwaga Jana." not in staff.get(QUEUE).get_data(as_text=True)


def test_the_queue_can_be_narrowed_to_one_consultation(app, torun, general, anna, moderator, frozen_clock):
    premoderate(torun)
    frozen_clock.set_local(IN_WINDOW)
    other = Consultation(slug="budzet-2021", title="Budżet obywatelski", status=Status.PUBLISHED)
    db.session.add(other)
    db.session.flush()
    other_thread = Thread(consultation_id=other.id, kind=ThreadKind.GENERAL, title="Uwagi o budżecie")
    db.session.add(other_thread)
    db.session.flush()
    db.session.add(Post(thread_id=other_thread.id, author_id=anna.id, body="O budżecie", body_html="<p>O budżecie</p>",
                        state=PostState.PENDING, created_at=clock.now_utc(), path="x", depth=0))
    later(frozen_clock)
    forum.post_comment(anna, general, "O programie współpracy")
    db.session.commit()
    staff = signed_in(app, moderator)
    everything = staff.get(QUEUE).get_data(as_text=True)
    assert "O budżecie" in everything and "O programie współpracy" in everything
    narrowed = staff.get(f"{QUEUE}?konsultacja={SLUG}").get_data(as_text=True)
    assert "O budżecie" not in narrowed and "O programie współpracy" in narrowed
    assert f'name="next" value="{QUEUE}?konsultacja={SLUG}"' in narrowed  # actions come back here
    assert staff.get(f"{QUEUE}?konsultacja=nie-ma-takiej").status_code == 404


def test_the_queue_is_paged_fifty_at_a_time(app, general, anna, moderator, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    add_pending(general.id, [anna.id], 51)
    staff = signed_in(app, moderator)
    first = staff.get(QUEUE).get_data(as_text=True)
    assert first.count('class="comment-item"') == 50 and "strona 1 z 2" in first
    second = staff.get(f"{QUEUE}?strona=2").get_data(as_text=True)
    assert second.count('class="comment-item"') == 1 and "Oczekująca 50" in second
    beyond = staff.get(f"{QUEUE}?strona=9").get_data(as_text=True)
    assert "Czeka na decyzję: 51." in beyond


def add_pending(thread_id, author_ids, count) -> None:
    """`count` pending comments straight into the table, oldest first, by the authors in turn."""
    start = clock.now_utc()
    db.session.execute(insert(Post), [
        {"thread_id": thread_id, "author_id": author_ids[n % len(author_ids)], "body": f"Oczekująca {n}",
         "body_html": f"<p>Oczekująca {n}</p>", "state": PostState.PENDING, "depth": 0, "path": f"{n:09d}",
         "created_at": start + timedelta(seconds=n), "version": 1, "moderation_reason": "",
         "hidden_by_flags": False, "is_official": False}
        for n in range(count)])
    db.session.commit()


def test_the_queue_costs_the_same_few_queries_for_10_or_1000_items(
        app, general, anna, jan, moderator, make_user, frozen_clock, count_queries):
    frozen_clock.set_local(IN_WINDOW)
    authors = [anna, jan] + [make_user(f"autor{n}@ngo.example") for n in range(8)]
    later(frozen_clock, minutes=-60)
    reported = forum.post_comment(jan, general, "Zgłoszona")  # published, then reported by three
    db.session.flush()
    for n, reporter in enumerate(authors[2:5]):
        db.session.add(Flag(post_id=reported.id, reporter_id=reporter.id, reason=FlagReason.SPAM, note=f"n{n}"))
    db.session.commit()
    frozen_clock.set_local(IN_WINDOW)
    staff = signed_in(app, moderator)
    thread_id, author_ids = general.id, [author.id for author in authors]
    counts = {}
    for size in (10, 1000):
        db.session.execute(Post.__table__.delete().where(Post.state == PostState.PENDING))
        add_pending(thread_id, author_ids, size)
        with count_queries() as queries:
            response = staff.get(QUEUE)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert html.count('class="comment-item"') == min(size + 1, 50)
        assert f"Czeka na decyzję: {size + 1}." in re.sub(r"(?<=\d)\s(?=\d)", "", html)  # "1 001"
        counts[size] = queries.statements
    assert len(counts[10]) == len(counts[1000]) <= 8, counts[1000]


# --- access, tokens, redirects ---------------------------------------------------------------

ROUTES = [
    ("GET", QUEUE),
    ("POST", "/moderacja/uwagi/{id}/zatwierdz"),
    ("POST", "/moderacja/uwagi/{id}/odrzuc"),
    ("POST", "/moderacja/uwagi/{id}/ukryj"),
    ("POST", "/moderacja/uwagi/{id}/pokaz"),
    ("POST", "/moderacja/zbiorczo"),
]


@pytest.mark.parametrize("method, route", ROUTES)
def test_participants_get_403_and_anonymous_people_are_sent_to_log_in(app, torun, general, anna, jan,
                                                                      frozen_clock, method, route):
    premoderate(torun)
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Czekająca uwaga.")
    db.session.commit()
    url = route.format(id=post.id)
    data = {"version": "1", "reason": "spam", "public_reason": "x", "action": "approve",
            "post_ids": str(post.id), f"version-{post.id}": "1"}
    for who in ("participant", "anonymous"):
        client = app.test_client()
        if who == "participant":
            login_as(client, jan)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={**data, "csrf_token": form_token(client, "/")})
        if who == "participant":
            assert response.status_code == 403, (who, url)
        else:
            assert response.status_code == 302 and response.headers["Location"].startswith("/logowanie"), (who, url)
    assert fresh(post).state == PostState.PENDING
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0


def test_a_stale_token_changes_nothing_and_gives_the_typed_text_back(app, torun, general, anna, moderator,
                                                                     frozen_clock):
    premoderate(torun)
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Tekst autorki.")
    db.session.commit()
    staff = signed_in(app, moderator)
    response = staff.post(f"/moderacja/uwagi/{post.id}/zatwierdz", data={
        "csrf_token": "wygasly", "version": "1", "next": QUEUE, "edited_body": "Poprawki pisane przez godzinę."})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz nie został wysłany" in html and "Poprawki pisane przez godzinę.</textarea>" in html
    assert f'action="/moderacja/uwagi/{post.id}/zatwierdz"' in html and 'name="version" value="1"' in html
    assert fresh(post).state == PostState.PENDING
    # Sent again with the fresh token from that page, it works.
    token = re.search(r'class="error-summary".*?name="csrf_token" value="([^"]+)"', html, re.DOTALL).group(1)
    staff.post(f"/moderacja/uwagi/{post.id}/zatwierdz", data={
        "csrf_token": token, "version": "1", "next": QUEUE, "edited_body": "Poprawki pisane przez godzinę."})
    assert fresh(post).body == "Poprawki pisane przez godzinę."


def test_only_local_paths_are_followed_after_an_action(app, torun, general, anna, moderator, frozen_clock):
    premoderate(torun)
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Uwaga.")
    db.session.commit()
    staff = signed_in(app, moderator)
    response = staff.post(f"/moderacja/uwagi/{post.id}/zatwierdz", data={
        "csrf_token": form_token(staff, QUEUE), "version": "1", "next": "//evil.example/x"})
    assert response.headers["Location"] == QUEUE
    assert fresh(post).state == PostState.APPROVED
    response = staff.post(f"/moderacja/uwagi/{post.id}/ukryj", data={
        "csrf_token": form_token(staff, QUEUE), "public_reason": "bez wersji"})  # a broken form
    assert response.status_code == 303 and "Brakuje wersji uwagi" in page_text(staff, QUEUE)
    assert fresh(post).state == PostState.APPROVED
    assert staff.post("/moderacja/uwagi/999999/zatwierdz", data={
        "csrf_token": form_token(staff, QUEUE), "version": "1"}).status_code == 404


def test_moderators_see_their_forms_on_the_thread_page_and_participants_do_not(
        app, torun, general, anna, jan, moderator, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    forum.post_comment(anna, general, "Opublikowana uwaga.")
    db.session.commit()
    premoderate(torun)
    later(frozen_clock)
    pending = forum.post_comment(jan, general, "Czekająca uwaga Jana.")
    db.session.commit()
    staff_view = signed_in(app, moderator).get(thread_url(general)).get_data(as_text=True)
    assert f'action="/moderacja/uwagi/{pending.id}/zatwierdz"' in staff_view
    assert f'action="/moderacja/uwagi/{pending.id}/odrzuc"' in staff_view
    assert "<summary>Ukryj" in staff_view
    participant_view = signed_in(app, anna).get(thread_url(general)).get_data(as_text=True)
    assert "/moderacja/" not in participant_view and "Czekająca uwaga Jana." not in participant_view


def test_participants_other_than_the_author_may_report_a_published_comment(app, general, anna, jan, moderator,
                                                                          frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Opublikowana uwaga.")
    db.session.commit()
    report_link = f'href="/forum/uwagi/{post.id}/zglos"'
    assert report_link in signed_in(app, jan).get(thread_url(general)).get_data(as_text=True)
    assert "Zgłoś naruszenie" in signed_in(app, jan).get(thread_url(general)).get_data(as_text=True)
    assert report_link not in signed_in(app, anna).get(thread_url(general)).get_data(as_text=True)  # own
    assert report_link not in signed_in(app, moderator).get(thread_url(general)).get_data(as_text=True)  # decides
    assert report_link not in app.test_client().get(thread_url(general)).get_data(as_text=True)


def test_the_moderators_header_shows_the_queue_count_without_an_extra_query(app, torun, general, jan, moderator,
                                                                            make_user, frozen_clock, count_queries):
    premoderate(torun)
    frozen_clock.set_local(IN_WINDOW)
    for n in range(3):
        forum.post_comment(make_user(f"osoba{n}@ngo.example"), general, f"Uwaga {n}")
    db.session.commit()
    staff = signed_in(app, moderator)
    participant = signed_in(app, jan)
    with count_queries() as staff_queries:
        html = staff.get("/").get_data(as_text=True)
    assert re.search(r'Moderacja <span class="badge badge--current">3<span class="visually-hidden"> czeka w kolejce', html)
    with count_queries() as participant_queries:
        assert "Moderacja" not in participant.get("/").get_data(as_text=True)
    assert staff_queries.count == participant_queries.count
