"""Reports over the stored clocks (definitions: docs/metrics.md)."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query

from slakeeper.bootstrap import Services
from slakeeper.domain import reports
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.entrypoints import report_view as view
from slakeeper.entrypoints.api.deps import PrincipalDep, ServicesDep, instant
from slakeeper.entrypoints.api.errors import responses
from slakeeper.service.reports import ReportQuery, breaches_by_hour_report, compliance_report
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
ZoneQuery = Annotated[str, Query(max_length=64, description="IANA time zone of periods and hours")]


def _query(
    svc: Services,
    who: Principal,
    by: str,
    period: str,
    tz: str,
    since: str | None,
    until: str | None,
) -> ReportQuery:
    issues: list[Issue] = []
    dims = [d.strip() for d in by.split(",") if d.strip()]
    for d in dims:
        if d not in reports.DIMENSIONS:
            issues.append(Issue("by", f"{d!r} is not one of {', '.join(reports.DIMENSIONS)}"))
    if len(set(dims)) != len(dims):
        issues.append(Issue("by", "a dimension is listed twice"))
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        issues.append(Issue("tz", f"{tz!r} is not an IANA time zone"))
        zone = ZoneInfo("UTC")
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
    since: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=64)] = None,
) -> list[dict[str, Any]]:
    """SLA compliance and breach rate of the judged clocks, grouped (met when stopped within
    target, breached once the due instant passed; a window selects by that instant)."""
    q = _query(svc, who, by, period, tz, since, until)
    return view.compliance_rows(q.by, compliance_report(svc.uow, q))


@router.get("/breaches-by-hour", responses=responses(401, 422))
def get_breaches_by_hour(
    svc: ServicesDep,
    who: PrincipalDep,
    tz: ZoneQuery = "UTC",
    since: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=64)] = None,
) -> list[dict[str, Any]]:
    """Breaches by weekday and hour of their due instant in ``tz``."""
    q = _query(svc, who, "", "month", tz, since, until)
    return view.hour_rows(breaches_by_hour_report(svc.uow, q))
