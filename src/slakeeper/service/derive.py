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

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from threading import Lock

import orjson

from slakeeper.adapters.db.store import ClockRow, StoredEvent, TicketRow
from slakeeper.domain.clocks import clocks
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import Issue
from slakeeper.domain.events import BadEvent, Event, parse_event
from slakeeper.domain.ticket import Rules, TicketState
from slakeeper.service.evaluate import rules_of
from slakeeper.service.ports import Store


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


class StateCache:
    """Recently derived ticket states: (state, stored events it reflects), least recent dropped."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._states: OrderedDict[str, tuple[TicketState, int]] = OrderedDict()
        self._lock = Lock()

    def take(self, ticket: str, events: int, rules: Rules) -> TicketState | None:
        """The cached state if it reflects exactly ``events`` stored events under ``rules``.

        Taken out: a state being updated is nobody else's until it is put back.
        """
        with self._lock:
            found = self._states.pop(ticket, None)
        if found is None or found[1] != events or found[0].rules != rules:
            return None
        return found[0]

    def put(self, state: TicketState, events: int) -> None:
        with self._lock:
            self._states[state.id] = (state, events)
            self._states.move_to_end(state.id)
            while len(self._states) > self.capacity:
                self._states.popitem(last=False)

    def drop(self, tickets: Sequence[str]) -> None:
        with self._lock:
            for ticket in tickets:
                self._states.pop(ticket, None)


def _incremental(state: TicketState | None, new: Sequence[Event]) -> bool:
    return state is not None and (state.last_at is None or new[0].at >= state.last_at)


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
) -> None:
    """Recompute and store the clocks of ``tickets`` at ``now``.

    ``new_events`` are the events just stored for each ticket (ordered by instant, then arrival);
    with a ``cache`` they are applied to a cached state when that is exact. A history that cannot
    be applied (an event after ``closed``, ...) is reported in ``issues`` with the event's label
    and nothing is written. The caller must drop the tickets from the cache if it rolls back.
    """
    rules = rules_of(config)
    counts = store.event_counts(tickets)
    states: dict[str, TicketState] = {}
    replay: list[str] = []
    for ticket in tickets:
        new = (new_events or {}).get(ticket, ())
        before = counts.get(ticket, 0) - len(new)
        cached = cache.take(ticket, before, rules) if cache is not None and new else None
        if cached is not None and _incremental(cached, new):
            try:
                for event in new:
                    cached.apply(event)
            except BadEvent as exc:
                where = (labels or {}).get(event.id, f"event {event.id!r}")
                if issues is not None:
                    issues.append(Issue(where, str(exc)))
                continue
            states[ticket] = cached
        else:
            replay.append(ticket)
    histories = store.histories(replay) if replay else {}
    for ticket in replay:
        state = TicketState(ticket, rules)
        try:
            for row in histories.get(ticket, []):
                state.apply(stored_event(row))
        except BadEvent as exc:
            where = (labels or {}).get(row.id, f"event {row.id!r}")
            if issues is not None:
                issues.append(Issue(where, str(exc)))
            continue
        states[ticket] = state
    if issues:
        return
    rows: list[ClockRow] = []
    updated: list[TicketRow] = []
    for ticket in tickets:
        state = states[ticket]
        if not state.created:
            continue
        at = max(now, state.last_at or now)
        attrs = state.attrs
        for clock in clocks(state, config, at):
            rows.append(
                ClockRow(clock, attrs.customer, attrs.service, attrs.group, attrs.priority, at)
            )
        updated.append(
            TicketRow(
                ticket,
                attrs.customer,
                attrs.service,
                attrs.group,
                attrs.priority,
                state.status,
                state.created_at,
                state.last_at,
                counts.get(ticket, 0),
            )
        )
        if cache is not None:
            cache.put(state, counts.get(ticket, 0))
    store.update_tickets(updated)
    store.replace_clocks([r.id for r in updated], rows, version)
