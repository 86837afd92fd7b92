"""Read use cases of the alert log: fired alerts with their deliveries and every attempt."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from slakeeper.service.ports import UnitOfWork
from slakeeper.service.queries import NotFound, storable
from slakeeper.service.records import AlertFilter, AlertRow, AttemptRow, DeliveryRow


@dataclass(frozen=True, slots=True)
class LoggedDelivery:
    delivery: DeliveryRow
    attempts: list[AttemptRow]


@dataclass(frozen=True, slots=True)
class LoggedAlert:
    alert: AlertRow
    deliveries: list[LoggedDelivery]


@dataclass(frozen=True, slots=True)
class AlertPage:
    alerts: list[LoggedAlert]
    next_cursor: str | None


_CURSOR = re.compile(r"alert-([0-9]{1,19})")
MAX_ID = 2**63 - 1


def decode_alert_cursor(cursor: str) -> int:
    match = _CURSOR.fullmatch(cursor)
    if match is None or int(match.group(1)) > MAX_ID:
        raise ValueError(f"cursor {cursor!r} is not one this API gave out")
    return int(match.group(1))


def list_alerts(uow: UnitOfWork, f: AlertFilter, cursor: str | None, limit: int) -> AlertPage:
    """Alerts by filter, newest first, each with its deliveries and their attempts."""
    before = decode_alert_cursor(cursor) if cursor else None
    if any(v is not None and not storable(v) for v in (f.ticket, f.customer)):
        return AlertPage([], None)
    with uow.read() as store:
        rows = store.alerts(f, before, limit + 1)
        shown = rows[:limit]
        deliveries = store.deliveries_of([a.id for a in shown])
        attempts = store.attempts_of([d.id for d in deliveries])
    more = len(rows) > limit
    return AlertPage(_logged(shown, deliveries, attempts), shown[-1].public_id if more else None)


def _logged(
    alerts: list[AlertRow], deliveries: list[DeliveryRow], attempts: list[AttemptRow]
) -> list[LoggedAlert]:
    tries: dict[int, list[AttemptRow]] = defaultdict(list)
    for a in attempts:
        tries[a.delivery_id].append(a)
    sent: dict[int, list[LoggedDelivery]] = defaultdict(list)
    for d in deliveries:
        sent[d.alert_id].append(LoggedDelivery(d, tries[d.id]))
    return [LoggedAlert(a, sent[a.id]) for a in alerts]


def ticket_alerts(uow: UnitOfWork, ticket: str, customer: str | None) -> list[LoggedAlert]:
    """The alerts of one ticket (the latest 10,000), oldest first: its timeline. A customer sees
    those that fired while the ticket was theirs."""
    page = list_alerts(uow, AlertFilter(ticket=ticket, customer=customer), None, 10_000)
    return sorted(page.alerts, key=lambda x: (x.alert.fired_at, x.alert.id))


def retry_delivery(uow: UnitOfWork, delivery_id: int, now: int) -> DeliveryRow:
    """Send a dead (or skipped) delivery again at once; NotFound if there is no such delivery."""
    with uow() as store:
        found = store.requeue_delivery(delivery_id, now)
    if found is None:
        raise NotFound(f"no delivery {delivery_id}")
    return found
