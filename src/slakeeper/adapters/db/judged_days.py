"""The judged-clock counts per UTC day (``tables.judged_days``): how a clock row is counted there,
as SQL the store runs over the clocks it is about to change and has changed.

A clock is counted by the outcome it will be judged by if nothing more happens to it: met on the
day it stopped unbreached; breached on its due day when it is flagged breached or still running
(docs/metrics.md brings a running clock forward: breached once its due instant passed). A day's
counts are read only once the day is over, when the running clock's due instant has passed too —
so a day's counts equal the judged clocks of that day counted from the clocks themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select

from slakeeper.adapters.db import tables as t

DAY = 86_400 * 1_000_000  # µs
KEY = ("day", "metric", "policy", "priority", "group_name", "customer", "service", "outcome")
# report dimensions held in the table (a ticket's channel and assignee are not: reports by those
# count the clocks)
COLUMNS = {
    "metric": "metric",
    "policy": "policy",
    "priority": "priority",
    "group": "group_name",
    "customer": "customer",
    "service": "service",
}


def counted(condition: Any) -> Select[Any]:
    """The counts the clocks matching ``condition`` contribute: rows of (*KEY, n)."""
    c = t.clocks.c
    breached = or_(c.breached.is_(True), c.status.in_(("active", "paused")))
    met = and_(c.status == "achieved", c.breached.is_(False))
    at = case((breached, c.due_at), else_=c.stopped_at)
    columns = [
        (at // DAY).label("day"),
        c.metric,
        c.policy,
        *(func.coalesce(c[name], "").label(name) for name in KEY[3:7]),
        case((breached, literal("breached")), else_=literal("met")).label("outcome"),
    ]
    return (
        select(*columns, func.count())
        .where(or_(breached, met), at.is_not(None), condition)
        .group_by(*(column.element if hasattr(column, "element") else column for column in columns))
    )
