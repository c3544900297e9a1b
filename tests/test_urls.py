"""One check for every redirect target people can influence (portal/urls.py, issue 19)."""
import pytest

from portal.urls import is_local_path, local_path_or


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "/\r/evil.example",
    "/konto\r\nSet-Cookie: a=b", "/x\x00", "https://evil.example", "javascript:alert(1)",
    "http:/evil.example", "evil.example", "", None])
def test_anything_but_a_path_on_this_site_is_refused(target):
    assert not is_local_path(target)
    assert local_path_or(target, "/") == "/"


@pytest.mark.parametrize("target", ["/", "/konto", "/moderacja/kolejka?strona=2#uwaga-3",
                                    "/konsultacje/program/forum?q=rower%20miejski"])
def test_a_path_on_this_site_is_followed(target):
    assert local_path_or(target, "/elsewhere") == target


def test_no_module_has_a_local_path_check_of_its_own():
    from pathlib import Path

    portal = Path(__file__).resolve().parent.parent / "portal"
    own = [str(path.relative_to(portal)) for path in portal.rglob("*.py")
           if path.name != "urls.py" and 'startswith("//")' in path.read_text(encoding="utf-8")]
    assert own == []
