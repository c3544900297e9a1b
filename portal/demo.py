"""Demo data: the Toruń consultation of the 2021 NGO cooperation programme (from the seed page).

Dates are the original 2020 ones, shifted by whole local days so that "today" falls inside the
phase a demo asks for. Contact details are placeholders, not the real official's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select

from portal import clock, demo_report
from portal.accounts.models import Organisation, Role, User
from portal.consultations.models import (
    Consultation,
    Document,
    DocumentKind,
    ModerationMode,
    Phase,
    PhaseKind,
    Status,
)
from portal.extensions import db
from portal.forum import drafts
from portal.registrations.models import Meeting, WorkingGroup

SLUG = "program-wspolpracy-2021"
TZ = clock.DEFAULT_ZONE
PHASE_CHOICES = ("group_signup", "meetings", "e_consultation", "analysis", "closed")

DEMO_USERS = (
    ("admin@example.org", "Administrator (demo)", Role.ADMIN),
    ("moderator@example.org", "Moderator (demo)", Role.MODERATOR),
    ("ngo@example.org", "Anna Nowak (demo)", Role.PARTICIPANT),
)


@dataclass(frozen=True)
class PhaseSpec:
    kind: PhaseKind
    title: str
    first_day: date
    last_day: date
    description: str = ""


PHASES = (
    PhaseSpec(PhaseKind.ANNOUNCEMENT, "Ogłoszenie konsultacji społecznych i naboru do grup roboczych",
              date(2020, 8, 21), date(2020, 8, 21)),
    PhaseSpec(PhaseKind.GROUP_SIGNUP,
              "Przyjmowanie zgłoszeń przedstawicieli organizacji pozarządowych do prac w grupach roboczych",
              date(2020, 8, 21), date(2020, 8, 27),
              "Jedna osoba może zgłosić się do jednej grupy roboczej (10–12 osób w grupie)."),
    PhaseSpec(PhaseKind.MEETINGS, "Spotkania grup roboczych online",
              date(2020, 8, 31), date(2020, 9, 1),
              "31 sierpnia (3 tematy) i 1 września (2 tematy), godz. 16.30; zbieranie propozycji do programu."),
    PhaseSpec(PhaseKind.DRAFTING, "Prace nad projektem programu",
              date(2020, 9, 2), date(2020, 9, 10),
              "Analiza zagadnień zgłoszonych podczas spotkań i przygotowanie propozycji programu na rok 2021."),
    PhaseSpec(PhaseKind.PRESENTATION, "Przedstawienie wyników pracy Prezydentowi Miasta",
              date(2020, 9, 16), date(2020, 9, 16)),
    PhaseSpec(PhaseKind.E_CONSULTATION, "Konsultacje elektroniczne projektu programu",
              date(2020, 9, 17), date(2020, 9, 30),
              "Zgłaszanie uwag do projektu wstępnie zaakceptowanego przez Prezydenta Miasta; "
              "30 września kończą się konsultacje społeczne dokumentu."),
    PhaseSpec(PhaseKind.ANALYSIS, "Analiza i naniesienie uwag z konsultacji",
              date(2020, 10, 1), date(2020, 10, 9)),
    PhaseSpec(PhaseKind.COUNCIL, "Projekt uchwały na sesji Rady Miasta",
              date(2020, 10, 22), date(2020, 10, 22),
              "Przedstawienie Radzie Miasta projektu uchwały w sprawie programu współpracy na 2021 r."),
)

GROUPS = (
    ("Wspieranie i promocja działalności podmiotów ekonomii społecznej", 12, datetime(2020, 8, 31, 16, 30)),
    ("Wspieranie i rozwijanie współpracy biznesu z organizacjami pozarządowymi", 12, datetime(2020, 8, 31, 16, 30)),
    ("Wspieranie i promocja wolontariatu", 12, datetime(2020, 8, 31, 16, 30)),
    ("Współpraca i realizacja zadań publicznych w okresie pandemii", 10, datetime(2020, 9, 1, 16, 30)),
    ("Wspieranie działalności na rzecz osób niepełnosprawnych", 10, datetime(2020, 9, 1, 16, 30)),
)

LEAD = ("Konsultacje społeczne projektu Programu współpracy Gminy Miasta Toruń z organizacjami "
        "pozarządowymi w 2021 r., prowadzone we współpracy z Radą Działalności Pożytku Publicznego.")

BODY = """\
*Dane demonstracyjne na podstawie ogłoszenia z 2020 r.; dane kontaktowe są przykładowe.*

Zgodnie z ustawą o działalności pożytku publicznego i o wolontariacie Rada Miasta corocznie
uchwala, po konsultacjach z organizacjami, **roczny program współpracy z organizacjami
pozarządowymi i innymi podmiotami prowadzącymi działalność pożytku publicznego**. Program roczny
jest obligatoryjny i stanowi podstawę do ogłoszenia otwartych konkursów ofert na wykonanie przez
podmioty pozarządowe zadań publicznych gminy.

Z uwagi na stan pandemii SARS-CoV-2 konsultacje projektu przeprowadzamy w trybie zdalnym.
Tematy grup roboczych zaproponowano na podstawie informacji zebranych od organizacji na początku
sierpnia.

## Zaproszenie do grup roboczych

Zapraszamy przedstawicieli toruńskich organizacji pozarządowych do prac w grupach roboczych.
Jedna osoba może zgłosić się do prac w **jednej** grupie roboczej — spotkania online odbywają
się równolegle. W zgłoszeniu prosimy podać:

- imię i nazwisko,
- dane kontaktowe,
- nazwę reprezentowanej organizacji wraz z adresem jej siedziby i danymi kontaktowymi,
- krótką informację o dotychczasowych działaniach w podmiotach III sektora.

## Zasady zdalnego spotkania

Uczestnicy biorą udział w zadeklarowanych grupach tematycznych. Prace grupy prowadzi dwóch
moderatorów: przedstawiciel samorządu i reprezentant sektora pozarządowego. Na początku spotkania
gospodarze przedstawiają omawiane zagadnienie, a grupa dyskutuje i zgłasza pomysły, propozycje
i uwagi.

**Uwaga:** spotkania są nagrywane na potrzeby spisania zgłoszonych uwag i propozycji, które będą
podstawą dalszych prac nad dokumentem.
"""


def shift_for(phase: str, today: date) -> timedelta:
    """Whole days to add to the 2020 dates so that `today` falls inside the chosen phase."""
    if phase == "closed":
        council = next(p for p in PHASES if p.kind == PhaseKind.COUNCIL)
        return today - (council.last_day + timedelta(days=30))
    spec = next(p for p in PHASES if p.kind == phase)
    middle = spec.first_day + (spec.last_day - spec.first_day) // 2
    return today - middle


def _moved(wall: datetime, days: timedelta) -> datetime:
    """2020 wall-clock time in Warsaw, moved by whole days, as UTC (keeps 16:30 across DST)."""
    return clock.from_local(wall + days, TZ)


def seed(phase: str = "e_consultation", original_dates: bool = False,
         password: str | None = None, draft: bool = True,
         moderation: ModerationMode = ModerationMode.ALL) -> Consultation:
    """(Re)create the demo consultation and the demo accounts; safe to run again.

    With the draft, also the example comments written by today and, after the electronic
    consultation, the answers and the published report (`portal.demo_report`).
    """
    today = clock.to_local(clock.now_utc(), TZ).date()
    days = timedelta(0) if original_dates else shift_for(phase, today)

    db.session.execute(delete(Consultation).where(Consultation.slug == SLUG))
    consultation = Consultation(
        slug=SLUG,
        title="Program współpracy z organizacjami pozarządowymi na 2021 rok",
        lead=LEAD, body=BODY, timezone=TZ, status=Status.PUBLISHED, view_count=7017,
        moderation_mode=moderation,
        contact_name="Anna Przykładowa",
        contact_role="pełnomocnik Prezydenta Miasta ds. współpracy z organizacjami pozarządowymi (dane przykładowe)",
        contact_email="konsultacje@example.org",
        contact_phone="56 000 00 00",
        created_at=_moved(datetime(2020, 8, 21, 9, 0), days),
    )
    consultation.phases = [
        Phase(position=i, kind=spec.kind, title=spec.title, description=spec.description,
              starts_at=clock.start_of_day(spec.first_day + days, TZ),
              ends_at=clock.end_of_day(spec.last_day + days, TZ))
        for i, spec in enumerate(PHASES)
    ]
    consultation.documents = [
        Document(position=0, kind=DocumentKind.CURRENT,
                 title="Program współpracy międzysektorowej w Toruniu na rok 2020 (obowiązujący)",
                 url="https://www.bip.torun.pl/dokumenty.php?Kod=1254074"),
        Document(position=1, kind=DocumentKind.OTHER,
                 title="Ogłoszenie konsultacji w serwisie konsultacje.torun.pl (2020)",
                 url="https://www.konsultacje.torun.pl/pl/wspolnie-o-programie-ostatni-etap"),
    ]
    db.session.add(consultation)
    db.session.flush()
    if draft:
        drafts.publish(consultation, drafts.DEMO_DRAFT.read_text(encoding="utf-8"),
                       now=_moved(datetime(2020, 9, 16, 12, 0), days))

    groups = [
        WorkingGroup(consultation_id=consultation.id, position=i, name=name, capacity=capacity,
                     meeting_starts_at=_moved(meeting, days),
                     meeting_ends_at=_moved(meeting + GROUP_MEETING_LENGTH, days),
                     join_url=f"https://spotkania.example.org/torun-grupa-{i + 1}",
                     moderator_office="przedstawiciel Urzędu Miasta (przykład)",
                     moderator_ngo="członek Rady Działalności Pożytku Publicznego (przykład)")
        for i, (name, capacity, meeting) in enumerate(GROUPS)
    ]
    db.session.add_all(groups)
    meeting = Meeting(
        consultation_id=consultation.id,
        title="Spotkanie online: omówienie propozycji do programu",
        topic="Podsumowanie propozycji zebranych w grupach roboczych i dyskusja nad kształtem projektu programu.",
        moderators="członkowie Rady Działalności Pożytku Publicznego i pracownicy wydziałów Urzędu Miasta (przykład)",
        starts_at=_moved(datetime(2020, 9, 3, 16, 30), days),
        ends_at=_moved(datetime(2020, 9, 3, 18, 30), days),
        registration_deadline=_moved(datetime(2020, 9, 3, 10, 0), days),
        join_url="https://spotkania.example.org/torun-program-2021",
    )
    db.session.add(meeting)
    _seed_materials(groups[0], meeting)
    _seed_users(password)
    if draft:
        demo_report.seed_example_comments(consultation, days)
    return consultation


GROUP_MEETING_LENGTH = timedelta(hours=2)

GROUP_SUMMARY = """\
Grupa zebrała propozycje do programu na 2021 rok (dane demonstracyjne):

- **szkolenia** z ekonomii społecznej dla organizacji, które zaczynają działalność gospodarczą,
- wspólna promocja produktów i usług podmiotów ekonomii społecznej na stronie miasta,
- klauzule społeczne w zamówieniach publicznych gminy.
"""

MEETING_SUMMARY = """\
Omówiliśmy propozycje zebrane w pięciu grupach roboczych. Uczestnicy poparli zwiększenie puli
**małych grantów** i prosili o prostsze sprawozdania z realizacji zadań (dane demonstracyjne).
"""


def _seed_materials(group: WorkingGroup, meeting: Meeting) -> None:
    """A summary and a recording link for the first group and the meeting, once they have taken place."""
    now = clock.now_utc()
    if now >= group.meeting_ends_at:
        group.summary = GROUP_SUMMARY
        group.recording_url = "https://nagrania.example.org/torun-grupa-1"
        group.materials_updated_at = group.meeting_ends_at
    if now >= meeting.ends_at:
        meeting.summary = MEETING_SUMMARY
        meeting.recording_url = "https://nagrania.example.org/torun-spotkanie-2021"
        meeting.materials_updated_at = meeting.ends_at


def _seed_users(password: str | None) -> None:
    for email, name, role in DEMO_USERS:
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            user = User(email=email, display_name=name, role=role, email_verified_at=clock.now_utc())
            db.session.add(user)
        user.role = role
        if role == Role.PARTICIPANT and user.organisation is None:
            user.organisation = Organisation(name="Fundacja Przykładowa (demo)", city="Toruń",
                                             verified_at=clock.now_utc())
        if password:
            user.set_password(password)
