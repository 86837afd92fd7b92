"""Inbound webhooks: ``POST /v1/hooks/{source}`` (docs/integrations.md). A source signs its
deliveries; a delivery is checked, mapped to SPEC §4 events and stored. What slakeeper has no use
for is accepted (202) and ignored with the reason — never an error the sender would retry.

``GET /v1/hooks/whatsapp`` answers Meta's subscription handshake: the ``hub.challenge`` as plain
text when ``hub.verify_token`` is the configured verify token."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from slakeeper.adapters.hooks import Ignored, same, sources
from slakeeper.entrypoints.api.deps import ServicesDep
from slakeeper.entrypoints.api.errors import responses
from slakeeper.service.hooks import receive

router = APIRouter(prefix="/v1/hooks", tags=["hooks"])
SOURCES = sources()
log = logging.getLogger("slakeeper.hooks")


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
    try:
        genuine = found.verify(secret, body, request.headers)
    except (TypeError, ValueError):  # a header no signature can be (not ASCII, ...)
        genuine = False
    if not genuine:
        return JSONResponse({"error": f"the {source} signature does not match"}, 401)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _ignored("the body is not JSON")
    try:
        deliveries = found.map(request.headers, payload)
    except Ignored as exc:
        return _ignored(str(exc))
    except Exception:  # a mapping bug must not make the sender retry forever
        log.exception("%s hook: the payload could not be mapped", source)
        return _ignored("the payload could not be mapped (logged)")
    accepted = duplicates = 0
    ignored: list[str] = []
    tickets: list[str] = []
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
            conversation=mapped.conversation,
        )
        accepted += got.accepted
        duplicates += got.duplicates
        tickets.append(got.ticket or mapped.ticket)
        if got.ignored is not None:
            ignored.append(f"{tickets[-1]}: {got.ignored}")
    if ignored and not accepted and not duplicates:
        return _ignored("; ".join(ignored))
    tickets = list(dict.fromkeys(tickets))  # a chat's messages come one Mapped each
    out: dict[str, Any] = {"accepted": accepted, "duplicates": duplicates}
    if len(tickets) == 1:
        out["ticket"] = tickets[0]
    else:  # a source that batches (WhatsApp) may carry several tickets in one delivery
        out["tickets"] = tickets
    if ignored:
        out["ignored"] = "; ".join(ignored)
    return out


_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}


@router.get(
    "/whatsapp",
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "the subscription is confirmed: hub.challenge, echoed",
        },
        403: {
            "content": _ERROR,
            "description": "hub.mode is not subscribe, or hub.verify_token does not match",
        },
        404: {"content": _ERROR, "description": "the WhatsApp verify token is not configured"},
        422: {"content": _ERROR, "description": "Invalid input (a NUL character in the query)"},
    },
    response_class=PlainTextResponse,
)
async def whatsapp_handshake(
    svc: ServicesDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> Response:
    """Meta's webhook verification: the challenge back when the verify token matches."""
    expected = str(svc.settings.whatsapp_verify_token)
    if not expected:
        return JSONResponse(
            {
                "error": "the whatsapp webhook is not configured: set SLAKEEPER_WHATSAPP_VERIFY_TOKEN"
            },
            404,
        )
    if mode != "subscribe" or not same(expected, token) or challenge is None:
        return JSONResponse({"error": "hub.mode or hub.verify_token does not match"}, 403)
    return PlainTextResponse(challenge)
