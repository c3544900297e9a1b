"""The demo shows a consultation as it would be on its day: during the electronic consultation
the forum already has a few example comments; afterwards (analysis, council, closed) every
comment has the office's answer and the report is published. `make run` seeds
`--phase e_consultation`; the test fixture `torun` seeds without the draft and so without
comments.
"""
import pytest
from sqlalchemy import func, select

from portal import clock, demo, demo_report
from portal.accounts.models import User
from portal.consultations.models import Phase, PhaseKind
from portal.extensions import db
from portal.forum.models import Post, PostState, Thread
from portal.reports import services as reports
from portal.reports.models import Answer, AnsweredComment, Decision, Report


def seed(app, *args):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--password", "demo haslo 2020", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return db.session.scalar(select(Report)), db.session.scalar(select(Phase.consultation_id).limit(1))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def window() -> Phase:
    return db.session.scalar(select(Phase).where(Phase.kind == PhaseKind.E_CONSULTATION))


@pytest.mark.parametrize("phase", ["analysis", "closed"])  # the choices after the window
def test_after_the_consultation_the_report_is_published_and_every_comment_has_an_answer(app, phase):
    report, consultation_id = seed(app, "--phase", phase)

    assert report is not None and report.is_published
    assert report.published_at <= clock.now_utc()
    assert "Raport przykładowy" in report.summary_html and "<em>" in report.summary_html
    assert "wpłynęło 5 uwag od 3 uczestników (2 z nich w imieniu organizacji)" in " ".join(report.summary.split())
    assert report.participants_notified_at == report.published_at  # a demo e-mails nobody
    data = reports.report_comments(consultation_id)
    assert data.total == 5 and data.answered == 5
    assert data.by_decision() == {Decision.ACCEPTED: 2, Decision.PARTLY_ACCEPTED: 1,
                                  Decision.NOT_ACCEPTED: 1, Decision.EXPLANATION: 1}
    assert [c.shared_with for c in data.comments] == [None, None, None, None, 4]  # "jak w uwadze 4"
    assert [(c.section_number, c.submitter) for c in data.comments] == [
        (None, None), (5, "Fundacja Przykładowa (demo)"), (6, "Stowarzyszenie Przykładowe „Razem” (demo)"),
        (8, "Fundacja Przykładowa (demo)"), (8, "Stowarzyszenie Przykładowe „Razem” (demo)")]
    assert all(c.answer.justification_html.startswith("<p>") for c in data.comments)


def test_answers_come_after_the_window_and_comments_inside_it(app):
    seed(app, "--phase", "analysis")
    e = window()
    assert all(e.starts_at <= written < e.ends_at for written in db.session.scalars(select(Post.created_at)))
    assert all(e.ends_at <= at <= clock.now_utc() for at in db.session.scalars(select(Answer.updated_at)))


def test_during_the_electronic_consultation_the_forum_has_example_comments_but_no_answers(app, client):
    report, consultation_id = seed(app)  # make run's phase

    assert report is None and count(Answer) == 0
    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    assert len(posts) == len(demo_report.COMMENTS) == 6
    assert all(post.state == PostState.APPROVED and post.created_at <= clock.now_utc() for post in posts)
    assert all(demo_report.EXAMPLE_NOTE in post.body for post in posts)
    assert reports.report_comments(consultation_id).total == 5  # the reply is not numbered
    section_six = db.session.scalar(select(Thread).where(Thread.id == posts[2].thread_id))
    assert section_six.comment_count == 2 and section_six.last_activity_at == posts[3].created_at
    page = client.get(f"/konsultacje/{demo.SLUG}/forum/watek/{section_six.id}").get_data(as_text=True)
    assert "edukacji ekologicznej" in page and "Piotr Wiśniewski (demo)" in page


def test_example_commenters_are_marked_and_cannot_log_in(app):
    seed(app, "--phase", "analysis")
    authors = db.session.scalars(select(User).join(Post, Post.author_id == User.id).distinct()).all()
    assert sorted(u.display_name for u in authors) == [
        "Anna Nowak (demo)", "Maria Zielińska (demo)", "Piotr Wiśniewski (demo)"]
    assert all(u.email.endswith("@example.org") for u in authors)
    newcomers = [u for u in authors if u.email != "ngo@example.org"]
    assert not any(u.check_password("demo haslo 2020") for u in newcomers)


@pytest.mark.parametrize("phase", ["group_signup", "meetings"])
def test_before_the_electronic_consultation_there_are_no_comments(app, phase):
    seed(app, "--phase", phase)
    assert count(Post) == 0 and count(Report) == 0


def test_the_test_fixture_without_the_draft_has_no_comments(torun):
    assert (count(Post), count(Answer), count(Report)) == (0, 0, 0)


def test_seeding_twice_does_not_duplicate_comments_answers_or_the_report(app):
    seed(app, "--phase", "analysis")
    first = (count(Post), count(Answer), count(AnsweredComment), count(Report), count(User))
    _report, consultation_id = seed(app, "--phase", "analysis")
    assert (count(Post), count(Answer), count(AnsweredComment), count(Report), count(User)) == first == (6, 4, 5, 1, 5)
    assert reports.report_comments(consultation_id).answered == 5


def test_the_original_dates_show_the_2020_report(app):
    report, _ = seed(app, "--original-dates")
    assert clock.to_local(report.published_at).isoformat() == "2020-10-02T14:00:00+02:00"
