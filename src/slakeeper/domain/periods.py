"""Calendar periods in a time zone: a month (``2026-10``), a quarter (``2026-Q4``) or a year
(``2026``), as the instants they start and end at — the windows of the periodic review and of
availability objectives. A period starts at local midnight of its first day, so its length
follows the zone's daylight-saving changes (March 2024 in New York is 44,580 minutes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_US = 1_000_000
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
UNITS = ("month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class Window:
    label: str  # "2026-10", "2026-Q4" or "2026"
    start: int  # µs, the period's first instant in its zone
    end: int  # µs, the next period's first instant


def _instant(year: int, month: int, zone: ZoneInfo) -> int:
    moment = datetime(year, month, 1, tzinfo=zone)
    return int(moment.timestamp()) * _US


def window(label: str, zone: ZoneInfo) -> Window:
    """The month (``2026-10``), quarter (``2026-Q4``) or year (``2026``) ``label`` in ``zone``."""
    month = _MONTH.match(label)
    quarter = _QUARTER.match(label)
    year_only = _YEAR.match(label)
    if month and 1 <= int(month.group(2)) <= 12:
        year, first, length = int(month.group(1)), int(month.group(2)), 1
    elif quarter:
        year, first, length = int(quarter.group(1)), 3 * int(quarter.group(2)) - 2, 3
    elif year_only:
        year, first, length = int(year_only.group(1)), 1, 12
    else:
        raise ValueError(
            f"period {label!r}: write a month (2026-10), a quarter (2026-Q4) or a year (2026)"
        )
    if not 1 <= year <= 9998:
        raise ValueError(f"period {label!r}: the year is out of range")
    end_year, end_month = divmod(first - 1 + length, 12)
    return Window(
        label, _instant(year, first, zone), _instant(year + end_year, end_month + 1, zone)
    )


def label_of(at: int, unit: str, zone: ZoneInfo) -> str:
    """The label of the ``unit`` (month, quarter or year) that instant ``at`` falls in."""
    local = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at)).astimezone(zone)
    if unit == "month":
        return f"{local.year:04d}-{local.month:02d}"
    if unit == "quarter":
        return f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}"
    if unit == "year":
        return f"{local.year:04d}"
    raise ValueError(f"unit {unit!r}: use {', '.join(UNITS)}")


def containing(at: int, unit: str, zone: ZoneInfo) -> Window:
    """The month, quarter or year in ``zone`` that instant ``at`` falls in."""
    return window(label_of(at, unit, zone), zone)


def earlier(w: Window, zone: ZoneInfo, count: int) -> list[Window]:
    """The ``count`` periods of the same kind before ``w``, oldest first, in ``zone``."""
    out: list[Window] = []
    label = w.label
    for _ in range(count):
        label = _previous(label)
        out.append(window(label, zone))
    return out[::-1]


def _previous(label: str) -> str:
    year = int(label[:4])
    if w := _QUARTER.match(label):
        q = int(w.group(2))
        return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"
    if _MONTH.match(label):
        month = int(label[5:])
        return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    return f"{year - 1}"
