"""An admin chooses who waits for approval in a consultation, and after how many reports a comment hides."""
import pytest
from sqlalchemy import select

from portal.audit import AuditLog
from portal.consultations.models import Consultation, ModerationMode
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.models import PostState
from tests.conftest import form_token

URL = "/zespol/konsultacje/program-wspolpracy-2021/moderacja"


def save(client, **data):
    return client.post(URL, data={**data, "csrf_token": form_token(client, URL)})


def consultation():
    db.session.expire_all()
    return db.session.scalar(select(Consultation))


def test_the_setting_decides_whether_a_participants_comment_waits(general, admin_client, admin, anna, jan,
                                                                  frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    anna.is_trusted = True  # Jan is not
    db.session.commit()

    response = save(admin_client, moderation_mode="untrusted", flag_threshold="5")
    assert response.status_code == 302
    assert (consultation().moderation_mode, consultation().flag_threshold) == (ModerationMode.UNTRUSTED, 5)
    assert forum.post_comment(anna, general, "Uwaga zaufanej osoby.").state == PostState.APPROVED
    frozen_clock.set_local("2020-09-20 12:01:00")
    assert forum.post_comment(jan, general, "Uwaga innej osoby.").state == PostState.PENDING
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "moderation_settings_changed"))
    assert log.actor_id == admin.id and log.before_data["moderation_mode"] == "none"


@pytest.mark.parametrize("threshold", ["0", "51", "abc", ""])
def test_a_wrong_threshold_is_explained_next_to_the_field_and_nothing_changes(torun, admin_client, threshold):
    html = save(admin_client, moderation_mode="all", flag_threshold=threshold).get_data(as_text=True)
    assert 'id="flag_threshold-error"' in html
    assert consultation().moderation_mode == ModerationMode.NONE


def test_moderators_cannot_change_the_setting(torun, moderator_client):
    assert moderator_client.get(URL).status_code == 403
