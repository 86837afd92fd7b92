"""Inbound webhooks of help desks and trackers: each module verifies its source's signature and
maps its payloads to SPEC §4 events (docs/integrations.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Mapped:
    ticket: str
    events: list[dict[str, Any]]  # SPEC §4, in order
    created: dict[str, Any] | None  # the ticket's creation, to send first if it is unknown


class Ignored(ValueError):
    """A payload slakeeper has nothing to do with; the message says why."""
