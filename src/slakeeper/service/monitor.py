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

from slakeeper.domain.alerts import TEXT_OPTION, Action, Escalation, Firing, next_check, plan
from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.domain.channels import ONE_RECIPIENT, Route
from slakeeper.domain.config import SlaConfig, always_open_calendar
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


@dataclass(frozen=True, slots=True)
class PolicyRules:
    """What a clock's policy says about firing (a clock whose policy is gone: only its breach)."""

    policy: Policy | None
    route: Route | None
    calendar: BusinessCalendar

    @property
    def levels(self) -> tuple[Escalation, ...]:
        return self.policy.escalations if self.policy else ()


def rules_for(config: SlaConfig, name: str) -> PolicyRules:
    policy = config.book.named(name)
    if policy is None:  # a closed ticket judged by a policy since removed keeps its breach
        return PolicyRules(None, config.notify, always_open_calendar())
    return PolicyRules(policy, policy.notify or config.notify, policy.calendar)


def tick(uow: UnitOfWork, cache: ConfigCache, now: int, rules: FiringRules) -> TickResult:
    """Fire everything due by ``now`` for one batch of clocks, in one transaction.

    The configuration is held steady (shared with batches of events) so the clocks are planned
    with the configuration they were derived with.
    """
    with uow() as store:
        store.share_configuration()
        current = cache.current(store)
        if current is None:
            return TickResult(0, 0, 0)
        config = current.config
        rows = store.claim_due_clocks(now, rules.batch)
        if not rows:
            return TickResult(0, 0, 0)
        found: dict[str, PolicyRules] = {}
        pending: list[tuple[NewAlert, PolicyRules]] = []
        next_checks: list[tuple[str, str, int, int | None]] = []
        for row in rows:
            c = row.clock
            r = found.get(c.policy) or found.setdefault(c.policy, rules_for(config, c.policy))
            p = r.policy
            firings = plan(c, p.alerts if p else (), r.levels, r.calendar, row.derived_at)
            for firing in firings:
                if firing.at <= now:
                    pending.append((new_alert(row, r, firing, now, rules, config), r))
            next_checks.append((c.ticket, c.metric, c.cycle, next_check(firings, after=now)))
        pending.sort(key=lambda item: (item[0].planned_at, item[0].key))  # catch up in due order
        recorded = store.insert_alerts([a for a, _ in pending])
        by_key = {a.key: r for a, r in pending}
        deliveries: list[NewDelivery] = []
        for alert in sorted(recorded, key=lambda a: a.id):
            deliveries.extend(_deliveries(alert, by_key[alert.key], config, now, rules))
        store.insert_deliveries(deliveries)
        store.set_next_checks(next_checks)
        return TickResult(len(rows), len(recorded), len(deliveries))


def new_alert(
    row: ClockRow, r: PolicyRules, firing: Firing, now: int, rules: FiringRules, config: SlaConfig
) -> NewAlert:
    c = row.clock
    elapsed = c.elapsed
    if c.status == "active" and now > row.derived_at:
        elapsed += r.calendar.elapsed_us(row.derived_at, now)
    level = _level(r.levels, firing)
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
        "actions": [_shown(a) for a in level.actions] if level else [],
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


def _shown(action: Action) -> dict[str, Any]:
    """An action as messages and the alert log show it: what it does, never a secret or URL."""
    o = action.options
    if action.kind == "notify":
        return {"kind": "notify", "channels": list(o["channels"])}
    if action.kind == "webhook":
        return {"kind": "webhook"}
    return {"kind": action.kind, **_action_options(action.kind, o)}


def _level(levels: tuple[Escalation, ...], threshold: Firing | AlertRow) -> Escalation | None:
    kind = threshold.kind
    key = threshold.key if isinstance(threshold, Firing) else threshold.threshold
    if kind != "escalation":
        return None
    return next((e for e in levels if e.key == key), None)


def route_deliveries(
    alert_id: int, action: str, route: Route, config: SlaConfig, send: Send
) -> list[NewDelivery]:
    out: list[NewDelivery] = []
    for name in route.channels:
        kind = config.channels.get(name, {}).get("type")
        recipients = [[to] for to in route.to] if kind in ONE_RECIPIENT else [list(route.to)]
        out.extend(send(alert_id, action, name, {"to": to}) for to in recipients)
    return out


class Send:
    """Builds the deliveries of one alert: pending now, or skipped when it is stale."""

    def __init__(self, stale: bool, now: int) -> None:
        self.status = "skipped" if stale else "pending"
        self.at = None if stale else now
        self.note = "older than the catch-up limit: recorded, not sent" if stale else None

    def __call__(
        self, alert_id: int, action: str, channel: str, spec: Mapping[str, Any]
    ) -> NewDelivery:
        return NewDelivery(alert_id, action, channel, spec, self.status, self.at, self.note)


def _deliveries(
    alert: AlertRow, r: PolicyRules, config: SlaConfig, now: int, rules: FiringRules
) -> list[NewDelivery]:
    """What this alert is to be sent as: its route's channels, or its escalation level's actions."""
    send = Send(now - alert.planned_at > rules.catch_up, now)
    if alert.kind != "escalation":
        return route_deliveries(alert.id, "notify", r.route, config, send) if r.route else []
    out: list[NewDelivery] = []
    level = _level(r.levels, alert)
    for action in level.actions if level else ():
        options: Mapping[str, Any] = action.options
        if action.kind == "notify":
            route = Route(tuple(options["channels"]), tuple(options.get("to") or ()))
            out.extend(route_deliveries(alert.id, "notify", route, config, send))
        elif action.kind == "webhook":
            spec = {"url": options["url"], "secret": options.get("secret") or ""}
            out.append(send(alert.id, "webhook", "webhook", spec))
        elif config.outbound is not None:
            spec = {"action": {"kind": action.kind, **_action_options(action.kind, options)}}
            out.append(send(alert.id, action.kind, config.outbound, spec))
    return out


def _action_options(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """What an action does, as the outbound message and the log show it."""
    if kind in TEXT_OPTION:
        return {TEXT_OPTION[kind]: options["value"]}
    return dict(options)
