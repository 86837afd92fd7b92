"""When tickets arrive: a weekly profile of mean tickets per local hour of the week, and the
non-homogeneous Poisson process it defines, sampled by thinning (Lewis and Shedler, 1979).

A profile is written either as 168 rates (mean tickets per hour, Monday 00:00 local first) or as a
weekly volume spread over the hours by relative weights per weekday::

    timezone: Europe/Berlin
    weekly_volume: 700
    shape:
      weekdays: [0, 0, 0, 0, 0, 0, 1, 3, 8, 10, 10, 9, 7, 8, 9, 8, 6, 4, 2, 1, 1, 0, 0, 0]
      sat: 1            # one number: the same weight every hour of the day
      sun: 0.5

``weekdays`` stands for mon to fri and ``weekend`` for sat and sun; a named day overrides them; a day
left out gets no tickets. Rates are read in local time: in the night a DST change repeats an hour,
its tickets arrive twice, and an hour skipped gets none.

Thinning: candidates arrive at the profile's peak rate λ* (exponential gaps) and each is kept with
probability λ(t)/λ*. Local hours are found from the zone's UTC offset, cached per quarter hour of
UTC (and computed exactly for a quarter that holds an offset change).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from zoneinfo import ZoneInfo

from slakeeper.domain.calendar_spec import WEEKDAYS, load_zone
from slakeeper.domain.errors import Issue
from slakeeper.simulation.quantities import HOUR, SECOND, check_keys, number, path

HOURS_PER_WEEK = 168
_EPOCH_HOUR_OF_WEEK = 72  # 1970-01-01 00:00 was a Thursday: hour 72 of a Monday-based week
_QUARTER = 15 * 60 * SECOND
_SHORTHANDS = {"weekdays": WEEKDAYS[:5], "weekend": WEEKDAYS[5:]}
_VARIES = -(2**62)  # cache mark: the offset changes within this quarter hour
PROFILE_KEYS = ("timezone", "rates", "weekly_volume", "shape")


@dataclass(frozen=True, slots=True)
class WeeklyProfile:
    """Mean tickets per local hour of the week; ``rates[0]`` is Monday 00:00-01:00."""

    zone: ZoneInfo
    rates: tuple[float, ...]

    @property
    def weekly_volume(self) -> float:
        return sum(self.rates)

    def hour_of_week(self, instant: int, offsets: _Offsets | None = None) -> int:
        """The local hour of the week (0 = Monday 00:00) of ``instant`` (µs since the epoch)."""
        local = instant + (offsets or _Offsets(self.zone))(instant)
        return (local // HOUR + _EPOCH_HOUR_OF_WEEK) % HOURS_PER_WEEK

    def times(self, rng: Random, start: int, end: int) -> Iterator[int]:
        """Arrival instants in ``[start, end)``, ascending, in whole seconds (µs)."""
        peak = max(self.rates)
        if peak <= 0.0:
            return
        rates = self.rates
        offset_at = _Offsets(self.zone)
        gap = float(HOUR) / peak  # mean µs between candidates
        expo, uniform = rng.expovariate, rng.random
        t = float(start)
        while True:
            t += expo(1.0) * gap
            if t >= end:
                return
            instant = int(t)
            local = instant + offset_at(instant)
            rate = rates[(local // HOUR + _EPOCH_HOUR_OF_WEEK) % HOURS_PER_WEEK]
            if uniform() * peak < rate:
                yield instant - instant % SECOND


class _Offsets:
    """The zone's UTC offset (µs) at an instant, cached per quarter hour of UTC."""

    __slots__ = ("cache", "zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.cache: dict[int, int] = {}

    def exact(self, instant: int) -> int:
        moment = datetime.fromtimestamp(instant // SECOND, UTC).astimezone(self.zone)
        offset = moment.utcoffset()
        assert offset is not None
        return (offset.days * 86_400 + offset.seconds) * SECOND

    def __call__(self, instant: int) -> int:
        quarter = instant // _QUARTER
        found = self.cache.get(quarter)
        if found is None:
            first = self.exact(quarter * _QUARTER)
            last = self.exact((quarter + 1) * _QUARTER - SECOND)
            found = self.cache[quarter] = first if first == last else _VARIES
        return self.exact(instant) if found == _VARIES else found


def parse_profile(
    value: Mapping[object, object], where: str, issues: list[Issue]
) -> WeeklyProfile | None:
    """The profile fields of an arrival stream (``timezone``, ``rates`` or ``weekly_volume`` and
    ``shape``); other fields of the stream are not looked at."""
    before = len(issues)
    zone = ZoneInfo("UTC")
    try:
        zone = load_zone(value.get("timezone", "UTC"))
    except ValueError as exc:
        issues.append(Issue(path(where, "timezone"), str(exc)))
    has_rates, has_shape = "rates" in value, "shape" in value or "weekly_volume" in value
    rates: tuple[float, ...] | None = None
    if has_rates and has_shape:
        issues.append(Issue(where, "give either rates or weekly_volume with shape, not both"))
    elif has_rates:
        rates = _rates(value["rates"], path(where, "rates"), issues)
    elif has_shape:
        rates = _shaped(value, where, issues)
    else:
        issues.append(
            Issue(where, "missing; give rates (168 per hour of week) or weekly_volume and shape")
        )
    if rates is None or len(issues) > before:
        return None
    if max(rates) <= 0.0:
        issues.append(Issue(where, "every rate is 0: no ticket would ever arrive"))
        return None
    return WeeklyProfile(zone, rates)


def _rates(value: object, where: str, issues: list[Issue]) -> tuple[float, ...] | None:
    if not isinstance(value, list) or len(value) != HOURS_PER_WEEK:
        issues.append(
            Issue(where, "write 168 numbers: mean tickets per hour, Monday 00:00 local first")
        )
        return None
    found = [number(v, path(where, i), issues, low=0.0, high=1e6) for i, v in enumerate(value)]
    clean = [v for v in found if v is not None]
    return tuple(clean) if len(clean) == HOURS_PER_WEEK else None


def _shaped(
    value: Mapping[object, object], where: str, issues: list[Issue]
) -> tuple[float, ...] | None:
    volume = number(
        value.get("weekly_volume"),
        path(where, "weekly_volume"),
        issues,
        low=0.0,
        high=1e7,
        low_open=True,
    )
    shape = value.get("shape")
    place = path(where, "shape")
    if not isinstance(shape, Mapping) or not shape:
        issues.append(
            Issue(place, "write a mapping of weekday (or weekdays, weekend) to 24 weights")
        )
        return None
    check_keys(shape, (*WEEKDAYS, *_SHORTHANDS), place, issues)
    days: list[list[float]] = [[0.0] * 24 for _ in WEEKDAYS]
    ok = True
    for key in (*_SHORTHANDS, *WEEKDAYS):  # shorthands first: a named day overrides them
        if key not in shape:
            continue
        hours = _day(shape[key], path(place, key), issues)
        if hours is None:
            ok = False
            continue
        for day in _SHORTHANDS.get(key, (key,)):
            days[WEEKDAYS.index(day)] = hours
    total = sum(sum(day) for day in days)
    if not ok or volume is None:
        return None
    if total <= 0.0:
        issues.append(Issue(place, "every weight is 0: no ticket would ever arrive"))
        return None
    return tuple(volume * w / total for day in days for w in day)


def _day(value: object, where: str, issues: list[Issue]) -> list[float] | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        one = number(value, where, issues, low=0.0, high=1e6)
        return None if one is None else [one] * 24
    if not isinstance(value, list) or len(value) != 24:
        issues.append(Issue(where, "write 24 weights (00:00 to 23:00 local) or one number"))
        return None
    found = [number(v, path(where, i), issues, low=0.0, high=1e6) for i, v in enumerate(value)]
    clean = [v for v in found if v is not None]
    return clean if len(clean) == 24 else None
