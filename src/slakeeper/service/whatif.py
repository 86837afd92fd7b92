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

**Shards.** The tickets may be split into ``shards`` by a hash of the ticket id and each part
read, checked and judged by its own job; a :class:`Runner` given by the entry point runs the jobs
(in forked processes, say) and they meet once, after reading, to agree on the evaluation instant
(the last event's, by default) and to check that no event id is used by two parts. Input with any
problem is read again in one part, so that the errors are exactly those of ``slakeeper evaluate``,
in the same order. The checks and their messages are those of :mod:`slakeeper.service.evaluate`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol, TypeVar

import orjson

from slakeeper.domain.clocks import clocks, end_attributes, evaluate_cycle
from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.customers import KEYS as CUSTOMER_KEYS
from slakeeper.domain.errors import EventError, Issue
from slakeeper.domain.events import BadEvent, EventLog, parse_event
from slakeeper.domain.policy import METRICS
from slakeeper.domain.reports import MET, ComplianceRow, judge
from slakeeper.domain.targets import PRIORITY_ORDER, Advice, History
from slakeeper.domain.ticket import Rules, TicketState
from slakeeper.service.configuration import ConfigCache, require_config
from slakeeper.service.evaluate import MAX_ISSUES, Record, rules_of
from slakeeper.service.ports import Store, UnitOfWork
from slakeeper.service.records import ClockFilter

T = TypeVar("T")
# The records for part ``shard`` of ``shards``, afresh at each call: at least every record whose
# ticket falls in that part (:func:`part_of`); others may come too and are skipped. A record that
# cannot be read, in any part, makes the whole history be read again in one part.
Source = Callable[[int, int], Iterable[Record]]
Gather = Callable[[Any], list[Any]]  # a shard's value in, every shard's values out (shard order)


class Runner(Protocol):
    """Runs ``job(shard, gather)`` for shards 0 .. n-1 and returns their results in order."""

    def __call__(self, job: Callable[[int, Gather], T], shards: int) -> list[T]: ...


def serial(job: Callable[[int, Gather], T], shards: int) -> list[T]:
    """The runner of one shard, in this process."""
    if shards != 1:
        raise ValueError("the serial runner runs one shard")
    return [job(0, lambda value: [value])]


# -- reading and replaying -------------------------------------------------------------------------


@dataclass(slots=True)
class _Problems:
    issues: list[Issue] = field(default_factory=list)
    extra: int = 0

    def add(self, line: int, message: str) -> None:
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(Issue(f"line {line}" if line else "", message))
        else:
            self.extra += 1

    def __bool__(self) -> bool:
        return bool(self.issues or self.extra)


@dataclass(frozen=True, slots=True)
class _Meet:
    """What a shard tells the others once it has read its part."""

    last_at: int | None
    bad: bool
    ids: bytes  # its event ids, NUL-separated (an id never holds a NUL)


@dataclass(frozen=True, slots=True)
class _Part:
    """What a shard returns (it crosses a process boundary: plain values only)."""

    now: int | None
    events: int
    duplicates: int
    tickets: int
    issues: tuple[Issue, ...]
    extra: int
    redo: bool  # another shard saw a problem: read everything again in one shard
    payload: Any


class _Fold(Protocol):
    def visit(self, state: TicketState, rules: int) -> None: ...
    def result(self) -> Any: ...


def part_of(ticket: str, shards: int) -> int:
    """The part a ticket's events belong to: CRC-32 of the id's UTF-8 bytes, modulo the parts
    (a reader may compute it from the raw bytes of a line without decoding it)."""
    return zlib.crc32(ticket.encode("utf-8", "surrogatepass")) % shards


def _owner(shards: int) -> Callable[[object], int]:
    """The part of a decoded record (records without a ticket id: part 0)."""
    known: dict[str, int] = {}

    def owner(obj: object) -> int:
        ticket = obj.get("ticket") if type(obj) is dict else None
        if type(ticket) is not str:
            return 0
        found = known.get(ticket)
        if found is None:
            found = known[ticket] = part_of(ticket, shards)
        return found

    return owner


def _load(
    records: Iterable[Record], shard: int, shards: int, problems: _Problems
) -> tuple[EventLog, int, int | None, list[str]]:
    """The shard's events validated and deduplicated (``evaluate``'s rules), how many were exact
    repeats, the last instant, and the ids when there are other shards."""
    log = EventLog()
    duplicates = 0
    last: int | None = None
    ids: list[str] = []
    owner = _owner(shards) if shards > 1 else None
    for seq, (line, obj) in enumerate(records):
        if isinstance(obj, BadEvent):  # in any part: the whole history is then read in one
            problems.add(line, str(obj))
            continue
        if owner is not None and owner(obj) != shard:
            continue
        try:
            event = parse_event(obj, seq, line)
            if not log.add(event):
                duplicates += 1
                continue
        except BadEvent as exc:
            problems.add(line, str(exc))
            continue
        if last is None or event.at > last:
            last = event.at
        if owner is not None:
            ids.append(event.id)
    return log, duplicates, last, ids


def _replay(
    log: EventLog, rules: Sequence[Rules], now: int, problems: _Problems, fold: _Fold | None
) -> int:
    """Replay every ticket, handing its state at ``now`` to ``fold`` once per rules (none with
    problems); the events after ``now`` are applied afterwards, to check them. The tickets."""
    tickets = log.tickets()
    for ticket in tickets:
        history = log.pop_history(ticket)
        for index, rule in enumerate(rules):
            state = TicketState(ticket, rule)
            reached = False
            try:
                for event in history:
                    if not reached and event.at > now:
                        reached = True
                        if state.created and fold is not None and not problems:
                            fold.visit(state, index)
                    state.apply(event)
            except BadEvent as exc:
                if index == 0:  # the order of events does not depend on the rules
                    problems.add(event.line, str(exc))
                break
            if not reached and state.created and fold is not None and not problems:
                fold.visit(state, index)
    return len(tickets)


def _shared_id(mine: list[str], meets: Sequence[_Meet], shard: int) -> bool:
    """Whether another shard holds one of ``mine`` event ids (different content: one id on two
    tickets, which only a reading in one shard reports as ``evaluate`` does)."""
    others: set[str] = set()
    for k, meet in enumerate(meets):
        if k != shard and meet.ids:
            others.update(meet.ids.decode().split("\0"))
    return not others.isdisjoint(mine)


def _job(
    source: Source,
    rules: Sequence[Rules],
    now: int | None,
    shards: int,
    make_fold: Callable[[int], _Fold],
) -> Callable[[int, Gather], _Part]:
    def job(shard: int, gather: Gather) -> _Part:
        problems = _Problems()
        log, duplicates, last, ids = _load(source(shard, shards), shard, shards, problems)
        meets: list[_Meet] = gather(_Meet(last, bool(problems), "\0".join(ids).encode()))
        redo = shards > 1 and (any(m.bad for m in meets) or _shared_id(ids, meets, shard))
        at = now
        if at is None:
            at = max((m.last_at for m in meets if m.last_at is not None), default=None)
        if redo:
            return _Part(at, 0, 0, 0, (), 0, True, None)
        fold = make_fold(0 if at is None else at)
        tickets = _replay(log, rules, 0 if at is None else at, problems, fold)
        return _Part(
            at,
            len(log),
            duplicates,
            tickets,
            tuple(problems.issues),
            problems.extra,
            shards > 1 and bool(problems),
            None if problems else fold.result(),
        )

    return job


def _run(
    source: Source,
    rules: Sequence[Rules],
    now: int | None,
    make_fold: Callable[[int], _Fold],
    shards: int,
    runner: Runner,
) -> list[_Part]:
    """Every shard's part; bad input raises one :class:`EventError` as ``evaluate`` does."""
    parts = runner(_job(source, rules, now, shards, make_fold), shards) if shards > 1 else []
    if not parts or any(p.redo for p in parts):
        parts = serial(_job(source, rules, now, 1, make_fold), 1)
    if len(parts) == 1 and (parts[0].issues or parts[0].extra):
        issues = list(parts[0].issues)
        if parts[0].extra:
            issues.append(Issue("", f"... and {parts[0].extra} more bad events"))
        raise EventError(issues)
    return parts


def _distinct_rules(configs: Sequence[SlaConfig]) -> tuple[list[Rules], list[int]]:
    """The distinct replay switches of ``configs`` and the index of each config's."""
    distinct: list[Rules] = []
    index = []
    for config in configs:
        rules = rules_of(config)
        if rules not in distinct:
            distinct.append(rules)
        index.append(distinct.index(rules))
    return distinct, index


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
    rules, index = _distinct_rules(configs)

    def make_fold(at: int) -> _Fold:
        return _Compliance(configs, index, at, start, end, customer)

    parts = _run(source, rules, now, make_fold, shards, runner)
    return _whatif_of(parts, len(configs), start, end)


def _whatif_of(parts: Sequence[_Part], configs: int, start: int | None, end: int | None) -> WhatIf:
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
    rules, _ = _distinct_rules([config])

    def make_fold(at: int) -> _Fold:
        return _Durations(config, at, start, end, customer)

    parts = _run(source, rules, now, make_fold, shards, runner)
    return _targets_of(parts, goal, confidence)


def _targets_of(parts: Sequence[_Part], goal: Fraction, confidence: Fraction) -> Targets:
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

_PAGE = 5000
_LAST_CYCLE = 2**31 - 1


def _stored_tickets(store: Store, customer: str | None) -> list[str]:
    """The tickets the store has clocks for (the tickets' customer ``customer`` only, when given),
    and those not closed; a closed ticket no policy applied to is not among them."""
    found = set(store.open_tickets(None if customer is None else [customer]))
    after: tuple[str, int, int] | None = None
    while True:
        rows = store.clocks(ClockFilter(customer=customer), after, _PAGE)
        found.update(row.clock.ticket for row in rows)
        if len(rows) < _PAGE:
            return sorted(found)
        after = (rows[-1].clock.ticket, len(METRICS) - 1, _LAST_CYCLE)  # skip to the next ticket


def _stored_records(uow: UnitOfWork, customer: str | None) -> list[Record]:
    """The stored events of those tickets as records, each ticket's in order of instant, then
    arrival."""
    out: list[Record] = []
    with uow.read() as store:
        tickets = _stored_tickets(store, customer)
        for i in range(0, len(tickets), 1000):
            for rows in store.histories(tickets[i : i + 1000]).values():
                out.extend((0, orjson.loads(row.body)) for row in rows)
    return out


def with_kept_customers(document: object, current: object) -> object:
    """``document`` with the current version's customers and organisations when it gives
    neither — as storing it would (:mod:`slakeeper.service.configuration`): a policy file does
    not drop the CRM's directory that ``customer_tier`` conditions read."""
    if not isinstance(document, Mapping) or any(k in document for k in CUSTOMER_KEYS):
        return document
    if not isinstance(current, Mapping) or not any(current.get(k) for k in CUSTOMER_KEYS):
        return document
    return {**document, **{k: current[k] for k in CUSTOMER_KEYS if current.get(k)}}


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
    proposed = parse_config(with_kept_customers(document, current and current.document))
    records = _stored_records(uow, customer)
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
    records = _stored_records(uow, customer)
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
