"""Bad input gets a clear 4xx, never a 500: schemathesis over the OpenAPI document, then known cases.

``test_no_input_gives_a_server_error`` runs schemathesis over every operation of the app on
SQLite (a database per module and xdist worker) with the example configuration and history
loaded and an admin token on every case. Generation is seeded and derandomized, so CI sees the
same cases on every run; the checks are: no 5xx, only documented status codes and content types,
and bodies that match the documented schemas.

``test_bad_input_is_refused`` replays inputs that once gave a 500 (or worse) on SQLite and on
PostgreSQL, where NUL characters, 64-bit overflows and index-size limits differ.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from slakeeper.adapters.config_file import parse_document
from slakeeper.adapters.db import tables
from slakeeper.bootstrap import Services, bootstrap
from slakeeper.entrypoints.api.app import create_app
from slakeeper.entrypoints.api.routes_assist import AssistantLoader
from slakeeper.service.configuration import put_config
from slakeeper.service.ingest import ingest_events
from slakeeper.service.tokens import create_token
from slakeeper.settings import Settings
from tests.conftest import DEFAULT_POSTGRES_URL, PostgresDatabase
from tests.embedders import WordsEmbedder
from tests.factories import us

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package and warns when it falls back to httpx, which works.
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = us("2026-03-13T15:00:00Z")  # inside the example history
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
KNOWN = {  # values of the example data, mixed into generation so that cases reach 200s too
    "tickets": ["T-000001", "T-000004", "T-000017", "T-000060"],
    "names": ["eu-support", "night-desk", "24x7", "Gold — ACME", "Corporate — standard"],
    "instants": ["2026-03-02T08:00:00Z", "2026-03-13T15:00:00+01:00", "2026-03-08T07:30:00.5Z"],
    "windows": ["30m", "2h", "1h30m", "45s", "90"],
    "cursors": ["0.1.T-000010", "3.1.T-000030"],
}
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261128,
        "generation": {
            "mode": "all",  # valid and invalid data
            "max-examples": 60,
            "deterministic": True,
            "database": "none",  # no examples replayed from earlier runs
        },
        "phases": {"stateful": {"enabled": False}},
        "dictionaries": {name: {"values": values} for name, values in KNOWN.items()},
        "parameters": {
            "path.ticket": {"dictionary": "tickets", "probability": 0.5},
            "path.name": {"dictionary": "names", "probability": 0.5},
            "query.at": {"dictionary": "instants", "probability": 0.5},
            "query.due_after": {"dictionary": "instants", "probability": 0.5},
            "query.due_before": {"dictionary": "instants", "probability": 0.5},
            "query.within": {"dictionary": "windows", "probability": 0.5},
            "query.cursor": {"dictionary": "cursors", "probability": 0.5},
        },
    }
)


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_: schemathesis.SerializationContext, value: Any) -> bytes:
    """JSON Lines: a text as it is, a list one item a line, anything else as one JSON line."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, list):
        return b"".join(orjson.dumps(item) + b"\n" for item in value)
    return orjson.dumps(value)


class Target:
    """The app over a database with the example configuration and history, and an admin token."""

    def __init__(self, database_url: str) -> None:
        self.services: Services = bootstrap(Settings(database_url=database_url), now=lambda: NOW)
        uow, cache = self.services.uow, self.services.config
        source = (EXAMPLES / "sla.yaml").read_text(encoding="utf-8")
        put_config(uow, cache, parse_document(source, "sla.yaml"), source, "fixture", NOW)
        lines = (EXAMPLES / "events.jsonl").read_bytes().splitlines()
        ingest_events(uow, cache, [(n, orjson.loads(x)) for n, x in enumerate(lines, 1)], NOW)
        self.admin_id, token = create_token(uow, "fuzz", "admin", None, NOW)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.app: FastAPI = create_app(self.services)
        # the assistant's plumbing, not its model: a hashing embedder over the example articles
        self.app.state.assist = AssistantLoader(EXAMPLES / "kb", embedder=WordsEmbedder)
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def keep_admin(self) -> None:
        """DELETE /v1/tokens/{id} may revoke the token the cases send: undo that."""
        with self.services.engine.begin() as connection:
            connection.execute(
                update(tables.api_tokens)
                .where(tables.api_tokens.c.id == self.admin_id)
                .values(revoked_at=None)
            )


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("schemathesis")
    built = Target(f"sqlite:///{folder / 'slakeeper.db'}")
    try:
        yield built
    finally:
        built.services.engine.dispose()


def _document() -> dict[str, Any]:
    """The app's OpenAPI document (building the app touches no database)."""
    services = bootstrap(Settings(database_url="sqlite://"), migrate=False)
    try:
        return create_app(services).openapi()
    finally:
        services.engine.dispose()


# Loaded at import so that each operation is a test of its own, which pytest-xdist can spread.
# (``schemathesis.pytest.from_fixture`` would build it from ``target`` but fails on pytest 9.2.)
schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


@schema.parametrize()
def test_no_input_gives_a_server_error(case: schemathesis.Case, target: Target) -> None:
    try:
        case.call_and_validate(headers=target.headers, checks=CHECKS, app=target.app)
    finally:
        if case.method.upper() == "DELETE":
            target.keep_admin()


# -- known bad input, on both databases -------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The example data on SQLite, and on a PostgreSQL database of this module's own."""
    if request.param == "sqlite":
        built = Target(f"sqlite:///{tmp_path_factory.mktemp('bad-input') / 'slakeeper.db'}")
        try:
            yield built
        finally:
            built.services.engine.dispose()
        return
    admin_url = os.environ.get("SLAKEEPER_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    database = PostgresDatabase(admin_url, f"slakeeper_badinput_{worker}_{os.getpid()}")
    try:
        database.create()
    except OperationalError as error:
        if os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}:
            pytest.fail(f"PostgreSQL is not reachable: {error}", pytrace=False)
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    try:
        built = Target(database.url)
        try:
            yield built
        finally:
            built.services.engine.dispose()
    finally:
        database.drop()


JSON = "application/json"
NDJSON = "application/x-ndjson"
YAML = "application/yaml"
FAR = "9999-12-31T23:59:59Z"
NOW_AT = "2026-03-13T14:00:00Z"


def _events(**fields: Any) -> bytes:
    """A batch of one event, valid but for ``fields``."""
    event = {"id": "bad-1", "ticket": "BAD-1", "type": "ticket.created", "at": NOW_AT}
    return json.dumps([{**event, "priority": "high", **fields}]).encode()


def _policy(**fields: Any) -> bytes:
    policy = {"name": "p", "targets": {"resolution": {"default": "4h"}}, **fields}
    return json.dumps({"policies": [policy]}).encode()


def _target(value: object) -> bytes:
    document = {"policies": [{"name": "p", "targets": {"resolution": {"default": value}}}]}
    return json.dumps(document).encode()  # not orjson: it refuses integers beyond 64 bits


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


BOMB = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
).encode()
ANY = (400, 404, 413, 422)
# (method, path, body, content type, the statuses that are right)
CASES: list[tuple[str, str, bytes | None, str | None, tuple[int, ...]]] = [
    # ids beyond the 32-bit columns, and what is not an id
    ("DELETE", "/v1/tokens/9223372036854775808", None, None, (422,)),
    ("DELETE", "/v1/tokens/true", None, None, (422,)),
    ("GET", "/v1/config/versions/99999999999", None, None, (422,)),
    ("GET", "/v1/config/versions/1.0", None, None, (200, 422)),  # pydantic reads 1.0 as 1
    # cursors and query parameters
    ("GET", "/v1/clocks?cursor=0.99999999999999999999999.T-000001", None, None, (422,)),
    ("GET", "/v1/clocks?cursor=0.1.%00", None, None, (422,)),
    ("GET", "/v1/clocks?cursor=nonsense", None, None, (422,)),
    ("GET", "/v1/clocks?limit=true", None, None, (422,)),
    ("GET", "/v1/clocks?limit=99999999999999999999", None, None, (422,)),
    ("GET", "/v1/clocks?breached=maybe", None, None, (422,)),
    ("GET", "/v1/clocks?due_after=0001-01-01T00:00:00%2B14:00", None, None, (422,)),
    ("GET", "/v1/clocks?customer=%00", None, None, (200, 422)),  # none such, or refused
    ("GET", "/v1/at-risk?within=99999999999999999999h", None, None, (422,)),
    ("GET", "/v1/at-risk?within=999999999h", None, None, (422,)),
    ("GET", "/v1/at-risk?within=0", None, None, (422,)),
    # tickets that cannot exist, and instants that cannot be written
    ("GET", "/v1/tickets/%00", None, None, (404, 422)),
    ("GET", "/v1/tickets/%00/clocks", None, None, (404, 422)),
    ("GET", "/v1/tickets/" + "x" * 3000, None, None, (404,)),
    ("GET", "/v1/tickets/%FF%FE", None, None, (404,)),
    ("GET", f"/v1/tickets/T-000001?at={FAR}", None, None, (200, 422)),
    ("GET", "/v1/tickets/T-000001/clocks?at=9999-12-31T23:59:59-14:00", None, None, (422,)),
    ("GET", "/v1/tickets/T-000001/clocks?at=%FF", None, None, (422,)),
    # event batches
    ("POST", "/v1/events", b"1", JSON, (422,)),
    ("POST", "/v1/events", b'"text"', JSON, (422,)),
    ("POST", "/v1/events", b"null", JSON, (422,)),
    ("POST", "/v1/events", b"[1, [], null]", JSON, (422,)),
    ("POST", "/v1/events", b"\xff\xfe[]", JSON, (422,)),
    ("POST", "/v1/events", b"[{", JSON, (422,)),
    ("POST", "/v1/events", b"{}\n\xff\n", NDJSON, (422,)),
    ("POST", "/v1/events", _deep(5000), JSON, (422,)),
    ("POST", "/v1/events", b"[{]", "text/csv", (422,)),
    ("POST", "/v1/events", _events(at="0001-01-01T00:00:00+14:00"), JSON, (422,)),
    ("POST", "/v1/events", _events(at="9999-12-31T23:59:59-14:00"), JSON, (422,)),
    ("POST", "/v1/events", _events(at=FAR), JSON, (422,)),
    ("POST", "/v1/events", _events(at=True), JSON, (422,)),
    ("POST", "/v1/events", _events(id="a\x00b"), JSON, (422,)),
    ("POST", "/v1/events", _events(ticket="a\x00b"), JSON, (422,)),
    ("POST", "/v1/events", _events(customer="a\x00b"), JSON, (422,)),
    ("POST", "/v1/events", _events(tags=["a\x00b"]), JSON, (422,)),
    ("POST", "/v1/events", _events(id="\u4e00" * 3000), JSON, (422,)),
    ("POST", "/v1/events", _events(ticket="\u4e01" * 3000), JSON, (422,)),
    ("POST", "/v1/events", _events(customer="\u4e02" * 3000), JSON, (422,)),
    ("POST", "/v1/events", _events(priority=1), JSON, (422,)),
    ("POST", "/v1/events", _events(type="comment.added", author=["agent"]), JSON, (422,)),
    ("POST", "/v1/events", _events(type="csat.rated", score=True), JSON, (422,)),
    ("POST", "/v1/events", _events(type="csat.rated", score=10**30), JSON, (422,)),
    # configurations
    ("PUT", "/v1/config", b"", YAML, (422,)),
    ("PUT", "/v1/config", b"[]", JSON, (422,)),
    ("PUT", "/v1/config", b"42", JSON, (422,)),
    ("PUT", "/v1/config", b'"text"', JSON, (422,)),
    ("PUT", "/v1/config", b"null", JSON, (422,)),
    ("PUT", "/v1/config", b"- a\n- b\n", YAML, (422,)),
    ("PUT", "/v1/config", b"\xff\xfe", YAML, (422,)),
    ("PUT", "/v1/config", b"\x00", "text/plain", (422,)),
    ("PUT", "/v1/config", _deep(100_000), JSON, (422,)),
    ("PUT", "/v1/config", b"a:" + b" [" * 100_000, YAML, (422,)),
    ("PUT", "/v1/config", BOMB, YAML, (422,)),
    ("PUT", "/v1/config", b"a: &a [*a]", YAML, (422,)),
    ("PUT", "/v1/config", _target(10**30), JSON, (422,)),
    ("PUT", "/v1/config", _target(9_999_999_999), JSON, (422,)),
    ("PUT", "/v1/config", _target("99999999999999999999h"), JSON, (422,)),
    ("PUT", "/v1/config", _target(True), JSON, (422,)),
    ("PUT", "/v1/config", _policy(name="a\x00b"), JSON, (422,)),
    ("PUT", "/v1/config", _policy(calendar=[1]), JSON, (422,)),
    # tokens
    ("POST", "/v1/tokens", b"\xff", JSON, (400, 422)),
    ("POST", "/v1/tokens", b"[]", JSON, (422,)),
    ("POST", "/v1/tokens", b'{"name": "a\\u0000", "role": "viewer"}', JSON, (422,)),
    ("POST", "/v1/tokens", b'{"name": "n", "role": "viewer", "customer": "\\u0000"}', JSON, (422,)),
    ("POST", "/v1/tokens", b'{"name": "n", "role": true}', JSON, (422,)),
]


@pytest.mark.parametrize(("method", "path", "body", "kind", "statuses"), CASES)
def test_bad_input_is_refused(
    loaded: Target,
    method: str,
    path: str,
    body: bytes | None,
    kind: str | None,
    statuses: tuple[int, ...],
) -> None:
    headers = dict(loaded.headers)
    if kind is not None:
        headers["Content-Type"] = kind
    response = loaded.client.request(method, path, content=body, headers=headers)
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    if response.status_code in ANY:
        answer = response.json()
        assert isinstance(answer["error"], str)
        assert isinstance(answer["issues"], list)
    if method != "GET":  # nothing was stored that the lists or the configuration choke on
        for probe in ("/v1/clocks?limit=1000", "/v1/at-risk?within=87600h", "/v1/config"):
            after = loaded.client.get(probe, headers=loaded.headers)
            assert after.status_code == 200, (probe, after.text[:500])
