"""Tickets, their clocks, lists of clocks and the at-risk queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from slakeeper.domain.durations import parse_duration
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.events import MAX_TEXT, format_instant
from slakeeper.entrypoints.api.deps import PrincipalDep, ServicesDep, instant
from slakeeper.entrypoints.api.errors import responses
from slakeeper.entrypoints.api.schemas import (
    AlertPublic,
    AtRiskClockPublic,
    AtRiskPublic,
    ClockPagePublic,
    ClockPublic,
    RiskPublic,
    TicketPublic,
)
from slakeeper.entrypoints.explain_view import explanation_dict
from slakeeper.service.alert_log import ticket_alerts
from slakeeper.service.queries import at_risk, list_clocks, ticket_clocks, ticket_view
from slakeeper.service.records import ClockFilter, RiskRow

router = APIRouter(prefix="/v1", tags=["clocks"])
STATUSES = "^(active|paused|achieved|cancelled)$"
METRIC = "^(first_response|next_response|periodic_update|resolution)$"
AtQuery = Annotated[str | None, Query(description="RFC 3339 instant; default: now", max_length=64)]


@router.get(
    "/tickets/{ticket}/clocks", response_model=list[ClockPublic], responses=responses(401, 404, 422)
)
def get_ticket_clocks(
    ticket: str, svc: ServicesDep, who: PrincipalDep, at: AtQuery = None
) -> list[ClockPublic]:
    """The ticket's clocks at ``at`` (SPEC §6), exactly as `slakeeper evaluate` computes them."""
    now = instant(at, "at", svc.now())
    return [
        ClockPublic.of(c) for c in ticket_clocks(svc.uow, svc.config, ticket, now, who.customer)
    ]


@router.get("/tickets/{ticket}", response_model=TicketPublic, responses=responses(401, 404, 422))
def get_ticket(
    ticket: str, svc: ServicesDep, who: PrincipalDep, at: AtQuery = None
) -> TicketPublic:
    """The ticket, its event timeline and each clock explained: policy and why, pauses, re-targets."""
    now = instant(at, "at", svc.now())
    view = ticket_view(svc.uow, svc.config, ticket, now, who.customer)
    row = view.ticket
    return TicketPublic(
        id=row.id,
        customer=row.customer,
        service=row.service,
        group=row.group,
        priority=row.priority,
        status=row.status,
        created_at=None if row.created_at is None else format_instant(row.created_at),
        last_event_at=None if row.last_event_at is None else format_instant(row.last_event_at),
        events=[e.as_dict() for e in view.events],
        clocks=[explanation_dict(x) for x in view.explanations],
        alerts=[
            AlertPublic.of(a, internal=who.customer is None)
            for a in ticket_alerts(svc.uow, row.id, who.customer)
        ],
    )


@router.get("/clocks", response_model=ClockPagePublic, responses=responses(401, 422))
def get_clocks(
    svc: ServicesDep,
    who: PrincipalDep,
    status: Annotated[str | None, Query(pattern=STATUSES)] = None,
    breached: bool | None = None,
    policy: Annotated[str | None, Query(max_length=1000)] = None,
    customer: Annotated[str | None, Query(max_length=MAX_TEXT)] = None,
    service: Annotated[str | None, Query(max_length=MAX_TEXT)] = None,
    group: Annotated[str | None, Query(max_length=MAX_TEXT)] = None,
    metric: Annotated[str | None, Query(pattern=METRIC)] = None,
    due_after: AtQuery = None,
    due_before: AtQuery = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ClockPagePublic:
    """Stored clocks by filter, in (ticket, metric, cycle) order, with cursor pagination."""
    now = svc.now()
    if who.customer is not None:
        if customer is not None and customer != who.customer:
            return ClockPagePublic(clocks=[], next_cursor=None)
        customer = who.customer
    f = ClockFilter(
        status=status,
        breached=breached,
        policy=policy,
        customer=customer,
        service=service,
        group=group,
        metric=metric,
        due_after=None if due_after is None else instant(due_after, "due_after", now),
        due_before=None if due_before is None else instant(due_before, "due_before", now),
        now=now,
    )
    try:
        page = list_clocks(svc.uow, svc.config, f, cursor, limit)
    except ValueError as exc:
        raise InvalidInput([Issue("cursor", str(exc))]) from None
    return ClockPagePublic(
        clocks=[ClockPublic.of(c) for c in page.clocks], next_cursor=page.next_cursor
    )


@router.get("/at-risk", response_model=AtRiskPublic, responses=responses(401, 422))
def get_at_risk(
    svc: ServicesDep,
    who: PrincipalDep,
    within: Annotated[str, Query(description="e.g. 30m, 2h, 1h30m", max_length=32)] = "30m",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    min_risk: Annotated[
        float | None,
        Query(
            ge=0,
            le=1,
            description="also list running clocks whose breach risk is at least this, "
            "however far their due instant",
        ),
    ] = None,
) -> AtRiskPublic:
    """Running clocks due within ``within`` from now, soonest first, each with its latest
    breach risk when a risk model is installed."""
    try:
        window = parse_duration(within)
    except ValueError as exc:
        raise InvalidInput([Issue("within", str(exc))]) from None
    now = svc.now()
    window_us = (window.days * 86_400 + window.seconds) * 1_000_000
    found = at_risk(svc.uow, svc.config, now, window_us, who.customer, limit, min_risk)
    return AtRiskPublic(
        at=format_instant(now),
        within_seconds=window.total_seconds(),
        clocks=[
            AtRiskClockPublic(
                **ClockPublic.of(item.clock).model_dump(),
                risk=None
                if item.risk is None
                else risk_public(item.risk, internal=who.customer is None),
            )
            for item in found
        ],
    )


def risk_public(row: RiskRow, internal: bool = True) -> RiskPublic:
    """A clock's risk; its reasons (counts of the whole desk's tickets, agents' names) only for
    staff tokens."""
    return RiskPublic(
        probability=round(row.risk, 4),
        reasons=list(row.reasons) if internal else [],
        scored_at=format_instant(row.scored_at),
        model=row.model,
    )
