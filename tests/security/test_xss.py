"""Cross-site scripting: every way we know to smuggle markup into a comment, sent as a person would.

Each vector is its own test. A logged-in, verified participant posts it as a comment through the
real route (CSRF token read from the page, the clock inside the comment window), then the test
reads everything that shows that text again:

- the permalink (which redirects to the thread page at #k-<id>) and the thread page itself,
- the "Podgląd" button's preview (thread form and edit form) and the textarea that gives the text back,
- the live-preview endpoint (/forum/podglad) the editor's JavaScript calls,
- the edit page (its textarea holds the source).

Inside every container of user text (`.comment__body`, the preview's `.user-content`, the JSON
preview) each element must be on the sanitiser's allowlist with allowlisted attributes only, and
every link must use http, https, mailto or be relative. The whole page must carry no event
handler attribute, no inline or foreign script, no dangerous URL scheme and none of the tags
that run or load things (iframe, object, embed, svg, math, style, base, extra meta/link/form).
Template-looking text such as ``{{7*7}}`` must show literally.
"""
from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.forum import services
from portal.forum.models import Post, PostRevision, Thread, ThreadKind
from portal.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"
IN_WINDOW = "2020-09-20 12:00:00"

# --- the vectors ---------------------------------------------------------------------------
# (test id, Markdown source). Every one is sent as it stands; none may run anything.

VECTORS: list[tuple[str, str]] = [
    # <script> in many spellings
    ("script-plain", "<script>alert(1)</script>"),
    ("script-upper", "<SCRIPT>alert(1)</SCRIPT>"),
    ("script-mixed-case", "<ScRiPt>alert(1)</sCrIpT>"),
    ("script-src", "<script src=//evil.example/x.js></script>"),
    ("script-slash-attr", "<script/xss>alert(1)</script>"),
    ("script-double-lt", "<<script>alert(1)//<</script>"),
    ("script-newline-in-tag", "<script\n>alert(1)</script\n>"),
    ("script-nested-split", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    ("script-after-textarea-close", "</textarea><script>alert(1)</script>"),
    ("script-attribute-breakout", "\"><script>alert(1)</script>"),
    ("script-in-bold", "**<script>**alert(1)**</script>**"),
    ("script-in-blockquote", "> <script>alert(1)</script>"),
    ("script-null-byte-in-tag", "<scr\x00ipt>alert(1)</scr\x00ipt>"),
    ("script-fullwidth-brackets", "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e"),
    # event handler attributes
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("img-onerror-entity", "<img src=x onerror=\"&#97;lert(1)\">"),
    ("img-src-javascript", "<IMG SRC=\"javascript:alert(1)\">"),
    ("body-onload", "<body onload=alert(1)>"),
    ("div-onmouseover", "<div onmouseover=\"alert(1)\">najedź</div>"),
    ("a-onclick", "<a href=\"#\" onclick=\"alert(1)\">kliknij</a>"),
    ("input-autofocus-onfocus", "<input autofocus onfocus=alert(1)>"),
    ("details-ontoggle", "<details open ontoggle=alert(1)>"),
    ("video-source-onerror", "<video><source onerror=alert(1)></video>"),
    ("unknown-tag-onclick", "<x onclick=alert(1)>kliknij"),
    # javascript:, vbscript:, data: in Markdown links
    ("md-link-javascript", "[a](javascript:alert(1))"),
    ("md-link-javascript-mixed-case", "[a](JaVaScRiPt:alert(1))"),
    ("md-link-javascript-with-title", "[a](javascript:alert(1) \"x\")"),
    ("md-link-leading-space", "[a]( javascript:alert(1))"),
    ("md-link-angle-brackets", "[a](<javascript:alert(1)>)"),
    ("md-link-entity-c", "[a](javas&#99;ript:alert(1))"),
    ("md-link-entity-j-and-colon", "[a](&#106;avascript&#58;alert(1))"),
    ("md-link-named-colon", "[a](javascript&colon;alert(1))"),
    ("md-link-entity-tab", "[a](jav&#x09;ascript:alert(1))"),
    ("md-link-named-tab", "[a](&Tab;javascript:alert(1))"),
    ("md-link-literal-tab", "[a](java\tscript:alert(1))"),
    ("md-link-null-byte", "[a](java\x00script:alert(1))"),
    ("md-link-control-char", "[a](\x01javascript:alert(1))"),
    ("md-link-percent-encoded-j", "[a](%6Aavascript:alert(1))"),
    ("md-link-backslash", "[a](\\javascript:alert(1))"),
    ("md-link-vbscript", "[a](vbscript:msgbox(1))"),
    ("md-link-data-html-base64", "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("md-link-data-html-inline", "[a](data:text/html,<script>alert(1)</script>)"),
    ("md-link-data-image", "[a](data:image/png;base64,iVBORw0KGgo=)"),
    ("md-link-title-breakout", "[a](http://x.example \"onmouseover=alert(1)\")"),
    ("md-link-quote-breakout", "[a](http://x.example\" onmouseover=\"alert(1))"),
    ("md-link-single-quote-breakout", "[x](http://a.example/'onmouseover='alert(1))"),
    ("md-link-text-is-img", "[<img src=x onerror=alert(1)>](http://x)"),
    ("md-link-in-list", "- [x](javascript:alert(1))\n- [y](vbscript:x)"),
    # autolinks and linkify
    ("autolink-javascript", "<javascript:alert(1)>"),
    ("autolink-vbscript", "<vbscript:msgbox(1)>"),
    ("autolink-data", "<data:text/html;base64,PHNjcmlwdD4=>"),
    ("autolink-quote-breakout", "<http://a.example/\"onmouseover=alert(1)>"),
    ("linkify-quote-breakout", "https://example.org/\"><script>alert(1)</script>"),
    ("linkify-bare-javascript", "javascript:alert(1)"),
    ("linkify-email-breakout", "x@example.org\"onmouseover=\"alert(1)"),
    # reference-style links
    ("ref-link-javascript", "[a][r]\n\n[r]: javascript:alert(1)"),
    ("ref-link-angle-javascript", "[a][r]\n\n[r]: <javascript:alert(1)> \"t\""),
    ("ref-shortcut-data", "[r]\n\n[r]: data:text/html;base64,PHNjcmlwdD4="),
    # images
    ("md-image-javascript", "![x](javascript:alert(1))"),
    ("md-image-onerror-breakout", "![x](x\" onerror=\"alert(1))"),
    ("md-image-svg-data", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    # SVG and MathML
    ("svg-onload", "<svg onload=alert(1)>"),
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("svg-xlink-javascript", "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>"),
    ("math-mglyph-style-mxss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("noscript-mxss", "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">"),
    # frames, objects, embeds
    ("iframe-javascript", "<iframe src=\"javascript:alert(1)\"></iframe>"),
    ("iframe-srcdoc", "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>"),
    ("object-data", "<object data=\"javascript:alert(1)\"></object>"),
    ("embed-data-html", "<embed src=\"data:text/html,<script>alert(1)</script>\">"),
    # styles
    ("style-tag-url-javascript", "<style>body{background:url(javascript:alert(1))}</style>"),
    ("style-attr-expression", "<div style=\"width: expression(alert(1))\">x</div>"),
    ("style-attr-url-javascript", "<p style=\"background-image:url('javascript:alert(1)')\">x</p>"),
    ("link-stylesheet-javascript", "<link rel=stylesheet href=\"javascript:alert(1)\">"),
    # page-level takeovers
    ("meta-refresh", "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">"),
    ("base-href", "<base href=\"javascript:alert(1)//\">"),
    ("form-action", "<form action=\"javascript:alert(1)\"><button>wyślij</button></form>"),
    ("button-formaction", "<button formaction=\"javascript:alert(1)\">x</button>"),
    ("isindex-action", "<isindex action=javascript:alert(1) type=image>"),
    # malformed and unclosed markup
    ("img-unclosed", "<img src=x onerror=alert(1)"),
    ("a-unclosed", "<a href=\"javascript:alert(1)\">x"),
    ("a-entity-colon", "<a href=\"javascript&#58;alert(1)\">x</a>"),
    # comments, CDATA, code
    ("html-comment-hiding-img", "<!--<img src=x onerror=alert(1)>-->"),
    ("html-comment-then-script", "<!-- --><script>alert(1)</script>"),
    ("cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    ("backtick-code", "`<script>alert(1)</script>`"),
    ("fenced-code", "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```"),
    ("indented-code", "    <script>alert(1)</script>"),
    ("table-cell-img", "| a |\n|---|\n| <img src=x onerror=alert(1)> |"),
    # entities and escapes
    ("entity-escaped-script", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("numeric-entity-script", "&#60;script&#62;alert(1)&#60;/script&#62;"),
    ("unicode-escape-text", "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"),
    # template injection must stay text
    ("jinja-expression", "{{7*7}}"),
    ("jinja-config", "{{ config }} {{ self.__init__.__globals__ }}"),
    ("jinja-statement", "{% print 7*7 %}"),
    ("js-template-literal", "${7*7}"),
    ("ruby-interpolation", "#{7*7}"),
]
VECTOR_SOURCES = dict(VECTORS)
assert len(VECTOR_SOURCES) == len(VECTORS) >= 50, "vector ids must be unique, and at least 50"

# Ten of the worst, for tests that need fewer (the browser's "no dialog" story imports these).
NASTIEST = [VECTOR_SOURCES[name] for name in (
    "script-plain", "img-onerror", "svg-onload", "md-link-javascript", "md-link-entity-c",
    "autolink-javascript", "ref-link-javascript", "md-link-text-is-img", "iframe-srcdoc",
    "math-mglyph-style-mxss",
)]

# --- what a page may contain ---------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "isindex"}
USER_CONTAINERS = {"comment__body", "user-content", "live-preview"}
NEVER_ON_A_PAGE = {"iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style",
                   "base", "isindex", "video", "audio", "source", "noscript", "template", "img"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "poster",
                  "background", "codebase", "cite", "srcset"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def effective_scheme(url: str) -> str | None:
    """The scheme a browser would take from the (already entity-decoded) attribute value.

    The URL standard strips leading/trailing C0 controls and spaces and removes tabs and
    newlines anywhere before parsing; a value with no valid scheme is relative (None).
    """
    cleaned = url.strip("".join(chr(c) for c in range(0x21)))
    cleaned = re.sub(r"[\t\n\r]", "", cleaned)
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


@dataclass
class Element:
    tag: str
    attrs: list[tuple[str, str | None]]
    in_user_text: bool
    data: str = ""


@dataclass
class Page:
    elements: list[Element] = field(default_factory=list)
    user_text: list[str] = field(default_factory=list)  # the text inside each user container


class PageParser(HTMLParser):
    """Every element of a page, each marked whether it sits inside a container of user text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, bool]] = []  # (tag, opens a user container)
        self.depth_in_user = 0
        self.texts: list[list[str]] = []
        self.in_script: Element | None = None

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.depth_in_user > 0)
        self.page.elements.append(element)
        if tag in VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        opens = bool(classes & USER_CONTAINERS)
        self.stack.append((tag, opens))
        if opens:
            self.depth_in_user += 1
            self.texts.append([])
        if tag == "script":
            self.in_script = element

    def handle_startendtag(self, tag, attrs):
        self.page.elements.append(Element(tag, attrs, self.depth_in_user > 0))

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = None
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                for _tag, opened in self.stack[index:]:
                    if opened:
                        self.depth_in_user -= 1
                        self.page.user_text.append("".join(self.texts.pop()))
                del self.stack[index:]
                return

    def handle_data(self, data):
        if self.in_script is not None:
            self.in_script.data += data
        for text in self.texts:
            text.append(data)


def parse(markup: str) -> Page:
    parser = PageParser()
    parser.feed(markup)
    parser.close()
    return parser.page


def problems_in(markup: str, where: str, *, whole_page: bool = True) -> list[str]:
    """Everything on the page that user text could have put there to run or load code.

    `whole_page=False`: the markup is a fragment of user text (the sanitiser's output) as a whole.
    """
    found = []
    for el in parse(markup).elements:
        attrs = dict(el.attrs)
        place = f"{where}: <{el.tag} {' '.join(f'{k}={v!r}' for k, v in el.attrs)}>"
        for name, value in el.attrs:
            if name.startswith("on"):
                found.append(f"event handler attribute {name} in {place}")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = effective_scheme(value)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    found.append(f"{scheme}: URL in {name} of {place}")
            if name == "style":
                found.append(f"style attribute in {place}")
        if el.in_user_text or not whole_page:
            if el.tag not in ALLOWED_TAGS:
                found.append(f"tag <{el.tag}> from user text in {place}")
            allowed = set(ALLOWED_ATTRIBUTES.get(el.tag, []))
            for name, _value in el.attrs:
                if name not in allowed:
                    found.append(f"attribute {name} from user text in {place}")
            if el.tag == "a" and attrs.get("rel") != "nofollow ugc noopener":
                found.append(f"a link without rel=nofollow ugc noopener in {place}")
            continue
        # The site's own markup around the user text.
        if el.tag in NEVER_ON_A_PAGE:
            found.append(f"tag <{el.tag}> in {place}")
        if el.tag == "script":
            src = attrs.get("src") or ""
            if not src.startswith("/static/js/") or el.data.strip():
                found.append(f"a script that is not the site's own file in {place}")
        if el.tag == "meta" and not ({"charset"} == set(attrs) or attrs.get("name") == "viewport"):
            found.append(f"unexpected <meta> in {place}")
        if el.tag == "link" and not (attrs.get("href") or "").startswith("/static/"):
            found.append(f"unexpected <link> in {place}")
        if el.tag == "form" and not (attrs.get("action") or "").startswith("/"):
            found.append(f"a form posting elsewhere in {place}")
    return found


def assert_clean(markup: str, where: str, *, whole_page: bool = True) -> None:
    found = problems_in(markup, where, whole_page=whole_page)
    assert not found, "\n".join(found)


def user_texts(markup: str) -> list[str]:
    return parse(markup).user_text


_TEXTAREA = re.compile(r"<textarea\b[^>]*>(.*?)</textarea>", re.DOTALL)


def assert_textarea_gives_back(markup: str, source: str, where: str) -> None:
    """The editor holds the text exactly as typed, escaped: nothing in it closes the textarea."""
    areas = _TEXTAREA.findall(markup)
    assert len(areas) == 1, f"{where}: expected one textarea, found {len(areas)}"
    raw = areas[0]
    assert "<" not in raw, f"{where}: unescaped '<' inside the textarea: {raw[:200]!r}"
    assert normalised(html_lib.unescape(raw)).strip() == normalised(source).strip(), \
        f"{where}: textarea holds {raw[:200]!r}"


def normalised(text: str) -> str:
    """Text compared as kept: a NUL byte may be dropped or become U+FFFD (no database keeps NUL in text)."""
    return text.replace("\x00", "").replace("\ufffd", "")


# --- helpers -------------------------------------------------------------------------------
# The people and threads are conftest's: `anna` posts, in `section_thread` (§ 6, paragraphs 1-3).

def thread_url(thread) -> str:
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"


def advance(frozen_clock, minutes: int = 1) -> None:
    frozen_clock.set(clock.now_utc() + timedelta(minutes=minutes))


def send(client, thread, body: str, **fields):
    target = thread_url(thread)
    return client.post(target, data={"body": body, "action": "send", "paragraph": "",
                                     "csrf_token": form_token(client, target), **fields})


def only_post() -> Post:
    db.session.expire_all()
    [post] = db.session.scalars(select(Post)).all()
    return post


# --- every vector, through every place that shows it ---------------------------------------

@pytest.mark.parametrize("source", [source for _name, source in VECTORS], ids=[name for name, _ in VECTORS])
def test_no_vector_survives_anywhere_it_is_shown(client, section_thread, anna, frozen_clock, source):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    target = thread_url(section_thread)

    # Sent through the form's route, as a browser would: accepted, and the person is sent to the
    # permalink. Only text no database can hold (NUL bytes) may instead be refused with a
    # message and given back — never a server error.
    advance(frozen_clock)
    response = send(client, section_thread, source, paragraph="2")
    post = None
    if "\x00" in source and response.status_code == 200:
        markup = response.get_data(as_text=True)
        assert 'class="error-summary"' in markup, "a NUL byte was neither kept nor refused with a message"
        assert_clean(markup, "the refused form")
        assert_textarea_gives_back(markup, source, "the refused form")
        assert db.session.scalars(select(Post)).all() == []
    else:
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        post = only_post()
        assert response.headers["Location"] == f"/forum/uwagi/{post.id}"
        assert normalised(post.body) == normalised(source).strip()

        # The permalink leads to the thread page at the comment.
        permalink = client.get(f"/forum/uwagi/{post.id}")
        assert permalink.status_code == 302
        assert permalink.headers["Location"] == f"{target}#k-{post.id}"
        page = client.get(permalink.headers["Location"])
        assert page.status_code == 200
        policy = page.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy  # the second line of defence
        markup = page.get_data(as_text=True)
        assert f'id="k-{post.id}"' in markup
        assert_clean(markup, "the thread page")
        [shown] = [text for text in user_texts(markup) if text.strip()] or [""]
        _assert_template_text_is_literal(source, shown, "the thread page")

        # And as an anonymous reader sees it.
        other = client.application.test_client()
        assert_clean(other.get(target).get_data(as_text=True), "the thread page (anonymous)")

    # The "Podgląd" button on the thread's form: the preview and the textarea giving the text back.
    advance(frozen_clock)
    preview = client.post(target, data={"body": source, "action": "preview", "paragraph": "",
                                         "csrf_token": form_token(client, target)})
    assert preview.status_code == 200
    markup = preview.get_data(as_text=True)
    assert 'class="preview"' in markup
    assert_clean(markup, "the thread form's preview")
    assert_textarea_gives_back(markup, source, "the thread form's preview")

    # The live preview the editor's JavaScript asks for.
    token = form_token(client, target)
    live = client.post("/forum/podglad", data={"body": source}, headers={"X-CSRFToken": token})
    assert live.status_code == 200 and live.is_json
    live_html = live.get_json()["html"]
    assert_clean(live_html, "the live preview (JSON)", whole_page=False)
    _assert_template_text_is_literal(source, "".join(user_texts(f'<div class="live-preview">{live_html}</div>')),
                                     "the live preview")

    if post is None:
        return
    # The edit page holds the source in its textarea, escaped; its preview is clean too.
    edit = f"/forum/uwagi/{post.id}/edycja"
    markup = client.get(edit).get_data(as_text=True)
    assert_clean(markup, "the edit page")
    assert_textarea_gives_back(markup, source, "the edit page")
    edit_preview = client.post(edit, data={"body": source, "action": "preview",
                                           "csrf_token": form_token(client, edit)})
    assert edit_preview.status_code == 200
    markup = edit_preview.get_data(as_text=True)
    assert 'class="preview"' in markup
    assert_clean(markup, "the edit form's preview")
    assert_textarea_gives_back(markup, source, "the edit form's preview")


def _assert_template_text_is_literal(source: str, shown: str, where: str) -> None:
    for literal in ("{{7*7}}", "{% print 7*7 %}", "${7*7}", "#{7*7}"):
        if literal in source:
            assert literal in shown, f"{where}: {literal!r} is not shown as typed: {shown!r}"
            assert "49" not in shown, f"{where}: template text was evaluated: {shown!r}"
    if "{{ config }}" in source:
        assert "{{ config }}" in shown and "SECRET_KEY" not in shown and "<Config" not in shown, shown


def test_template_looking_text_is_shown_exactly_as_typed(client, section_thread, anna, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    advance(frozen_clock)
    send(client, section_thread, "Wynik: {{7*7}} oraz {{ 7 + 7 }}")
    html = client.get(thread_url(section_thread)).get_data(as_text=True)
    body = [text.strip() for text in user_texts(html) if "Wynik" in text]
    assert body == ["Wynik: {{7*7}} oraz {{ 7 + 7 }}"], body
    assert "Wynik: 49" not in html


# --- the other ways text reaches a page ----------------------------------------------------

@pytest.mark.parametrize("name", ["script-plain", "img-onerror", "svg-onload", "md-link-javascript",
                                  "jinja-expression", "script-attribute-breakout"])
def test_a_new_thread_with_a_vector_in_its_title_and_text(client, torun, anna, frozen_clock, name):
    source = VECTOR_SOURCES[name]
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    new = f"/konsultacje/{SLUG}/forum/nowy-watek"
    title = source.replace("\n", " ")[:200]

    preview = client.post(new, data={"title": title, "body": source, "action": "preview",
                                     "csrf_token": form_token(client, new)})
    assert preview.status_code == 200
    assert_clean(preview.get_data(as_text=True), "the new-thread preview")
    assert_textarea_gives_back(preview.get_data(as_text=True), source, "the new-thread preview")

    response = client.post(new, data={"title": title, "body": source, "action": "send",
                                      "csrf_token": form_token(client, new)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    thread = db.session.scalar(select(Thread).where(Thread.kind == ThreadKind.OPEN))
    assert thread.title == title.strip()
    for path, where in ((f"/konsultacje/{SLUG}/forum", "the forum index"),
                        (thread_url(thread), "the new thread")):
        html = client.get(path).get_data(as_text=True)
        assert_clean(html, where)
        assert str(escape(title.strip())) in html  # the title as text, escaped by Jinja


REFLECTED = {"script-breakout": "\"><script>alert(1)</script>", "jinja": "{{7*7}}", "word": "abc"}


@pytest.mark.parametrize("value", list(REFLECTED.values()), ids=list(REFLECTED))
def test_query_parameters_of_the_thread_page_are_never_reflected_as_markup(client, section_thread, anna,
                                                                            frozen_clock, value):
    """?odpowiedz=<id> (the reply link) and ?strona=<n> with anything else: a page, never markup or a 500."""
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    target = thread_url(section_thread)
    for query in ({"strona": value}, {"odpowiedz": value}):
        response = client.get(target, query_string=query)
        assert response.status_code in (200, 400, 404), (query, response.status_code)
        markup = response.get_data(as_text=True)
        assert_clean(markup, f"the thread page with {query}")
        assert "<script>alert(1)" not in markup and "49" not in "".join(user_texts(markup))


@pytest.mark.parametrize("value", ["999", REFLECTED["script-breakout"], REFLECTED["word"]],
                         ids=["missing-id", "script-breakout", "word"])
def test_a_reply_to_a_made_up_parent_is_refused_with_a_message(client, section_thread, anna, frozen_clock, value):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    advance(frozen_clock)
    response = send(client, section_thread, "Odpowiedź.", parent_id=value)
    assert response.status_code == 200
    markup = response.get_data(as_text=True)
    assert "Uwaga, na którą odpowiadasz, nie istnieje." in markup
    assert_clean(markup, "the refused reply")
    assert "<script>alert(1)" not in markup
    assert db.session.scalars(select(Post)).all() == []


def test_an_edit_with_vectors_and_the_moderators_revision_history(client, app, section_thread, anna,
                                                                   moderator, frozen_clock):
    """The old text is shown to moderators again (through the sanitiser): both versions stay inert."""
    first, second = VECTOR_SOURCES["img-onerror"], VECTOR_SOURCES["md-link-entity-c"]
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    advance(frozen_clock)
    assert send(client, section_thread, first).status_code == 302
    post = only_post()
    edit = f"/forum/uwagi/{post.id}/edycja"
    advance(frozen_clock)
    response = client.post(edit, data={"body": second, "action": "send", "csrf_token": form_token(client, edit)})
    assert response.status_code == 302
    assert [r.body for r in db.session.scalars(select(PostRevision))] == [first]
    assert_clean(client.get(thread_url(section_thread)).get_data(as_text=True), "the thread after the edit")

    staff = app.test_client()
    login_as(staff, moderator)
    history = staff.get(f"/forum/uwagi/{post.id}/wersje")
    assert history.status_code == 200
    assert_clean(history.get_data(as_text=True), "the revision history")


def test_an_authors_name_is_text_wherever_it_appears(client, section_thread, jan, make_user, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    mallory = make_user("mallory@example.org", name="<img src=x onerror=alert(1)>\"><script>alert(1)</script>")
    advance(frozen_clock)
    root = services.post_comment(mallory, section_thread, "Pierwsza.")
    advance(frozen_clock)
    services.post_comment(jan, section_thread, "Odpowiedź.", parent=root)
    db.session.commit()
    login_as(client, jan)
    html = client.get(thread_url(section_thread)).get_data(as_text=True)
    assert_clean(html, "the thread with a hostile display name")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_sanitiser_itself_leaves_nothing_for_any_vector():
    """The same checks straight on portal.sanitize (quick to read when a route test fails)."""
    from portal.sanitize import render_markdown

    found = []
    for name, source in VECTORS:
        found += problems_in(str(render_markdown(source)), name, whole_page=False)
    assert not found, "\n".join(found)


def test_the_checker_would_notice_what_it_looks_for():
    """The checks above are only worth something if they fail on the markup they guard against."""
    bad = [
        '<div class="comment__body"><script>alert(1)</script></div>',
        '<div class="comment__body"><p onclick="x">a</p></div>',
        '<div class="comment__body"><a href=" java&#9;script:alert(1)" rel="nofollow ugc noopener">a</a></div>',
        '<div class="comment__body"><a href="data:text/html,x" rel="nofollow ugc noopener">a</a></div>',
        '<div class="comment__body"><img src=x></div>',
        '<div class="comment__body"><svg></svg></div>',
        '<div class="user-content"><p><iframe src="https://x"></iframe></p></div>',
        '<meta http-equiv="refresh" content="0">',
        '<base href="/">',
        '<form action="https://evil.example/"></form>',
        '<script>inline()</script>',
        '<p style="color:red">x</p>',
    ]
    for markup in bad:
        assert problems_in(markup, "sample"), markup
    good = ('<div class="comment__body"><p><a href="https://x.example" rel="nofollow ugc noopener">x</a>'
            '<br>{{7*7}}</p></div><script src="/static/js/site.js" defer></script>')
    assert problems_in(good, "sample") == []
    assert user_texts(good) == ["x{{7*7}}"]
