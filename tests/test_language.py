"""The portal's Polish, as docs/jezyk.md sets it out: checked in the texts and in what people see.

Three layers: every Polish text in the code and templates (extracted as `make translations` does,
plus the Polish plural forms of the catalogue); the e-mails, each template rendered; the pages of
the running app, crawled as anonymous, participant, moderator and admin. Then the cases a
pattern cannot see: numbers agreeing with nouns, a comment waiting for moderation said to wait,
the moderation log in words.
"""
from __future__ import annotations

import html as html_lib
import re
from collections import deque
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from portal import clock, mail
from portal.consultations.models import ModerationMode
from portal.extensions import db
from portal.forum import services as forum
from portal.moderation import flags, thread_tools
from portal.moderation import services as moderation
from portal.moderation.models import FlagReason
from portal.moderation.services import RejectionReason
from portal.registrations import services as registrations
from portal.registrations.models import GroupRegistration, Meeting, Status, WorkingGroup
from tests.conftest import form_token, login_as, visible_text

ROOT = Path(__file__).resolve().parent.parent
SLUG = "program-wspolpracy-2021"
DURING_SIGNUP = "2020-08-24 12:00:00"
IN_WINDOW = "2020-09-20 12:00:00"

# --- the rules a machine can check -------------------------------------------------------------

# (pattern, why it is wrong): docs/jezyk.md, sections 1–2.
FORBIDDEN = [
    (r"\b\w+ł[ae]ś\b", "czas przeszły w 2. osobie zdradza płeć („prosiłeś”, „potwierdziłeś”): "
                       "forma bezosobowa albo strona bierna („nie zostało potwierdzone”)"),
    (r"\b\w*byś\b", "tryb przypuszczający w 2. osobie zdradza płeć („Gdybyś nie mógł”): "
                    "czas teraźniejszy („Jeśli nie możesz”)"),
    (r"\w\((?:a|y|i)\)", "formy z nawiasem („odpowiedział(a)”): jedna forma neutralna („pisze”)"),
    (r"\b\w+ł(?:am|em)/\w+ł(?:am|em)\b", "formy z ukośnikiem („zapoznałam/zapoznałem”): "
                                         "1. osoba czasu teraźniejszego („Przyjmuję do wiadomości”)"),
    (r"\bon-line\b", "piszemy „online”"),
    (r"(?i)\bkomentarz", "wpis na forum to zawsze „uwaga” (wpis pod nią: „odpowiedź”)"),
    (r"(?i)\buwag(?:a|i|ę|ą|ach|om|ami|ze) dla autor", "„uwaga” to wpis na forum; tekst dla autora to „wyjaśnienie”"),
    (r"(?:\d|%\(\w+\)s)\s*os\.", "bez skrótu „os.” przy liczbie (i zgodny czasownik: „2 osoby dostały”)"),
    (r"\bzesp[oó]\w* urzędu\b", "ludzie urzędu to „pracownicy urzędu”"),
    (r"\bNGO\b", "piszemy „organizacja pozarządowa”"),
    (r"\binny powód: ", "etykieta powodu nie poprzedza opisu („Powód: inny powód: …”)"),
]

DOUBLE_STOP = re.compile(r"r\.\.")
# Placeholders that hold a date ending in "r." ("1 grudnia 2026 r."): a full stop after one doubles it.
DATE_THEN_STOP = re.compile(r"%\((?:date|end|until)\)s\.")


def problems_in(text: str) -> list[str]:
    found = [f"{match.group(0)!r}: {why}" for pattern, why in FORBIDDEN for match in re.finditer(pattern, text)]
    found += [f"{match.group(0)!r}: po „r.” nie stawiamy drugiej kropki" for match in DOUBLE_STOP.finditer(text)]
    return found


# --- 1. the Polish texts themselves ------------------------------------------------------------

@lru_cache(maxsize=1)
def polish_texts() -> tuple[str, ...]:
    """Every Polish text: msgids and plural msgids in the code and templates, and the Polish plural forms."""
    method_map = [("portal/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/email/**.txt", "jinja2")]
    texts = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None,
                                                        "ngettext": (1, 2)}):
        texts.update([message] if isinstance(message, str) else [m for m in message if m])
    with open(ROOT / "portal" / "translations" / "pl" / "LC_MESSAGES" / "messages.po", "rb") as f:
        for message in read_po(f, locale="pl"):
            if message.id and isinstance(message.string, tuple):
                texts.update(form for form in message.string if form)
    return tuple(sorted(texts))


def test_there_are_polish_texts_to_check():
    texts = polish_texts()
    assert len(texts) > 1000 and "Wyślij uwagę" in texts


@pytest.mark.parametrize("pattern,why", FORBIDDEN, ids=[why.split(":")[0][:40] for _p, why in FORBIDDEN])
def test_no_polish_text_uses_a_form_the_guide_rules_out(pattern, why):
    offending = [text for text in polish_texts() if re.search(pattern, text)]
    assert offending == [], why + "\n" + "\n".join(offending)


def test_no_polish_text_puts_a_full_stop_after_a_date():
    """"Zapisy do grup ruszą %(date)s." shows "…2026 r.." — the date's "r." ends the sentence."""
    offending = [text for text in polish_texts() if DOUBLE_STOP.search(text) or DATE_THEN_STOP.search(text)]
    assert offending == []


def test_polish_plural_forms_agree_with_the_number():
    """Form 2 is for 2–4 (22–24, …): "zostały 2 z 12 miejsc", "2 osoby dostały" — not "zostało", "dostało"."""
    with open(ROOT / "portal" / "translations" / "pl" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalogue = {m.id: m.string for m in read_po(f, locale="pl") if m.id and isinstance(m.id, tuple)}
    places = catalogue[("zostało %(num)s miejsce z %(capacity)s", "zostało %(num)s z %(capacity)s miejsc")]
    assert places == ("zostało %(num)s miejsce z %(capacity)s", "zostały %(num)s z %(capacity)s miejsc",
                      "zostało %(num)s z %(capacity)s miejsc")
    neuter_with_number = re.compile(r"\b\w+ło %\(num\)s|%\(num\)s \w+ \w+ło\b")  # "zostało 2", "2 osób dostało"
    for (singular, plural), (one, few, many) in catalogue.items():
        assert not neuter_with_number.search(few), (singular, few)


# --- 2. the e-mails ----------------------------------------------------------------------------

def _email_contexts() -> dict[str, dict]:
    """A realistic context for every e-mail template, sent to "Zofia"."""
    when = datetime(2020, 8, 31, 14, 30, tzinfo=timezone.utc)
    group = SimpleNamespace(name="Wspieranie i promocja wolontariatu", meeting_starts_at=when)
    other_group = SimpleNamespace(name="Współpraca w okresie pandemii", meeting_starts_at=None)
    meeting = SimpleNamespace(title="Spotkanie online: omówienie propozycji", starts_at=when,
                              join_url="https://spotkania.example.org/abc")
    zofia = SimpleNamespace(display_name="Zofia Nowak")
    thread = SimpleNamespace(title="Formy współpracy")
    post = SimpleNamespace(id=7, body="Proponujemy dłuższe terminy.")
    manage = "http://localhost/zgloszenie?t=abc"
    # Zofia refused recording (basis: consent), so the e-mails say how she takes part.
    registration = SimpleNamespace(recording_basis="consent", recording_consent=False,
                                   privacy_notice_version="2020-08")
    summary = SimpleNamespace(total=3, pending=2, flagged=1, oldest=[
        SimpleNamespace(pending=True, reports=0, thread_title="Uwagi ogólne", waiting_since=when,
                        link="http://localhost/x"),
        SimpleNamespace(pending=False, reports=2, thread_title="Uwagi ogólne", waiting_since=when,
                        link="http://localhost/y")])
    return {
        "account_blocked": {"user": zofia, "until": datetime(2020, 10, 1, tzinfo=timezone.utc), "reason": "Spam"},
        "account_exists": {"login_url": "http://localhost/logowanie",
                           "reset_url": "http://localhost/nie-pamietam-hasla"},
        "account_unblocked": {"user": zofia, "reason": "Wyjaśnione"},
        "email_change_requested": {"new_email": "zofia@nowy.example"},
        "forum_new_comment": {"thread": thread, "post": post, "link": "http://localhost/forum/uwagi/7"},
        "forum_reply": {"author_name": "Zofia Nowak", "thread": thread, "post": post,
                        "link": "http://localhost/forum/uwagi/7"},
        "meeting_link": {"meeting": meeting},
        "group_meeting_link": {
            "group": SimpleNamespace(name=group.name, meeting_starts_at=when, join_url="https://spotkania.example.org/g"),
            "consultation": SimpleNamespace(timezone="Europe/Warsaw"),
            "ics_url": "http://localhost/konsultacje/x/grupy-robocze/1.ics", "manage_url": manage,
            "registration": registration},
        "meeting_registration_cancelled": {"meeting": meeting, "registration": registration,
                                           "reason": "Zgłoszenie złożone dwukrotnie"},
        "news_confirm": {"confirm_url": "http://localhost/powiadomienia/potwierdz/abc", "valid_days": 7},
        "news_already_subscribed": {"unsubscribe_url": "http://localhost/powiadomienia/wypisz/abc"},
        "news_phase": {"consultation": SimpleNamespace(title="Program współpracy na 2021 rok",
                                                       timezone="Europe/Warsaw"),
                       "phases": [SimpleNamespace(title="Konsultacje elektroniczne",
                                                  starts_at=datetime(2020, 9, 16, 22, tzinfo=timezone.utc),
                                                  ends_at=datetime(2020, 9, 30, 22, tzinfo=timezone.utc))],
                       "url": "http://localhost/konsultacje/x",
                       "unsubscribe_url": "http://localhost/powiadomienia/wypisz/abc"},
        "news_publication": {"consultation": SimpleNamespace(title="Program współpracy na 2021 rok",
                                                             lead="Zapraszamy organizacje."),
                             "url": "http://localhost/konsultacje/x",
                             "unsubscribe_url": "http://localhost/powiadomienia/wypisz/abc"},
        "meeting_registered": {"meeting": meeting, "manage_url": manage, "registration": registration},
        "moderation_digest": {"summary": summary, "queue_url": "http://localhost/moderacja/kolejka", "now": when},
        "password_changed": {},
        "post_approved_with_edits": {"thread": thread, "post": post},
        "post_rejected": {"thread": thread, "post": post, "reason": "Reklama sklepu w treści."},
        "post_edit_rejected": {"thread": thread, "post": post, "reason": "Zmiana sensu uwagi po odpowiedziach.",
                               "refused_body": "Nowa treść uwagi."},
        "registration_cancelled": {"group": group, "reason": "Zgłoszenie złożone dwukrotnie"},
        "registration_confirmed": {"group": group, "manage_url": manage, "registration": registration},
        "registration_expired": {"group": group, "hold_hours": 48},
        "registration_held": {"group": group, "hold_hours": 48, "manage_url": manage,
                              "registration": registration},
        "registration_moved": {"previous": other_group, "group": group, "manage_url": manage},
        "registration_promoted": {"group": group, "hold_hours": 48, "manage_url": manage},
        "registration_waiting": {"group": group, "position": 2, "manage_url": manage},
        "registration_withdrawn": {"group": group},
        "registration_data_link": {"link": "http://localhost/moje-zgloszenia/dane/pobierz?token=abc", "hours": 24},
        "registration_links": {"links": [
            {"name": group.name, "is_group": True, "url": "http://localhost/zgloszenie?t=abc"},
            {"name": meeting.title, "is_group": False, "url": "http://localhost/zgloszenie?t=def"}]},
        "report_published": {"consultation": SimpleNamespace(title="Program współpracy na 2021 rok"),
                             "comments": [(3, "http://localhost/raport#uwaga-3")], "link": "http://localhost/raport"},
        "reset_password": {"link": "http://localhost/nowe-haslo?t=abc"},
        "verify_email": {"new_address": False, "user": zofia, "link": "http://localhost/potwierdz-email?t=abc",
                         "hours": 48},
    }


@pytest.fixture
def rendered_emails(app):
    """Every e-mail template, as the outbox would hold it: {template: subject + body}."""
    contexts = _email_contexts()
    out = {}
    with app.test_request_context("/"):
        for template, context in contexts.items():
            message = mail.queue("zofia@ngo.example", template, **context)
            out[template] = f"{message.subject}\n{message.body}"
        db.session.rollback()
    return out


def test_every_email_template_is_checked(rendered_emails):
    # Partials ("_news_footer.txt") are included by others, never sent on their own.
    templates = {path.stem for path in (ROOT / "templates" / "email").glob("*.txt")
                 if not path.name.startswith("_")}
    assert templates == set(rendered_emails), "add a context for the new e-mail to _email_contexts()"


def test_emails_speak_to_anyone_alike_and_follow_the_guide(rendered_emails):
    found = {template: problems_in(text) for template, text in rendered_emails.items()}
    assert {template: problems for template, problems in found.items() if problems} == {}
    # What the issue quotes, said without a gender now:
    assert "Jeśli nie możesz wziąć udziału" in rendered_emails["registration_confirmed"]
    assert "nie zostało potwierdzone w ciągu 48 godzin" in rendered_emails["registration_expired"]
    assert "Zofia Nowak pisze w odpowiedzi na Twoją uwagę" in rendered_emails["forum_reply"]
    assert "Link działa przez 48 godzin." in rendered_emails["verify_email"]


def test_after_dzien_dobry_an_email_goes_on_in_small_letters(rendered_emails):
    """"Dzień dobry," then the first sentence in lower case, but for "Twój…" and names (docs/jezyk.md, 6)."""
    for template, text in rendered_emails.items():
        first = text.split("Dzień dobry,\n\n", 1)[1].lstrip()
        assert first[0].islower() or first.startswith(("Twój", "Twoj", "Twoi", "Zofia")), (template, first[:40])


def test_a_confirmation_sent_to_zofia_has_no_masculine_form(client, torun, frozen_clock, smtp_sink):
    """Zofia signs up for a group and confirms: both e-mails speak to her as to anyone."""
    frozen_clock.set_local(DURING_SIGNUP)
    form = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
    group = db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position))
    client.post(form, data={"full_name": "Zofia Nowak", "email": "zofia@ngo.example", "phone": "",
                            "organisation_name": "Stowarzyszenie Razem", "organisation_address": "ul. Szeroka 1, Toruń",
                            "organisation_contact": "biuro@ngo.example", "prior_activity": "Wolontariat.",
                            "recording_consent": "y", "privacy_notice": "y", "group": str(group.id),
                            "csrf_token": form_token(client, form)})
    manage = re.sub(r"^https?://[^/]+", "", smtp_sink.last_link("zofia@ngo.example"))
    client.post("/zgloszenie/potwierdz", data={"t": manage.split("t=")[1], "csrf_token": form_token(client, manage)})
    sent = smtp_sink.to("zofia@ngo.example")
    assert [m["Subject"] for m in sent] == ["Potwierdź zapis do grupy roboczej", "Zapis do grupy roboczej potwierdzony"]
    for message in sent:
        body = message.get_content()
        assert problems_in(body) == [] and "mógł" not in body, body


# --- 3. the pages ------------------------------------------------------------------------------

SKIPPED_LINKS = re.compile(r"\.(csv|xlsx|json|ics|xml)$|/pdf$|/jezyk|/wyloguj|/static/")


def crawl(client, start: str = "/", limit: int = 70) -> dict[str, str]:
    """The site's pages reachable by links from `start`, one page per kind (ids do not make new kinds)."""
    pages, kinds, queue = {}, set(), deque([start])
    while queue and len(pages) < limit:
        url = queue.popleft()
        kind = re.sub(r"\d+", "N", url)
        if kind in kinds or SKIPPED_LINKS.search(urlsplit(url).path):
            continue
        kinds.add(kind)
        response = client.get(url)
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        markup = response.get_data(as_text=True)
        pages[url] = visible_text(markup)
        for href in re.findall(r'href="([^"#]+)', markup):
            parts = urlsplit(html_lib.unescape(href))
            if not parts.netloc or parts.netloc == "localhost":
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def signed_in(app, user):
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    return client


@pytest.fixture
def flagged_and_pending(commented, make_user):
    """Of `commented`: a published comment reported by two readers (it stays up), and the pending one."""
    first = commented.comments[0]
    for n in (1, 2):
        flags.report(make_user(f"czytelnik{n}@example.org", name=f"Czytelnik {n}"), first, FlagReason.SPAM)
    db.session.commit()
    return commented


def test_no_page_breaks_the_guide_for_anyone(app, flagged_and_pending):
    """Every kind of page after the comment window, as each kind of person sees it."""
    c = flagged_and_pending
    found, seen = {}, 0
    for person in (None, c.anna, c.moderator, c.admin):
        pages = crawl(signed_in(app, person))
        seen += len(pages)
        for url, text in pages.items():
            if problems_in(text):
                found[f"{person.email if person else 'anonymous'} {url}"] = problems_in(text)
    assert seen > 60, "the crawl reached too few pages to say anything"
    assert found == {}


def test_dates_end_sentences_with_one_full_stop(client, torun, frozen_clock, general):
    """Before the sign-up, during it, before and after the comment window: "r." once."""
    announcement, form = f"/konsultacje/{SLUG}", f"/konsultacje/{SLUG}/grupy-robocze/zapis"
    thread = f"/konsultacje/{SLUG}/forum/watek/{general.id}"
    seen = []
    for moment, url in (("2020-08-01 12:00:00", announcement), (DURING_SIGNUP, form),
                        ("2020-09-10 12:00:00", thread), ("2020-10-05 12:00:00", thread),
                        ("2020-10-05 12:00:00", f"/konsultacje/{SLUG}/forum")):
        frozen_clock.set_local(moment)
        text = visible_text(client.get(url).get_data(as_text=True))
        assert not DOUBLE_STOP.search(text), (moment, url, DOUBLE_STOP.search(text))
        seen.append(text)
    assert "Zapisy do grup ruszą 21 sierpnia 2020 r." in seen[0]
    assert "Zgłoszenia przyjmujemy do 27 sierpnia 2020 r., a jedna osoba" in seen[1]
    assert "potrwa do 30 września 2020 r., a do jego rozpoczęcia" in seen[2]
    assert "Zgłaszanie uwag zakończyło się 30 września 2020 r., a forum" in seen[3]


# --- 4. what a pattern cannot see -------------------------------------------------------------

@pytest.mark.parametrize("held,expected", [(10, "zostały 2 z 12 miejsc"), (7, "zostało 5 z 12 miejsc"),
                                           (11, "zostało 1 miejsce z 12"), (0, "zostało 12 z 12 miejsc")])
def test_places_left_agree_with_their_number(client, torun, frozen_clock, held, expected):
    frozen_clock.set_local(DURING_SIGNUP)
    group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.capacity == 12).order_by(WorkingGroup.position))
    for n in range(held):
        registrations.take_seat(torun, group,
                                registrations.Applicant(f"Osoba {n}", f"osoba{n}@ngo.example", "Org", True))
    db.session.commit()
    for url in (f"/konsultacje/{SLUG}", f"/konsultacje/{SLUG}/grupy-robocze/zapis"):
        assert expected in visible_text(client.get(url).get_data(as_text=True)), url


@pytest.mark.parametrize("mode, said, not_said", [
    (ModerationMode.ALL, "Uwaga czeka na moderację i pojawi się na forum, gdy moderator ją zatwierdzi.",
     "uwaga została dodana"),
    (ModerationMode.NONE, "Dziękujemy, uwaga została dodana.", "czeka na moderację"),
])
def test_the_thanks_for_a_comment_say_whether_it_waits_for_moderation(app, torun, general, anna, frozen_clock,
                                                                       mode, said, not_said):
    torun.moderation_mode = mode
    db.session.commit()
    frozen_clock.set_local(IN_WINDOW)
    client = signed_in(app, anna)
    url = f"/konsultacje/{SLUG}/forum/watek/{general.id}"
    client.post(url, data={"body": "Prosimy o dłuższe terminy.", "action": "send",
                           "csrf_token": form_token(client, url)})
    text = visible_text(client.get(url).get_data(as_text=True))
    assert said in text and not_said not in text


def test_a_reported_comment_is_badged_in_the_feminine(app, flagged_and_pending):
    queue = visible_text(signed_in(app, flagged_and_pending.moderator).get("/moderacja/kolejka").get_data(as_text=True))
    assert "opublikowana, zgłoszona" in queue and "opublikowany" not in queue


def test_people_who_got_the_old_link_agree_with_their_number(app, torun, moderator, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    meeting = db.session.scalar(select(Meeting))
    for n in (1, 2):
        registration = registrations.register_for_meeting(
            meeting, registrations.Applicant(f"Osoba {n}", f"osoba{n}@ngo.example", "Org", True))
        registrations.confirm_meeting(registration)
    meeting.join_url = "https://meet.example.org/old"
    db.session.commit()
    frozen_clock.set_local("2020-09-03 10:00:00")
    assert registrations.send_meeting_links() == 2
    db.session.commit()

    client = signed_in(app, moderator)
    overview = f"/zespol/konsultacje/{SLUG}/zapisy"
    client.post(f"/zespol/spotkania/{meeting.id}/link",
                data={"join_url": "https://meet.example.org/new", "csrf_token": form_token(client, overview)})
    text = visible_text(client.get(overview).get_data(as_text=True))
    assert "2 osoby dostały już poprzedni link i nowego nie dostaną automatycznie" in text


def test_a_rejection_for_another_reason_gives_the_reason_once(app, torun, general, anna, moderator, frozen_clock,
                                                              smtp_sink):
    torun.moderation_mode = ModerationMode.ALL
    db.session.commit()
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, "Kup tanie buty!")
    db.session.commit()
    moderation.reject(moderator, post, post.version, RejectionReason.OTHER, "Reklama sklepu w treści.")
    db.session.commit()
    mail.deliver()
    body = smtp_sink.to(anna.email)[-1].get_content()
    assert "Powód: Reklama sklepu w treści." in body and "inny powód" not in body


RAW_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b|\b(?:None|True|False)\b")


def test_the_moderation_log_speaks_polish(app, torun, general, section_thread, anna, jan, moderator, admin,
                                          frozen_clock, make_user):
    """Moderation, thread tools, registrations and the back office, as the log tells them."""
    from portal.staff import groups as staff_groups, services as staff
    from portal.staff.group_forms import GroupDetails

    frozen_clock.set_local(IN_WINDOW)
    posts = []
    for n, (thread, author) in enumerate(((general, anna), (general, jan), (general, anna), (section_thread, jan))):
        posts.append(forum.post_comment(author, thread, f"Uwaga {n}", now=clock.now_utc() + timedelta(minutes=n)))
    db.session.commit()
    readers = [make_user(f"czytelnik{n}@example.org") for n in (1, 2)]
    for reader in readers:
        flags.report(reader, posts[0], FlagReason.SPAM)
        flags.report(reader, posts[1], FlagReason.OFFENSIVE)
    db.session.commit()
    flags.agree(moderator, posts[0], posts[0].version, "Reklama")
    flags.dismiss(moderator, posts[1], posts[1].version, "W porządku")
    moderation.hide(moderator, posts[2], posts[2].version, "Dane osobowe")
    moderation.unhide(moderator, posts[2], posts[2].version)
    thread_tools.move(moderator, posts[3], general, posts[3].version, "Nie na temat paragrafu")
    for tool in (thread_tools.lock, thread_tools.unlock, thread_tools.pin, thread_tools.unpin):
        tool(moderator, general)
    thread_tools.rename(moderator, general, "Uwagi ogólne do programu")
    db.session.commit()

    group = db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position))
    staff_groups.update_group(admin, group, GroupDetails(group.name, "Opis", 14, group.meeting_starts_at,
                                                         "Urząd", "Rada"))
    staff.update_consultation(admin, torun, {"title": torun.title, "slug": torun.slug, "lead": "Nowy wstęp."})
    now = clock.now_utc()
    registration = GroupRegistration(
        consultation_id=torun.id, group_id=group.id, status=Status.PENDING, full_name="Osoba", email="o@ngo.example",
        organisation_name="Org", recording_consent=True, privacy_notice_version="2020-08",
        privacy_notice_accepted_at=now, created_at=now, hold_expires_at=now + timedelta(hours=48))
    db.session.add(registration)
    db.session.flush()
    registrations.cancel_by_staff(admin, registration, "Podwójne zgłoszenie")
    db.session.commit()
    client = signed_in(app, admin)
    client.post(f"/zespol/konsultacje/{SLUG}/moderacja",
                data={"moderation_mode": "untrusted", "flag_threshold": "5",
                      "csrf_token": form_token(client, f"/zespol/konsultacje/{SLUG}/moderacja")})
    overview = f"/zespol/konsultacje/{SLUG}/zapisy"
    client.post(f"/zespol/spotkania/{db.session.scalar(select(Meeting.id))}/link",
                data={"join_url": "https://meet.example.org/nowy", "csrf_token": form_token(client, overview)})

    markup = client.get("/moderacja/dziennik").get_data(as_text=True)
    rows = [visible_text(row) for row in re.findall(r"(?s)<tbody>.*?</tbody>", markup)]
    text = " ".join(rows)
    assert len(re.findall(r"(?s)<tr\b", "".join(re.findall(r"(?s)<tbody>.*?</tbody>", markup)))) >= 15
    assert RAW_NAME.findall(text) == [], "the log shows a field's or an action's code name"
    assert "zgłoszenia do rozpatrzenia: 2 → ukryta" in text
    assert "Otwarcie wątku" in text and "Zmiana ustawień moderacji" in text
