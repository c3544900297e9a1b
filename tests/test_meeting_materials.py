"""After a group's or a meeting's session an admin publishes its materials: a recording link, the
minutes (a file, kept as a document of kind "minutes") and a short summary in Markdown. Anyone
sees them under the group or meeting on the announcement and in the report, whose section
"Spotkania i grupy robocze" also counts who came. Both pages cost the same queries however many
groups and materials there are.

The demo consultation (Toruń 2021, original 2020 dates), without the demo's own materials.
"""
import re

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.audit import AuditLog
from portal.consultations.models import Consultation, Document, DocumentKind
from portal.extensions import db
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, Status, WorkingGroup
from portal.reports.models import Report
from portal.staff import uploads
from tests.conftest import form_token, login_as, visible_text
from tests.factories import pdf_bytes

SLUG = "program-wspolpracy-2021"
ANNOUNCEMENT = f"/konsultacje/{SLUG}"
REPORT = f"/konsultacje/{SLUG}/raport"
GROUPS = f"/zespol/konsultacje/{SLUG}/grupy"
MEETINGS = f"/zespol/konsultacje/{SLUG}/spotkania"
RECORDING = "https://nagrania.example.org/grupa-1"


@pytest.fixture(autouse=True)
def without_demo_materials(torun):
    for model in (WorkingGroup, Meeting):
        for item in db.session.scalars(select(model)):
            item.summary, item.recording_url, item.materials_updated_at = "", "", None
    db.session.commit()


@pytest.fixture
def as_admin(torun, admin_client, frozen_clock):
    frozen_clock.set_local("2020-09-02 12:00:00")  # after the groups met
    return admin_client


def first_group() -> WorkingGroup:
    db.session.expire_all()
    return db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position))


def the_meeting() -> Meeting:
    db.session.expire_all()
    return db.session.scalar(select(Meeting))


def materials_url(item) -> str:
    if isinstance(item, WorkingGroup):
        return f"{GROUPS}/{item.id}/materialy"
    return f"{MEETINGS}/{item.id}/materialy"


def send_materials(client, item, file=None, **fields):
    url = materials_url(item)
    data = {"csrf_token": form_token(client, url), "recording_url": "", "summary": "", **fields}
    if file is not None:
        data["minutes"] = file
    return client.post(url, data=data, content_type="multipart/form-data")


def pdf_file(name="protokol.pdf", padding=0):
    import io
    return (io.BytesIO(pdf_bytes(padding)), name)


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field__error" id="{field_id}-error">(.*?)</p>', html, re.DOTALL)
    assert match, f"no error next to #{field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Błąd:", "").strip()


def publish_report(consultation_id: int) -> None:
    db.session.add(Report(consultation_id=consultation_id, summary="Przebieg.", published_at=clock.now_utc()))
    db.session.commit()


# --- staff publish them -----------------------------------------------------------------------

def test_an_admin_publishes_a_recording_minutes_and_a_summary_of_a_group(as_admin):
    group = first_group()
    response = send_materials(as_admin, group, pdf_file(), recording_url=RECORDING,
                              summary="Ustalenia:\n\n- **więcej** grantów")
    assert response.status_code == 303
    group = first_group()
    assert group.recording_url == RECORDING
    assert "<strong>więcej</strong>" in group.summary_html
    minutes = db.session.get(Document, group.minutes_document_id)
    assert minutes.kind == DocumentKind.MINUTES and minutes.content_type == "application/pdf"
    assert minutes.title == f"Protokół: {group.name}"
    assert (uploads.folder() / minutes.file_name).read_bytes() == pdf_bytes()
    assert group.materials_updated_at is not None
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["document_added", "materials_changed"]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "materials_changed"))
    assert entry.target_type == "workinggroup" and entry.target_id == group.id
    assert entry.before_data == {"recording_url": "", "meeting_summary": "", "minutes_document_id": None}
    assert entry.after_data["minutes_document_id"] == minutes.id
    page = as_admin.get(materials_url(group)).get_data(as_text=True)
    assert f'value="{RECORDING}"' in page and "**więcej** grantów" in page and "protokol.pdf" in page


def test_a_new_file_replaces_the_minutes_and_the_old_document_goes_with_its_file(as_admin):
    meeting = the_meeting()
    send_materials(as_admin, meeting, pdf_file("pierwszy.pdf"))
    old = db.session.get(Document, the_meeting().minutes_document_id)
    old_id, old_path = old.id, uploads.folder() / old.file_name
    assert old_path.exists()
    send_materials(as_admin, the_meeting(), pdf_file("drugi.pdf", padding=10))
    meeting = the_meeting()
    assert meeting.minutes_document_id != old_id
    assert db.session.get(Document, old_id) is None and not old_path.exists()
    assert db.session.scalar(select(func.count(Document.id)).where(Document.kind == DocumentKind.MINUTES)) == 1

    send_materials(as_admin, meeting, remove_minutes="y")
    assert the_meeting().minutes_document_id is None
    assert db.session.scalar(select(func.count(Document.id)).where(Document.kind == DocumentKind.MINUTES)) == 0


@pytest.mark.parametrize("fields, file, field, message", [
    ({"recording_url": "http://nagrania.example.org/x"}, None, "recording_url", "zaczynający się od https://"),
    ({"recording_url": "javascript:alert(1)"}, None, "recording_url", "zaczynający się od https://"),
    ({}, ("<html>", "protokol.pdf"), "minutes", "nie jest dokumentem PDF, DOCX ani ODT"),
])
def test_a_wrong_link_or_file_is_refused_next_to_its_field_and_the_typing_stays(as_admin, fields, file, field,
                                                                               message):
    import io
    upload = (io.BytesIO(file[0].encode()), file[1]) if file else None
    response = send_materials(as_admin, first_group(), upload, summary="Tekst **podsumowania**", **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in field_error(html, field)
    assert "Tekst **podsumowania**" in html
    assert first_group().summary == "" and first_group().minutes_document_id is None


def test_only_admins_reach_the_materials_pages(client, torun, moderator):
    group = first_group()
    assert client.get(materials_url(group)).status_code in (302, 303, 401, 403)
    login_as(client, moderator)
    assert client.get(materials_url(group)).status_code == 403


def test_staff_lists_link_the_materials_pages(as_admin):
    group, meeting = first_group(), the_meeting()
    assert materials_url(group) in as_admin.get(GROUPS).get_data(as_text=True)
    assert materials_url(meeting) in as_admin.get(MEETINGS).get_data(as_text=True)


# --- the public sees them ---------------------------------------------------------------------

def test_the_announcement_and_the_report_show_the_materials_to_anyone(as_admin, app, torun):
    group = first_group()
    send_materials(as_admin, group, pdf_file(), recording_url=RECORDING,
                   summary="Ustalenia grupy <script>alert(1)</script> **ważne**")
    send_materials(as_admin, the_meeting(), summary="Podsumowanie spotkania.")
    publish_report(torun.id)
    anonymous = app.test_client()

    html = anonymous.get(ANNOUNCEMENT).get_data(as_text=True)
    text = visible_text(html)
    assert "Materiały ze spotkania" in text and "Nagranie ze spotkania" in text
    assert f'href="{RECORDING}"' in html
    assert "Protokół (PDF, 1 kB)" in text
    assert "<strong>ważne</strong>" in html and "<script>alert(1)" not in html
    assert "Podsumowanie spotkania." in text
    minutes = db.session.get(Document, first_group().minutes_document_id)
    download = anonymous.get(f"/konsultacje/{SLUG}/dokumenty/{minutes.id}")
    assert download.status_code == 200 and download.data == pdf_bytes()

    report = visible_text(anonymous.get(REPORT).get_data(as_text=True))
    assert "Spotkania i grupy robocze" in report
    assert f"Grupy robocze {group.name} Termin 31 sierpnia 2020 r., godz. 16:30" in report
    assert "Spotkania online Spotkanie online: omówienie propozycji do programu Termin" in report
    assert "Nagranie ze spotkania" in report and "Protokół (PDF, 1 kB)" in report
    assert "Podsumowanie spotkania." in report


def registration_row(model, owner_id, n, status, attended):
    common = dict(full_name=f"Osoba {n}", email=f"osoba{n}@ngo.example", organisation_name="Org",
                  recording_consent=True, privacy_notice_version="2020-08",
                  privacy_notice_accepted_at=clock.now_utc(), status=status, attended=attended)
    if model is GroupRegistration:
        group = db.session.get(WorkingGroup, owner_id)
        return GroupRegistration(consultation_id=group.consultation_id, group_id=owner_id, **common)
    return MeetingRegistration(meeting_id=owner_id, **common)


def test_the_report_counts_who_came_from_the_attendance_marks(app, torun):
    group, meeting = first_group(), the_meeting()
    marks = [(Status.CONFIRMED, True), (Status.CONFIRMED, True), (Status.CONFIRMED, False),
             (Status.CONFIRMED, None), (Status.WITHDRAWN, None), (Status.WAITING, None)]
    db.session.add_all(registration_row(GroupRegistration, group.id, n, status, attended)
                       for n, (status, attended) in enumerate(marks))
    db.session.add_all(registration_row(MeetingRegistration, meeting.id, 10 + n, Status.CONFIRMED, attended)
                       for n, attended in enumerate([True, None]))
    db.session.commit()
    publish_report(torun.id)
    text = visible_text(app.test_client().get(REPORT).get_data(as_text=True))
    section = text.split("Spotkania i grupy robocze", 2)[2]
    assert f"{group.name} Termin 31 sierpnia 2020 r., godz. 16:30 – 18:30 " \
           "Obecność obecne osoby: 2, nieobecne: 1, nieoznaczone: 1" in section
    assert "Obecność obecne osoby: 1, nieobecne: 0, nieoznaczone: 1" in section.split("Spotkania online", 1)[1]
    assert section.count("brak potwierdzonych zgłoszeń") == 4  # the other groups


@pytest.mark.parametrize("phase, shown", [("group_signup", False), ("analysis", True)])
def test_the_demo_has_materials_once_its_meetings_have_taken_place(app, phase, shown):
    from portal import demo

    demo.seed(phase=phase, password=None, draft=False)
    db.session.commit()
    groups = db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).all()
    assert all(group.join_url.startswith("https://") and group.meeting_ends_at for group in groups)
    assert bool(groups[0].summary_html and groups[0].recording_url) is shown
    meeting = db.session.scalar(select(Meeting))
    assert bool(meeting.summary_html and meeting.recording_url) is shown
    text = visible_text(app.test_client().get(ANNOUNCEMENT).get_data(as_text=True))
    assert ("Materiały ze spotkania" in text) is shown
    assert "spotkania.example.org" not in app.test_client().get(ANNOUNCEMENT).get_data(as_text=True)


# --- the same queries whatever the number -----------------------------------------------------

BROWSER = {"User-Agent": "Mozilla/5.0 Firefox/120.0"}


def queries_for(app, count_queries, url: str) -> int:
    client = app.test_client()
    with count_queries() as queries:
        response = client.get(url, headers=BROWSER)
    assert response.status_code == 200
    return queries.count


def add_materials(consultation_id: int, groups: int) -> None:
    """`groups` more groups and as many meetings, each with minutes, a recording and a summary."""
    now = clock.now_utc()
    for n in range(groups):
        documents = [Document(consultation_id=consultation_id, title=f"Protokół {n}{kind}", kind=DocumentKind.MINUTES,
                              file_name=f"{n:032x}.pdf", content_type="application/pdf", size_bytes=2048,
                              position=100 + n) for kind in "gm"]
        db.session.add_all(documents)
        db.session.flush()
        group = WorkingGroup(consultation_id=consultation_id, name=f"Grupa {n}", position=10 + n,
                             meeting_starts_at=now, recording_url=RECORDING, summary=f"**Grupa {n}**",
                             minutes_document_id=documents[0].id)
        meeting = Meeting(consultation_id=consultation_id, title=f"Spotkanie {n}", starts_at=now,
                          registration_deadline=now, recording_url=RECORDING, summary=f"*Spotkanie {n}*",
                          minutes_document_id=documents[1].id)
        db.session.add_all([group, meeting])
        db.session.flush()
        db.session.add_all(registration_row(GroupRegistration, group.id, f"{group.id}-{k}", Status.CONFIRMED, k % 2 == 0)
                           for k in range(3))
    db.session.commit()


def test_announcement_and_report_cost_the_same_queries_for_1_and_40_groups_with_materials(app, torun,
                                                                                        count_queries):
    app.config["VIEW_COUNT_FLUSH_SECONDS"] = 3600
    consultation_id = torun.id
    publish_report(consultation_id)
    add_materials(consultation_id, 1)
    few = [queries_for(app, count_queries, url) for url in (ANNOUNCEMENT, REPORT)]
    add_materials(consultation_id, 40)
    many = [queries_for(app, count_queries, url) for url in (ANNOUNCEMENT, REPORT)]
    assert few == many
    assert many[0] <= 6 and many[1] <= 5
    report = app.test_client().get(REPORT).get_data(as_text=True)
    assert report.count("Nagranie ze spotkania") == 82
    assert db.session.scalar(select(func.count(Consultation.id))) == 1
