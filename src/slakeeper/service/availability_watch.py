"""Availability signals sent through the monitoring channels (docs/semantics.md §11).

The worker looks at every objective's current window now and then: a signal that starts to hold
(a burn rate over both its windows, the budget spent, a projection below a credit tier) opens an
episode and fires one alert, recorded in the alert log and delivered to the configuration's
``notify`` route with retries like every alert; while it keeps holding nothing more is sent;
once it stops, the episode ends and the next time it holds is a new one.
"""

from __future__ import annotations

from typing import Any

from slakeeper.domain.availability import Report, floor_percent
from slakeeper.domain.availability_alerts import Signal
from slakeeper.domain.events import format_instant
from slakeeper.service.availability import availability_report, objective_signals
from slakeeper.service.configuration import ConfigCache
from slakeeper.service.monitor import Send, route_deliveries
from slakeeper.service.ports import UnitOfWork
from slakeeper.service.records import NewAlert

SUBJECT = "service"  # the payload of a service alert says so; a ticket alert's has no subject
HEADLINES = {
    "burn_rate": "burning its error budget too fast",
    "budget_exhausted": "error budget spent",
    "credit_tier": "projected below a credit tier",
}


def watch(uow: UnitOfWork, cache: ConfigCache, now: int) -> int:
    """Fire the alerts of signals that started to hold since the last look; the number fired."""
    with uow.read() as store:
        current = cache.current(store)
    if current is None:  # nothing configured yet
        return 0
    config = current.config
    fired = 0
    for service in config.availability.services.values():
        for objective in service.objectives:
            report = availability_report(uow, cache, service.name, objective.name, None, now)
            holding = {f"{s.kind} {s.key}": s for s in objective_signals(uow, cache, report)}
            with uow() as store:
                states = store.signal_states(service.name, objective.name)
                changed: dict[str, tuple[int, bool]] = {}
                alerts = []
                for name, signal in holding.items():
                    episode, active = states.get(name, (0, False))
                    if not active:
                        changed[name] = (episode + 1, True)
                        alerts.append(_alert(report, name, signal, episode + 1, now))
                for name, (episode, active) in states.items():
                    if active and name not in holding:
                        changed[name] = (episode, False)
                recorded = store.insert_alerts(alerts)
                deliveries = []
                if config.notify is not None:
                    send = Send(False, now)
                    for alert in recorded:
                        deliveries.extend(
                            route_deliveries(alert.id, "notify", config.notify, config, send)
                        )
                store.insert_deliveries(deliveries)
                if changed:
                    store.set_signal_states(service.name, objective.name, changed, now)
            fired += len(recorded)
    return fired


def _alert(r: Report, name: str, signal: Signal, episode: int, now: int) -> NewAlert:
    o = r.objective
    payload: dict[str, Any] = {
        "subject": SUBJECT,
        "kind": "breach" if signal.severity == "page" else "warning",
        "threshold": name,
        "signal": signal.kind,
        "severity": signal.severity,
        "message": signal.message,
        "headline": HEADLINES[signal.kind],
        "service": o.service,
        "objective": o.name,
        "window": r.window.label,
        "uptime_pct": None if r.uptime is None else floor_percent(r.uptime, 5),
        "target_pct": floor_percent(o.target, 5),
        "budget_left_pct": None
        if r.budget.remaining_ratio is None
        else f"{float(r.budget.remaining_ratio) * 100:.1f}",
        "planned_at": format_instant(now),
        "fired_at": format_instant(now),
        "late": False,
        "link": None,
        "customer": None,
    }
    return NewAlert(
        f"service:{o.service}",
        "availability",
        episode,
        payload["kind"],
        f"{o.name} {name}"[:200],
        o.name,
        None,
        now,
        now,
        False,
        payload,
    )
