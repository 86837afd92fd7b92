"""Availability use cases: incidents (recorded, corrected with a reason), measurements, the report
of an objective over a window, and customers' monthly statements — provisional while the month
runs, issued (version 1) once it has closed, and restated (a new version saying what changed and
why) when a late correction to an incident changes a closed month's numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from slakeeper.domain.availability import (
    LOOKBACKS,
    CalendarWindow,
    Incident,
    Objective,
    Report,
    Slice,
    floor_percent,
    maintenance_of,
    measure,
    report,
)
from slakeeper.domain.availability_alerts import Signal, signals
from slakeeper.domain.availability_batch import SliceArrays, batch_measure, batch_report
from slakeeper.domain.availability_config import AvailabilityConfig
from slakeeper.domain.credits import Contract, ServiceTerms, Statement, statement
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.periods import Window, label_of, window
from slakeeper.service.configuration import ConfigCache, require_config
from slakeeper.service.ports import Store, UnitOfWork
from slakeeper.service.queries import NotFound
from slakeeper.service.records import IncidentChange, StatementRow
from slakeeper.service.reports import ReportQuery, compliance_report

UTC = ZoneInfo("UTC")
_DAY = 86_400 * 1_000_000


# -- incidents ---------------------------------------------------------------------------------


def _check(config: AvailabilityConfig, incident: Incident) -> None:
    issues = []
    service = config.services.get(incident.service)
    if service is None:
        known = ", ".join(config.services) or "none: add services to the configuration"
        issues.append(Issue("service", f"{incident.service!r} is not a service; use {known}"))
    else:
        for c in incident.components:
            if c not in service.components:
                issues.append(Issue("components", f"{c!r} is not a component of {service.name!r}"))
    if incident.impact not in config.weights:
        issues.append(
            Issue("impact", f"{incident.impact!r}: use {', '.join(sorted(config.weights))}")
        )
    if incident.end is not None and incident.end <= incident.start:
        issues.append(Issue("end", "must come after start"))
    if issues:
        raise InvalidInput(issues)


def record_incident(
    uow: UnitOfWork, cache: ConfigCache, incident: Incident, now: int, author: str
) -> tuple[Incident, bool]:
    """Record a new incident: (it, True); the same incident again is a replay: (it, False).
    An incident in a month whose statements were issued restates them."""
    with uow() as store:
        config = require_config(cache, store).config.availability
        _check(config, incident)
        existing = store.incident(incident.id)
        if existing is not None:
            if existing == incident:
                return existing, False
            raise InvalidInput(
                [
                    Issue(
                        "id",
                        f"incident {incident.id!r} exists with other values; change it with "
                        "PATCH /v1/incidents/{id} and a reason",
                    )
                ]
            )
        store.insert_incident(incident, now)
        _restate(store, config, [incident], now, f"incident {incident.id} recorded late")
    return incident, True


CHANGEABLE = ("start", "end", "impact", "title", "components")


def change_incident(
    uow: UnitOfWork,
    cache: ConfigCache,
    incident_id: str,
    changes: Mapping[str, Any],
    reason: str,
    now: int,
    author: str,
) -> tuple[Incident, IncidentChange | None]:
    """Correct an incident (its end, impact, start, title or components) with a reason; the
    change is logged, and issued statements of the months it touches are restated."""
    with uow() as store:
        config = require_config(cache, store).config.availability
        old = store.incident(incident_id)
        if old is None:
            raise NotFound(f"no incident {incident_id!r}")
        new = replace(old, **dict(changes))
        _check(config, new)
        if new == old:
            return old, None
        before = {k: _field(old, k) for k in changes if _field(old, k) != _field(new, k)}
        after = {k: _field(new, k) for k in before}
        change = IncidentChange(incident_id, now, author, reason, before, after)
        store.change_incident(new, change)
        _restate(store, config, [old, new], now, f"incident {incident_id} changed: {reason}")
    return new, change


def _field(incident: Incident, name: str) -> Any:
    value = getattr(incident, name)
    return list(value) if isinstance(value, tuple) else value


def incidents(
    uow: UnitOfWork, service: str | None, start: int | None, end: int | None
) -> list[Incident]:
    with uow.read() as store:
        return store.incidents_between(service, start, end)


def incident_with_changes(
    uow: UnitOfWork, incident_id: str
) -> tuple[Incident, list[IncidentChange]]:
    with uow.read() as store:
        found = store.incident(incident_id)
        if found is None:
            raise NotFound(f"no incident {incident_id!r}")
        return found, store.incident_changes(incident_id)


# -- measurements --------------------------------------------------------------------------------


def add_measurements(
    uow: UnitOfWork, cache: ConfigCache, service: str, slices: Sequence[Slice], now: int
) -> int:
    """Store good/total counts per interval for a service (a later count for the same start
    replaces the earlier one)."""
    issues = []
    for i, s in enumerate(slices):
        if s.end <= s.start:
            issues.append(Issue(f"[{i}].end", "must come after start"))
        if not 0 <= s.good <= s.total:
            issues.append(Issue(f"[{i}].good", f"{s.good} must be from 0 to total ({s.total})"))
    if issues:
        raise InvalidInput(issues)
    with uow() as store:
        config = require_config(cache, store).config.availability
        if service not in config.services:
            raise NotFound(f"no service {service!r}; use {', '.join(config.services) or 'none'}")
        store.add_measurements(service, slices)
    return len(slices)


# -- reports -------------------------------------------------------------------------------------


def objective_window(objective: Objective, label: str | None, now: int) -> Window:
    """A calendar objective's period named ``label`` (default: the one running at ``now``); a
    rolling objective's days ending at ``now``."""
    w = objective.window
    if isinstance(w, CalendarWindow):
        if label is None:
            label = label_of(now, w.unit, w.zone)
        return window(label, w.zone)
    return Window(f"last {w.days} days", now - w.days * _DAY, now)


def availability_report(
    uow: UnitOfWork,
    cache: ConfigCache,
    service: str,
    objective_name: str | None,
    label: str | None,
    now: int,
) -> Report:
    with uow.read() as store:
        config = require_config(cache, store).config.availability
        objective = config.objective(service, objective_name)
        if objective is None:
            raise NotFound(_no_objective(config, service, objective_name))
        w = objective_window(objective, label, now)
        lookbacks = sorted({*LOOKBACKS, *config.alert_rules(objective).lookbacks})
        # the window, and the burn rates' lookbacks before now (which may lie outside it)
        first, last = min(w.start, now - max(lookbacks)), max(w.end, now)
        if objective.method != "time":  # measurements: the numpy form over columns
            arrays = SliceArrays.from_columns(*store.measurement_columns(service, first, last))
            return batch_report(objective, arrays, config.maintenance, w, now, lookbacks)
        found = store.incidents_between(service, first, last)
    return report(objective, found, [], config.maintenance, w, now, lookbacks)


def objective_signals(uow: UnitOfWork, cache: ConfigCache, r: Report) -> list[Signal]:
    """What the report's objective warns about now: burn rates, an exhausted budget, and the
    credit tiers of the contracts judged by it that the projection would cross."""
    with uow.read() as store:
        config = require_config(cache, store).config.availability
    o = r.objective
    contracts = [
        (c.customer, t.tiers)
        for c in config.contracts.values()
        for t in c.services
        if t.service == o.service and t.objective == o.name
    ]
    return signals(r, config.alert_rules(o), contracts)


def _no_objective(config: AvailabilityConfig, service: str, name: str | None) -> str:
    found = config.services.get(service)
    if found is None:
        return f"no service {service!r}; use {', '.join(config.services) or 'none'}"
    names = ", ".join(o.name for o in found.objectives) or "it has none"
    return f"no objective {name!r} for {service!r}; use {names}"


# -- statements ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedStatement:
    body: Mapping[str, Any]
    version: int | None  # None: provisional (the month is still running)
    issued_at: int | None
    reason: str


def statements(
    uow: UnitOfWork, cache: ConfigCache, period: str, now: int, customer: str | None = None
) -> list[IssuedStatement]:
    """The period's statement for every contract (or ``customer``'s): computed while the month
    runs; once it has closed, issued as version 1 on first reading and frozen from then on
    (only a correction to an incident restates it)."""
    if not re.fullmatch(r"\d{4}-\d{2}", period):
        raise InvalidInput([Issue("period", f"{period!r}: statements are monthly (2026-10)")])
    try:
        window(period, UTC)
    except ValueError as exc:
        raise InvalidInput([Issue("period", str(exc))]) from None
    with uow.read() as store:
        config = require_config(cache, store).config.availability
        contracts = [
            c
            for c in config.contracts.values()
            if (customer is None or c.customer == customer) and _covers(c, period)
        ]
        latest = {r.customer: r for r in store.statements(period, customer)}  # last version wins
        closed = now >= _close(config, contracts, period)
        pending = [c for c in contracts if not (closed and c.customer in latest)]
        computed = _compute(store, config, pending, period, now)
    tickets = _ticket_compliance(uow, period, now) if pending else {}
    fresh = {
        name: statement_body(
            replace(s, compliance=_share(tickets.get(name)), judged=sum(tickets.get(name, (0, 0))))
        )
        for name, s in computed.items()
    }
    if closed and fresh:
        with uow() as store:
            issued = store.latest_statement_versions(period)
            for name, body in fresh.items():
                if name not in issued:  # another reader may have issued it meanwhile
                    store.add_statement(
                        StatementRow(name, period, 1, now, "issued at the month's close", body)
                    )
            latest.update({r.customer: r for r in store.statements(period, customer)})
    out = []
    for contract in contracts:
        row = latest.get(contract.customer) if closed else None
        if row is not None:
            out.append(IssuedStatement(row.body, row.version, row.issued_at, row.reason))
        else:
            out.append(
                IssuedStatement(
                    fresh[contract.customer], None, None, "provisional: the month is running"
                )
            )
    return out


def _share(counts: tuple[int, int] | None) -> Fraction | None:
    met, breached = counts or (0, 0)
    return Fraction(met, met + breached) if met + breached else None


def _ticket_compliance(uow: UnitOfWork, period: str, now: int) -> dict[str, tuple[int, int]]:
    """Each customer's judged ticket clocks (met, breached) in the UTC month."""
    month = window(period, UTC)
    q = ReportQuery(["customer"], "month", UTC, month.start, month.end, now)
    return {str(r.key[0]): (r.met, r.breached) for r in compliance_report(uow, q)}


def _covers(contract: Contract, period: str) -> bool:
    w = window(period, UTC)
    return (contract.start is None or contract.start < w.end) and (
        contract.end is None or contract.end > w.start
    )


def _zone(objective: Objective) -> ZoneInfo:
    return objective.window.zone if isinstance(objective.window, CalendarWindow) else UTC


def _close(config: AvailabilityConfig, contracts: Sequence[Contract], period: str) -> int:
    """The instant the month has ended in every zone its contracts' services are judged in."""
    ends = [window(period, UTC).end]
    for contract in contracts:
        for terms in contract.services:
            objective = config.objective(terms.service, terms.objective)
            if objective is not None:
                ends.append(window(period, _zone(objective)).end)
    return max(ends)


def _uptime(
    store: Store, config: AvailabilityConfig, terms: ServiceTerms, period: str, now: int
) -> Fraction | None:
    """A service's uptime by its contract objective over the month in the objective's zone."""
    objective = config.objective(terms.service, terms.objective)
    assert objective is not None  # the configuration checked it
    w = window(period, _zone(objective))
    maintenance = maintenance_of(terms.service, config.maintenance, w.start, w.end)
    if objective.method != "time":
        arrays = SliceArrays.from_columns(*store.measurement_columns(terms.service, w.start, w.end))
        return batch_measure(objective, arrays, maintenance, w.start, w.end, now).ratio
    found = store.incidents_between(terms.service, w.start, w.end)
    return measure(objective, found, [], maintenance, w.start, w.end, now).ratio


def _compute(
    store: Store,
    config: AvailabilityConfig,
    contracts: Sequence[Contract],
    period: str,
    now: int,
) -> dict[str, Statement]:
    """Statements as the data stands at ``now``, each service's uptime computed once however
    many customers share it (the ticket figures are added by the caller)."""
    uptimes: dict[tuple[str, str], Fraction | None] = {}
    for contract in contracts:
        for terms in contract.services:
            key = (terms.service, terms.objective)
            if key not in uptimes:
                uptimes[key] = _uptime(store, config, terms, period, now)
    end = window(period, UTC).end
    return {
        c.customer: statement(
            c, period, end, {t.service: uptimes[(t.service, t.objective)] for t in c.services}
        )
        for c in contracts
    }


def statement_body(s: Statement) -> dict[str, Any]:
    """A statement as JSON: exact shares as fractions, shown percentages floored."""
    return {
        "customer": s.customer,
        "period": s.period,
        "currency": s.currency,
        "services": [
            {
                "service": c.service,
                "objective": c.objective,
                "uptime": None if c.uptime is None else str(c.uptime),
                "uptime_pct": None if c.uptime is None else floor_percent(c.uptime, 5),
                "credit_pct": floor_percent(c.share, 2),
                "credit": str(c.amount),
                "note": c.note,
            }
            for c in s.services
        ],
        "total_credit": str(s.total),
        "claim_by": s.claim_by,
        "ticket_compliance_pct": None if s.compliance is None else floor_percent(s.compliance, 2),
        "tickets_judged": s.judged,
    }


def _months(start: int, end: int) -> set[str]:
    """UTC month labels of ``[start, end]`` widened by 14 hours either side: every month that
    can hold it in some zone."""
    margin = 14 * 3600 * 1_000_000
    labels: set[str] = set()
    at = start - margin
    while at <= end + margin:
        label = label_of(at, "month", UTC)
        labels.add(label)
        at = window(label, UTC).end
    return labels


def _restate(
    store: Store, config: AvailabilityConfig, touched: Sequence[Incident], now: int, reason: str
) -> None:
    """Issue a new version of every issued statement whose numbers the change moved: uptimes
    and credits recomputed, the ticket figures as issued."""
    labels: set[str] = set()
    for incident in touched:
        labels |= _months(incident.start, now if incident.end is None else incident.end)
    services = {i.service for i in touched}
    for period in sorted(labels):
        issued = {r.customer: r for r in store.statements(period, None)}  # last version wins
        affected = [
            c
            for c in config.contracts.values()
            if c.customer in issued and any(t.service in services for t in c.services)
        ]
        for name, s in _compute(store, config, affected, period, now).items():
            old = issued[name]
            body = statement_body(s)
            body["ticket_compliance_pct"] = old.body.get("ticket_compliance_pct")
            body["tickets_judged"] = old.body.get("tickets_judged", 0)
            if body != old.body:
                store.add_statement(StatementRow(name, period, old.version + 1, now, reason, body))
