"""The alert log: fired warnings, breaches and escalations, deliveries, the dead-letter list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.events import MAX_TEXT
from slakeeper.entrypoints.api.deps import PrincipalDep, ServicesDep, WriterDep, instant
from slakeeper.entrypoints.api.errors import responses
from slakeeper.entrypoints.api.schemas import AlertPagePublic, AlertPublic, DeliveryPublic
from slakeeper.service.alert_log import MAX_ID, LoggedDelivery, list_alerts, retry_delivery
from slakeeper.service.records import AlertFilter

router = APIRouter(prefix="/v1", tags=["alerts"])
AtQuery = Annotated[str | None, Query(description="RFC 3339 instant", max_length=64)]


@router.get("/alerts", response_model=AlertPagePublic, responses=responses(401, 422))
def get_alerts(
    svc: ServicesDep,
    who: PrincipalDep,
    ticket: Annotated[str | None, Query(max_length=MAX_TEXT)] = None,
    customer: Annotated[str | None, Query(max_length=MAX_TEXT)] = None,
    kind: Annotated[str | None, Query(pattern="^(warning|breach|escalation)$")] = None,
    late: bool | None = None,
    delivery: Annotated[
        str | None,
        Query(
            pattern="^(pending|delivered|dead|skipped)$",
            description="alerts with a delivery in this state; `dead` is the dead-letter list",
        ),
    ] = None,
    fired_after: AtQuery = None,
    fired_before: AtQuery = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AlertPagePublic:
    """Every fired alert, newest first, with its deliveries and each attempt."""
    now = svc.now()
    if who.customer is not None:
        if customer is not None and customer != who.customer:
            return AlertPagePublic(alerts=[], next_cursor=None)
        customer = who.customer
    f = AlertFilter(
        ticket=ticket,
        customer=customer,
        kind=kind,
        late=late,
        delivery=delivery,
        fired_after=None if fired_after is None else instant(fired_after, "fired_after", now),
        fired_before=None if fired_before is None else instant(fired_before, "fired_before", now),
    )
    try:
        page = list_alerts(svc.uow, f, cursor, limit)
    except ValueError as exc:
        raise InvalidInput([Issue("cursor", str(exc))]) from None
    return AlertPagePublic(
        alerts=[AlertPublic.of(a, internal=who.customer is None) for a in page.alerts],
        next_cursor=page.next_cursor,
    )


@router.post(
    "/deliveries/{delivery}/retry",
    response_model=DeliveryPublic,
    responses=responses(401, 403, 404, 422),
)
def post_retry(
    delivery: Annotated[int, Path(ge=1, le=MAX_ID)], svc: ServicesDep, who: WriterDep
) -> DeliveryPublic:
    """Send a dead (or skipped) delivery again at once; the worker picks it up."""
    found = retry_delivery(svc.uow, delivery, svc.now())
    return DeliveryPublic.of(LoggedDelivery(found, []))
