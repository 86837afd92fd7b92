"""What the HTTP API returns, as pydantic models (named ``XPublic``) for the OpenAPI document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from slakeeper.adapters.jsonl import seconds
from slakeeper.domain.calendar_spec import WEEKDAYS
from slakeeper.domain.clocks import Clock
from slakeeper.domain.config import REOPEN_MODES
from slakeeper.domain.events import AUTHORS, MAX_TEXT, TYPES, format_instant
from slakeeper.domain.policy import LEVELS, METRICS, STATUSES
from slakeeper.domain.roster import MAX_CAPACITY, SPEEDS
from slakeeper.service.alert_log import LoggedAlert, LoggedDelivery

MAX_ROW_ID = 2**31 - 1  # ids of configuration versions and tokens are 32-bit integers in the store
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


# -- request bodies the routes read themselves (JSON Schema, for the OpenAPI document) -------------

_ID = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
_TEXTS = {"type": "array", "items": {"type": "string"}}
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A ticket event (SPEC §4)",
    "required": ["id", "ticket", "type", "at"],
    "properties": {
        "id": _ID,
        "ticket": _ID,
        "type": {"enum": list(TYPES)},
        "at": {"type": "string", "format": "date-time", "description": "RFC 3339 with an offset"},
        "priority": _ID,
        "status": {"enum": list(STATUSES)},
        **{
            name: {"anyOf": [_ID, {"type": "null"}]}
            for name in ("channel", "customer", "service", "group", "assignee")
        },
        "tags": {"type": "array", "items": _ID},
        "author": {"enum": list(AUTHORS)},
        "public": {"type": "boolean"},
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "additionalProperties": False,
}
_DURATION = {
    "anyOf": [
        {"type": "string", "examples": ["90m", "4h", "1h30m"]},
        {"type": "integer", "minimum": 1, "description": "minutes"},
    ]
}
_SHIFTS = {"anyOf": [{"type": "string"}, _TEXTS]}
CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An SLA configuration (SPEC §3)",
    "properties": {
        "calendars": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "timezone", "hours"],
                "properties": {
                    "name": {"type": "string"},
                    "timezone": {"type": "string", "examples": ["Europe/Berlin"]},
                    "hours": {
                        "anyOf": [
                            {"const": "24x7"},
                            {
                                "type": "object",
                                "properties": dict.fromkeys(WEEKDAYS, _SHIFTS),
                                "additionalProperties": False,
                            },
                        ]
                    },
                    "holidays": {
                        "type": "array",
                        "items": {
                            "anyOf": [
                                {"type": "string", "format": "date"},
                                {
                                    "type": "object",
                                    "required": ["date"],
                                    "properties": {
                                        "date": {"type": "string", "format": "date"},
                                        "name": {"type": "string"},
                                    },
                                },
                            ]
                        },
                    },
                    "holiday_country": {"type": "string"},
                    "holiday_subdivision": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
        "policies": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "targets"],
                "properties": {
                    "name": {"type": "string"},
                    "level": {"enum": list(LEVELS)},
                    "customer": {"type": "string"},
                    "service": {"type": "string"},
                    "when": {
                        "type": "object",
                        "properties": dict.fromkeys(
                            ("priority", "channel", "group", "tags_any", "tags_all", "tags_none"),
                            _TEXTS,
                        ),
                        "additionalProperties": False,
                    },
                    "calendar": {"type": "string"},
                    "targets": {
                        "type": "object",
                        "properties": {
                            metric: {"type": "object", "additionalProperties": _DURATION}
                            for metric in METRICS
                        },
                        "additionalProperties": False,
                    },
                    "pause_statuses": {"type": "array", "items": {"enum": list(STATUSES)}},
                },
                "additionalProperties": False,
            },
        },
        "system_replies_count": {"type": "boolean"},
        "resolution_on_reopen": {"enum": list(REOPEN_MODES)},
        "agents": {
            "type": "array",
            "description": "The team, for routing advice (docs/routing.md)",
            "items": {
                "type": "object",
                "required": ["name", "calendar", "skills"],
                "properties": {
                    "name": {"type": "string", "description": "as tickets name it in `assignee`"},
                    "calendar": {
                        "type": "string",
                        "description": "the agent's shifts: a calendar of `calendars`, or 24x7",
                    },
                    "skills": {
                        "anyOf": [{"type": "string"}, _TEXTS],
                        "description": "groups, services, categories or tags; '*': every ticket",
                    },
                    "capacity": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_CAPACITY,
                        "default": 1,
                        "description": "tickets in work at once",
                    },
                    "speed": {
                        "type": "number",
                        "minimum": SPEEDS[0],
                        "maximum": SPEEDS[1],
                        "default": 1,
                        "description": "relative to the routing estimates (1.2: a fifth faster)",
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


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


class RiskPublic(BaseModel):
    """A running clock's latest breach risk (docs/prediction.md)."""

    probability: float = Field(description="the model's probability that the clock breaches")
    reasons: list[str] = Field(
        description="the facts that raised it most, strongest first (empty for customer-scoped "
        "tokens: they count the whole desk)"
    )
    scored_at: str
    model: int = Field(description="the version of the risk model that scored it")


class AtRiskClockPublic(ClockPublic):
    risk: RiskPublic | None = Field(
        default=None, description="null until an installed risk model has scored the clock"
    )


class AtRiskPublic(BaseModel):
    at: str
    within_seconds: float
    clocks: list[AtRiskClockPublic]


class RiskModelPublic(BaseModel):
    version: int
    created_at: str
    author: str
    trained: dict[str, Any] = Field(
        description="the period it learned from and its figures on the held-out period"
    )


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
    alerts: list[AlertPublic] = Field(
        default_factory=list,
        description="warnings, breaches and escalations fired for the ticket, with the outbound "
        "actions sent to the help desk and every delivery attempt",
    )


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern="^(admin|agent|viewer)$")
    customer: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)


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


# -- the alert log ---------------------------------------------------------------------------------


class AttemptPublic(BaseModel):
    number: int
    at: str
    status: int | None = Field(description="HTTP status or SMTP reply code; null: no answer")
    error: str = Field(description="empty when delivered")


class DeliveryPublic(BaseModel):
    id: int
    action: str = Field(description="notify, webhook, or an outbound action: reassign, ...")
    channel: str
    to: list[str]
    url: str | None = Field(None, description="a webhook action's own URL")
    outbound: dict[str, Any] | None = Field(None, description="the action sent to the help desk")
    status: str = Field(description="pending, delivered, dead (the dead-letter list) or skipped")
    attempts: int
    next_attempt_at: str | None
    delivered_at: str | None
    last_error: str | None
    history: list[AttemptPublic]

    @classmethod
    def of(cls, logged: LoggedDelivery) -> DeliveryPublic:
        d = logged.delivery
        return cls(
            id=d.id,
            action=d.action,
            channel=d.channel,
            to=list(d.spec.get("to") or ()),
            url=d.spec.get("url"),
            outbound=d.spec.get("action"),
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=(
                format_instant(d.next_attempt_at)
                if d.status == "pending" and d.next_attempt_at is not None
                else None
            ),
            delivered_at=None if d.delivered_at is None else format_instant(d.delivered_at),
            last_error=d.last_error,
            history=[
                AttemptPublic(
                    number=a.number, at=format_instant(a.at), status=a.status, error=a.error
                )
                for a in logged.attempts
            ],
        )


class AlertPublic(BaseModel):
    id: str = Field(description="the id every message carries (receivers deduplicate on it)")
    kind: str = Field(description="warning, breach or escalation")
    threshold: str = Field(description="'75%', '30m before', 'breach', 'escalation 2'")
    ticket: str
    metric: str
    cycle: int
    policy: str
    customer: str | None
    planned_at: str
    fired_at: str
    late: bool = Field(description="fired later than its planned instant (the worker was behind)")
    message: dict[str, Any] = Field(description="the payload every channel renders")
    deliveries: list[DeliveryPublic] = Field(
        description="where it was sent and every attempt (not shown to customer-scoped tokens: "
        "recipients and URLs are the provider's own)"
    )

    @classmethod
    def of(cls, logged: LoggedAlert, internal: bool = True) -> AlertPublic:
        a = logged.alert
        return cls(
            id=a.public_id,
            kind=a.kind,
            threshold=a.threshold,
            ticket=a.ticket,
            metric=a.metric,
            cycle=a.cycle,
            policy=a.policy,
            customer=a.customer,
            planned_at=format_instant(a.planned_at),
            fired_at=format_instant(a.fired_at),
            late=a.late,
            message={"id": a.public_id, **_shown_payload(a.payload, internal)},
            deliveries=[DeliveryPublic.of(d) for d in logged.deliveries] if internal else [],
        )


def _shown_payload(payload: Mapping[str, Any], internal: bool) -> dict[str, Any]:
    """A risk warning's reasons count the whole desk's tickets and name agents: staff only."""
    if internal or "reasons" not in payload:
        return dict(payload)
    return {**payload, "reasons": []}


class AlertPagePublic(BaseModel):
    alerts: list[AlertPublic]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next (older) page; null at the end"
    )
