"""Inbound webhooks: ``POST /v1/hooks/{source}`` (docs/integrations.md). A source signs its
deliveries; a delivery is checked, mapped to SPEC §4 events and stored. What slakeeper has no use
for is accepted (202) and ignored with the reason — never an error the sender would retry."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from slakeeper.adapters.hooks import Ignored, github, zendesk
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
    """A delivery from ``source`` (``github`` or ``zendesk``), authenticated by its signature."""
    secrets = {
        "github": svc.settings.github_hook_secret,
        "zendesk": svc.settings.zendesk_hook_secret,
    }
    if source not in secrets:
        return JSONResponse({"error": f"no webhook source {source!r}; use github or zendesk"}, 404)
    secret = secrets[source]
    if not secret:
        setting = f"SLAKEEPER_{source.upper()}_HOOK_SECRET"
        return JSONResponse(
            {"error": f"the {source} webhook is not configured: set {setting}"}, 404
        )
    body = await request.body()
    headers = request.headers
    if source == "github":
        signed = github.verify(secret, body, headers.get("x-hub-signature-256"))
    else:
        signed = zendesk.verify(
            secret,
            body,
            headers.get("x-zendesk-webhook-signature-timestamp"),
            headers.get("x-zendesk-webhook-signature"),
        )
    if not signed:
        return JSONResponse({"error": f"the {source} signature does not match"}, 401)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _ignored("the body is not JSON")
    try:
        if source == "github":
            delivery = headers.get("x-github-delivery") or ""
            if not delivery or len(delivery) > 64:
                return _ignored("no usable X-GitHub-Delivery header")
            mapped = github.map_delivery(headers.get("x-github-event", ""), delivery, payload)
        else:
            mapped = zendesk.map_event(payload)
    except Ignored as exc:
        return _ignored(str(exc))
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
    if got.ignored is not None:
        return _ignored(got.ignored)
    return {"accepted": got.accepted, "duplicates": got.duplicates, "ticket": mapped.ticket}
