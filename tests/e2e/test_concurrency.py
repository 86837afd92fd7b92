"""Several clients posting overlapping batches at once lose and double nothing.

A real server (uvicorn, in a thread, on a free loopback port) over the test's database — SQLite
and PostgreSQL — and four threads with their own HTTP connections, each sending every event of the
same tickets in its own random order and batches, so that the same event ids and tickets arrive
concurrently. Afterwards every event is stored exactly once, each was accepted by exactly one
request, and the stored and computed clocks equal ``evaluate`` over the union of the events.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from slakeeper.domain.events import parse_instant
from slakeeper.entrypoints.api.app import create_app
from tests.e2e.conftest import CONFIG, Api, expected, of_ticket
from tests.factories import Events, config, policy
from tests.strategies_events import BASE, MINUTE, write_instant

CLIENTS = 4
TICKETS = 10


@contextmanager
def serving(api: Api) -> Iterator[str]:
    """The app of ``api`` served by uvicorn on 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(api.services), log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start within 10 s"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        assert not thread.is_alive(), "the server did not stop"


def histories(seed: int = 11, closing: float = 0.3) -> list[dict[str, Any]]:
    """``TICKETS`` valid histories of 6-20 events, each ticket's instants strictly increasing (so
    that the order in which concurrent batches arrive cannot matter)."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for n in range(1, TICKETS + 1):
        ticket = f"C-{n:02}"
        t = BASE + rng.randrange(0, 8 * 60) * MINUTE
        status = "new"

        def add(kind: str, ticket: str = ticket, **fields: Any) -> None:
            nonlocal t
            t += rng.randrange(1, 90) * MINUTE
            event = {"id": f"{ticket}-{len(events)}", "ticket": ticket, "type": kind}
            events.append({**event, "at": write_instant(t, rng.choice((0, 60, -300))), **fields})

        add(
            "ticket.created",
            priority=rng.choice(("low", "normal", "high", "urgent")),
            customer=rng.choice(("acme", "globex")),
            service=rng.choice(("storage", "network")),
        )
        for _ in range(rng.randrange(5, 20)):
            kind = rng.choice(("reply", "reply", "customer", "status", "priority", "csat"))
            if kind == "reply":
                add("comment.added", author="agent")
            elif kind == "customer":
                add("comment.added", author="customer")
            elif kind == "status":
                status = rng.choice([s for s in ("open", "pending", "solved") if s != status])
                add("ticket.updated", status=status)
            elif kind == "priority":
                add("ticket.updated", priority=rng.choice(("low", "high")))
            else:
                add("csat.rated", score=rng.randrange(1, 6))
        if rng.random() < closing:
            add("ticket.updated", status="closed")
    return events


def batches_of(events: list[dict[str, Any]], seed: int) -> list[list[dict[str, Any]]]:
    """Every event in a random order and random batches, each batch carrying the
    ``ticket.created`` of its tickets (a batch may not start a ticket's story in the middle)."""
    rng = random.Random(seed)
    created = {e["ticket"]: e for e in events if e["type"] == "ticket.created"}
    shuffled = events[:]
    rng.shuffle(shuffled)
    out = []
    while shuffled:
        size = rng.randrange(3, 15)
        batch, shuffled = shuffled[:size], shuffled[size:]
        starts = [created[t] for t in sorted({e["ticket"] for e in batch})]
        out.append(starts + [e for e in batch if e["type"] != "ticket.created"])
    return out


def send(
    base: str,
    token: str,
    batches: list[list[dict[str, Any]]],
    start: threading.Barrier,
    results: list[tuple[int, Any]],
) -> None:
    """Post ``batches`` one after another (JSON and JSON Lines in turn), once all clients are
    ready; each answer goes to ``results``."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        start.wait(30)
        for number, batch in enumerate(batches):
            if number % 2:
                body = b"\n".join(orjson.dumps(e) for e in batch)
                kind = "application/x-ndjson"
            else:
                body, kind = orjson.dumps(batch), "application/json"
            try:
                response = client.post(
                    "/v1/events", content=body, headers={"Content-Type": kind}, timeout=60
                )
            except httpx.HTTPError as exc:  # reported by the test, not lost in the thread
                results.append((0, repr(exc)))
                continue
            results.append((response.status_code, response.json()))


def test_overlapping_batches_from_four_clients(api: Api) -> None:
    events = histories()
    last = max(parse_instant(e["at"]) for e in events)
    api.clock.set("2024-01-15T12:00:00Z")
    assert api.put_config(CONFIG).status_code == 200
    plans = [batches_of(events, seed) for seed in range(CLIENTS)]
    results: list[tuple[int, Any]] = []
    start = threading.Barrier(CLIENTS)
    with serving(api) as base:
        threads = [
            threading.Thread(target=send, args=(base, api.tokens["agent"], plan, start, results))
            for plan in plans
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)

    assert len(results) == sum(len(plan) for plan in plans)
    assert {status for status, _ in results} == {200}, [r for r in results if r[0] != 200][:3]
    assert sum(body["accepted"] for _, body in results) == len(events)  # each taken once
    sent = sum(len(batch) for plan in plans for batch in plan)
    assert sum(body["accepted"] + body["duplicates"] for _, body in results) == sent
    assert api.count("events") == len(events)
    assert api.event_ids() == {e["id"] for e in events}
    assert api.count("tickets") == TICKETS

    tickets = sorted({e["ticket"] for e in events})
    for ticket in tickets:
        view = api.get(f"/v1/tickets/{ticket}").json()
        assert [e["id"] for e in view["events"]] == [
            e["id"] for e in events if e["ticket"] == ticket
        ]
    for at in ("2024-01-15T14:00:00Z", "2024-01-16T10:30:00Z", "2024-01-20T00:00:00Z"):
        want = expected(events, at)
        for ticket in tickets:
            assert api.clocks_of(ticket, at) == of_ticket(want, ticket), (ticket, at)
    api.clock.set("2024-01-22T09:00:00Z")
    assert last < parse_instant("2024-01-22T09:00:00Z")
    assert api.all_clocks() == expected(events, "2024-01-22T09:00:00Z")  # no stale derivation


TIGHT = config(
    policy(
        "Tight",
        calendar="24x7",
        targets={"first_response": {"default": "10m"}, "resolution": {"default": "2h"}},
    )
)


def test_configuration_changes_while_events_arrive(api: Api) -> None:
    """A new configuration re-derives the open clocks while batches are being stored: whatever
    the interleaving, the stored clocks end up those of the last configuration."""
    events = histories(seed=5, closing=0)  # closed tickets keep the clocks of their time
    api.clock.set("2024-01-15T12:00:00Z")
    assert api.put_config(CONFIG).status_code == 200
    plans = [batches_of(events, seed) for seed in range(CLIENTS - 1)]
    documents = [TIGHT, CONFIG] * 6 + [TIGHT]
    results: list[tuple[int, Any]] = []
    puts: list[int] = []
    start = threading.Barrier(CLIENTS)

    def configure(base: str) -> None:
        headers = {"Authorization": f"Bearer {api.tokens['admin']}"}
        with httpx.Client(base_url=base, headers=headers) as client:
            start.wait(30)
            for document in documents:
                try:
                    response = client.put("/v1/config", json=document, timeout=60)
                except httpx.HTTPError:
                    puts.append(0)
                    continue
                puts.append(response.status_code)

    with serving(api) as base:
        threads = [
            threading.Thread(target=send, args=(base, api.tokens["agent"], plan, start, results))
            for plan in plans
        ]
        threads.append(threading.Thread(target=configure, args=(base,)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)

    assert puts == [200] * len(documents)
    assert {status for status, _ in results} == {200}, [r for r in results if r[0] != 200][:3]
    assert api.count("events") == len(events)
    assert api.get("/v1/config").json()["document"] == TIGHT
    api.clock.set("2024-01-22T09:00:00Z")
    want = expected(events, "2024-01-22T09:00:00Z", TIGHT)
    stale = [c for c in api.all_clocks() if c not in want]
    assert stale == [], f"{len(stale)} stored clocks are not those of the last configuration"
    assert api.all_clocks() == want


# -- the two interleavings of a configuration change and a batch, forced -------------------------


class Gate:
    """Where one transaction stops until released: at ``method`` of its store."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.reached = threading.Event()
        self.release = threading.Event()

    def pause(self) -> None:
        if not self.reached.is_set():
            self.reached.set()
            assert self.release.wait(20), "never released"


class PausingStore:
    """The real store, stopping at the gate: a configuration change just before its first write
    (``update_tickets``, after it has read the tickets), a batch when it locks its tickets (after
    it has read the configuration)."""

    def __init__(self, store: Any, gate: Gate) -> None:
        self._store = store
        self._gate = gate
        self._config_change = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def add_config(self, *args: Any) -> Any:
        self._config_change = True
        return self._store.add_config(*args)

    def update_tickets(self, *args: Any) -> Any:
        if self._gate.method == "update_tickets" and self._config_change:
            self._gate.pause()
        return self._store.update_tickets(*args)

    def lock_tickets(self, *args: Any) -> Any:
        if self._gate.method == "lock_tickets":
            self._gate.pause()
        return self._store.lock_tickets(*args)


class PausingUnitOfWork:
    """The service's unit of work, its write transactions handing out a :class:`PausingStore`."""

    def __init__(self, uow: Any, gate: Gate) -> None:
        self._uow = uow
        self._gate = gate

    @contextmanager
    def __call__(self) -> Iterator[PausingStore]:
        with self._uow() as store:
            yield PausingStore(store, self._gate)

    def read(self) -> Any:
        return self._uow.read()


@pytest.mark.parametrize(
    ("paused", "gate"),
    [("config", "update_tickets"), ("events", "lock_tickets")],
    ids=["config-reads-tickets-then-events-commit", "events-read-config-then-config-commits"],
)
def test_a_configuration_change_and_a_batch_interleaved(api: Api, paused: str, gate: str) -> None:
    """The configuration change has read the ticket's events when a new event of it is committed
    (or the batch has read the configuration when a new one is committed); then the paused one
    goes on. Either way the stored clocks must be those of the last configuration over all the
    events — on SQLite one writer waits for the other; PostgreSQL needs row locks to get there."""
    e = Events(prefix="i")
    e.created("2024-01-15 10:00", ticket="I-1", priority="high")
    api.clock.set("2024-01-15T12:00:00Z")
    assert api.put_config(CONFIG).status_code == 200
    assert api.post_events(e).status_code == 200
    reply = e.reply("2024-01-15 10:30", ticket="I-1")
    stop = Gate(gate)
    api.services.uow = PausingUnitOfWork(api.services.uow, stop)
    answers: dict[str, int] = {}

    def put_config(client: httpx.Client) -> None:
        answers["config"] = client.put("/v1/config", json=TIGHT, timeout=60).status_code

    def post_event(client: httpx.Client) -> None:
        answers["events"] = client.post("/v1/events", json=[reply], timeout=60).status_code

    with serving(api) as base:
        headers = {"Authorization": f"Bearer {api.tokens['admin']}"}
        with (
            httpx.Client(base_url=base, headers=headers) as one,
            httpx.Client(base_url=base, headers=headers) as two,
        ):
            first, second = (
                (put_config, post_event) if paused == "config" else (post_event, put_config)
            )
            paused_thread = threading.Thread(target=first, args=(one,))
            other = threading.Thread(target=second, args=(two,))
            try:
                paused_thread.start()
                assert stop.reached.wait(10), f"the {paused} transaction never reached {gate}"
                other.start()
                # PostgreSQL lets the other one through; on SQLite it waits for the write lock
                sqlite = api.services.engine.dialect.name == "sqlite"
                other.join(1 if sqlite else 10)
            finally:
                stop.release.set()
                paused_thread.join(30)
                if other.is_alive() or other.ident is not None:
                    other.join(30)
    assert answers == {"config": 200, "events": 200}
    assert api.count("events") == 2
    assert api.get("/v1/config").json()["document"] == TIGHT
    assert api.all_clocks() == expected(e, "2024-01-15T12:00:00Z", TIGHT)
    view = api.get("/v1/tickets/I-1").json()
    assert view["last_event_at"] == "2024-01-15T10:30:00Z"
