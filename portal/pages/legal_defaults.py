"""Version 1 of each legal page: the built-in texts, turned into the Markdown admins edit.

The privacy notice and the accessibility statement come from their Polish templates (so the
office starts from the reviewed text, [placeholders] included); the easy-to-read and PJM pages
start from short texts written here.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from flask import render_template

from portal.pages.legal import LegalKind

# The statement's intro (a11y-wstep) is part of the page frame; its date spans become tokens
# that the page turns back into marked-up dates (legal.statement_html).
_SKIPPED_IDS = {"a11y-wstep"}
_DATE_TOKENS = {"a11y-data-publikacja": "{data-publikacji}", "a11y-data-aktualizacja": "{data-aktualizacji}",
                "a11y-data-sporzadzenie": "{data-sporzadzenia}",
                "a11y-data-deklaracja-przeglad": "{data-przegladu}"}

EASY_READ = """\
## Co to jest ten serwis?

To strona internetowa urzędu. Tu urząd pyta mieszkańców i organizacje o zdanie.
Takie pytanie to **konsultacje społeczne**.

## Co możesz tu zrobić?

- Możesz przeczytać, o co urząd pyta.
- Możesz założyć konto i napisać swoją uwagę.
- Możesz zapisać się na spotkanie albo do grupy roboczej.

## Jak założyć konto?

1. Kliknij **Załóż konto** na górze strony.
2. Wpisz swój adres e-mail, imię i hasło.
3. Dostaniesz e-mail. Kliknij link w e-mailu.

## Potrzebujesz pomocy?

Napisz do urzędu. Adres jest w deklaracji dostępności.
"""

SIGN_LANGUAGE = """\
Na tej stronie urząd opublikuje nagranie w polskim języku migowym (PJM).
Nagranie powie, czym jest ten serwis i jak wziąć udział w konsultacjach.

Jeśli potrzebujesz tłumacza PJM na spotkaniu, napisz o tym przy zapisie na spotkanie.
Dane kontaktowe są w deklaracji dostępności.
"""


class _MarkdownWriter(HTMLParser):
    """Just enough HTML → Markdown for our own page templates (headings, paragraphs, nested
    lists, links, inline code)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[str] = []
        self.links: list[str] = []
        self.skip_depth = 0
        self.token_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.skip_depth:
            self.skip_depth += 1
            return
        if attrs.get("id") in _SKIPPED_IDS or tag == "h1":
            self.skip_depth = 1
            return
        if self.token_depth:
            self.token_depth += 1
            return
        if attrs.get("id") in _DATE_TOKENS:
            self.out.append(_DATE_TOKENS[attrs["id"]])
            self.token_depth = 1
        elif tag in ("h2", "h3", "h4"):
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "p":
            self.out.append("\n\n" + "  " * len(self.lists))
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
            self.out.append("\n" if len(self.lists) > 1 else "\n\n")
        elif tag == "li":
            marker = "- " if self.lists and self.lists[-1] == "ul" else "1. "
            self.out.append("\n" + "  " * (len(self.lists) - 1) + marker)
        elif tag == "a":
            self.links.append(attrs.get("href", ""))
            self.out.append("[")
        elif tag == "kbd":
            self.out.append("`")
        elif tag in ("strong", "b"):
            self.out.append("**")

    def handle_endtag(self, tag):
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if self.token_depth:
            self.token_depth -= 1
            return
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "a" and self.links:
            self.out.append(f"]({self.links.pop()})")
        elif tag == "kbd":
            self.out.append("`")
        elif tag in ("strong", "b"):
            self.out.append("**")

    def handle_data(self, data):
        if self.skip_depth or self.token_depth:
            return
        text = re.sub(r"\s+", " ", data)
        if self.out and self.out[-1].endswith((" ", "\n", "[")):
            text = text.lstrip()  # a block or link starts here: no space before its first word
        if text:
            self.out.append(text)

    def markdown(self) -> str:
        lines = [line.rstrip() for line in "".join(self.out).splitlines()]
        text = "\n".join(lines).strip()
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        return text + "\n"


def html_to_markdown(html: str) -> str:
    writer = _MarkdownWriter()
    writer.feed(html)
    writer.close()
    return writer.markdown()


def first_version(kind: LegalKind) -> tuple[str, str, dict]:
    """(title, Markdown body, extra columns) of version 1 of a page."""
    if kind is LegalKind.PRIVACY:
        html = render_template("pages/_privacy_pl.html")
        return "Ochrona danych osobowych", html_to_markdown(html), {}
    if kind is LegalKind.ACCESSIBILITY:
        html = render_template("pages/_accessibility_pl.html")
        return "Deklaracja dostępności", html_to_markdown(html), {}
    if kind is LegalKind.EASY_READ:
        return "Tekst łatwy do czytania", EASY_READ, {}
    return "Polski język migowy", SIGN_LANGUAGE, {}
