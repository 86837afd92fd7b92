"""The store's availability reads and writes: incidents and their change log, measurements and
issued statements (mixed into :class:`~slakeeper.adapters.db.store.SqlStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, func, insert, or_, select, update

from slakeeper.adapters.db import tables as t
from slakeeper.domain.availability import Incident, Slice
from slakeeper.service.records import IncidentChange, StatementRow


class AvailabilityStore:
    connection: Connection

    if TYPE_CHECKING:  # SqlStore, which mixes this in, provides it

        def _upsert(
            self, table: Any, rows: list[dict[str, Any]], keys: Sequence[str], adding: bool = False
        ) -> None: ...

    def incident(self, incident_id: str) -> Incident | None:
        row = self.connection.execute(
            select(t.incidents).where(t.incidents.c.id == incident_id)
        ).first()
        return None if row is None else _incident(row)

    def insert_incident(self, incident: Incident, now: int) -> None:
        self.connection.execute(
            insert(t.incidents).values(**_incident_values(incident), created_at=now, updated_at=now)
        )

    def change_incident(self, incident: Incident, change: IncidentChange) -> None:
        """Overwrite an incident and log what changed, when, by whom and why."""
        self.connection.execute(
            update(t.incidents)
            .where(t.incidents.c.id == incident.id)
            .values(**_incident_values(incident), updated_at=change.at)
        )
        self.connection.execute(
            insert(t.incident_changes).values(
                incident=change.incident,
                at=change.at,
                author=change.author,
                reason=change.reason,
                before=orjson.dumps(change.before).decode(),
                after=orjson.dumps(change.after).decode(),
            )
        )

    def incident_changes(self, incident_id: str) -> list[IncidentChange]:
        c = t.incident_changes.c
        rows = self.connection.execute(
            select(t.incident_changes).where(c.incident == incident_id).order_by(c.seq)
        )
        return [
            IncidentChange(
                r.incident, r.at, r.author, r.reason, orjson.loads(r.before), orjson.loads(r.after)
            )
            for r in rows
        ]

    def incidents_between(
        self, service: str | None, start: int | None, end: int | None
    ) -> list[Incident]:
        """Incidents overlapping ``[start, end)`` (open ones run on), oldest first."""
        c = t.incidents.c
        conditions: list[Any] = []
        if service is not None:
            conditions.append(c.service == service)
        if end is not None:
            conditions.append(c.start_at < end)
        if start is not None:
            conditions.append(or_(c.end_at.is_(None), c.end_at > start))
        stmt = select(t.incidents).where(*conditions).order_by(c.start_at, c.id)
        return [_incident(r) for r in self.connection.execute(stmt)]

    def add_measurements(self, service: str, rows: Sequence[Slice]) -> None:
        """Insert or overwrite a service's measurements by start instant."""
        self._upsert(
            t.measurements,
            [
                {
                    "service": service,
                    "start_at": s.start,
                    "end_at": s.end,
                    "good": s.good,
                    "total": s.total,
                }
                for s in rows
            ],
            ("service", "start_at"),
        )

    def measurement_columns(
        self, service: str, start: int, end: int
    ) -> tuple[list[int], list[int], list[int]]:
        """A service's measurements starting in ``[start, end)`` as columns (starts, goods,
        totals) in start order: what the numpy form of the indicator reads."""
        m = t.measurements.c
        stmt = (
            select(m.start_at, m.good, m.total)
            .where(m.service == service, m.start_at >= start, m.start_at < end)
            .order_by(m.start_at)
        )
        rows = self.connection.execute(stmt).all()
        return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]

    def statements(self, period: str, customer: str | None) -> list[StatementRow]:
        """Every issued version of the period's statements, by customer then version."""
        s = t.statements.c
        conditions = [s.period == period]
        if customer is not None:
            conditions.append(s.customer == customer)
        stmt = select(t.statements).where(*conditions).order_by(s.customer, s.version)
        return [
            StatementRow(
                r.customer, r.period, r.version, r.issued_at, r.reason, orjson.loads(r.body)
            )
            for r in self.connection.execute(stmt)
        ]

    def add_statement(self, row: StatementRow) -> None:
        self.connection.execute(
            insert(t.statements).values(
                customer=row.customer,
                period=row.period,
                version=row.version,
                issued_at=row.issued_at,
                reason=row.reason,
                body=orjson.dumps(row.body).decode(),
            )
        )

    def signal_states(self, service: str, objective: str) -> dict[str, tuple[int, bool]]:
        """The objective's signals as last seen: signal → (episode, holding)."""
        a = t.availability_signals.c
        rows = self.connection.execute(
            select(a.signal, a.episode, a.active).where(
                a.service == service, a.objective == objective
            )
        )
        return {r.signal: (int(r.episode), bool(r.active)) for r in rows}

    def set_signal_states(
        self, service: str, objective: str, states: dict[str, tuple[int, bool]], now: int
    ) -> None:
        rows = [
            {
                "service": service,
                "objective": objective,
                "signal": signal,
                "episode": episode,
                "active": active,
                "changed_at": now,
            }
            for signal, (episode, active) in sorted(states.items())
        ]
        self._upsert(t.availability_signals, rows, ("service", "objective", "signal"))

    def latest_statement_versions(self, period: str) -> dict[str, int]:
        s = t.statements.c
        stmt = (
            select(s.customer, func.max(s.version)).where(s.period == period).group_by(s.customer)
        )
        return {customer: int(version) for customer, version in self.connection.execute(stmt)}


def _incident_values(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "service": incident.service,
        "components": orjson.dumps(list(incident.components)).decode(),
        "impact": incident.impact,
        "start_at": incident.start,
        "end_at": incident.end,
        "title": incident.title,
    }


def _incident(row: Any) -> Incident:
    return Incident(
        row.id,
        row.service,
        row.start_at,
        row.end_at,
        row.impact,
        tuple(orjson.loads(row.components)),
        row.title,
    )
