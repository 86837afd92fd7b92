"""Plain records the service layer reads and writes through its ports (no database types)."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class ClockRow:
    clock: Clock
    customer: str | None
    service: str | None
    group: str | None
    priority: str | None
    derived_at: int


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
