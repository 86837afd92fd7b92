"""Hypothesis strategies for business calendars (SPEC §1): specs, instants and durations.

Zones are chosen for their awkward clocks: a 30-minute DST (Australia/Lord_Howe), a +05:45 offset
(Asia/Kathmandu), DST that starts at midnight (America/Sao_Paulo until 2019), the common European
and North American rules, and UTC. Instants are drawn near the zone's DST transitions more often than
not, and holidays fall on and around those transition dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import timezone as fixed_offset
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

ZONES = (
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
    "America/New_York",
    "UTC",
)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FIRST_YEAR, LAST_YEAR = 2012, 2029  # where DST transitions are looked up and instants drawn

# Local times where something happens in one of ZONES: midnight (Sao Paulo's DST gap), 01:00-03:00
# (Berlin, New York), 02:00-02:30 (Lord Howe), and the ends of the day.
_INTERESTING_MINUTES = (0, 30, 60, 90, 120, 150, 180, 210, 1320, 1380, 1410, 1439)

# Zones an instant may be written in, whatever the calendar's own zone is.
_DISPLAY_ZONES: tuple[tzinfo, ...] = (
    *(ZoneInfo(z) for z in ZONES),
    ZoneInfo("Pacific/Kiritimati"),  # +14:00
    ZoneInfo("Pacific/Pago_Pago"),  # -11:00
    ZoneInfo("Pacific/Chatham"),  # +12:45 / +13:45
    ZoneInfo("Asia/Tehran"),
    fixed_offset(timedelta(hours=-9, minutes=-30)),
    fixed_offset(timedelta(hours=5, minutes=30)),
    UTC,
)


@cache
def transition_days(zone: str) -> tuple[date, ...]:
    """UTC dates on which ``zone`` changes its UTC offset (within a day), FIRST_YEAR..LAST_YEAR."""
    zi = ZoneInfo(zone)
    day = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    previous = day.astimezone(zi).utcoffset()
    found = []
    while day.year <= LAST_YEAR:
        day += timedelta(days=1)
        offset = day.astimezone(zi).utcoffset()
        if offset != previous:
            found.append((day - timedelta(days=1)).date())
            previous = offset
    return tuple(found)


# -- calendar specs ---------------------------------------------------------------------------------


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


clock_minutes = st.one_of(st.sampled_from(_INTERESTING_MINUTES), st.integers(0, 1439))


@st.composite
def shifts(draw: st.DrawFn) -> str:
    """``"HH:MM-HH:MM"``: ordinary, overnight (end before start), 24 h (end == start), or to 24:00."""
    start = draw(clock_minutes)
    kind = draw(st.sampled_from(["any", "any", "same-day", "overnight", "24:00", "24h"]))
    if kind == "24:00":
        return f"{_hhmm(start)}-24:00"
    if kind == "24h":
        return f"{_hhmm(start)}-{_hhmm(start)}"
    if kind == "same-day" and start < 1439:
        end = draw(st.integers(start + 1, 1439))
    elif kind == "overnight" and start > 0:
        end = draw(st.integers(0, start - 1))
    else:
        end = draw(clock_minutes)
    return f"{_hhmm(start)}-{_hhmm(end)}"


day_shifts = st.lists(shifts(), max_size=3)


@st.composite
def weekly_hours(
    draw: st.DrawFn, always_opens: bool = True, min_days: int = 0
) -> dict[str, list[str]]:
    """A mapping of weekday to shifts (breaks, overlaps and closed days included)."""
    hours = draw(
        st.dictionaries(st.sampled_from(DAY_NAMES), day_shifts, min_size=min_days, max_size=7)
    )
    if always_opens and not any(hours.values()):
        hours[draw(st.sampled_from(DAY_NAMES))] = [draw(shifts())]
    return hours


def _holiday_item(day: date) -> st.SearchStrategy[Any]:
    """The three ways of writing a holiday: an ISO string, a date, or ``{date, name}``."""
    return st.sampled_from([day.isoformat(), day, {"date": day.isoformat(), "name": "Holiday"}])


@st.composite
def holiday_lists(draw: st.DrawFn, near: tuple[date, ...] = (), min_size: int = 0) -> list[Any]:
    """Up to five holidays, mostly on or next to the dates in ``near``."""
    candidates = st.dates(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31))
    if near:
        nearby = st.builds(
            lambda d, k: d + timedelta(days=k), st.sampled_from(near), st.integers(-2, 2)
        )
        candidates = st.one_of(nearby, nearby, candidates)
    days = draw(st.lists(candidates, min_size=min_size, max_size=5, unique=True))
    return [draw(_holiday_item(day)) for day in days]


@st.composite
def calendar_specs(
    draw: st.DrawFn,
    zone: str | None = None,
    near: tuple[date, ...] | None = None,
    always_opens: bool = True,
    countries: bool = True,
    busy: bool = False,
) -> dict[str, Any]:
    """A valid SPEC §1 mapping. ``near``: dates the holidays should cluster around (default: the
    zone's DST transition dates). ``always_opens``: at least one shift somewhere in the week.
    ``busy``: shifts on at least four weekdays and always some holidays (for short windows)."""
    if zone is None:
        zone = draw(st.sampled_from(ZONES))
    if near is None:
        near = transition_days(zone)
    spec: dict[str, Any] = {"name": "generated", "timezone": zone}
    # one in ten is "24x7"; not the simplest value, so that Hypothesis starts from weekly shifts
    one_in_ten = draw(st.integers(0, 9)) == 9
    min_days = 4 if busy else 0
    spec["hours"] = "24x7" if one_in_ten else draw(weekly_hours(always_opens, min_days))
    if busy or draw(st.booleans()):
        spec["holidays"] = draw(holiday_lists(near, min_size=1 if busy else 0))
    if countries and zone == "Europe/Berlin" and draw(st.integers(0, 9)) == 9:
        spec["holiday_country"] = "DE"
        if draw(st.booleans()):
            spec["holiday_subdivision"] = "BE"
    return spec


# -- instants and durations -------------------------------------------------------------------------


def displayed(moment: datetime) -> st.SearchStrategy[datetime]:
    """The same instant written in a random zone or fixed offset."""
    return st.sampled_from(_DISPLAY_ZONES).map(moment.astimezone)


def utc_instants(
    lo: datetime = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC),
    hi: datetime = datetime(LAST_YEAR, 12, 31, tzinfo=UTC),
    resolution: timedelta = timedelta(microseconds=1),
) -> st.SearchStrategy[datetime]:
    """Aware UTC instants in ``[lo, hi]``, multiples of ``resolution`` after ``lo``."""
    steps = (hi - lo) // resolution
    return st.integers(0, steps).map(lambda k: lo + k * resolution)


@st.composite
def windows_across_transitions(draw: st.DrawFn, zone: str, length: timedelta) -> datetime:
    """The minute-aligned UTC start of a window of ``length`` (at least two days) that contains a
    whole UTC day on which ``zone`` changes its offset (any window if the zone has no changes)."""
    days = transition_days(zone)
    if not days:
        return draw(utc_instants(resolution=timedelta(minutes=1)))
    day = draw(st.sampled_from(days))
    latest = datetime(day.year, day.month, day.day, tzinfo=UTC)
    slack = (length - timedelta(days=1)) // timedelta(minutes=1)
    return latest - draw(st.integers(0, slack)) * timedelta(minutes=1)


@st.composite
def instants_near_transitions(
    draw: st.DrawFn, zone: str, resolution: timedelta = timedelta(microseconds=1)
) -> datetime:
    """An instant within three days of one of ``zone``'s DST transitions (anywhere if it has none),
    half the time exactly on an hour or half hour."""
    days = transition_days(zone)
    if not days:
        return draw(utc_instants(resolution=resolution))
    day = draw(st.sampled_from(days))
    lo = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=3)
    if draw(st.booleans()):
        return lo + draw(st.integers(0, 6 * 48)) * timedelta(minutes=30)
    return draw(utc_instants(lo, lo + timedelta(days=7), resolution))


def instants(
    zone: str, resolution: timedelta = timedelta(microseconds=1)
) -> st.SearchStrategy[datetime]:
    """Aware instants, written in a random zone, often near ``zone``'s DST transitions."""
    utc = st.one_of(
        instants_near_transitions(zone, resolution), utc_instants(resolution=resolution)
    )
    return utc.flatmap(displayed)


durations = st.one_of(
    st.just(timedelta(0)),
    st.integers(0, 4 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us)),
    st.integers(1, 5 * 24 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 60 * 24).map(lambda h: timedelta(hours=h)),
)
"""Business durations from nothing to 60 days, to the microsecond or in whole minutes/hours."""
