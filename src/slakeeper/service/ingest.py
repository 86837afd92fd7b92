"""Use case: take a batch of ticket events, store what is new, update those tickets' clocks.

The batch is validated as a whole — each event alone, repeats of an id against the batch and the
store, and each touched ticket's history with the new events in place. One bad event rejects the
batch and nothing is stored. An event updates only its own ticket: the tickets of the batch are
replayed from their stored events (a late, out-of-order event re-derives just that ticket).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from slakeeper.domain.errors import EventError, Issue
from slakeeper.domain.events import BadEvent, Event, parse_event
from slakeeper.service.configuration import ConfigCache, require_config
from slakeeper.service.derive import StateCache, derive_tickets
from slakeeper.service.ports import UnitOfWork

MAX_ISSUES = 1000
HORIZON_YEARS = 50  # the service refuses instants further in the future than this
HORIZON_US = HORIZON_YEARS * 366 * 86_400 * 1_000_000


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int  # new events stored
    duplicates: int  # exact repeats of stored or batch events, ignored
    tickets: int  # tickets whose clocks were re-derived


def canonical(event: Event) -> str:
    """The stored body of an event: SPEC §4 form, instants in UTC, keys sorted."""
    return orjson.dumps(event.as_dict(), option=orjson.OPT_SORT_KEYS).decode()


def _label(number: int, event_id: object, lines: bool) -> str:
    place = f"line {number}" if lines else f"events[{number}]"
    return place + (f" ({event_id!r})" if isinstance(event_id, str) else "")


def ingest_events(
    uow: UnitOfWork,
    cache: ConfigCache,
    records: Iterable[tuple[int, object]],
    now: int,
    *,
    lines: bool = False,
    states: StateCache | None = None,
) -> IngestResult:
    """Store a batch; ``records`` are (position, decoded object), a BadEvent for undecodable ones.

    Positions are indexes of a JSON array, or line numbers of JSON Lines when ``lines``.
    """
    issues: list[Issue] = []
    batch: dict[str, tuple[Event, str]] = {}
    labels: dict[str, str] = {}
    duplicates = 0
    for number, obj in records:
        event_id = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(obj, BadEvent):
            issues.append(Issue(_label(number, None, lines), str(obj)))
            continue
        try:
            event = parse_event(obj, seq=number)
        except BadEvent as exc:
            issues.append(Issue(_label(number, event_id, lines), str(exc)))
            continue
        if event.at > now + HORIZON_US:
            issues.append(
                Issue(
                    _label(number, event.id, lines), f"at is more than {HORIZON_YEARS} years ahead"
                )
            )
            continue
        body = canonical(event)
        first = batch.get(event.id)
        if first is not None:
            if first[1] != body:
                issues.append(
                    Issue(
                        _label(number, event.id, lines),
                        f"id {event.id!r} repeated with different content",
                    )
                )
            else:
                duplicates += 1
            continue
        batch[event.id] = (event, body)
        labels[event.id] = _label(number, event.id, lines)
    if issues:
        raise EventError(issues[:MAX_ISSUES])
    if not batch:
        return IngestResult(0, duplicates, 0)
    try:
        return _store_batch(uow, cache, batch, labels, duplicates, now, states)
    except BaseException:
        if states is not None:
            states.drop(sorted({event.ticket for event, _ in batch.values()}))
        raise


def _order(event: Event) -> tuple[int, int]:
    return (event.at, event.seq)


def _store_batch(
    uow: UnitOfWork,
    cache: ConfigCache,
    batch: dict[str, tuple[Event, str]],
    labels: dict[str, str],
    duplicates: int,
    now: int,
    states: StateCache | None,
) -> IngestResult:
    issues: list[Issue] = []
    with uow() as store:
        store.share_configuration()  # a configuration change waits for this batch, or it for it
        current = require_config(cache, store)
        counts = store.lock_tickets(sorted({event.ticket for event, _ in batch.values()}))
        rows: list[dict[str, Any]] = [
            {
                "id": event.id,
                "ticket": event.ticket,
                "at": event.at,
                "type": event.type,
                "body": body,
                "received_at": now,
            }
            for event, body in sorted(batch.values(), key=lambda pair: pair[0].seq)
        ]  # inserted in arrival order: the stored sequence breaks ties in at
        stored = store.events_by_id(list(batch))  # the ticket locks keep this true until commit
        for event_id, previous in stored.items():
            if previous.body != batch[event_id][1]:
                issues.append(
                    Issue(
                        labels[event_id],
                        f"id {event_id!r} was stored before with different content",
                    )
                )
            else:
                duplicates += 1
        if issues:
            raise EventError(issues[:MAX_ISSUES])
        known = set(stored)
        store.insert_events([row for row in rows if row["id"] not in known])
        new_rows = [row for row in rows if row["id"] not in known]
        fresh: dict[str, list[Event]] = {}
        had: list[tuple[str, str]] = []  # (ticket, customer): what a CRM change re-derives
        for row in new_rows:
            event = batch[row["id"]][0]
            fresh.setdefault(row["ticket"], []).append(event)
            for name, value in event.changes:
                if name == "customer" and value is not None:
                    had.append((event.ticket, str(value)))
        store.add_ticket_customers(had)
        for events in fresh.values():
            events.sort(key=_order)
        touched = sorted(fresh)
        derive_tickets(
            store,
            current.config,
            current.version,
            touched,
            now,
            issues,
            labels,
            fresh,
            states,
            counts,
        )
        if issues:
            raise EventError(issues[:MAX_ISSUES])  # rolls the transaction back: nothing stored
    return IngestResult(len(new_rows), duplicates, len(touched))
