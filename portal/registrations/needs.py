"""Accessibility needs a person may name at sign-up: the codes stored (comma-separated) in
`accessibility_needs`, as the form offers them and as staff read them in tables and exports."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

# code, the form's label, the staff's short word
NEEDS = [
    ("pjm", _l("Tłumaczenie na polski język migowy (PJM)"), _l("PJM")),
    ("captions", _l("Napisy na żywo"), _l("napisy na żywo")),
    ("other", _l("Inne"), _l("inne")),
]
CODES = [code for code, _label, _word in NEEDS]
FORM_CHOICES = [(code, label) for code, label, _word in NEEDS]
_WORDS = {code: word for code, _label, word in NEEDS}


def codes_of(registration) -> list[str]:
    return [code.strip() for code in (registration.accessibility_needs or "").split(",") if code.strip()]


def in_words(registration) -> list[str]:
    """The needs in words, in the forms' order; unknown codes as they are (nothing is hidden)."""
    return [str(_WORDS.get(code, code)) for code in codes_of(registration)]


def summary(registration) -> list[str]:
    """As staff read them on the page: "PJM", "napisy na żywo", "inne: <the person's words>"."""
    words = in_words(registration)
    details = (registration.accessibility_details or "").strip()
    if not details:
        return words
    if "other" in codes_of(registration):
        other = str(_WORDS["other"])
        return [_("inne: %(details)s", details=details) if word == other else word for word in words]
    return [*words, details]
