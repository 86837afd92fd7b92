"""Inbound webhooks of help desks and trackers: each module verifies its source's signature and
maps its payloads to SPEC §4 events (docs/integrations.md).

A source is a :class:`Source`: how to check a delivery's authenticity with the source's secret,
and how to map its body to the tickets' events. The API route looks sources up in
:data:`SOURCES` (filled by :func:`sources`), so adding one is adding a module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Mapped:
    ticket: str
    events: list[dict[str, Any]]  # SPEC §4, in order
    created: dict[str, Any] | None  # the ticket's creation, to send first if it is unknown


class Ignored(ValueError):
    """A payload slakeeper has nothing to do with; the message says why."""


# (secret, raw body, headers (case-insensitive)) -> whether the delivery is the source's
Verify = Callable[[str, bytes, Mapping[str, str]], bool]
# (headers, the parsed JSON body) -> what it means, one Mapped per ticket; Ignored when nothing
MapDelivery = Callable[[Mapping[str, str], object], list[Mapped]]


@dataclass(frozen=True, slots=True)
class Source:
    name: str  # the path segment: POST /v1/hooks/{name}
    verify: Verify
    map: MapDelivery
    setting: str  # the Settings field holding the secret; unset: the hook is off


def sources() -> dict[str, Source]:
    """Every inbound source by name."""
    from slakeeper.adapters.hooks import github, zendesk

    return {s.name: s for s in (github.SOURCE, zendesk.SOURCE)}
