"""Derive stored clocks from stored events, one ticket at a time, never everything.

Used after new events (their tickets only) and after a configuration change (tickets not closed).
A ticket's history is its stored events ordered by instant, then arrival.

The :class:`StateCache` keeps recent tickets' states in memory with the number of stored events
they reflect. When a batch brings a ticket only events at or after its last one and the store
still holds exactly that many events for it, the new events are applied to the cached state — the
incremental path. Anything else (a late event, another process having written, a cold cache)
replays that one ticket from the store.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from threading import Lock
from typing import Any

import orjson

from slakeeper.domain.alerts import next_check, plan
from slakeeper.domain.clocks import Clock, clocks
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import Issue
from slakeeper.domain.events import BadEvent, Event, parse_event
from slakeeper.domain.reports import QUARTER_HOUR, eventually
from slakeeper.domain.ticket import Rules, TicketState
from slakeeper.service.evaluate import rules_of
from slakeeper.service.ports import Store
from slakeeper.service.records import ClockRow, StoredEvent, TicketRow


def stored_event(row: StoredEvent) -> Event:
    return parse_event(orjson.loads(row.body), seq=row.seq)


def replay_stored(
    ticket: str, rows: Sequence[StoredEvent], config: SlaConfig, upto: int | None = None
) -> TicketState:
    """The ticket's state after its stored events with ``at <= upto`` (all when None)."""
    state = TicketState(ticket, rules_of(config))
    for row in rows:
        if upto is not None and row.at > upto:
            break
        state.apply(stored_event(row))
    return state


_Entry = tuple[TicketState, int, list[Clock], int | None]  # state, events, clocks, version


class StateCache:
    """Recently derived tickets: (state, stored events it reflects, clocks as stored), LRU."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._states: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = Lock()

    def take(
        self, ticket: str, events: int, rules: Rules, version: int | None
    ) -> tuple[TicketState, list[Clock] | None] | None:
        """The cached state if it reflects exactly ``events`` stored events under ``rules``, and
        its stored clocks when they were written under configuration ``version`` (else None).

        Taken out: a state being updated is nobody else's until it is put back.
        """
        with self._lock:
            found = self._states.pop(ticket, None)
        if found is None or found[1] != events or found[0].rules != rules:
            return None
        return found[0], found[2] if found[3] == version else None

    def put(
        self, state: TicketState, events: int, stored: list[Clock], version: int | None
    ) -> None:
        with self._lock:
            self._states[state.id] = (state, events, stored, version)
            self._states.move_to_end(state.id)
            while len(self._states) > self.capacity:
                self._states.popitem(last=False)

    def drop(self, tickets: Sequence[str]) -> None:
        with self._lock:
            for ticket in tickets:
                self._states.pop(ticket, None)


def _incremental(state: TicketState, new: Sequence[Event]) -> bool:
    """New events that all come at or after the state's last one can simply be applied."""
    return state.last_at is None or new[0].at >= state.last_at


def _blame(failed: str, new: Sequence[Event], labels: Mapping[str, str], exc: BadEvent) -> Issue:
    """The issue for a history that cannot be applied, named after the batch's own event.

    When a stored event fails because of a new one (a late second ``ticket.created`` put before
    it, say), the ticket's new events are what the sender has to change.
    """
    if failed in labels:
        return Issue(labels[failed], str(exc))
    culprits = [labels[e.id] for e in new if e.id in labels]
    where = culprits[0] if culprits else f"event {failed!r}"
    return Issue(where, f"does not fit the ticket's stored history: {exc}")


def _row_attributes(state: TicketState) -> tuple[str | None, ...]:
    """The ticket's attributes its clock rows carry (filters, customer scopes, alerts)."""
    a = state.attrs
    return (a.customer, a.service, a.group, a.priority)


def _next_check(config: SlaConfig, clock: Clock, at: int) -> int | None:
    """The first instant the monitoring worker has something to fire for ``clock`` (as at ``at``).

    Thresholds already passed plan at ``at``: the worker records them unless they were fired
    before (exactly one alert per clock and threshold).
    """
    policy = config.book.named(clock.policy)
    if policy is None:
        return None
    return next_check(plan(clock, policy.alerts, policy.escalations, policy.calendar, at))


def _same_row(old: Clock, new: Clock) -> bool:
    """True when the stored row of ``old`` still describes ``new``.

    A running clock's elapsed time grows with time; readers bring it forward from the row's
    instant, so only a change of anything else needs a write.
    """
    if old == new:
        return True
    return new.status == "active" and old._replace(elapsed=new.elapsed) == new


def derive_tickets(
    store: Store,
    config: SlaConfig,
    version: int | None,
    tickets: Sequence[str],
    now: int,
    issues: list[Issue] | None = None,
    labels: Mapping[str, str] | None = None,
    new_events: Mapping[str, Sequence[Event]] | None = None,
    cache: StateCache | None = None,
    counts: Mapping[str, int] | None = None,
) -> None:
    """Recompute and store the clocks of ``tickets`` at ``now``.

    ``new_events`` are the events just stored for each ticket (ordered by instant, then arrival)
    and ``counts`` the events stored for each before them; with a ``cache`` the new events are
    applied to a cached state when that is exact, and only clocks that changed are written. A
    history that cannot be applied (an event after ``closed``, ...) is reported in ``issues`` with
    the event's label and nothing is written. The caller drops the tickets from the cache if it
    rolls back.
    """
    rules = rules_of(config)
    fresh = new_events or {}
    states: dict[str, _State] = {}
    replay: list[str] = []
    for ticket in tickets:
        new = fresh.get(ticket, ())
        before = (counts or {}).get(ticket)
        found = None
        if cache is not None and before is not None:
            found = cache.take(ticket, before, rules, version)
        if found is not None and (not new or _incremental(found[0], new)):
            state, stored = found
            written = _row_attributes(state)
            desk = (state.attrs.channel, state.attrs.assignee)
            try:
                for event in new:
                    state.apply(event)
            except BadEvent as exc:
                if issues is not None:
                    where = (labels or {}).get(event.id, f"event {event.id!r}")
                    issues.append(Issue(where, str(exc)))
                continue
            if stored is not None and _row_attributes(state) != written:
                stored = None  # every clock row carries the attributes: rewrite them all
            count = before + len(new) if before is not None else 0
            states[ticket] = (state, count, stored, desk)
        else:
            replay.append(ticket)
    histories = store.histories(replay) if replay else {}
    for ticket in replay:
        state = TicketState(ticket, rules)
        history = histories.get(ticket, [])
        try:
            for row in history:
                state.apply(stored_event(row))
        except BadEvent as exc:
            if issues is not None:
                issues.append(_blame(row.id, fresh.get(ticket, ()), labels or {}, exc))
            continue
        states[ticket] = (state, len(history), None, None)
    if issues:
        return
    _write(store, config, version, tickets, states, now, cache)


# a ticket's derived state: (state, events stored, its cached clocks or None when every row is
# rewritten, its channel and assignee before the new events)
_State = tuple[TicketState, int, list[Clock] | None, tuple[str | None, str | None] | None]
KeptKey = tuple[Any, ...]


def _write(
    store: Store,
    config: SlaConfig,
    version: int | None,
    tickets: Sequence[str],
    states: Mapping[str, _State],
    now: int,
    cache: StateCache | None,
) -> None:
    """Store the tickets' attributes and clocks (changed clocks only where the old ones are
    known), and what that changes in the reports' kept counts."""
    replaced: list[str] = []
    replacing: list[ClockRow] = []
    changed: list[ClockRow] = []
    gone: list[tuple[str, str, int]] = []
    updated: list[TicketRow] = []
    before: Counter[KeptKey] = Counter()
    after: Counter[KeptKey] = Counter()
    for ticket in tickets:
        state, count, stored, desk = states[ticket]
        if not state.created:
            continue
        at = max(now, state.last_at or now)
        a = state.attrs
        now_desk = (a.channel, a.assignee)
        current = clocks(state, config, at)
        if stored is None:
            replaced.append(ticket)
            rows = [
                ClockRow(
                    c, a.customer, a.service, a.group, a.priority, at, _next_check(config, c, at)
                )
                for c in current
            ]
            replacing.extend(rows)
            _count(after, rows, now_desk)
            kept = current
        else:
            old_rows = {
                (c.metric, c.cycle): ClockRow(
                    c, a.customer, a.service, a.group, a.priority, 0, None
                )
                for c in stored
            }
            before_keys = set(old_rows)
            kept = []
            for c in current:
                old = old_rows.get((c.metric, c.cycle))
                before_keys.discard((c.metric, c.cycle))
                if old is not None and _same_row(old.clock, c):
                    kept.append(old.clock)
                    if desk != now_desk:  # same row, other channel or assignee
                        _count(before, [old], desk)
                        _count(after, [old], now_desk)
                    continue
                row = ClockRow(
                    c, a.customer, a.service, a.group, a.priority, at, _next_check(config, c, at)
                )
                changed.append(row)
                kept.append(c)
                if old is not None:
                    _count(before, [old], desk)
                _count(after, [row], now_desk)
            for key in before_keys:
                gone.append((ticket, *key))
                _count(before, [old_rows[key]], desk)
        updated.append(
            TicketRow(
                ticket,
                a.customer,
                a.service,
                a.group,
                a.priority,
                state.status,
                state.created_at,
                state.last_at,
                count,
                a.channel,
                a.assignee,
                state.replies,
                state.reopens,
                state.solved_at,
                state.csat[-1][1] if state.csat else None,
                state.csat[-1][0] if state.csat else None,
            )
        )
        if cache is not None:
            cache.put(state, count, kept, version)
    if replaced:  # what the rows about to be replaced counted: read them (none for new tickets)
        for row, channel, assignee in store.kept_rows(replaced):
            _count(before, [row], (channel, assignee))
    store.update_tickets(updated)
    if replaced:
        store.replace_clocks(replaced, replacing, version)
    if gone:
        store.delete_clocks(gone)
    if changed:
        store.upsert_clocks(changed, version)
    store.add_kept_changes(before, after)


def _count(
    into: Counter[KeptKey], rows: Sequence[ClockRow], desk: tuple[str | None, str | None] | None
) -> None:
    """Add what clock rows count in the reports' kept counts (``reports.eventually``), keyed
    by quarter hour, the clock's dimensions, the ticket's channel and assignee, and outcome."""
    channel, assignee = desk or (None, None)
    for row in rows:
        verdict = eventually(row.clock)
        if verdict is None:
            continue
        outcome, instant = verdict
        dims = (
            row.clock.metric,
            row.clock.policy,
            row.priority,
            row.group,
            row.customer,
            row.service,
            channel,
            assignee,
        )
        into[(instant // QUARTER_HOUR, *(d or "" for d in dims), outcome)] += 1
