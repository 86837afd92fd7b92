"""What the client returns: frozen dataclasses read from the API's JSON.

Instants are timezone-aware :class:`datetime` objects in UTC; durations are given in seconds as
the API writes them (``target_seconds``) and as :class:`timedelta` (``target``); exact ratios and
percentages of availability are :class:`~fractions.Fraction` and :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

__all__ = [
    "Alert",
    "AtRisk",
    "Attempt",
    "Availability",
    "AvailabilitySignal",
    "Clock",
    "ComplianceRow",
    "ConfigVersion",
    "ConfigVersionSummary",
    "CreatedToken",
    "Delivery",
    "Health",
    "Incident",
    "IngestResult",
    "format_instant",
    "parse_instant",
]

Json = Mapping[str, Any]


# -- reading JSON values with their types checked --------------------------------------------------


def _get(data: Json, key: str) -> Any:
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    if key not in data:
        raise KeyError(f"missing field {key!r}")
    return data[key]


def _str(data: Json, key: str) -> str:
    value = _get(data, key)
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a text, got {value!r}")
    return value


def _opt_str(data: Json, key: str) -> str | None:
    return None if data.get(key) is None else _str(data, key)


def _int(data: Json, key: str) -> int:
    value = _get(data, key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{key} must be an integer, got {value!r}")
    return value


def _opt_int(data: Json, key: str) -> int | None:
    return None if data.get(key) is None else _int(data, key)


def _number(data: Json, key: str) -> int | float:
    value = _get(data, key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"{key} must be a number, got {value!r}")
    return value


def _bool(data: Json, key: str) -> bool:
    value = _get(data, key)
    if not isinstance(value, bool):
        raise TypeError(f"{key} must be true or false, got {value!r}")
    return value


def _opt_bool(data: Json, key: str) -> bool | None:
    return None if data.get(key) is None else _bool(data, key)


def _list(data: Json, key: str) -> list[Any]:
    value = _get(data, key)
    if not isinstance(value, list):
        raise TypeError(f"{key} must be a list, got {value!r}")
    return value


def _object(data: Json, key: str) -> dict[str, Any]:
    value = _get(data, key)
    if not isinstance(value, dict):
        raise TypeError(f"{key} must be an object, got {value!r}")
    return value


def _opt_object(data: Json, key: str) -> dict[str, Any] | None:
    return None if data.get(key) is None else _object(data, key)


def parse_instant(text: str) -> datetime:
    """``2026-03-02T08:00:00Z`` (or any RFC 3339 text with an offset) -> an aware UTC datetime."""
    found = datetime.fromisoformat(text)
    if found.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return found.astimezone(UTC)


def _instant(data: Json, key: str) -> datetime:
    return parse_instant(_str(data, key))


def _opt_instant(data: Json, key: str) -> datetime | None:
    return None if data.get(key) is None else _instant(data, key)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _fraction(value: Any) -> Fraction | None:
    return None if value is None else Fraction(str(value))


def format_instant(instant: datetime) -> str:
    """An aware datetime as the API writes instants: UTC, ``Z``, a fraction only when there is
    one (``2026-03-02T08:00:00Z``). A naive datetime is refused with ``ValueError``."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant.isoformat()} is a naive datetime; give it a time zone")
    utc = instant.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


# -- the models ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Health:
    """``GET /healthz``: the server and its database answer."""

    status: str
    database: str
    config_version: int | None

    @classmethod
    def from_json(cls, data: Json) -> Health:
        return cls(_str(data, "status"), _str(data, "database"), _opt_int(data, "config_version"))


@dataclass(frozen=True, slots=True)
class Clock:
    """One cycle of one metric on one ticket, exactly as SPEC §6 and ``slakeeper evaluate``
    write it (``as_dict`` gives that JSON form back)."""

    ticket: str
    metric: str
    cycle: int
    policy: str
    target_seconds: int | float
    started_at: datetime
    stopped_at: datetime | None
    status: str  # active, paused, achieved, cancelled
    elapsed_seconds: int | float
    due_at: datetime | None  # None only while paused before the target is reached
    breached: bool

    @property
    def target(self) -> timedelta:
        return timedelta(seconds=self.target_seconds)

    @property
    def elapsed(self) -> timedelta:
        return timedelta(seconds=self.elapsed_seconds)

    @classmethod
    def from_json(cls, data: Json) -> Clock:
        return cls(
            ticket=_str(data, "ticket"),
            metric=_str(data, "metric"),
            cycle=_int(data, "cycle"),
            policy=_str(data, "policy"),
            target_seconds=_number(data, "target_seconds"),
            started_at=_instant(data, "started_at"),
            stopped_at=_opt_instant(data, "stopped_at"),
            status=_str(data, "status"),
            elapsed_seconds=_number(data, "elapsed_seconds"),
            due_at=_opt_instant(data, "due_at"),
            breached=_bool(data, "breached"),
        )

    def as_dict(self) -> dict[str, Any]:
        """The SPEC §6 JSON object (instants in UTC with ``Z``)."""
        return {
            "ticket": self.ticket,
            "metric": self.metric,
            "cycle": self.cycle,
            "policy": self.policy,
            "target_seconds": self.target_seconds,
            "started_at": format_instant(self.started_at),
            "stopped_at": None if self.stopped_at is None else format_instant(self.stopped_at),
            "status": self.status,
            "elapsed_seconds": self.elapsed_seconds,
            "due_at": None if self.due_at is None else format_instant(self.due_at),
            "breached": self.breached,
        }


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What ``POST /v1/events`` did, summed over the batches :meth:`Client.post_events` sent.

    ``accepted``: new events stored; ``duplicates``: exact repeats of known event ids, ignored;
    ``tickets``: tickets whose clocks were re-derived (summed per batch: a ticket in two batches
    counts twice); ``events``: events sent; ``batches``: requests made. Refused events are not
    counted here: a refused batch raises :class:`~slakeeper.client.EventsRejected`.
    """

    accepted: int = 0
    duplicates: int = 0
    tickets: int = 0
    events: int = 0
    batches: int = 0

    @classmethod
    def from_json(cls, data: Json, events: int) -> IngestResult:
        return cls(
            _int(data, "accepted"), _int(data, "duplicates"), _int(data, "tickets"), events, 1
        )

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(
            self.accepted + other.accepted,
            self.duplicates + other.duplicates,
            self.tickets + other.tickets,
            self.events + other.events,
            self.batches + other.batches,
        )


@dataclass(frozen=True, slots=True)
class ConfigVersionSummary:
    version: int
    created_at: datetime
    author: str  # the name of the token that stored it

    @classmethod
    def from_json(cls, data: Json) -> ConfigVersionSummary:
        return cls(_int(data, "version"), _instant(data, "created_at"), _str(data, "author"))


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    """A stored configuration: ``document`` as parsed, ``source`` the text as it was sent."""

    version: int
    created_at: datetime
    author: str
    document: dict[str, Any]
    source: str | None

    @classmethod
    def from_json(cls, data: Json) -> ConfigVersion:
        return cls(
            _int(data, "version"),
            _instant(data, "created_at"),
            _str(data, "author"),
            _object(data, "document"),
            _opt_str(data, "source"),
        )


@dataclass(frozen=True, slots=True)
class Risk:
    """A running clock's latest breach risk (docs/prediction.md)."""

    probability: float
    reasons: tuple[str, ...]  # the facts that raised it most, strongest first
    scored_at: datetime
    model: int  # the version of the risk model that scored it

    @classmethod
    def from_json(cls, data: Json) -> Risk:
        return cls(
            float(_number(data, "probability")),
            tuple(str(r) for r in _list(data, "reasons")),
            _instant(data, "scored_at"),
            _int(data, "model"),
        )


@dataclass(frozen=True, slots=True)
class AtRisk:
    """``GET /v1/at-risk``: running clocks due within ``within`` of ``at``, soonest first, and
    each one's breach risk (``risks[i]`` is ``clocks[i]``'s; None until a model scored it)."""

    at: datetime
    within: timedelta
    clocks: tuple[Clock, ...]
    risks: tuple[Risk | None, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> AtRisk:
        items = _list(data, "clocks")
        return cls(
            _instant(data, "at"),
            timedelta(seconds=_number(data, "within_seconds")),
            tuple(Clock.from_json(c) for c in items),
            tuple(
                Risk.from_json(c["risk"]) if isinstance(c, dict) and c.get("risk") else None
                for c in items
            ),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at sending a delivery: ``status`` is the HTTP status or SMTP reply code (None: no
    answer), ``error`` empty when it was delivered."""

    number: int
    at: datetime
    status: int | None
    error: str

    @classmethod
    def from_json(cls, data: Json) -> Attempt:
        return cls(
            _int(data, "number"),
            _instant(data, "at"),
            _opt_int(data, "status"),
            _str(data, "error"),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where an alert was sent, and every attempt. ``status``: pending, delivered, dead (the
    dead-letter list) or skipped."""

    id: int
    action: str
    channel: str
    to: tuple[str, ...]
    url: str | None
    outbound: dict[str, Any] | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    history: tuple[Attempt, ...]

    @classmethod
    def from_json(cls, data: Json) -> Delivery:
        return cls(
            id=_int(data, "id"),
            action=_str(data, "action"),
            channel=_str(data, "channel"),
            to=tuple(str(t) for t in _list(data, "to")),
            url=_opt_str(data, "url"),
            outbound=_opt_object(data, "outbound"),
            status=_str(data, "status"),
            attempts=_int(data, "attempts"),
            next_attempt_at=_opt_instant(data, "next_attempt_at"),
            delivered_at=_opt_instant(data, "delivered_at"),
            last_error=_opt_str(data, "last_error"),
            history=tuple(Attempt.from_json(a) for a in _list(data, "history")),
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """A fired warning, breach or escalation with its deliveries (empty for a customer-scoped
    token). ``message`` is the payload every channel renders."""

    id: str
    kind: str  # warning, breach, escalation
    threshold: str  # '75%', '30m before', 'breach', 'escalation 2'
    ticket: str
    metric: str
    cycle: int
    policy: str
    customer: str | None
    planned_at: datetime
    fired_at: datetime
    late: bool
    message: dict[str, Any]
    deliveries: tuple[Delivery, ...]

    @classmethod
    def from_json(cls, data: Json) -> Alert:
        return cls(
            id=_str(data, "id"),
            kind=_str(data, "kind"),
            threshold=_str(data, "threshold"),
            ticket=_str(data, "ticket"),
            metric=_str(data, "metric"),
            cycle=_int(data, "cycle"),
            policy=_str(data, "policy"),
            customer=_opt_str(data, "customer"),
            planned_at=_instant(data, "planned_at"),
            fired_at=_instant(data, "fired_at"),
            late=_bool(data, "late"),
            message=_object(data, "message"),
            deliveries=tuple(Delivery.from_json(d) for d in _list(data, "deliveries")),
        )


_COMPLIANCE_FIELDS = ("met", "breached", "judged", "compliance_pct", "breach_rate_pct")


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    """One group of a compliance report: ``dimensions`` maps each ``by`` dimension to its value
    (``{"metric": "resolution", "period": "2026-03"}``); percentages are rounded to 2 places."""

    dimensions: dict[str, str | None]
    met: int
    breached: int
    judged: int
    compliance_pct: float
    breach_rate_pct: float

    @classmethod
    def from_json(cls, data: Json, by: Sequence[str]) -> ComplianceRow:
        dims = {}
        for name in by:
            value = data.get(name)
            dims[name] = None if value is None else str(value)
        return cls(
            dims,
            _int(data, "met"),
            _int(data, "breached"),
            _int(data, "judged"),
            float(_number(data, "compliance_pct")),
            float(_number(data, "breach_rate_pct")),
        )


@dataclass(frozen=True, slots=True)
class Incident:
    """A service incident. ``created`` is True when the request recorded it, False when it was
    a replay of the same incident, None when it was read."""

    id: str
    service: str
    impact: str
    start: datetime
    end: datetime | None
    title: str
    components: tuple[str, ...]
    created: bool | None = None

    @classmethod
    def from_json(cls, data: Json, created: bool | None = None) -> Incident:
        return cls(
            _str(data, "id"),
            _str(data, "service"),
            _str(data, "impact"),
            _instant(data, "start"),
            _opt_instant(data, "end"),
            _str(data, "title"),
            tuple(str(c) for c in _list(data, "components")),
            created,
        )


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer or an organisation of the CRM directory (docs/semantics.md §12): its own
    ``attributes`` and, for a customer, the ``effective`` ones with its organisation's."""

    id: str
    name: str | None
    organisation: str | None
    attributes: Mapping[str, str]
    effective: Mapping[str, str]
    contract_start: date | None
    contract_end: date | None

    @classmethod
    def from_json(cls, data: Json) -> Customer:
        contract = _opt_object(data, "contract") or {}
        start, end = contract.get("start"), contract.get("end")
        return cls(
            _str(data, "id"),
            _opt_str(data, "name"),
            _opt_str(data, "organisation"),
            {str(k): str(v) for k, v in _object(data, "attributes").items()},
            {str(k): str(v) for k, v in (_opt_object(data, "effective") or {}).items()},
            date.fromisoformat(start) if isinstance(start, str) else None,
            date.fromisoformat(end) if isinstance(end, str) else None,
        )


@dataclass(frozen=True, slots=True)
class Directory:
    customers: tuple[Customer, ...]
    organisations: tuple[Customer, ...]

    @classmethod
    def from_json(cls, data: Json) -> Directory:
        return cls(
            tuple(Customer.from_json(c) for c in _list(data, "customers")),
            tuple(Customer.from_json(o) for o in _list(data, "organisations")),
        )


@dataclass(frozen=True, slots=True)
class CustomersChanged:
    """What a change of the directory did: the configuration version it made and the customers
    whose effective attributes, organisation or contract changed (their open clocks re-derived)."""

    version: int
    changed: tuple[str, ...]
    customers: int
    organisations: int

    @classmethod
    def from_json(cls, data: Json) -> CustomersChanged:
        return cls(
            _int(data, "version"),
            tuple(str(c) for c in _list(data, "changed")),
            _int(data, "customers"),
            _int(data, "organisations"),
        )


@dataclass(frozen=True, slots=True)
class AvailabilitySignal:
    kind: str
    key: str
    severity: str
    message: str

    @classmethod
    def from_json(cls, data: Json) -> AvailabilitySignal:
        return cls(
            _str(data, "kind"), _str(data, "key"), _str(data, "severity"), _str(data, "message")
        )


@dataclass(frozen=True, slots=True)
class Availability:
    """``GET /v1/availability/{service}``: an objective over a period. Percentages are floored
    (one bad minute never shows 100%); ``uptime`` and the budget are exact."""

    service: str
    objective: str
    target_pct: Decimal | None
    method: str
    period: str
    start: datetime
    end: datetime
    at: datetime
    uptime: Fraction | None
    uptime_pct: Decimal | None
    met: bool | None
    budget_total: Fraction | None
    budget_consumed: Fraction | None
    budget_remaining: Fraction | None
    budget_remaining_pct: Decimal | None
    signals: tuple[AvailabilitySignal, ...]
    days: tuple[tuple[str, Decimal | None], ...] = field(default=())

    @classmethod
    def from_json(cls, data: Json) -> Availability:
        window = _object(data, "window")
        budget = _object(data, "budget")
        return cls(
            service=_str(data, "service"),
            objective=_str(data, "objective"),
            target_pct=_decimal(data.get("target_pct")),
            method=_str(data, "method"),
            period=_str(window, "label"),
            start=_instant(window, "start"),
            end=_instant(window, "end"),
            at=_instant(data, "at"),
            uptime=_fraction(data.get("uptime")),
            uptime_pct=_decimal(data.get("uptime_pct")),
            met=_opt_bool(data, "met"),
            budget_total=_fraction(budget.get("total")),
            budget_consumed=_fraction(budget.get("consumed")),
            budget_remaining=_fraction(budget.get("remaining")),
            budget_remaining_pct=_decimal(budget.get("remaining_pct")),
            signals=tuple(AvailabilitySignal.from_json(s) for s in _list(data, "signals")),
            days=tuple(
                (_str(d, "day"), _decimal(d.get("uptime_pct"))) for d in data.get("days") or ()
            ),
        )


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """A new API token: ``token`` is shown in this answer only (the server keeps its hash)."""

    id: int
    name: str
    role: str
    customer: str | None
    created_at: datetime
    token: str = field(repr=False)

    @classmethod
    def from_json(cls, data: Json) -> CreatedToken:
        return cls(
            _int(data, "id"),
            _str(data, "name"),
            _str(data, "role"),
            _opt_str(data, "customer"),
            _instant(data, "created_at"),
            _str(data, "token"),
        )
