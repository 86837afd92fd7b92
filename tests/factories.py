"""Shared builders for SLA configurations, ticket events (SPEC §4) and evaluation runs.

Instants may be written short — ``"2024-01-15 12:00"`` or ``"2024-01-15 12:00:30"`` — and are then
read as UTC; anything else is passed through as RFC 3339 text. Monday 2024-01-15 is the reference
week of the SLA vectors (VECTORS.md, "SLA clocks").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from slakeeper.adapters.jsonl import clock_dict
from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.events import parse_instant
from slakeeper.service.evaluate import Evaluation, evaluate

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
BIZ = "biz"  # UTC, Mon–Fri 10:00–18:00, like the VECTORS
US = 1_000_000

_UNSET: Any = object()
_SHORT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?$")


def ts(text: str) -> str:
    """``"2024-01-15 12:00"`` -> ``"2024-01-15T12:00:00Z"``; full RFC 3339 text is returned as is."""
    match = _SHORT.match(text)
    if match is None:
        return text
    day, hm, sec = match.groups()
    return f"{day}T{hm}{sec or ':00'}Z"


def us(text: str) -> int:
    """An instant (short or RFC 3339) as µs since the epoch."""
    return parse_instant(ts(text))


# -- configuration ---------------------------------------------------------------------------------


def calendar(
    name: str = BIZ,
    *,
    timezone: str = "UTC",
    shift: str = "10:00-18:00",
    days: Sequence[str] = WEEKDAYS,
    holidays: Sequence[str] = (),
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "timezone": timezone,
        "hours": {day: [shift] for day in days},
    }
    if holidays:
        spec["holidays"] = list(holidays)
    return spec


def policy(
    name: str = "Standard",
    targets: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    level: str | None = None,
    customer: str | None = None,
    service: str | None = None,
    when: Mapping[str, Any] | None = None,
    calendar: str | None = BIZ,
    pause_statuses: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A policy mapping; ``targets`` default to the vectors' (high: first response 1h, resolution 4h)."""
    out: dict[str, Any] = {"name": name}
    if level is not None:
        out["level"] = level
    if customer is not None:
        out["customer"] = customer
    if service is not None:
        out["service"] = service
    if when is not None:
        out["when"] = dict(when)
    if calendar is not None:
        out["calendar"] = calendar
    out["targets"] = (
        {k: dict(v) for k, v in targets.items()}
        if targets is not None
        else {"first_response": {"high": "1h"}, "resolution": {"high": "4h"}}
    )
    if pause_statuses is not None:
        out["pause_statuses"] = list(pause_statuses)
    return out


def config(
    *policies: Mapping[str, Any],
    calendars: Iterable[Mapping[str, Any]] | None = None,
    system_replies_count: bool | None = None,
    resolution_on_reopen: str | None = None,
) -> dict[str, Any]:
    """A configuration document; one default policy and the business calendar unless given."""
    out: dict[str, Any] = {
        "calendars": [dict(c) for c in calendars] if calendars is not None else [calendar()],
        "policies": [dict(p) for p in policies] if policies else [policy()],
    }
    if system_replies_count is not None:
        out["system_replies_count"] = system_replies_count
    if resolution_on_reopen is not None:
        out["resolution_on_reopen"] = resolution_on_reopen
    return out


# -- events ----------------------------------------------------------------------------------------


class Events:
    """Builds SPEC §4 event dicts with automatic ids (``e1``, ``e2`` ...) for one default ticket.

    Every builder appends to :attr:`items` and returns the dict, so tests can reorder, repeat or
    alter events before evaluating them.
    """

    def __init__(self, ticket: str = "T-1", prefix: str = "e") -> None:
        self.ticket = ticket
        self.prefix = prefix
        self.items: list[dict[str, Any]] = []
        self._next = 0

    def _add(self, kind: str, at: str, ticket: str | None, **fields: Any) -> dict[str, Any]:
        self._next += 1
        event: dict[str, Any] = {
            "id": f"{self.prefix}{self._next}",
            "ticket": ticket or self.ticket,
            "type": kind,
            "at": ts(at),
        }
        event.update({k: v for k, v in fields.items() if v is not _UNSET})
        self.items.append(event)
        return event

    def created(self, at: str, *, ticket: str | None = None, **fields: Any) -> dict[str, Any]:
        return self._add("ticket.created", at, ticket, **fields)

    def updated(self, at: str, *, ticket: str | None = None, **fields: Any) -> dict[str, Any]:
        return self._add("ticket.updated", at, ticket, **fields)

    def status(self, at: str, status: str, *, ticket: str | None = None) -> dict[str, Any]:
        return self.updated(at, ticket=ticket, status=status)

    def comment(
        self, at: str, author: str, *, public: Any = _UNSET, ticket: str | None = None
    ) -> dict[str, Any]:
        """A comment; ``public`` is left out (SPEC default true) unless given."""
        return self._add("comment.added", at, ticket, author=author, public=public)

    def reply(self, at: str, *, ticket: str | None = None) -> dict[str, Any]:
        """A public agent comment."""
        return self.comment(at, "agent", ticket=ticket)

    def customer(self, at: str, *, ticket: str | None = None) -> dict[str, Any]:
        """A public customer comment."""
        return self.comment(at, "customer", ticket=ticket)

    def note(self, at: str, author: str = "agent", *, ticket: str | None = None) -> dict[str, Any]:
        """An internal (non-public) comment."""
        return self.comment(at, author, public=False, ticket=ticket)

    def csat(self, at: str, score: int, *, ticket: str | None = None) -> dict[str, Any]:
        return self._add("csat.rated", at, ticket, score=score)

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# -- running ---------------------------------------------------------------------------------------


def records(events: Iterable[Mapping[str, Any]]) -> list[tuple[int, object]]:
    """Events as the ``(line, object)`` records an adapter hands to ``service.evaluate``."""
    return [(line, dict(event)) for line, event in enumerate(events, 1)]


def evaluation(
    config_dict: Mapping[str, Any] | SlaConfig, events: Iterable[Mapping[str, Any]], at: str
) -> Evaluation:
    sla = config_dict if isinstance(config_dict, SlaConfig) else parse_config(config_dict)
    return evaluate(sla, records(events), us(at))


def run(
    config_dict: Mapping[str, Any] | SlaConfig, events: Iterable[Mapping[str, Any]], at: str
) -> list[dict[str, Any]]:
    """Every reported clock at ``at`` as SPEC §6 objects, through ``service.evaluate``."""
    return [clock_dict(c) for c in evaluation(config_dict, events, at).clocks]


def pick(
    results: Iterable[dict[str, Any]], metric: str, cycle: int = 1, ticket: str | None = None
) -> dict[str, Any]:
    """The one clock of ``metric`` / ``cycle`` (and ``ticket``) in ``results``; fails if absent."""
    found = [
        r
        for r in results
        if r["metric"] == metric
        and r["cycle"] == cycle
        and (ticket is None or r["ticket"] == ticket)
    ]
    assert len(found) == 1, f"expected one {metric} cycle {cycle}, got {found}"
    return found[0]


def keys(results: Iterable[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(ticket, metric, cycle) of each reported clock, in output order."""
    return [(r["ticket"], r["metric"], r["cycle"]) for r in results]
