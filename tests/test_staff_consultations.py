"""An admin runs a consultation without a developer: its announcement, publication and timeline."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.accounts.models import Role
from portal.audit import AuditLog
from portal.consultations.models import Consultation, Phase, PhaseKind, Status
from portal.extensions import db
from portal.staff import services
from tests.conftest import form_token, login_as

WARSAW = "Europe/Warsaw"
LIST = "/zespol/konsultacje"
NEW = "/zespol/konsultacje/nowa"
TORUN = "program-wspolpracy-2021"


def edit_url(slug):
    return f"/zespol/konsultacje/{slug}/edycja"


def phases_url(slug):
    return f"/zespol/konsultacje/{slug}/etapy"


def send(client, url, page=None, **data):
    """Fill in the form on `page` (default: the same URL) and send it, as a person would."""
    return client.post(url, data={**data, "csrf_token": form_token(client, page or url)})


def announcement(**changes):
    return {"title": "Budżet obywatelski 2021", "slug": "", "lead": "Zasady budżetu.", "body": "Treść.",
            "contact_name": "Ewa Nowak", "contact_role": "inspektorka", "contact_email": "ewa@urzad.example",
            "contact_phone": "56 000 00 00", "timezone": WARSAW, **changes}


def phase_fields(**changes):
    return {"kind": "other", "title": "Etap", "description": "", "start_day": "2020-09-01", "start_time": "",
            "end_day": "2020-09-01", "end_time": "", **changes}


def audit_rows(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def fresh_consultation(slug):
    db.session.expire_all()
    return db.session.scalar(select(Consultation).where(Consultation.slug == slug))


def fresh_phases(consultation_id):
    db.session.expire_all()
    return db.session.scalars(select(Phase).where(Phase.consultation_id == consultation_id)
                              .order_by(Phase.position)).all()


@pytest.fixture
def draft(app):
    """A consultation being prepared: a draft without phases."""
    consultation = Consultation(slug="budzet-2021", title="Budżet 2021", status=Status.DRAFT, timezone=WARSAW)
    db.session.add(consultation)
    db.session.commit()
    return consultation


# --- the announcement ---------------------------------------------------------------------------

def test_an_admin_creates_a_draft_whose_address_is_made_from_the_title(admin_client, admin):
    response = send(admin_client, NEW, **announcement(title="Zażółć gęślą jaźń — Łódź 2021",
                                                      body="**Ważne** <script>alert(1)</script>"))

    assert response.status_code == 303
    assert response.headers["Location"].endswith(edit_url("zazolc-gesla-jazn-lodz-2021"))
    consultation = fresh_consultation("zazolc-gesla-jazn-lodz-2021")
    assert consultation.status == Status.DRAFT
    assert "<strong>Ważne</strong>" in consultation.body_html and "<script>" not in consultation.body_html
    created = audit_rows("consultation_created")
    assert [(row.actor_id, row.target_id) for row in created] == [(admin.id, consultation.id)]
    assert created[0].after_data["title"] == "Zażółć gęślą jaźń — Łódź 2021"
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Utworzono szkic konsultacji" in page and "Opublikuj konsultację" in page


def test_a_draft_is_seen_only_by_staff_as_a_preview_with_a_way_back_to_editing(client, admin_client, draft):
    preview = admin_client.get(f"/konsultacje/{draft.slug}").get_data(as_text=True)
    assert "Podgląd: ta konsultacja nie jest jeszcze opublikowana." in preview
    assert f'href="{edit_url(draft.slug)}"' in preview
    admin_client.post("/wyloguj", data={"csrf_token": form_token(admin_client, "/")})
    assert client.get(f"/konsultacje/{draft.slug}").status_code == 404
    assert "Budżet 2021" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("title, proposed", [
    ("Program współpracy 2021", "program-wspolpracy-2021"),
    ("ŁĄKI, ŚCIEŻKI i źródła!", "laki-sciezki-i-zrodla"),
    ("  --Café  & Straße-- ", "cafe-strae"),
])
def test_an_address_is_proposed_without_polish_letters(title, proposed):
    assert services.propose_slug(title) == proposed


@pytest.mark.parametrize("slug, message", [
    ("Duze-Litery", "tylko małe litery"),
    ("z spacja", "tylko małe litery"),
    ("łąka", "tylko małe litery"),
    ("-na-brzegu", "tylko małe litery"),
    (TORUN, "ma już inna konsultacja"),
])
def test_a_wrong_or_taken_address_is_explained_next_to_the_field_and_the_text_stays(
        admin_client, torun, slug, message):
    response = send(admin_client, NEW, **announcement(slug=slug, body="Długi tekst, który wpisałam."))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="slug-error"' in html and message in html
    assert "Długi tekst, który wpisałam." in html and "Budżet obywatelski 2021" in html
    assert db.session.scalar(select(Consultation).where(Consultation.title == "Budżet obywatelski 2021")) is None


@pytest.mark.parametrize("zone", ["Europe/Warszawa", "CEST", "../etc/passwd"])
def test_a_time_zone_must_be_a_real_iana_zone(admin_client, zone):
    html = send(admin_client, NEW, **announcement(timezone=zone)).get_data(as_text=True)
    assert 'id="timezone-error"' in html and f'value="{zone}"' in html


def test_editing_logs_what_changed_before_and_after(admin_client, draft, admin):
    response = send(admin_client, edit_url(draft.slug),
                    **announcement(title="Budżet 2021", slug=draft.slug, lead="Nowy wstęp.", body=""))

    assert response.status_code == 303
    changed = audit_rows("consultation_changed")
    assert len(changed) == 1
    assert changed[0].before_data == {"lead": "", "contact_name": "", "contact_role": "", "contact_email": "",
                                      "contact_phone": ""}
    assert changed[0].after_data["lead"] == "Nowy wstęp."
    send(admin_client, edit_url(draft.slug), **announcement(title="Budżet 2021", slug=draft.slug,
                                                            lead="Nowy wstęp.", body=""))
    assert len(audit_rows("consultation_changed")) == 1  # saving the same again changes nothing


def test_a_drafts_address_can_change_but_a_published_one_keeps_its_links(admin_client, draft):
    response = send(admin_client, edit_url(draft.slug), **announcement(title="Budżet 2021", slug="budzet-2022"))
    assert response.headers["Location"].endswith(edit_url("budzet-2022"))

    send(admin_client, "/zespol/konsultacje/budzet-2022/publikacja", page=edit_url("budzet-2022"), status="published")
    send(admin_client, "/zespol/konsultacje/budzet-2022/publikacja", page=edit_url("budzet-2022"), status="draft")
    response = send(admin_client, edit_url("budzet-2022"), **announcement(title="Inny tytuł", slug="budzet-2023"))

    html = response.get_data(as_text=True)
    assert 'id="slug-error"' in html and "była opublikowana" in html and 'value="Inny tytuł"' in html
    assert fresh_consultation("budzet-2022").title == "Budżet 2021"
    assert 'readonly' in admin_client.get(edit_url("budzet-2022")).get_data(as_text=True)


def test_publishing_and_withdrawing_are_explicit_logged_actions(client, admin_client, draft, admin):
    status_url = f"/zespol/konsultacje/{draft.slug}/publikacja"

    response = send(admin_client, status_url, page=edit_url(draft.slug), status="published")
    assert response.status_code == 303
    assert fresh_consultation(draft.slug).status == Status.PUBLISHED
    anonymous = client.application.test_client()
    assert "Budżet 2021" in anonymous.get("/").get_data(as_text=True)

    send(admin_client, status_url, page=edit_url(draft.slug), status="published")  # a repeated click
    send(admin_client, status_url, page=edit_url(draft.slug), status="draft")
    assert "Budżet 2021" not in anonymous.get("/").get_data(as_text=True)
    assert [(row.action, row.before_data, row.after_data) for row in
            db.session.scalars(select(AuditLog).where(AuditLog.target_type == "consultation")
                               .order_by(AuditLog.id))] == [
        ("consultation_published", {"status": "draft"}, {"status": "published"}),
        ("consultation_unpublished", {"status": "published"}, {"status": "draft"}),
    ]


def test_a_stale_token_keeps_what_was_typed_and_writes_nothing(admin_client, draft):
    response = admin_client.post(NEW, data={**announcement(body="Cały tekst ogłoszenia."), "csrf_token": "stary"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz nie został wysłany" in html and "Cały tekst ogłoszenia." in html

    response = admin_client.post(phases_url(draft.slug), data={**phase_fields(title="Spotkanie w ratuszu"),
                                                               "csrf_token": "stary"})
    assert response.status_code == 400 and 'value="Spotkanie w ratuszu"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Consultation)).all() == [draft]
    assert fresh_phases(draft.id) == []


# --- who may ------------------------------------------------------------------------------------

ADMIN_PAGES = [("GET", NEW), ("POST", NEW), ("GET", edit_url(TORUN)), ("POST", edit_url(TORUN)),
               ("POST", f"/zespol/konsultacje/{TORUN}/publikacja"), ("GET", phases_url(TORUN)),
               ("POST", phases_url(TORUN)), ("GET", "{phase}"), ("POST", "{phase}"), ("POST", "{phase}/usun")]


@pytest.mark.parametrize("role, expected", [(Role.MODERATOR, 403), (Role.PARTICIPANT, 403), (None, 302)])
def test_only_admins_change_consultations_and_phases(client, torun, make_user, role, expected):
    if role:
        login_as(client, make_user("osoba@example.org", role=role))
    phase_id = db.session.scalar(select(Phase.id).where(Phase.consultation_id == torun.id))
    for method, url in ADMIN_PAGES:
        url = url.format(phase=f"{phases_url(TORUN)}/{phase_id}")
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": form_token(client, "/"), "status": "draft",
                                              **announcement(slug="inny"), **phase_fields()})
        assert response.status_code == expected, (method, url)
        if expected == 302:
            assert "/logowanie" in response.headers["Location"]
    assert fresh_consultation(TORUN).status == Status.PUBLISHED and len(fresh_phases(torun.id)) == 8


def test_moderators_read_the_list_and_find_the_pages_they_may_use(moderator_client, torun, draft):
    response = moderator_client.get(LIST)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Budżet 2021" in html and "Szkic" in html and "Opublikowana" in html
    assert "17–30 września 2020 r." in html  # the e-consultation's dates
    assert f"/zespol/konsultacje/{TORUN}/zapisy" in html and f"/zespol/konsultacje/{TORUN}/raport" in html
    assert "Nowa konsultacja" not in html and edit_url(TORUN) not in html


def test_admins_see_where_to_create_and_edit(admin_client, torun):
    html = admin_client.get(LIST).get_data(as_text=True)
    assert f'href="{NEW}"' in html and f'href="{edit_url(TORUN)}"' in html


# --- the timeline -------------------------------------------------------------------------------

def test_a_whole_day_phase_ends_at_the_next_local_midnight_and_is_shown_back_as_that_day(admin_client, draft):
    response = send(admin_client, phases_url(draft.slug), **phase_fields(
        kind="e_consultation", title="Konsultacje elektroniczne", start_day="2020-09-17", end_day="2020-09-30"))

    assert response.status_code == 303
    [phase] = fresh_phases(draft.id)
    assert phase.starts_at == clock.from_local(datetime(2020, 9, 17), WARSAW)
    assert phase.ends_at == clock.from_local(datetime(2020, 10, 1), WARSAW)
    assert "17–30 września 2020 r." in admin_client.get(phases_url(draft.slug)).get_data(as_text=True)
    form = admin_client.get(f"{phases_url(draft.slug)}/{phase.id}").get_data(as_text=True)
    assert re.search(r'id="end_day"[^>]*value="2020-09-30"', form)
    assert re.search(r'id="end_time"[^>]*value=""', form)


def test_an_end_before_the_start_is_explained_next_to_the_end_and_the_typed_values_stay(admin_client, draft):
    response = send(admin_client, phases_url(draft.slug), **phase_fields(
        title="Spotkanie", start_day="2020-09-02", start_time="16:30", end_day="2020-09-02", end_time="15:00"))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="end_day-error".*później, niż się zaczyna', html)
    assert 'value="Spotkanie"' in html and 'value="16:30"' in html and 'value="15:00"' in html
    assert fresh_phases(draft.id) == []


def test_there_is_one_comment_window(admin_client, torun):
    html = send(admin_client, phases_url(TORUN), **phase_fields(kind="e_consultation", title="Drugie okno"))\
        .get_data(as_text=True)
    assert 'id="kind-error"' in html and "Konsultacje elektroniczne projektu programu" in html
    assert len(fresh_phases(torun.id)) == 8

    window = next(p for p in fresh_phases(torun.id) if p.kind == PhaseKind.E_CONSULTATION)
    response = send(admin_client, f"{phases_url(TORUN)}/{window.id}", **phase_fields(
        kind="e_consultation", title="Konsultacje elektroniczne", start_day="2020-09-18", end_day="2020-09-30"))
    assert response.status_code == 303  # the window itself may be edited


def test_an_overlap_is_saved_with_a_warning_naming_the_other_phase(admin_client, draft):
    send(admin_client, phases_url(draft.slug), **phase_fields(title="Ogłoszenie", kind="announcement",
                                                              start_day="2020-08-21", end_day="2020-08-31"))
    response = send(admin_client, phases_url(draft.slug), **phase_fields(
        title="Zapisy do grup", kind="group_signup", start_day="2020-08-24", end_day="2020-08-27"))

    assert response.status_code == 303
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nakłada się w czasie na etap „Ogłoszenie”" in html
    assert [p.title for p in fresh_phases(draft.id)] == ["Ogłoszenie", "Zapisy do grup"]
    send(admin_client, phases_url(draft.slug), **phase_fields(title="Analiza", start_day="2020-09-01",
                                                              end_day="2020-09-02"))
    assert "nakłada się" not in admin_client.get(phases_url(draft.slug)).get_data(as_text=True)


def test_positions_follow_start_times_as_phases_are_added_edited_and_deleted(admin_client, draft, admin):
    for title, day in (("Trzeci", "2020-10-01"), ("Pierwszy", "2020-08-01"), ("Drugi", "2020-09-01")):
        send(admin_client, phases_url(draft.slug), **phase_fields(title=title, start_day=day, end_day=day))
    assert [(p.position, p.title) for p in fresh_phases(draft.id)] == [(0, "Pierwszy"), (1, "Drugi"), (2, "Trzeci")]

    first = fresh_phases(draft.id)[0]
    send(admin_client, f"{phases_url(draft.slug)}/{first.id}", **phase_fields(
        title="Pierwszy, przesunięty", start_day="2020-11-01", end_day="2020-11-02"))
    assert [p.title for p in fresh_phases(draft.id)] == ["Drugi", "Trzeci", "Pierwszy, przesunięty"]
    [changed] = audit_rows("phase_changed")
    assert changed.before_data["title"] == "Pierwszy" and changed.after_data["title"] == "Pierwszy, przesunięty"
    assert changed.after_data["ends_at"] == clock.from_local(datetime(2020, 11, 3), WARSAW).isoformat()

    second_id = fresh_phases(draft.id)[0].id
    response = send(admin_client, f"{phases_url(draft.slug)}/{second_id}/usun", page=phases_url(draft.slug))
    assert response.status_code == 303
    assert [(p.position, p.title) for p in fresh_phases(draft.id)] == [(0, "Trzeci"), (1, "Pierwszy, przesunięty")]
    [deleted] = audit_rows("phase_deleted")
    assert (deleted.actor_id, deleted.target_id, deleted.before_data["title"]) == (admin.id, second_id, "Drugi")
    assert len(audit_rows("phase_added")) == 3


def test_a_phase_is_edited_only_under_its_own_consultation(admin_client, torun, draft):
    phase_id = db.session.scalar(select(Phase.id).where(Phase.consultation_id == torun.id))
    assert admin_client.get(f"{phases_url(draft.slug)}/{phase_id}").status_code == 404
    response = send(admin_client, f"{phases_url(draft.slug)}/{phase_id}/usun", page=phases_url(draft.slug))
    assert response.status_code == 404 and len(fresh_phases(torun.id)) == 8


# --- daylight saving time -----------------------------------------------------------------------

def test_the_autumn_hour_that_happens_twice_is_read_as_summer_time_and_shown_back_unchanged(admin_client, draft):
    """25 October 2020, 02:30 happens twice in Warsaw; the first (CEST, UTC+2) reading is stored."""
    send(admin_client, phases_url(draft.slug), **phase_fields(
        title="Nocna zmiana", start_day="2020-10-25", start_time="02:30", end_day="2020-10-25", end_time="04:00"))

    [phase] = fresh_phases(draft.id)
    assert phase.starts_at == datetime(2020, 10, 25, 0, 30, tzinfo=UTC)
    assert phase.ends_at == datetime(2020, 10, 25, 3, 0, tzinfo=UTC)  # 04:00 CET
    assert phase.ends_at - phase.starts_at == timedelta(hours=2, minutes=30)  # one hour lived twice
    form = admin_client.get(f"{phases_url(draft.slug)}/{phase.id}").get_data(as_text=True)
    assert re.search(r'id="start_time"[^>]*value="02:30"', form)
    assert re.search(r'id="end_time"[^>]*value="04:00"', form)


def test_a_whole_day_ending_on_the_eve_of_the_spring_change_closes_at_that_midnight(admin_client, draft):
    send(admin_client, phases_url(draft.slug), **phase_fields(title="Do soboty", start_day="2020-03-23",
                                                              end_day="2020-03-28"))
    send(admin_client, phases_url(draft.slug), **phase_fields(title="Niedziela zmiany czasu",
                                                              start_day="2020-03-29", end_day="2020-03-29"))

    saturday, sunday = fresh_phases(draft.id)
    assert saturday.ends_at == datetime(2020, 3, 28, 23, 0, tzinfo=UTC)  # midnight CET
    assert saturday.is_open_at(clock.from_local(datetime(2020, 3, 28, 23, 59, 59), WARSAW))
    assert not saturday.is_open_at(clock.from_local(datetime(2020, 3, 29, 0, 0), WARSAW))
    assert sunday.ends_at - sunday.starts_at == timedelta(hours=23)  # the short day, midnight CEST
    html = admin_client.get(phases_url(draft.slug)).get_data(as_text=True)
    assert "23–28 marca 2020 r." in html and "29 marca 2020 r." in html
    assert re.search(r'id="end_day"[^>]*value="2020-03-28"',
                     admin_client.get(f"{phases_url(draft.slug)}/{saturday.id}").get_data(as_text=True))


def test_a_time_skipped_by_the_spring_change_is_refused_next_to_its_field(admin_client, draft):
    html = send(admin_client, phases_url(draft.slug), **phase_fields(
        start_day="2020-03-29", start_time="02:30", end_day="2020-03-29", end_time="05:00")).get_data(as_text=True)
    assert re.search(r'id="start_time-error".*Tej godziny nie ma w tym dniu', html)
    assert fresh_phases(draft.id) == []


# --- queries ------------------------------------------------------------------------------------

def _with_phases(consultation, n):
    start = clock.from_local(datetime(2020, 9, 1), WARSAW)
    db.session.add_all(Phase(consultation_id=consultation.id, position=i, kind=PhaseKind.OTHER, title=f"Etap {i}",
                             starts_at=start + timedelta(days=i), ends_at=start + timedelta(days=i + 1))
                       for i in range(n))
    db.session.commit()


@pytest.mark.parametrize("page", ["phases", "edit_phase", "edit", "list"])
def test_back_office_pages_cost_the_same_few_queries_for_1_or_30_phases(app, admin, count_queries, page):
    counts = []
    for n in (1, 30):
        consultation = Consultation(slug=f"konsultacja-{n}", title=f"Konsultacja {n}", timezone=WARSAW)
        db.session.add(consultation)
        db.session.commit()
        _with_phases(consultation, n)
        first = db.session.scalar(select(Phase.id).where(Phase.consultation_id == consultation.id))
        url = {"phases": phases_url(consultation.slug), "edit_phase": f"{phases_url(consultation.slug)}/{first}",
               "edit": edit_url(consultation.slug), "list": LIST}[page]
        client = app.test_client()
        login_as(client, admin)
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1] <= 4, counts
