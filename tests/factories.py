"""Data the tests build, defined once: drafts, comments, answers, files.

Plain functions and constants (fixtures live in conftest.py). They write straight into the
database through the models; what they skip (posting through the form, answering in the
workspace) is tested on its own in the capability's module.
"""
from __future__ import annotations

from portal import clock
from portal.extensions import db
from portal.forum.models import Post, PostState
from portal.reports.models import Answer, AnsweredComment, ChangeLink, Decision
from portal.sanitize import render_markdown

SMALL_DRAFT = """## Postanowienia ogólne

Program określa cele i zasady współpracy.

## Formy współpracy

Współpraca ma formę finansową i pozafinansową.

Gmina konsultuje projekty aktów prawa miejscowego.

## Finansowanie

Na realizację Programu przeznacza się 10 000 000 zł.
"""

# SMALL_DRAFT after the consultation: § 1 kept, a sentence of § 2
# extended, § 3 renamed with a new amount, § 4 added.
FINAL_DRAFT = """## Postanowienia ogólne

Program określa cele i zasady współpracy.

## Formy współpracy

Współpraca ma formę finansową i pozafinansową.

Gmina konsultuje projekty aktów prawa miejscowego z organizacjami pozarządowymi.

## Finansowanie i rozliczenia

Na realizację Programu przeznacza się 12 000 000 zł.

## Wolontariat

Gmina wspiera wolontariat.
"""

SLUG = "program-wspolpracy-2021"  # the Toruń demo consultation (portal/demo.py)

REPORT_SUMMARY = "Konsultacje trwały od **17 do 30 września 2020 r.** Odbyło się jedno spotkanie w Toruniu."


def add_comment(thread, author, body, *, organisation=None, parent=None, state=None, paragraph=None):
    """A comment written straight into the database (posting itself is tested in test_forum)."""

    post = Post(thread_id=thread.id, author_id=author.id, body=body, body_html=str(render_markdown(body)),
                organisation_id=organisation.id if organisation else None, paragraph_number=paragraph,
                state=state or PostState.APPROVED, parent_id=parent.id if parent else None,
                depth=parent.depth + 1 if parent else 0, created_at=clock.now_utc(),
                notified_at=clock.now_utc())
    db.session.add(post)
    db.session.flush()
    post.root_id = parent.root_id if parent else post.id
    post.path = f"{parent.path}.{post.id:09d}" if parent else f"{post.id:09d}"
    return post


def answer(consultation, posts, decision, justification):
    """One answer shared by the given comments (the first one gets it, the rest "jak w uwadze")."""

    row = Answer(consultation_id=consultation.id, decision=decision, justification=justification)
    db.session.add(row)
    db.session.flush()
    for post in posts:
        db.session.add(AnsweredComment(post_id=post.id, answer_id=row.id, consultation_id=consultation.id))
    return row


def answer_all(commented):
    """Answers to the five comments of `commented`: 4 shares the answer of 3; 3 (§ 2 ust. 1) changed § 2."""

    c, (first, second, third, fourth, fifth) = commented.consultation, commented.comments
    third.paragraph_number = 1
    answer(c, [first], Decision.EXPLANATION, "Wolontariat opisuje § 4 programu.")
    answer(c, [second], Decision.ACCEPTED, "Definicja zostanie rozszerzona.")
    answer(c, [third, fourth], Decision.PARTLY_ACCEPTED, "Terminy wydłużono do **30 dni**.")
    answer(c, [fifth], Decision.NOT_ACCEPTED, "Budżet gminy na to nie pozwala.")
    db.session.add(ChangeLink(post_id=third.id, section_number=2, consultation_id=c.id))
    db.session.commit()


def publish_with_the_form(client, user, summary: str = REPORT_SUMMARY):
    """The staff member publishes the report of the Toruń demo consultation with the form."""
    from tests.conftest import form_token, login_as

    login_as(client, user)
    manage = f"/zespol/konsultacje/{SLUG}/raport"
    return client.post(f"{manage}/publikacja", data={"summary": summary, "csrf_token": form_token(client, manage)})


def add_held_registration(consultation):
    """A pending registration (a seat held for 48 hours) in the consultation's first working group."""
    from datetime import timedelta

    from sqlalchemy import select

    from portal.registrations.models import GroupRegistration, Status, WorkingGroup

    group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.consultation_id == consultation.id)
                              .order_by(WorkingGroup.id))
    now = clock.now_utc()
    registration = GroupRegistration(
        consultation_id=consultation.id, group_id=group.id, status=Status.PENDING, full_name="Osoba Testowa",
        email="osoba@ngo.example", organisation_name="Org", recording_consent=True,
        privacy_notice_version="2020-08", privacy_notice_accepted_at=now, created_at=now,
        hold_expires_at=now + timedelta(hours=48))
    db.session.add(registration)
    return registration


def pdf_bytes(padding: int = 0) -> bytes:
    """The smallest file that is a PDF by content (`%PDF-`), `padding` bytes longer."""
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + b"%" + b"0" * padding
            + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")


# What a working group and (by default, Meeting.required_fields) a meeting require of an
# applicant besides name, e-mail and organisation name; spread into a posted sign-up form.
ORGANISATION_FIELDS = {"organisation_address": "ul. Szeroka 1, 87-100 Toruń",
                       "organisation_contact": "biuro@ngo.example",
                       "prior_activity": "Prowadzę zajęcia dla seniorów."}
