"""Service availability over HTTP: incidents (recorded, corrected with a reason), measurements,
an objective's report, and customers' monthly statements with their credits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from slakeeper.domain.availability import Incident, Slice
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.events import MAX_TEXT, format_instant
from slakeeper.entrypoints.api.deps import PrincipalDep, ServicesDep, WriterDep, instant
from slakeeper.entrypoints.api.errors import responses
from slakeeper.entrypoints.availability_view import report_out, statement_out
from slakeeper.service.availability import (
    add_measurements,
    availability_report,
    change_incident,
    incident_with_changes,
    incidents,
    objective_signals,
    record_incident,
    statements,
)
from slakeeper.service.records import IncidentChange

router = APIRouter(prefix="/v1", tags=["availability"])
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,127}$"
MAX_COUNT = 10**15
ServicePath = Annotated[str, Path(pattern=_NAME)]


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_ID, description="your id for it: sending it again is a replay")
    service: str = Field(pattern=_NAME)
    impact: str = Field("major", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    start: str = Field(max_length=64, description="RFC 3339")
    end: str | None = Field(None, max_length=64, description="RFC 3339; absent while open")
    title: str = Field("", max_length=MAX_TEXT)
    components: list[str] = Field(default_factory=list, max_length=50)


class IncidentChangeIn(BaseModel):
    """Only the fields given change; ``end: null`` reopens the incident."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=MAX_TEXT, description="why: kept with the change")
    start: str | None = Field(None, max_length=64)
    end: str | None = Field(None, max_length=64)
    impact: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,40}$")
    title: str | None = Field(None, max_length=MAX_TEXT)
    components: list[str] | None = Field(None, max_length=50)


class MeasurementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(max_length=64)
    end: str = Field(max_length=64)
    good: int = Field(ge=0, le=MAX_COUNT)
    total: int = Field(ge=0, le=MAX_COUNT)


def _incident_out(i: Incident) -> dict[str, Any]:
    return {
        "id": i.id,
        "service": i.service,
        "impact": i.impact,
        "start": format_instant(i.start),
        "end": None if i.end is None else format_instant(i.end),
        "title": i.title,
        "components": list(i.components),
    }


def _change_out(c: IncidentChange) -> dict[str, Any]:
    def shown(values: Any) -> dict[str, Any]:
        return {
            k: format_instant(v) if k in ("start", "end") and isinstance(v, int) else v
            for k, v in values.items()
        }

    return {
        "at": format_instant(c.at),
        "author": c.author,
        "reason": c.reason,
        "before": shown(c.before),
        "after": shown(c.after),
    }


@router.post("/incidents", responses=responses(400, 401, 403, 422), status_code=201)
def post_incident(body: IncidentIn, svc: ServicesDep, who: WriterDep, response: Response) -> Any:
    """Record an incident (the same one again is a replay: 200)."""
    now = svc.now()
    start = instant(body.start, "start", now)
    end = None if body.end is None else instant(body.end, "end", now)
    incident = Incident(
        body.id, body.service, start, end, body.impact, tuple(body.components), body.title
    )
    found, created = record_incident(svc.uow, svc.config, incident, now, who.name)
    if not created:
        response.status_code = 200
    return _incident_out(found)


@router.patch("/incidents/{incident}", responses=responses(400, 401, 403, 404, 422))
def patch_incident(
    incident: Annotated[str, Path(pattern=_ID)],
    body: IncidentChangeIn,
    svc: ServicesDep,
    who: WriterDep,
) -> Any:
    """Correct an incident with a reason: the change is logged and issued statements of the
    months it touches are restated."""
    now = svc.now()
    changes: dict[str, Any] = {}
    for name in body.model_fields_set - {"reason"}:
        value = getattr(body, name)
        if name in ("start", "end"):
            if value is None and name == "start":
                raise InvalidInput([Issue("start", "an incident always has a start")])
            changes[name] = None if value is None else instant(value, name, now)
        elif name == "components":
            changes[name] = tuple(value or ())
        elif value is None:
            raise InvalidInput([Issue(name, "give a value, or leave the field out")])
        else:
            changes[name] = value
    found, change = change_incident(
        svc.uow, svc.config, incident, changes, body.reason, now, who.name
    )
    return {**_incident_out(found), "change": None if change is None else _change_out(change)}


@router.get("/incidents", responses=responses(401, 422))
def get_incidents(
    svc: ServicesDep,
    who: PrincipalDep,
    service: Annotated[str | None, Query(pattern=_NAME)] = None,
    since: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=64)] = None,
) -> list[dict[str, Any]]:
    """Incidents overlapping the window, oldest first."""
    now = svc.now()
    start = None if since is None else instant(since, "from", now)
    end = None if until is None else instant(until, "to", now)
    return [_incident_out(i) for i in incidents(svc.uow, service, start, end)]


@router.get("/incidents/{incident}", responses=responses(401, 404, 422))
def get_incident(
    incident: Annotated[str, Path(pattern=_ID)], svc: ServicesDep, who: PrincipalDep
) -> dict[str, Any]:
    """An incident and every change made to it."""
    found, changes = incident_with_changes(svc.uow, incident)
    return {**_incident_out(found), "changes": [_change_out(c) for c in changes]}


@router.post("/services/{service}/measurements", responses=responses(400, 401, 403, 404, 422))
def post_measurements(
    service: ServicePath,
    body: Annotated[list[MeasurementIn], Field(max_length=100_000)],
    svc: ServicesDep,
    who: WriterDep,
) -> dict[str, int]:
    """Good and total events per interval (probe results: 1/1 up, 0/1 down, 0/0 unknown); a
    later count for the same start replaces the earlier one."""
    now = svc.now()
    slices = [
        Slice(
            instant(m.start, f"[{i}].start", now),
            instant(m.end, f"[{i}].end", now),
            m.good,
            m.total,
        )
        for i, m in enumerate(body)
    ]
    return {"stored": add_measurements(svc.uow, svc.config, service, slices, now)}


@router.get("/availability/{service}", responses=responses(401, 404, 422))
def get_availability(
    service: ServicePath,
    svc: ServicesDep,
    who: PrincipalDep,
    objective: Annotated[str | None, Query(pattern=_NAME)] = None,
    period: Annotated[
        str | None, Query(max_length=16, description="2026-10, 2026-Q4 or 2026")
    ] = None,
) -> dict[str, Any]:
    """Uptime, error budget, burn rates and projection of a service's objective (its first by
    default) over a calendar period (default: the current one) or its rolling days."""
    try:
        found = availability_report(svc.uow, svc.config, service, objective, period, svc.now())
        now_signals = objective_signals(svc.uow, svc.config, found)
    except ValueError as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput([Issue("period", str(exc))]) from None
    return report_out(found, now_signals)


@router.get("/statements/{period}", responses=responses(401, 422))
def get_statements(
    period: Annotated[str, Path(max_length=16, description="a month: 2026-10")],
    svc: ServicesDep,
    who: PrincipalDep,
    customer: Annotated[str | None, Query(pattern=_NAME)] = None,
) -> list[dict[str, Any]]:
    """Each customer's monthly statement: uptime per service, credits owed and ticket-SLA
    compliance; a customer-scoped token gets its own."""
    if who.customer is not None:
        customer = who.customer
    found = statements(svc.uow, svc.config, period, svc.now(), customer)
    return [statement_out(s) for s in found]
