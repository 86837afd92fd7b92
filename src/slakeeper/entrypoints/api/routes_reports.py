"""Reports over the stored clocks (definitions: docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, PlainTextResponse

from slakeeper.bootstrap import Services
from slakeeper.domain import reports
from slakeeper.domain.calendar_spec import load_zone
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.events import MAX_TEXT
from slakeeper.domain.periods import window
from slakeeper.entrypoints import report_view as view
from slakeeper.entrypoints import review_view
from slakeeper.entrypoints.api.deps import PrincipalDep, ServicesDep, instant
from slakeeper.entrypoints.api.errors import responses
from slakeeper.service.reports import (
    ReportQuery,
    breaches_by_hour_report,
    compliance_report,
    first_contact_report,
    review_report,
    satisfaction_report,
    times_report,
)
from slakeeper.service.tokens import Principal

router = APIRouter(prefix="/v1/reports", tags=["reports"])
AtQuery = Annotated[str | None, Query(description="RFC 3339 instant", max_length=64)]
ByQuery = Annotated[
    str,
    Query(
        max_length=200,
        description="comma-separated: metric, policy, priority, group, assignee, customer, "
        "service, channel, period",
    ),
]
PeriodQuery = Annotated[str, Query(pattern="^(day|week|month|quarter)$")]
ValueQuery = Annotated[
    str | None, Query(max_length=MAX_TEXT, description="only clocks with this value")
]
ZoneQuery = Annotated[str, Query(max_length=64, description="IANA time zone of periods and hours")]
SinceQuery = Annotated[
    str | None, Query(alias="from", max_length=64, description="RFC 3339 instant, included")
]
UntilQuery = Annotated[
    str | None, Query(alias="to", max_length=64, description="RFC 3339 instant, excluded")
]
TICKET_DIMENSIONS = ("priority", "group", "assignee", "customer", "service", "channel")


def _query(
    svc: Services,
    who: Principal,
    by: str,
    period: str,
    tz: str,
    since: str | None,
    until: str | None,
    dimensions: Sequence[str] = reports.DIMENSIONS,
) -> ReportQuery:
    issues: list[Issue] = []
    dims = [d.strip() for d in by.split(",") if d.strip()]
    for d in dims:
        if d not in dimensions:
            issues.append(Issue("by", f"{d!r} is not one of {', '.join(dimensions)}"))
    if len(set(dims)) != len(dims):
        issues.append(Issue("by", "a dimension is listed twice"))
    try:
        zone = load_zone(tz)
    except ValueError as exc:
        issues.append(Issue("tz", str(exc)))
        zone = load_zone("UTC")
    if issues:
        raise InvalidInput(issues)
    now = svc.now()
    start = None if since is None else instant(since, "from", now)
    end = None if until is None else instant(until, "to", now)
    return ReportQuery(dims, period, zone, start, end, now, who.customer)


@router.get("/compliance", responses=responses(401, 422))
def get_compliance(
    svc: ServicesDep,
    who: PrincipalDep,
    by: ByQuery = "metric",
    period: PeriodQuery = "month",
    tz: ZoneQuery = "UTC",
    since: SinceQuery = None,
    until: UntilQuery = None,
    metric: ValueQuery = None,
    policy: ValueQuery = None,
    priority: ValueQuery = None,
    group: ValueQuery = None,
    customer: ValueQuery = None,
    service: ValueQuery = None,
    channel: ValueQuery = None,
    assignee: ValueQuery = None,
) -> list[dict[str, Any]]:
    """SLA compliance and breach rate of the judged clocks, grouped (met when stopped within
    target, breached once the due instant passed; a window selects by that instant), of the
    clocks whose dimensions have the values given (``priority=high&customer=acme``)."""
    q = _query(svc, who, by, period, tz, since, until)
    given = {
        "metric": metric,
        "policy": policy,
        "priority": priority,
        "group": group,
        "customer": customer,
        "service": service,
        "channel": channel,
        "assignee": assignee,
    }
    where = tuple((d, v) for d, v in given.items() if v is not None)
    return view.compliance_rows(q.by, compliance_report(svc.uow, replace(q, where=where)))


@router.get("/breaches-by-hour", responses=responses(401, 422))
def get_breaches_by_hour(
    svc: ServicesDep,
    who: PrincipalDep,
    tz: ZoneQuery = "UTC",
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> list[dict[str, Any]]:
    """Breaches by weekday and hour of their due instant in ``tz``."""
    q = _query(svc, who, "", "month", tz, since, until)
    return view.hour_rows(breaches_by_hour_report(svc.uow, q))


@router.get("/times", responses=responses(401, 422))
def get_times(
    svc: ServicesDep,
    who: PrincipalDep,
    metric: Annotated[str, Query(pattern="^(first_response|resolution)$")] = "first_response",
    by: ByQuery = "metric",
    period: PeriodQuery = "month",
    tz: ZoneQuery = "UTC",
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> list[dict[str, Any]]:
    """First response or resolution times (count; mean, median and p90 in seconds, in business
    and in calendar time) of the achieved cycles that stopped in the window, grouped."""
    q = _query(svc, who, by, period, tz, since, until)
    return view.time_rows(q.by, times_report(svc.uow, q, metric))


@router.get("/fcr", responses=responses(401, 422))
def get_first_contact(
    svc: ServicesDep,
    who: PrincipalDep,
    by: Annotated[
        str,
        Query(
            max_length=200,
            description="comma-separated ticket dimensions: priority, group, assignee, customer, "
            "service, channel",
        ),
    ] = "",
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> list[dict[str, Any]]:
    """First contact resolution and reopen rate of the tickets first solved in the window,
    grouped by ticket dimensions."""
    q = _query(svc, who, by, "month", "UTC", since, until, TICKET_DIMENSIONS)
    return view.first_contact_rows(q.by, first_contact_report(svc.uow, q))


@router.get("/csat", responses=responses(401, 422))
def get_satisfaction(
    svc: ServicesDep,
    who: PrincipalDep,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> list[dict[str, Any]]:
    """The last ratings given in the window: tickets whose judged clocks were all met against
    tickets with a breached one (ratings, average, distribution of scores)."""
    q = _query(svc, who, "", "month", "UTC", since, until)
    return view.satisfaction_rows(satisfaction_report(svc.uow, q))


reviews = APIRouter(prefix="/v1/reviews", tags=["reports"])


@reviews.get("/{period}", responses=responses(401, 422), response_model=None)
def get_review(
    period: Annotated[
        str, Path(max_length=16, description="a month (2026-10) or quarter (2026-Q4)")
    ],
    svc: ServicesDep,
    who: PrincipalDep,
    tz: ZoneQuery = "UTC",
    objective: Annotated[float, Query(ge=0, le=100, description="percent")] = 95.0,
    form: Annotated[str, Query(alias="format", pattern="^(json|html|csv)$")] = "json",
) -> Any:
    """The periodic review overall and per customer (a customer-scoped token: its own), as of
    now: the stored clocks hold every event received, late ones for a closed period included."""
    try:
        zone = load_zone(tz)
    except ValueError as exc:
        raise InvalidInput([Issue("tz", str(exc))]) from None
    try:
        window(period, zone)
    except ValueError as exc:
        raise InvalidInput([Issue("period", str(exc))]) from None
    now = svc.now()
    scopes = review_report(svc.uow, period, zone, Fraction(str(objective)) / 100, now, who.customer)
    if form == "html":
        return HTMLResponse(review_view.as_html(period, tz, scopes, now))
    if form == "csv":
        return PlainTextResponse(review_view.as_csv(period, scopes), media_type="text/csv")
    return review_view.as_dict(period, tz, scopes)
