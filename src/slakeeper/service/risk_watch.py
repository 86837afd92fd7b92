"""Breach risk, live: installing a risk model, and the monitoring worker's risk pass.

A pass (every minute in the worker, after its firing) scores every running clock not yet due
with the latest installed model, from what the store knows at ``now`` — the same
:class:`Situation` the model was trained on (``service/risk_history.py`` builds it from a replayed history) — stores each clock's
risk and the facts that raised it (the at-risk queue and the ticket page show them), and fires a
``risk`` warning, once per clock, for clocks whose policy lists one (``alerts: ["risk"]`` or
``["risk 60%"]``) and whose risk reached it. A warning goes out by the policy's route like any
other warning. Without an installed model a pass does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from threading import Lock
from typing import Any

import orjson

from slakeeper.domain.alerts import Firing
from slakeeper.domain.config import SlaConfig, always_open_calendar
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.events import COMMENT
from slakeeper.domain.risk_features import (
    ACTIVE_WINDOW,
    IDLE_CAP,
    DueOrder,
    Situation,
    hour_of_week,
)
from slakeeper.domain.risk_model import RiskModel
from slakeeper.service.configuration import ConfigCache
from slakeeper.service.monitor import (
    FiringRules,
    PolicyRules,
    Send,
    new_alert,
    route_deliveries,
    rules_for,
)
from slakeeper.service.ports import Store, UnitOfWork
from slakeeper.service.records import ClockRow, NewAlert, NewDelivery, RiskRow, TicketRow

log = logging.getLogger("slakeeper.risk")
DEFAULT_THRESHOLD = 0.5  # a "risk" warning when the model names no threshold
MAX_CLOCKS = 100_000  # scored per pass, soonest due first


@dataclass(frozen=True, slots=True)
class InstalledModel:
    version: int
    created_at: int
    author: str
    model: RiskModel


@dataclass(frozen=True, slots=True)
class RiskPass:
    scored: int
    alerts: int
    deliveries: int


class ModelCache:
    """The latest installed model, parsed once per version."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._current: InstalledModel | None = None

    def current(self, store: Store) -> InstalledModel | None:
        latest = store.latest_risk_model_version()
        if latest is None:
            return None
        with self._lock:
            if self._current is not None and self._current.version == latest:
                return self._current
        stored = store.latest_risk_model()
        if stored is None:
            return None
        try:
            model = RiskModel.from_json(orjson.loads(stored.document))
        except ValueError as exc:  # stored by an earlier version of slakeeper: train again
            log.warning("risk model version %s cannot be read (%s): not scoring", latest, exc)
            return None
        found = InstalledModel(stored.version, stored.created_at, stored.author, model)
        with self._lock:
            if self._current is None or self._current.version < found.version:
                self._current = found
        return found


def install_model(uow: UnitOfWork, document: object, author: str, now: int) -> InstalledModel:
    """Check a model document and store it as the latest version; :class:`InvalidInput` names
    what is wrong (nothing is stored then)."""
    try:
        model = RiskModel.from_json(document)
    except ValueError as exc:
        raise InvalidInput([Issue("model", str(exc))]) from None
    with uow() as store:
        version = store.add_risk_model(orjson.dumps(model.to_json()).decode(), author, now)
    return InstalledModel(version, now, author, model)


def installed_model(uow: UnitOfWork) -> InstalledModel | None:
    """The latest installed model, or None."""
    with uow.read() as store:
        return ModelCache().current(store)


def threshold_of(model: RiskModel) -> float:
    """The risk at which a plain ``risk`` warning fires: the model's own (chosen in training to
    warn as many clocks as the 75% rule would), else :data:`DEFAULT_THRESHOLD`."""
    found = model.trained.get("threshold")
    if isinstance(found, int | float) and not isinstance(found, bool) and 0 < found < 1:
        return float(found)
    return DEFAULT_THRESHOLD


def score(
    uow: UnitOfWork, cache: ConfigCache, models: ModelCache, now: int, rules: FiringRules
) -> RiskPass:
    """Score every running clock at ``now`` (reading only), then store the risks and record the
    risk warnings in one short writing transaction — ingest and configuration changes never wait
    for the scoring."""
    with uow.read() as store:
        current = cache.current(store)
        installed = models.current(store)
        if current is None or installed is None:
            return RiskPass(0, 0, 0)  # nothing to score with
        config = current.config
        pairs = store.running_clocks(MAX_CLOCKS)
        situations, kept = _situations(store, config, pairs, now)
    model = installed.model
    risks, reasons = model.explain(situations)
    rows = [
        RiskRow(
            row.clock.ticket,
            row.clock.metric,
            row.clock.cycle,
            float(risk),
            tuple(r.text for r in why),
            now,
            installed.version,
        )
        for (row, _), risk, why in zip(kept, risks, reasons, strict=True)
    ]
    pending: list[tuple[NewAlert, PolicyRules]] = []
    default = threshold_of(model)
    for (row, _), risk, why in zip(kept, risks, reasons, strict=True):
        r = rules_for(config, row.clock.policy)
        warning = next((w for w in r.policy.alerts if w.risk), None) if r.policy else None
        if warning is None:
            continue
        threshold = float(warning.risk_at) if warning.risk_at is not None else default
        if risk < threshold:
            continue
        alert = new_alert(row, r, Firing("warning", warning.key, now), now, rules, config)
        payload = dict(alert.payload)
        payload.update(
            risk=round(float(risk), 4),
            risk_threshold=threshold,
            reasons=[x.text for x in why],
            model=installed.version,
        )
        pending.append((_with_payload(alert, payload), r))
    with uow() as store:
        if not store.try_lock_risk_pass():
            return RiskPass(0, 0, 0)  # another worker is storing its pass
        store.replace_risks(rows)
        recorded = store.insert_alerts([a for a, _ in pending])
        by_key = {a.key: r for a, r in pending}
        deliveries: list[NewDelivery] = []
        for stored in sorted(recorded, key=lambda a: a.id):
            route = by_key[stored.key].route
            if route is not None:
                deliveries.extend(
                    route_deliveries(stored.id, "notify", route, config, Send(False, now))
                )
        store.insert_deliveries(deliveries)
    return RiskPass(len(kept), len(recorded), len(deliveries))


def _with_payload(alert: NewAlert, payload: dict[str, Any]) -> NewAlert:
    return NewAlert(
        alert.ticket,
        alert.metric,
        alert.cycle,
        alert.kind,
        alert.threshold,
        alert.policy,
        alert.customer,
        alert.planned_at,
        alert.fired_at,
        alert.late,
        payload,
    )


def agent_replies(store: Store, since: int, until: int) -> list[tuple[int, str, str | None]]:
    """Public agent replies in ``[since, until]``: (instant, the ticket's assignee and group when
    it was made) — as the training replay credits them. Read from the commented tickets' events
    (an event updates the assignee and group it names)."""
    out = []
    histories = store.histories(store.commented_tickets(since, until))
    for events in histories.values():
        assignee: str | None = None
        group: str | None = None
        for stored in events:
            body = orjson.loads(stored.body)
            if "assignee" in body:
                assignee = body["assignee"]
            if "group" in body:
                group = body["group"]
            if (
                since <= stored.at <= until
                and body.get("type") == COMMENT
                and body.get("author") == "agent"
                and body.get("public", True)
                and assignee is not None
            ):
                out.append((stored.at, assignee, group))
    return sorted(out, key=lambda reply: reply[0])


def _situations(
    store: Store, config: SlaConfig, pairs: list[tuple[ClockRow, TicketRow]], now: int
) -> tuple[list[Situation], list[tuple[ClockRow, TicketRow]]]:
    """The situation of each running clock at ``now``, as the training replay builds it."""
    unassigned, load = store.desk_counts()
    queue = sum(unassigned.values())
    last_reply: dict[str, int] = {}
    active: set[str] = set()
    active_in: dict[str | None, set[str]] = {}
    for at, agent, group in agent_replies(store, now - IDLE_CAP, now):
        last_reply[agent] = max(at, last_reply.get(agent, at))
        if at >= now - ACTIVE_WINDOW:
            active.add(agent)
            active_in.setdefault(group, set()).add(agent)
    hours: dict[str, int] = {}
    order = DueOrder(
        (ticket.group, ticket.assignee, row.clock.due_at)
        for row, ticket in pairs
        if row.clock.due_at is not None
    )
    situations: list[Situation] = []
    kept: list[tuple[ClockRow, TicketRow]] = []
    for row, ticket in pairs:
        c = row.clock
        policy = config.book.named(c.policy)
        calendar = policy.calendar if policy is not None else always_open_calendar()
        elapsed = c.elapsed
        if now > row.derived_at:
            elapsed += calendar.elapsed_us(row.derived_at, now)
        if c.due_at is None or c.due_at <= now or elapsed >= c.target or ticket.created_at is None:
            continue
        zone = calendar.timezone
        local = hours.get(zone)
        if local is None:
            local = hours[zone] = hour_of_week(zone, now)
        assignee = ticket.assignee
        idle = min(now - last_reply[assignee], IDLE_CAP) if assignee in last_reply else IDLE_CAP
        situations.append(
            Situation(
                c.metric,
                ticket.priority or "normal",
                ticket.channel,
                ticket.customer,
                ticket.group,
                ticket.status or "new",
                assignee,
                c.target,
                elapsed,
                c.due_at - now,
                now - ticket.created_at,
                c.cycle,
                ticket.replies,
                ticket.reopens,
                queue,
                unassigned.get(ticket.group, 0),
                load.get(assignee, 0) if assignee is not None else 0,
                local,
                calendar.is_open_us(now),
                len(active),
                len(active_in.get(ticket.group, ())),
                idle,
                order.before(ticket.group, assignee, c.due_at),
            )
        )
        kept.append((row, ticket))
    return situations, kept
