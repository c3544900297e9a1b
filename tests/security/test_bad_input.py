"""Every input no page can use gives a 4xx with a message — never a 500 — and saves nothing.

Found by an attack test of the production setup (issue 19): ids beyond the database's INTEGER,
page numbers ≥ 2⁶³, NUL bytes in the path, the query string or a form, huge comment versions in
moderator POSTs, dates a time zone conversion can't handle, CR/LF in `next`. The routes come from
the app's url_map (a new route is covered at once); each is called by the least privileged person
who may use it (the access matrix says who), on whichever database the run uses (SQLite, or
PostgreSQL with TEST_DATABASE_URL).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from portal.accounts.models import User
from portal.extensions import db
from tests.conftest import form_token, login_as
from tests.factories import add_held_registration
from tests.security.routes import LOGIN, MATRIX

HUGE_IDS = (2**31, 2**63, 10**30)
HUGE_PAGES = (2**31, 2**63, 10**30, -1)
NUL = "a\x00b"
BAD_DAYS = ("0001-01-01", "9999-12-31")
CRLF_NEXT = "/\r\nSet-Cookie: x=1"
YEARS = "2000–2099"  # the message about a date out of range names the years
ORDER = ("anonymous", "participant", "moderator", "admin")


@dataclass
class Case:
    role: str
    method: str
    url: str
    what: str
    data: dict = field(default_factory=dict)
    allow_redirect: bool = False  # `next` cases: ignoring the bad value and going home is fine
    # A form refused the way the app refuses any invalid form: re-shown (200) or, for the
    # moderators' one-click actions, a redirect with an error message (303); never a 500.
    form: bool = False
    message: str | None = None  # what the re-shown page must say


def role_for(endpoint: str) -> str:
    """The least privileged person the access matrix lets in (a route not in it: the admin)."""
    expected = MATRIX.get(endpoint, (None, None, {}))[2]
    for role in ORDER:
        status = expected.get(role)
        if status is not None and status != 403 and not (role == "anonymous" and status == LOGIN):
            return role
    return "admin"


def _values(rule, ids: dict, slug: str) -> dict:
    return {name: slug if not isinstance(conv, IntegerConverter) else ids.get(name, 1)
            for name, conv in rule._converters.items()}


def _build(app, endpoint: str, values: dict, query: str = "") -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.build(endpoint, values) + (f"?{query}" if query else "")


def cases_for(app, ids: dict, slug: str) -> list[Case]:
    cases = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        role = role_for(rule.endpoint)
        values = _values(rule, ids, slug)
        methods = [m for m in ("GET", "POST") if m in rule.methods]
        for name, conv in rule._converters.items():
            for bad in (HUGE_IDS if isinstance(conv, IntegerConverter) else ()):
                for method in methods:
                    cases.append(Case(role, method, _build(app, rule.endpoint, {**values, name: bad}),
                                      f"{name}={bad}"))
            if not isinstance(conv, IntegerConverter):
                for method in methods:
                    # built by hand: the url_map builder would quote the NUL, the client would not
                    url = _build(app, rule.endpoint, values).replace(quote(slug), quote(NUL))
                    cases.append(Case(role, method, url, f"NUL in {name}"))
        url = _build(app, rule.endpoint, values)
        huge = 2**63
        for method in methods:  # numbers some pages read from the query (who, which section)
            cases.append(Case(role, method, f"{url}?uzytkownik={huge}&sekcja={huge}&odpowiedz={huge}",
                              "huge numbers in the query", form=True, allow_redirect=True))
        if "GET" in methods:
            for page in HUGE_PAGES:
                cases.append(Case(role, "GET", _build(app, rule.endpoint, values, f"strona={page}"),
                                  f"strona={page}"))
            for arg in ("q", "konsultacja", "uzytkownik"):
                cases.append(Case(role, "GET", _build(app, rule.endpoint, values, f"{arg}={quote(NUL)}"),
                                  f"NUL in ?{arg}"))
        if "POST" in methods:
            # Forms drop a NUL byte (portal.forms.Form) and go on: whatever they answer, no 500.
            cases.append(Case(role, "POST", url, "NUL in the form",
                              {"title": NUL, "body": NUL, "q": NUL, "name": NUL, "reason": NUL}, form=True,
                              allow_redirect=True))
    return cases


def targeted_cases(app, ids: dict, slug: str) -> list[Case]:
    """Inputs that only some routes read: versions, dates, numbers in the query, `next`."""
    cases = []
    post = ids["post_id"]
    for endpoint in ("moderation.approve", "moderation.reject", "moderation.hide", "moderation.unhide",
                     "moderation_tools.agree_flags", "moderation_tools.dismiss_flags",
                     "moderation_tools.move_post"):
        url = _build(app, endpoint, {"post_id": post})
        for version in (2**31, 2**63, 10**30, "²"):
            cases.append(Case("moderator", "POST", url, f"version={version}",
                              {"version": str(version), "reason": "spam", "public_reason": "x",
                               "target": str(ids["thread_id"])}, form=True))
    for version in (2**31, 2**63):
        cases.append(Case("moderator", "POST", "/moderacja/zbiorczo", f"bulk version={version}",
                          {"action": "approve", "post_ids": str(post), f"version-{post}": str(version)}, form=True))
        cases.append(Case("moderator", "POST", "/moderacja/zbiorczo", f"bulk post_ids={version}",
                          {"action": "approve", "post_ids": str(version), f"version-{version}": "1"}, form=True))
    day_forms = {
        ("staff.phases", "staff.edit_phase"): lambda day: {
            "kind": "other", "title": "Etap", "start_day": day, "end_day": day},
        ("staff_groups.meetings", "staff_groups.edit_meeting"): lambda day: {
            "title": "Spotkanie", "start_day": day, "start_time": "10:00", "deadline_day": day,
            "deadline_time": "10:00"},
        ("staff_groups.groups", "staff_groups.edit_group"): lambda day: {
            "name": "Grupa", "capacity": "10", "meeting_day": day, "meeting_time": "10:00"},
    }
    for endpoints, data in day_forms.items():
        for endpoint in endpoints:
            rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
            url = _build(app, endpoint, _values(rule, ids, slug))
            for day in BAD_DAYS:
                cases.append(Case("admin", "POST", url, f"day {day}", data(day), form=True, message=YEARS))
    for endpoint in ("moderation_records.log", "moderation_records.log_csv"):
        for query in ("od=0001-01-01", "do=0001-01-01", "od=9999-12-31", "do=9999-12-31"):
            cases.append(Case("moderator", "GET", _build(app, endpoint, {}, query), query, form=True, message=YEARS))
        cases.append(Case("moderator", "GET", _build(app, endpoint, {}, f"uzytkownik={2**63}"),
                          "uzytkownik=2**63", form=True, message="Nie ma konta o takim numerze"))
    workspace = _build(app, "report_workspace.workspace", {"slug": slug})
    cases.append(Case("moderator", "GET", f"{workspace}?sekcja={2**63}", "sekcja=2**63", form=True))
    cases.append(Case("admin", "GET", f"/admin/uzytkownicy?q={quote(NUL)}", "NUL in the user search"))
    cases.append(Case("anonymous", "GET", _build(app, "forum_feeds.search", {"slug": slug}, f"q={quote(NUL)}"),
                      "NUL in the forum search"))
    for role, url in (("anonymous", "/logowanie"), ("moderator", _build(app, "moderation.approve", {"post_id": post}))):
        cases.append(Case(role, "GET" if role == "anonymous" else "POST",
                          f"{url}?next={quote(CRLF_NEXT)}", "CRLF in ?next", allow_redirect=True))
        if role == "moderator":
            cases.append(Case(role, "POST", url, "CRLF in the next field",
                              {"next": CRLF_NEXT, "version": "999"}, allow_redirect=True))
    from tests.conftest import PASSWORD

    people_email = "jan@example.org"  # `commented`'s Jan: the login itself succeeds, `next` must not matter
    cases.append(Case("anonymous", "POST", "/logowanie", "CRLF in next at login",
                      {"email": people_email, "password": PASSWORD, "next": CRLF_NEXT}, allow_redirect=True))
    for endpoint in ("moderation_tools.lock_thread", "moderation_tools.unlock_thread"):
        url = _build(app, endpoint, {"thread_id": ids["thread_id"]})
        cases.append(Case("moderator", "POST", url, "CRLF in the tools' next", {"next": CRLF_NEXT},
                          allow_redirect=True))
        cases.append(Case("moderator", "POST", f"{url}?next={quote(CRLF_NEXT)}", "CRLF in the tools' ?next",
                          allow_redirect=True))
    return cases


def _row_counts() -> dict:
    tables = db.metadata.sorted_tables
    row = db.session.execute(select(*[select(func.count()).select_from(t).scalar_subquery() for t in tables])).one()
    db.session.rollback()
    return dict(zip([t.name for t in tables], row))


@pytest.fixture
def setting(commented, moderator, admin):
    """`commented` plus a pending registration, a participant, and the ids the URLs need."""
    from portal.consultations.models import Document, Phase
    from portal.registrations.models import GroupRegistration, Meeting

    torun = commented.consultation
    group_id = add_held_registration(torun).group_id
    db.session.commit()
    target = db.session.scalar(select(User).where(User.email == "ngo@example.org"))
    ids = {"document_id": db.session.scalar(select(Document.id).order_by(Document.id)),
           "phase_id": db.session.scalar(select(Phase.id).order_by(Phase.id)),
           "group_id": group_id, "user_id": target.id, "organisation_id": target.organisation_id,
           "meeting_id": db.session.scalar(select(Meeting.id).order_by(Meeting.id)),
           "registration_id": db.session.scalar(select(GroupRegistration.id)),
           "thread_id": commented.general.id, "post_id": commented.pending.id, "number": 1}
    people = {"participant": commented.jan, "moderator": moderator, "admin": admin}
    return torun.slug, ids, people


def send(app, case: Case, people: dict):
    client = app.test_client()
    if case.role != "anonymous":
        login_as(client, people[case.role])
    if case.method == "GET":
        return client.get(case.url)
    return client.post(case.url, data={"csrf_token": form_token(client, "/"), **case.data})


def run(app, cases: list[Case], people: dict) -> list[str]:
    failures = []
    for case in cases:
        before = _row_counts()
        try:
            response = send(app, case, people)
        except Exception as error:  # noqa: BLE001 — in tests Flask lets the exception out: a 500
            failures.append(f"{case.role} {case.method} {case.url!r} [{case.what}]: 500 ({error!r:.80})")
            db.session.rollback()
            continue
        status = response.status_code
        location = response.headers.get("Location", "")
        good = 400 <= status < 500 or (case.allow_redirect and status < 500
                                       and "\r" not in location and "\n" not in location)
        if case.form and status in (200, 303):
            body = response.get_data().decode("utf-8", "replace")  # may be a PDF or a spreadsheet
            good = case.message is None or case.message in body
        if not good:
            failures.append(f"{case.role} {case.method} {case.url!r} [{case.what}]: {status}")
        elif status >= 400 and not response.get_data().strip():
            failures.append(f"{case.role} {case.method} {case.url!r} [{case.what}]: {status} without a message")
        if _row_counts() != before and not case.allow_redirect:
            failures.append(f"{case.role} {case.method} {case.url!r} [{case.what}]: something was saved")
    return failures


def _part(case: Case) -> str:
    if "NUL" in case.what:
        return "nul"
    if case.what.startswith("strona"):
        return "pages"
    return "ids" if "_id=" in case.what or case.what.startswith("number=") else "query"


@pytest.mark.parametrize("part", ["ids", "nul", "pages", "query"])  # four tests: spread over the workers
def test_every_route_refuses_out_of_range_ids_nul_bytes_and_huge_page_numbers(app, setting, part):
    slug, ids, people = setting
    every = cases_for(app, ids, slug)
    assert len(every) > 800  # every route: ids, the slug, pages, the query, the form
    cases = [case for case in every if _part(case) == part]
    assert cases
    failures = run(app, cases, people)
    assert not failures, f"{len(failures)} of {len(cases)}:\n" + "\n".join(failures)


def test_versions_dates_query_numbers_and_next_are_refused_where_they_are_read(app, setting):
    slug, ids, people = setting
    cases = targeted_cases(app, ids, slug)
    failures = run(app, cases, people)
    assert not failures, f"{len(failures)} of {len(cases)}:\n" + "\n".join(failures)


def test_a_nul_byte_is_refused_with_a_message(app, setting):
    slug, _ids, _people = setting
    response = app.test_client().get(f"/konsultacje/{slug}/forum/szukaj?q={quote(NUL)}")
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


def test_an_id_beyond_the_database_integer_is_a_missing_page(app, setting):
    _slug, ids, _people = setting
    assert app.test_client().get(f"/forum/uwagi/{2**31 - 1}").status_code == 404
    assert app.test_client().get(f"/forum/uwagi/{2**31}").status_code == 404


def test_the_admin_is_told_which_years_a_date_may_have(app, setting, admin_client):
    slug, _ids, _people = setting
    url = f"/zespol/konsultacje/{slug}/etapy"
    response = admin_client.post(url, data={"csrf_token": form_token(admin_client, url), "kind": "other",
                                            "title": "Etap", "start_day": "0001-01-01", "end_day": "0001-01-02"})
    assert response.status_code == 200  # re-shown with the message, like any invalid form
    assert YEARS in response.get_data(as_text=True)
