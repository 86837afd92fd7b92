"""Inbound webhooks of help desks and trackers: each module verifies its source's signature and
maps its payloads to SPEC §4 events (docs/integrations.md).

A source is a :class:`Source`: how to check a delivery's authenticity with the source's secret,
and how to map its body to the tickets' events. The API route looks sources up in
:data:`SOURCES` (filled by :func:`sources`), so adding one is adding a module.

The helpers below are shared by the sources: :func:`instant` reads the many ways vendors write
an instant, :func:`text` a value that may be missing or an unrendered placeholder.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Mapped:
    ticket: str
    events: list[dict[str, Any]]  # SPEC §4, in order
    created: dict[str, Any] | None  # the ticket's creation, to send first if it is unknown
    # a chat (WhatsApp): a message on a solved ticket reopens it, on a closed one it goes to the
    # conversation's next ticket ``<ticket>:<n>`` (service/hooks.py decides with the store)
    conversation: bool = False


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
    from slakeeper.adapters.hooks import freshdesk, github, jira, whatsapp, zendesk

    found = (github.SOURCE, zendesk.SOURCE, freshdesk.SOURCE, jira.SOURCE, whatsapp.SOURCE)
    return {s.name: s for s in found}


def same(expected: str, given: str | None) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time (both as UTF-8 bytes)."""
    if given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def signed_sha256(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` — ``sha256=<hex>``, the scheme GitHub, Meta and Jira share — is the
    HMAC-SHA256 of the raw ``body`` under ``secret`` (the scheme's name and the hex digits in
    any case), compared in constant time."""
    if not header:
        return False
    method, _, signature = header.strip().partition("=")
    if method.lower() != "sha256":
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return same(expected, signature.strip().lower())


def text(value: object) -> str | None:
    """A value as text; None when it is missing, empty, or a placeholder left unrendered."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    out = str(value).strip()
    if not out or (out.startswith("{{") and out.endswith("}}")):
        return None
    return out


def instant(value: object, what: str = "the time") -> str:
    """An instant as RFC 3339 in UTC (``2026-03-02T09:00:00Z``), from what vendors send: RFC 3339
    or ISO 8601 (``+0100`` too), Ruby's ``2026-03-02 09:00:00 UTC``, an RFC 2822 date, or Unix
    seconds or milliseconds (a number or digits). :class:`Ignored` when it is none of these or has
    no offset."""
    moment: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        moment = _epoch(float(value))
    elif isinstance(value, str):
        raw = value.strip()
        moment = _epoch(float(raw)) if raw.isdigit() else _text_instant(raw)
    if moment is None or moment.tzinfo is None:
        raise Ignored(f"{what} {value!r} is not a date and time with an offset")
    out = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if not 1 <= moment.astimezone(UTC).year <= 9999:  # pragma: no cover - isoformat limits it
        raise Ignored(f"{what} {value!r} is out of range")
    return out


def _epoch(seconds: float) -> datetime | None:
    if seconds > 100_000_000_000:  # milliseconds (Jira's ``timestamp``)
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _text_instant(raw: str) -> datetime | None:
    candidate = raw
    for suffix in (" UTC", " GMT", " Z"):
        if candidate.upper().endswith(suffix):
            candidate = candidate[: -len(suffix)] + "+00:00"
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
