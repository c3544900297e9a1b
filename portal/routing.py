"""How a package's `urls.py` writes its URL table: one row per address.

Every blueprint of a package and every address -> view is declared in its `urls.py` and nowhere
else (as Indico's blueprint.py): the views are plain functions in their modules, and the URL map
of a package reads top to bottom in one file.

    add_routes(blueprint, [
        ("GET", "/konsultacje/<slug>", views.announcement),
        ("GET POST", "/konsultacje/<slug>/forum/nowy-watek", views.new_thread),
        ("POST", "/moderacja/watki/<int:thread_id>/narzedzia", tools.thread_tools, "thread_tools"),
    ])

The endpoint is the view's name unless a fourth column gives one; the methods are the words of
the first column (HEAD and OPTIONS come with GET, as with `@bp.route`).
"""
from collections.abc import Callable, Iterable

from flask import Blueprint

Route = tuple[str, str, Callable] | tuple[str, str, Callable, str]


def add_routes(blueprint: Blueprint, table: Iterable[Route]) -> None:
    for methods, rule, view, *endpoint in table:
        blueprint.add_url_rule(rule, endpoint[0] if endpoint else view.__name__, view, methods=methods.split())
