"""Events that arrive through a source's webhook (docs/integrations.md): stored as any events are,
with the ticket's creation sent first when slakeeper has not seen the ticket yet (a comment on an
issue opened before the webhook existed), and whatever cannot be stored ignored with its reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slakeeper.domain.errors import EventError
from slakeeper.service.configuration import ConfigCache
from slakeeper.service.derive import StateCache
from slakeeper.service.ingest import ingest_events
from slakeeper.service.ports import UnitOfWork

log = logging.getLogger("slakeeper.hooks")


@dataclass(frozen=True, slots=True)
class Received:
    accepted: int
    duplicates: int
    ignored: str | None = None  # why nothing was stored


def receive(
    uow: UnitOfWork,
    cache: ConfigCache,
    source: str,
    ticket: str,
    events: Sequence[dict[str, Any]],
    created: dict[str, Any] | None,
    now: int,
    states: StateCache | None = None,
) -> Received:
    """Store a delivery's events; the ticket's ``created`` event goes first when it is new."""
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
