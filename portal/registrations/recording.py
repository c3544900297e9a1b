"""Recording meetings: the lawful basis and what a refusal means — one source of truth.

The current privacy notice (the latest published LegalDocument of kind PRIVACY) names the basis
("consent": art. 6(1)(a), a person may refuse; "public_task": art. 6(1)(e), nobody is asked)
and, under consent, how a person who refuses takes part ("camera_off" or "listener"). While no
version is stored, the built-in notice applies: consent, camera off. The sign-up forms, the
privacy notice page and the e-mails all read it from here and print the same texts through
templates/registrations/_recording_notice.html.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.pages import legal
from portal.pages.legal import LegalDocument, LegalKind

CONSENT = "consent"
PUBLIC_TASK = "public_task"
CAMERA_OFF = "camera_off"
LISTENER = "listener"

BASES = (CONSENT, PUBLIC_TASK)
REFUSALS = (CAMERA_OFF, LISTENER)
DEFAULT_BASIS = CONSENT
DEFAULT_REFUSAL = CAMERA_OFF

# The choices admins see when they publish a privacy notice version (portal/pages/manage.py).
BASIS_CHOICES = [(CONSENT, _l("Zgoda osoby zapisującej się (art. 6 ust. 1 lit. a RODO)")),
                 (PUBLIC_TASK, _l("Zadanie publiczne (art. 6 ust. 1 lit. e RODO)"))]
# As staff read the basis in the registration tables and exports.
BASIS_WORDS = {CONSENT: _l("zgoda (art. 6 ust. 1 lit. a RODO)"),
               PUBLIC_TASK: _l("zadanie publiczne (art. 6 ust. 1 lit. e RODO)")}
REFUSAL_CHOICES = [(CAMERA_OFF, _l("Bierze udział z wyłączoną kamerą i mikrofonem")),
                   (LISTENER, _l("Bierze udział jako osoba słuchająca"))]

PURPOSE = _l("Spotkania grup roboczych i spotkania online są nagrywane, aby udokumentować przebieg "
             "konsultacji i spisać zgłoszone uwagi i propozycje. Informujemy o tym w zaproszeniu i przed "
             "rozpoczęciem nagrania. Nagranie może obejmować Twój głos, wizerunek (jeżeli włączysz kamerę), "
             "nazwę wyświetlaną na spotkaniu i wiadomości na czacie.")
_BASIS_TEXT = {
    CONSENT: _l("Podstawa prawna: art. 6 ust. 1 lit. a RODO — Twoja zgoda, o którą prosimy przy zapisie. "
                "Zgoda jest dobrowolna i możesz ją wycofać w dowolnym momencie; nie wpływa to na zgodność "
                "z prawem nagrania sprzed jej wycofania."),
    PUBLIC_TASK: _l("Podstawa prawna: art. 6 ust. 1 lit. e RODO — zadanie publiczne: przeprowadzenie "
                    "i udokumentowanie konsultacji społecznych na podstawie ustawy o działalności pożytku "
                    "publicznego i o wolontariacie. Nie prosimy o zgodę; możesz wnieść sprzeciw "
                    "(art. 21 RODO)."),
}
_REFUSAL_TEXT = {
    CAMERA_OFF: _l("Jeżeli nie zgodzisz się na nagrywanie, nadal możesz się zapisać i wziąć udział "
                   "w spotkaniu — z wyłączoną kamerą i mikrofonem; uwagi możesz napisać na czacie lub "
                   "zgłosić w serwisie."),
    LISTENER: _l("Jeżeli nie zgodzisz się na nagrywanie, nadal możesz się zapisać i wziąć udział "
                 "w spotkaniu — jako osoba słuchająca; uwagi możesz zgłosić w serwisie."),
}
_PUBLIC_TASK_OPTION = _l("Jeżeli nie chcesz, aby nagranie obejmowało Twój głos i wizerunek, nie włączaj "
                         "kamery ani mikrofonu — uwagi możesz napisać na czacie lub zgłosić w serwisie.")
# How a person who refused takes part: the confirmation page and the e-mails say it to them.
_PARTICIPATION = {
    CAMERA_OFF: _l("Nie zgadzasz się na nagrywanie, więc weźmiesz udział w spotkaniu z wyłączoną kamerą "
                   "i mikrofonem. Uwagi możesz napisać na czacie lub zgłosić w serwisie."),
    LISTENER: _l("Nie zgadzasz się na nagrywanie, więc weźmiesz udział w spotkaniu jako osoba słuchająca. "
                 "Uwagi możesz zgłosić w serwisie."),
}


@dataclass(frozen=True)
class RecordingNotice:
    """What one version of the privacy notice says about recording."""

    basis: str
    refusal: str
    version: str  # the notice's label, as registrations store it

    @property
    def asks_consent(self) -> bool:
        return self.basis == CONSENT

    @property
    def purpose_text(self) -> str:
        return str(PURPOSE)

    @property
    def basis_text(self) -> str:
        return str(_BASIS_TEXT[self.basis])

    @property
    def refusal_text(self) -> str:
        """Under consent: what a refusal means; under public task: how to avoid being recorded."""
        return str(_REFUSAL_TEXT[self.refusal] if self.asks_consent else _PUBLIC_TASK_OPTION)


def notice_of(document: LegalDocument | None, version: str | None = None) -> RecordingNotice:
    """The recording part of a stored privacy notice version, or of the built-in one (None)."""
    if document is None:
        return RecordingNotice(DEFAULT_BASIS, DEFAULT_REFUSAL,
                               version or current_app.config["PRIVACY_NOTICE_VERSION"])
    basis = document.recording_basis if document.recording_basis in BASES else DEFAULT_BASIS
    refusal = document.recording_refusal if document.recording_refusal in REFUSALS else DEFAULT_REFUSAL
    return RecordingNotice(basis, refusal, document.label)


def current() -> RecordingNotice:
    """What the privacy notice in force now says (one query)."""
    document = legal.latest(LegalKind.PRIVACY)
    return notice_of(document, None if document else current_app.config["PRIVACY_NOTICE_VERSION"])


def _accepted_notice(registration) -> RecordingNotice:
    """The notice version the registration stored ("3 (2026-12-06)"); the built-in one when the
    label names no stored version."""
    number = (registration.privacy_notice_version or "").split(" ", 1)[0]
    document = legal.version_of(LegalKind.PRIVACY, int(number)) if number.isdigit() else None
    if document is not None and document.label != registration.privacy_notice_version:
        document = None
    return notice_of(document, registration.privacy_notice_version)


def participation(registration) -> str:
    """How a person who refused recording takes part (empty when they are recorded as usual)."""
    if registration.recording_basis != CONSENT or registration.recording_consent:
        return ""
    return str(_PARTICIPATION[_accepted_notice(registration).refusal])
