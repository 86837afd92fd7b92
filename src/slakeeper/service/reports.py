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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from slakeeper.domain.clocks import Clock
from slakeeper.domain.policy import Attributes
from slakeeper.domain.reports import (
    BREACHED,
    MET,
    ComplianceRow,
    FirstContact,
    Satisfaction,
    Summary,
    TicketFacts,
    period_of,
    summarise,
)
from slakeeper.domain.review import (
    ScopeReview,
    earlier,
    example_tickets,
    review,
    window,
    with_timelines,
)
from slakeeper.service.configuration import ConfigCache, require_config
from slakeeper.service.derive import stored_event
from slakeeper.service.ports import UnitOfWork
from slakeeper.service.queries import bring_forward

Key = tuple[str | None, ...]
V = TypeVar("V")
SLICE = 15 * 60 * 1_000_000  # µs: a quarter hour
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


def compliance_report(uow: UnitOfWork, q: ReportQuery) -> list[ComplianceRow]:
    """Met and breached clocks grouped as :func:`slakeeper.domain.reports.compliance` groups them."""
    store_dims = [d for d in q.by if d != "period"]
    periods = "period" in q.by
    with uow.read() as store:
        rows = store.judged_counts(
            store_dims, q.now, q.start, q.end, q.customer, SLICE if periods else None, q.where
        )
    local = _period_namer(q.zone, q.period)
    counts: dict[tuple[str | None, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        *values, slice_, outcome, count = row
        named = dict(zip(store_dims, values, strict=True))
        if periods:
            named["period"] = local(int(slice_))
        key = tuple(named[d] for d in q.by)
        counts[key][0 if outcome == "met" else 1] += int(count)
    return [ComplianceRow(key, met, breached) for key, (met, breached) in _ordered(counts)]


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
        key = _key(q.by, store_dims, values, local(int(slice_)) if periods else None)
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
        rows = store.judged_counts([], q.now, q.start, q.end, q.customer, SLICE, q.where)
    grid = [[0] * 24 for _ in range(7)]
    for slice_, outcome, count in rows:
        if outcome == "breached":
            day, hour = _hour_of_week(q.zone, int(slice_))
            grid[day][hour] += int(count)
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
    @cache
    def name(slice_: int) -> str:
        return period_of(slice_ * SLICE, period, zone)

    return name


@lru_cache(maxsize=100_000)
def _hour_of_week(zone: ZoneInfo, slice_: int) -> tuple[int, int]:
    local = (EPOCH + timedelta(microseconds=slice_ * SLICE)).astimezone(zone)
    return local.weekday(), local.hour


def review_report(
    uow: UnitOfWork,
    cache: ConfigCache,
    label: str,
    zone: ZoneInfo,
    objective: Fraction,
    now: int,
    customer: str | None = None,
) -> list[ScopeReview]:
    """The periodic review (:func:`slakeeper.domain.review.review`) from the stored clocks judged
    in the period and the three before it; a customer sees its own scope only."""
    w = window(label, zone)
    first = earlier(w, zone, 3)[0]
    with uow.read() as store:
        current = require_config(cache, store)
        rows, tickets = store.judged_between(first.start, w.end, now, customer)
    by_ticket: dict[str, list[Clock]] = defaultdict(list)
    for row in rows:
        by_ticket[row.clock.ticket].append(bring_forward(row, current.config, now))
    facts = [
        TicketFacts(
            t.id,
            Attributes(
                priority=t.priority or "normal",
                channel=t.channel,
                customer=t.customer,
                service=t.service,
                group=t.group,
                assignee=t.assignee,
            ),
            t.created_at or 0,
            t.solved_at,
            t.replies,
            t.reopens,
            (t.csat_at, t.csat_score)
            if t.csat_at is not None and t.csat_score is not None
            else None,
            tuple(by_ticket[t.id]),
        )
        for t in tickets
    ]
    scopes = [
        s
        for s in review(facts, label, zone, objective, now)
        if customer is None or s.scope == customer
    ]
    with uow.read() as store:
        found = store.histories(sorted(example_tickets(scopes)))
    events = {
        ticket: [e for e in (stored_event(row) for row in rows) if e.at <= now]
        for ticket, rows in found.items()
    }
    return with_timelines(scopes, events)
