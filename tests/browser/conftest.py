"""The browser layer: the real site, served on a port, driven through Debian's Chromium.

- Every test here is marked `browser` (`pytest -m "not browser"` leaves them out) and `commits`
  (the server's threads have connections of their own, so what a test writes is committed).
- Skipped when /usr/bin/chromium, playwright or axe_playwright_python is missing — except
  on CI (CI=true), where a missing browser stack is a failure: CI always installs it.
- `live_server`: the test's own `app` (fresh database, frozen clock and all) served by
  werkzeug in a thread; yields the base URL. Data a test commits is what the server sees.
- `page`: a fresh Chromium context per test (pl-PL, Europe/Warsaw). Console errors, uncaught
  page errors and Content-Security-Policy violations fail the test: each one is a bug.
- `assert_accessible(page)`: axe-core, WCAG 2.0/2.1 A and AA; fails with a readable list.

Playwright never downloads a browser here (no `playwright install`): it launches the
system Chromium by path.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

BROWSER_DIR = Path(__file__).resolve().parent
PAGE_PROBLEMS = pytest.StashKey[list]()
EXPECTED_PROBLEMS = pytest.StashKey[list]()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.commits)  # the live server's threads read what the test wrote


def _missing_browser_stack() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    for module in ("playwright", "axe_playwright_python"):
        if importlib.util.find_spec(module) is None:
            return f"Python package {module!r} is not installed (pip install -e '.[test]')"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless system Chromium for the whole run."""
    reason = _missing_browser_stack()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")

    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def app_config():
    """The live server is reached as 127.0.0.1:<port>; a fixed SERVER_NAME would 404 it."""
    return {"SERVER_NAME": None}


@pytest.fixture
def live_server(app):
    """The test's app on a free local port, in a daemon thread; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server, request):
    """A fresh page in a fresh context, as a person in Poland would open the site.

    The site's strict CSP stays on (no bypass_csp): axe is injected through
    page.evaluate (or the context's init script, for a crawl), which run over the DevTools
    protocol and are not subject to the page's CSP.
    """
    from playwright.sync_api import expect

    expect.set_options(timeout=5_000)
    context = browser.new_context(
        locale="pl-PL", timezone_id="Europe/Warsaw", base_url=live_server,
        viewport={"width": 1280, "height": 800})
    problems: list[str] = []
    request.node.stash[PAGE_PROBLEMS] = problems
    page = context.new_page()

    def on_console(message):
        # CSP violations arrive here too: "... violates the following Content Security Policy ..."
        if message.type == "error":
            source = message.location.get("url") or page.url
            problems.append(f"console error ({source}): {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught error on {page.url}: {error}"))
    try:
        yield page
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a passing test body, fail it if the browser reported errors or CSP violations.

    (A test that already failed keeps its own failure; the browser's errors are attached.)
    """
    try:
        result = yield
    except BaseException:
        problems = item.stash.get(PAGE_PROBLEMS, None)
        if problems:
            item.add_report_section("call", "browser errors", _listed(problems))
        raise
    problems = item.stash.get(PAGE_PROBLEMS, None)
    for pattern in item.stash.get(EXPECTED_PROBLEMS, []):
        matching = [p for p in problems or [] if pattern in p]
        if not matching:
            pytest.fail(f"the browser was expected to report {pattern!r} but did not", pytrace=False)
        problems[:] = [p for p in problems if pattern not in p]
    if problems:
        pytest.fail("the browser reported errors (a CSP violation counts as one):\n"
                    + _listed(problems), pytrace=False)
    return result


@pytest.fixture
def expect_console_error(request):
    """`expect_console_error("status of 429")`: this test expects that message (and requires it).

    Chromium logs every 4xx page as "Failed to load resource"; a test whose point is a 4xx
    page declares it here, and any other console error still fails the test.
    """
    expected = request.node.stash.setdefault(EXPECTED_PROBLEMS, [])
    return expected.append


def _listed(problems: list[str]) -> str:
    return "\n".join(f"  - {problem}" for problem in problems)


def _violation_report(url: str, violations: list[dict], max_nodes: int = 3) -> str:
    lines = [f"{len(violations)} accessibility violation(s) (axe, {', '.join(AXE_TAGS)}) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} [{violation.get('impact')}]: {violation['help']}"
                     f" ({len(violation['nodes'])} element(s)) {violation.get('helpUrl', '')}")
        for node in violation["nodes"][:max_nodes]:
            target = ", ".join(str(t) for t in node.get("target", []))
            html = " ".join(node.get("html", "").split())
            lines.append(f"    at {target}: {html[:200]}")
            summary = node.get("failureSummary")
            if summary:
                lines.append("      " + " ".join(summary.split())[:300])
        if len(violation["nodes"]) > max_nodes:
            lines.append(f"    … and {len(violation['nodes']) - max_nodes} more")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible():
    """`assert_accessible(page)`: no WCAG 2.1 A/AA violations axe can find on the page as shown."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}

    def check(page, context=None) -> None:
        if not page.evaluate("typeof window.axe?.run === 'function'"):  # not there since the page loaded
            page.evaluate(axe.axe_script)
        violations = page.evaluate("([context, options]) => axe.run(context || document, options)"
                                   ".then(results => results.violations)", [context, options])
        assert not violations, _violation_report(page.url, violations)

    return check


def log_in_with_the_form(page, email: str, password: str = "correct horse battery") -> None:
    """Sign in through the login form as a person would (the default is make_user's password)."""
    from playwright.sync_api import expect

    page.goto("/logowanie")
    page.get_by_label("Adres e-mail").fill(email)
    page.get_by_label("Hasło", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Moje konto")).to_be_visible()
