"""Names and titles are shown to others as typed, so they must not be able to disguise themselves.

Two tricks are refused where such a text is typed: bidi control characters (U+202E turns the
rest of the line around, so a name can reorder the text printed after it) and names with no
visible character at all (only zero-width spaces or a soft hyphen: a signature that looks
empty). A legitimate right-to-left name (Arabic, Hebrew) is accepted; pages isolate names with
CSS (`unicode-bidi: isolate` in static/css/main.css) so that it cannot reorder the text around it.

Use `shown_text_problem(text)` in a service, or `ShownAsTyped()` as a WTForms validator.
"""
from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

# Explicit embeddings and overrides (LRE, RLE, PDF, LRO, RLO), isolates (LRI, RLI, FSI, PDI) and
# the direction marks (LRM, RLM, ALM).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

# Categories that show nothing on their own: format characters (zero-width spaces and joiners,
# U+2060, U+FEFF, the soft hyphen), separators, control characters, unassigned code points, and
# combining marks with no letter to sit on.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that are drawn as blank space (Hangul fillers, the blank Braille pattern).
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

BIDI_CONTROL_MESSAGE = _l("Usuń niewidoczne znaki, które zmieniają kierunek tekstu.")
NOTHING_VISIBLE_MESSAGE = _l("Wpisz co najmniej jedną literę, cyfrę lub inny widoczny znak.")


def has_bidi_controls(text: str) -> bool:
    return any(character in BIDI_CONTROLS for character in text)


def has_visible_character(text: str) -> bool:
    return any(not character.isspace() and character not in _BLANK_CHARACTERS
               and unicodedata.category(character) not in _INVISIBLE_CATEGORIES for character in text)


def shown_text_problem(text: str | None) -> str | None:
    """Why a name or title typed for others to see is refused, or None when it is fine (or empty)."""
    if not text:
        return None
    if has_bidi_controls(text):
        return str(BIDI_CONTROL_MESSAGE)
    if not has_visible_character(text):
        return str(NOTHING_VISIBLE_MESSAGE)
    return None


class ShownAsTyped:
    """WTForms validator: `shown_text_problem` as the field's error (after DataRequired/Optional)."""

    def __call__(self, form, field):
        problem = shown_text_problem(field.data if isinstance(field.data, str) else None)
        if problem:
            raise ValidationError(problem)
