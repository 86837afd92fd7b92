"""What-if and target advice over a ticket history: the events read and checked once, then judged
under one configuration or two.

- :func:`whatif` — the compliance a proposed configuration would have had on real history, by
  metric and priority and by policy, beside a baseline configuration's on the same history;
- :func:`targets` — per metric, priority and policy, how long clocks took and the target met
  with a chosen probability (:mod:`slakeeper.domain.targets`);
- :func:`stored_whatif` and :func:`stored_targets` — the same over the events in the store.

The numbers are the reports' (docs/metrics.md): a clock counts once judged (met when it stopped
within target, breached at its due instant), in a window by the instant it was judged, grouped
by the ticket's priority as of the evaluation instant — so a what-if of the current configuration
is exactly ``slakeeper report compliance --by metric,priority``.

**Once.** Every event is decoded and validated once; a ticket's history is replayed once per
distinct pair of the replay switches (``system_replies_count``, ``resolution_on_reopen``) — once
when both configurations agree on them, as they usually do — and its state is judged under each
configuration: the state holds nothing that depends on policies.

**In parts.** The history may be split into ``shards`` by ticket, each part read, checked and
judged by its own job (:mod:`slakeeper.service.history_parts`); bad input is reported exactly as
``slakeeper evaluate`` reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import orjson

from slakeeper.domain.clocks import clocks, end_attributes, evaluate_cycle
from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.policy import METRICS
from slakeeper.domain.reports import MET, ComplianceRow, judge
from slakeeper.domain.targets import PRIORITY_ORDER, Advice, History
from slakeeper.domain.ticket import TicketState
from slakeeper.service.configuration import ConfigCache, require_config, with_kept_customers
from slakeeper.service.evaluate import Record
from slakeeper.service.history_parts import (
    Fold,
    Part,
    Runner,
    Source,
    distinct_rules,
    run,
    serial,
)
from slakeeper.service.ports import Store, UnitOfWork

# -- what-if ---------------------------------------------------------------------------------------

Counts = dict[tuple[str, str, str, bool], int]  # (metric, priority, policy, met) -> clocks


@dataclass(frozen=True, slots=True)
class Compared:
    """One row: the proposed configuration's judged clocks beside the baseline's."""

    key: tuple[str, str]  # (metric, priority) or (policy, metric)
    proposed: ComplianceRow
    baseline: ComplianceRow | None  # None: no baseline was given

    @property
    def change(self) -> Fraction | None:
        """Proposed compliance less the baseline's (None when either judged nothing)."""
        b = self.baseline
        if b is None or not b.judged or not self.proposed.judged:
            return None
        return self.proposed.compliance - b.compliance


@dataclass(frozen=True, slots=True)
class WhatIf:
    now: int | None  # the evaluation instant (None: no events)
    start: int | None
    end: int | None
    events: int
    duplicates: int
    tickets: int
    by_metric_priority: list[Compared]
    by_policy: list[Compared]
    baseline: bool


class _Compliance:
    """Judged clocks per configuration, counted by (metric, priority, policy, met?)."""

    def __init__(
        self,
        configs: Sequence[SlaConfig],
        rules: Sequence[int],
        now: int,
        start: int | None,
        end: int | None,
        customer: str | None,
    ) -> None:
        self.configs, self.rules, self.now = configs, rules, now
        self.start, self.end, self.customer = start, end, customer
        self.counts: list[Counts] = [{} for _ in configs]

    def visit(self, state: TicketState, rules: int) -> None:
        if self.customer is not None and state.attrs.customer != self.customer:
            return
        priority = state.attrs.priority
        start, end = self.start, self.end
        for c, config in enumerate(self.configs):
            if self.rules[c] != rules:
                continue
            counts = self.counts[c]
            for clock in clocks(state, config, self.now):
                verdict = judge(clock)
                if verdict is None:
                    continue
                outcome, at = verdict
                if (start is not None and at < start) or (end is not None and at >= end):
                    continue
                key = (clock.metric, priority, clock.policy, outcome == MET)
                counts[key] = counts.get(key, 0) + 1

    def result(self) -> list[Counts]:
        return self.counts


def whatif(
    proposed: SlaConfig,
    source: Source,
    now: int | None = None,
    *,
    baseline: SlaConfig | None = None,
    start: int | None = None,
    end: int | None = None,
    customer: str | None = None,
    shards: int = 1,
    runner: Runner = serial,
) -> WhatIf:
    """The judged clocks of ``proposed`` (and ``baseline``) on the history ``source`` gives, as
    of ``now`` (default: the last event's instant), judged in ``[start, end)``; only the tickets
    of ``customer`` when given. Bad input raises :class:`EventError` naming every bad event."""
    configs = [proposed] if baseline is None else [proposed, baseline]
    rules, index = distinct_rules(configs)

    def make_fold(at: int) -> Fold:
        return _Compliance(configs, index, at, start, end, customer)

    parts = run(source, rules, now, make_fold, shards, runner)
    return _whatif_of(parts, len(configs), start, end)


def _whatif_of(parts: Sequence[Part], configs: int, start: int | None, end: int | None) -> WhatIf:
    # per configuration, per level: key -> [met, breached]
    merged: list[tuple[dict[tuple[str, str], list[int]], ...]] = [({}, {}) for _ in range(configs)]
    for part in parts:
        for c, counts in enumerate(part.payload or ()):
            by_metric, by_policy = merged[c]
            for (metric, priority, policy, met), n in counts.items():
                side = 0 if met else 1
                by_metric.setdefault((metric, priority), [0, 0])[side] += n
                by_policy.setdefault((policy, metric), [0, 0])[side] += n
    has_baseline = configs > 1
    levels = []
    for level, order in ((0, _metric_priority_order), (1, _policy_order)):
        proposed = merged[0][level]
        other = merged[1][level] if has_baseline else {}
        keys = sorted(set(proposed) | set(other), key=order)
        levels.append(
            [
                Compared(
                    key,
                    ComplianceRow(key, *proposed.get(key, (0, 0))),
                    ComplianceRow(key, *other.get(key, (0, 0))) if has_baseline else None,
                )
                for key in keys
            ]
        )
    return WhatIf(
        parts[0].now,
        start,
        end,
        sum(p.events for p in parts),
        sum(p.duplicates for p in parts),
        sum(p.tickets for p in parts),
        levels[0],
        levels[1],
        has_baseline,
    )


def _priority_rank(priority: str) -> tuple[int, str]:
    order = PRIORITY_ORDER
    return (order.index(priority) if priority in order else len(order), priority)


def _metric_priority_order(key: tuple[str, str]) -> tuple[int, tuple[int, str]]:
    return METRICS.index(key[0]), _priority_rank(key[1])


def _policy_order(key: tuple[str, str]) -> tuple[str, int]:
    return key[0], METRICS.index(key[1])


# -- targets ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Targets:
    now: int | None
    goal: Fraction
    confidence: Fraction
    events: int
    tickets: int
    advice: list[Advice]


class _Durations:
    """Every tracked clock started in ``[start, end)``, by the priority that chose its target."""

    def __init__(
        self, config: SlaConfig, now: int, start: int | None, end: int | None, customer: str | None
    ) -> None:
        self.config, self.now, self.start, self.end = config, now, start, end
        self.customer = customer
        self.history = History()

    def visit(self, state: TicketState, rules: int) -> None:
        if self.customer is not None and state.attrs.customer != self.customer:
            return
        book, start, end = self.config.book, self.start, self.end
        for metric in METRICS:
            for cycle in state.cycles[metric]:
                at = cycle.started_at
                if (start is not None and at < start) or (end is not None and at >= end):
                    continue
                attrs = end_attributes(state, cycle)
                selection = book.select(metric, attrs, at)
                if selection is not None:
                    self.history.add(
                        attrs.priority, evaluate_cycle(state, cycle, selection, self.now)
                    )

    def result(self) -> History:
        return self.history


def targets(
    config: SlaConfig,
    source: Source,
    goal: Fraction,
    confidence: Fraction,
    now: int | None = None,
    *,
    start: int | None = None,
    end: int | None = None,
    customer: str | None = None,
    shards: int = 1,
    runner: Runner = serial,
) -> Targets:
    """Target advice from the clocks of ``config`` on the history ``source`` gives, as of ``now``
    (default: the last event's instant), of the clocks started in ``[start, end)``."""
    rules, _ = distinct_rules([config])

    def make_fold(at: int) -> Fold:
        return _Durations(config, at, start, end, customer)

    parts = run(source, rules, now, make_fold, shards, runner)
    return _targets_of(parts, goal, confidence)


def _targets_of(parts: Sequence[Part], goal: Fraction, confidence: Fraction) -> Targets:
    history = History()
    for part in parts:
        if part.payload is not None:
            history.merge(part.payload)
    return Targets(
        parts[0].now,
        goal,
        confidence,
        sum(p.events for p in parts),
        sum(p.tickets for p in parts),
        history.advise(goal, confidence),
    )


# -- from the store --------------------------------------------------------------------------------

_TICKETS_PER_READ = 1000


def _stored_records(store: Store, customer: str | None) -> list[Record]:
    """The stored events of every ticket (of those that have had customer ``customer``, when
    given) as records, each ticket's in order of instant, then arrival."""
    out: list[Record] = []
    tickets = store.ticket_ids(customer)
    for i in range(0, len(tickets), _TICKETS_PER_READ):
        for rows in store.histories(tickets[i : i + _TICKETS_PER_READ]).values():
            out.extend((0, orjson.loads(row.body)) for row in rows)
    return out


def stored_whatif(
    uow: UnitOfWork,
    cache: ConfigCache,
    document: object,
    now: int,
    *,
    start: int | None = None,
    end: int | None = None,
    customer: str | None = None,
) -> tuple[WhatIf, int | None]:
    """:func:`whatif` of a proposed configuration document over the stored events as of
    ``now``, beside the current configuration, and the current version (None before the
    first). Raises ``ConfigError`` listing every problem of the document."""
    with uow.read() as store:
        current = cache.current(store)
        proposed = parse_config(with_kept_customers(document, current))
        records = _stored_records(store, customer)
    result = whatif(
        proposed,
        lambda *_: records,
        now,
        baseline=None if current is None else current.config,
        start=start,
        end=end,
        customer=customer,
    )
    return result, None if current is None else current.version


def stored_targets(
    uow: UnitOfWork,
    cache: ConfigCache,
    goal: Fraction,
    confidence: Fraction,
    now: int,
    *,
    start: int | None = None,
    end: int | None = None,
    customer: str | None = None,
) -> Targets:
    """:func:`targets` of the current configuration over the stored events as of ``now``."""
    with uow.read() as store:
        current = require_config(cache, store)
        records = _stored_records(store, customer)
    return targets(
        current.config,
        lambda *_: records,
        goal,
        confidence,
        now,
        start=start,
        end=end,
        customer=customer,
    )
