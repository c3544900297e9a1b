"""Server-side PDF of a page (WeasyPrint). The stylesheet is read from static/; nothing is fetched."""
from pathlib import Path

from flask import current_app


def render(html: str) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class FetchNothing(URLFetcher):
        # No network requests or local files from the server on behalf of a page.
        def fetch(self, url, headers=None):
            raise ValueError(f"PDF rendering fetches nothing ({url})")

    stylesheet = CSS(filename=str(Path(current_app.static_folder) / "css" / "print.css"))
    document = HTML(string=html, url_fetcher=FetchNothing())
    return document.write_pdf(stylesheets=[stylesheet])
