"""Firing: what the monitoring worker records when a clock's next check comes due.

A tick takes the clocks whose ``next_check_at`` has come (oldest first; on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so several workers share the work without waiting on each other),
plans each from its stored row (:func:`slakeeper.domain.alerts.plan`), records every firing due by
now as an alert — exactly one per clock and threshold, whatever crashed or ran twice before — with
the deliveries its route and actions ask for, and moves the clock's next check to its next future
firing. All of it commits together; sending is :mod:`slakeeper.service.delivery`'s job.

A firing recorded more than ``late_after`` after its planned instant is marked late (the worker
was down, or busy catching up); one older than ``catch_up`` is recorded and its deliveries
skipped, so importing an old history does not page anyone about last year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slakeeper.domain.alerts import Escalation, Firing, next_check, plan
from slakeeper.domain.channels import ONE_RECIPIENT, Route
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.events import format_instant
from slakeeper.domain.policy import Policy
from slakeeper.service.configuration import ConfigCache
from slakeeper.service.ports import UnitOfWork
from slakeeper.service.records import AlertRow, ClockRow, NewAlert, NewDelivery

_US = 1_000_000
TICKET_ACTIONS = ("reassign", "raise_priority", "add_tag")  # sent to the help desk


@dataclass(frozen=True, slots=True)
class FiringRules:
    late_after: int = 30 * _US  # µs after its planned instant a firing counts as late
    catch_up: int = 24 * 3600 * _US  # older firings are recorded but not delivered
    batch: int = 500  # clocks per transaction


@dataclass(frozen=True, slots=True)
class TickResult:
    clocks: int  # clocks taken
    alerts: int  # alerts recorded
    deliveries: int  # deliveries queued


def tick(uow: UnitOfWork, cache: ConfigCache, now: int, rules: FiringRules) -> TickResult:
    """Fire everything due by ``now`` for one batch of clocks, in one transaction."""
    with uow() as store:
        current = cache.current(store)
        rows = store.claim_due_clocks(now, rules.batch)
        if not rows or current is None:
            return TickResult(len(rows), 0, 0)
        config = current.config
        pending: dict[tuple[str, str, int, str, str], tuple[NewAlert, Policy]] = {}
        next_checks: list[tuple[str, str, int, int | None]] = []
        for row in rows:
            c = row.clock
            policy = config.book.named(c.policy)
            if policy is None:  # the policy is gone: a configuration change re-derives the clock
                next_checks.append((c.ticket, c.metric, c.cycle, None))
                continue
            firings = plan(c, policy.alerts, policy.escalations, policy.calendar, row.derived_at)
            for firing in firings:
                if firing.at <= now:
                    new = _alert(row, policy, firing, now, rules, config)
                    pending[new.key] = (new, policy)
            next_checks.append((c.ticket, c.metric, c.cycle, next_check(firings, after=now)))
        recorded = store.insert_alerts([p[0] for p in pending.values()])
        deliveries: list[NewDelivery] = []
        for alert in recorded:
            policy = pending[alert.key][1]
            deliveries.extend(_deliveries(alert, policy, config, now, rules))
        store.insert_deliveries(deliveries)
        store.set_next_checks(next_checks)
        return TickResult(len(rows), len(recorded), len(deliveries))


def _alert(
    row: ClockRow, policy: Policy, firing: Firing, now: int, rules: FiringRules, config: SlaConfig
) -> NewAlert:
    c = row.clock
    elapsed = c.elapsed
    if c.status == "active" and now > row.derived_at:
        elapsed += policy.calendar.elapsed_us(row.derived_at, now)
    level = _level(policy, firing)
    payload: dict[str, Any] = {
        "kind": firing.kind,
        "threshold": firing.key,
        "level": level.level if level else None,
        "ticket": c.ticket,
        "metric": c.metric,
        "cycle": c.cycle,
        "policy": c.policy,
        "priority": row.priority,
        "customer": row.customer,
        "service": row.service,
        "group": row.group,
        "target_s": c.target // _US,
        "elapsed_s": elapsed // _US,
        "due_at": format_instant(c.due_at) if c.due_at is not None else None,
        "planned_at": format_instant(firing.at),
        "fired_at": format_instant(now),
        "late": now - firing.at > rules.late_after,
        "time_left_s": (c.due_at - now) // _US if c.due_at is not None else None,
        "link": config.ticket_link.replace("{ticket}", c.ticket) if config.ticket_link else None,
        "actions": [{"kind": a.kind, **a.options} for a in level.actions] if level else [],
    }
    return NewAlert(
        c.ticket,
        c.metric,
        c.cycle,
        firing.kind,
        firing.key,
        c.policy,
        row.customer,
        firing.at,
        now,
        bool(payload["late"]),
        payload,
    )


def _level(policy: Policy, firing: Firing) -> Escalation | None:
    if firing.kind != "escalation":
        return None
    return next((e for e in policy.escalations if e.key == firing.key), None)


def _route_deliveries(
    alert_id: int, action: str, route: Route, config: SlaConfig, status: str, at: int | None
) -> list[NewDelivery]:
    out: list[NewDelivery] = []
    for name in route.channels:
        kind = config.channels.get(name, {}).get("type")
        if kind in ONE_RECIPIENT:
            out.extend(
                NewDelivery(alert_id, action, name, {"to": [to]}, status, at) for to in route.to
            )
        else:
            out.append(NewDelivery(alert_id, action, name, {"to": list(route.to)}, status, at))
    return out


def _deliveries(
    alert: AlertRow, policy: Policy, config: SlaConfig, now: int, rules: FiringRules
) -> list[NewDelivery]:
    """What this alert is to be sent as: its route's channels, or its escalation level's actions."""
    stale = now - alert.planned_at > rules.catch_up
    status, at = ("skipped", None) if stale else ("pending", now)
    note = "older than the catch-up limit: recorded, not sent" if stale else None
    out: list[NewDelivery] = []
    if alert.kind != "escalation":
        route = policy.notify or config.notify
        if route is not None:
            out.extend(_route_deliveries(alert.id, "notify", route, config, status, at))
    else:
        level = next((e for e in policy.escalations if e.key == alert.threshold), None)
        for action in level.actions if level else ():
            options: Mapping[str, Any] = action.options
            if action.kind == "notify":
                route = Route(tuple(options["channels"]), tuple(options.get("to") or ()))
                out.extend(_route_deliveries(alert.id, "notify", route, config, status, at))
            elif action.kind == "webhook":
                spec = {"url": options["url"], "secret": options.get("secret") or ""}
                out.append(NewDelivery(alert.id, "webhook", "webhook", spec, status, at))
            elif config.outbound is not None:
                spec = {"action": {"kind": action.kind, **_action_options(action.kind, options)}}
                out.append(NewDelivery(alert.id, action.kind, config.outbound, spec, status, at))
    if note:
        out = [
            NewDelivery(d.alert_id, d.action, d.channel, d.spec, d.status, None, note) for d in out
        ]
    return out


def _action_options(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    if kind in ("raise_priority", "add_tag"):
        return {"priority" if kind == "raise_priority" else "tag": options["value"]}
    return dict(options)
