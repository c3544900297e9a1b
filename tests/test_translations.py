"""Polish first, English complete: every text in the code has an English translation."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "portal" / "translations"


def source_messages() -> set:
    method_map = [("portal/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/email/**.txt", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None,
                                                        "ngettext": (1, 2)}):
        found.add(message if isinstance(message, str) else tuple(message))
    return {m[0] if isinstance(m, tuple) else m for m in found}


def catalogue(language: str):
    with open(CATALOGUES / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def test_every_text_in_the_code_is_in_the_english_catalogue_and_translated():
    english = catalogue("en")
    missing = sorted(source_messages() - {m.id if isinstance(m.id, str) else m.id[0] for m in english if m.id})
    assert missing == [], "run `make translations` and translate portal/translations/en"
    untranslated = [m.id for m in english if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in english if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_polish_plurals_have_three_forms():
    polish = catalogue("pl")
    plurals = [m for m in polish if m.id and isinstance(m.id, tuple)]
    assert plurals, "the Polish catalogue carries the plural forms"
    for message in plurals:
        assert len(message.string) == 3 and all(message.string), message.id
