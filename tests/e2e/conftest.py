"""The HTTP API end to end: services bootstrapped on each database, a clock the test sets, tokens.

``api`` gives a :class:`Api`: a ``TestClient`` on ``create_app`` over the test's own migrated
database (``db_url`` runs every test on SQLite and on PostgreSQL), with a clock that stands still
until the test moves it, and a token for each role — ``admin``, ``agent``, ``viewer`` and two
customer-scoped viewers, ``acme`` and ``globex``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
import pytest
import yaml
from httpx import Response
from sqlalchemy import Engine, func, select
from starlette.exceptions import StarletteDeprecationWarning

from slakeeper.adapters.db import tables
from slakeeper.bootstrap import Services, bootstrap
from slakeeper.entrypoints.api.app import create_app
from slakeeper.service.tokens import create_token
from slakeeper.settings import Settings
from tests.factories import Events, config, policy, run, us

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package and warns when it falls back to httpx, which works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

START = "2024-01-15T09:00:00Z"  # Monday of the reference week (tests/factories.py)
ROLES = {
    "admin": ("admin", None),
    "agent": ("agent", None),
    "viewer": ("viewer", None),
    "acme": ("viewer", "acme"),
    "globex": ("viewer", "globex"),
}


class TestClock:
    """The service's ``now``: µs since the epoch, standing still until the test sets it."""

    __test__ = False  # not a test class

    def __init__(self, at: str = START) -> None:
        self.us = us(at)

    def __call__(self) -> int:
        return self.us

    def set(self, at: str) -> None:
        self.us = us(at)


class Api:
    """A client of the running app with a token per role; ``as_`` names whose token to send."""

    def __init__(self, services: Services, client: TestClient, clock: TestClock) -> None:
        self.services = services
        self.client = client
        self.clock = clock
        self.tokens: dict[str, str] = {}
        for name, (role, customer) in ROLES.items():
            self.add_token(name, role, customer)

    def add_token(self, name: str, role: str, customer: str | None = None) -> str:
        _, token = create_token(self.services.uow, name, role, customer, self.clock())
        self.tokens[name] = token
        return token

    def headers(self, as_: str | None) -> dict[str, str]:
        if as_ is None:
            return {}
        return {"Authorization": f"Bearer {self.tokens.get(as_, as_)}"}

    def request(
        self, method: str, path: str, *, as_: str | None = "admin", **kwargs: Any
    ) -> Response:
        headers = {**self.headers(as_), **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, *, as_: str | None = "admin", **params: Any) -> Response:
        return self.request("GET", path, as_=as_, params=params or None)

    def put_config(
        self, document: Mapping[str, Any] | str, *, fmt: str = "yaml", as_: str | None = "admin"
    ) -> Response:
        """PUT /v1/config with a document as YAML or JSON (a string is sent as it is)."""
        if isinstance(document, str):
            body = document
        elif fmt == "yaml":
            body = yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True)
        else:
            body = orjson.dumps(dict(document)).decode()
        kind = "application/yaml" if fmt == "yaml" else "application/json"
        return self.request(
            "PUT", "/v1/config", as_=as_, content=body.encode(), headers={"Content-Type": kind}
        )

    def post_events(
        self,
        events: Iterable[Mapping[str, Any]],
        *,
        ndjson: bool = False,
        as_: str | None = "agent",
    ) -> Response:
        """POST /v1/events as a JSON array, or as JSON Lines."""
        items = [dict(e) for e in events]
        if ndjson:
            body = b"\n".join(orjson.dumps(e) for e in items) + b"\n"
            kind = "application/x-ndjson"
        else:
            body = orjson.dumps(items)
            kind = "application/json"
        return self.request(
            "POST", "/v1/events", as_=as_, content=body, headers={"Content-Type": kind}
        )

    def clocks_of(self, ticket: str, at: str | None = None, *, as_: str = "admin") -> Any:
        """GET /v1/tickets/{ticket}/clocks, asserting success."""
        params = {} if at is None else {"at": at}
        response = self.get(f"/v1/tickets/{ticket}/clocks", as_=as_, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def all_clocks(self, *, as_: str = "admin", limit: int = 1000, **filters: Any) -> list[Any]:
        """Every clock GET /v1/clocks lists for ``filters``, following the cursor to the end."""
        found: list[Any] = []
        cursor: str | None = None
        while True:
            params = {**filters, "limit": limit}
            if cursor is not None:
                params["cursor"] = cursor
            response = self.get("/v1/clocks", as_=as_, **params)
            assert response.status_code == 200, response.text
            page = response.json()
            found.extend(page["clocks"])
            cursor = page["next_cursor"]
            if cursor is None:
                return found

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        with self.services.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(tables.metadata.tables[table])
                ).scalar_one()
            )

    def event_ids(self) -> set[str]:
        with self.services.engine.connect() as connection:
            return set(connection.execute(select(tables.events.c.id)).scalars())


def make_api(db_url: str, **settings: Any) -> Iterator[Api]:
    clock = TestClock()
    services = bootstrap(Settings(database_url=db_url, **settings), migrate=False, now=clock)
    try:
        with TestClient(create_app(services), raise_server_exceptions=False) as client:
            yield Api(services, client, clock)
    finally:
        services.engine.dispose()


@pytest.fixture
def api(db_url: str, engine: Engine) -> Iterator[Api]:
    """The app over the test's migrated database (``engine`` migrates it), clock at ``START``."""
    yield from make_api(db_url)


# -- a shared configuration and history ------------------------------------------------------------

# Business calendar "biz": UTC, Monday to Friday 10:00-18:00 (tests/factories.py).
CONFIG = config(
    policy(
        "Gold acme",
        customer="acme",
        targets={
            "first_response": {"urgent": "15m", "default": "30m"},
            "next_response": {"default": "2h"},
            "resolution": {"high": "4h", "default": "8h"},
        },
    ),
    policy(
        "Storage",
        service="storage",
        calendar="24x7",
        targets={"first_response": {"default": "1h"}, "resolution": {"default": "12h"}},
    ),
    policy(
        "Standard",
        targets={
            "first_response": {"default": "4h"},
            "periodic_update": {"default": "2h"},
            "resolution": {"default": "24h"},
        },
    ),
)
NOW = "2024-01-15T15:00:00Z"  # when the scenario is sent and read, unless a test moves the clock
SCOPES = {  # the scenario's tickets: customer, service, group
    "A-1": ("acme", "storage", "tier1"),
    "A-2": ("acme", None, "tier2"),
    "A-3": ("acme", None, "tier1"),
    "G-1": ("globex", "network", None),
    "G-2": ("globex", "storage", "tier2"),
    "N-1": (None, None, "tier1"),
}


def scenario() -> Events:
    """Tickets of two customers and none, on Monday 2024-01-15: at ``NOW`` every status is seen
    (active, paused, achieved, cancelled), one clock is breached and two are due within 30 min."""
    e = Events(prefix="s")

    def created(at: str, ticket: str, priority: str) -> None:
        customer, service, group = SCOPES[ticket]
        fields = {"customer": customer, "service": service, "group": group}
        e.created(at, ticket=ticket, priority=priority, **{k: v for k, v in fields.items() if v})

    created("2024-01-15 10:00", "A-1", "high")
    e.reply("2024-01-15 10:20", ticket="A-1")
    e.customer("2024-01-15 11:00", ticket="A-1")
    created("2024-01-15 11:30", "A-2", "urgent")  # first response due 11:45: breached
    e.status("2024-01-15 12:00", "pending", ticket="A-1")  # paused
    created("2024-01-15 13:00", "G-1", "normal")
    e.reply("2024-01-15 13:30", ticket="G-1")
    e.status("2024-01-15 13:40", "solved", ticket="G-1")  # periodic update cancelled
    created("2024-01-15 14:10", "G-2", "high")  # first response due 15:10 (24x7)
    e.note("2024-01-15 14:20", ticket="G-2")
    created("2024-01-15 14:40", "N-1", "urgent")
    created("2024-01-15 14:50", "A-3", "low")  # first response due 15:20
    e.csat("2024-01-15 14:55", 4, ticket="G-1")
    return e


def expected(events: Iterable[Mapping[str, Any]], at: str, document: Any = None) -> list[Any]:
    """The clocks ``slakeeper evaluate`` computes for the same configuration and events."""
    return run(CONFIG if document is None else document, list(events), at)


def of_ticket(clocks: Iterable[Mapping[str, Any]], ticket: str) -> list[Any]:
    return [c for c in clocks if c["ticket"] == ticket]
