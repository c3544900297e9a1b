"""The report's numbering and answers, as every report page reads them (portal.reports.services)."""
from portal.extensions import db
from portal.reports.models import Answer, AnsweredComment, ChangeLink, Decision
from portal.reports.services import report_comments


def test_every_approved_top_level_comment_is_numbered_general_first_then_section_by_section(commented):
    data = report_comments(commented.consultation.id)
    assert [c.post.id for c in data.comments] == [post.id for post in commented.comments]
    assert [c.number for c in data.comments] == [1, 2, 3, 4, 5]
    assert [c.section_number for c in data.comments] == [None, 1, 2, 2, 3]
    assert data.comments[0].section_title == "Uwagi ogólne"
    assert data.comments[1].section_title == "Postanowienia ogólne"
    assert [c.submitter for c in data.comments] == [None, "Fundacja Rowerowa „Łańcuch”",
                                                    "Fundacja Rowerowa „Łańcuch”", None,
                                                    "Fundacja Rowerowa „Łańcuch”"]
    # Pending comments and replies are not in the report.
    assert commented.pending.id not in {c.post.id for c in data.comments}
    assert commented.reply.id not in {c.post.id for c in data.comments}


def test_a_shared_answer_points_to_the_first_comment_that_has_it(commented):
    consultation_id = commented.consultation.id
    answer = Answer(consultation_id=consultation_id, decision=Decision.ACCEPTED, justification="Zmieniono § 2.")
    db.session.add(answer)
    db.session.flush()
    for post in (commented.comments[2], commented.comments[3]):
        db.session.add(AnsweredComment(post_id=post.id, answer_id=answer.id, consultation_id=consultation_id))
    db.session.add(ChangeLink(post_id=commented.comments[2].id, section_number=2, consultation_id=consultation_id))
    db.session.commit()

    data = report_comments(consultation_id)
    assert data.answered == 2 and data.total == 5
    assert [c.shared_with for c in data.comments] == [None, None, None, 3, None]
    assert data.comments[2].changed_sections == [2]
    assert data.by_decision()[Decision.ACCEPTED] == 2
    assert data.by_section() == [(None, "Uwagi ogólne", 1), (1, "§ 1. Postanowienia ogólne", 1),
                                 (2, "§ 2. Formy współpracy", 2), (3, "§ 3. Finansowanie", 1)]
    assert data.organisations() == 1 and data.authors() == 2
    assert data.comments[2].answer.justification_html.strip() == "<p>Zmieniono § 2.</p>"
