"""What the benchmark prints: wrk's numbers parsed, ratios to the bare-Flask ceiling, the targets.

Pure functions and small records only (no servers, no database), so tests/test_benchmarks.py
can check them in milliseconds.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

NOT_AVAILABLE = "n/a"

# The targets (ratios, not absolute times: the machines are noisy).
ANNOUNCEMENT_MIN_SHARE = 0.30      # announcement >= 30 % of bare Flask's requests/s
THREAD_MIN_SHARE = 0.10            # thread of 100 comments >= 10 %
SEARCH_MIN_SHARE = 0.10            # the search page (a word in 1,000 comments) >= 10 %
BIG_THREAD_MAX_SLOWDOWN = 1.5      # page 1 of the big thread: p50 within 1.5x the 100-thread's
MAX_QUERIES_PER_PAGE = 6


@dataclass
class LoadResult:
    """One fixed-time load run against one URL."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    errors: int = 0  # refused/broken connections, timeouts, answers other than 2xx/3xx
    p99_ms: float = math.nan  # what the slowest 1 % wait (a worker restarting shows here)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Row:
    """A line of the table: a page (or the POST path) and what was measured for it."""

    key: str
    label: str
    load: LoadResult | None = None   # None: the page does not exist (yet) -> "n/a"
    queries: int | None = None
    peak_rss_mib: float | None = None
    note: str = ""
    warmup_requests: int = 0         # answered before the measured run (they count views too)


@dataclass
class BurstResult:
    submissions: int
    groups: int
    capacity: int
    held: int            # from the database, after the burst
    waiting: int
    errors: int          # answers other than 2xx/3xx, and exceptions
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def expected_held(self) -> int:
        return min(self.submissions, self.groups * self.capacity)

    @property
    def exact(self) -> bool:
        """Every seat taken exactly once and every submission kept (held or waiting), no errors."""
        return (self.errors == 0 and self.held == self.expected_held
                and self.held + self.waiting == self.submissions)


WRK_LINE = re.compile(r"^WSPOLNIE-RESULT (.+)$", re.MULTILINE)


def parse_wrk(output: str) -> LoadResult:
    """The line written by benchmarks/wrk_report.lua (times in microseconds)."""
    match = WRK_LINE.search(output)
    if match is None:
        raise ValueError("wrk printed no result line (did the Lua script run?)")
    values = {key: float(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    errors = sum(int(values[key]) for key in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(requests=int(values["requests"]), seconds=values["duration_us"] / 1e6,
                      p50_ms=values["p50_us"] / 1000, p95_ms=values["p95_us"] / 1000, errors=errors,
                      p99_ms=values["p99_us"] / 1000)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between the closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def load_from_latencies(latencies_ms: list[float], seconds: float, errors: int) -> LoadResult:
    """A LoadResult for a run measured by our own client (the POST path): successes per second."""
    return LoadResult(requests=len(latencies_ms), seconds=seconds, p50_ms=percentile(latencies_ms, 50),
                      p95_ms=percentile(latencies_ms, 95), errors=errors, p99_ms=percentile(latencies_ms, 99))


def share_of_ceiling(rps: float, ceiling_rps: float) -> float | None:
    """A page's throughput as a fraction of bare Flask's on the same machine and settings."""
    return rps / ceiling_rps if ceiling_rps > 0 else None


def peak_rss_mib(proc_status: str) -> float | None:
    """VmHWM (peak resident set size) from the text of /proc/<pid>/status, in MiB."""
    match = re.search(r"^VmHWM:\s+(\d+)\s+kB", proc_status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def parent_pid(proc_stat: str) -> int:
    """The parent's pid from /proc/<pid>/stat (the command name in parentheses may hold spaces)."""
    return int(proc_stat.rsplit(")", 1)[1].split()[1])


# --- the table --------------------------------------------------------------------------------

COLUMNS = ("Page", "req/s", "p50 ms", "p95 ms", "p99 ms", "of bare Flask", "SQL queries", "peak RSS/worker MiB")


def _number(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    return f"{value:,.{digits}f}".replace(",", " ")


def format_cells(row: Row, ceiling_rps: float) -> list[str]:
    if row.load is None:
        cells = [NOT_AVAILABLE] * 5
    else:
        share = share_of_ceiling(row.load.rps, ceiling_rps)
        cells = [_number(row.load.rps, 1 if row.load.rps < 100 else 0), _number(row.load.p50_ms, 1),
                 _number(row.load.p95_ms, 1), _number(row.load.p99_ms, 1),
                 NOT_AVAILABLE if share is None else f"{share:.0%}"]
    label = f"{row.label}; {row.note}" if row.note else row.label
    return [label, *cells, _number(row.queries), _number(row.peak_rss_mib)]


def format_table(rows: list[Row], ceiling_rps: float) -> str:
    """A Markdown table (it goes into README as printed)."""
    lines = [[*COLUMNS], *(format_cells(row, ceiling_rps) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]

    def render(cells):
        return "| " + " | ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                                 for i, (cell, width) in enumerate(zip(cells, widths))) + " |"

    # Markdown alignment: the page names left, the numbers right.
    separator = "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":"
                               for i, w in enumerate(widths)) + "|"
    return "\n".join([render(lines[0]), separator, *(render(cells) for cells in lines[1:])])


# --- the targets ------------------------------------------------------------------------------

@dataclass
class Verdict:
    target: str
    measured: str
    passed: bool | None  # None: could not be measured

    @property
    def mark(self) -> str:
        return {True: "PASS", False: "MISS", None: NOT_AVAILABLE}[self.passed]


def _share_verdict(target: str, row: Row | None, ceiling_rps: float, minimum: float) -> Verdict:
    if row is None or row.load is None or ceiling_rps <= 0:
        return Verdict(target, NOT_AVAILABLE, None)
    share = row.load.rps / ceiling_rps
    return Verdict(target, f"{share:.0%}", share >= minimum)


def verdicts(rows: list[Row], ceiling_rps: float, burst: BurstResult | None,
             pages: tuple[str, ...]) -> list[Verdict]:
    """The issue's targets, each PASS/MISS with the number it was judged on."""
    by_key = {row.key: row for row in rows}
    result = [
        _share_verdict("announcement >= 30 % of bare Flask", by_key.get("announcement"), ceiling_rps,
                       ANNOUNCEMENT_MIN_SHARE),
        _share_verdict("thread of 100 comments >= 10 % of bare Flask", by_key.get("thread_100"), ceiling_rps,
                       THREAD_MIN_SHARE),
        _share_verdict("search >= 10 % of bare Flask", by_key.get("search"), ceiling_rps, SEARCH_MIN_SHARE),
    ]
    result += [
        _share_verdict("signed-in participant: announcement >= 30 % of bare Flask", by_key.get("signed_in_announcement"),
                       ceiling_rps, ANNOUNCEMENT_MIN_SHARE),
        _share_verdict("signed-in participant: thread of 100 >= 10 % of bare Flask", by_key.get("signed_in_thread_100"),
                       ceiling_rps, THREAD_MIN_SHARE),
    ]
    small, big = by_key.get("thread_100"), by_key.get("thread_big")
    if small and big and small.load and big.load and small.load.p50_ms > 0:
        slowdown = big.load.p50_ms / small.load.p50_ms
        result.append(Verdict("big thread page 1: p50 within 1.5x the 100-thread's", f"{slowdown:.2f}x",
                              slowdown <= BIG_THREAD_MAX_SLOWDOWN))
    else:
        result.append(Verdict("big thread page 1: p50 within 1.5x the 100-thread's", NOT_AVAILABLE, None))
    counted = [(row.label, row.queries) for row in rows if row.key in pages and row.queries is not None]
    if counted:
        worst_label, worst = max(counted, key=lambda item: item[1])
        result.append(Verdict(f"<= {MAX_QUERIES_PER_PAGE} SQL queries on every page",
                              f"max {worst} ({worst_label})", worst <= MAX_QUERIES_PER_PAGE))
    if burst is not None:
        result.append(Verdict("sign-up burst: exact capacity, 0 errors",
                              f"held {burst.held}/{burst.expected_held}, errors {burst.errors}", burst.exact))
    return result


def format_verdicts(items: list[Verdict]) -> str:
    width = max(len(item.target) for item in items)
    return "\n".join(f"{item.mark:4}  {item.target.ljust(width)}  {item.measured}" for item in items)
