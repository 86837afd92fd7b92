"""Dependencies of the routes: the wired services, the caller, and the instants of a question."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from slakeeper.bootstrap import Services
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.events import BadEvent, parse_instant
from slakeeper.service.ingest import HORIZON_US, HORIZON_YEARS
from slakeeper.service.tokens import Principal, Unauthorized, authenticate


class Forbidden(Exception):
    """The caller's token does not allow this."""


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


def principal(
    svc: ServicesDep,
    authorization: Annotated[str | None, Header(description="Bearer TOKEN")] = None,
) -> Principal:
    token = None
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            token = value.strip()
    if token is None:
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    return authenticate(svc.uow, token)


PrincipalDep = Annotated[Principal, Depends(principal)]


def writer(who: PrincipalDep) -> Principal:
    if not who.can("write") or who.customer is not None:
        raise Forbidden("this token may not send events (agent or admin, not customer-scoped)")
    return who


def admin(who: PrincipalDep) -> Principal:
    if not who.can("admin"):
        raise Forbidden("this needs an admin token")
    return who


def staff(who: PrincipalDep) -> Principal:
    """Any token that is not limited to one customer (configuration is not for customers)."""
    if who.customer is not None:
        raise Forbidden("a customer-scoped token cannot read the configuration")
    return who


WriterDep = Annotated[Principal, Depends(writer)]
AdminDep = Annotated[Principal, Depends(admin)]
StaffDep = Annotated[Principal, Depends(staff)]


def instant(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    try:
        found = parse_instant(value, name)
    except BadEvent as exc:
        raise InvalidInput([Issue(name, str(exc))]) from None
    if found > default + HORIZON_US:
        raise InvalidInput([Issue(name, f"{value!r} is more than {HORIZON_YEARS} years from now")])
    return found
