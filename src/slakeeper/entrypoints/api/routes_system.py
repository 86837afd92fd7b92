"""Health, Prometheus metrics and API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from slakeeper.domain.events import format_instant
from slakeeper.entrypoints.api.deps import AdminDep, ServicesDep
from slakeeper.entrypoints.api.errors import responses
from slakeeper.entrypoints.api.schemas import (
    HealthPublic,
    RowId,
    TokenCreate,
    TokenCreated,
    TokenPublic,
)
from slakeeper.service.queries import NotFound
from slakeeper.service.tokens import create_token

router = APIRouter(tags=["system"])


@router.get("/healthz", response_model=HealthPublic)
def healthz(svc: ServicesDep) -> HealthPublic:
    """Liveness and readiness: the database answers."""
    with svc.uow.read() as store:
        store.connection.execute(text("SELECT 1"))
        latest = store.latest_config()
    return HealthPublic(
        status="ok",
        database=svc.engine.dialect.name,
        config_version=None if latest is None else latest.version,
    )


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _token(row: Any) -> TokenPublic:
    return TokenPublic(
        id=row.id,
        name=row.name,
        role=row.role,
        customer=row.customer,
        created_at=format_instant(row.created_at),
        revoked_at=None if row.revoked_at is None else format_instant(row.revoked_at),
    )


@router.post(
    "/v1/tokens",
    response_model=TokenCreated,
    status_code=201,
    responses=responses(400, 401, 403, 413, 422),
)
def post_token(body: TokenCreate, svc: ServicesDep, _: AdminDep) -> TokenCreated:
    """A new token; the token itself is in this answer only."""
    now = svc.now()
    token_id, token = create_token(svc.uow, body.name, body.role, body.customer, now)
    return TokenCreated(
        id=token_id,
        name=body.name.strip(),
        role=body.role,
        customer=body.customer,
        created_at=format_instant(now),
        revoked_at=None,
        token=token,
    )


@router.get("/v1/tokens", response_model=list[TokenPublic], responses=responses(401, 403))
def get_tokens(svc: ServicesDep, _: AdminDep) -> list[TokenPublic]:
    with svc.uow.read() as store:
        return [_token(row) for row in store.tokens()]


@router.delete("/v1/tokens/{token_id}", status_code=204, responses=responses(401, 403, 404, 422))
def delete_token(token_id: RowId, svc: ServicesDep, _: AdminDep) -> Response:
    """Revoke a token; it stops working at once."""
    with svc.uow() as store:
        if not store.revoke_token(token_id, svc.now()):
            raise NotFound(f"no active token {token_id}")
    return Response(status_code=204)
