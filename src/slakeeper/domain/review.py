"""The periodic review: one month or quarter, per customer and overall (docs/metrics.md).

For each scope: compliance against the objective, the trend over the periods before, the worst
policies and groups, the hours that breach most, and example breaches. Built from the same
:class:`~slakeeper.domain.reports.TicketFacts` and judged clocks as every other report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from zoneinfo import ZoneInfo

from slakeeper.domain.clocks import Clock
from slakeeper.domain.events import COMMENT, CREATED, CSAT, Event
from slakeeper.domain.periods import Window, earlier, window
from slakeeper.domain.policy import METRICS
from slakeeper.domain.reports import (
    BREACHED,
    WEEKDAY_NAMES,
    ComplianceRow,
    TicketFacts,
    breaches_by_hour,
    compliance,
    judged,
)

OVERALL = "overall"


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


@dataclass(frozen=True, slots=True)
class ScopeCounts:
    """What one scope's review is made of, counted: from judged clocks here, or by a store."""

    by_metric: list[ComplianceRow]  # in the period
    trend: list[tuple[str, ComplianceRow]]  # totals of the earlier periods, then this one
    policies: list[ComplianceRow]  # by policy, in the period
    groups: list[ComplianceRow]  # by group, in the period
    hours: list[list[int]]  # breaches by weekday and hour: 7 × 24
    breaches: list[Example]  # the latest breaches first, at least as many as the review shows


def scope_review(
    name: str, counts: ScopeCounts, objective: Fraction, examples: int = 5
) -> ScopeReview:
    """The review of one scope from its counts."""
    hours = sorted(
        (
            (WEEKDAY_NAMES[d], h, n)
            for d, row in enumerate(counts.hours)
            for h, n in enumerate(row)
            if n
        ),
        key=lambda x: (-x[2], WEEKDAY_NAMES.index(x[0]), x[1]),
    )[:5]
    return ScopeReview(
        name,
        _total(counts.by_metric),
        objective,
        counts.by_metric,
        counts.trend,
        _worst(counts.policies),
        _worst(counts.groups),
        hours,
        worst_first(counts.breaches)[:examples],
    )


def worst_first(breaches: Sequence[Example]) -> list[Example]:
    """Breaches by how late they are (the latest first), then by ticket, metric and cycle."""
    return sorted(breaches, key=lambda e: (-e.late_by, e.ticket, METRICS.index(e.metric), e.cycle))


def _worst(rows: Sequence[ComplianceRow], count: int = 3) -> list[ComplianceRow]:
    breaching = [r for r in rows if r.breached]
    return sorted(breaching, key=lambda r: (r.compliance, -r.breached, r.key))[:count]


def _total(rows: Sequence[ComplianceRow]) -> ComplianceRow:
    return ComplianceRow((), sum(r.met for r in rows), sum(r.breached for r in rows))


def _counts(
    tickets: list[TicketFacts], w: Window, before: list[Window], zone: ZoneInfo, now: int
) -> ScopeCounts:
    items = judged(tickets, w.start, w.end)
    by_metric = compliance(items, ["metric"], "month", zone)
    trend = [(p.label, _total(compliance(judged(tickets, p.start, p.end)))) for p in before]
    trend.append((w.label, _total(by_metric)))
    return ScopeCounts(
        by_metric,
        trend,
        compliance(items, ["policy"], "month", zone),
        compliance(items, ["group"], "month", zone),
        breaches_by_hour(items, zone),
        [
            Example(
                i.ticket.ticket,
                i.clock.metric,
                i.clock.cycle,
                i.clock.policy,
                i.at,
                i.clock.status,
                late_by(i.clock, now),
            )
            for i in items
            if i.outcome == BREACHED
        ],
    )


def late_by(clock: Clock, now: int) -> int:
    """How late a breached clock is: until it stopped, or until ``now`` while it runs."""
    assert clock.due_at is not None
    end = clock.stopped_at if clock.stopped_at is not None else now
    return max(0, end - clock.due_at)


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
    out = [scope_review(OVERALL, _counts(everyone, w, before, zone, now), objective, examples)]
    customers = sorted({t.attrs.customer for t in everyone if t.attrs.customer is not None})
    for customer in customers:
        mine = [t for t in everyone if t.attrs.customer == customer]
        counts = _counts(mine, w, before, zone, now)
        out.append(scope_review(customer, counts, objective, examples))
    return out
