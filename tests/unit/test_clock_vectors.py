"""Golden vectors for SLA clocks (VECTORS.md, "SLA clocks": FHD-A8, FHD-A9).

Calendar UTC Mon–Fri 10:00–18:00; priority high: first response 1h, resolution 4h. From Frappe
Helpdesk's ``test_hold_time_resolution_time`` and ``..._with_holiday`` (pending pauses resolution).
Each row is data: the events, the calendar's holidays, and the expected fields of the clocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import Events, calendar, config, pick, run, ts


@dataclass(frozen=True)
class Row:
    id: str
    steps: tuple[tuple[str, str, dict[str, Any]], ...]  # (kind, instant, fields)
    expected: dict[str, dict[str, Any]]  # metric -> expected fields of its cycle 1
    holidays: tuple[str, ...] = ()
    at: str = "2024-01-31 00:00"


ROWS = (
    Row(
        "FHD-A8",
        (
            ("created", "2024-01-15 12:00", {"priority": "high"}),
            ("reply", "2024-01-15 12:30", {}),
            ("status", "2024-01-15 12:30", {"status": "pending"}),
            ("status", "2024-01-15 13:00", {"status": "open"}),
            ("status", "2024-01-15 13:30", {"status": "solved"}),
        ),
        {
            "first_response": {
                "status": "achieved",
                "elapsed_seconds": 1800,
                "due_at": ts("2024-01-15 13:00"),
                "breached": False,
            },
            "resolution": {
                "status": "achieved",
                "elapsed_seconds": 3600,
                "due_at": ts("2024-01-15 16:30"),
                "breached": False,
            },
        },
    ),
    Row(
        "FHD-A9",
        (
            ("created", "2024-01-18 17:30", {"priority": "high"}),  # Thursday
            ("reply", "2024-01-18 17:50", {}),
            ("status", "2024-01-18 17:50", {"status": "pending"}),
            ("status", "2024-01-22 12:30", {"status": "open"}),  # Monday
            ("status", "2024-01-22 13:00", {"status": "solved"}),
        ),
        {
            "resolution": {
                "status": "achieved",
                "elapsed_seconds": 3000,
                "breached": False,
            },
        },
        holidays=("2024-01-19",),  # Friday
    ),
)


def _events(row: Row) -> Events:
    events = Events()
    for kind, at, fields in row.steps:
        if kind == "created":
            events.created(at, **fields)
        elif kind == "reply":
            events.reply(at)
        elif kind == "status":
            events.status(at, fields["status"])
        else:  # pragma: no cover - a typo in the table
            raise AssertionError(kind)
    return events


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_sla_clock_vector(row: Row) -> None:
    sla = config(calendars=[calendar(holidays=row.holidays)])
    results = run(sla, _events(row), row.at)
    for metric, expected in row.expected.items():
        clock = pick(results, metric)
        assert {k: clock[k] for k in expected} == expected, clock
        assert clock["target_seconds"] == {"first_response": 3600, "resolution": 14400}[metric]


def test_fhd_a9_resolution_is_due_after_the_holiday() -> None:
    """Thu 17:30–17:50 counts 20 min; Friday is a holiday; Mon 12:30 on has 3h40m left -> 16:10."""
    row = ROWS[1]
    results = run(config(calendars=[calendar(holidays=row.holidays)]), _events(row), row.at)
    resolution = pick(results, "resolution")
    assert resolution["due_at"] == ts("2024-01-22 16:10")
    assert resolution["stopped_at"] == ts("2024-01-22 13:00")


def test_fhd_a9_without_the_holiday_friday_is_not_counted_because_pending() -> None:
    """The holiday changes nothing while pending: the pause already covers Friday."""
    row = ROWS[1]
    results = run(config(), _events(row), row.at)
    assert pick(results, "resolution")["elapsed_seconds"] == 3000
