"""Events that arrive through a source's webhook (docs/integrations.md): stored as any events are,
with the ticket's creation sent first when slakeeper has not seen the ticket yet (a comment on an
issue opened before the webhook existed), and whatever cannot be stored ignored with its reason.

A conversation (a chat such as WhatsApp, where the customer just writes again) needs the
ticket's history to know where a message goes (:func:`receive` with ``conversation``): a message
already stored is a duplicate wherever it went; a message at an instant the ticket is solved
reopens it (``ticket.updated`` status ``open`` first); a message at an instant it is closed goes
to the conversation's next ticket ``<ticket>:<n>``, created by that message; a message older
than its ticket's creation (delivered late) counts at the creation.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from slakeeper.domain.errors import EventError
from slakeeper.domain.events import BadEvent, format_instant, parse_instant
from slakeeper.service.configuration import ConfigCache
from slakeeper.service.derive import StateCache
from slakeeper.service.ingest import ingest_events
from slakeeper.service.ports import Store, UnitOfWork
from slakeeper.service.records import StoredEvent

log = logging.getLogger("slakeeper.hooks")
MAX_TICKETS = 10_000  # a conversation's tickets looked at before giving up


@dataclass(frozen=True, slots=True)
class Received:
    accepted: int
    duplicates: int
    ignored: str | None = None  # why nothing was stored
    ticket: str | None = None  # where the events went, when the store decided (a conversation)


def receive(
    uow: UnitOfWork,
    cache: ConfigCache,
    source: str,
    ticket: str,
    events: Sequence[dict[str, Any]],
    created: dict[str, Any] | None,
    now: int,
    states: StateCache | None = None,
    *,
    conversation: bool = False,
) -> Received:
    """Store a delivery's events; the ticket's ``created`` event goes first when it is new."""
    if conversation:
        return _converse(uow, cache, source, ticket, events, created, now, states)
    with uow.read() as store:
        known = store.ticket(ticket) is not None
    batch = list(events)
    if not known and created is not None and created not in batch:
        batch.insert(0, created)
    try:
        result = ingest_events(uow, cache, list(enumerate(batch)), now, states=states)
    except EventError as exc:
        reason = "; ".join(exc.lines())
        log.info("%s hook: ignored for %s: %s", source, ticket, reason)
        return Received(0, 0, reason)
    return Received(result.accepted, result.duplicates)


@dataclass(frozen=True, slots=True)
class _Plan:
    batch: list[dict[str, Any]]
    duplicates: int  # messages stored before
    ticket: str


def _converse(
    uow: UnitOfWork,
    cache: ConfigCache,
    source: str,
    ticket: str,
    events: Sequence[dict[str, Any]],
    created: dict[str, Any] | None,
    now: int,
    states: StateCache | None,
) -> Received:
    """A conversation's delivery, planned on the store; planned again once when storing fails
    (another delivery for the same contact changed the ticket in between)."""
    reason = ""
    for attempt in range(2):
        try:
            with uow.read() as store:
                plan = _plan(store, ticket, events, created)
        except BadEvent as exc:
            return Received(0, 0, str(exc), ticket)
        if not plan.batch:
            return Received(0, plan.duplicates, None, plan.ticket)
        try:
            result = ingest_events(uow, cache, list(enumerate(plan.batch)), now, states=states)
        except EventError as exc:
            reason = "; ".join(exc.lines())
            log.info("%s hook: attempt %d for %s: %s", source, attempt + 1, plan.ticket, reason)
            continue
        return Received(result.accepted, result.duplicates + plan.duplicates, None, plan.ticket)
    return Received(0, 0, reason, ticket)


def _plan(
    store: Store, base: str, events: Sequence[dict[str, Any]], created: dict[str, Any] | None
) -> _Plan:
    stored = store.events_by_id([str(e["id"]) for e in events])
    fresh = [e for e in events if e["id"] not in stored]
    duplicates = len(events) - len(fresh)
    if not fresh:
        return _Plan([], duplicates, next(iter(stored.values())).ticket)
    first = min(fresh, key=lambda e: parse_instant(e["at"]))
    first_at = parse_instant(first["at"])
    for number in itertools.count(1):
        if number > MAX_TICKETS:
            raise BadEvent(f"{base}: more than {MAX_TICKETS} closed tickets in the conversation")
        name = base if number == 1 else f"{base}:{number}"
        row = store.ticket(name)
        if row is None:  # a new ticket: the conversation's first message creates it
            batch = [_moved(e, name) for e in fresh]
            if created is not None:
                opening = {**created, "id": f"{name}:created", "ticket": name, "at": first["at"]}
                batch.insert(0, opening)
            return _Plan(batch, duplicates, name)
        history = store.histories([name])[name]
        start = row.created_at if row.created_at is not None else first_at
        at = max(first_at, start)
        now_status = _status_at(history, at)
        if now_status == "closed":
            continue
        batch = []
        if now_status == "solved":
            batch.append(
                {
                    "id": f"{first['id']}:reopen",
                    "ticket": name,
                    "type": "ticket.updated",
                    "at": format_instant(at),
                    "status": "open",
                }
            )
        for event in fresh:  # a message older than the ticket counts at its creation
            moved = _moved(event, name)
            if parse_instant(moved["at"]) < start:
                moved["at"] = format_instant(start)
            batch.append(moved)
        return _Plan(batch, duplicates, name)
    raise AssertionError("unreachable")  # pragma: no cover


def _moved(event: dict[str, Any], ticket: str) -> dict[str, Any]:
    return {**event, "ticket": ticket}


def _status_at(history: Sequence[StoredEvent], at: int) -> str | None:
    """The ticket's status right after its events up to ``at`` (None before its creation)."""
    found: str | None = None
    for event in history:
        if event.at > at:
            break
        body = orjson.loads(event.body)
        if body.get("type") == "ticket.created":
            found = str(body.get("status") or "new")
        elif isinstance(body.get("status"), str):
            found = body["status"]
    return found
