"""Derive stored clocks from stored events: replay one ticket at a time, never everything.

Used after new events (their tickets only) and after a configuration change (tickets with an open
clock). A ticket's history is its stored events ordered by instant, then arrival.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from slakeeper.adapters.db.store import ClockRow, StoredEvent, TicketRow
from slakeeper.domain.clocks import clocks
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import Issue
from slakeeper.domain.events import BadEvent, Event, parse_event
from slakeeper.domain.ticket import TicketState
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


def derive_tickets(
    store: Store,
    config: SlaConfig,
    version: int | None,
    tickets: Sequence[str],
    now: int,
    issues: list[Issue] | None = None,
    labels: dict[str, str] | None = None,
) -> None:
    """Recompute and store the clocks of ``tickets`` at ``now``.

    A history that cannot be applied (e.g. an event after ``closed``) is reported in ``issues``
    (with the event's label from ``labels`` when given) and nothing is written for that ticket.
    """
    histories = store.histories(tickets)
    rules = rules_of(config)
    rows: list[ClockRow] = []
    done: list[str] = []
    for ticket in tickets:
        history = histories.get(ticket, [])
        state = TicketState(ticket, rules)
        failed = False
        for row in history:
            try:
                state.apply(stored_event(row))
            except BadEvent as exc:
                where = (labels or {}).get(row.id, f"event {row.id!r}")
                if issues is not None:
                    issues.append(Issue(where, str(exc)))
                failed = True
                break
        if failed or not state.created:
            continue
        at = max(now, state.last_at or now)
        attrs = state.attrs
        for clock in clocks(state, config, at):
            rows.append(
                ClockRow(clock, attrs.customer, attrs.service, attrs.group, attrs.priority, at)
            )
        store.update_ticket(
            TicketRow(
                ticket,
                attrs.customer,
                attrs.service,
                attrs.group,
                attrs.priority,
                state.status,
                state.created_at,
                state.last_at,
                len(history),
            )
        )
        done.append(ticket)
    if issues:
        return
    store.replace_clocks(done, rows, version)
