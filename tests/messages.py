"""A fired alert's message (docs/semantics.md §9) as channels and templates receive it."""

from __future__ import annotations

from typing import Any


def alert_message(**changes: Any) -> dict[str, Any]:
    """A warning for ticket T-1 with 15 minutes left; ``changes`` override any key."""
    payload: dict[str, Any] = {
        "id": "alert-42",
        "kind": "warning",
        "threshold": "75%",
        "level": None,
        "ticket": "T-1",
        "metric": "first_response",
        "cycle": 1,
        "policy": "gold",
        "priority": "high",
        "customer": "acme",
        "service": "email",
        "group": None,
        "target_s": 4 * 3600,
        "elapsed_s": 3 * 3600,
        "due_at": "2026-03-13T15:00:00Z",
        "planned_at": "2026-03-13T14:45:00Z",
        "fired_at": "2026-03-13T14:45:00Z",
        "late": False,
        "time_left_s": 900,
        "link": None,
        "actions": [],
    }
    payload.update(changes)
    return payload
