"""What breach prediction knows about an open clock at one instant, and how it becomes numbers.

A :class:`Situation` holds only what a live system knows at that moment: the clock (its metric,
target, the business time used, the wall time left to its due instant), the ticket (priority,
channel, customer, group, status, assignee, replies, reopens, age) and the desk (tickets nobody is
assigned to, the assignee's open tickets, the local hour of the week on the policy's calendar and
whether it is open). The same situations come from a replayed history (training) and from the
store (the monitoring worker), so the model sees the same features in both.

:class:`FeatureSpec` turns situations into a matrix. Its vocabularies (priorities, channels,
customers, ...) are learned from the training situations and saved with the model; a value never
seen in training falls into the column ``other``. Numeric columns are standardised with the
training mean and deviation. Each column belongs to a *family* (``share of target used``,
``queue``, ...) so the model can say which facts pushed a risk up.
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

SHARE_EDGES = (0.1, 0.25, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # bins of the share of target used
IDLE_CAP = 24 * 60 * MINUTE  # an assignee idle longer counts as idle this long
ACTIVE_WINDOW = 60 * MINUTE  # "active": a public reply within this window
LOAD_CAP = 5  # agent loads one-hot up to "5 or more"
MAX_CUSTOMERS = 40  # the customers with their own column; the rest are "other"
OTHER = "other"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

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


def _log_minutes(us: npt.NDArray[Any]) -> Matrix:
    out: Matrix = np.log1p(np.maximum(us, 0) / MINUTE)
    return out


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """The columns of the model's matrix and how to fill them from situations."""

    priorities: tuple[str, ...]
    channels: tuple[str, ...]
    customers: tuple[str, ...]
    groups: tuple[str, ...]
    statuses: tuple[str, ...]
    mean: tuple[float, ...]  # of the numeric columns, in order of NUMERIC
    scale: tuple[float, ...]

    NUMERIC = (
        "log business time left",
        "log wall time to due",
        "log target",
        "log ticket age",
        "log closed time before due",
        "log unassigned queue",
        "log unassigned queue in group",
        "log assignee load",
        "log cycle",
        "log replies",
        "log reopens",
        "log agents active",
        "log agents active in group",
        "log assignee idle",
        "log clocks due before in pool",
    )

    @classmethod
    def learn(cls, situations: Sequence[Situation]) -> FeatureSpec:
        """Vocabularies and scaling from the training situations."""
        if not situations:
            raise ValueError("no situations to learn features from")

        def vocabulary(values: Iterable[str | None], limit: int | None = None) -> tuple[str, ...]:
            counts = Counter(v for v in values if v is not None)
            ranked = sorted(counts, key=lambda v: (-counts[v], v))
            return tuple(sorted(ranked[:limit] if limit else ranked))

        spec = cls(
            priorities=vocabulary(s.priority for s in situations),
            channels=vocabulary(s.channel for s in situations),
            customers=vocabulary((s.customer for s in situations), MAX_CUSTOMERS),
            groups=vocabulary(s.group for s in situations),
            statuses=vocabulary(s.status for s in situations),
            mean=(),
            scale=(),
        )
        numeric = spec._numeric(situations)
        mean = numeric.mean(axis=0)
        scale = numeric.std(axis=0)
        scale[scale < 1e-9] = 1.0
        return cls(
            spec.priorities,
            spec.channels,
            spec.customers,
            spec.groups,
            spec.statuses,
            tuple(float(m) for m in mean),
            tuple(float(s) for s in scale),
        )

    # -- columns -------------------------------------------------------------------------------

    def columns(self) -> list[tuple[str, str]]:
        """(family, column name) of every column, in matrix order."""
        cols: list[tuple[str, str]] = [("numeric", name) for name in self.NUMERIC]
        bins = _share_bin_names()
        cols += [("share of target used", f"share {b}") for b in bins]
        for metric in METRICS:
            cols += [("share of target used", f"{metric} share {b}") for b in bins]
        cols += [("metric", f"metric {m}") for m in METRICS]
        cols += [("priority", f"priority {p}") for p in (*self.priorities, OTHER)]
        cols += [("channel", f"channel {c}") for c in (*self.channels, OTHER)]
        cols += [("customer", f"customer {c}") for c in (*self.customers, OTHER)]
        cols += [("group", f"group {g}") for g in (*self.groups, OTHER)]
        cols += [("status", f"status {s}") for s in (*self.statuses, OTHER)]
        cols += [("assignee load", f"load {n}") for n in _load_names()]
        cols += [("hour of week", f"day {d}") for d in WEEKDAYS]
        cols += [("hour of week", f"hour {h:02d}") for h in range(24)]
        cols += [("hour of week", "calendar open now")]
        cols += [("agents active", "nobody active in group, unassigned")]
        cols += [("agents active", "nobody active in group, assigned")]
        return cols

    def family_of_numeric(self, name: str) -> str:
        return _NUMERIC_FAMILY[name]

    def _numeric(self, situations: Sequence[Situation]) -> Matrix:
        a = np.array(
            [
                (
                    s.target - s.elapsed,
                    s.to_due,
                    s.target,
                    s.age,
                    max(s.to_due - (s.target - s.elapsed), 0),
                    s.queue,
                    s.group_queue,
                    s.agent_load,
                    s.cycle,
                    s.replies,
                    s.reopens,
                    s.active_agents,
                    s.group_active,
                    min(s.assignee_idle, IDLE_CAP) if s.assignee is not None else 0,
                    s.due_before,
                )
                for s in situations
            ],
            dtype=np.float64,
        ).reshape(len(situations), len(self.NUMERIC))
        out = np.empty_like(a)
        out[:, :5] = _log_minutes(a[:, :5])
        out[:, 5:13] = np.log1p(a[:, 5:13])
        out[:, 13:14] = _log_minutes(a[:, 13:14])
        out[:, 14:] = np.log1p(a[:, 14:])
        return out

    def encode(self, situations: Sequence[Situation]) -> Matrix:
        """The matrix of ``situations`` (one row each)."""
        n = len(situations)
        numeric = self._numeric(situations)
        if self.mean:
            numeric = (numeric - np.array(self.mean)) / np.array(self.scale)
        blocks: list[Matrix] = [numeric]
        share = np.array([s.elapsed / s.target if s.target else 1.0 for s in situations])
        bins = np.searchsorted(np.array(SHARE_EDGES), share, side="right")
        width = len(SHARE_EDGES) + 1
        blocks.append(_one_hot(bins, width))
        metric_index = {m: i for i, m in enumerate(METRICS)}
        metrics = np.array([metric_index.get(s.metric, 0) for s in situations], dtype=np.int64)
        crossed = np.zeros((n, len(METRICS) * width))
        crossed[np.arange(n), metrics * width + bins] = 1.0
        blocks.append(crossed)
        blocks.append(_one_hot(metrics, len(METRICS)))
        blocks.append(_category(self.priorities, [s.priority for s in situations]))
        blocks.append(_category(self.channels, [s.channel for s in situations]))
        blocks.append(_category(self.customers, [s.customer for s in situations]))
        blocks.append(_category(self.groups, [s.group for s in situations]))
        blocks.append(_category(self.statuses, [s.status for s in situations]))
        loads = np.array([min(s.agent_load, LOAD_CAP) for s in situations], dtype=np.int64)
        assigned = np.array([s.assignee is not None for s in situations])
        blocks.append(_one_hot(np.where(assigned, loads + 1, 0), LOAD_CAP + 2))
        hours = np.array([s.hour_of_week for s in situations], dtype=np.int64) % 168
        blocks.append(_one_hot(hours // 24, 7))
        blocks.append(_one_hot(hours % 24, 24))
        blocks.append(np.array([[float(s.open_now)] for s in situations]).reshape(n, 1))
        nobody = np.array([s.group_active == 0 for s in situations])
        blocks.append(np.column_stack([nobody & ~assigned, nobody & assigned]).astype(np.float64))
        return np.hstack(blocks)

    # -- saving --------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "priorities": list(self.priorities),
            "channels": list(self.channels),
            "customers": list(self.customers),
            "groups": list(self.groups),
            "statuses": list(self.statuses),
            "mean": list(self.mean),
            "scale": list(self.scale),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSpec:
        def texts(key: str) -> tuple[str, ...]:
            value = data.get(key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"features.{key} must be a list of texts")
            return tuple(value)

        def numbers(key: str) -> tuple[float, ...]:
            value = data.get(key)
            if (
                not isinstance(value, list)
                or len(value) != len(cls.NUMERIC)
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            ):
                raise ValueError(f"features.{key} must be a list of {len(cls.NUMERIC)} numbers")
            return tuple(float(v) for v in value)

        return cls(
            texts("priorities"),
            texts("channels"),
            texts("customers"),
            texts("groups"),
            texts("statuses"),
            numbers("mean"),
            numbers("scale"),
        )


_NUMERIC_FAMILY = {
    "log business time left": "business time left",
    "log wall time to due": "time to due",
    "log target": "target",
    "log ticket age": "ticket age",
    "log closed time before due": "closed hours before due",
    "log unassigned queue": "queue",
    "log unassigned queue in group": "queue",
    "log assignee load": "assignee load",
    "log cycle": "replies",
    "log replies": "replies",
    "log reopens": "replies",
    "log agents active": "agents active",
    "log agents active in group": "agents active",
    "log assignee idle": "assignee idle",
    "log clocks due before in pool": "clocks due before",
}


def _share_bin_names() -> list[str]:
    edges = (0.0, *SHARE_EDGES, 1.0)
    return [f"{edges[i]:.0%}-{edges[i + 1]:.0%}" for i in range(len(edges) - 1)]


def _load_names() -> list[str]:
    return ["unassigned", *(str(n) for n in range(LOAD_CAP)), f"{LOAD_CAP}+"]


def _one_hot(index: npt.NDArray[np.int64], width: int) -> Matrix:
    out = np.zeros((len(index), width))
    out[np.arange(len(index)), index] = 1.0
    return out


def _category(vocabulary: tuple[str, ...], values: list[str | None]) -> Matrix:
    position = {v: i for i, v in enumerate(vocabulary)}
    other = len(vocabulary)
    index = np.array([position.get(v, other) if v is not None else other for v in values])
    return _one_hot(index.astype(np.int64), other + 1)
