"""Server-side PDF of a page (WeasyPrint). The stylesheet is read from static/; nothing is fetched.

Every link in a PDF is absolute: a PDF is read away from the site, where a path such as
/konsultacje/x/forum leads nowhere. The page's HTML keeps root-relative links (url_for), and
WeasyPrint resolves them against the site's address (`site_url`), so no template needs to know.
"""
import hashlib
from collections.abc import Callable
from pathlib import Path

from flask import current_app, url_for

from portal.extensions import cache


def site_url() -> str:
    """The site's root as an absolute URL: SERVER_NAME when configured, else the request's host."""
    return url_for("consultations.home", _external=True)


def render(html: str) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class FetchNothing(URLFetcher):
        # No network requests or local files from the server on behalf of a page.
        def fetch(self, url, headers=None):
            raise ValueError(f"PDF rendering fetches nothing ({url})")

    stylesheet = CSS(filename=str(Path(current_app.static_folder) / "css" / "print.css"))
    document = HTML(string=html, base_url=site_url(), url_fetcher=FetchNothing())
    return document.write_pdf(stylesheets=[stylesheet])


def cached(scope: str, html: str, finish: Callable[[str], str] = str) -> tuple[str, bytes]:
    """The cache key and the PDF of this HTML, from the shared cache when this version was rendered before.

    The version is a hash of the HTML and of the address its links point to (a site answering on
    two host names gives each its own PDF). `finish` fills in what must not change the version
    (the announcement's "as of" date) and runs only when WeasyPrint does.
    """
    version = hashlib.sha256(f"{site_url()}\n{html}".encode()).hexdigest()
    key = f"pdf:{scope}:{version}"
    seconds = current_app.config["PDF_CACHE_SECONDS"]
    if seconds > 0:
        stored = cache.get(key)
        if stored is not None:
            return key, stored
    document = render(finish(html))
    if seconds > 0:
        cache.set(key, document, timeout=seconds)
    return key, document
