"""/v1/config and the calendar and policy resources derived from it."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from slakeeper.adapters.config_file import parse_document
from slakeeper.domain.errors import ConfigError, Issue
from slakeeper.domain.events import format_instant
from slakeeper.entrypoints.api.deps import AdminDep, ServicesDep, StaffDep
from slakeeper.entrypoints.api.errors import responses
from slakeeper.entrypoints.api.schemas import (
    CONFIG_SCHEMA,
    ConfigVersionPublic,
    ConfigVersionSummary,
    RowId,
)
from slakeeper.service.configuration import ConfigVersion, put_config, require_config
from slakeeper.service.queries import NotFound

router = APIRouter(prefix="/v1", tags=["configuration"])
# the OpenAPI body of a route that takes a configuration document (SPEC §3), YAML or JSON
CONFIG_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": CONFIG_SCHEMA},
            "application/json": {"schema": CONFIG_SCHEMA},
        },
    }
}


async def config_body(request: Request, name: str) -> tuple[object, str]:
    """The request's configuration document, parsed (JSON by its content type, else YAML; issues
    name ``name``), and its text."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError([Issue("", "the body is not UTF-8 text")]) from None
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return parse_document(text, f"{name}.json" if kind.endswith("json") else f"{name}.yaml"), text


def _public(v: ConfigVersion, with_source: bool = True) -> ConfigVersionPublic:
    document = v.document if isinstance(v.document, dict) else {}
    return ConfigVersionPublic(
        version=v.version,
        created_at=format_instant(v.created_at),
        author=v.author,
        document=document,
        source=v.source if with_source else None,
    )


@router.put(
    "/config",
    response_model=ConfigVersionPublic,
    responses=responses(401, 403, 413, 422),
    openapi_extra=CONFIG_BODY,
)
async def put_configuration(
    request: Request, svc: ServicesDep, who: AdminDep
) -> ConfigVersionPublic:
    """Validate an SLA document (SPEC §3, YAML or JSON) and store it as a new version."""
    document, text = await config_body(request, "config")
    stored = await run_in_threadpool(
        put_config, svc.uow, svc.config, document, text, who.name, svc.now(), svc.states
    )
    return _public(stored)


@router.get("/config", response_model=ConfigVersionPublic, responses=responses(401, 403, 422))
def get_configuration(svc: ServicesDep, _: StaffDep) -> ConfigVersionPublic:
    """The current configuration version."""
    with svc.uow.read() as store:
        return _public(require_config(svc.config, store))


@router.get(
    "/config/versions", response_model=list[ConfigVersionSummary], responses=responses(401, 403)
)
def list_versions(svc: ServicesDep, _: StaffDep) -> list[ConfigVersionSummary]:
    """Every version, newest first: nothing is ever overwritten."""
    with svc.uow.read() as store:
        rows = store.config_history()
    return [
        ConfigVersionSummary(
            version=r.version, created_at=format_instant(r.created_at), author=r.author
        )
        for r in rows
    ]


@router.get(
    "/config/versions/{version}",
    response_model=ConfigVersionPublic,
    responses=responses(401, 403, 404, 422),
)
def get_version(version: RowId, svc: ServicesDep, _: StaffDep) -> ConfigVersionPublic:
    with svc.uow.read() as store:
        row = store.config_version(version)
    if row is None:
        raise NotFound(f"no configuration version {version}")
    return ConfigVersionPublic(
        version=row.version,
        created_at=format_instant(row.created_at),
        author=row.author,
        document=orjson.loads(row.document),
        source=row.source,
    )


def _section(svc: ServicesDep, key: str) -> list[dict[str, Any]]:
    with svc.uow.read() as store:
        current = require_config(svc.config, store)
    document = current.document if isinstance(current.document, dict) else {}
    items = document.get(key) or []
    return [item for item in items if isinstance(item, dict)]


def _named(svc: ServicesDep, key: str, name: str, what: str) -> dict[str, Any]:
    for item in _section(svc, key):
        if item.get("name") == name:
            return item
    raise NotFound(f"no {what} {name!r}")


@router.get("/calendars", responses=responses(401, 403, 422))
def list_calendars(svc: ServicesDep, _: StaffDep) -> list[dict[str, Any]]:
    """The calendars of the current configuration, as written."""
    return _section(svc, "calendars")


@router.get("/calendars/{name}", responses=responses(401, 403, 404, 422))
def get_calendar(name: str, svc: ServicesDep, _: StaffDep) -> dict[str, Any]:
    return _named(svc, "calendars", name, "calendar")


@router.get("/policies", responses=responses(401, 403, 422))
def list_policies(svc: ServicesDep, _: StaffDep) -> list[dict[str, Any]]:
    """The policies of the current configuration, in file order, as written."""
    return _section(svc, "policies")


@router.get("/policies/{name}", responses=responses(401, 403, 404, 422))
def get_policy(name: str, svc: ServicesDep, _: StaffDep) -> dict[str, Any]:
    return _named(svc, "policies", name, "policy")
