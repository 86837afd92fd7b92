"""The clocks the API returns equal what ``slakeeper evaluate`` computes for the same configuration
and events, however the events are delivered: random histories and configurations, sent in random
order and batches (a repeated batch among them), as JSON arrays or JSON Lines.

Hypothesis runs on SQLite (a fresh database per example); one fixed delivery runs on both
databases.
"""

from __future__ import annotations

import itertools
import random
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slakeeper.adapters.jsonl import clock_dict
from slakeeper.domain.config import parse_config
from slakeeper.domain.events import parse_instant
from slakeeper.service.evaluate import evaluate
from tests.e2e.conftest import CONFIG, Api, make_api, scenario
from tests.factories import records
from tests.strategies_events import (
    MINUTE,
    event_files,
    shuffle_keeping_ties,
    sla_documents,
    write_instant,
)

HOUR = 60 * MINUTE
DAY = 24 * HOUR


@dataclass(frozen=True)
class Delivery:
    document: dict[str, Any]
    batches: list[list[dict[str, Any]]]  # in the order they are sent, the repeat included
    ndjson: list[bool]
    at: list[int]  # instants to ask GET /v1/tickets/{id}/clocks?at= about
    sent_at: int  # the service's clock while the batches go in
    read_at: int  # and afterwards, at or after every event

    @property
    def received(self) -> list[dict[str, Any]]:
        return [event for batch in self.batches for event in batch]


def created_first(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``events`` with each ``ticket.created`` moved just before the first event of its ticket
    (an event of a ticket not created yet is refused; any later order of the rest is fine)."""
    out: list[dict[str, Any]] = []
    placed: dict[str, int] = {}
    for event in events:
        if event["type"] == "ticket.created" and event["ticket"] in placed:
            out.insert(placed[event["ticket"]], event)
            placed = {t: i + (i >= placed[event["ticket"]]) for t, i in placed.items()}
        else:
            placed.setdefault(event["ticket"], len(out))
            out.append(event)
    return out


def deliver(
    events: list[dict[str, Any]], order: list[int], cuts: list[int], repeat: tuple[int, int]
) -> list[list[dict[str, Any]]]:
    """The events rearranged by ``order`` (same-instant events of a ticket kept in their order),
    cut into batches at ``cuts``, and batch ``repeat[0]`` sent again after batch ``repeat[1]``."""
    arranged = created_first(shuffle_keeping_ties(events, order))
    edges = [0, *sorted(set(cuts)), len(arranged)]
    batches = [arranged[a:b] for a, b in itertools.pairwise(edges) if b > a]
    again, after = repeat
    again %= len(batches)
    after = again + after % (len(batches) - again)
    return [*batches[: after + 1], batches[again], *batches[after + 1 :]]


@st.composite
def deliveries(draw: st.DrawFn) -> Delivery:
    document = draw(sla_documents())
    events = draw(event_files(max_tickets=3, max_events=12))
    order = draw(st.permutations(range(len(events))))
    cuts = draw(st.lists(st.integers(1, max(1, len(events) - 1)), max_size=4))
    repeat = (draw(st.integers(0, 10)), draw(st.integers(0, 10)))
    batches = deliver(events, list(order), cuts, repeat)
    instants = sorted(parse_instant(e["at"]) for e in events)
    first, last = instants[0], instants[-1]
    at = [
        draw(st.sampled_from(instants)),
        draw(st.integers(first - HOUR, last + 2 * DAY)),
        last + draw(st.integers(0, 3 * DAY)),
    ]
    sent_at = draw(st.integers(first, last + DAY))
    read_at = max(sent_at, last) + draw(st.integers(0, 2 * DAY))
    ndjson = draw(st.lists(st.booleans(), min_size=len(batches), max_size=len(batches)))
    return Delivery(document, batches, ndjson, at, sent_at, read_at)


def oracle(delivery: Delivery, at: int) -> list[dict[str, Any]]:
    """``evaluate`` over the whole history, in the order it was received."""
    config = parse_config(delivery.document)
    return [clock_dict(c) for c in evaluate(config, records(delivery.received), at).clocks]


def check(api: Api, delivery: Delivery) -> None:
    """Send ``delivery`` and compare every answer with the oracle."""
    api.clock.us = delivery.sent_at
    assert api.put_config(delivery.document, fmt="json").status_code == 200
    ids: set[str] = set()
    for batch, ndjson in zip(delivery.batches, delivery.ndjson, strict=True):
        response = api.post_events(batch, ndjson=ndjson)
        assert response.status_code == 200, response.text
        fresh = {e["id"] for e in batch} - ids
        assert response.json()["accepted"] == len(fresh)
        assert response.json()["duplicates"] == len(batch) - len(fresh)
        ids |= fresh
    assert api.count("events") == len(ids)
    tickets = sorted({e["ticket"] for e in delivery.received})
    api.clock.us = delivery.read_at
    for at in [*delivery.at, delivery.read_at]:
        want = oracle(delivery, at)
        for ticket in tickets:
            text = write_instant(at, (0, 60, -300, 330)[at % 4])  # any offset names the instant
            got = api.clocks_of(ticket, text)
            assert got == [c for c in want if c["ticket"] == ticket], (ticket, text)
    now = oracle(delivery, delivery.read_at)
    assert api.all_clocks(limit=3) == now  # stored clocks, brought forward to now
    soon = api.get("/v1/at-risk", within="8h", limit=1000).json()["clocks"]
    assert all(c.pop("risk") is None for c in soon), "no risk model installed"
    due = [
        c
        for c in now
        if c["status"] == "active"
        and delivery.read_at <= parse_instant(c["due_at"]) < delivery.read_at + 8 * HOUR
    ]

    def key(c: dict[str, Any]) -> tuple[str, str, int]:
        return c["ticket"], c["metric"], c["cycle"]

    assert sorted(soon, key=key) == sorted(due, key=key)


@contextmanager
def fresh_api(template: Path, directory: Path) -> Iterator[Api]:
    """The app over a new copy of the migrated SQLite template."""
    path = directory / "slakeeper.db"
    shutil.copyfile(template, path)
    try:
        yield from make_api(f"sqlite:///{path}")
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def test_created_first_and_deliver() -> None:
    a = [{"id": f"a{i}", "ticket": "A", "type": "x"} for i in range(3)]
    a[0]["type"] = "ticket.created"
    b = [
        {"id": "b0", "ticket": "B", "type": "ticket.created"},
        {"id": "b1", "ticket": "B", "type": "x"},
    ]
    mixed = [a[2], b[1], a[1], b[0], a[0]]
    assert [e["id"] for e in created_first(mixed)] == ["a0", "a2", "b0", "b1", "a1"]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(delivery=deliveries())
def test_api_clocks_equal_evaluate_on_random_deliveries(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, delivery: Delivery
) -> None:
    with fresh_api(sqlite_template, tmp_path_factory.mktemp("hypothesis")) as api:
        check(api, delivery)


def test_a_fixed_delivery_on_both_databases(api: Api) -> None:
    events = scenario().items
    order = list(range(len(events)))
    random.Random(3).shuffle(order)
    batches = deliver(events, order, [2, 5, 9], (1, 1))
    assert len(batches) == 5
    start, last = parse_instant(events[0]["at"]), parse_instant(events[-1]["at"])
    delivery = Delivery(
        CONFIG,
        batches,
        [False, True, False, True, False],
        [start + 20 * MINUTE, last, last + DAY + 7 * HOUR],
        start + 2 * HOUR,
        last + 3 * HOUR,
    )
    check(api, delivery)
