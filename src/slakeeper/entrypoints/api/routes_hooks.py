"""Inbound webhooks: ``POST /v1/hooks/{source}`` (docs/integrations.md). A source signs its
deliveries; a delivery is checked, mapped to SPEC §4 events and stored. What slakeeper has no use
for is accepted (202) and ignored with the reason — never an error the sender would retry."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from slakeeper.adapters.hooks import github
from slakeeper.entrypoints.api.deps import ServicesDep
from slakeeper.entrypoints.api.errors import responses
from slakeeper.service.hooks import receive

router = APIRouter(prefix="/v1/hooks", tags=["hooks"])


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
    """A delivery from ``source`` (``github``), authenticated by its signature."""
    if source != "github":
        return JSONResponse({"error": f"no webhook source {source!r}; use github"}, 404)
    secret = svc.settings.github_hook_secret
    if not secret:
        message = "the github webhook is not configured: set SLAKEEPER_GITHUB_HOOK_SECRET"
        return JSONResponse({"error": message}, 404)
    body = await request.body()
    if not github.verify(secret, body, request.headers.get("x-hub-signature-256")):
        return JSONResponse({"error": "the X-Hub-Signature-256 signature does not match"}, 401)
    delivery = request.headers.get("x-github-delivery") or ""
    if not delivery or len(delivery) > 64:
        return _ignored("no usable X-GitHub-Delivery header")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _ignored("the body is not JSON")
    try:
        mapped = github.map_delivery(request.headers.get("x-github-event", ""), delivery, payload)
    except github.Ignored as exc:
        return _ignored(str(exc))
    got = await run_in_threadpool(
        receive,
        svc.uow,
        svc.config,
        "github",
        mapped.ticket,
        mapped.events,
        mapped.created,
        svc.now(),
        svc.states,
    )
    if got.ignored is not None:
        return _ignored(got.ignored)
    return {"accepted": got.accepted, "duplicates": got.duplicates, "ticket": mapped.ticket}
