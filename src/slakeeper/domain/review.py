"""The periodic review: one month or quarter, per customer and overall (docs/metrics.md).

For each scope: compliance against the objective, the trend over the periods before, the worst
policies and groups, the hours that breach most, and example breaches. Built from the same
:class:`~slakeeper.domain.reports.TicketFacts` and judged clocks as every other report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from slakeeper.domain.events import COMMENT, CREATED, CSAT, Event
from slakeeper.domain.reports import (
    BREACHED,
    WEEKDAY_NAMES,
    ComplianceRow,
    Judged,
    TicketFacts,
    breaches_by_hour,
    compliance,
    judged,
)

_US = 1_000_000
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class Window:
    label: str  # "2026-10" or "2026-Q4"
    start: int  # µs, the period's first instant in its zone
    end: int  # µs, the next period's first instant


def _instant(year: int, month: int, zone: ZoneInfo) -> int:
    moment = datetime(year, month, 1, tzinfo=zone)
    return int(moment.timestamp()) * _US


def window(label: str, zone: ZoneInfo) -> Window:
    """The month (``2026-10``) or quarter (``2026-Q4``) ``label`` in ``zone``."""
    month = _MONTH.match(label)
    quarter = _QUARTER.match(label)
    if month and 1 <= int(month.group(2)) <= 12:
        year, first, length = int(month.group(1)), int(month.group(2)), 1
    elif quarter:
        year, first, length = int(quarter.group(1)), 3 * int(quarter.group(2)) - 2, 3
    else:
        raise ValueError(f"period {label!r}: write a month (2026-10) or a quarter (2026-Q4)")
    end_year, end_month = divmod(first - 1 + length, 12)
    return Window(
        label, _instant(year, first, zone), _instant(year + end_year, end_month + 1, zone)
    )


def earlier(w: Window, zone: ZoneInfo, count: int) -> list[Window]:
    """The ``count`` periods of the same kind before ``w``, oldest first."""
    out: list[Window] = []
    label = w.label
    for _ in range(count):
        if "Q" in label:
            year, q = int(label[:4]), int(label[-1])
            label = f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"
        else:
            year, month = int(label[:4]), int(label[5:])
            label = f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
        out.append(window(label, zone))
    return out[::-1]


@dataclass(frozen=True, slots=True)
class Example:
    ticket: str
    metric: str
    cycle: int
    policy: str
    due_at: int
    status: str
    late_by: int  # µs past due: until it was met, or until the review's instant
    timeline: tuple[tuple[int, str], ...] = ()  # (instant, what happened): the ticket's events


def describe(event: Event) -> str:
    """One line for an event of a timeline."""
    if event.type == COMMENT:
        return f"{'public' if event.public else 'internal'} comment by {event.author}"
    if event.type == CSAT:
        return f"rated {event.score}"
    changes = ", ".join(
        f"{k} {' '.join(sorted(v)) if isinstance(v, frozenset) else v}"
        for k, v in sorted(event.changes)
    )
    verb = "created" if event.type == CREATED else "updated"
    return f"{verb}: {changes}" if changes else verb


def example_tickets(scopes: Sequence[ScopeReview]) -> set[str]:
    return {e.ticket for s in scopes for e in s.examples}


def with_timelines(
    scopes: Sequence[ScopeReview], histories: Mapping[str, Sequence[Event]]
) -> list[ScopeReview]:
    """The review with each example breach's timeline: its ticket's events, in order."""
    return [
        replace(
            s,
            examples=[
                replace(e, timeline=tuple((x.at, describe(x)) for x in histories.get(e.ticket, ())))
                for e in s.examples
            ],
        )
        for s in scopes
    ]


@dataclass(frozen=True, slots=True)
class ScopeReview:
    scope: str  # "overall" or a customer
    total: ComplianceRow
    objective: Fraction
    by_metric: list[ComplianceRow]
    trend: list[tuple[str, ComplianceRow]]  # the earlier periods, then this one
    worst_policies: list[ComplianceRow]
    worst_groups: list[ComplianceRow]
    hours: list[tuple[str, int, int]]  # (weekday, hour, breaches), most first
    examples: list[Example]

    @property
    def meets_objective(self) -> bool:
        return self.total.judged > 0 and self.total.compliance >= self.objective


def _worst(items: Sequence[Judged], by: str, zone: ZoneInfo, count: int) -> list[ComplianceRow]:
    rows = [r for r in compliance(items, [by], "month", zone) if r.breached]
    return sorted(rows, key=lambda r: (r.compliance, -r.breached, r.key))[:count]


def _total(items: Sequence[Judged]) -> ComplianceRow:
    met = sum(1 for i in items if i.outcome != BREACHED)
    return ComplianceRow((), met, len(items) - met)


def _scope(
    name: str,
    tickets: list[TicketFacts],
    w: Window,
    before: list[Window],
    zone: ZoneInfo,
    objective: Fraction,
    now: int,
    examples: int,
) -> ScopeReview:
    items = judged(tickets, w.start, w.end)
    trend = [(p.label, _total(judged(tickets, p.start, p.end))) for p in before]
    trend.append((w.label, _total(items)))
    grid = breaches_by_hour(items, zone)
    hours = sorted(
        ((WEEKDAY_NAMES[d], h, n) for d, row in enumerate(grid) for h, n in enumerate(row) if n),
        key=lambda x: (-x[2], WEEKDAY_NAMES.index(x[0]), x[1]),
    )[:5]
    breaches = [i for i in items if i.outcome == BREACHED]
    breaches.sort(key=lambda i: -_late_by(i, now))
    return ScopeReview(
        name,
        _total(items),
        objective,
        compliance(items, ["metric"], "month", zone),
        trend,
        _worst(items, "policy", zone, 3),
        _worst(items, "group", zone, 3),
        hours,
        [
            Example(
                i.ticket.ticket,
                i.clock.metric,
                i.clock.cycle,
                i.clock.policy,
                i.at,
                i.clock.status,
                _late_by(i, now),
            )
            for i in breaches[:examples]
        ],
    )


def _late_by(item: Judged, now: int) -> int:
    end = item.clock.stopped_at if item.clock.stopped_at is not None else now
    return max(0, end - item.at)


def review(
    tickets: Sequence[TicketFacts],
    label: str,
    zone: ZoneInfo,
    objective: Fraction,
    now: int,
    trend: int = 3,
    examples: int = 5,
) -> list[ScopeReview]:
    """The review of period ``label`` overall, then per customer (by name), as of ``now``."""
    w = window(label, zone)
    before = earlier(w, zone, trend)
    everyone = list(tickets)
    out = [_scope(OVERALL, everyone, w, before, zone, objective, now, examples)]
    customers = sorted({t.attrs.customer for t in everyone if t.attrs.customer is not None})
    for customer in customers:
        mine = [t for t in everyone if t.attrs.customer == customer]
        out.append(_scope(customer, mine, w, before, zone, objective, now, examples))
    return out
