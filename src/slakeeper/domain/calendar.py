"""Business time: when a calendar is open, how much business time lies between two instants, and
which instant is a given amount of business time after another (SPEC §1).

Design. The calendar turns its weekly shifts, holidays and zone into a sorted table of *open
intervals as instants* (integer microseconds since the epoch, UTC), merged so that they are disjoint,
with the cumulative business time before each. ``B(t)`` — the business time before ``t`` — is then
one binary search; ``elapsed(a, b) = B(b) - B(a)`` and ``add`` inverts ``B`` with a second binary
search. The table covers a window of local dates and is rebuilt lazily, twice as wide, when a
question falls outside it, in either direction. Nothing walks day by day at query time.

Daylight saving follows the wall-clock rule: an instant is open when its local wall time lies in a
shift. Each shift is mapped to instants per UTC-offset segment of the zone, so a DST gap shortens a
shift and a repeated hour lengthens it.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slakeeper.domain.calendar_spec import (
    CalendarSpec,
    country_holiday_dates,
    parse_calendar_spec,
)
from slakeeper.domain.errors import CalendarNeverOpens, InvalidArgument

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MIN_ORDINAL = date(1, 1, 1).toordinal() + 3
_MAX_ORDINAL = date(9999, 12, 31).toordinal() - 3
_MAX_US = (_MAX_ORDINAL - _EPOCH_ORDINAL) * _DAY_US  # the last instant the table calendars reach
_OFFSET_PROBE_US = 3 * 3600 * _US  # zone offsets are probed this often, then bisected to the second
_INITIAL_DAYS_BEFORE = 366
_INITIAL_DAYS_AFTER = 3 * 366


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime; refuses naive ones."""
    if type(moment) is not datetime and not isinstance(moment, datetime):
        raise InvalidArgument(f"expected a timezone-aware datetime, got {type(moment).__name__}")
    if moment.tzinfo is UTC:
        delta = moment - EPOCH
        return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds
    offset = moment.utcoffset()
    if offset is None:
        raise InvalidArgument(
            f"naive datetime {moment.isoformat()} has no time zone; pass an aware datetime"
        )
    # from the fields: one utcoffset() call instead of the two an aware subtraction makes
    seconds = (
        (moment.toordinal() - _EPOCH_ORDINAL) * 86_400
        + moment.hour * 3600
        + moment.minute * 60
        + moment.second
        - offset.days * 86_400
        - offset.seconds
    )
    return seconds * _US + moment.microsecond - offset.microseconds


def from_us(instant: int) -> datetime:
    """The aware UTC datetime of ``instant`` microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=instant)


def duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise InvalidArgument(f"expected a timedelta duration, got {type(duration).__name__}")
    us = (duration.days * 86_400 + duration.seconds) * _US + duration.microseconds
    if us < 0:
        raise InvalidArgument(f"duration {duration} is negative")
    return us


class BusinessCalendar:
    """A business calendar. Build it with :meth:`from_spec`; it is immutable from the outside.

    Every answer takes explicit, timezone-aware instants and returns UTC.
    """

    __slots__ = ("_always", "_extra_holidays", "_lock", "_opens", "_spec", "_table", "_weekly_us")

    def __init__(self, spec: CalendarSpec) -> None:
        self._spec = spec
        self._always = spec.always_open and not spec.holidays and not spec.holiday_country
        self._weekly_us = tuple(
            tuple((s.start * 60 * _US, s.end * 60 * _US) for s in day) for day in spec.weekly
        )
        self._extra_holidays: set[date] = {h.on for h in spec.holidays}
        self._opens = any(self._weekly_us)
        # the table is replaced whole, never changed in place: a reader holding one is never
        # disturbed by another thread extending the horizon
        self._table = _EMPTY
        self._lock = threading.Lock()

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> BusinessCalendar:
        """A calendar from the SPEC §1 mapping; raises :class:`CalendarError` (a ``ValueError``)."""
        return cls(parse_calendar_spec(spec))

    @property
    def spec(self) -> CalendarSpec:
        return self._spec

    @property
    def name(self) -> str:
        return self._spec.name

    @property
    def timezone(self) -> str:
        return self._spec.timezone

    def opens_ever(self) -> bool:
        return self._opens

    def __repr__(self) -> str:
        return f"BusinessCalendar(name={self._spec.name!r}, timezone={self._spec.timezone!r})"

    # -- the public questions ------------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        """True when ``t`` is business time."""
        return self.is_open_us(to_us(t))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; zero when ``end <= start``."""
        return timedelta(microseconds=self.elapsed_us(to_us(start), to_us(end)))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``t >= start`` with ``elapsed(start, t) == duration`` (UTC)."""
        return from_us(self.add_us(to_us(start), duration_us(duration)))

    # -- the same in integer microseconds, for the engine and the batch form -------------------

    def is_open_us(self, t: int) -> bool:
        if self._always:
            return True
        table = self._table
        if not table.lo_us <= t <= table.hi_us:
            table = self._cover(t, t)
        i = bisect_right(table.starts, t) - 1
        return i >= 0 and t < table.ends[i]

    def elapsed_us(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        if self._always:
            return b - a
        table = self._table
        if a < table.lo_us or b > table.hi_us:
            table = self._cover(a, b)
        return table.before(b) - table.before(a)

    def add_us(self, start: int, duration: int) -> int:
        if duration < 0:
            raise InvalidArgument(f"duration of {duration} µs is negative")
        if duration == 0:
            return start
        if self._always:
            if start + duration > _MAX_US:
                raise InvalidArgument("the answer lies beyond the year 9999")
            return start + duration
        if not self._opens:
            raise CalendarNeverOpens(
                f"calendar {self._spec.name or self._spec.timezone!r} has no shifts: it never opens, "
                "so no business time can be added"
            )
        table = self._table
        if not table.lo_us <= start <= table.hi_us:
            table = self._cover(start, start)
        while True:
            target = table.before(start) + duration
            if target <= table.hi_before:
                break
            table = self._extend(later=True)
        i = bisect_left(table.cum_end, target)
        return table.ends[i] - (table.cum_end[i] - target)

    # -- batch form ----------------------------------------------------------------------------

    def elapsed_many(
        self, starts: npt.ArrayLike, ends: npt.ArrayLike
    ) -> npt.NDArray[np.timedelta64]:
        """Vectorised :meth:`elapsed`: arrays of instants (``datetime64``, read as UTC) in, ``timedelta64[us]`` out."""
        import numpy as np

        a = _as_us_array(starts, "starts")
        b = _as_us_array(ends, "ends")
        if a.shape != b.shape:
            raise InvalidArgument(f"starts and ends differ in shape: {a.shape} and {b.shape}")
        if self._always:
            out = b - a
        else:
            table = self._table
            if a.size:
                table = self._cover(int(min(a.min(), b.min())), int(max(a.max(), b.max())))
            out = _before_many(table, b) - _before_many(table, a)
        result: npt.NDArray[np.timedelta64] = np.maximum(out, 0).astype("timedelta64[us]")
        return result

    def add_many(
        self, starts: npt.ArrayLike, durations: npt.ArrayLike
    ) -> npt.NDArray[np.datetime64]:
        """Vectorised :meth:`add`: instants (``datetime64``, read as UTC) and ``timedelta64`` durations in, ``datetime64[us]`` (UTC) out."""
        import numpy as np

        s = _as_us_array(starts, "starts")
        d = _as_us_array(durations, "durations", kind="m")
        if s.shape != d.shape:
            raise InvalidArgument(f"starts and durations differ in shape: {s.shape} and {d.shape}")
        if d.size and int(d.min()) < 0:
            raise InvalidArgument("durations contain a negative value")
        if self._always or not s.size:
            return (s + d).astype("datetime64[us]")
        if not self.opens_ever():
            if int(d.max()) > 0:
                raise CalendarNeverOpens(
                    f"calendar {self._spec.name!r} has no shifts: it never opens"
                )
            return s.astype("datetime64[us]")  # every duration is zero: the starts themselves
        table = self._cover(int(s.min()), int(s.max()))
        while True:
            target = _before_many(table, s) + d
            if int(target.max()) <= table.hi_before:
                break
            table = self._extend(later=True)
        _, ends, _, cum_end = table.arrays()
        i = np.searchsorted(cum_end, target, side="left")
        i = np.minimum(i, len(cum_end) - 1)
        out = np.where(d == 0, s, ends[i] - (cum_end[i] - target))
        return out.astype("datetime64[us]")

    # -- the table of open intervals -----------------------------------------------------------

    def _cover(self, a: int, b: int) -> _Table:
        """A table that answers exactly for every instant in ``[a, b]`` (and is kept)."""
        day_a = _day_of(a)
        day_b = _day_of(b)
        with self._lock:
            table = self._table
            if table is _EMPTY:
                table = self._build(day_a - _INITIAL_DAYS_BEFORE, day_b + _INITIAL_DAYS_AFTER)
            while a < table.lo_us:
                table = self._grown(table, later=False, at_least=table.lo_day - day_a)
            while b > table.hi_us:
                table = self._grown(table, later=True, at_least=day_b - table.hi_day)
            self._table = table
            return table

    def _extend(self, later: bool) -> _Table:
        with self._lock:
            self._table = self._grown(self._table, later)
            return self._table

    def _grown(self, table: _Table, later: bool, at_least: int = 0) -> _Table:
        span = max(table.hi_day - table.lo_day, at_least + 2)
        if later:
            if table.hi_day >= _MAX_ORDINAL:
                raise InvalidArgument("the answer lies beyond the year 9999")
            return self._build(table.lo_day, table.hi_day + span)
        if table.lo_day <= _MIN_ORDINAL:
            raise InvalidArgument("the question lies before the year 1")
        return self._build(table.lo_day - span, table.hi_day)

    def _build(self, lo_day: int, hi_day: int) -> _Table:
        """Open intervals for shifts starting on local dates ``[lo_day - 1, hi_day - 1]``.

        ``lo_day``/``hi_day`` are proleptic ordinals. Instants within a day of the window's edge
        (farther than any UTC offset) are left out of the exact range.
        """
        lo_day = max(lo_day, _MIN_ORDINAL)
        hi_day = min(hi_day, _MAX_ORDINAL)
        spec = self._spec
        off_lo = (lo_day - 2 - _EPOCH_ORDINAL) * _DAY_US
        off_hi = (hi_day + 2 - _EPOCH_ORDINAL) * _DAY_US
        seg_starts, seg_offsets = _offset_segments(spec, off_lo, off_hi)
        closed = self._holidays(lo_day - 1, hi_day)
        raw: list[tuple[int, int]] = []
        weekly = self._weekly_us
        single = len(seg_starts) == 1
        # computed once per build, not once per shift (which made a century's build quadratic)
        off_bounds = (min(seg_offsets), max(seg_offsets))
        for ordinal in range(lo_day - 1, hi_day):
            shifts = weekly[(ordinal - 1) % 7]  # ordinal 1 (0001-01-01) is a Monday
            if not shifts or ordinal in closed:
                continue
            wall_day = (ordinal - _EPOCH_ORDINAL) * _DAY_US
            for s, e in shifts:
                ws, we = wall_day + s, wall_day + e
                if single:
                    raw.append((ws - seg_offsets[0], we - seg_offsets[0]))
                else:
                    _map_wall_interval(ws, we, seg_starts, seg_offsets, raw, off_bounds)
        raw.sort()
        starts: list[int] = []
        ends: list[int] = []
        for s, e in raw:
            if e <= s:
                continue
            if ends and s <= ends[-1]:
                if e > ends[-1]:
                    ends[-1] = e
            else:
                starts.append(s)
                ends.append(e)
        cum: list[int] = []
        cum_end: list[int] = []
        total = 0
        for s, e in zip(starts, ends, strict=True):
            cum.append(total)
            total += e - s
            cum_end.append(total)
        return _Table(starts, ends, cum, cum_end, lo_day, hi_day)

    def _holidays(self, lo_day: int, hi_day: int) -> set[int]:
        spec = self._spec
        days = {d.toordinal() for d in self._extra_holidays}
        if spec.holiday_country:
            lo_year = date.fromordinal(max(lo_day, 1)).year
            hi_year = date.fromordinal(min(hi_day, _MAX_ORDINAL)).year
            found = country_holiday_dates(
                spec.holiday_country,
                spec.holiday_subdivision,
                range(
                    max(lo_year - 1, 1), min(hi_year + 1, 9999) + 1
                ),  # a neighbour year may observe a holiday here
            )
            days |= {d.toordinal() for d in found}
        return days

    def holiday_names(self) -> dict[date, str]:
        """Explicit holidays with their names (for explanations and user interfaces)."""
        return {h.on: h.name for h in self._spec.holidays}


class _Table:
    """Open intervals as instants (merged, sorted) with the business time before each.

    Built whole and never changed afterwards (but for the numpy copies, made on first use).
    Instants in ``[lo_us, hi_us]`` are answered exactly.
    """

    __slots__ = (
        "cum",
        "cum_end",
        "ends",
        "hi_before",
        "hi_day",
        "hi_us",
        "lo_day",
        "lo_us",
        "numpy",
        "starts",
    )

    def __init__(
        self,
        starts: list[int],
        ends: list[int],
        cum: list[int],
        cum_end: list[int],
        lo_day: int,
        hi_day: int,
    ) -> None:
        self.starts, self.ends, self.cum, self.cum_end = starts, ends, cum, cum_end
        self.lo_day, self.hi_day = lo_day, hi_day
        self.lo_us = (lo_day + 1 - _EPOCH_ORDINAL) * _DAY_US
        self.hi_us = (hi_day - 1 - _EPOCH_ORDINAL) * _DAY_US
        self.numpy: tuple[Any, ...] | None = None
        self.hi_before = self.before(self.hi_us) if starts else 0

    def before(self, t: int) -> int:
        """Business microseconds in the table before ``t`` (relative to the table's origin)."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum[i] + (t if t < end else end) - self.starts[i]

    def arrays(self) -> tuple[Any, ...]:
        if self.numpy is None:
            import numpy as np

            self.numpy = tuple(
                np.asarray(x, dtype=np.int64)
                for x in (self.starts, self.ends, self.cum, self.cum_end)
            )
        return self.numpy


_EMPTY = _Table([], [], [], [], 0, 0)


def _before_many(table: _Table, t: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    import numpy as np

    starts, ends, cum, _ = table.arrays()
    if not len(starts):
        return np.zeros_like(t)
    i = np.searchsorted(starts, t, side="right") - 1
    j = np.maximum(i, 0)
    inside = cum[j] + np.minimum(t, ends[j]) - starts[j]
    result: npt.NDArray[np.int64] = np.where(i < 0, 0, inside)
    return result


def _day_of(t: int) -> int:
    """The proleptic ordinal of the UTC date of ``t`` (µs since the epoch)."""
    return t // _DAY_US + _EPOCH_ORDINAL


def _offset_at(zone: ZoneInfo, t: int) -> int:
    """The zone's UTC offset at instant ``t`` (µs since the epoch), in microseconds."""
    offset = (EPOCH + timedelta(microseconds=t)).astimezone(zone).utcoffset()
    assert offset is not None
    return (offset.days * 86_400 + offset.seconds) * _US + offset.microseconds


@lru_cache(maxsize=4096)
def _year_changes(zone: ZoneInfo, year: int) -> tuple[tuple[int, int], ...]:
    """Each change of the zone's UTC offset within a UTC year: (instant, offset from then on).

    The zone is probed every few hours and each change bisected to the second, so this works for
    any IANA zone without private zoneinfo APIs; results are shared by every calendar of the zone.
    """
    lo = (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY_US
    hi = (
        (date(year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY_US
        if year < 9999
        else lo + 364 * _DAY_US  # 9999-12-31: the last day a datetime can hold
    )
    changes: list[tuple[int, int]] = []
    current = _offset_at(zone, lo)
    t = lo
    while t < hi:
        nxt = min(t + _OFFSET_PROBE_US, hi)
        off = _offset_at(zone, nxt)
        if off != current:
            a, b = t // _US, nxt // _US  # offset(a) == current, offset(b) differs
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_at(zone, mid * _US) == current:
                    a = mid
                else:
                    b = mid
            changes.append((b * _US, off))
            current = off
        t = nxt
    return tuple(changes)


def _offset_segments(spec: CalendarSpec, lo: int, hi: int) -> tuple[list[int], list[int]]:
    """The UTC-offset segments of the calendar's zone over ``[lo, hi]``: start instants and offsets."""
    lo = max(lo, (_MIN_ORDINAL - _EPOCH_ORDINAL) * _DAY_US)
    hi = min(hi, (_MAX_ORDINAL - _EPOCH_ORDINAL) * _DAY_US)
    zone = spec.zone
    starts = [lo]
    offsets = [_offset_at(zone, lo)]
    for year in range(date.fromordinal(_day_of(lo)).year, date.fromordinal(_day_of(hi)).year + 1):
        for instant, off in _year_changes(zone, year):
            if lo < instant <= hi and off != offsets[-1]:
                starts.append(instant)
                offsets.append(off)
    return starts, offsets


def _map_wall_interval(
    ws: int,
    we: int,
    seg_starts: list[int],
    seg_offsets: list[int],
    out: list[tuple[int, int]],
    off_bounds: tuple[int, int],
) -> None:
    """Append the instant intervals whose local wall time lies in ``[ws, we)``.

    ``off_bounds`` is ``(min(seg_offsets), max(seg_offsets))``.
    """
    lo = ws - off_bounds[1]
    hi = we - off_bounds[0]
    k = max(bisect_right(seg_starts, lo) - 1, 0)
    n = len(seg_starts)
    while k < n and seg_starts[k] < hi:
        seg_end = seg_starts[k + 1] if k + 1 < n else hi
        off = seg_offsets[k]
        s = max(ws - off, seg_starts[k])
        e = min(we - off, seg_end)
        if s < e:
            out.append((s, e))
        k += 1


def _as_us_array(values: npt.ArrayLike, what: str, kind: str = "M") -> npt.NDArray[np.int64]:
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind == kind:
        return arr.astype(f"{'datetime64' if kind == 'M' else 'timedelta64'}[us]").view(np.int64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    expected = "datetime64 instants" if kind == "M" else "timedelta64 durations"
    raise InvalidArgument(f"{what} must be {expected} or int64 microseconds, got dtype {arr.dtype}")
