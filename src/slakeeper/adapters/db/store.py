"""The SQL store: every read and write the service layer needs, inside one transaction.

A :class:`SqlUnitOfWork` opens a transaction and hands out a :class:`SqlStore` bound to it; it
commits when the block ends without an error and rolls back otherwise. Only the unit of work
commits. Rows are mapped to plain values explicitly; the store knows nothing of HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger as BigIntegerType

from slakeeper.adapters.db import kept_counts
from slakeeper.adapters.db import tables as t
from slakeeper.adapters.db.advice_store import AdviceStore
from slakeeper.adapters.db.availability_store import AvailabilityStore
from slakeeper.adapters.db.engine import is_sqlite
from slakeeper.adapters.db.risk_store import RiskStore
from slakeeper.adapters.db.rows import clock_row as _clock_row
from slakeeper.domain.policy import METRICS
from slakeeper.service.records import (
    AlertFilter,
    AlertRow,
    AttemptRow,
    ClockFilter,
    ClockRow,
    DeliveryOutcome,
    DeliveryRow,
    NewAlert,
    NewDelivery,
    StoredConfig,
    StoredEvent,
    TicketRow,
    TokenRow,
)

_CONFIG_LOCK = 0x534C4B43  # "SLKC": the advisory lock between batches and configuration changes
_COPY_FROM = 50  # rows; below this a plain INSERT is quicker than setting up a COPY

_PG_TYPES = {
    "Text": "text",
    "String": "text",
    "Integer": "integer",
    "BigInteger": "bigint",
    "Boolean": "boolean",
}


_DELETE_CLOCKS = delete(t.clocks).where(t.clocks.c.ticket == bindparam("b_ticket"))
_STATEMENTS: dict[tuple[object, ...], Any] = {}
# lease and read pending deliveries in one round trip, columns named in the order the row
# mappers (_delivery_row, _alert_row) read them
_CLAIM_PG = (
    "WITH claimed AS (UPDATE deliveries SET next_attempt_at = %(lease)s WHERE id IN "
    "(SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= %(now)s "
    "ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) RETURNING "
    + ", ".join(f'"{c.name}"' for c in t.deliveries.c)
    + ") SELECT "
    + ", ".join(f'claimed."{c.name}"' for c in t.deliveries.c)
    + ", "
    + ", ".join(f'alerts."{c.name}"' for c in t.alerts.c)
    + " FROM claimed JOIN alerts ON alerts.id = claimed.alert_id ORDER BY claimed.id"
)  # statements that are costly to build, by shape


def _upsert_statement(
    table: Any, columns: Sequence[str], keys: Sequence[str], lite: bool, adding: bool
) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE: an executemany statement on SQLite, SQL over arrays
    (``unnest``) on PostgreSQL. ``adding``: the other columns are added to, not overwritten."""
    if lite:
        stmt = sqlite.insert(table)
        return stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={
                c: table.c[c] + stmt.excluded[c] if adding else stmt.excluded[c]
                for c in columns
                if c not in keys
            },
        )
    names = ", ".join(f'"{c}"' for c in columns)
    arrays = ", ".join(f"%b::{_PG_TYPES[type(table.c[c].type).__name__]}[]" for c in columns)
    updates = ", ".join(
        f'"{c}" = "{table.name}"."{c}" + EXCLUDED."{c}"' if adding else f'"{c}" = EXCLUDED."{c}"'
        for c in columns
        if c not in keys
    )
    conflict = ", ".join(f'"{k}"' for k in keys)
    return (
        f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({arrays}) '
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )


class SqlStore(AvailabilityStore, RiskStore, AdviceStore):
    """Reads and writes within the unit of work's transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._sqlite = connection.dialect.name == "sqlite"

    # -- configuration -------------------------------------------------------------------------

    def latest_config(self) -> StoredConfig | None:
        row = self.connection.execute(
            select(t.config_versions).order_by(t.config_versions.c.version.desc()).limit(1)
        ).first()
        return None if row is None else StoredConfig(*row)

    def latest_version(self) -> int | None:
        found = self.connection.execute(select(func.max(t.config_versions.c.version))).scalar()
        return None if found is None else int(found)

    def config_version(self, version: int) -> StoredConfig | None:
        row = self.connection.execute(
            select(t.config_versions).where(t.config_versions.c.version == version)
        ).first()
        return None if row is None else StoredConfig(*row)

    def config_history(self, limit: int = 100) -> list[StoredConfig]:
        rows = self.connection.execute(
            select(t.config_versions).order_by(t.config_versions.c.version.desc()).limit(limit)
        )
        return [StoredConfig(*row) for row in rows]

    def add_config(self, document: str, source: str, author: str, now: int) -> int:
        result = self.connection.execute(
            insert(t.config_versions).values(
                created_at=now, author=author, document=document, source=source
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    # -- tickets and events --------------------------------------------------------------------

    def share_configuration(self) -> None:
        """Hold the configuration steady until commit: batches share it, a change excludes them.

        On PostgreSQL a transaction-scoped advisory lock (shared here); SQLite's write
        transactions already run one at a time.
        """
        if not self._sqlite:
            self.connection.exec_driver_sql(
                "SELECT pg_advisory_xact_lock_shared(%s)", (_CONFIG_LOCK,)
            )

    def change_configuration(self) -> None:
        """Wait for every batch in flight and keep new ones out until commit (PostgreSQL)."""
        if not self._sqlite:
            self.connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_CONFIG_LOCK,))

    def _insert_ignore(self, table: Any) -> Any:
        dialect = sqlite if self._sqlite else postgresql
        return dialect.insert(table)

    def lock_tickets(self, ids: Sequence[str]) -> dict[str, int]:
        """Make sure the tickets exist and hold them until commit; their stored event counts.

        One upsert per batch: on PostgreSQL ``ON CONFLICT DO UPDATE`` locks each existing row
        (taken in id order, so two batches never deadlock); SQLite's BEGIN IMMEDIATE already
        lets one writer in at a time.
        """
        ordered = sorted(set(ids))
        if not ordered:
            return {}
        key = ("lock_tickets", self._sqlite)
        stmt = _STATEMENTS.get(key)
        if stmt is None:  # built once: building an upsert copies the table's columns
            stmt = self._insert_ignore(t.tickets)
            stmt = stmt.on_conflict_do_update(
                index_elements=["id"], set_={"id": stmt.excluded.id}
            ).returning(t.tickets.c.id, t.tickets.c.event_count)
            _STATEMENTS[key] = stmt
        rows = self.connection.execute(stmt, [{"id": i} for i in ordered])
        return {row[0]: int(row[1]) for row in rows}

    def insert_events(self, rows: list[dict[str, Any]]) -> None:
        """Append new events in the order given, which becomes their arrival order (``seq``)."""
        self._append(t.events, rows)

    def add_ticket_customers(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Remember that each (ticket, customer) happened; pairs already known are kept."""
        if not pairs:
            return
        rows = [{"customer": c, "ticket": ticket} for ticket, c in sorted(set(pairs))]
        stmt = self._insert_ignore(t.ticket_customers).on_conflict_do_nothing()
        self.connection.execute(stmt, rows)

    def _upsert(
        self, table: Any, rows: list[dict[str, Any]], keys: Sequence[str], adding: bool = False
    ) -> None:
        """Insert or update rows by ``keys`` (``adding``: add to the other columns): one
        statement over arrays on PostgreSQL."""
        if not rows:
            return
        columns = tuple(rows[0])
        key = ("upsert", table.name, columns, tuple(keys), self._sqlite, adding)
        stmt = _STATEMENTS.get(key)
        if stmt is None:  # built once per shape
            stmt = _upsert_statement(table, columns, keys, self._sqlite, adding)
            _STATEMENTS[key] = stmt
        if self._sqlite:
            self.connection.execute(stmt, rows)
        else:
            self.connection.exec_driver_sql(stmt, tuple([row[c] for row in rows] for c in columns))

    def _append(self, table: Any, rows: list[dict[str, Any]]) -> None:
        """Bulk insert: COPY on PostgreSQL (an order of magnitude faster), executemany on SQLite."""
        if not rows:
            return
        if self._sqlite or len(rows) < _COPY_FROM:
            self.connection.execute(insert(table), rows)
            return
        columns = list(rows[0])
        raw = self.connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])

    def _one_of_ids(self, column: Any, values: Sequence[int]) -> Any:
        return self._one_of(column, values, BigIntegerType)

    def _one_of(self, column: Any, values: Sequence[str] | Sequence[int], kind: Any = Text) -> Any:
        """``column`` is one of ``values``, as ONE bound parameter (an array on PostgreSQL, a JSON
        list on SQLite): an expanding ``IN (...)`` is re-rendered on every call, which grows
        expensive with the compiled-statement cache."""
        if self._sqlite:
            listed = func.json_each(orjson.dumps(list(values)).decode()).table_valued("value")
            return column.in_(select(listed.c.value))
        return column == any_(cast(list(values), ARRAY(kind)))

    def events_by_id(self, ids: Sequence[str]) -> dict[str, StoredEvent]:
        e = t.events.c
        rows = self.connection.execute(
            select(e.seq, e.id, e.ticket, e.at, e.body).where(self._one_of(e.id, ids))
        )
        return {row.id: StoredEvent(*row) for row in rows}

    def histories(self, tickets: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Each ticket's stored events ordered by instant, then arrival."""
        out: dict[str, list[StoredEvent]] = {ticket: [] for ticket in tickets}
        e = t.events.c
        rows = self.connection.execute(
            select(e.seq, e.id, e.ticket, e.at, e.body)
            .where(self._one_of(e.ticket, tickets))
            .order_by(e.ticket, e.at, e.seq)
        )
        for row in rows:
            out[row.ticket].append(StoredEvent(*row))
        return out

    def ticket(self, ticket: str) -> TicketRow | None:
        row = self.connection.execute(select(t.tickets).where(t.tickets.c.id == ticket)).first()
        return None if row is None or row.created_at is None else TicketRow(*row)

    def update_tickets(self, rows: Sequence[TicketRow]) -> None:
        """Write the tickets' current attributes (one statement for the whole batch)."""
        values = [
            {
                "id": r.id,
                "customer": r.customer,
                "service": r.service,
                "group_name": r.group,
                "priority": r.priority,
                "status": r.status,
                "created_at": r.created_at,
                "last_event_at": r.last_event_at,
                "event_count": r.events,
                "channel": r.channel,
                "assignee": r.assignee,
                "replies": r.replies,
                "reopens": r.reopens,
                "solved_at": r.solved_at,
                "csat_score": r.csat_score,
                "csat_at": r.csat_at,
            }
            for r in rows
        ]
        self._upsert(t.tickets, values, ("id",))

    def open_tickets(self, customers: Sequence[str] | None = None) -> dict[str, int]:
        """Tickets not closed (that have had one of these customers), with their stored event
        counts: what a new configuration re-derives (closed tickets keep the clocks they were
        judged by)."""
        c = t.tickets.c
        query = select(c.id, c.event_count).where(c.status.is_not(None), c.status != "closed")
        if customers is not None:  # every ticket that has had one of them, not only now
            had = select(t.ticket_customers.c.ticket).where(
                t.ticket_customers.c.customer.in_(list(customers))
            )
            query = query.where(c.id.in_(had))
        rows = self.connection.execute(query.order_by(c.id))
        return {row.id: int(row.event_count) for row in rows}

    def count_tickets(self) -> int:
        return int(
            self.connection.execute(select(func.count()).select_from(t.tickets)).scalar_one()
        )

    # -- clocks --------------------------------------------------------------------------------

    def replace_clocks(
        self, tickets: Sequence[str], rows: list[ClockRow], version: int | None
    ) -> None:
        """All clocks of ``tickets`` become ``rows``."""
        if tickets:
            # one cached statement run per ticket: an expanding IN list is re-rendered per call
            self.connection.execute(_DELETE_CLOCKS, [{"b_ticket": ticket} for ticket in tickets])
        self._append(t.clocks, [_clock_values(r, version) for r in rows])

    def upsert_clocks(self, rows: list[ClockRow], version: int | None) -> None:
        """Insert or overwrite these clocks (by ticket, metric and cycle)."""
        self._upsert(
            t.clocks, [_clock_values(r, version) for r in rows], ("ticket", "metric", "cycle")
        )

    def delete_clocks(self, keys: Sequence[tuple[str, str, int]]) -> None:
        c = t.clocks.c
        for ticket, metric, cycle in keys:
            self.connection.execute(
                delete(t.clocks).where(c.ticket == ticket, c.metric == metric, c.cycle == cycle)
            )

    def kept_rows(self, tickets: Sequence[str]) -> list[tuple[ClockRow, str | None, str | None]]:
        """The tickets' stored clock rows with the ticket's channel and assignee: what they
        count in the kept counts before a write replaces them (one read by primary key)."""
        if not tickets:
            return []
        c, k = t.clocks.c, t.tickets.c
        stmt = (
            select(t.clocks, k.channel, k.assignee)
            .join(t.tickets, k.id == c.ticket)
            .where(self._one_of(c.ticket, sorted(set(tickets))))
        )
        return [(_clock_row(r), r.channel, r.assignee) for r in self.connection.execute(stmt)]

    def add_kept_changes(
        self, before: Mapping[tuple[Any, ...], int], after: Mapping[tuple[Any, ...], int]
    ) -> None:
        """Record what a write changed in the kept counts — rows of (quarter hour, metric,
        policy, priority, group, customer, service, channel, assignee, outcome) counted before
        and after it — appended as deltas, not added in place: concurrent writers would queue
        on the same rows. :meth:`fold_counts` adds them up."""
        changed = kept_counts.changes(before, after)
        self._append(t.kept_deltas, kept_counts.as_deltas(changed))

    def fold_counts(self, limit: int = 50_000) -> int:
        """Add up to ``limit`` of the oldest pending deltas into the kept tables and drop them
        (rows other folders hold are skipped); the number folded."""
        d = t.kept_deltas.c
        oldest = select(d.seq).order_by(d.seq).limit(limit)
        if self._sqlite:
            rows = self.connection.execute(
                select(t.kept_deltas).where(d.seq.in_(oldest.scalar_subquery()))
            ).all()
            if rows:
                self.connection.execute(
                    delete(t.kept_deltas).where(d.seq <= max(r.seq for r in rows))
                )
        else:
            rows = self.connection.execute(
                delete(t.kept_deltas)
                .where(d.seq.in_(oldest.with_for_update(skip_locked=True).scalar_subquery()))
                .returning(*t.kept_deltas.c)
            ).all()
        for name, changed in kept_counts.folded(rows).items():
            self._upsert(t.metadata.tables[name], changed, kept_counts.KEYS[name], adding=True)
        return len(rows)

    def recount(self) -> None:
        """Count the kept judged-clock counts afresh from every clock (after rows were written
        around the store, or to check the kept ones)."""
        self.connection.execute(delete(t.kept_deltas))
        counts = kept_counts.counted().subquery()
        for table, key, rows in (
            (t.judged_days, kept_counts.DAY_KEY, kept_counts.by_day(counts, kept_counts.DAY_KEY)),
            (
                t.ticket_judged_days,
                kept_counts.TICKET_DAY_KEY,
                kept_counts.by_day(counts, kept_counts.TICKET_DAY_KEY),
            ),
            (t.breach_slices, kept_counts.SLICE_KEY, kept_counts.breaches(counts)),
        ):
            self.connection.execute(delete(table))
            self.connection.execute(insert(table).from_select([*key, "n"], rows))

    def clocks(
        self, f: ClockFilter, after: tuple[str, int, int] | None, limit: int
    ) -> list[ClockRow]:
        """Clocks matching ``f`` in (ticket, metric, cycle) order, after the cursor ``after``."""
        c = t.clocks.c
        conditions: list[Any] = []
        for column, value in (
            (c.status, f.status),
            (c.policy, f.policy),
            (c.customer, f.customer),
            (c.service, f.service),
            (c.group_name, f.group),
            (c.metric, f.metric),
        ):
            if value is not None:
                conditions.append(column == value)
        late = and_(c.status == "active", c.due_at < f.now)
        if f.breached is True:
            conditions.append(or_(c.breached.is_(True), late))
        elif f.breached is False:
            conditions.append(and_(c.breached.is_(False), ~late))
        if f.due_after is not None:
            conditions.append(c.due_at >= f.due_after)
        if f.due_before is not None:
            conditions.append(c.due_at < f.due_before)
        if after is not None:
            ticket, metric_index, cycle = after
            metric = METRICS[metric_index]
            conditions.append(
                or_(
                    c.ticket > ticket,
                    and_(c.ticket == ticket, c.metric > metric),
                    and_(c.ticket == ticket, c.metric == metric, c.cycle > cycle),
                )
            )
        stmt = (
            select(t.clocks).where(*conditions).order_by(c.ticket, c.metric, c.cycle).limit(limit)
        )
        return [_clock_row(row) for row in self.connection.execute(stmt)]

    def due_between(self, start: int, end: int, customer: str | None, limit: int) -> list[ClockRow]:
        """Running clocks due in ``[start, end)``, soonest first (the at-risk queue; index scan)."""
        c = t.clocks.c
        conditions = [c.status == "active", c.due_at >= start, c.due_at < end]
        if customer is not None:
            conditions.append(c.customer == customer)
        stmt = select(t.clocks).where(*conditions).order_by(c.due_at, c.ticket).limit(limit)
        return [_clock_row(row) for row in self.connection.execute(stmt)]

    def clock_counts(self) -> dict[tuple[str, str], int]:
        c = t.clocks.c
        rows = self.connection.execute(
            select(c.metric, c.status, func.count()).group_by(c.metric, c.status)
        )
        return {(row[0], row[1]): int(row[2]) for row in rows}

    # -- reports -------------------------------------------------------------------------------

    def judged_between(
        self, start: int, end: int, now: int, customer: str | None
    ) -> tuple[list[ClockRow], list[TicketRow]]:
        """Clocks judged in ``[start, end)`` (met when they stopped, breached at their due
        instant), and their tickets: what the periodic review folds."""
        c = t.clocks.c
        breached, met = kept_counts.judged(now)
        conditions = [
            or_(
                and_(breached, c.due_at >= start, c.due_at < end),
                and_(met, c.stopped_at >= start, c.stopped_at < end),
            )
        ]
        if customer is not None:
            conditions.append(c.customer == customer)
        rows = [
            _clock_row(r)
            for r in self.connection.execute(
                select(t.clocks).where(*conditions).order_by(c.ticket, c.metric, c.cycle)
            )
        ]
        ids = sorted({r.clock.ticket for r in rows})
        found: list[TicketRow] = []
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            found.extend(
                TicketRow(*r)
                for r in self.connection.execute(
                    select(t.tickets).where(self._one_of(t.tickets.c.id, chunk))
                )
            )
        return rows, found

    def breach_slice_counts(
        self, first: int, last: int, customer: str | None
    ) -> list[tuple[str | None, int, int]]:
        """The kept counts of breaches in the UTC quarter hours ``[first, last)`` (quarter hours
        since the epoch; read only those that are over): rows of (customer, slice, count)."""
        b = kept_counts.with_deltas("breach_slices").c
        conditions = [b.slice >= first, b.slice < last]
        if customer is not None:
            conditions.append(b.customer == customer)
        stmt = (
            select(b.customer, b.slice, func.sum(b.n))
            .where(*conditions)
            .group_by(b.customer, b.slice)
            .having(func.sum(b.n) != 0)
        )
        return [(r[0] or None, int(r[1]), int(r[2])) for r in self.connection.execute(stmt)]

    def latest_breaches(
        self, start: int, end: int, now: int, customer: str | None, limit: int
    ) -> list[tuple[ClockRow, int]]:
        """The ``limit`` clocks breached in ``[start, end)`` that are latest at ``now`` — late
        until they stopped, or until ``now`` while they run — with how late (µs), in
        :func:`slakeeper.domain.review.worst_first` order: the review's example breaches.

        Stopped breaches are read down the lateness index (the periods before and after are
        stepped over: a walk of a few times ``limit`` rows per period the store holds), running
        ones up the due instants of the clocks without a stop; each until ``limit`` are found
        and every clock tied with the last of them, so the order among ties is settled here.
        """
        c = t.clocks.c
        scope = [c.customer == customer] if customer is not None else []
        lateness = c.stopped_at - c.due_at

        def later_stop(tie: int) -> Any:
            return lateness >= tie

        def earlier_due(tie: int) -> Any:
            return c.due_at <= now - tie

        stopped = (
            lateness,
            # the due instant as an expression: no planner reads the period's clocks by it and
            # sorts them, rather than walk the lateness index
            [
                c.breached.is_(True),
                c.stopped_at.is_not(None),  # with the line above: the lateness indexes' rows
                c.due_at + 0 >= start,
                c.due_at + 0 < end,
            ],
            lateness.desc(),
            later_stop,
        )
        running = (
            now - c.due_at,
            [
                c.stopped_at.is_(None),
                c.due_at >= start,
                c.due_at < min(end, now),
                kept_counts.judged()[0],  # breached by now: due before it
            ],
            c.due_at,
            earlier_due,
        )
        found: list[tuple[ClockRow, int]] = []
        for late, conditions, order, tied in (stopped, running):
            stmt = select(t.clocks, late.label("late")).where(*conditions, *scope)
            rows = list(self.connection.execute(stmt.order_by(order).limit(limit)))
            if len(rows) == limit:
                rows = list(self.connection.execute(stmt.where(tied(rows[-1][-1]))))
            found.extend((_clock_row(r), int(r[-1])) for r in rows)
        found.sort(
            key=lambda x: (
                -x[1],
                x[0].clock.ticket,
                METRICS.index(x[0].clock.metric),
                x[0].clock.cycle,
            )
        )
        return found[:limit]

    def judged_counts(
        self,
        dimensions: Sequence[str],
        now: int | None,
        start: int | None,
        end: int | None,
        customer: str | None,
        bucket: int | None,
        where: Sequence[tuple[str, str]] = (),
    ) -> list[tuple[Any, ...]]:
        """Judged clocks counted by ``dimensions``, by ``bucket``-µs slice of the instant they
        were judged (when given) and by outcome: rows of (*values, slice, outcome, count).
        ``where`` keeps the clocks whose dimension equals a value (``("priority", "high")``).

        A clock is judged met when it stopped unbreached, breached once its due instant passed
        (docs/metrics.md); the window selects by that instant, through the indexes on the due
        and stop instants. Without ``now`` the clocks are counted as the kept counts count them
        (a running clock's breach ahead, at its due instant).
        """
        c, k = t.clocks.c, t.tickets.c
        breached, met = kept_counts.judged(now)
        judged_at = case((breached, c.due_at), else_=c.stopped_at)
        chosen = _dimension_columns(dimensions)
        slice_ = (judged_at // bucket).label("slice") if bucket else literal(0).label("slice")
        outcome = case((breached, literal("breached")), else_=literal("met")).label("outcome")

        def within(column: Any) -> list[Any]:
            found = []
            if start is not None:
                found.append(column >= start)
            if end is not None:
                found.append(column < end)
            return found

        conditions = [
            or_(and_(breached, *within(c.due_at)), and_(met, *within(c.stopped_at))),
        ]
        if customer is not None:
            conditions.append(c.customer == customer)
        filters = _dimension_columns([d for d, _ in where])
        conditions.extend(f.element == v for f, (_, v) in zip(filters, where, strict=True))
        source: Any = t.clocks
        if any(d in ("channel", "assignee") for d in [*dimensions, *(d for d, _ in where)]):
            source = t.clocks.join(t.tickets, k.id == c.ticket)
        groups = [*chosen, slice_, outcome] if bucket else [*chosen, outcome]
        stmt = (
            select(*chosen, slice_, outcome, func.count())
            .select_from(source)
            .where(*conditions)
            .group_by(*(g.element if hasattr(g, "element") else g for g in groups))
        )
        return [tuple(row) for row in self.connection.execute(stmt)]

    def judged_day_counts(
        self,
        dimensions: Sequence[str],
        first: int | None,
        last: int,
        customer: str | None,
        where: Sequence[tuple[str, str]] = (),
    ) -> list[tuple[Any, ...]] | None:
        """The kept counts of judged clocks on UTC days ``[first, last)`` (days since the epoch;
        read only days that are over): rows of (*values, day, outcome, count), as
        :meth:`judged_counts` gives them — from the daily table that holds every dimension
        asked for (``kept_counts.COLUMNS``), None when neither does."""
        asked = {*dimensions, *(name for name, _ in where)}
        table = next((n for n, held in kept_counts.COLUMNS.items() if asked <= held.keys()), None)
        if table is None:
            return None
        columns = kept_counts.COLUMNS[table]
        d = kept_counts.with_deltas(table).c
        chosen = [d[columns[name]].label(f"d{i}") for i, name in enumerate(dimensions)]
        conditions = [d.day < last]
        if first is not None:
            conditions.append(d.day >= first)
        if customer is not None:
            conditions.append(d.customer == customer)
        conditions.extend(d[columns[name]] == value for name, value in where)
        stmt = (
            select(*chosen, d.day, d.outcome, func.sum(d.n))
            .where(*conditions)
            .group_by(*(c.element for c in chosen), d.day, d.outcome)
            .having(func.sum(d.n) != 0)  # a count every clock has moved away from
        )
        return [
            (*(v or None for v in row[: len(chosen)]), *row[len(chosen) :])
            for row in self.connection.execute(stmt)
        ]

    def achieved_durations(
        self,
        metric: str,
        dimensions: Sequence[str],
        start: int | None,
        end: int | None,
        customer: str | None,
        bucket: int | None,
    ) -> list[tuple[Any, ...]]:
        """Every achieved cycle of ``metric`` stopped in ``[start, end)``: rows of (*values of
        ``dimensions``, ``bucket``-µs slice of the stop instant or 0, business µs (the clock's
        elapsed time), calendar µs (stop − start)), through the index on the stop instant."""
        c, k = t.clocks.c, t.tickets.c
        chosen = _dimension_columns(dimensions)
        slice_ = (c.stopped_at // bucket) if bucket else literal(0)
        conditions: list[Any] = [
            c.metric == metric,
            c.status == "achieved",
            c.stopped_at.is_not(None),
        ]
        if start is not None:
            conditions.append(c.stopped_at >= start)
        if end is not None:
            conditions.append(c.stopped_at < end)
        if customer is not None:
            conditions.append(c.customer == customer)
        source: Any = t.clocks
        if any(d in ("channel", "assignee") for d in dimensions):
            source = t.clocks.join(t.tickets, k.id == c.ticket)
        stmt = (
            select(
                *chosen,
                slice_.label("slice"),
                c.elapsed,
                (c.stopped_at - c.started_at).label("calendar"),
            )
            .select_from(source)
            .where(*conditions)
        )
        return [tuple(row) for row in self.connection.execute(stmt)]

    def first_contact_counts(
        self,
        dimensions: Sequence[str],
        start: int | None,
        end: int | None,
        customer: str | None,
    ) -> list[tuple[Any, ...]]:
        """Tickets first solved in ``[start, end)`` counted by ``dimensions`` (ticket attributes:
        priority, group, assignee, customer, service, channel): rows of (*values, solved,
        solved after exactly one reply and never reopened, reopened at least once)."""
        k = t.tickets.c
        columns = {
            "priority": k.priority,
            "group": k.group_name,
            "assignee": k.assignee,
            "customer": k.customer,
            "service": k.service,
            "channel": k.channel,
        }
        chosen = [columns[d] for d in dimensions]
        one_touch = func.sum(case((and_(k.replies == 1, k.reopens == 0), 1), else_=0))
        reopened = func.sum(case((k.reopens > 0, 1), else_=0))
        conditions: list[Any] = [k.solved_at.is_not(None), k.created_at.is_not(None)]
        if start is not None:
            conditions.append(k.solved_at >= start)
        if end is not None:
            conditions.append(k.solved_at < end)
        if customer is not None:
            conditions.append(k.customer == customer)
        stmt = (
            select(
                *(column.label(f"d{i}") for i, column in enumerate(chosen)),
                func.count().label("solved"),
                one_touch.label("one_touch"),
                reopened.label("reopened"),
            )
            .where(*conditions)
            .group_by(*chosen)
        )
        return [tuple(row) for row in self.connection.execute(stmt)]

    def satisfaction_counts(
        self, now: int, start: int | None, end: int | None, customer: str | None
    ) -> list[tuple[str, int, int]]:
        """The last ratings given in ``[start, end)`` counted by how the ticket's SLA went and
        score: rows of (met | breached, score, tickets). Breached when any of the ticket's clocks
        is judged breached, met when it has a judged clock and none breached; a ticket with no
        judged clock is left out (docs/metrics.md)."""
        c, k = t.clocks.c, t.tickets.c
        breached, met = kept_counts.judged(now)

        def any_clock(condition: Any) -> Any:
            return (
                select(literal(1)).select_from(t.clocks).where(c.ticket == k.id, condition).exists()
            )

        sla = case((any_clock(breached), literal("breached")), else_=literal("met"))
        conditions: list[Any] = [
            k.csat_at.is_not(None),
            k.csat_score.is_not(None),
            k.created_at.is_not(None),
            any_clock(or_(breached, met)),
        ]
        if start is not None:
            conditions.append(k.csat_at >= start)
        if end is not None:
            conditions.append(k.csat_at < end)
        if customer is not None:
            conditions.append(k.customer == customer)
        rated = select(sla.label("sla"), k.csat_score.label("score")).where(*conditions).subquery()
        stmt = select(rated.c.sla, rated.c.score, func.count()).group_by(rated.c.sla, rated.c.score)
        return [(str(row[0]), int(row[1]), int(row[2])) for row in self.connection.execute(stmt)]

    # -- monitoring ----------------------------------------------------------------------------

    def claim_due_clocks(self, now: int, limit: int) -> list[ClockRow]:
        """Clocks with something to fire by ``now``, oldest first, held until commit.

        On PostgreSQL ``FOR UPDATE SKIP LOCKED``: several workers take disjoint batches and
        never wait for each other (nor for a batch of events holding a clock).
        """
        c = t.clocks.c
        stmt = (
            select(t.clocks)
            .where(c.next_check_at <= now)
            .order_by(c.next_check_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_clock_row(row) for row in self.connection.execute(stmt)]

    def set_next_checks(self, items: Sequence[tuple[str, str, int, int | None]]) -> None:
        if not items:
            return
        if self._sqlite:
            c = t.clocks.c
            stmt = _STATEMENTS.get(("next_check", True))
            if stmt is None:
                stmt = (
                    update(t.clocks)
                    .where(
                        c.ticket == bindparam("b_ticket"),
                        c.metric == bindparam("b_metric"),
                        c.cycle == bindparam("b_cycle"),
                    )
                    .values(next_check_at=bindparam("b_next"))
                )
                _STATEMENTS[("next_check", True)] = stmt
            self.connection.execute(
                stmt,
                [
                    {"b_ticket": i[0], "b_metric": i[1], "b_cycle": i[2], "b_next": i[3]}
                    for i in items
                ],
            )
            return
        self.connection.exec_driver_sql(
            "UPDATE clocks AS c SET next_check_at = v.n "
            "FROM unnest(%b::text[], %b::text[], %b::integer[], %b::bigint[]) AS v(t, m, cy, n) "
            "WHERE c.ticket = v.t AND c.metric = v.m AND c.cycle = v.cy",
            tuple([i[k] for i in items] for k in range(4)),
        )

    def insert_alerts(self, rows: Sequence[NewAlert]) -> list[AlertRow]:
        """Record alerts not recorded before (one per clock and threshold); the new ones."""
        if not rows:
            return []
        values = [
            {
                "ticket": r.ticket,
                "metric": r.metric,
                "cycle": r.cycle,
                "kind": r.kind,
                "threshold": r.threshold,
                "policy": r.policy,
                "customer": r.customer,
                "planned_at": r.planned_at,
                "fired_at": r.fired_at,
                "late": r.late,
                "payload": orjson.dumps(r.payload).decode(),
            }
            for r in rows
        ]
        if self._sqlite:
            # one statement per row: RETURNING tells which were new (a conflict returns nothing)
            stmt = self._insert_ignore(t.alerts).on_conflict_do_nothing().returning(t.alerts.c.id)
            inserted: list[AlertRow] = []
            for row, value in zip(rows, values, strict=True):
                found = self.connection.execute(stmt, value).scalar()
                if found is not None:
                    inserted.append(_new_alert_row(int(found), row))
            return inserted
        columns = tuple(values[0])
        names = ", ".join(f'"{c}"' for c in columns)
        arrays = ", ".join(f"%b::{_PG_TYPES[type(t.alerts.c[c].type).__name__]}[]" for c in columns)
        result = self.connection.exec_driver_sql(
            f"INSERT INTO alerts ({names}) SELECT * FROM unnest({arrays}) "
            "ON CONFLICT DO NOTHING RETURNING id, ticket, metric, cycle, kind, threshold",
            tuple([v[c] for v in values] for c in columns),
        )
        by_key = {r.key: r for r in rows}
        return [_new_alert_row(int(found[0]), by_key[tuple(found[1:])]) for found in result]

    def insert_deliveries(self, rows: Sequence[NewDelivery]) -> None:
        self._append(
            t.deliveries,
            [
                {
                    "alert_id": r.alert_id,
                    "action": r.action,
                    "channel": r.channel,
                    "spec": orjson.dumps(r.spec).decode(),
                    "status": r.status,
                    "attempts": 0,
                    "next_attempt_at": r.next_attempt_at,
                    "delivered_at": None,
                    "last_error": r.note,
                }
                for r in rows
            ],
        )

    def claim_deliveries(
        self, now: int, limit: int, lease_until: int
    ) -> list[tuple[DeliveryRow, AlertRow]]:
        """Pending deliveries due by ``now``, soonest first, leased until ``lease_until``: if the
        worker dies while sending, another takes them up when the lease runs out."""
        d = t.deliveries.c
        if not self._sqlite:  # one round trip: lease and read in one statement
            rows = self.connection.exec_driver_sql(
                _CLAIM_PG, {"lease": lease_until, "now": now, "limit": limit}
            )
            width = len(t.deliveries.c)
            return [(_delivery_row(r), _alert_row(r, offset=width)) for r in rows]
        ids = [
            int(i)
            for i in self.connection.execute(
                select(d.id)
                .where(d.status == "pending", d.next_attempt_at <= now)
                .order_by(d.next_attempt_at, d.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
        ]
        if not ids:
            return []
        self.connection.execute(
            update(t.deliveries)
            .where(self._one_of_ids(d.id, ids))
            .values(next_attempt_at=lease_until)
        )
        rows = self.connection.execute(
            select(t.deliveries, t.alerts)
            .join(t.alerts, t.alerts.c.id == d.alert_id)
            .where(self._one_of_ids(d.id, ids))
            .order_by(d.next_attempt_at, d.id)
        )
        return [(_delivery_row(r), _alert_row(r, offset=len(t.deliveries.c))) for r in rows]

    def record_outcomes(self, outcomes: Sequence[DeliveryOutcome]) -> int:
        """Record attempts on deliveries this worker still holds; the number recorded.

        A delivery is still held when it is pending with the lease this worker set and the
        attempt count it read; one whose lease ran out and was claimed again is left to the worker
        that holds it now (its outcome here is dropped, and the attempt counted there).
        """
        if not outcomes:
            return 0
        values = [
            (
                o.delivery_id,
                o.status,
                o.attempt.number,
                o.next_attempt_at,
                o.attempt.at if o.status == "delivered" else None,
                o.attempt.error or None,
                o.lease,
            )
            for o in outcomes
        ]
        if self._sqlite:
            held: set[int] = set()
            for v in values:
                result = self.connection.exec_driver_sql(
                    "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
                    "delivered_at = ?, last_error = ? WHERE id = ? AND status = 'pending' "
                    "AND next_attempt_at = ? AND attempts = ?",
                    (v[1], v[2], v[3], v[4], v[5], v[0], v[6], v[2] - 1),
                )
                if result.rowcount:
                    held.add(v[0])
        else:
            result = self.connection.exec_driver_sql(
                "UPDATE deliveries AS d SET status = v.s, attempts = v.n, next_attempt_at = v.na, "
                "delivered_at = v.da, last_error = v.e FROM unnest(%b::bigint[], %b::text[], "
                "%b::integer[], %b::bigint[], %b::bigint[], %b::text[], %b::bigint[]) "
                "AS v(id, s, n, na, da, e, lease) WHERE d.id = v.id AND d.status = 'pending' "
                "AND d.next_attempt_at = v.lease AND d.attempts = v.n - 1 RETURNING d.id",
                tuple([v[k] for v in values] for k in range(7)),
            )
            held = {int(row[0]) for row in result}
        self._append(
            t.delivery_attempts,
            [
                {
                    "delivery_id": o.attempt.delivery_id,
                    "number": o.attempt.number,
                    "at": o.attempt.at,
                    "status": o.attempt.status,
                    "error": o.attempt.error,
                }
                for o in outcomes
                if o.delivery_id in held
            ],
        )
        return len(held)

    def requeue_delivery(self, delivery_id: int, now: int) -> DeliveryRow | None:
        """A dead (or skipped) delivery goes back to pending, to be tried again at once."""
        d = t.deliveries.c
        self.connection.execute(
            update(t.deliveries)
            .where(d.id == delivery_id, d.status.in_(("dead", "skipped")))
            .values(status="pending", next_attempt_at=now)
        )
        row = self.connection.execute(select(t.deliveries).where(d.id == delivery_id)).first()
        return None if row is None else _delivery_row(row)

    def alerts(self, f: AlertFilter, before: int | None, limit: int) -> list[AlertRow]:
        """Alerts matching ``f``, newest first, with ids below the cursor ``before``."""
        a = t.alerts.c
        conditions: list[Any] = []
        for column, value in (
            (a.ticket, f.ticket),
            (a.customer, f.customer),
            (a.kind, f.kind),
            (a.late, f.late),
        ):
            if value is not None:
                conditions.append(column == value)
        if f.fired_after is not None:
            conditions.append(a.fired_at >= f.fired_after)
        if f.fired_before is not None:
            conditions.append(a.fired_at < f.fired_before)
        if f.delivery is not None:
            d = t.deliveries.c
            conditions.append(a.id.in_(select(d.alert_id).where(d.status == f.delivery)))
        if before is not None:
            conditions.append(a.id < before)
        stmt = select(t.alerts).where(*conditions).order_by(a.id.desc()).limit(limit)
        return [_alert_row(row) for row in self.connection.execute(stmt)]

    def deliveries_of(self, alert_ids: Sequence[int]) -> list[DeliveryRow]:
        if not alert_ids:
            return []
        d = t.deliveries.c
        rows = self.connection.execute(
            select(t.deliveries).where(self._one_of_ids(d.alert_id, alert_ids)).order_by(d.id)
        )
        return [_delivery_row(row) for row in rows]

    def attempts_of(self, delivery_ids: Sequence[int]) -> list[AttemptRow]:
        if not delivery_ids:
            return []
        x = t.delivery_attempts.c
        rows = self.connection.execute(
            select(t.delivery_attempts)
            .where(self._one_of_ids(x.delivery_id, delivery_ids))
            .order_by(x.delivery_id, x.number)
        )
        return [AttemptRow(*row) for row in rows]

    def delivery_counts(self) -> dict[str, int]:
        d = t.deliveries.c
        rows = self.connection.execute(select(d.status, func.count()).group_by(d.status))
        return {row[0]: int(row[1]) for row in rows}

    def next_check_at(self) -> int | None:
        """The earliest instant a clock has something to fire (index: ``next_check_at``)."""
        found = self.connection.execute(select(func.min(t.clocks.c.next_check_at))).scalar()
        return None if found is None else int(found)

    def next_attempt_at(self) -> int | None:
        """The earliest instant a pending delivery is to be (re)tried."""
        d = t.deliveries.c
        found = self.connection.execute(
            select(func.min(d.next_attempt_at)).where(d.status == "pending")
        ).scalar()
        return None if found is None else int(found)

    # -- tokens --------------------------------------------------------------------------------

    def add_token(
        self, name: str, role: str, customer: str | None, token_hash: str, now: int
    ) -> int:
        result = self.connection.execute(
            insert(t.api_tokens).values(
                name=name, role=role, customer=customer, token_hash=token_hash, created_at=now
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def token_by_hash(self, token_hash: str) -> TokenRow | None:
        a = t.api_tokens.c
        row = self.connection.execute(
            select(a.id, a.name, a.role, a.customer, a.created_at, a.revoked_at).where(
                a.token_hash == token_hash
            )
        ).first()
        return None if row is None else TokenRow(*row)

    def tokens(self) -> list[TokenRow]:
        a = t.api_tokens.c
        rows = self.connection.execute(
            select(a.id, a.name, a.role, a.customer, a.created_at, a.revoked_at).order_by(a.id)
        )
        return [TokenRow(*row) for row in rows]

    def revoke_token(self, token_id: int, now: int) -> bool:
        a = t.api_tokens.c
        result = self.connection.execute(
            update(t.api_tokens)
            .where(a.id == token_id, a.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)


def _clock_values(row: ClockRow, version: int | None) -> dict[str, Any]:
    c = row.clock
    return {
        "ticket": c.ticket,
        "metric": c.metric,
        "cycle": c.cycle,
        "policy": c.policy,
        "target": c.target,
        "started_at": c.started_at,
        "stopped_at": c.stopped_at,
        "status": c.status,
        "elapsed": c.elapsed,
        "due_at": c.due_at,
        "breached": c.breached,
        "customer": row.customer,
        "service": row.service,
        "group_name": row.group,
        "priority": row.priority,
        "derived_at": row.derived_at,
        "config_version": version,
        "next_check_at": row.next_check_at,
    }


def _dimension_columns(dimensions: Sequence[str]) -> list[Any]:
    """Report dimensions as labelled columns: the clock's, and the ticket's channel and assignee
    (the caller joins ``tickets`` when it asks for those)."""
    c, k = t.clocks.c, t.tickets.c
    columns = {
        "metric": c.metric,
        "policy": c.policy,
        "priority": c.priority,
        "group": c.group_name,
        "customer": c.customer,
        "service": c.service,
        "channel": k.channel,
        "assignee": k.assignee,
    }
    return [columns[d].label(f"d{i}") for i, d in enumerate(dimensions)]


def _new_alert_row(alert_id: int, r: NewAlert) -> AlertRow:
    return AlertRow(
        alert_id,
        r.ticket,
        r.metric,
        r.cycle,
        r.kind,
        r.threshold,
        r.policy,
        r.customer,
        r.planned_at,
        r.fired_at,
        r.late,
        r.payload,
    )


def _alert_row(row: Any, offset: int = 0) -> AlertRow:
    v = tuple(row)[offset:]
    return AlertRow(
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], bool(v[10]), orjson.loads(v[11])
    )


def _delivery_row(row: Any) -> DeliveryRow:
    v = tuple(row)[: len(t.deliveries.c)]
    return DeliveryRow(v[0], v[1], v[2], v[3], orjson.loads(v[4]), *v[5:])


class SqlUnitOfWork:
    """``with uow() as store:`` — one transaction; commits on success, rolls back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        # SQLite lets one writer in at a time; its busy handler sleeps in growing steps while it
        # waits, so writers of this process queue on a lock instead (other processes still wait
        # on the database's own lock).
        self._writer = threading.Lock() if self.sqlite else None

    @contextmanager
    def __call__(self) -> Iterator[SqlStore]:
        if self._writer is None:
            with self.engine.begin() as connection:
                yield SqlStore(connection)
            return
        with self._writer, self.engine.begin() as connection:
            yield SqlStore(connection)

    @contextmanager
    def read(self) -> Iterator[SqlStore]:
        """A read transaction (on SQLite a deferred one: it does not hold the write lock)."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(slakeeper_read=True)
            with connection.begin():
                yield SqlStore(connection)
