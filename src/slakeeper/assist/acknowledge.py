"""The first-response acknowledgement: its text, and recording it as the ticket's ``system``
comment (SPEC §4 ``comment.added``) through the same ingest as any event.

The comment's id is ``assist-ack:<ticket>``, so a ticket is acknowledged once: asking again sends
the stored event again, which the ingest counts as a duplicate. Whether the comment stops the
first-response clock is the configuration's ``system_replies_count`` (docs/semantics.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from slakeeper.assist.suggest import Suggestion
from slakeeper.domain.errors import EventError
from slakeeper.domain.events import COMMENT, MAX_TEXT, format_instant
from slakeeper.service.configuration import ConfigCache, require_config
from slakeeper.service.derive import StateCache
from slakeeper.service.ingest import ingest_events
from slakeeper.service.ports import UnitOfWork

ACK_PREFIX = "assist-ack:"
DEFAULT_BASE_URL = "/kb"


def article_url(base_url: str, article_id: str) -> str:
    """Where the help desk publishes an article: ``base_url/<id>``."""
    return f"{base_url.rstrip('/')}/{quote(article_id, safe='')}"


def acknowledgement_text(
    suggestions: Sequence[Suggestion], base_url: str = DEFAULT_BASE_URL
) -> str:
    """A short, polite reply listing the suggested articles; the same suggestions give the same
    text."""
    lines = [
        "Hello,",
        "",
        "thank you for contacting us — we have received your request and an engineer will "
        "follow up shortly.",
    ]
    if suggestions:
        lines += ["", "In the meantime, these articles may already help:", ""]
        lines += [
            f"- {s.article.title}: {article_url(base_url, s.article.id)}" for s in suggestions
        ]
        lines += ["", "If one of them solves it, just reply and let us know."]
    lines += ["", "Kind regards,", "Your support team"]
    return "\n".join(lines)


def ack_event_id(ticket: str) -> str:
    """``assist-ack:<ticket>``; for a ticket id too long for that, its SHA-256 in its place."""
    plain = ACK_PREFIX + ticket
    if len(plain) <= MAX_TEXT:
        return plain
    return ACK_PREFIX + "sha256:" + hashlib.sha256(ticket.encode()).hexdigest()


def ack_event(ticket: str, at: int) -> dict[str, Any]:
    """The acknowledgement as a SPEC §4 event: a public comment by ``system``."""
    return {
        "id": ack_event_id(ticket),
        "ticket": ticket,
        "type": COMMENT,
        "at": format_instant(at),
        "author": "system",
        "public": True,
    }


@dataclass(frozen=True, slots=True)
class Acknowledged:
    event: str  # the comment's event id
    duplicate: bool  # it had been recorded before: nothing new was stored
    counts_as_response: bool  # the configuration's system_replies_count


def acknowledge(
    uow: UnitOfWork,
    cache: ConfigCache,
    ticket: str,
    now: int,
    states: StateCache | None = None,
) -> Acknowledged:
    """Record the ticket's acknowledgement at ``now``, or send the recorded one again."""
    event_id = ack_event_id(ticket)
    for attempt in (1, 2):
        with uow.read() as store:
            current = require_config(cache, store)
            stored = store.events_by_id([event_id]).get(event_id)
        event = orjson.loads(stored.body) if stored is not None else ack_event(ticket, now)
        try:
            result = ingest_events(uow, cache, [(0, event)], now, states=states)
        except EventError:
            if stored is not None or attempt == 2:
                raise
            continue  # recorded by a request running beside this one: send that one again
        replies = current.config.system_replies_count
        return Acknowledged(event_id, result.accepted == 0, replies)
    raise AssertionError("unreachable")  # pragma: no cover
