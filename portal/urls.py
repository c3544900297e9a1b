"""Redirect targets people can influence (next=, return to page) must stay on this site."""
from urllib.parse import urlsplit


def is_local_path(target: str | None) -> bool:
    """True only for a path on this site: "/x?y", never "//host", "/\\host" or "scheme:"."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def local_path_or(target: str | None, fallback: str) -> str:
    return target if is_local_path(target) else fallback
