"""What the HTTP API returns, as pydantic models (named ``XPublic``) for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from slakeeper.adapters.jsonl import seconds
from slakeeper.domain.clocks import Clock
from slakeeper.domain.events import format_instant


class IssuePublic(BaseModel):
    where: str = Field(description="the place: a path in a document, or an event of a batch")
    message: str


class ErrorPublic(BaseModel):
    error: str
    issues: list[IssuePublic] = []


class ClockPublic(BaseModel):
    """A clock exactly as SPEC §6 and ``slakeeper evaluate`` write it."""

    ticket: str
    metric: str
    cycle: int
    policy: str
    target_seconds: int | float
    started_at: str
    stopped_at: str | None
    status: str
    elapsed_seconds: int | float
    due_at: str | None
    breached: bool

    @classmethod
    def of(cls, clock: Clock) -> ClockPublic:
        return cls(
            ticket=clock.ticket,
            metric=clock.metric,
            cycle=clock.cycle,
            policy=clock.policy,
            target_seconds=seconds(clock.target),
            started_at=format_instant(clock.started_at),
            stopped_at=None if clock.stopped_at is None else format_instant(clock.stopped_at),
            status=clock.status,
            elapsed_seconds=seconds(clock.elapsed),
            due_at=None if clock.due_at is None else format_instant(clock.due_at),
            breached=clock.breached,
        )


class ClockPagePublic(BaseModel):
    clocks: list[ClockPublic]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class AtRiskPublic(BaseModel):
    at: str
    within_seconds: float
    clocks: list[ClockPublic]


class IngestPublic(BaseModel):
    accepted: int = Field(description="new events stored")
    duplicates: int = Field(description="exact repeats of known event ids, ignored")
    tickets: int = Field(description="tickets whose clocks were re-derived")


class ConfigVersionPublic(BaseModel):
    version: int
    created_at: str
    author: str
    document: dict[str, Any]
    source: str | None = None


class ConfigVersionSummary(BaseModel):
    version: int
    created_at: str
    author: str


class TicketPublic(BaseModel):
    id: str
    customer: str | None
    service: str | None
    group: str | None
    priority: str | None
    status: str | None
    created_at: str | None
    last_event_at: str | None
    events: list[dict[str, Any]] = Field(description="the event timeline, SPEC §4 form")
    clocks: list[dict[str, Any]] = Field(description="each clock with its explanation")


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern="^(admin|agent|viewer)$")
    customer: str | None = Field(default=None, min_length=1, max_length=200)


class TokenPublic(BaseModel):
    id: int
    name: str
    role: str
    customer: str | None
    created_at: str
    revoked_at: str | None


class TokenCreated(TokenPublic):
    token: str = Field(description="shown once; only its hash is stored")


class HealthPublic(BaseModel):
    status: str
    database: str
    config_version: int | None
