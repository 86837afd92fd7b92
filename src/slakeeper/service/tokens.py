"""API tokens: created once, stored hashed, resolved to a principal on every request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from slakeeper.domain.errors import InvalidInput, Issue, SlakeeperError
from slakeeper.service.ports import UnitOfWork

ROLES = ("admin", "agent", "viewer")
PREFIX = "slk_"


class Unauthorized(SlakeeperError):
    """No token, or a token that is unknown or revoked."""


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: int
    name: str
    role: str
    customer: str | None  # a customer-scoped token sees only this customer's tickets

    def can(self, action: str) -> bool:
        """``read`` for everyone; ``write`` (events) for agents and admins; ``admin`` for admins."""
        if action == "read":
            return True
        if action == "write":
            return self.role in ("admin", "agent")
        return self.role == "admin"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    uow: UnitOfWork, name: str, role: str, customer: str | None, now: int
) -> tuple[int, str]:
    """A new token: (its id, the token itself — shown once, stored only as a hash)."""
    issues = []
    if role not in ROLES:
        issues.append(Issue("role", f"{role!r} must be one of {', '.join(ROLES)}"))
    if not name.strip():
        issues.append(Issue("name", "must not be empty"))
    if customer is not None and not customer.strip():
        issues.append(Issue("customer", "must not be empty when given"))
    for field, value in (("name", name), ("customer", customer)):
        if value is not None and "\x00" in value:
            issues.append(Issue(field, "must not contain a NUL character"))
    if customer is not None and role == "admin":
        issues.append(Issue("customer", "an admin token cannot be limited to one customer"))
    if issues:
        raise InvalidInput(issues)
    token = PREFIX + secrets.token_urlsafe(32)
    with uow() as store:
        token_id = store.add_token(name.strip(), role, customer, hash_token(token), now)
    return token_id, token


def authenticate(uow: UnitOfWork, token: str | None) -> Principal:
    if not token:
        raise Unauthorized("missing bearer token")
    with uow.read() as store:
        row = store.token_by_hash(hash_token(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("unknown or revoked token")
    return Principal(row.id, row.name, row.role, row.customer)
