"""POST /v1/events: a batch of ticket events, as a JSON array or JSON Lines."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from slakeeper.domain.errors import EventError, Issue
from slakeeper.domain.events import BadEvent
from slakeeper.entrypoints.api.deps import ServicesDep, WriterDep
from slakeeper.entrypoints.api.errors import problem, responses
from slakeeper.entrypoints.api.schemas import EVENT_SCHEMA, IngestPublic
from slakeeper.service.ingest import ingest_events

router = APIRouter(prefix="/v1", tags=["events"])
NDJSON = ("application/x-ndjson", "application/jsonl", "application/json-lines")


def _records(raw: bytes, ndjson: bool) -> list[tuple[int, object]]:
    if ndjson:
        out: list[tuple[int, object]] = []
        for number, line in enumerate(raw.split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                out.append((number, orjson.loads(line)))
            except orjson.JSONDecodeError as exc:
                out.append((number, BadEvent(f"not valid JSON: {exc.msg}")))
        return out
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EventError([Issue("body", f"not valid JSON: {exc.msg}")]) from None
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list):
        raise EventError([Issue("body", "send a JSON array of events, or JSON Lines")])
    return list(enumerate(body))


@router.post(
    "/events",
    response_model=IngestPublic,
    responses=responses(401, 403, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"anyOf": [{"type": "array", "items": EVENT_SCHEMA}, EVENT_SCHEMA]}
                },
                "application/x-ndjson": {
                    "schema": {"type": "string", "description": "one event (JSON) a line"}
                },
            },
        }
    },
)
async def post_events(request: Request, svc: ServicesDep, _: WriterDep) -> Any:
    """Store ticket events (SPEC §4). Idempotent by event id; one bad event rejects the batch."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    ndjson = kind in NDJSON
    raw = await request.body()
    if not raw.strip():
        return problem(422, "invalid input", [Issue("body", "no events in the request")])
    records = _records(raw, ndjson)
    result = await run_in_threadpool(
        ingest_events, svc.uow, svc.config, records, svc.now(), lines=ndjson, states=svc.states
    )
    svc_metrics = getattr(request.app.state, "metrics", None)
    if svc_metrics is not None:
        svc_metrics.ingested(result.accepted)
    return IngestPublic(
        accepted=result.accepted, duplicates=result.duplicates, tickets=result.tickets
    )
