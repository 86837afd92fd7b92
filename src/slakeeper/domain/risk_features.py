"""What breach prediction knows about an open clock at one instant, and how it becomes numbers.

A :class:`Situation` holds only what a live system knows at that moment: the clock (its metric,
target, the business time used, the wall time left to its due instant), the ticket (priority,
channel, customer, group, status, assignee, replies, reopens, age) and the desk (tickets nobody is
assigned to, the assignee's open tickets, the local hour of the week on the policy's calendar and
whether it is open). The same situations come from a replayed history (training) and from the
store (the monitoring worker), so the model sees the same features in both.

:class:`FeatureSpec` turns situations into a matrix, one column per fact. A text fact (metric,
priority, channel, customer, group, status) becomes the position of its value in a vocabulary
learned from the training situations and saved with the model; a value never seen in training,
or none, takes the position after the last. Each column belongs to a *family* (``share of target
used``, ``queue``, ...) so the model can say which facts pushed a risk up.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from slakeeper.domain.policy import METRICS

MINUTE = 60_000_000

IDLE_CAP = 24 * 60 * MINUTE  # an assignee idle longer counts as idle this long
ACTIVE_WINDOW = 60 * MINUTE  # "active": a public reply within this window
MAX_CUSTOMERS = 40  # the customers with their own column; the rest are "other"

Matrix = npt.NDArray[np.float64]


class Situation(NamedTuple):
    """One open, running, not yet breached clock at one instant (durations in µs)."""

    metric: str
    priority: str
    channel: str | None
    customer: str | None
    group: str | None
    status: str
    assignee: str | None
    target: int  # business time
    elapsed: int  # business time used by the instant
    to_due: int  # wall time from the instant to the due instant (> 0)
    age: int  # wall time since the ticket was created
    cycle: int  # the clock's cycle: 2 and more are later next-response cycles
    replies: int  # public agent replies so far
    reopens: int
    queue: int  # open tickets nobody is assigned to, whole desk
    group_queue: int  # the same, in the ticket's group
    agent_load: int  # open tickets of the ticket's assignee (0: unassigned)
    hour_of_week: int  # 0 = Monday 00:00-01:00 local on the policy's calendar, up to 167
    open_now: bool  # the policy's calendar is open at the instant
    active_agents: int  # agents who posted a public reply in the last hour, whole desk
    group_active: int  # the same, on tickets of the ticket's group
    assignee_idle: int  # wall time since the assignee's last public reply (µs; capped)
    due_before: int  # running clocks in the same pool due earlier (see DueOrder)


class DueOrder:
    """How many running clocks are due before a clock in its *pool*: the unassigned tickets of
    its group when nobody is assigned, else its assignee's tickets — the work that, served by
    due date, comes first. Overdue clocks count (they are still waiting)."""

    def __init__(self, clocks: Iterable[tuple[str | None, str | None, int]]) -> None:
        """``clocks``: (group, assignee, due instant) of every running clock."""
        pools: dict[tuple[str, str | None], list[int]] = {}
        for group, assignee, due in clocks:
            pools.setdefault(self.pool(group, assignee), []).append(due)
        for dues in pools.values():
            dues.sort()
        self._pools = pools

    @staticmethod
    def pool(group: str | None, assignee: str | None) -> tuple[str, str | None]:
        return ("group", group) if assignee is None else ("agent", assignee)

    def before(self, group: str | None, assignee: str | None, due: int) -> int:
        dues = self._pools.get(self.pool(group, assignee))
        return bisect_left(dues, due) if dues else 0


def hour_of_week(timezone: str, t: int) -> int:
    """The local hour of the week at instant ``t`` (µs): 0 is Monday 00:00-01:00."""
    local = datetime.fromtimestamp(t / 1e6, UTC).astimezone(ZoneInfo(timezone))
    return local.weekday() * 24 + local.hour


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """The columns of the model's matrix and how to fill them from situations."""

    priorities: tuple[str, ...]
    channels: tuple[str, ...]
    customers: tuple[str, ...]
    groups: tuple[str, ...]
    statuses: tuple[str, ...]

    # (family, column) in matrix order; durations in minutes
    COLUMNS = (
        ("share of target used", "share of target used"),
        ("business time left", "business minutes left"),
        ("time to due", "wall minutes to due"),
        ("closed hours before due", "closed minutes before due"),
        ("target", "target minutes"),
        ("ticket age", "ticket age minutes"),
        ("queue", "tickets waiting for an assignee"),
        ("queue", "tickets waiting in the group"),
        ("clocks due before", "clocks due before in pool"),
        ("assignee load", "assignee's open tickets"),
        ("assignee load", "assigned"),
        ("assignee idle", "minutes since the assignee replied"),
        ("agents active", "agents active"),
        ("agents active", "agents active in the group"),
        ("replies", "cycle"),
        ("replies", "replies"),
        ("replies", "reopens"),
        ("hour of week", "local hour"),
        ("hour of week", "local weekday"),
        ("hour of week", "calendar open now"),
        ("metric", "metric"),
        ("priority", "priority"),
        ("channel", "channel"),
        ("customer", "customer"),
        ("group", "group"),
        ("status", "status"),
    )

    @classmethod
    def learn(cls, situations: Sequence[Situation]) -> FeatureSpec:
        """The vocabularies of the training situations."""
        if not situations:
            raise ValueError("no situations to learn features from")

        def vocabulary(values: Iterable[str | None], limit: int | None = None) -> tuple[str, ...]:
            counts = Counter(v for v in values if v is not None)
            ranked = sorted(counts, key=lambda v: (-counts[v], v))
            return tuple(sorted(ranked[:limit] if limit else ranked))

        return cls(
            priorities=vocabulary(s.priority for s in situations),
            channels=vocabulary(s.channel for s in situations),
            customers=vocabulary((s.customer for s in situations), MAX_CUSTOMERS),
            groups=vocabulary(s.group for s in situations),
            statuses=vocabulary(s.status for s in situations),
        )

    def columns(self) -> list[tuple[str, str]]:
        """(family, column name) of every column, in matrix order."""
        return list(self.COLUMNS)

    def encode(self, situations: Sequence[Situation]) -> Matrix:
        """The matrix of ``situations`` (one row each)."""
        metric = {m: float(i) for i, m in enumerate(METRICS)}
        priority = _positions(self.priorities)
        channel = _positions(self.channels)
        customer = _positions(self.customers)
        group = _positions(self.groups)
        status = _positions(self.statuses)
        rows = [
            (
                s.elapsed / s.target if s.target else 1.0,
                (s.target - s.elapsed) / MINUTE,
                s.to_due / MINUTE,
                max(s.to_due - (s.target - s.elapsed), 0) / MINUTE,
                s.target / MINUTE,
                s.age / MINUTE,
                s.queue,
                s.group_queue,
                s.due_before,
                s.agent_load,
                s.assignee is not None,
                min(s.assignee_idle, IDLE_CAP) / MINUTE if s.assignee is not None else -1.0,
                s.active_agents,
                s.group_active,
                s.cycle,
                s.replies,
                s.reopens,
                s.hour_of_week % 24,
                s.hour_of_week // 24 % 7,
                s.open_now,
                metric.get(s.metric, len(metric)),
                priority.get(s.priority, len(priority)),
                channel.get(s.channel, len(channel)),
                customer.get(s.customer, len(customer)),
                group.get(s.group, len(group)),
                status.get(s.status, len(status)),
            )
            for s in situations
        ]
        return np.array(rows, dtype=np.float64).reshape(len(situations), len(self.COLUMNS))

    def to_json(self) -> dict[str, Any]:
        return {
            "priorities": list(self.priorities),
            "channels": list(self.channels),
            "customers": list(self.customers),
            "groups": list(self.groups),
            "statuses": list(self.statuses),
            "columns": [name for _, name in self.COLUMNS],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSpec:
        def texts(key: str) -> tuple[str, ...]:
            value = data.get(key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"features.{key} must be a list of texts")
            return tuple(value)

        found = cls(
            texts("priorities"),
            texts("channels"),
            texts("customers"),
            texts("groups"),
            texts("statuses"),
        )
        if texts("columns") != tuple(name for _, name in cls.COLUMNS):
            raise ValueError("features.columns differ from this version's; train the model again")
        return found


def _positions(vocabulary: tuple[str, ...]) -> dict[str | None, float]:
    return {v: float(i) for i, v in enumerate(vocabulary)}
