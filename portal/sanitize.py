"""The one way user text becomes HTML: Markdown (raw HTML off) -> bleach allowlist + linkify.

Templates print only the output of ``render_markdown`` (stored in ``*_html`` columns) as
markup; every other string is escaped by Jinja.
"""
import threading
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "ol": ["start"],
    "th": ["align"],
    "td": ["align"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"


def markdown_parser(*, raw_html: bool = False) -> MarkdownIt:
    """The one Markdown every user text is read as: CommonMark with tables and strikethrough.

    Raw HTML in the source is shown as text, never passed through. `raw_html=True` only lets a
    reader *find* HTML blocks (a draft's <!-- notes -->, which may span blank lines) — a parser
    made so must never render.
    """
    options = {"html": raw_html, "linkify": False, "typographer": False}
    return MarkdownIt("commonmark", options).enable(["table", "strikethrough"])


# bleach's Cleaner (its html5lib parser) keeps state while it cleans and is documented as not
# thread-safe; a threaded server, or two requests of a test's live server, would tear one shared
# instance apart ("pop from empty list"). Each thread gets its own parser and cleaner.
_local = threading.local()


def _set_rel(attrs, new=False):
    attrs[(None, "rel")] = LINK_REL
    attrs.pop((None, "target"), None)
    return attrs


def _make_cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"},
                         parse_email=True)],
    )


def _tools() -> tuple[MarkdownIt, bleach.Cleaner]:
    if not hasattr(_local, "tools"):
        _local.tools = (markdown_parser(), _make_cleaner())
    return _local.tools


def render_markdown(text: str | None) -> Markup:
    """Markdown source typed by a person -> sanitised HTML safe to print as markup."""
    if not text:
        return Markup("")
    # Headings in user text start at h2: the page's own h1 stays the only one.
    markdown, cleaner = _tools()
    html = markdown.render(text).replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(cleaner.clean(html))
