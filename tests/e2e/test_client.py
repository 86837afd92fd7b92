"""``slakeeper.client`` against a live server: uvicorn on 127.0.0.1 over each database (``db_url``:
SQLite and PostgreSQL), spoken to over real HTTP — configuration, events in batches with
duplicates and bad events, clocks equal to ``slakeeper evaluate``, pages, the at-risk queue,
alerts and a delivery retry, reports, incidents and availability, and every error a caller can
meet: a refused token, an unknown ticket, a server that is down, answers that are not slakeeper's.
Retries are checked on a mock transport. The README's Python step is ``examples/integrate.py``,
run here against a server on the real clock.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from sqlalchemy import Engine

from slakeeper.adapters.config_file import parse_document
from slakeeper.adapters.notify.factory import ChannelFactory
from slakeeper.bootstrap import Services, bootstrap
from slakeeper.client import (
    AuthError,
    Client,
    EventsRejected,
    InvalidRequest,
    NotFound,
    ServerError,
    SlakeeperError,
    UnexpectedResponse,
    Unreachable,
)
from slakeeper.entrypoints.api.app import create_app
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
from slakeeper.entrypoints.worker import Worker
from slakeeper.service.tokens import create_token
from slakeeper.settings import Settings
from tests.e2e.conftest import CONFIG, NOW, SCOPES, TestClock, expected, of_ticket, scenario
from tests.factories import Events, config, policy
from tests.receivers import HttpReceiver

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
INTEGRATE = ROOT / "examples" / "integrate.py"
GUIDE = "## Integrate in ten minutes"
HOUR = timedelta(hours=1)
TOKENS = {  # name: (role, customer)
    "admin": ("admin", None),
    "agent": ("agent", None),
    "viewer": ("viewer", None),
    "acme": ("viewer", "acme"),
}


# -- a live server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    """A running server: its URL, its services (for the worker and the clock) and a token per
    name of :data:`TOKENS`."""

    url: str
    services: Services
    tokens: dict[str, str]
    clock: TestClock | None

    def client(self, who: str = "admin", **options: Any) -> Client:
        return Client(self.url, self.tokens[who], **options)

    def set_clock(self, at: str) -> None:
        assert self.clock is not None, "this server runs on the real clock"
        self.clock.set(at)


@contextmanager
def running_server(db_url: str, clock: TestClock | None = None) -> Iterator[Live]:
    """uvicorn serving the app over ``db_url`` (already migrated) on a free port of 127.0.0.1,
    on ``clock`` (default: the real one), until the block ends."""
    svc = bootstrap(
        Settings(database_url=db_url), migrate=False, **({"now": clock} if clock else {})
    )
    now = svc.now()
    tokens = {
        name: create_token(svc.uow, name, role, customer, now)[1]
        for name, (role, customer) in TOKENS.items()
    }
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield Live(f"http://127.0.0.1:{port}", svc, tokens, clock)
    finally:
        server.should_exit = True
        thread.join(10)
        svc.engine.dispose()


@pytest.fixture
def live(db_url: str, engine: Engine) -> Iterator[Live]:
    """A live server on the test's migrated database, its clock standing at ``NOW``."""
    with running_server(db_url, TestClock(NOW)) as found:
        yield found


@pytest.fixture
def api(live: Live) -> Iterator[Client]:
    """An admin client of the live server."""
    with live.client() as found:
        yield found


def loaded(api: Client) -> list[dict[str, Any]]:
    """The shared configuration and scenario (tests/e2e/conftest.py), sent in batches of 4."""
    api.put_config(CONFIG)
    events = scenario().items
    api.post_events(events, batch_size=4)
    return events


# -- configuration ---------------------------------------------------------------------------------


def test_health_needs_no_token_and_names_the_database(live: Live, api: Client) -> None:
    with Client(live.url) as anonymous:
        health = anonymous.health()
    assert health.status == "ok"
    assert health.database == live.services.engine.dialect.name
    assert health.config_version is None
    api.put_config(CONFIG)
    assert api.health().config_version == 1


def test_a_configuration_goes_in_as_a_mapping_yaml_text_or_a_file(
    api: Client, tmp_path: Path
) -> None:
    first = api.put_config(CONFIG)
    assert first.version == 1
    assert first.author == "admin"
    assert first.created_at == datetime(2024, 1, 15, 15, 0, tzinfo=UTC)
    assert first.document == CONFIG
    text = yaml.safe_dump(CONFIG, sort_keys=False)
    assert api.put_config(text).source == text
    as_json = tmp_path / "sla.json"
    as_json.write_text(json.dumps(CONFIG))
    assert api.put_config(as_json).version == 3
    as_yaml = tmp_path / "sla.yaml"
    as_yaml.write_text(text)
    assert api.put_config(as_yaml).source == text
    current = api.config()
    assert (current.version, current.document) == (4, CONFIG)
    assert [v.version for v in api.config_versions()] == [4, 3, 2, 1]
    assert api.config_version(2).source == text
    with pytest.raises(NotFound) as missing:
        api.config_version(99)
    assert missing.value.status == 404
    assert "no configuration version 99" in str(missing.value)


def test_a_bad_configuration_is_refused_with_each_problem(api: Client, tmp_path: Path) -> None:
    bad = config(policy("Broken", targets={"resolution": {"high": "4x"}}, calendar="nowhere"))
    with pytest.raises(InvalidRequest) as refused:
        api.put_config(bad)
    error = refused.value
    assert error.status == 422
    assert isinstance(error, ValueError)
    places = [issue.where for issue in error.issues]
    assert any(p.startswith("policies[0].targets.resolution") for p in places), places
    assert any("calendar" in p for p in places), places
    assert "'4x'" in str(error)
    assert str(error).startswith(f"the server at {api.base_url} refused PUT /v1/config (422)")
    with pytest.raises(InvalidRequest) as unreadable:
        api.put_config(tmp_path / "missing.yaml")
    assert unreadable.value.status is None
    assert "missing.yaml: cannot read the file" in str(unreadable.value)
    with pytest.raises(InvalidRequest, match="no configuration yet"):  # nothing was stored
        api.config()


# -- events and clocks -----------------------------------------------------------------------------


def test_events_go_in_batches_and_the_clocks_are_evaluates(api: Client) -> None:
    api.put_config(CONFIG)
    events = scenario().items
    seen: list[int] = []
    sent = api.post_events(iter(events), batch_size=4, on_batch=lambda r: seen.append(r.events))
    assert (sent.accepted, sent.duplicates, sent.events) == (len(events), 0, len(events))
    assert sent.batches == -(-len(events) // 4)
    assert seen == [min(4 * (n + 1), len(events)) for n in range(sent.batches)]
    again = api.post_events(events)  # one batch of repeats: stored once, counted as duplicates
    assert (again.accepted, again.duplicates, again.batches) == (0, len(events), 1)
    everything = expected(events, NOW)
    for ticket in SCOPES:
        clocks = api.clocks(ticket)
        assert [c.as_dict() for c in clocks] == of_ticket(everything, ticket), ticket
    earlier = expected(events, "2024-01-15T12:00:00Z")
    for at in ("2024-01-15T12:00:00Z", datetime(2024, 1, 15, 13, 0, tzinfo=timezone(HOUR))):
        got = [c.as_dict() for c in api.clocks("A-1", at=at)]
        assert got == of_ticket(earlier, "A-1")
    a1 = api.clocks("A-1")[0]
    assert a1.started_at == datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
    assert a1.started_at.tzinfo is not None
    assert a1.target == timedelta(seconds=a1.target_seconds)


def test_a_bad_event_refuses_its_batch_and_is_named_by_its_place(api: Client) -> None:
    api.put_config(CONFIG)
    e = Events(ticket="X-1", prefix="x")
    e.created("2024-01-15 10:00", priority="high")
    e.reply("2024-01-15 10:10")
    e.comment("2024-01-15 10:20", "robot")  # not an author
    e.customer("2024-01-15 10:30")
    with pytest.raises(EventsRejected) as refused:
        api.post_events(e.items, batch_size=2)
    error = refused.value
    assert isinstance(error, InvalidRequest)
    assert error.status == 422
    assert error.first == 2
    assert (error.stored.accepted, error.stored.batches) == (2, 1)
    (issue,) = error.issues
    assert issue.event == 2
    assert issue.where == "events[2] ('x3')"
    assert "robot" in issue.message
    assert "events[2] ('x3')" in str(error)
    # the first batch is stored, nothing of the refused one
    (first,) = [c for c in api.clocks("X-1") if c.metric == "first_response"]
    assert first.status == "achieved"
    assert not [c for c in api.clocks("X-1") if c.metric == "next_response"]
    # the same id with other content is refused too; the fixed batch goes in
    changed = [dict(e.items[0], priority="low")]
    with pytest.raises(EventsRejected) as conflict:
        api.post_events(changed)
    assert "different content" in conflict.value.issues[0].message
    e.items[2]["author"] = "agent"
    fixed = api.post_events(e.items)
    assert (fixed.accepted, fixed.duplicates) == (2, 2)


def test_events_before_any_configuration_are_refused_with_the_reason(api: Client) -> None:
    with pytest.raises(InvalidRequest) as refused:
        api.post_events(scenario().items)
    assert "no configuration yet" in str(refused.value)


def test_events_that_cannot_be_json_are_refused_before_sending(api: Client) -> None:
    api.put_config(CONFIG)
    with pytest.raises(EventsRejected) as refused:
        api.post_events([{"id": "a", "ticket": "T", "type": "ticket.created", "at": object()}])
    assert refused.value.status is None
    assert refused.value.issues[0].where == "events[0]"


def test_list_clocks_follows_the_pages_and_filters(api: Client) -> None:
    events = loaded(api)
    everything = expected(events, NOW)
    for size in (1, 2, 7, 1000):
        walked = [c.as_dict() for c in api.list_clocks(page_size=size)]
        assert walked == everything, size
    active_acme = [
        c for c in everything if c["status"] == "active" and SCOPES[c["ticket"]][0] == "acme"
    ]
    got = api.list_clocks(customer="acme", status="active", page_size=1)
    assert [c.as_dict() for c in got] == active_acme
    breached = [c.as_dict() for c in api.list_clocks(breached=True)]
    assert breached == [c for c in everything if c["breached"]]
    assert breached
    lazy = api.list_clocks(page_size=1)
    assert next(lazy).as_dict() == everything[0]  # pages are asked for as they are read
    with pytest.raises(InvalidRequest):
        api.list_clocks(page_size=0)
    with pytest.raises(InvalidRequest) as naive:
        api.list_clocks(due_after=datetime(2024, 1, 15))  # naive on purpose
    assert "naive" in str(naive.value)


def test_the_at_risk_queue(api: Client) -> None:
    loaded(api)
    soon = api.at_risk("30m")
    assert soon.at == datetime(2024, 1, 15, 15, 0, tzinfo=UTC)
    assert soon.within == timedelta(minutes=30)
    assert [(c.ticket, c.due_at) for c in soon.clocks] == [
        ("G-2", datetime(2024, 1, 15, 15, 10, tzinfo=UTC)),
        ("A-3", datetime(2024, 1, 15, 15, 20, tzinfo=UTC)),
    ]
    longer = api.at_risk(timedelta(hours=1, minutes=30))
    assert longer.within == timedelta(minutes=90)
    assert longer.clocks == api.at_risk("1h30m").clocks
    assert len(api.at_risk("20h", limit=1).clocks) == 1
    with pytest.raises(InvalidRequest) as refused:
        api.at_risk("2d")
    assert refused.value.issues[0].where == "within"


# -- errors ----------------------------------------------------------------------------------------


def test_a_refused_token_a_forbidden_request_and_an_unknown_ticket(live: Live, api: Client) -> None:
    loaded(api)
    with Client(live.url, "slk_not-a-token") as stranger, pytest.raises(AuthError) as refused:
        stranger.clocks("A-1")
    assert refused.value.status == 401
    assert str(refused.value) == (
        f"the server at {live.url} refused the token (401): unknown or revoked token"
    )
    with Client(live.url) as anonymous, pytest.raises(AuthError):
        anonymous.at_risk()
    with live.client("viewer") as viewer, pytest.raises(AuthError) as forbidden:
        viewer.post_events(scenario().items)
    assert forbidden.value.status == 403
    assert "POST /v1/events (403)" in str(forbidden.value)
    with pytest.raises(NotFound) as missing:
        api.clocks("NOPE-1")
    assert missing.value.status == 404
    assert "no ticket 'NOPE-1'" in str(missing.value)
    with live.client("acme") as acme:  # another customer's ticket is not there for acme
        assert {c.ticket for c in acme.clocks("A-1")} == {"A-1"}
        with pytest.raises(NotFound):
            acme.clocks("G-1")
        assert {c.ticket for c in acme.list_clocks()} == {"A-1", "A-2", "A-3"}
    with pytest.raises(InvalidRequest) as bad_instant:
        api.clocks("A-1", at="yesterday")
    assert bad_instant.value.issues[0].where == "at"


def test_a_server_that_is_down_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, "slk_any", retries=1, backoff=0) as api, pytest.raises(Unreachable) as down:
        api.health()
    error = down.value
    assert error.status is None
    assert str(error).startswith(f"cannot connect to the server at {url} (")
    assert "refused" in str(error)
    assert error.__cause__ is None
    assert not isinstance(error, httpx.HTTPError)


def test_arguments_are_checked_before_anything_is_sent() -> None:
    for url in ("localhost:8000", "", "http://"):
        with pytest.raises(InvalidRequest):
            Client(url)
    with pytest.raises(InvalidRequest):
        Client("http://127.0.0.1:1", "two\nlines")
    with Client("http://127.0.0.1:1", "t") as api:
        with pytest.raises(InvalidRequest):
            api.clocks("")
        with pytest.raises(InvalidRequest):
            api.post_events([], batch_size=0)
        with pytest.raises(InvalidRequest):
            api.at_risk(timedelta(0))
        assert api.post_events([]).batches == 0  # nothing to send: no request


# -- retries and foreign answers, on a mock transport ----------------------------------------------

HEALTH = {"status": "ok", "database": "sqlite", "config_version": 3}
INGESTED = {"accepted": 1, "duplicates": 0, "tickets": 1}
EVENT = {"id": "e1", "ticket": "T-1", "type": "ticket.created", "at": "2024-01-15T10:00:00Z"}


def mock(answers: list[Any]) -> tuple[Client, list[str]]:
    """A client whose requests get ``answers`` in turn: a response, or an exception to raise."""
    calls: list[str] = []
    queue = iter(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        answer = next(queue)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    transport = httpx.MockTransport(handler)
    return Client("http://slakeeper.test", "t", transport=transport, backoff=0), calls


def busy(status: int) -> httpx.Response:
    return httpx.Response(status, json={"error": "busy", "issues": []})


def test_idempotent_requests_are_retried_on_502_503_504_and_broken_connections() -> None:
    api, calls = mock([busy(503), busy(502), httpx.Response(200, json=HEALTH)])
    assert api.health().config_version == 3
    assert calls == ["GET /healthz"] * 3
    api, calls = mock([httpx.ConnectError("[Errno 111] Connection refused"), busy(504)] * 3)
    with pytest.raises(Unreachable):
        api.health()
    assert len(calls) == 3  # one try and two retries (the default)
    api, calls = mock([httpx.ReadTimeout("slow"), httpx.Response(200, json=INGESTED)])
    assert api.post_events([EVENT]).accepted == 1  # idempotent by event id
    assert calls == ["POST /v1/events"] * 2
    api, calls = mock([httpx.RemoteProtocolError("closed"), httpx.Response(200, json=HEALTH)])
    assert api.health().status == "ok"
    api, calls = mock([busy(503)] * 3)
    with pytest.raises(ServerError) as failing:
        api.health()
    assert failing.value.status == 503
    assert "failed on GET /healthz (503): busy" in str(failing.value)


def test_other_requests_are_sent_once() -> None:
    api, calls = mock([busy(503)])
    with pytest.raises(ServerError):
        api.retry_delivery(7)
    assert calls == ["POST /v1/deliveries/7/retry"]
    api, calls = mock([httpx.ConnectError("[Errno 111] Connection refused")])
    with pytest.raises(Unreachable):
        api.create_token("desk", "agent")
    assert len(calls) == 1
    api, calls = mock([httpx.ReadTimeout("slow")])
    with pytest.raises(Unreachable) as slow:
        api.retry_delivery(7)
    assert "did not answer POST /v1/deliveries/7/retry within 30 s" in str(slow.value)


def test_answers_that_are_not_slakeeper_are_clear_errors() -> None:
    html = httpx.Response(200, text="<html>hello</html>", headers={"content-type": "text/html"})
    api, _ = mock([html])
    with pytest.raises(UnexpectedResponse) as not_json:
        api.health()
    assert "is not JSON (text/html)" in str(not_json.value)
    api, _ = mock([httpx.Response(200, json={"status": 1})])
    with pytest.raises(UnexpectedResponse) as wrong_shape:
        api.health()
    assert "cannot read" in str(wrong_shape.value)
    api, _ = mock([httpx.Response(404, text="no such page")])
    with pytest.raises(NotFound) as plain:
        api.clocks("T-1")
    assert plain.value.message == "no such page"
    api, _ = mock([httpx.Response(418, json={"error": "teapot", "issues": []})])
    with pytest.raises(SlakeeperError) as odd:
        api.config()
    assert type(odd.value) is SlakeeperError
    assert odd.value.status == 418


# -- alerts, reports, availability -----------------------------------------------------------------


@contextmanager
def alerting(live: Live, api: Client) -> Iterator[tuple[Callable[[str], None], HttpReceiver]]:
    """A configuration that warns at 50% to a webhook receiver, tickets A-1 (acme, first response
    due in 1 h) and G-1 created at 10:00, and ``run(at)``: the worker's round at ``at``."""
    receiver = HttpReceiver()
    doc: dict[str, Any] = config(
        policy("Gold acme", customer="acme", targets={"first_response": {"default": "1h"}}),
        policy("Standard", targets={"first_response": {"default": "2h"}}),
    )
    for p in doc["policies"]:
        p["alerts"] = ["50%"]
    doc["channels"] = {"hook": {"type": "webhook", "url": receiver.url}}
    doc["notify"] = {"channels": ["hook"]}
    api.put_config(doc)
    live.set_clock("2024-01-15T10:00:00Z")
    events = Events()
    events.created("2024-01-15T10:00:00Z", ticket="A-1", customer="acme")
    events.created("2024-01-15T10:00:00Z", ticket="G-1", customer="globex")
    api.post_events(events)
    factory = ChannelFactory(env={})
    worker = Worker(live.services, factory, threads=1)

    def run(at: str) -> None:
        live.set_clock(at)
        worker.run_once()

    try:
        yield run, receiver
    finally:
        worker._executor.shutdown()
        factory.close()
        receiver.close()


def test_alerts_their_deliveries_and_a_retry_of_a_dead_letter(live: Live, api: Client) -> None:
    with alerting(live, api) as (run, receiver):
        receiver.fail_status, receiver.failures = 404, 1
        run("2024-01-15T10:30:00Z")  # acme's 50%: its delivery fails for good
        run("2024-01-15T11:00:00Z")  # acme's breach (no breach route: logged) and globex's 50%
        alerts = list(api.alerts())
        assert {(a.ticket, a.threshold) for a in alerts} >= {("A-1", "50%"), ("G-1", "50%")}
        assert [a.fired_at for a in alerts] == sorted((a.fired_at for a in alerts), reverse=True)
        (dead,) = list(api.alerts(delivery="dead"))
        assert (dead.ticket, dead.kind, dead.threshold) == ("A-1", "warning", "50%")
        assert dead.planned_at == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
        assert dead.late is False
        assert dead.message["id"] == dead.id
        (delivery,) = dead.deliveries
        assert (delivery.channel, delivery.status) == ("hook", "dead")
        assert delivery.history[0].status == 404
        assert (delivery.last_error or "").startswith("HTTP 404")
        assert [a.ticket for a in api.alerts(ticket="G-1")] == ["G-1"]
        assert len(list(itertools.islice(api.alerts(page_size=1), 2))) == 2
        with live.client("viewer") as viewer, pytest.raises(AuthError):
            viewer.retry_delivery(delivery.id)
        again = api.retry_delivery(delivery.id)
        assert (again.id, again.status) == (delivery.id, "pending")
        with pytest.raises(NotFound):
            api.retry_delivery(999_999)
        receiver.failures = 0
        run("2024-01-15T11:00:01Z")
        assert list(api.alerts(delivery="dead")) == []
        with live.client("acme") as acme:
            assert {a.ticket for a in acme.alerts()} == {"A-1"}
            assert all(a.deliveries == () for a in acme.alerts())


def test_compliance_rows_are_the_reports(live: Live, api: Client) -> None:
    loaded(api)
    rows = api.compliance(by=["metric", "priority"], tz="Europe/Berlin")
    raw = httpx.get(
        f"{live.url}/v1/reports/compliance",
        params={"by": "metric,priority", "tz": "Europe/Berlin"},
        headers={"Authorization": f"Bearer {live.tokens['admin']}"},
    ).json()
    assert rows
    assert [
        (
            r.dimensions,
            r.met,
            r.breached,
            r.judged,
            r.compliance_pct,
            r.breach_rate_pct,
        )
        for r in rows
    ] == [
        (
            {"metric": x["metric"], "priority": x["priority"]},
            x["met"],
            x["breached"],
            x["judged"],
            x["compliance_pct"],
            x["breach_rate_pct"],
        )
        for x in raw
    ]
    assert all(r.judged == r.met + r.breached for r in rows)
    acme = api.compliance(by="metric", customer="acme")
    assert sum(r.judged for r in acme) <= sum(r.judged for r in api.compliance())
    with pytest.raises(InvalidRequest) as refused:
        api.compliance(by="weather")
    assert refused.value.issues[0].where == "by"


def test_incidents_and_availability(live: Live, api: Client) -> None:
    api.put_config(parse_document(EXAMPLE_CONFIG.read_text(), str(EXAMPLE_CONFIG)))
    live.set_clock("2026-10-20T12:00:00Z")
    start = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)
    recorded = api.post_incident(
        "INC-1", "storage", start, end=start + timedelta(minutes=30), title="blob writes fail"
    )
    assert recorded.created is True
    assert (recorded.start, recorded.end, recorded.impact) == (
        start,
        start + timedelta(minutes=30),
        "major",
    )
    replay = api.post_incident(
        "INC-1",
        "storage",
        "2026-10-06T10:00:00Z",
        end="2026-10-06T10:30:00Z",
        title="blob writes fail",
    )
    assert replay.created is False
    read = api.incident("INC-1")
    assert (read.id, read.title, read.created) == ("INC-1", "blob writes fail", None)
    live.set_clock("2026-11-02T00:00:00Z")
    got = api.availability("storage", period="2026-10")
    eligible = (31 * 1440 + 60 - 240) * 60  # October in Berlin, less four Sunday windows
    assert got.objective == "storage-monthly"
    assert got.uptime == Fraction(eligible - 30 * 60, eligible)
    assert got.uptime_pct is not None
    assert got.uptime_pct < Decimal(100)
    assert got.period == "2026-10"
    assert got.end > got.start
    assert len(got.days) == 31
    with pytest.raises(NotFound):
        api.availability("nothing-here", period="2026-10")


# -- the README's Python step ----------------------------------------------------------------------


def guide_blocks(language: str) -> list[str]:
    """The code blocks of ``language`` in the README's "Integrate in ten minutes" section."""
    text = README.read_text(encoding="utf-8")
    assert GUIDE in text, "the README lost its integration guide"
    section = text.split(GUIDE, 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture
def live_now(db_url: str, engine: Engine) -> Iterator[Live]:
    """A live server on the real clock (the README's example dates its events from now)."""
    with running_server(db_url) as found:
        yield found


def test_the_readme_python_is_examples_integrate_and_it_runs(live_now: Live) -> None:
    (python,) = guide_blocks("python")
    assert python in INTEGRATE.read_text(encoding="utf-8")
    (sla,) = guide_blocks("yaml")
    with live_now.client() as api:
        api.put_config(sla)
    env = {
        **os.environ,
        "SLAKEEPER_URL": live_now.url,
        "SLAKEEPER_TOKEN": live_now.tokens["agent"],
    }

    def example() -> list[str]:
        done = subprocess.run(
            [sys.executable, str(INTEGRATE)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    first = example()
    assert first[0] == "3 new events, 0 already stored"
    assert re.fullmatch(r"first_response: active, due \d\d:\d\d UTC", first[1]), first
    assert re.fullmatch(r"resolution: active, due \d\d:\d\d UTC", first[2]), first
    assert any(line.startswith("at risk: DESK-1001 first_response due") for line in first)
    # run again: the same events are ignored; the same ids dated from a later now are refused
    second = example()
    assert second[0] == "0 new events, 3 already stored" or second[:3] == [
        f"refused: events[{n}] ('{name}'): id '{name}' was stored before with different content"
        for n, name in enumerate(("desk-1001-new", "desk-1002-new", "desk-1002-reply"))
    ], second
    with live_now.client() as api:
        (due,) = [c.due_at for c in api.clocks("DESK-1001") if c.metric == "first_response"]
        assert due is not None
        assert timedelta(0) < due - datetime.now(UTC) <= timedelta(minutes=5)


# -- customers from the CRM ------------------------------------------------------------------------


def test_customers_through_the_client(live: Live, api: Client) -> None:
    tiered = config(
        policy("Gold", {"first_response": {"default": "30m"}}, when={"customer_tier": ["gold"]}),
        policy("Standard", {"first_response": {"default": "4h"}}),
    )
    api.put_config(tiered)
    api.post_events(
        [{"id": "c1", "ticket": "C-1", "type": "ticket.created", "at": NOW, "customer": "acme"}]
    )
    assert api.clocks("C-1")[0].policy == "Standard"
    org = api.put_customer("acme-group", attributes={"tier": "gold"}, organisation_record=True)
    assert org.changed == ()
    joined = api.put_customer(
        "acme", name="ACME", organisation="acme-group", contract_start=date(2024, 1, 1)
    )
    assert joined.changed == ("acme",)
    assert api.clocks("C-1")[0].policy == "Gold"
    acme = api.customer("acme")
    assert (acme.organisation, dict(acme.effective), acme.contract_start) == (
        "acme-group",
        {"tier": "gold"},
        date(2024, 1, 1),
    )
    synced = api.sync_customers("id,tier\nglobex,silver\n")
    assert synced.changed == ("globex",)
    assert synced.customers == 2
    again = api.sync_customers([{"id": "globex", "attributes": {"tier": "silver"}}])
    assert again.changed == ()
    with pytest.raises(InvalidRequest) as refused:
        api.sync_customers("id,tier\n,gold\n")
    assert refused.value.issues[0].where == "body:2"
    assert [c.id for c in api.customers().customers] == ["acme", "globex"]
    assert api.delete_customer("globex").changed == ("globex",)
    with pytest.raises(NotFound):
        api.customer("globex")
    with live.client("acme") as mine, pytest.raises(AuthError):
        mine.sync_customers([{"id": "x"}])
