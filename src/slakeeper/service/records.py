"""Plain records the service layer reads and writes through its ports (no database types)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slakeeper.domain.clocks import Clock


@dataclass(frozen=True, slots=True)
class StoredConfig:
    version: int
    created_at: int
    author: str
    document: str
    source: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    id: str
    ticket: str
    at: int
    body: str


@dataclass(frozen=True, slots=True)
class TicketRow:
    id: str
    customer: str | None
    service: str | None
    group: str | None
    priority: str | None
    status: str | None
    created_at: int | None
    last_event_at: int | None
    events: int
    # what reports read of the ticket (docs/metrics.md)
    channel: str | None = None
    assignee: str | None = None
    replies: int = 0
    reopens: int = 0
    solved_at: int | None = None
    csat_score: int | None = None
    csat_at: int | None = None


@dataclass(frozen=True, slots=True)
class ClockRow:
    clock: Clock
    customer: str | None
    service: str | None
    group: str | None
    priority: str | None
    derived_at: int
    next_check_at: int | None = None  # when the monitoring worker next has something to fire


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    name: str
    role: str
    customer: str | None
    created_at: int
    revoked_at: int | None


@dataclass(frozen=True, slots=True)
class ClockFilter:
    status: str | None = None
    breached: bool | None = None
    policy: str | None = None
    customer: str | None = None
    service: str | None = None
    group: str | None = None
    metric: str | None = None
    due_after: int | None = None
    due_before: int | None = None
    now: int = 0  # for breached: an active clock past its due instant is breached now


@dataclass(frozen=True, slots=True)
class Message:
    """What a channel delivers: one fired alert (its JSON payload, see docs/semantics.md §9),
    to these recipients, as delivery number ``delivery`` (receivers deduplicate on the alert id)."""

    alert: Mapping[str, Any]
    recipients: tuple[str, ...]
    delivery: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one delivery attempt: ``status`` is the HTTP status or SMTP reply code
    (None when no answer came); ``error`` is empty when the message was delivered."""

    status: int | None
    error: str = ""
    retryable: bool = True

    @property
    def delivered(self) -> bool:
        return not self.error


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to record: unique by (ticket, metric, cycle, kind, threshold)."""

    ticket: str
    metric: str
    cycle: int
    kind: str  # warning | breach | escalation
    threshold: str  # "75%", "30m before", "breach", "escalation 2"
    policy: str
    customer: str | None
    planned_at: int
    fired_at: int
    late: bool
    payload: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str, int, str, str]:
        return (self.ticket, self.metric, self.cycle, self.kind, self.threshold)


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    ticket: str
    metric: str
    cycle: int
    kind: str
    threshold: str
    policy: str
    customer: str | None
    planned_at: int
    fired_at: int
    late: bool
    payload: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str, int, str, str]:
        return (self.ticket, self.metric, self.cycle, self.kind, self.threshold)

    @property
    def public_id(self) -> str:
        """The id every message carries; receivers deduplicate on it."""
        return f"alert-{self.id}"


@dataclass(frozen=True, slots=True)
class NewDelivery:
    alert_id: int
    action: str  # notify | webhook | reassign | raise_priority | add_tag | add_note
    channel: str  # a configured channel's name, or "webhook" for a webhook action's own URL
    spec: Mapping[str, Any]  # {"to": [...]} and, per action, {"url", "secret"} or {"action"}
    status: str  # pending | skipped
    next_attempt_at: int | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    alert_id: int
    action: str
    channel: str
    spec: Mapping[str, Any]
    status: str  # pending | delivered | dead | skipped
    attempts: int
    next_attempt_at: int | None
    delivered_at: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class AttemptRow:
    delivery_id: int
    number: int
    at: int
    status: int | None
    error: str


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What became of one claimed delivery: its attempt and the row's new state."""

    delivery_id: int
    attempt: AttemptRow
    status: str  # delivered | pending | dead
    next_attempt_at: int | None
    lease: int  # the lease the claim set: the outcome counts only while it still holds


@dataclass(frozen=True, slots=True)
class AlertFilter:
    ticket: str | None = None
    customer: str | None = None
    kind: str | None = None
    late: bool | None = None
    delivery: str | None = None  # alerts with a delivery in this status (dead: the dead letters)
    fired_after: int | None = None
    fired_before: int | None = None


@dataclass(frozen=True, slots=True)
class IncidentChange:
    incident: str
    at: int
    author: str
    reason: str
    before: Mapping[str, Any]  # the changed fields as they were (API form)
    after: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StatementRow:
    customer: str
    period: str
    version: int
    issued_at: int
    reason: str
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StoredRiskModel:
    version: int
    created_at: int
    author: str
    document: str  # JSON


@dataclass(frozen=True, slots=True)
class RiskRow:
    """The latest risk of a running clock, with the facts that raised it most."""

    ticket: str
    metric: str
    cycle: int
    risk: float
    reasons: tuple[str, ...]
    scored_at: int
    model: int  # the model version that scored it
