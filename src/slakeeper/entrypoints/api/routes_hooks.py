"""Inbound webhooks: ``POST /v1/hooks/{source}`` (docs/integrations.md). A source signs its
deliveries; a delivery is checked, mapped to SPEC §4 events and stored. What slakeeper has no use
for is accepted (202) and ignored with the reason — never an error the sender would retry."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from slakeeper.adapters.hooks import Ignored, sources
from slakeeper.entrypoints.api.deps import ServicesDep
from slakeeper.entrypoints.api.errors import responses
from slakeeper.service.hooks import receive

router = APIRouter(prefix="/v1/hooks", tags=["hooks"])
SOURCES = sources()


def _ignored(reason: str) -> JSONResponse:
    return JSONResponse({"accepted": 0, "duplicates": 0, "ignored": reason}, status_code=202)


@router.post(
    "/{source}",
    responses={
        **responses(401, 404),
        202: {"description": "accepted and ignored: the reason says why"},
    },
    status_code=200,
)
async def post_hook(
    source: Annotated[str, Path(pattern="^[a-z]{1,32}$")], request: Request, svc: ServicesDep
) -> Any:
    """A delivery from ``source`` (see docs/integrations.md), authenticated by its signature."""
    found = SOURCES.get(source)
    if found is None:
        known = ", ".join(sorted(SOURCES))
        return JSONResponse({"error": f"no webhook source {source!r}; use {known}"}, 404)
    secret = str(getattr(svc.settings, found.setting))
    if not secret:
        setting = f"SLAKEEPER_{found.setting.upper()}"
        return JSONResponse(
            {"error": f"the {source} webhook is not configured: set {setting}"}, 404
        )
    body = await request.body()
    if not found.verify(secret, body, request.headers):
        return JSONResponse({"error": f"the {source} signature does not match"}, 401)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _ignored("the body is not JSON")
    try:
        deliveries = found.map(request.headers, payload)
    except Ignored as exc:
        return _ignored(str(exc))
    accepted = duplicates = 0
    ignored: list[str] = []
    for mapped in deliveries:
        got = await run_in_threadpool(
            receive,
            svc.uow,
            svc.config,
            source,
            mapped.ticket,
            mapped.events,
            mapped.created,
            svc.now(),
            svc.states,
        )
        accepted += got.accepted
        duplicates += got.duplicates
        if got.ignored is not None:
            ignored.append(f"{mapped.ticket}: {got.ignored}")
    if ignored and not accepted and not duplicates:
        return _ignored("; ".join(ignored))
    tickets = [m.ticket for m in deliveries]
    out: dict[str, Any] = {"accepted": accepted, "duplicates": duplicates}
    if len(tickets) == 1:
        out["ticket"] = tickets[0]
    else:  # a source that batches (WhatsApp) may carry several tickets in one delivery
        out["tickets"] = tickets
    if ignored:
        out["ignored"] = "; ".join(ignored)
    return out
