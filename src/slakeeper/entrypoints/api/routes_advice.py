"""Advice from the stored history: what a proposed configuration would have given, and the
targets the team meets (``docs/whatif.md``)."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.entrypoints.advice_view import targets_document, whatif_document
from slakeeper.entrypoints.api.deps import PrincipalDep, ServicesDep, instant
from slakeeper.entrypoints.api.errors import responses
from slakeeper.entrypoints.api.routes_config import CONFIG_BODY, config_body
from slakeeper.service.whatif import stored_targets, stored_whatif

router = APIRouter(prefix="/v1", tags=["advice"])
SinceQuery = Annotated[
    str | None, Query(alias="from", max_length=64, description="RFC 3339 instant, included")
]
UntilQuery = Annotated[
    str | None, Query(alias="to", max_length=64, description="RFC 3339 instant, excluded")
]
Probability = Annotated[float, Query(gt=0, lt=1)]


@router.post(
    "/whatif",
    responses=responses(401, 413, 422),
    openapi_extra=CONFIG_BODY,
)
async def post_whatif(
    request: Request,
    svc: ServicesDep,
    who: PrincipalDep,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> dict[str, Any]:
    """The compliance a proposed configuration (the body: SPEC §3, YAML or JSON) would have had
    on the stored events as of now — clocks judged in ``[from, to)``, by metric and priority and
    by policy — beside the current configuration's. Nothing is stored. A customer-scoped token
    sees its own tickets."""
    document, _ = await config_body(request, "proposed")
    now = svc.now()
    start, end = _window(since, until, now)
    result, version = await run_in_threadpool(
        lambda: stored_whatif(
            svc.uow, svc.config, document, now, start=start, end=end, customer=who.customer
        )
    )
    return {"baseline_version": version, **whatif_document(result)}


@router.get("/targets", responses=responses(401, 422))
def get_targets(
    svc: ServicesDep,
    who: PrincipalDep,
    goal: Probability = 0.9,
    confidence: Probability = 0.95,
    since: Annotated[
        str | None,
        Query(alias="from", max_length=64, description="clocks started from this instant"),
    ] = None,
    until: Annotated[
        str | None,
        Query(alias="to", max_length=64, description="clocks started before this instant"),
    ] = None,
) -> dict[str, Any]:
    """Per metric, priority and policy of the current configuration: how long the stored
    history's clocks took (business time), the target met with probability ``goal`` with its
    ``confidence`` interval, and a recommended target (the interval's upper end, rounded up)."""
    now = svc.now()
    start, end = _window(since, until, now)
    result = stored_targets(
        svc.uow,
        svc.config,
        Fraction(str(goal)),
        Fraction(str(confidence)),
        now,
        start=start,
        end=end,
        customer=who.customer,
    )
    return targets_document(result)


def _window(since: str | None, until: str | None, now: int) -> tuple[int | None, int | None]:
    """``[from, to)`` as instants; a window that ends before it starts is refused (422)."""
    start = instant(since, "from", now) if since is not None else None
    end = instant(until, "to", now) if until is not None else None
    if start is not None and end is not None and end <= start:
        raise InvalidInput([Issue("to", "must come after from")])
    return start, end
