"""A report a city can sign: published only after the e-consultation, numbers that never move,
corrections made in the open with the version before them kept.
"""
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.forum.models import Post
from portal.moderation import services as moderation
from portal.reports.models import Report, ReportVersion
from tests.conftest import form_token, signed_in, visible_text
from tests.factories import SLUG, answer, answer_all, publish_with_the_form

REPORT = f"/konsultacje/{SLUG}/raport"
MANAGE = f"/zespol/konsultacje/{SLUG}/raport"
WORKSPACE = f"/zespol/konsultacje/{SLUG}/odpowiedzi"


def row_text(html: str, number: int) -> str:
    """The visible text of the report's row for comment `number` (its anchor, as e-mails link it)."""
    match = re.search(rf'<tr id="uwaga-{number}">(.*?)</tr>', html, re.DOTALL)
    assert match, f"no row uwaga-{number}"
    return visible_text(match.group(1))


@pytest.mark.parametrize("wall, published", [("2020-09-30 23:59:59", False), ("2020-10-01 00:00:00", True)])
def test_the_report_is_published_only_once_the_e_consultation_has_ended(
        client, commented, frozen_clock, wall, published):
    answer_all(commented)
    frozen_clock.set_local(wall)
    response = publish_with_the_form(client, commented.moderator)
    db.session.expire_all()
    report = db.session.get(Report, commented.consultation.id)
    assert (report is not None and report.is_published) is published
    if not published:
        assert response.status_code == 200  # the form again, as for any other refusal
        text = visible_text(response.get_data(as_text=True))
        assert "Zgłaszanie uwag trwa do 1 października 2020 r., godz. 00:00." in text
        assert "Program współpracy z organizacjami pozarządowymi" in text  # the summary typed is kept
    else:
        assert response.status_code == 303


def test_numbers_given_at_publication_never_move_when_a_comment_comes_in_late(
        app, client, commented, frozen_clock, smtp_sink):
    answer_all(commented)
    late = commented.pending  # written in the window, still waiting for a moderator at publication
    publish_with_the_form(client, commented.moderator)
    before = client.get(REPORT).get_data(as_text=True)
    told = smtp_sink.to("anna@ngo.example")[0].get_content()
    assert "#uwaga-3" in told and "Zdefiniujcie" in row_text(before, 2)

    with app.test_request_context():
        late = db.session.get(Post, late.id)
        moderation.approve(commented.moderator, late, late.version)
        answer(commented.consultation, [late], "explanation", "Dziękujemy.")
        db.session.commit()
    after = client.get(REPORT).get_data(as_text=True)
    # The late comment sits with the general comments (first in the report) but takes number 6.
    assert "Czekam na moderację." in row_text(after, 6)
    for number in range(1, 6):
        assert row_text(after, number) == row_text(before, number)
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Post.report_number).where(Post.report_number.is_not(None)))) \
        == [1, 2, 3, 4, 5, 6]


def test_a_correction_after_publication_is_dated_and_the_version_before_it_stays_readable(
        app, client, commented, frozen_clock):
    answer_all(commented)
    publish_with_the_form(client, commented.moderator)
    assert "zaktualizowano" not in visible_text(client.get(REPORT).get_data(as_text=True))

    frozen_clock.set_local("2020-10-07 09:30:00")
    staff = signed_in(app, commented.moderator)
    first = commented.comments[0]  # report number 1: the general comment
    staff.post(f"{WORKSPACE}/{first.id}", data={
        "decision": "accepted", "justification": "Dodamy rozdział o wolontariacie.",
        "csrf_token": form_token(staff, WORKSPACE)})

    reader = app.test_client()
    page = visible_text(reader.get(REPORT).get_data(as_text=True)).replace(" ;", ";")  # </time>;
    assert "Opublikowano: 5 października 2020 r.; zaktualizowano: 7 października 2020 r., godz. 09:30" in page
    assert "Dodamy rozdział o wolontariacie." in page
    assert "wersja 1 z 5 października 2020 r., godz. 12:00" in page
    old = visible_text(reader.get(f"{REPORT}/wersje/1").get_data(as_text=True))
    assert "Wolontariat opisuje § 4 programu." in old and "Dodamy rozdział" not in old
    assert [v.number for v in db.session.scalars(select(ReportVersion).order_by(ReportVersion.number))] == [1, 2]
    assert reader.get(f"{REPORT}/wersje/3").status_code == 404


def test_versions_are_not_public_before_the_report_is(client, commented):
    answer_all(commented)
    publish_with_the_form(client, commented.moderator)
    client.post(f"{MANAGE}/wycofanie", data={"csrf_token": form_token(client, MANAGE)})
    client.post("/wyloguj", data={"csrf_token": form_token(client, MANAGE)})
    assert client.get(f"{REPORT}/wersje/1").status_code == 404
