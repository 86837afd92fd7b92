"""Parsing and validating a calendar specification (SPEC §1) into plain, frozen values.

The mapping a user writes becomes a :class:`CalendarSpec`: a zone, weekly shifts as minute ranges
and holiday dates. Every problem is collected with its path inside the mapping before anything is
refused, so one run of a validator tells the user everything that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slakeeper.domain.errors import CalendarError, Issue

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24x7"
_SHIFT = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # not ISO week dates such as 2026-W01-1
_KEYS = {"name", "timezone", "hours", "holidays", "holiday_country", "holiday_subdivision"}
_MINUTES_PER_DAY = 1440


@dataclass(frozen=True, slots=True)
class Shift:
    """Local wall-clock minutes from the start of the day the shift belongs to.

    ``end`` is greater than ``start``; it passes 1440 for a shift that runs past midnight.
    """

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Holiday:
    on: date
    name: str = ""


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    name: str
    timezone: str
    weekly: tuple[tuple[Shift, ...], ...]  # indexed by date.weekday(): 0 = Monday
    always_open: bool  # "24x7": every day 00:00-24:00
    holidays: tuple[Holiday, ...] = ()
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    zone: ZoneInfo = field(default=ZoneInfo("UTC"), compare=False, repr=False)


def parse_shift(text: object) -> Shift:
    """``"09:00-17:00"`` -> minutes; an end at or before the start runs into the next day."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a shift; write 'HH:MM-HH:MM', e.g. '09:00-17:00'")
    match = _SHIFT.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a shift; write 'HH:MM-HH:MM', e.g. '09:00-17:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59:
        raise ValueError(f"{text!r} starts at an impossible time (00:00 to 23:59)")
    if m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f"{text!r} ends at an impossible time (00:00 to 24:00)")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        end += _MINUTES_PER_DAY
    return Shift(start, end)


def parse_date(value: object) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            if _DATE.match(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD")


def load_zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{name!r} is not a time zone; write an IANA name such as 'Europe/Berlin'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {name!r}; write an IANA name such as 'Europe/Berlin'"
        ) from None


def _parse_hours(hours: object, issues: list[Issue]) -> tuple[tuple[tuple[Shift, ...], ...], bool]:
    closed: tuple[tuple[Shift, ...], ...] = ((),) * 7
    if isinstance(hours, str):
        if hours.strip() == ALWAYS:
            full = (Shift(0, _MINUTES_PER_DAY),)
            return (full,) * 7, True
        issues.append(Issue("hours", f"{hours!r} is not valid; write '24x7' or shifts per weekday"))
        return closed, False
    if not isinstance(hours, Mapping):
        issues.append(Issue("hours", "write '24x7' or a mapping of weekday to a list of shifts"))
        return closed, False
    weekly: list[tuple[Shift, ...]] = [()] * 7
    for key, value in hours.items():
        if key not in WEEKDAYS:
            issues.append(
                Issue(f"hours.{key}", f"unknown weekday {key!r}; use {', '.join(WEEKDAYS)}")
            )
            continue
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            issues.append(Issue(f"hours.{key}", "write a list of shifts such as ['09:00-17:00']"))
            continue
        shifts = []
        for i, text in enumerate(value):
            try:
                shifts.append(parse_shift(text))
            except ValueError as exc:
                issues.append(Issue(f"hours.{key}[{i}]", str(exc)))
        weekly[WEEKDAYS.index(key)] = tuple(shifts)
    return tuple(weekly), False


def _parse_holidays(value: object, issues: list[Issue]) -> tuple[Holiday, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        issues.append(Issue("holidays", "write a list of dates (YYYY-MM-DD or {date, name})"))
        return ()
    result = []
    for i, item in enumerate(value):
        name = ""
        raw = item
        if isinstance(item, Mapping):
            unknown = set(item) - {"date", "name"}
            if unknown:
                issues.append(
                    Issue(
                        f"holidays[{i}]",
                        f"unknown field(s) {sorted(map(str, unknown))}; use date and name",
                    )
                )
            if "date" not in item:
                issues.append(Issue(f"holidays[{i}]", "missing 'date'"))
                continue
            raw = item["date"]
            name_value = item.get("name", "")
            if not isinstance(name_value, str):
                issues.append(Issue(f"holidays[{i}].name", "must be text"))
            else:
                name = name_value
        try:
            result.append(Holiday(parse_date(raw), name))
        except ValueError as exc:
            where = f"holidays[{i}].date" if isinstance(item, Mapping) else f"holidays[{i}]"
            issues.append(Issue(where, str(exc)))
    return tuple(result)


def _optional_text(spec: Mapping[str, object], key: str, issues: list[Issue]) -> str | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        issues.append(Issue(key, f"{value!r} must be a non-empty text"))
        return None
    return value.strip()


def parse_calendar_spec(spec: object) -> CalendarSpec:
    """Validate ``spec`` as a whole; raises :class:`CalendarError` listing every problem."""
    if not isinstance(spec, Mapping):
        raise CalendarError([Issue("", "a calendar must be a mapping with timezone and hours")])
    issues: list[Issue] = []
    for key in spec:
        if key not in _KEYS:
            issues.append(Issue(str(key), f"unknown field; use {', '.join(sorted(_KEYS))}"))
    name = spec.get("name", "")
    if not isinstance(name, str):
        issues.append(Issue("name", "must be text"))
        name = ""
    zone = ZoneInfo("UTC")
    if "timezone" not in spec:
        issues.append(Issue("timezone", "missing; write an IANA name such as 'Europe/Berlin'"))
    else:
        try:
            zone = load_zone(spec["timezone"])
        except ValueError as exc:
            issues.append(Issue("timezone", str(exc)))
    if "hours" not in spec:
        issues.append(Issue("hours", "missing; write '24x7' or shifts per weekday"))
        weekly: tuple[tuple[Shift, ...], ...] = ((),) * 7
        always = False
    else:
        weekly, always = _parse_hours(spec["hours"], issues)
    holidays = _parse_holidays(spec.get("holidays"), issues)
    country = _optional_text(spec, "holiday_country", issues)
    subdivision = _optional_text(spec, "holiday_subdivision", issues)
    if subdivision and not country:
        issues.append(Issue("holiday_subdivision", "needs holiday_country"))
    if country and not issues:
        problem = check_country(country, subdivision)
        if problem:
            issues.append(
                Issue(
                    "holiday_subdivision" if "subdivision" in problem else "holiday_country",
                    problem,
                )
            )
    if issues:
        raise CalendarError(issues)
    return CalendarSpec(
        name=name,
        timezone=zone.key,
        weekly=weekly,
        always_open=always,
        holidays=holidays,
        holiday_country=country,
        holiday_subdivision=subdivision,
        zone=zone,
    )


def check_country(country: str, subdivision: str | None) -> str | None:
    """None when the ``holidays`` package knows the country (and subdivision), else the problem."""
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdivision, years=2000)
    except NotImplementedError:
        # the holidays package raises this for an unknown subdivision of a known country too
        if subdivision and check_country(country, None) is None:
            return f"unknown holiday_subdivision {subdivision!r} of {country!r}; use a code known to the holidays package"
        return f"unknown holiday_country {country!r}; use an ISO 3166 code known to the holidays package"
    except (ValueError, KeyError) as exc:
        return f"unknown holiday_subdivision {subdivision!r} of {country!r} ({exc})"
    return None


def country_holiday_dates(country: str, subdivision: str | None, years: range) -> set[date]:
    """Public holidays from the ``holidays`` package (pure data; no I/O, no clock)."""
    import holidays

    found = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    return set(found.keys())
