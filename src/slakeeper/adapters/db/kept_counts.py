"""The kept counts of judged clocks: per UTC day and clock dimension (``tables.judged_days``), per
UTC day and ticket dimension (``tables.ticket_judged_days``) and breaches per UTC quarter hour and
customer (``tables.breach_slices``). Derivation counts what each write changes
(``service.derive``) and the store appends it to ``tables.kept_deltas``; folding adds the deltas
into the tables and readers add the ones not folded yet (:func:`with_deltas`); :func:`counted`
is the recount in SQL.

A clock is counted by the outcome it will be judged by if nothing more happens to it: met when it
stopped unbreached; breached at its due instant when it is flagged breached or still running
(docs/metrics.md brings a running clock forward: breached once its due instant passed). A day or
quarter hour is read only once it is over, when the running clock's due instant has passed too —
so its counts equal the judged clocks counted from the clocks themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select, union_all

from slakeeper.adapters.db import tables as t
from slakeeper.domain.reports import QUARTER_HOUR

SLICE = QUARTER_HOUR  # µs
PER_DAY = 96  # quarter hours
DIMENSIONS = (  # of a counted clock: its own, then its ticket's
    "metric",
    "policy",
    "priority",
    "group_name",
    "customer",
    "service",
    "channel",
    "assignee",
)
DAY_KEY = ("day", *DIMENSIONS[:6], "outcome")
TICKET_DAY_KEY = ("day", "customer", "channel", "assignee", "outcome")
SLICE_KEY = ("slice", "customer")
KEYS = {"judged_days": DAY_KEY, "ticket_judged_days": TICKET_DAY_KEY, "breach_slices": SLICE_KEY}
# report dimensions each daily table holds, and their columns: the clock's own in judged_days;
# the customer and the ticket's channel and assignee in ticket_judged_days (the dashboard's
# compliance by channel or assignee for a customer or all; with a metric too, the clocks count)
COLUMNS = {
    "judged_days": {
        "metric": "metric",
        "policy": "policy",
        "priority": "priority",
        "group": "group_name",
        "customer": "customer",
        "service": "service",
    },
    "ticket_judged_days": {
        "customer": "customer",
        "channel": "channel",
        "assignee": "assignee",
    },
}


def judged(now: int | None = None) -> tuple[Any, Any]:
    """(breached, met) as conditions on a clock row (docs/metrics.md): met when it stopped in
    time; breached once its due instant passed unmet — at ``now`` a running row is brought
    forward; without ``now``, as the kept counts count it: a running row's breach ahead.
    Either way it is judged at its due instant when breached and at its stop when met."""
    c = t.clocks.c
    live = c.status.in_(("active", "paused"))
    ahead = live if now is None else and_(live, c.due_at < now)
    return or_(c.breached.is_(True), ahead), and_(c.status == "achieved", c.breached.is_(False))


def counted() -> Select[Any]:
    """What every clock counts, by quarter hour: rows of (slice, *DIMENSIONS, outcome, n), a
    dimension without a value as '' — the recount, in SQL; the rule is
    ``slakeeper.domain.reports.eventually`` (tests hold the kept counts equal to a recount)."""
    c, k = t.clocks.c, t.tickets.c
    breached, met = judged()
    at = case((breached, c.due_at), else_=c.stopped_at)
    columns = [
        (at // SLICE).label("slice"),
        *(func.coalesce(c[name], "").label(name) for name in DIMENSIONS[:6]),
        *(func.coalesce(k[name], "").label(name) for name in DIMENSIONS[6:]),
        case((breached, literal("breached")), else_=literal("met")).label("outcome"),
    ]
    return (
        select(*columns, func.count().label("n"))
        .select_from(t.clocks.join(t.tickets, k.id == c.ticket))
        .where(or_(breached, met), at.is_not(None))
        .group_by(*(column.element for column in columns))
    )


def by_day(counts: Any, key: tuple[str, ...]) -> Select[Any]:
    """``counts`` (a subquery of :func:`counted`) as daily rows of ``key``."""
    day = (counts.c.slice // PER_DAY).label("day")
    keys = [day, *(counts.c[name] for name in key[1:])]
    return select(*keys, func.sum(counts.c.n)).group_by(day, *keys[1:])


def breaches(counts: Any) -> Select[Any]:
    """``counts`` (a subquery of :func:`counted`) as breach_slices rows."""
    keys = [counts.c.slice, counts.c.customer]
    return select(*keys, func.sum(counts.c.n)).where(counts.c.outcome == "breached").group_by(*keys)


def changes(
    before: Mapping[tuple[Any, ...], int], after: Mapping[tuple[Any, ...], int]
) -> list[tuple[str, tuple[str, ...], list[dict[str, Any]]]]:
    """What to add to each kept table — (table, key, rows) — when clocks that counted
    ``before`` count ``after`` (rows keyed (quarter hour, *DIMENSIONS, outcome), as the
    service counts them with ``reports.eventually``), in key order."""
    kept: dict[str, Counter[tuple[Any, ...]]] = {name: Counter() for name in KEYS}
    days, by_ticket, slices = kept.values()
    for counts, sign in ((before, -1), (after, 1)):
        for (slice_, *dims, outcome), n in counts.items():
            _, _, _, _, customer, _, channel, assignee = dims
            day = slice_ // PER_DAY
            days[(day, *dims[:6], outcome)] += sign * n
            by_ticket[(day, customer, channel, assignee, outcome)] += sign * n
            if outcome == "breached":
                slices[(slice_, customer)] += sign * n
    return [
        (
            table,
            KEYS[table],
            [{**dict(zip(KEYS[table], k, strict=True)), "n": n} for k, n in sorted(c.items()) if n],
        )
        for table, c in kept.items()
    ]


_DELTA_BLANK = dict.fromkeys((*DIMENSIONS, "outcome"), "")


def as_deltas(
    changed: Iterable[tuple[str, tuple[str, ...], list[dict[str, Any]]]],
) -> list[dict[str, Any]]:
    """:func:`changes` as rows of ``tables.kept_deltas``."""
    out = []
    for table, key, rows in changed:
        for row in rows:
            values = {**_DELTA_BLANK, **{k: v for k, v in row.items() if k not in key[:1]}}
            out.append({"kind": table, "bucket": row[key[0]], **values})
    return out


def folded(deltas: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """Delta rows summed per kept table and key, as rows to add (in key order)."""
    sums: dict[str, Counter[tuple[Any, ...]]] = {name: Counter() for name in KEYS}
    for d in deltas:
        key = KEYS[d.kind]
        sums[d.kind][(d.bucket, *(getattr(d, k) for k in key[1:]))] += int(d.n)
    return {
        name: [
            {**dict(zip(KEYS[name], k, strict=True)), "n": n}
            for k, n in sorted(counts.items())
            if n
        ]
        for name, counts in sums.items()
    }


def with_deltas(name: str) -> Any:
    """Kept table ``name`` with the deltas not folded into it yet: a subquery with the same
    columns (to be summed)."""
    table = t.metadata.tables[name]
    d = t.kept_deltas.c
    key = KEYS[name]
    pending = select(
        d.bucket.label(key[0]), *(d[k].label(k) for k in key[1:]), d.n.label("n")
    ).where(d.kind == name)
    return union_all(select(*(table.c[k] for k in key), table.c.n), pending).subquery(name)
