"""Reports from the store: the numbers of :mod:`slakeeper.domain.reports`, counted by the
database (the judged clocks and the tickets are never loaded one by one). Times are the one
exception: a median and a percentile need the values, so the store lists the achieved cycles'
durations (a few numbers each) and they are summarised here.

Periods and hours of the week are local to a time zone, which SQLite cannot convert; so the
store counts by 15-minute slice of UTC time — every zone's offset is a whole number of quarter
hours — and each slice is placed in its local period here. Exact, and the same on both stores.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import cache, lru_cache
from itertools import pairwise
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from slakeeper.domain.periods import Window, earlier, window
from slakeeper.domain.reports import (
    BREACHED,
    MET,
    QUARTER_HOUR,
    ComplianceRow,
    FirstContact,
    Satisfaction,
    Summary,
    period_of,
    summarise,
)
from slakeeper.domain.review import (
    OVERALL,
    Example,
    ScopeCounts,
    ScopeReview,
    example_tickets,
    scope_review,
    with_timelines,
)
from slakeeper.service.derive import stored_event
from slakeeper.service.ports import Store, UnitOfWork

Key = tuple[str | None, ...]
V = TypeVar("V")
SLICE = QUARTER_HOUR  # µs: the store counts by quarter hour
DAY = 86_400 * 1_000_000  # µs: a day of the kept daily counts (UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    by: Sequence[str]
    period: str
    zone: ZoneInfo
    start: int | None
    end: int | None
    now: int
    customer: str | None = None  # a customer-scoped caller sees its own tickets only
    where: tuple[tuple[str, str], ...] = ()  # keep clocks whose dimension has this value


def fold_kept_counts(uow: UnitOfWork, limit: int = 50_000) -> int:
    """Fold the pending changes of the kept counts into them (the worker does it as it goes;
    readers add what is pending, so this only keeps their reads short); the number folded."""
    folded = 0
    while True:
        with uow() as store:
            done = store.fold_counts(limit)
        folded += done
        if done < limit:
            return folded


def compliance_report(uow: UnitOfWork, q: ReportQuery) -> list[ComplianceRow]:
    """Met and breached clocks grouped as :func:`slakeeper.domain.reports.compliance` groups them."""
    store_dims = [d for d in q.by if d != "period"]
    periods = "period" in q.by
    local = _period_namer(q.zone, q.period)
    with uow.read() as store:
        rows = _judged_counts(store, q, store_dims, local if periods else None)
    counts: dict[tuple[str | None, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        *values, at, outcome, count = row
        named = dict(zip(store_dims, values, strict=True))
        if periods:
            named["period"] = local(at)
        key = tuple(named[d] for d in q.by)
        counts[key][0 if outcome == "met" else 1] += int(count)
    return [ComplianceRow(key, met, breached) for key, (met, breached) in _ordered(counts)]


def _judged_counts(
    store: Store, q: ReportQuery, dims: Sequence[str], local: Callable[[int], str] | None
) -> list[tuple[Any, ...]]:
    """Judged clocks counted by ``dims``, by outcome and (given ``local``, the period namer) by an
    instant within one local period: rows of (*values, instant, outcome, count).

    Read from the kept daily counts where they hold ``dims``: a UTC day that lies whole within
    the window, before now and within one local period is taken as kept. A day cut by the
    window's ends, by now or by the start of a local period is split at those instants; every
    piece but the longest is counted from the clocks (as the kept counts count them), and the
    longest is the day's kept count less the others — so a Berlin week, which starts at 23:00
    UTC on a Sunday, costs one hour of clocks, and today costs its hours still to come.
    """
    bucket = SLICE if local else None

    def from_clocks(start: int | None, end: int | None, now: int | None) -> list[tuple[Any, ...]]:
        found = store.judged_counts(dims, now, start, end, q.customer, bucket, q.where)
        return [(*values, s * SLICE, outcome, n) for *values, s, outcome, n in found]

    def wanted(start: int, end: int) -> bool:
        return (
            (q.start is None or q.start <= start)
            and (q.end is None or end <= q.end)
            and end <= q.now
        )

    upto = q.now if q.end is None else min(q.now, q.end)
    first = None if q.start is None else q.start // DAY
    daily = store.judged_day_counts(dims, first, upto // DAY + 1, q.customer, q.where)
    if daily is None:  # dimensions the kept counts do not hold together
        return from_clocks(q.start, q.end, q.now)
    days: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for *values, day, outcome, n in daily:
        days[day].append((tuple(values), outcome, int(n)))
    rows: list[tuple[Any, ...]] = []
    for day, kept in days.items():
        lo, hi = day * DAY, (day + 1) * DAY
        cuts = {c for c in (q.start, q.end, q.now) if c is not None and lo < c < hi}
        if local and local(lo) != local(hi - SLICE):
            cuts.update(_period_starts(local, lo, hi))
        pieces = list(pairwise([lo, *sorted(cuts), hi]))
        longest = max(pieces, key=lambda p: p[1] - p[0])
        counted: Counter[tuple[Any, ...]] = Counter()
        for start, end in pieces:
            if (start, end) == longest:
                continue
            for *values, at, outcome, n in from_clocks(start, end, None):
                counted[(tuple(values), outcome)] += n
                if wanted(start, end):
                    rows.append((*values, at, outcome, n))
        if wanted(*longest):
            for values, outcome, n in kept:
                rest = n - counted[(values, outcome)]
                if rest:
                    rows.append((*values, longest[0], outcome, rest))
    return rows


def _period_starts(local: Callable[[int], str], lo: int, hi: int) -> list[int]:
    """The instants in ``(lo, hi)`` where a local period starts (at a quarter hour: every zone's
    offset is a whole number of them), by bisection."""
    found: list[int] = []
    at = lo
    while local(at) != local(hi - SLICE):
        left, right = at // SLICE, hi // SLICE - 1  # a period other than at's starts by right
        while right - left > 1:
            middle = (left + right) // 2
            if local(middle * SLICE) == local(at):
                left = middle
            else:
                right = middle
        at = right * SLICE
        found.append(at)
    return found


def times_report(uow: UnitOfWork, q: ReportQuery, metric: str) -> list[Summary]:
    """First response or resolution times as :func:`slakeeper.domain.reports.durations` gives
    them: the store lists the achieved cycles stopped in the window (their grouping values,
    slice, business and calendar µs) and each group is summarised here."""
    store_dims = [d for d in q.by if d != "period"]
    periods = "period" in q.by
    with uow.read() as store:
        rows = store.achieved_durations(
            metric, store_dims, q.start, q.end, q.customer, SLICE if periods else None
        )
    local = _period_namer(q.zone, q.period)
    groups: dict[tuple[str | None, ...], tuple[list[int], list[int]]] = defaultdict(
        lambda: ([], [])
    )
    for row in rows:
        *values, slice_, business, calendar = row
        key = _key(q.by, store_dims, values, local(int(slice_) * SLICE) if periods else None)
        groups[key][0].append(int(business))
        groups[key][1].append(int(calendar))
    return [
        Summary(key, len(business), summarise(business), summarise(calendar))
        for key, (business, calendar) in _ordered(groups)
    ]


def first_contact_report(uow: UnitOfWork, q: ReportQuery) -> list[FirstContact]:
    """First contact resolution and reopens of the tickets first solved in the window, grouped by
    ticket dimensions as :func:`slakeeper.domain.reports.first_contact` groups them."""
    with uow.read() as store:
        rows = store.first_contact_counts(q.by, q.start, q.end, q.customer)
    counts: dict[tuple[str | None, ...], tuple[int, int, int]] = {}
    for row in rows:
        *values, solved, one_touch, reopened = row
        if solved:  # no GROUP BY counts an empty window as one row of nothing
            counts[tuple(values)] = (int(solved), int(one_touch or 0), int(reopened or 0))
    return [FirstContact(key, *row) for key, row in _ordered(counts)]


def satisfaction_report(uow: UnitOfWork, q: ReportQuery) -> list[Satisfaction]:
    """The last ratings given in the window, of tickets whose judged clocks were all met against
    tickets with a breached one, as :func:`slakeeper.domain.reports.satisfaction` gives them."""
    with uow.read() as store:
        rows = store.satisfaction_counts(q.now, q.start, q.end, q.customer)
    scores: dict[str, Counter[int]] = {MET: Counter(), BREACHED: Counter()}
    for group, score, count in rows:
        scores[group][score] += count
    out = []
    for group, counted in scores.items():
        ratings = counted.total()
        total = sum(score * n for score, n in counted.items())
        out.append(
            Satisfaction(
                group,
                ratings,
                Fraction(total, ratings) if ratings else None,
                dict(sorted(counted.items())),
            )
        )
    return out


def breaches_by_hour_report(uow: UnitOfWork, q: ReportQuery) -> list[list[int]]:
    """Breaches by local weekday and hour of their due instant: 7 × 24."""
    with uow.read() as store:
        rows: list[tuple[str | None, int, int]]
        if q.where:  # values the kept quarter hours do not hold: count the clocks
            found = store.judged_counts([], q.now, q.start, q.end, q.customer, SLICE, q.where)
            rows = [(None, int(s), int(n)) for s, outcome, n in found if outcome == BREACHED]
        else:
            rows = _breach_slices(store, q.start, q.end, q.now, q.customer)
    return _hour_grid(rows, q.zone)


def _breach_slices(
    store: Store, start: int | None, end: int | None, now: int, customer: str | None
) -> list[tuple[str | None, int, int]]:
    """Breaches by customer and UTC quarter hour of their due instant in ``[start, end)``: rows
    of (customer, slice, count) — quarter hours that are over from the kept counts, the window's
    ragged ends and the quarter hour under way from the clocks."""
    first = None if start is None else -(-start // SLICE)
    last = now // SLICE if end is None else min(now // SLICE, end // SLICE)
    if first is None:
        first = 0  # the kept counts begin at the epoch
    pieces: list[tuple[int | None, int | None]] = [(start, end)]
    rows: list[tuple[str | None, int, int]] = []
    if first < last:
        rows = store.breach_slice_counts(first, last, customer)
        pieces = [(start, first * SLICE), (last * SLICE, end)]
    for a, b in pieces:
        if a is not None and b is not None and a >= b:
            continue
        found = store.judged_counts(["customer"], now, a, b, customer, SLICE, ())
        rows.extend((c, int(s), int(n)) for c, s, outcome, n in found if outcome == BREACHED)
    return rows


def _hour_grid(rows: Iterable[tuple[str | None, int, int]], zone: ZoneInfo) -> list[list[int]]:
    """Rows of (customer, slice, breaches) by local weekday and hour: 7 × 24."""
    grid = [[0] * 24 for _ in range(7)]
    for _, slice_, n in rows:
        day, hour = _hour_of_week(zone, slice_)
        grid[day][hour] += n
    return grid


def _key(
    by: Sequence[str], store_dims: Sequence[str], values: Sequence[Any], period: str | None
) -> Key:
    named: dict[str, str | None] = dict(zip(store_dims, values, strict=True))
    named["period"] = period
    return tuple(named[d] for d in by)


def _ordered(groups: dict[Key, V]) -> list[tuple[Key, V]]:
    """Groups in key order, an absent value (no group) first, as the domain orders them."""
    return sorted(groups.items(), key=lambda kv: tuple((v is not None, v or "") for v in kv[0]))


def _period_namer(zone: ZoneInfo, period: str) -> Callable[[int], str]:
    """The local period's name of an instant (µs)."""

    @cache
    def name(at: int) -> str:
        return period_of(at, period, zone)

    return name


@lru_cache(maxsize=100_000)
def _hour_of_week(zone: ZoneInfo, slice_: int) -> tuple[int, int]:
    local = (EPOCH + timedelta(microseconds=slice_ * SLICE)).astimezone(zone)
    return local.weekday(), local.hour


def review_report(
    uow: UnitOfWork,
    label: str,
    zone: ZoneInfo,
    objective: Fraction,
    now: int,
    customer: str | None = None,
    examples: int = 5,
) -> list[ScopeReview]:
    """The periodic review (:func:`slakeeper.domain.review.review`) of the stored clocks, overall
    and per customer (a customer sees its own scope only): counted by the store — the period and
    the three before it by customer, metric, policy and group, the breaches by hour — with the
    latest breaches of each scope read as examples, with their tickets' timelines."""
    w = window(label, zone)
    before = earlier(w, zone, 3)
    kind = "quarter" if "Q" in label else "month"
    local = _period_namer(zone, kind)
    dims = ["customer", "metric", "policy", "group"]
    q = ReportQuery(dims, kind, zone, before[0].start, w.end, now, customer)
    with uow.read() as store:
        counted = _judged_counts(store, q, dims, local)
        hourly = _breach_slices(store, w.start, w.end, now, customer)
        scopes = sorted({row[0] for row in counted if row[0] is not None})
        if customer is None:
            scopes.insert(0, OVERALL)
        latest = {
            scope: store.latest_breaches(
                w.start, w.end, now, None if scope == OVERALL else scope, examples
            )
            for scope in scopes
        }
    out = []
    for scope in scopes:
        mine = [r for r in counted if scope == OVERALL or r[0] == scope]
        out.append(
            scope_review(
                scope,
                _scope_counts(
                    mine,
                    [r for r in hourly if scope == OVERALL or r[0] == scope],
                    [
                        Example(
                            row.clock.ticket,
                            row.clock.metric,
                            row.clock.cycle,
                            row.clock.policy,
                            row.clock.due_at or 0,
                            row.clock.status,
                            late,
                        )
                        for row, late in latest[scope]
                    ],
                    w,
                    before,
                    local,
                    zone,
                ),
                objective,
                examples,
            )
        )
    with uow.read() as store:
        found = store.histories(sorted(example_tickets(out)))
    events = {
        ticket: [e for e in (stored_event(row) for row in rows) if e.at <= now]
        for ticket, rows in found.items()
    }
    return with_timelines(out, events)


def _scope_counts(
    counted: Sequence[tuple[Any, ...]],
    hourly: Sequence[tuple[str | None, int, int]],
    breaches: list[Example],
    w: Window,
    before: Sequence[Window],
    local: Callable[[int], str],
    zone: ZoneInfo,
) -> ScopeCounts:
    """One scope's counts from rows of (customer, metric, policy, group, instant, outcome, n)
    and of (customer, slice, breaches)."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    metrics: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    policies: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    groups: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for _, metric, policy, group, at, outcome, n in counted:
        side = 0 if outcome == MET else 1
        period = local(at)
        totals[period][side] += int(n)
        if period == w.label:
            metrics[(metric,)][side] += int(n)
            policies[(policy,)][side] += int(n)
            groups[(group,)][side] += int(n)

    def rows(counts: dict[Key, list[int]]) -> list[ComplianceRow]:
        return [ComplianceRow(key, met, breached) for key, (met, breached) in _ordered(counts)]

    return ScopeCounts(
        rows(metrics),
        [(p.label, ComplianceRow((), *totals[p.label])) for p in [*before, w]],
        rows(policies),
        rows(groups),
        _hour_grid(hourly, zone),
        breaches,
    )
