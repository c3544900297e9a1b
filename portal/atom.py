"""What every Atom feed of the portal shares (the forum's comments, the consultations' news)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

ATOM = "application/atom+xml; charset=utf-8"

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def utc_timestamp(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC ("2020-09-20T10:00:00Z"), for feeds and open data."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def xml_text(value: str) -> str:
    """Characters XML 1.0 cannot carry at all (escaped or not) are dropped."""
    return _NOT_XML.sub("", value)
