"""Rows of the store as the service's records."""

from __future__ import annotations

from typing import Any

from slakeeper.domain.clocks import Clock
from slakeeper.service.records import ClockRow


def clock_row(row: Any) -> ClockRow:
    clock = Clock(
        row.ticket,
        row.metric,
        row.cycle,
        row.policy,
        row.target,
        row.started_at,
        row.stopped_at,
        row.status,
        row.elapsed,
        row.due_at,
        bool(row.breached),
    )
    return ClockRow(
        clock,
        row.customer,
        row.service,
        row.group_name,
        row.priority,
        row.derived_at,
        row.next_check_at,
    )
