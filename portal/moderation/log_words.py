"""The moderation log in words: labels for actions, targets, fields and their values.

Every action, field and stored code an audit row may carry is said in Polish here, so the log
(page and CSV, `portal/moderation/log.py`) never shows a code name.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from flask_babel import gettext as _, lazy_gettext as _l

from portal import formatting
from portal.accounts.admin_services import ACTION_LABELS as ACCOUNT_ACTION_LABELS, describe_state
from portal.forum.models import PostState
from portal.registrations.exports import STATUS_LABELS as REGISTRATION_STATUS_LABELS


# Grouped as the action filter shows them (<optgroup>). An action not listed is shown by its name.
ACTION_GROUPS = [
    (_l("Moderacja uwag"), {
        "post_approved": _l("Publikacja uwagi"),
        "post_approved_with_edits": _l("Publikacja uwagi z poprawkami moderatora"),
        "post_rejected": _l("Odrzucenie uwagi"),
        "post_edit_approved": _l("Publikacja zmienionej treści uwagi"),
        "post_edit_rejected": _l("Odrzucenie zmiany treści uwagi"),
        "post_hidden": _l("Ukrycie uwagi"),
        "post_unhidden": _l("Przywrócenie ukrytej uwagi"),
        "post_hidden_by_flags": _l("Automatyczne ukrycie po zgłoszeniach"),
        "post_hidden_confirmed": _l("Potwierdzenie ukrycia uwagi"),
        "post_moved": _l("Przeniesienie uwagi do innego wątku"),
        "flags_agreed": _l("Uznanie zgłoszeń naruszenia"),
        "flags_dismissed": _l("Oddalenie zgłoszeń naruszenia"),
    }),
    (_l("Wątki"), {
        "thread_locked": _l("Zamknięcie wątku"),
        "thread_unlocked": _l("Otwarcie wątku"),
        "thread_pinned": _l("Przypięcie wątku"),
        "thread_unpinned": _l("Odpięcie wątku"),
        "thread_renamed": _l("Zmiana tytułu wątku"),
    }),
    (_l("Konta i organizacje"), dict(ACCOUNT_ACTION_LABELS)),
    (_l("Konsultacje i zapisy"), {
        "draft_published": _l("Publikacja projektu dokumentu"),
        "registration_confirmed": _l("Potwierdzenie zgłoszenia do grupy roboczej"),
        "registration_cancelled": _l("Anulowanie zgłoszenia do grupy roboczej"),
        "registration_moved": _l("Przeniesienie zgłoszenia do innej grupy"),
        "registrations_exported": _l("Pobranie listy zapisów"),
        "meeting_link_set": _l("Zmiana linku do spotkania"),
        "meeting_registration_confirmed": _l("Potwierdzenie zapisu na spotkanie"),
        "meeting_registration_cancelled": _l("Anulowanie zapisu na spotkanie"),
        "attendance_marked": _l("Zaznaczenie obecności"),
        "materials_changed": _l("Zmiana materiałów ze spotkania"),
        "moderation_log_exported": _l("Pobranie dziennika moderacji"),
        "moderation_settings_changed": _l("Zmiana ustawień moderacji"),
        "consultation_created": _l("Utworzenie konsultacji"),
        "consultation_changed": _l("Zmiana opisu konsultacji"),
        "consultation_published": _l("Publikacja konsultacji"),
        "consultation_unpublished": _l("Wycofanie publikacji konsultacji"),
        "phase_added": _l("Dodanie etapu"),
        "phase_changed": _l("Zmiana etapu"),
        "phase_deleted": _l("Usunięcie etapu"),
        "document_added": _l("Dodanie dokumentu"),
        "document_moved": _l("Zmiana kolejności dokumentów"),
        "document_deleted": _l("Usunięcie dokumentu"),
        "group_added": _l("Dodanie grupy roboczej"),
        "group_changed": _l("Zmiana danych grupy roboczej"),
        "group_deleted": _l("Usunięcie grupy roboczej"),
        "meeting_added": _l("Dodanie spotkania"),
        "meeting_changed": _l("Zmiana spotkania"),
        "meeting_deleted": _l("Usunięcie spotkania"),
        "purge_personal_data": _l("Usunięcie danych osobowych z zapisów"),
    }),
    (_l("Raport"), {
        "answer_comment": _l("Odpowiedź na uwagę"),
        "report_summary_changed": _l("Zmiana opisu przebiegu konsultacji"),
        "report_published": _l("Publikacja raportu"),
        "report_unpublished": _l("Wycofanie publikacji raportu"),
        "final_document_uploaded": _l("Wczytanie wersji końcowej"),
        "change_links_saved": _l("Powiązanie zmian z uwagami"),
        "offline_comment_added": _l("Dodanie uwagi złożonej poza serwisem"),
        "offline_comment_changed": _l("Poprawienie uwagi złożonej poza serwisem"),
        "offline_comment_deleted": _l("Usunięcie uwagi złożonej poza serwisem"),
    }),
]
ACTION_LABELS = {action: label for _group, labels in ACTION_GROUPS for action, label in labels.items()}

TARGET_LABELS = {
    "post": _l("Uwaga nr %(id)s"),
    "thread": _l("Wątek nr %(id)s"),
    "user": _l("Konto nr %(id)s"),
    "organisation": _l("Organizacja nr %(id)s"),
    "consultation": _l("Konsultacja nr %(id)s"),
    "groupregistration": _l("Zgłoszenie do grupy nr %(id)s"),
    "meetingregistration": _l("Zgłoszenie na spotkanie nr %(id)s"),
    "meeting": _l("Spotkanie nr %(id)s"),
    "document": _l("Dokument nr %(id)s"),
    "phase": _l("Etap nr %(id)s"),
    "workinggroup": _l("Grupa robocza nr %(id)s"),
    "moderationlog": _l("Dziennik moderacji"),
}

POST_STATE_LABELS = {
    PostState.PENDING.value: _l("czeka na moderację"),
    PostState.APPROVED.value: _l("opublikowana"),
    PostState.REJECTED.value: _l("odrzucona"),
    PostState.HIDDEN.value: _l("ukryta"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


# Every field an audit row may carry, in words: the log never shows a field's code name
# ("open_flags: 1"). A field without a label would be shown by its name: give every new logged
# field a label here (tests/test_language.py looks for code names in the rendered log).
FIELD_LABELS = {
    "marked": _l("zmienione zaznaczenia"),
    "present": _l("obecność"),
    "absent": _l("nieobecność"),
    "not_marked": _l("bez zaznaczenia"),
    "open_flags": _l("zgłoszenia do rozpatrzenia"),
    "reason": _l("powód"),
    "moved": _l("przeniesione uwagi"),
    "visible": _l("w tym widoczne"),
    "moderation_mode": _l("moderacja"),
    "flag_threshold": _l("ukrycie po zgłoszeniach różnych osób"),
    "join_url": _l("link do spotkania"),
    "meeting_ends_at": _l("koniec spotkania grupy"),
    "required_fields": _l("wymagane pola formularza"),
    "recording_url": _l("link do nagrania"),
    "meeting_summary": _l("podsumowanie spotkania"),
    "minutes_document_id": _l("protokół (numer dokumentu)"),
    "group": _l("grupa"),
    "format": _l("plik"),
    "rows": _l("wiersze"),
    "filter": _l("filtry"),
    "order": _l("kolejność dokumentów (numery)"),
    "comments": _l("uwagi"),
    "section": _l("paragraf"),
    "sections": _l("paragrafy"),
    "changed": _l("zmienione paragrafy"),
    "dropped_links": _l("usunięte powiązania z uwagami"),
    "summary": _l("opis przebiegu konsultacji"),
    "decision": _l("rozstrzygnięcie"),
    "justification": _l("uzasadnienie"),
    "name": _l("nazwa"),
    "description": _l("opis"),
    "capacity": _l("liczba miejsc"),
    "meeting_starts_at": _l("spotkanie grupy"),
    "moderator_office": _l("moderator z urzędu"),
    "moderator_ngo": _l("moderator z organizacji pozarządowych"),
    "topic": _l("temat"),
    "moderators": _l("moderatorzy"),
    "starts_at": _l("początek"),
    "ends_at": _l("koniec"),
    "registration_deadline": _l("koniec zgłoszeń"),
    "kind": _l("rodzaj"),
    "url": _l("adres"),
    "original_name": _l("plik"),
    "content_type": _l("rodzaj pliku"),
    "size_bytes": _l("rozmiar (bajty)"),
    "position": _l("miejsce na liście"),
    "slug": _l("adres strony"),
    "lead": _l("wstęp"),
    "contact_name": _l("osoba do kontaktu"),
    "contact_role": _l("stanowisko osoby do kontaktu"),
    "contact_email": _l("adres e-mail do kontaktu"),
    "contact_phone": _l("telefon do kontaktu"),
    "timezone": _l("strefa czasowa"),
    "group_registrations": _l("zgłoszenia do grup"),
    "meeting_registrations": _l("zgłoszenia na spotkania"),
    "outbox": _l("wiadomości e-mail"),
    "channel": _l("sposób złożenia"),
    "submitter_name": _l("zgłaszający"),
    "received_on": _l("data wpływu"),
}
# Derived from other fields (the moved comment's place in its new thread), or texts shown apart
# (the comment's text, the new text its author proposed): nothing to tell in the line.
UNTOLD_FIELDS = {"body", "proposed_body", "root_id", "path", "depth"}
DATE_FIELDS = {"meeting_starts_at", "meeting_ends_at", "starts_at", "ends_at", "registration_deadline"}
TEXT_FIELDS = {"reason", "summary", "meeting_summary", "justification", "name", "description", "moderator_office", "moderator_ngo",
               "topic", "moderators", "lead", "contact_name", "contact_role"}
TEXT_SHOWN = 80  # characters of a long text shown in the log (the whole text is in the row's data)


def _value_labels(field_name: str, target_type: str) -> dict:
    """Words for a field's stored codes ("published", "off_topic", …), by what the row is about."""
    from portal.moderation.settings import MODE_LABELS
    from portal.registrations.manage import MEETING_STATUS_LABELS
    from portal.reports.models import DECISION_LABELS
    from portal.staff.document_forms import KIND_LABELS as DOCUMENT_KIND_LABELS
    from portal.staff.forms import PHASE_KIND_LABELS
    from portal.staff.manage import STATUS_LABELS as CONSULTATION_STATUS_LABELS

    if field_name == "status":
        return {"consultation": CONSULTATION_STATUS_LABELS, "meetingregistration": MEETING_STATUS_LABELS}.get(
            target_type, REGISTRATION_STATUS_LABELS)
    if field_name == "kind":
        return DOCUMENT_KIND_LABELS if target_type == "document" else PHASE_KIND_LABELS
    from portal.reports.offline import CHANNEL_LABELS

    return {"moderation_mode": MODE_LABELS, "decision": DECISION_LABELS, "channel": CHANNEL_LABELS}.get(field_name, {})


def _moment(value) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return formatting.local_datetime(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))


def _text(value) -> str:
    text = " ".join(str(value).split())
    return f"„{text[:TEXT_SHOWN]}…”" if len(text) > TEXT_SHOWN else f"„{text}”"


def _value(field_name: str, value, target_type: str) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return _("brak")
    if isinstance(value, bool):
        return _("tak") if value else _("nie")
    labels = _value_labels(field_name, target_type)
    if labels:
        for code, label in labels.items():
            if str(code) == str(value):
                label = str(label)  # an option's label ("Inny etap") in the middle of a line
                return label[:1].lower() + label[1:]
    if field_name in DATE_FIELDS:
        return _moment(value)
    if field_name in TEXT_FIELDS:
        return _text(value)
    if field_name == "format":
        return str(value).upper()
    if field_name == "filter" and isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def describe(data: dict, target_type: str = "post") -> str:
    """A logged state in words, without the comment's text (that is shown apart)."""
    parts, account = [], {}
    for key, value in data.items():
        if key in UNTOLD_FIELDS:
            continue
        if key == "state":
            parts.append(str(POST_STATE_LABELS.get(value, value)))
        elif key == "title":
            parts.append(f"„{value}”")
        elif key == "locked":
            parts.append(_("zamknięty") if value else _("otwarty"))
        elif key == "pinned":
            parts.append(_("przypięty") if value else _("nieprzypięty"))
        elif key == "thread_id":
            parts.append(_("wątek nr %(id)s", id=value))
        elif key == "hidden_by_flags":
            parts.append(_("po zgłoszeniach") if value else _("decyzją moderatora"))
        elif key == "published_at":  # of the report
            parts.append(_("opublikowany %(when)s", when=_moment(value)) if value else _("nieopublikowany"))
        elif key == "parent_id":
            if value is not None:  # a top-level comment: nothing to say
                parts.append(_("odpowiedź na uwagę #%(id)s", id=value))
        elif key in ("role", "trusted", "verified", "blocked", "until"):
            account[key] = value
        elif key == "status":
            parts.append(_value(key, value, target_type))
        else:
            label = FIELD_LABELS.get(key, key)
            parts.append(f"{label}: {_value(key, value, target_type)}")
    if account:
        parts.append(describe_state(account))
    return ", ".join(part for part in parts if part)


_PLAIN_TYPES = {str, int, bool, type(None)}  # values whose text depends on nothing but value and type


class LogWords:
    """The log's words in the current request's language, each looked up once for many rows.

    A page's or an export's rows share one: looked up row by row (gettext, `describe`), the words
    were most of the time of a 50,000-row export, and its rows repeat a few actions, kinds and
    states. Made per request, never kept: another request may speak another language.
    """

    STATES_KEPT = 512  # described states remembered: a log repeats a few; this bounds the memory if not

    def __init__(self):
        self._actions: dict[str, str] = {}
        self._targets: dict[str, str | None] = {}
        self._described = lru_cache(maxsize=self.STATES_KEPT)(self._describe_told)
        self.deleted_account = _("Konto usunięte")

    def action(self, action: str) -> str:
        if action not in self._actions:
            self._actions[action] = action_label(action)
        return self._actions[action]

    def target(self, target_type: str, target_id: int) -> str:
        """"Uwaga nr 12"; a kind without a label by its name."""
        if target_type not in self._targets:
            label = TARGET_LABELS.get(target_type)
            self._targets[target_type] = None if label is None else str(label)
        label = self._targets[target_type]
        return f"{target_type} {target_id}" if label is None else label % {"id": target_id}

    def state(self, data: dict, target_type: str) -> str:
        """`describe(data, target_type)`, remembered when every value told is a plain one (text, a
        whole number, yes/no, none): a value's type is part of what is remembered, as 1 and True
        are told apart ("1", "tak")."""
        told = tuple((key, type(value), value) for key, value in data.items() if key not in UNTOLD_FIELDS)
        if any(kind not in _PLAIN_TYPES for _key, kind, _value in told):
            return describe(data, target_type)
        return self._described(told, target_type)

    @staticmethod
    def _describe_told(told: tuple, target_type: str) -> str:
        return describe({key: value for key, _kind, value in told}, target_type)
