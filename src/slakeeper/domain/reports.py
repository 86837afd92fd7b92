"""Report metrics as pure functions of tickets and their clocks (definitions: docs/metrics.md).

The input is one :class:`TicketFacts` per ticket — its attributes as of the report's instant,
when it was first solved, how many replies and reopens it had, its last satisfaction rating and
its clocks at that instant — and every function here is a plain fold over them. They are the
reference the faster store queries are tested against; nothing here reads the clock or a file.

- :func:`judged` — which clocks count for compliance, whether each was met or breached, and when;
- :func:`compliance` — met, breached, compliance % and breach rate, grouped by any dimensions
  and by period (day, week, month, quarter in a time zone);
- :func:`durations` — first response and resolution times (mean, median, p90) in business and
  in calendar time;
- :func:`first_contact` — first contact resolution and reopen rate of the tickets solved;
- :func:`satisfaction` — CSAT average and distribution, tickets that met their SLAs against those
  that breached;
- :func:`breaches_by_hour` — breaches by hour of week.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import NamedTuple
from zoneinfo import ZoneInfo

from slakeeper.domain.clocks import ACHIEVED, Clock
from slakeeper.domain.policy import Attributes
from slakeeper.domain.ticket import FIRST_RESPONSE, RESOLUTION, TicketState

_US = 1_000_000
PERIODS = ("day", "week", "month", "quarter")
DIMENSIONS = (
    "metric",
    "policy",
    "priority",
    "group",
    "assignee",
    "customer",
    "service",
    "channel",
    "period",
)
MET, BREACHED = "met", "breached"
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class TicketFacts(NamedTuple):
    """One ticket as reports see it at an instant."""

    ticket: str
    attrs: Attributes  # as of the report's instant
    created_at: int
    solved_at: int | None  # the first time it became solved or closed
    replies: int  # public replies that counted as responses
    reopens: int
    csat: tuple[int, int] | None  # the last rating: (instant, score)
    clocks: tuple[Clock, ...]


def facts_of(state: TicketState, clocks: Iterable[Clock]) -> TicketFacts:
    return TicketFacts(
        state.id,
        state.attrs,
        state.created_at,
        state.solved_at,
        state.replies,
        state.reopens,
        state.csat[-1] if state.csat else None,
        tuple(clocks),
    )


class Judged(NamedTuple):
    """A clock that counts for compliance: met or breached, judged at ``at``."""

    ticket: TicketFacts
    clock: Clock
    outcome: str  # met | breached
    at: int


def judge(clock: Clock) -> tuple[str, int] | None:
    """(met | breached, the instant it was judged), or None while it can still go either way.

    Met when it stopped within its target (judged when it stopped); breached once its due
    instant passed unmet (judged at the due instant) — running, paused, met late, or cancelled
    after the breach. A clock cancelled before its due instant does not count.
    """
    if clock.breached and clock.due_at is not None:
        return BREACHED, clock.due_at
    if clock.status == ACHIEVED and clock.stopped_at is not None:
        return MET, clock.stopped_at
    return None


QUARTER_HOUR = 15 * 60 * 1_000_000  # µs: every zone's offset is a whole number of them


def eventually(clock: Clock) -> tuple[str, int] | None:
    """(met | breached, instant) a stored clock row will be judged by if nothing more happens
    to it: a running or paused clock's breach at its due instant, counted ahead (what the
    store's kept counts hold; a day is read from them only once it is over)."""
    if clock.breached or clock.status in ("active", "paused"):
        return (BREACHED, clock.due_at) if clock.due_at is not None else None
    if clock.status == ACHIEVED and clock.stopped_at is not None:
        return MET, clock.stopped_at
    return None


def judged(
    tickets: Iterable[TicketFacts], start: int | None = None, end: int | None = None
) -> list[Judged]:
    """Every clock that counts, judged in ``[start, end)`` when given."""
    out: list[Judged] = []
    for t in tickets:
        for clock in t.clocks:
            verdict = judge(clock)
            if verdict is None:
                continue
            outcome, at = verdict
            if (start is None or at >= start) and (end is None or at < end):
                out.append(Judged(t, clock, outcome, at))
    return out


# -- grouping --------------------------------------------------------------------------------------


def period_of(instant: int, period: str, zone: ZoneInfo) -> str:
    """The period an instant falls in, in ``zone``: ``2026-10-05`` (day), ``2026-W41`` (ISO
    week, Monday first), ``2026-10`` (month), ``2026-Q4`` (quarter)."""
    local = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=instant)).astimezone(zone)
    if period == "day":
        return local.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return local.strftime("%Y-%m")
    if period == "quarter":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    raise ValueError(f"period {period!r}: use {', '.join(PERIODS)}")


def _value(item: Judged, dimension: str, period: str, zone: ZoneInfo) -> str | None:
    a = item.ticket.attrs
    if dimension == "metric":
        return item.clock.metric
    if dimension == "policy":
        return item.clock.policy
    if dimension == "period":
        return period_of(item.at, period, zone)
    if dimension in ("priority", "group", "assignee", "customer", "service", "channel"):
        value: str | None = getattr(a, dimension)
        return value
    raise ValueError(f"dimension {dimension!r}: use {', '.join(DIMENSIONS)}")


# -- compliance ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    key: tuple[str | None, ...]  # one value per dimension asked for
    met: int
    breached: int

    @property
    def judged(self) -> int:
        return self.met + self.breached

    @property
    def compliance(self) -> Fraction:
        """Share met, exact (0 when nothing was judged)."""
        return Fraction(self.met, self.judged) if self.judged else Fraction(0)

    @property
    def breach_rate(self) -> Fraction:
        return Fraction(self.breached, self.judged) if self.judged else Fraction(0)


def compliance(
    items: Iterable[Judged],
    by: Sequence[str] = ("metric",),
    period: str = "month",
    zone: ZoneInfo | None = None,
) -> list[ComplianceRow]:
    """Met and breached clocks grouped by ``by`` (dimensions of :data:`DIMENSIONS`), ordered by
    key (absent values, such as no group, first)."""
    zone = zone or ZoneInfo("UTC")
    counts: dict[tuple[str | None, ...], list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        key = tuple(_value(item, d, period, zone) for d in by)
        counts[key][0 if item.outcome == MET else 1] += 1
    return [
        ComplianceRow(key, met, breached)
        for key, (met, breached) in sorted(counts.items(), key=lambda kv: _sortable(kv[0]))
    ]


def _sortable(key: tuple[str | None, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((v is not None, v or "") for v in key)


# -- times -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Seconds: count, mean, median and p90 (nearest rank), in business and in calendar time."""

    key: tuple[str | None, ...]
    count: int
    business: tuple[float, float, float]  # mean, median, p90
    calendar: tuple[float, float, float]


def summarise(values: Sequence[int]) -> tuple[float, float, float]:
    """(mean, median, p90) of µs values, in seconds; p90 is the nearest-rank percentile."""
    if not values:
        return (math.nan, math.nan, math.nan)
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    median = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    p90 = ordered[math.ceil(0.9 * n) - 1]
    return (sum(ordered) / n / _US, median / _US, p90 / _US)


def durations(
    tickets: Iterable[TicketFacts],
    metric: str,
    by: Sequence[str] = (),
    period: str = "month",
    zone: ZoneInfo | None = None,
    start: int | None = None,
    end: int | None = None,
) -> list[Summary]:
    """How long ``metric`` (first_response or resolution) took where it was reached: every
    achieved cycle stopped in ``[start, end)``, in business time (the clock's elapsed time) and
    in calendar time (stop − start)."""
    if metric not in (FIRST_RESPONSE, RESOLUTION):
        raise ValueError(f"times are reported for {FIRST_RESPONSE} and {RESOLUTION}")
    zone = zone or ZoneInfo("UTC")
    groups: dict[tuple[str | None, ...], tuple[list[int], list[int]]] = defaultdict(
        lambda: ([], [])
    )
    for t in tickets:
        for c in t.clocks:
            if c.metric != metric or c.status != ACHIEVED or c.stopped_at is None:
                continue
            if (start is not None and c.stopped_at < start) or (
                end is not None and c.stopped_at >= end
            ):
                continue
            item = Judged(t, c, MET, c.stopped_at)
            key = tuple(_value(item, d, period, zone) for d in by)
            groups[key][0].append(c.elapsed)
            groups[key][1].append(c.stopped_at - c.started_at)
    return [
        Summary(key, len(b), summarise(b), summarise(cal))
        for key, (b, cal) in sorted(groups.items(), key=lambda kv: _sortable(kv[0]))
    ]


# -- first contact ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FirstContact:
    key: tuple[str | None, ...]
    solved: int  # tickets first solved in the window
    one_touch: int  # of those, solved after exactly one reply and never reopened
    reopened: int  # of those, reopened at least once

    @property
    def fcr(self) -> Fraction:
        return Fraction(self.one_touch, self.solved) if self.solved else Fraction(0)

    @property
    def reopen_rate(self) -> Fraction:
        return Fraction(self.reopened, self.solved) if self.solved else Fraction(0)


def first_contact(
    tickets: Iterable[TicketFacts],
    by: Sequence[str] = (),
    start: int | None = None,
    end: int | None = None,
) -> list[FirstContact]:
    """First contact resolution and reopen rate of the tickets first solved in ``[start, end)``.
    ``by`` takes ticket dimensions (priority, group, assignee, customer, service, channel)."""
    groups: dict[tuple[str | None, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for t in tickets:
        if t.solved_at is None:
            continue
        if (start is not None and t.solved_at < start) or (end is not None and t.solved_at >= end):
            continue
        key = tuple(_attribute(t, d) for d in by)
        row = groups[key]
        row[0] += 1
        row[1] += t.replies == 1 and t.reopens == 0
        row[2] += t.reopens > 0
    return [
        FirstContact(key, *row)
        for key, row in sorted(groups.items(), key=lambda kv: _sortable(kv[0]))
    ]


def _attribute(t: TicketFacts, dimension: str) -> str | None:
    if dimension not in ("priority", "group", "assignee", "customer", "service", "channel"):
        raise ValueError(f"{dimension!r} is not a ticket dimension")
    value: str | None = getattr(t.attrs, dimension)
    return value


# -- satisfaction ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Satisfaction:
    group: str  # met | breached
    ratings: int
    average: Fraction | None
    distribution: dict[int, int]  # score -> tickets


def satisfaction(
    tickets: Iterable[TicketFacts], start: int | None = None, end: int | None = None
) -> list[Satisfaction]:
    """The last rating of every ticket rated in ``[start, end)``, for tickets whose judged clocks
    were all met against tickets with a breached one (tickets with no judged clock are left
    out: they say nothing about the SLA)."""
    scores: dict[str, list[int]] = {MET: [], BREACHED: []}
    for t in tickets:
        if t.csat is None:
            continue
        at, score = t.csat
        if (start is not None and at < start) or (end is not None and at >= end):
            continue
        verdicts = [v[0] for v in (judge(c) for c in t.clocks) if v is not None]
        if not verdicts:
            continue
        scores[BREACHED if BREACHED in verdicts else MET].append(score)
    return [
        Satisfaction(
            group,
            len(values),
            Fraction(sum(values), len(values)) if values else None,
            dict(sorted(Counter(values).items())),
        )
        for group, values in scores.items()
    ]


# -- breaches by hour of week ----------------------------------------------------------------------


def breaches_by_hour(items: Iterable[Judged], zone: ZoneInfo | None = None) -> list[list[int]]:
    """Breaches by weekday (Monday first) and hour of their due instant in ``zone``: 7 × 24."""
    zone = zone or ZoneInfo("UTC")
    grid = [[0] * 24 for _ in range(7)]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for item in items:
        if item.outcome != BREACHED:
            continue
        local = (epoch + timedelta(microseconds=item.at)).astimezone(zone)
        grid[local.weekday()][local.hour] += 1
    return grid
