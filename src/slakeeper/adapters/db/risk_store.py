"""The store's breach-prediction reads and writes: installed risk models, what the risk watch
needs to know about the desk, and the latest risk of each running clock (mixed into
:class:`~slakeeper.adapters.db.store.SqlStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, func, insert, select, tuple_

from slakeeper.adapters.db import tables as t
from slakeeper.adapters.db.rows import clock_row
from slakeeper.domain.events import COMMENT
from slakeeper.domain.policy import DONE
from slakeeper.service.records import ClockRow, RiskRow, StoredRiskModel, TicketRow

_DONE = tuple(DONE)
_KEYS_PER_QUERY = 500


_RISK_PASS_LOCK = 0x534C4B52  # "SLKR": one risk pass at a time across workers


class RiskStore:
    connection: Connection

    def try_lock_risk_pass(self) -> bool:
        """Take the risk pass for this transaction; False when another worker holds it (on
        PostgreSQL an advisory lock; SQLite serialises writing transactions anyway)."""
        if self.connection.dialect.name != "postgresql":
            return True
        found = self.connection.exec_driver_sql(
            "SELECT pg_try_advisory_xact_lock(%s)", (_RISK_PASS_LOCK,)
        ).scalar()
        return bool(found)

    def latest_risk_model(self) -> StoredRiskModel | None:
        m = t.risk_models
        row = self.connection.execute(select(m).order_by(m.c.version.desc()).limit(1)).first()
        return None if row is None else StoredRiskModel(*row)

    def latest_risk_model_version(self) -> int | None:
        found = self.connection.execute(select(func.max(t.risk_models.c.version))).scalar()
        return None if found is None else int(found)

    def add_risk_model(self, document: str, author: str, now: int) -> int:
        result = self.connection.execute(
            insert(t.risk_models).values(created_at=now, author=author, document=document)
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def running_clocks(self, limit: int) -> list[tuple[ClockRow, TicketRow]]:
        """Active clocks, overdue ones too, with their tickets (soonest due first)."""
        c = t.clocks.c
        stmt = (
            select(t.clocks)
            .where(c.status == "active")
            .order_by(c.due_at, c.ticket, c.metric, c.cycle)
            .limit(limit)
        )
        rows = [clock_row(row) for row in self.connection.execute(stmt)]
        ids = sorted({r.clock.ticket for r in rows})
        tickets: dict[str, TicketRow] = {}
        for lo in range(0, len(ids), _KEYS_PER_QUERY):
            part = ids[lo : lo + _KEYS_PER_QUERY]
            for row in self.connection.execute(select(t.tickets).where(t.tickets.c.id.in_(part))):
                tickets[row.id] = TicketRow(*row)
        return [(r, tickets[r.clock.ticket]) for r in rows if r.clock.ticket in tickets]

    def desk_counts(self) -> tuple[dict[str | None, int], dict[str, int]]:
        """Open tickets nobody is assigned to, by group; and open tickets per assignee."""
        k = t.tickets.c
        open_ = and_(k.created_at.is_not(None), k.status.not_in(_DONE))
        unassigned = {
            row[0]: int(row[1])
            for row in self.connection.execute(
                select(k.group_name, func.count())
                .where(open_, k.assignee.is_(None))
                .group_by(k.group_name)
            )
        }
        load = {
            str(row[0]): int(row[1])
            for row in self.connection.execute(
                select(k.assignee, func.count())
                .where(open_, k.assignee.is_not(None))
                .group_by(k.assignee)
            )
        }
        return unassigned, load

    def commented_tickets(self, since: int, until: int) -> list[str]:
        """Tickets with a comment in ``[since, until]`` (index on events' type and instant)."""
        e = t.events.c
        stmt = (
            select(e.ticket)
            .where(e.type == COMMENT, e.at >= since, e.at <= until)
            .distinct()
            .order_by(e.ticket)
        )
        return [str(ticket) for ticket in self.connection.execute(stmt).scalars()]

    def replace_risks(self, rows: Sequence[RiskRow]) -> None:
        """The risks of this pass replace every risk stored before."""
        self.connection.execute(delete(t.clock_risks))
        if rows:
            self.connection.execute(
                insert(t.clock_risks),
                [
                    {
                        "ticket": r.ticket,
                        "metric": r.metric,
                        "cycle": r.cycle,
                        "risk": r.risk,
                        "reasons": orjson.dumps(list(r.reasons)).decode(),
                        "scored_at": r.scored_at,
                        "model": r.model,
                    }
                    for r in rows
                ],
            )

    def risks_of(self, keys: Sequence[tuple[str, str, int]]) -> dict[tuple[str, str, int], RiskRow]:
        r = t.clock_risks.c
        out: dict[tuple[str, str, int], RiskRow] = {}
        for lo in range(0, len(keys), _KEYS_PER_QUERY):
            part = keys[lo : lo + _KEYS_PER_QUERY]
            stmt = select(t.clock_risks).where(tuple_(r.ticket, r.metric, r.cycle).in_(part))
            for row in self.connection.execute(stmt):
                found = _risk_row(row)
                out[(found.ticket, found.metric, found.cycle)] = found
        return out

    def risky_clocks(self, min_risk: float, customer: str | None, limit: int) -> list[ClockRow]:
        """Running clocks whose latest risk is at least ``min_risk``, riskiest first."""
        c, r = t.clocks.c, t.clock_risks.c
        conditions = [r.risk >= min_risk, c.status == "active"]
        if customer is not None:
            conditions.append(c.customer == customer)
        stmt = (
            select(t.clocks)
            .join(
                t.clock_risks,
                and_(r.ticket == c.ticket, r.metric == c.metric, r.cycle == c.cycle),
            )
            .where(*conditions)
            .order_by(r.risk.desc(), c.due_at)
            .limit(limit)
        )
        return [clock_row(row) for row in self.connection.execute(stmt)]


def _risk_row(row: Any) -> RiskRow:
    return RiskRow(
        str(row.ticket),
        str(row.metric),
        int(row.cycle),
        float(row.risk),
        tuple(orjson.loads(row.reasons)),
        int(row.scored_at),
        int(row.model),
    )
