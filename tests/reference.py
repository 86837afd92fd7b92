"""A deliberately simple reference for SPEC §1, to check the real engine against.

It shares no code with ``slakeeper.domain.calendar``: it reads the spec mapping itself and answers
every question by looking at local wall time, one instant or one minute at a time. It is slow on
purpose; keep the ranges you ask about short (a few days).

Why minute steps are exact: every shift boundary is a whole local minute, and every UTC offset of the
zones used in the tests is a whole number of minutes (true of every IANA zone since the 1970s), so
whether the calendar is open is constant over each UTC minute ``[m, m + 1 min)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

MINUTE = timedelta(minutes=1)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index == date.weekday()


@dataclass(frozen=True)
class RefShift:
    start: timedelta  # from local midnight of the day the shift belongs to
    end: timedelta  # after start; at most two days after that midnight


@dataclass
class RefCalendar:
    zone: ZoneInfo
    shifts: dict[int, list[RefShift]]  # weekday (0 = Monday) -> shifts starting that day
    holidays: set[date]
    country: Any = None  # a holidays.HolidayBase, consulted lazily
    _open_minutes: dict[datetime, bool] = field(default_factory=dict, repr=False)


def _clock(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def _shift(text: str) -> RefShift:
    start_text, end_text = text.split("-")
    start, end = _clock(start_text), _clock(end_text)
    if end <= start:  # runs past midnight into the next day
        end += timedelta(days=1)
    return RefShift(start, end)


def _date(value: object) -> date:
    if isinstance(value, Mapping):
        value = value["date"]
    if isinstance(value, date):
        return value
    assert isinstance(value, str)
    return date.fromisoformat(value)


def ref_calendar(spec: Mapping[str, Any]) -> RefCalendar:
    """The reference reading of a (valid) SPEC §1 mapping."""
    hours = spec["hours"]
    shifts: dict[int, list[RefShift]] = {i: [] for i in range(7)}
    if hours == "24x7":
        for i in range(7):
            shifts[i].append(RefShift(timedelta(0), timedelta(days=1)))
    else:
        for name, texts in hours.items():
            if isinstance(texts, str):
                texts = [texts]
            shifts[DAY_NAMES.index(name)].extend(_shift(t) for t in texts or [])
    country = None
    if spec.get("holiday_country"):
        country = holidays.country_holidays(
            spec["holiday_country"], subdiv=spec.get("holiday_subdivision")
        )
    return RefCalendar(
        zone=ZoneInfo(spec["timezone"]),
        shifts=shifts,
        holidays={_date(h) for h in spec.get("holidays") or []},
        country=country,
    )


def is_holiday(cal: RefCalendar, day: date) -> bool:
    return day in cal.holidays or (cal.country is not None and day in cal.country)


def is_open(cal: RefCalendar, t: datetime) -> bool:
    """Open when t's local wall time lies in [start, end) of a shift of that local date or of the
    previous local date (a shift runs at most into the next day), unless that shift's date is a
    holiday."""
    wall = t.astimezone(cal.zone).replace(tzinfo=None)
    for day in (wall.date(), wall.date() - timedelta(days=1)):
        if is_holiday(cal, day):
            continue
        midnight = datetime.combine(day, time(0))
        for shift in cal.shifts[day.weekday()]:
            if midnight + shift.start <= wall < midnight + shift.end:
                return True
    return False


def _floor_minute(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return t.replace(second=0, microsecond=0)


def _minute_open(cal: RefCalendar, minute: datetime) -> bool:
    if minute not in cal._open_minutes:
        offset = minute.astimezone(cal.zone).utcoffset()
        assert offset is not None
        assert offset % MINUTE == timedelta(0), "the zone's offset is not whole minutes"
        cal._open_minutes[minute] = is_open(cal, minute)
    return cal._open_minutes[minute]


def elapsed(cal: RefCalendar, a: datetime, b: datetime) -> timedelta:
    """Business time in [a, b): add up the open part of every UTC minute in between."""
    total = timedelta(0)
    minute = _floor_minute(a)
    while minute < b:
        if _minute_open(cal, minute):
            total += min(b, minute + MINUTE) - max(a, minute)
        minute += MINUTE
    return total


def add(
    cal: RefCalendar, start: datetime, duration: timedelta, limit: timedelta
) -> datetime | None:
    """The earliest t >= start with elapsed(start, t) == duration, looking no further than
    ``start + limit``; None when it lies beyond."""
    if duration == timedelta(0):
        return start.astimezone(UTC)
    remaining = duration
    minute = _floor_minute(start)
    while minute < start + limit:
        if _minute_open(cal, minute):
            begin = max(start, minute)
            available = minute + MINUTE - begin
            if remaining <= available:
                return (begin + remaining).astimezone(UTC)
            remaining -= available
        minute += MINUTE
    return None
