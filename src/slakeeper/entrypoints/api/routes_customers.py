"""/v1/customers and /v1/organisations: the CRM's customers with the attributes policies test
(``when: {customer_tier: [gold]}``) and their contract dates (docs/semantics.md §12).

Every change is a new configuration version; ``POST /v1/customers`` takes a whole sync from a CRM
(JSON, or the CSV of a CRM export) and is what a CRM's webhook or a nightly job calls.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field, StrictFloat, StrictInt, StrictStr
from starlette.concurrency import run_in_threadpool

from slakeeper.domain.customers import ID, Directory, Party, document_of, entries_from_csv
from slakeeper.domain.errors import ConfigError, Issue
from slakeeper.entrypoints.api.deps import AdminDep, Forbidden, PrincipalDep, ServicesDep
from slakeeper.entrypoints.api.errors import responses
from slakeeper.service.configuration import require_config
from slakeeper.service.customers import CustomersChanged, directory_of, put_customers
from slakeeper.service.queries import NotFound

router = APIRouter(prefix="/v1", tags=["customers"])
PartyId = Annotated[str, Path(pattern=ID.pattern)]


class Contract(BaseModel):
    start: str | None = Field(None, description="first day covered, YYYY-MM-DD")
    end: str | None = Field(None, description="last day covered, YYYY-MM-DD")


class PartyIn(BaseModel):
    name: str | None = None
    organisation: str | None = Field(None, description="customers only: its organisation's id")
    attributes: dict[str, StrictStr | StrictInt | StrictFloat] = Field(
        default_factory=dict, description="e.g. {tier: gold, region: eu}"
    )
    contract: Contract | None = None


class PartyOut(BaseModel):
    id: str
    name: str | None = None
    organisation: str | None = None
    attributes: dict[str, str] = Field(description="its own attributes")
    effective: dict[str, str] = Field(
        default_factory=dict, description="with its organisation's it does not set (customers)"
    )
    contract: Contract | None = None


class DirectoryOut(BaseModel):
    customers: list[PartyOut]
    organisations: list[PartyOut]


class Sync(BaseModel):
    customers: list[dict[str, Any]] = Field(default_factory=list)
    organisations: list[dict[str, Any]] = Field(default_factory=list)
    replace: bool = Field(False, description="the lists are the whole directory (else merged)")


class Changed(BaseModel):
    version: int = Field(description="the configuration version the change made")
    changed: list[str] = Field(description="customers whose effective attributes changed")
    customers: int
    organisations: int


def _out(party: Party, directory: Directory | None = None) -> PartyOut:
    doc = document_of(party)
    effective = directory.effective(party.id) if directory is not None else {}
    contract = doc.get("contract")
    return PartyOut(
        id=party.id,
        name=party.name,
        organisation=party.organisation,
        attributes=dict(party.attributes),
        effective=effective,
        contract=Contract(**contract) if contract else None,
    )


def _changed(got: CustomersChanged) -> Changed:
    return Changed(
        version=got.version.version,
        changed=list(got.changed),
        customers=got.customers,
        organisations=got.organisations,
    )


def _directory(svc: ServicesDep) -> Directory:
    with svc.uow.read() as store:
        return directory_of(require_config(svc.config, store))


@router.get("/customers", response_model=DirectoryOut, responses=responses(401, 403, 422))
def list_customers(svc: ServicesDep, who: PrincipalDep) -> DirectoryOut:
    """Every customer and organisation (a customer token sees its own customer only)."""
    directory = _directory(svc)
    customers = [
        _out(p, directory)
        for p in directory.customers.values()
        if who.customer is None or p.id == who.customer
    ]
    organisations = [] if who.customer is not None else list(directory.organisations.values())
    return DirectoryOut(customers=customers, organisations=[_out(o) for o in organisations])


@router.get(
    "/customers/{customer}", response_model=PartyOut, responses=responses(401, 403, 404, 422)
)
def get_customer(customer: PartyId, svc: ServicesDep, who: PrincipalDep) -> PartyOut:
    if who.customer is not None and who.customer != customer:
        raise Forbidden("this token sees its own customer only")
    directory = _directory(svc)
    found = directory.customers.get(customer)
    if found is None:
        raise NotFound(f"no customer {customer!r}")
    return _out(found, directory)


def _entry(ident: str, body: PartyIn, organisation: bool) -> dict[str, Any]:
    if organisation and body.organisation is not None:
        raise ConfigError([Issue("organisation", "an organisation has no organisation")])
    entry: dict[str, Any] = {"id": ident, **body.model_dump(exclude_none=True)}
    if not entry.get("attributes"):
        entry.pop("attributes", None)
    if "contract" in entry and not entry["contract"]:
        entry.pop("contract")
    return entry


@router.put(
    "/customers/{customer}", response_model=Changed, responses=responses(400, 401, 403, 422)
)
async def put_customer(
    customer: PartyId, body: PartyIn, svc: ServicesDep, who: AdminDep
) -> Changed:
    """Add or replace one customer (a CRM webhook per customer)."""
    got = await run_in_threadpool(
        put_customers,
        svc.uow,
        svc.config,
        [_entry(customer, body, False)],
        [],
        who.name,
        svc.now(),
        svc.states,
    )
    return _changed(got)


@router.delete(
    "/customers/{customer}", response_model=Changed, responses=responses(401, 403, 404, 422)
)
async def delete_customer(customer: PartyId, svc: ServicesDep, who: AdminDep) -> Changed:
    """Remove a customer: its tickets no longer match conditions on its attributes."""
    if customer not in _directory(svc).customers:
        raise NotFound(f"no customer {customer!r}")
    got = await run_in_threadpool(
        lambda: put_customers(
            svc.uow, svc.config, [], [], who.name, svc.now(), svc.states, remove=[customer]
        )
    )
    return _changed(got)


@router.put(
    "/organisations/{organisation}",
    response_model=Changed,
    responses=responses(400, 401, 403, 422),
)
async def put_organisation(
    organisation: PartyId, body: PartyIn, svc: ServicesDep, who: AdminDep
) -> Changed:
    """Add or replace one organisation; its customers inherit the attributes they do not set."""
    got = await run_in_threadpool(
        put_customers,
        svc.uow,
        svc.config,
        [],
        [_entry(organisation, body, True)],
        who.name,
        svc.now(),
        svc.states,
    )
    return _changed(got)


@router.post(
    "/customers",
    response_model=Changed,
    responses=responses(400, 401, 403, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": Sync.model_json_schema()},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def sync_customers(
    request: Request,
    svc: ServicesDep,
    who: AdminDep,
    replace: bool = False,
) -> Changed:
    """A sync from the CRM: JSON ``{customers, organisations, replace}``, or a CSV export with an
    ``id`` column (``name``, ``organisation``, ``contract_start``, ``contract_end``; every other
    column an attribute) — merged by id; with ``replace`` the lists sent are the whole
    directory (a CSV's customers, the organisations staying as they are)."""
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError([Issue("", "the body is not UTF-8 text")]) from None
    names: list[str] | None = None
    if kind in ("text/csv", "application/csv"):
        read = entries_from_csv(text, "body")
        if read.issues:
            raise ConfigError(read.issues)
        customers, names = read.entries, read.lines
        organisations: list[dict[str, Any]] = []
        lists: tuple[str, ...] = ("customers",)  # a CSV replaces the customers only
    else:
        try:
            sync = Sync.model_validate(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise ConfigError([Issue("", f"not a sync document: {str(exc)[:300]}")]) from None
        customers, organisations = sync.customers, sync.organisations
        lists = ("customers", "organisations")
        replace = sync.replace or replace
    got = await run_in_threadpool(
        lambda: put_customers(
            svc.uow,
            svc.config,
            customers,
            organisations,
            who.name,
            svc.now(),
            svc.states,
            replace=lists if replace else (),
            names=names,
        )
    )
    return _changed(got)
