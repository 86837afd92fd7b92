"""The kept counts of judged clocks: per UTC day and clock dimension (``tables.judged_days``) and
breaches per UTC quarter hour and customer (``tables.breach_slices``) — how a clock row is
counted there, as SQL the store runs over the clocks it is about to change and has changed, and
over every clock when it counts afresh.

A clock is counted by the outcome it will be judged by if nothing more happens to it: met when it
stopped unbreached; breached at its due instant when it is flagged breached or still running
(docs/metrics.md brings a running clock forward: breached once its due instant passed). A day or
quarter hour is read only once it is over, when the running clock's due instant has passed too —
so its counts equal the judged clocks counted from the clocks themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select

from slakeeper.adapters.db import tables as t

SLICE = 15 * 60 * 1_000_000  # µs: a quarter hour
PER_DAY = 96  # quarter hours
DIMENSIONS = ("metric", "policy", "priority", "group_name", "customer", "service")
DAY_KEY = ("day", *DIMENSIONS, "outcome")
SLICE_KEY = ("slice", "customer")
# report dimensions held in judged_days (a ticket's channel and assignee are not: reports by
# those count the clocks)
COLUMNS = {
    "metric": "metric",
    "policy": "policy",
    "priority": "priority",
    "group": "group_name",
    "customer": "customer",
    "service": "service",
}


def counted(condition: Any) -> Select[Any]:
    """What the clocks matching ``condition`` count, by quarter hour: rows of (slice,
    *DIMENSIONS, outcome, n), a dimension without a value as ''."""
    c = t.clocks.c
    breached = or_(c.breached.is_(True), c.status.in_(("active", "paused")))
    met = and_(c.status == "achieved", c.breached.is_(False))
    at = case((breached, c.due_at), else_=c.stopped_at)
    columns = [
        (at // SLICE).label("slice"),
        *(func.coalesce(c[name], "").label(name) for name in DIMENSIONS),
        case((breached, literal("breached")), else_=literal("met")).label("outcome"),
    ]
    return (
        select(*columns, func.count().label("n"))
        .where(or_(breached, met), at.is_not(None), condition)
        .group_by(*(column.element for column in columns))
    )


def by_day(counts: Any) -> Select[Any]:
    """``counts`` (a subquery of :func:`counted`) as judged_days rows."""
    day = (counts.c.slice // PER_DAY).label("day")
    keys = [day, *(counts.c[name] for name in DIMENSIONS), counts.c.outcome]
    return select(*keys, func.sum(counts.c.n)).group_by(day, *keys[1:])


def breaches(counts: Any) -> Select[Any]:
    """``counts`` (a subquery of :func:`counted`) as breach_slices rows."""
    keys = [counts.c.slice, counts.c.customer]
    return select(*keys, func.sum(counts.c.n)).where(counts.c.outcome == "breached").group_by(*keys)


def changes(
    before: Iterable[tuple[Any, ...]], after: Iterable[tuple[Any, ...]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows to add to judged_days and to breach_slices when clocks that counted ``before``
    (rows of :func:`counted`) count ``after``: in key order, so concurrent writers lock the
    rows in the same order."""
    days: Counter[tuple[Any, ...]] = Counter()
    slices: Counter[tuple[Any, ...]] = Counter()
    for rows, sign in ((before, -1), (after, 1)):
        for slice_, *dimensions, outcome, n in rows:
            days[(slice_ // PER_DAY, *dimensions, outcome)] += sign * n
            if outcome == "breached":
                slices[(slice_, dimensions[4])] += sign * n
    return (
        [{**dict(zip(DAY_KEY, k, strict=True)), "n": n} for k, n in sorted(days.items()) if n],
        [{**dict(zip(SLICE_KEY, k, strict=True)), "n": n} for k, n in sorted(slices.items()) if n],
    )
