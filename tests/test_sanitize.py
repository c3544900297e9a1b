"""User text becomes HTML only through portal.sanitize: Markdown in, allowlisted HTML out."""
from portal.sanitize import render_markdown


def test_markdown_becomes_html_and_links_get_safe_rel():
    html = render_markdown("**Ważne:** zobacz [program](https://bip.torun.pl/program) i https://example.org")
    assert "<strong>Ważne:</strong>" in html
    assert '<a href="https://bip.torun.pl/program" rel="nofollow ugc noopener">program</a>' in html
    assert '<a href="https://example.org" rel="nofollow ugc noopener">https://example.org</a>' in html


def test_raw_html_is_shown_as_text_not_run():
    html = render_markdown('<script>alert(1)</script> <img src=x onerror="alert(1)">')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_dangerous_link_schemes_do_not_become_links():
    for source in ("[x](javascript:alert(1))", "[x](data:text/html;base64,PHNjcmlwdD4=)",
                   "[x](vbscript:msgbox(1))", "<javascript:alert(1)>"):
        html = render_markdown(source)
        assert "href=" not in html, source


def test_a_heading_in_user_text_never_competes_with_the_page_title():
    html = render_markdown("# Tytuł\n\n## Podtytuł")
    assert "<h1>" not in html
    assert "<h2>Tytuł</h2>" in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == "" and render_markdown(None) == ""


def test_polish_text_survives_unchanged():
    assert "Zażółć gęślą jaźń" in render_markdown("Zażółć gęślą jaźń")


def test_many_threads_rendering_at_once_each_get_their_own_whole_result():
    # A threaded server renders several people's comments at the same moment; one shared
    # bleach Cleaner is not thread-safe and tore apart ("pop from empty list") under load.
    import threading

    source = "\n".join(f"- punkt {n} z [linkiem](https://example.org/{n}) i **pogrubieniem**"
                       for n in range(40))
    expected = str(render_markdown(source))
    results, errors = [], []

    def work():
        try:
            for _ in range(30):
                results.append(str(render_markdown(source)))
        except Exception as error:  # noqa: BLE001 - the test reports any
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [expected] * 240
