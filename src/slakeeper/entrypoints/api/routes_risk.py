"""The breach-risk model: install one (admin), read what is installed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from fastapi.concurrency import run_in_threadpool

from slakeeper.domain.events import format_instant
from slakeeper.entrypoints.api.deps import AdminDep, ServicesDep, StaffDep
from slakeeper.entrypoints.api.errors import responses
from slakeeper.entrypoints.api.schemas import RiskModelPublic
from slakeeper.service.queries import NotFound
from slakeeper.service.risk_watch import InstalledModel, install_model, installed_model

router = APIRouter(prefix="/v1", tags=["risk"])


def _public(found: InstalledModel) -> RiskModelPublic:
    return RiskModelPublic(
        version=found.version,
        created_at=format_instant(found.created_at),
        author=found.author,
        trained=dict(found.model.trained),
    )


@router.put(
    "/risk-model", response_model=RiskModelPublic, responses=responses(400, 401, 403, 413, 422)
)
async def put_risk_model(
    svc: ServicesDep,
    who: AdminDep,
    document: dict[str, Any] = Body(description="a model file from `slakeeper model train`"),  # noqa: B008
) -> RiskModelPublic:
    """Install a breach-risk model: the monitoring worker scores running clocks with it from its
    next pass (docs/prediction.md)."""
    found = await run_in_threadpool(install_model, svc.uow, document, who.name, svc.now())
    return _public(found)


@router.get("/risk-model", response_model=RiskModelPublic, responses=responses(401, 403, 404))
def get_risk_model(svc: ServicesDep, _: StaffDep) -> RiskModelPublic:
    """The installed breach-risk model: what it learned from and how it scored."""
    found = installed_model(svc.uow)
    if found is None:
        raise NotFound("no risk model is installed; see `slakeeper model train`")
    return _public(found)
