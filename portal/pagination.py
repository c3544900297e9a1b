"""Long lists in pages: which page `?strona=` asks for, and what a page of them holds.

One way for every paged list (the moderation log and queue, search results, the users list,
a thread): the number is read from the query string safely (anything but 1..MAX_PAGE is page
1; `bad_input` already answers a number beyond MAX_PAGE with 404), the rows are the
`limit`/`offset` slice of the query, and `Paged` says whether there is a previous and a next
page. The links are drawn by the `pager` macro (templates/macros/pager.html).

Two shapes of list use it:
- counted first (`clamped`): a number past the last page shows the last page;
- counted with the page itself (`count().over()` in the same query): the number is kept, and a
  page past the end is empty but still says how many there are.
"""
from __future__ import annotations

from flask import request

from portal.bad_input import MAX_PAGE, PAGE_ARGUMENT, bounded_int


def requested_page(args=None) -> int:
    """The page `?strona=` asks for (1-based); 1 when it is missing or not a number in 1..MAX_PAGE."""
    args = request.args if args is None else args
    return bounded_int(args.get(PAGE_ARGUMENT), low=1, high=MAX_PAGE) or 1


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill; an empty list still has one (empty) page."""
    return max(1, -(-total // per_page))


def clamped(number: int, total: int, per_page: int) -> int:
    """`number` moved into 1..the last page."""
    return min(max(1, number), page_count(total, per_page))


def offset(number: int, per_page: int) -> int:
    """How many rows come before page `number`."""
    return (max(1, number) - 1) * per_page


def page_of(statement, number: int, per_page: int):
    """The SQL statement limited to page `number`."""
    return statement.limit(per_page).offset(offset(number, per_page))


class Paged:
    """A page of a list: `number` (1-based) and `pages` give the neighbours the pager links to."""

    number: int
    pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.has_previous else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.has_next else None
