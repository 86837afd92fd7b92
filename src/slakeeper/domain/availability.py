"""Service availability (SPEC §7): uptime, error budgets and burn rates of an objective, exact.

Every instant is in µs and every ratio a :class:`~fractions.Fraction`, so a boundary such as
``(43,200 − 4.32) / 43,200 = 0.9999`` is met exactly, never by a float's luck. Two kinds of
indicator are judged:

- **time** — incidents with an impact weight (``major`` 1, ``partial`` ½, ``degraded`` 0 by
  default). Overlapping incidents take the largest weight at each instant, never the sum; an
  open incident runs until the instant the question is asked at.
- **slices** — good/total counts per interval (probe results are 1/1 up, 0/1 down, 0/0 unknown),
  budgeted by ``occurrences`` (good events over all events), ``timeslices`` (the share of slices
  whose ratio reaches the slice target) or ``ratio_timeslices`` (the mean of the slices' ratios).
  A slice without events is unknown: counted up, down or left out by the objective's policy.

Maintenance windows follow the objective's policy: ``excluded`` (the windows leave the period:
neither eligible time nor downtime), ``up`` (the period keeps them; downtime inside them is
excused) or ``down`` (they excuse nothing: an incident inside counts in full). The domain never
reads a clock: every function is given the instant it answers for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from slakeeper.domain.periods import Window, containing

_US = 1_000_000
DAY = 86_400 * _US
METHODS = ("time", "occurrences", "timeslices", "ratio_timeslices")
MAINTENANCE_POLICIES = ("excluded", "up", "down")
UNKNOWN_POLICIES = ("up", "down", "excluded")
DEFAULT_WEIGHTS: Mapping[str, Fraction] = {
    "major": Fraction(1),
    "partial": Fraction(1, 2),
    "degraded": Fraction(0),
}

Interval = tuple[int, int]  # [start, end) in µs


# -- what is measured ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    service: str
    start: int
    end: int | None  # None: still open
    impact: str  # a key of the objective's weights
    components: tuple[str, ...] = ()
    title: str = ""


@dataclass(frozen=True, slots=True)
class Slice:
    """Good and total events over ``[start, end)``; ``total == 0`` is unknown."""

    start: int
    end: int
    good: int
    total: int


# -- what is promised ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarWindow:
    unit: str  # month | quarter | year
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class RollingWindow:
    days: int


@dataclass(frozen=True, slots=True)
class Objective:
    name: str
    service: str
    target: Fraction  # 0.999 for 99.9%
    window: CalendarWindow | RollingWindow
    method: str = "time"
    slice_target: Fraction = Fraction(1)  # timeslices: a slice is good when its ratio reaches it
    maintenance: str = "excluded"
    unknown: str = "up"
    weights: Mapping[str, Fraction] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


def period(objective: Objective, at: int) -> Window:
    """The objective's window that instant ``at`` falls in: the calendar period containing it,
    or the rolling days that end at it."""
    w = objective.window
    if isinstance(w, CalendarWindow):
        return containing(at, w.unit, w.zone)
    return Window(f"last {w.days} days", at - w.days * DAY, at)


# -- intervals ---------------------------------------------------------------------------------


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """Non-empty intervals merged where they overlap or touch, in order."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def clipped(intervals: Iterable[Interval], start: int, end: int) -> list[Interval]:
    return [(max(a, start), min(b, end)) for a, b in intervals if min(b, end) > max(a, start)]


def without(intervals: Iterable[Interval], holes: Sequence[Interval]) -> list[Interval]:
    """``intervals`` with the merged ``holes`` cut out."""
    out: list[Interval] = []
    for start, end in intervals:
        at = start
        for a, b in holes:
            if b <= at or a >= end:
                continue
            if a > at:
                out.append((at, a))
            at = max(at, b)
        if at < end:
            out.append((at, end))
    return out


def total(intervals: Iterable[Interval]) -> int:
    return sum(b - a for a, b in intervals)


def weighted_downtime(weighted: Iterable[tuple[int, int, Fraction]]) -> Fraction:
    """µs of downtime: at each instant the largest weight of the intervals covering it."""
    changes: dict[int, Counter[Fraction]] = {}
    for start, end, weight in weighted:
        if end <= start or weight <= 0:
            continue
        changes.setdefault(start, Counter())[weight] += 1
        changes.setdefault(end, Counter())[weight] -= 1
    active: Counter[Fraction] = Counter()
    down = Fraction(0)
    previous: int | None = None
    for at in sorted(changes):
        if previous is not None and active:
            down += max(active) * (at - previous)
        active.update(changes[at])
        active = +active  # drop weights no interval holds any more
        previous = at
    return down


# -- answers -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """Good and eligible amounts over a span: µs for time indicators, events or slices for the
    others. ``bad`` is the complement, exact."""

    good: Fraction
    eligible: Fraction

    @property
    def bad(self) -> Fraction:
        return self.eligible - self.good

    @property
    def ratio(self) -> Fraction | None:
        """The share good, or None when nothing was eligible."""
        return self.good / self.eligible if self.eligible else None

    @property
    def error_ratio(self) -> Fraction | None:
        return self.bad / self.eligible if self.eligible else None


def time_measure(
    objective: Objective,
    incidents: Iterable[Incident],
    maintenance: Iterable[Interval],
    start: int,
    end: int,
    now: int,
) -> Measure:
    """Time-based availability of ``[start, min(end, now))``: µs eligible and µs up."""
    end = min(end, now)
    if end <= start:
        return Measure(Fraction(0), Fraction(0))
    windows = merged(clipped(maintenance, start, end))
    spans: list[tuple[int, int, Fraction]] = []
    for incident in incidents:
        if incident.service != objective.service:
            continue
        weight = objective.weights.get(incident.impact)
        if weight is None:
            raise ValueError(
                f"incident {incident.id!r}: impact {incident.impact!r} has no weight in "
                f"objective {objective.name!r} (known: {', '.join(sorted(objective.weights))})"
            )
        stop = now if incident.end is None else min(incident.end, now)
        for a, b in clipped([(incident.start, stop)], start, end):
            pieces = [(a, b)] if objective.maintenance == "down" else without([(a, b)], windows)
            spans.extend((x, y, weight) for x, y in pieces)
    eligible = end - start
    if objective.maintenance == "excluded":
        eligible -= total(windows)
    down = weighted_downtime(spans)
    return Measure(eligible - down, Fraction(eligible))


def slice_measure(
    objective: Objective,
    slices: Iterable[Slice],
    maintenance: Iterable[Interval],
    start: int,
    end: int,
    now: int,
) -> Measure:
    """Event-based availability of the slices that start in ``[start, min(end, now))``: for
    ``occurrences`` good and total events, for the timeslice methods good and counted slices
    (a slice in a maintenance window follows the maintenance policy, an empty one the unknown
    policy)."""
    end = min(end, now)
    windows = merged(clipped(maintenance, start, end))
    good, eligible = Fraction(0), Fraction(0)
    by_total: dict[int, int] = {}  # ratio_timeslices: good events summed per slice size
    for s in slices:
        if not start <= s.start < end:
            continue
        if windows and objective.maintenance != "down" and _inside(s.start, windows):
            if objective.maintenance == "up" and objective.method != "occurrences":
                good += 1
                eligible += 1
            continue
        if objective.method == "occurrences":
            good += s.good
            eligible += s.total
            continue
        if s.total == 0:
            if objective.unknown != "excluded":
                eligible += 1
                good += objective.unknown == "up"
            continue
        eligible += 1
        if objective.method == "timeslices":
            good += Fraction(s.good, s.total) >= objective.slice_target
        else:
            by_total[s.total] = by_total.get(s.total, 0) + s.good
    good += sum((Fraction(g, t) for t, g in by_total.items()), Fraction(0))
    return Measure(good, eligible)


def _inside(at: int, windows: Sequence[Interval]) -> bool:
    return any(a <= at < b for a, b in windows)


@dataclass(frozen=True, slots=True)
class Budget:
    total: Fraction  # allowed bad amount over the whole window
    consumed: Fraction
    remaining: Fraction  # total − consumed: negative once overspent, never clamped

    @property
    def remaining_ratio(self) -> Fraction | None:
        """Share of the budget left (1 untouched, 0 spent, below 0 overspent)."""
        return self.remaining / self.total if self.total else None


def budget(target: Fraction, eligible: Fraction, consumed: Fraction) -> Budget:
    """The error budget of a window with ``eligible`` good-or-bad amount."""
    allowed = (1 - target) * eligible
    return Budget(allowed, consumed, allowed - consumed)


def burn_rate(target: Fraction, measure: Measure) -> Fraction | None:
    """How fast a span spends the budget: its error ratio over the allowed one (1 spends it
    exactly over the window)."""
    error = measure.error_ratio
    return None if error is None or target >= 1 else error / (1 - target)


def burn_factor(budget_share: Fraction, window: int, lookback: int) -> Fraction:
    """The burn rate at which ``budget_share`` of a ``window``'s budget goes in ``lookback``:
    2% of 30 days in 1 hour is 14.4."""
    return budget_share * window / lookback


def floor_percent(ratio: Fraction, places: int = 3) -> str:
    """A ratio as a percentage rounded DOWN to ``places`` decimals, trailing zeros dropped —
    one bad minute never shows 100%."""
    scaled = ratio * 100 * 10**places
    whole = scaled.numerator // scaled.denominator
    text = f"{whole // 10**places}"
    fraction = f"{whole % 10**places:0{places}d}".rstrip("0") if places else ""
    return f"{text}.{fraction}" if fraction else text


# -- maintenance ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Maintenance:
    """A maintenance window: once over ``[start, end)``, or weekly when ``weekdays`` is given —
    then ``start``/``end`` bound the dates it recurs between and ``at`` (minutes after local
    midnight) and ``minutes`` place each occurrence in ``zone``."""

    id: str
    service: str
    start: int
    end: int
    weekdays: tuple[int, ...] = ()  # 0 = Monday
    at: int = 0
    minutes: int = 0
    zone: ZoneInfo | None = None

    def occurrences(self, start: int, end: int) -> list[Interval]:
        """The window's intervals that overlap ``[start, end)``."""
        if not self.weekdays:
            return clipped([(self.start, self.end)], start, end)
        zone = self.zone or ZoneInfo("UTC")
        first = max(start, self.start) - self.minutes * 60 * _US
        last = min(end, self.end)
        out: list[Interval] = []
        day = _local_date(first, zone)
        while _midnight(day, zone) <= last:
            if day.weekday() in self.weekdays:
                begin = _wall(day, self.at, zone)
                out.append((begin, begin + self.minutes * 60 * _US))
            day = day + _ONE_DAY
        return clipped(out, max(start, self.start), last)


def maintenance_of(
    service: str, windows: Iterable[Maintenance], start: int, end: int
) -> list[Interval]:
    """The merged maintenance intervals of ``service`` overlapping ``[start, end)``."""
    return merged(i for w in windows if w.service == service for i in w.occurrences(start, end))


# -- the report of an objective -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    objective: Objective
    window: Window
    at: int  # the instant it answers for
    measure: Measure  # the window up to ``at``
    budget: Budget  # over the whole window (event methods: the events so far)
    burn: Mapping[int, Fraction | None]  # lookback µs → burn rate over it
    projected: Fraction | None  # uptime at the window's end if the last day's rate goes on
    days: list[tuple[str, Measure]]  # per local day of the window up to ``at``

    @property
    def uptime(self) -> Fraction | None:
        return self.measure.ratio

    @property
    def met(self) -> bool | None:
        """Whether the objective is met so far (None when nothing was eligible)."""
        ratio = self.measure.ratio
        return None if ratio is None else ratio >= self.objective.target


LOOKBACKS = (5 * 60 * _US, 30 * 60 * _US, 3600 * _US, 6 * 3600 * _US, DAY, 3 * DAY)


def measure(
    objective: Objective,
    incidents: Sequence[Incident],
    slices: Sequence[Slice],
    maintenance: Sequence[Interval],
    start: int,
    end: int,
    now: int,
) -> Measure:
    """The objective's indicator over ``[start, end)`` as known at ``now``."""
    if objective.method == "time":
        return time_measure(objective, incidents, maintenance, start, end, now)
    return slice_measure(objective, slices, maintenance, start, end, now)


def report(
    objective: Objective,
    incidents: Sequence[Incident],
    slices: Sequence[Slice],
    windows: Sequence[Maintenance],
    w: Window,
    now: int,
    lookbacks: Sequence[int] = LOOKBACKS,
) -> Report:
    """Everything about one objective over window ``w`` as of ``now``."""
    maintenance = maintenance_of(objective.service, windows, w.start - 3 * DAY, w.end)
    mine = [i for i in incidents if i.service == objective.service]
    so_far = measure(objective, mine, slices, maintenance, w.start, w.end, now)
    if objective.method == "time":
        whole = time_measure(objective, [], maintenance, w.start, w.end, w.end).eligible
    else:
        whole = so_far.eligible
    spent = budget(objective.target, whole, so_far.bad)
    burn = {
        back: burn_rate(
            objective.target, measure(objective, mine, slices, maintenance, now - back, now, now)
        )
        for back in lookbacks
    }
    return Report(
        objective,
        w,
        now,
        so_far,
        spent,
        burn,
        _projected(objective, mine, slices, maintenance, w, now, so_far),
        _days(objective, mine, slices, maintenance, w, now),
    )


def _projected(
    objective: Objective,
    incidents: Sequence[Incident],
    slices: Sequence[Slice],
    maintenance: Sequence[Interval],
    w: Window,
    now: int,
    so_far: Measure,
) -> Fraction | None:
    """The window's ratio at its end if the last day's ratio holds for the time left: the
    ratio so far and the last day's, weighted by the eligible time behind and ahead."""
    if so_far.ratio is None:
        return None
    if now >= w.end:
        return so_far.ratio
    recent = measure(objective, incidents, slices, maintenance, max(w.start, now - DAY), now, now)
    ahead = time_measure(objective, [], maintenance, now, w.end, w.end).eligible
    behind = time_measure(objective, [], maintenance, w.start, now, now).eligible
    if recent.ratio is None or not behind + ahead:
        return so_far.ratio
    return (so_far.ratio * behind + recent.ratio * ahead) / (behind + ahead)


def _days(
    objective: Objective,
    incidents: Sequence[Incident],
    slices: Sequence[Slice],
    maintenance: Sequence[Interval],
    w: Window,
    now: int,
) -> list[tuple[str, Measure]]:
    zone = objective.window.zone if isinstance(objective.window, CalendarWindow) else UTC_ZONE
    out = []
    day = _local_date(w.start, zone)
    while (begin := max(_midnight(day, zone), w.start)) < min(w.end, now):
        end = min(_midnight(day + _ONE_DAY, zone), w.end)
        out.append(
            (day.isoformat(), measure(objective, incidents, slices, maintenance, begin, end, now))
        )
        day = day + _ONE_DAY
    return out


# -- local time ------------------------------------------------------------------------------------

UTC_ZONE = ZoneInfo("UTC")
_ONE_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _local_date(at: int, zone: ZoneInfo) -> date:
    return (_EPOCH + timedelta(microseconds=at)).astimezone(zone).date()


def _wall(day: date, minutes: int, zone: ZoneInfo) -> int:
    """The instant of a local wall-clock time (minutes after midnight) on ``day``."""
    moment = datetime.combine(day, time(minutes // 60, minutes % 60), zone)
    return int((moment - _EPOCH) / timedelta(microseconds=1))


def _midnight(day: date, zone: ZoneInfo) -> int:
    return _wall(day, 0, zone)
