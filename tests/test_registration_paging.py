"""The staff registration pages stay small and cheap at thousands of registrations.

A burst of sign-ups leaves five full groups with waiting lists hundreds long. The overview still
shows every group's seat holders in full, but only the start of each waiting list, of the ended
registrations and of a meeting's list, with a link to the whole list — a page of its own, a
page at a time, where the same actions work and bring staff back to the page they were on.

Thousands of rows are written straight into the database (as the sign-up burst would leave
them); staff then drive the real pages, with CSRF protection on.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from portal import clock
from portal.extensions import db
from portal.registrations import boards
from portal.registrations.models import (GroupRegistration, Meeting, MeetingRegistration, Status, WorkingGroup,
                                         email_key)
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"
OVERVIEW = f"/zespol/konsultacje/{SLUG}/zapisy"
DURING_SIGNUP = "2020-08-24 12:00:00"
AFTER_THE_SESSIONS = "2020-09-04 12:00:00"   # the meeting met on 3 September, 16:30
SIZE_LIMIT = 500_000                          # bytes of HTML a page (issue 20)
QUERY_LIMIT = 6


# --- helpers ----------------------------------------------------------------------------------

@pytest.fixture
def signup_open(torun, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    return torun


def groups() -> list[WorkingGroup]:
    return db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).all()


def the_meeting() -> Meeting:
    return db.session.scalar(select(Meeting))


def waiting_url(group, page=None) -> str:
    return f"/zespol/konsultacje/{SLUG}/zapisy/grupy/{group.id}/oczekujacy" + (f"?strona={page}" if page else "")


def ended_url(group, page=None) -> str:
    return f"/zespol/konsultacje/{SLUG}/zapisy/grupy/{group.id}/zakonczone" + (f"?strona={page}" if page else "")


def meeting_url(meeting, page=None) -> str:
    return f"/zespol/konsultacje/{SLUG}/zapisy/spotkania/{meeting.id}" + (f"?strona={page}" if page else "")


class People:
    """Numbers people across calls, so that every e-mail address is new."""

    def __init__(self):
        self.count = 0

    def next(self) -> int:
        self.count += 1
        return self.count


def _details(n: int, now) -> dict:
    email = f"osoba{n}@ngo.example"
    return dict(full_name=f"Osoba {n:05d}", email=email, email_key=email_key(email), phone="600 100 200",
                organisation_name=f"Stowarzyszenie {n}", organisation_address="ul. Szeroka 1, 87-100 Toruń",
                organisation_contact="biuro@ngo.example", prior_activity="Warsztaty dla seniorów i wolontariat.",
                recording_consent=True, recording_basis="consent", privacy_notice_version="2020-08",
                privacy_notice_accepted_at=now, created_at=now)


def seed(people: People, consultation_id: int, waiting: int, ended: int, meeting: int, free_group: bool = True,
         holders: bool = True):
    """Groups 1–4 (or all five, without `free_group`) full (half confirmed, half holding a seat
    for 48 hours) with `waiting` people in line and `ended` ended registrations each; group 5
    half full; `meeting` registrations for the online meeting (every third confirmed).
    Without `holders`, only more of the others (the seats are taken already)."""
    now = clock.now_utc()
    rows = []
    for index, group in enumerate(groups()):
        has_room = free_group and index == 4
        for seat in range(0 if not holders else group.capacity // 2 if has_room else group.capacity):
            confirmed = seat % 2 == 0
            rows.append(dict(_details(people.next(), now), consultation_id=consultation_id, group_id=group.id,
                             status=Status.CONFIRMED if confirmed else Status.PENDING,
                             confirmed_at=now if confirmed else None,
                             hold_expires_at=None if confirmed else now + timedelta(hours=48)))
        if has_room:
            continue
        rows += [dict(_details(people.next(), now), consultation_id=consultation_id, group_id=group.id,
                      status=Status.WAITING) for _ in range(waiting)]
        rows += [dict(_details(people.next(), now), consultation_id=consultation_id, group_id=group.id,
                      status=Status.WITHDRAWN, ended_at=now, end_reason="") for _ in range(ended)]
    db.session.execute(insert(GroupRegistration), rows)
    meeting_id = the_meeting().id
    guests = []
    for k in range(meeting):
        n = people.next()
        guests.append(dict(_details(n, now), meeting_id=meeting_id,
                           status=Status.CONFIRMED if k % 3 == 0 else Status.PENDING,
                           confirmed_at=now if k % 3 == 0 else None))
    if guests:
        db.session.execute(insert(MeetingRegistration), guests)
    db.session.commit()
    return len(rows) + len(guests)


def total_registrations() -> int:
    return (db.session.scalar(select(func.count(GroupRegistration.id)))
            + db.session.scalar(select(func.count(MeetingRegistration.id))))


def waiting_ids(group) -> list[int]:
    db.session.expire_all()
    return db.session.scalars(select(GroupRegistration.id).where(
        GroupRegistration.group_id == group.id, GroupRegistration.status == Status.WAITING)
        .order_by(GroupRegistration.id)).all()


def rows_of(html, caption_id) -> list[str]:
    """The body rows of the table captioned `caption_id`."""
    match = re.search(r'<caption id="' + re.escape(caption_id) + r'".*?</table>', html, re.S)
    assert match, f"no table {caption_id}"
    return re.findall(r"<tr>.*?</tr>", match.group(0).split("<tbody>", 1)[1], re.S)


def names_and_positions(html, group) -> list[tuple[int, str]]:
    return [(int(position), name) for position, name in re.findall(
        r'<tr><td>(\d+)</td>\s*<th scope="row">([^<]+)</th>', html.split(f'<caption id="oczekujacy-{group.id}"')[1])]


def text(html) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"')


def staff_client(app, user):
    """A client of its own, signed in as `user` (read afresh: `count_queries` empties the session)."""
    client = app.test_client()
    login_as(client, db.session.get(type(user), db.inspect(user).identity[0]))
    return client


# --- the cost does not grow with the registrations ---------------------------------------------

def test_every_registration_page_runs_the_same_few_queries_for_20_and_4000_registrations(
        app, moderator, signup_open, count_queries):
    consultation_id, people = signup_open.id, People()
    full, meeting = groups()[0], the_meeting()

    def queries() -> dict[str, int]:
        client = staff_client(app, moderator)
        counts = {}
        for url in (OVERVIEW, waiting_url(full), waiting_url(full, 2), ended_url(full), meeting_url(meeting),
                    meeting_url(meeting, 2)):
            with count_queries() as counted:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[url] = counted.count
        return counts

    seed(people, consultation_id, waiting=3, ended=1, meeting=3, free_group=False, holders=False)
    assert total_registrations() == 23
    few = queries()

    seed(people, consultation_id, waiting=780, ended=60, meeting=500, free_group=False)
    assert total_registrations() > 4_000
    many = queries()
    assert few == many
    assert max(many.values()) <= QUERY_LIMIT, many


def test_at_4000_registrations_every_page_is_under_500_kb(app, moderator, signup_open):
    seed(People(), signup_open.id, waiting=850, ended=60, meeting=500)
    assert total_registrations() > 4_000
    full, roomy, meeting = groups()[0], groups()[4], the_meeting()
    client = staff_client(app, moderator)

    overview = client.get(OVERVIEW)
    html = overview.get_data(as_text=True)
    assert overview.status_code == 200 and len(overview.data) <= SIZE_LIMIT, len(overview.data)
    for url in (waiting_url(full), waiting_url(full, 17), ended_url(full), meeting_url(meeting)):
        response = client.get(url)
        assert response.status_code == 200 and len(response.data) <= SIZE_LIMIT, (url, len(response.data))

    # Every seat at a glance: the holders of each group in full, the start of each long list.
    assert len(rows_of(html, f"zajmuja-miejsce-{full.id}")) == full.capacity
    assert len(rows_of(html, f"zajmuja-miejsce-{roomy.id}")) == roomy.capacity // 2
    assert len(rows_of(html, f"oczekujacy-{full.id}")) == boards.PREVIEW
    assert len(rows_of(html, f"zakonczone-{full.id}")) == boards.ENDED_PREVIEW
    assert len(rows_of(html, f"zgloszenia-na-spotkanie-{meeting.id}")) == boards.PREVIEW
    assert f"Miejsca zajęte: {full.capacity} z {full.capacity}. Na liście oczekujących: 850." in text(html)
    assert f'<a href="{waiting_url(full)}">Pokaż całą listę oczekujących (850)</a>' in html
    assert f'<a href="{ended_url(full)}">Pokaż wszystkie zakończone zgłoszenia (60)</a>' in html
    assert f'<a href="{meeting_url(meeting)}">Pokaż wszystkie zgłoszenia na spotkanie (500)</a>' in html
    assert "pierwsze 10 z 850, w kolejności zgłoszeń" in text(html)
    # Per-row forms only for the rows shown: a cancel form for each holder and each waiting row shown.
    holders = sum(group.capacity for group in groups()[:4]) + roomy.capacity // 2
    assert html.count('name="cancel_reason"') == holders + 4 * boards.PREVIEW + boards.PREVIEW


def test_the_overview_of_a_small_consultation_shows_everything_without_links(moderator_client, signup_open):
    seed(People(), signup_open.id, waiting=3, ended=2, meeting=4)
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    full = groups()[0]
    assert len(rows_of(html, f"oczekujacy-{full.id}")) == 3
    assert "Lista oczekujących grupy" in html and "(3), w kolejności zgłoszeń" in text(html)
    assert "Pokaż całą listę" not in html and "Pokaż wszystkie" not in html


def test_rows_stamped_from_a_stand_in_are_the_rows_rendered_in_full(app, moderator, signup_open, monkeypatch):
    """Each group's row forms are rendered once a page and stamped with every row's number and
    name; the page must be the one rendering every row in full would give."""
    from portal.registrations import manage
    from portal.registrations import manage_forms as forms

    seed(People(), signup_open.id, waiting=60, ended=2, meeting=2)
    full = groups()[0]
    tricky = db.session.get(GroupRegistration, waiting_ids(full)[52])
    tricky.full_name = '<b>Ola & "Jan" 987</b>'
    db.session.commit()
    urls = (OVERVIEW, waiting_url(full, 2))
    client = staff_client(app, moderator)
    stamped = [client.get(url).get_data(as_text=True) for url in urls]

    group_rows = manage._RowForms.group_rows

    def every_row_in_full(self, registrations, choices):
        registrations = list(registrations)
        rows = group_rows(self, registrations, choices)
        for r in registrations:
            rows["row_forms"][r.id] = {"cancel": forms.CancelForm(formdata=None, row_id=r.id),
                                       "move": forms.MoveForm(formdata=None, row_id=r.id, groups=choices,
                                                              current_group_id=r.group_id)}
        return rows

    monkeypatch.setattr(manage._RowForms, "group_rows", every_row_in_full)
    in_full = [client.get(url).get_data(as_text=True) for url in urls]

    def same_token(html):
        return re.sub(r'value="[\w-]+\.[\w-]+\.[\w-]+"', 'value="token"', html)  # signed at another second

    for one, other in zip(stamped, in_full):
        assert same_token(one) == same_token(other)
    assert "&lt;b&gt;Ola &amp; &#34;Jan&#34; 987&lt;/b&gt;" in stamped[1]
    assert str(manage.ROW_STAND_IN.id) not in stamped[0] + stamped[1]
    assert manage.ROW_STAND_IN.name not in stamped[0] + stamped[1]


# --- the waiting list, a page at a time --------------------------------------------------------

def test_the_waiting_list_pages_keep_the_order_of_arrival_and_the_positions(moderator_client, signup_open):
    seed(People(), signup_open.id, waiting=120, ended=0, meeting=0)
    full = groups()[0]
    in_line = waiting_ids(full)
    names = {r.id: r.full_name for r in db.session.scalars(
        select(GroupRegistration).where(GroupRegistration.id.in_(in_line)))}

    seen = []
    for page in (1, 2, 3):
        response = moderator_client.get(waiting_url(full, page))
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        html = response.get_data(as_text=True)
        seen += names_and_positions(html, full)
        assert f"strona {page} z 3" in html
    assert seen == [(position, names[registration_id]) for position, registration_id in enumerate(in_line, 1)]

    second = moderator_client.get(waiting_url(full, 2)).get_data(as_text=True)
    assert f'href="{waiting_url(full, 1)}" rel="prev"' in second
    assert f'href="{waiting_url(full, 3)}" rel="next"' in second
    assert "Lista oczekujących grupy" in second and "(120), w kolejności zgłoszeń" in text(second)
    # A page past the end shows the last one; the overview is one link away.
    past = moderator_client.get(waiting_url(full, 9)).get_data(as_text=True)
    assert names_and_positions(past, full)[0][0] == 101 and "strona 3 z 3" in past
    assert f'href="{OVERVIEW}#grupa-{full.id}"' in past


def test_the_list_pages_have_the_overviews_structure(moderator_client, signup_open):
    seed(People(), signup_open.id, waiting=60, ended=60, meeting=60)
    full, meeting = groups()[0], the_meeting()
    for url in (waiting_url(full, 2), ended_url(full, 2), meeting_url(meeting, 2)):
        html = moderator_client.get(url).get_data(as_text=True)
        levels = [int(level) for level in re.findall(r"<h([1-6])", html.split('id="tresc"', 1)[1])]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), url
        assert html.count("<table") == html.count("<caption") == html.count('class="table-scroll"') >= 1
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
            assert f'<label class="field__label" for="{field_id}">' in html, (url, field_id)
        ids = re.findall(r' id="([^"]+)"', html)
        assert len(ids) == len(set(ids)), url
        assert "Strona zawiera dane osobowe." in html


def test_the_ended_list_pages_through_every_ended_registration(moderator_client, signup_open):
    seed(People(), signup_open.id, waiting=0, ended=70, meeting=0)
    full = groups()[0]
    first = moderator_client.get(ended_url(full)).get_data(as_text=True)
    second = moderator_client.get(ended_url(full, 2)).get_data(as_text=True)
    assert len(rows_of(first, f"zakonczone-{full.id}")) == boards.PER_PAGE
    assert len(rows_of(second, f"zakonczone-{full.id}")) == 70 - boards.PER_PAGE
    assert "wycofane przez zgłaszającego" in text(second) and "<form" not in second.split('id="tresc"', 1)[1].split(
        "</main>")[0].replace('<form method="post" action="/wyloguj"', "")


# --- acting from a page of a list --------------------------------------------------------------

def test_cancelling_from_page_2_of_a_waiting_list_returns_to_page_2_with_the_flash(moderator_client, signup_open,
                                                                                     smtp_sink):
    seed(People(), signup_open.id, waiting=120, ended=0, meeting=0)
    full = groups()[0]
    person_id = waiting_ids(full)[60]  # 61st in line: page 2
    page = waiting_url(full, 2)
    html = moderator_client.get(page).get_data(as_text=True)
    assert f'action="/zespol/zgloszenia/{person_id}/anuluj"' in html

    response = moderator_client.post(f"/zespol/zgloszenia/{person_id}/anuluj", data={
        "cancel_reason": "Zgłoszenie złożone dwukrotnie", "strona": "2",
        "csrf_token": form_token(moderator_client, page)})
    assert response.status_code == 303
    assert response.headers["Location"] == page
    after = moderator_client.get(page).get_data(as_text=True)
    assert "Anulowano zgłoszenie: Osoba" in after and 'class="flash flash--success"' in after
    assert person_id not in waiting_ids(full) and len(waiting_ids(full)) == 119
    positions = names_and_positions(after, full)
    assert [position for position, _name in positions] == list(range(51, 101))  # the line closed up
    assert len(smtp_sink.messages) == 1


def test_moving_from_page_2_returns_to_page_2_of_the_old_group(moderator_client, signup_open):
    seed(People(), signup_open.id, waiting=60, ended=0, meeting=0)
    full, roomy = groups()[0], groups()[4]
    person_id = waiting_ids(full)[55]
    page = waiting_url(full, 2)
    html = moderator_client.get(page).get_data(as_text=True)
    # Only a group with a free seat is offered.
    select_html = re.search(rf'<select[^>]*id="target_group-{person_id}".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', select_html) == [str(roomy.id)]

    response = moderator_client.post(f"/zespol/zgloszenia/{person_id}/przenies", data={
        "target_group": str(roomy.id), "move_reason": "Prośba telefoniczna", "strona": "2",
        "csrf_token": form_token(moderator_client, page)})
    assert response.status_code == 303 and response.headers["Location"] == page
    moved = db.session.get(GroupRegistration, person_id, populate_existing=True)
    assert (moved.group_id, moved.status) == (roomy.id, Status.PENDING)
    assert "Przeniesiono zgłoszenie: Osoba" in moderator_client.get(page).get_data(as_text=True)


def test_a_form_with_an_error_is_shown_again_on_its_page_with_the_error_by_the_field(moderator_client, signup_open):
    seed(People(), signup_open.id, waiting=120, ended=0, meeting=0)
    full = groups()[0]
    person_id = waiting_ids(full)[110]  # page 3
    page = waiting_url(full, 3)
    response = moderator_client.post(f"/zespol/zgloszenia/{person_id}/anuluj", data={
        "cancel_reason": "", "strona": "3", "csrf_token": form_token(moderator_client, page)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "strona 3 z 3" in html and html.count("<details open>") == 1
    assert f'<a href="#cancel_reason-{person_id}">Powód anulowania: Podaj powód anulowania' in html
    assert person_id in waiting_ids(full)


def test_a_stale_form_from_a_list_page_changes_nothing_and_keeps_what_was_typed(moderator_client, signup_open):
    seed(People(), signup_open.id, waiting=60, ended=0, meeting=0)
    full = groups()[0]
    person_id = waiting_ids(full)[55]
    response = moderator_client.post(f"/zespol/zgloszenia/{person_id}/anuluj",
                                     data={"cancel_reason": "Rezygnacja telefoniczna", "strona": "2"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz nie został wysłany" in html and 'value="Rezygnacja telefoniczna"' in html
    assert "strona 2 z 2" in html and person_id in waiting_ids(full)


def test_every_form_on_a_list_page_carries_its_page_and_a_csrf_token(moderator_client, signup_open, frozen_clock):
    seed(People(), signup_open.id, waiting=60, ended=0, meeting=60)
    frozen_clock.set_local(AFTER_THE_SESSIONS)
    full, meeting = groups()[0], the_meeting()
    for url in (waiting_url(full, 2), meeting_url(meeting, 2)):
        html = moderator_client.get(url).get_data(as_text=True)
        forms = re.findall(r'<form method="post" action="/zespol/[^"]*".*?</form>', html, re.S)
        assert forms, url
        for form in forms:
            assert 'name="csrf_token"' in form and '<input type="hidden" name="strona" value="2">' in form, form[:120]


# --- a meeting's list -------------------------------------------------------------------------

def test_meeting_attendance_is_marked_a_page_at_a_time_on_the_meetings_list(moderator_client, signup_open,
                                                                            frozen_clock):
    seed(People(), signup_open.id, waiting=0, ended=0, meeting=120)
    meeting = the_meeting()
    frozen_clock.set_local(AFTER_THE_SESSIONS)
    overview = text(moderator_client.get(OVERVIEW).get_data(as_text=True).split('id="spotkania"', 1)[1])
    assert "Obecność: 0, nieobecność: 0, bez zaznaczenia: 40." in overview  # all 40 confirmed counted
    assert "Zaznacz obecność na pełnej liście zgłoszeń" in overview and "Zapisz obecność" not in overview

    page = meeting_url(meeting, 2)
    html = moderator_client.get(page).get_data(as_text=True)
    on_page = db.session.scalars(select(MeetingRegistration).where(MeetingRegistration.meeting_id == meeting.id)
                                 .order_by(MeetingRegistration.id).offset(50).limit(50)).all()
    confirmed = [r for r in on_page if r.status == Status.CONFIRMED]
    assert html.count('value="present"') == len(confirmed) > 0
    marks = {f"obecnosc-{r.id}": "present" for r in confirmed}
    response = moderator_client.post(f"/zespol/spotkania/{meeting.id}/obecnosc", data={
        **marks, "strona": "2", "csrf_token": form_token(moderator_client, page)})
    assert response.status_code == 303
    assert response.headers["Location"] == page
    after = text(moderator_client.get(page).get_data(as_text=True))
    assert (f"Zapisano obecność. Obecność: {len(confirmed)}, nieobecność: 0, "
            f"bez zaznaczenia: {40 - len(confirmed)}.") in after

    # A page of the list with nobody confirmed says so (the counts are still the meeting's).
    last = [r.id for r in db.session.scalars(select(MeetingRegistration).order_by(MeetingRegistration.id)
                                             .offset(100))]
    db.session.execute(update(MeetingRegistration).where(MeetingRegistration.id.in_(last))
                       .values(status=Status.PENDING, confirmed_at=None))
    db.session.commit()
    third = text(moderator_client.get(meeting_url(meeting, 3)).get_data(as_text=True))
    assert "Na tej stronie listy nie ma osób z potwierdzonym zgłoszeniem." in third and "Zapisz obecność" not in third
    assert f"Obecność: {len(confirmed)}, nieobecność: 0," in third


def test_cancelling_a_meeting_registration_from_page_3_returns_there(moderator_client, signup_open):
    seed(People(), signup_open.id, waiting=0, ended=0, meeting=120)
    meeting = the_meeting()
    guest = db.session.scalars(select(MeetingRegistration).order_by(MeetingRegistration.id).offset(110)).first()
    page = meeting_url(meeting, 3)
    response = moderator_client.post(f"/zespol/zgloszenia-na-spotkania/{guest.id}/anuluj", data={
        "cancel_reason": "Prośba o wypisanie", "strona": "3", "csrf_token": form_token(moderator_client, page)})
    assert response.status_code == 303 and response.headers["Location"] == page
    assert "Anulowano zgłoszenie" in moderator_client.get(page).get_data(as_text=True)
    assert db.session.get(MeetingRegistration, guest.id, populate_existing=True).status == Status.CANCELLED


def test_forms_on_the_overview_still_return_to_the_overview(moderator_client, signup_open):
    seed(People(), signup_open.id, waiting=30, ended=0, meeting=0)
    full = groups()[0]
    person_id = waiting_ids(full)[0]
    response = moderator_client.post(f"/zespol/zgloszenia/{person_id}/anuluj", data={
        "cancel_reason": "Rezygnacja", "csrf_token": form_token(moderator_client, OVERVIEW)})
    assert response.status_code == 303 and response.headers["Location"] == f"{OVERVIEW}#grupa-{full.id}"


# --- who may see them -------------------------------------------------------------------------

def list_pages() -> list[str]:
    return [waiting_url(groups()[0]), ended_url(groups()[0]), meeting_url(the_meeting())]


def test_participants_get_403_and_anonymous_visitors_are_sent_to_log_in(client, jan, signup_open):
    seed(People(), signup_open.id, waiting=5, ended=1, meeting=2)
    for url in list_pages():
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/logowanie"), url
    login_as(client, jan)
    for url in list_pages():
        assert client.get(url).status_code == 403, url


def test_list_pages_are_never_cached_and_admins_see_them_too(admin_client, signup_open):
    seed(People(), signup_open.id, waiting=5, ended=1, meeting=2)
    for url in list_pages():
        response = admin_client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url


def test_a_group_or_meeting_of_another_consultation_is_404(moderator_client, signup_open):
    from portal.consultations.models import Consultation

    other = Consultation(slug="inne-konsultacje", title="Inne konsultacje", timezone="Europe/Warsaw")
    db.session.add(other)
    db.session.flush()
    group = WorkingGroup(consultation_id=other.id, name="Obca grupa", capacity=10)
    meeting = Meeting(consultation_id=other.id, title="Obce spotkanie", starts_at=clock.now_utc(),
                      registration_deadline=clock.now_utc())
    db.session.add_all([group, meeting])
    db.session.commit()
    for url in (waiting_url(group), ended_url(group), meeting_url(meeting),
                f"/zespol/konsultacje/{SLUG}/zapisy/grupy/999999/oczekujacy",
                f"/zespol/konsultacje/nie-ma-takich/zapisy/grupy/{groups()[0].id}/oczekujacy"):
        assert moderator_client.get(url).status_code == 404, url
