"""Escalations changing the ticket in the help desk, end to end on both databases: a breach
escalates, the worker sends the level's actions to a local server answering as Zendesk's API
does, a failing API is retried on schedule, and a lost answer never posts the note twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from slakeeper.adapters.notify.factory import ChannelFactory
from slakeeper.entrypoints.worker import Worker
from tests.e2e.conftest import Api
from tests.factories import Events, config, policy
from tests.vendors import FakeZendesk, ZendeskTicket


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    fake = FakeZendesk()
    fake.tickets["5158"] = ZendeskTicket()
    yield fake
    fake.close()


@pytest.fixture
def worker(api: Api, zendesk: FakeZendesk) -> Iterator[Worker]:
    doc: dict[str, Any] = config(policy("Standard", targets={"first_response": {"default": "1h"}}))
    doc["policies"][0]["escalations"] = [
        {
            "at": "due",
            "actions": [
                {"raise_priority": "urgent"},
                {"add_tag": "sla_breached"},
                {"add_note": "First reply overdue: raised to urgent"},
            ],
        },
        {"at": "1h after", "actions": [{"reassign": {"group": "360002", "assignee": "8"}}]},
    ]
    doc["channels"] = {
        "desk": {
            "type": "zendesk",
            "url": zendesk.url,
            "email": "ops@example.com",
            "token": "${ZENDESK_TOKEN}",
        }
    }
    doc["outbound"] = "desk"
    assert api.put_config(doc).status_code == 200
    factory = ChannelFactory(env={"ZENDESK_TOKEN": "zd-token"})
    w = Worker(api.services, factory, threads=1)
    yield w
    w._executor.shutdown()
    factory.close()


def opened(api: Api) -> None:
    api.clock.set("2024-01-15T10:00:00Z")
    events = Events()
    events.created("2024-01-15T10:00:00Z", ticket="zendesk:5158")
    assert api.post_events(events).status_code == 200


def run(api: Api, worker: Worker, at: str) -> None:
    api.clock.set(at)
    worker.run_once()


def test_a_breach_changes_the_ticket_in_zendesk(
    api: Api, worker: Worker, zendesk: FakeZendesk
) -> None:
    opened(api)
    run(api, worker, "2024-01-15T11:00:00Z")  # due: the first level
    ticket = zendesk.tickets["5158"]
    assert ticket.priority == "urgent"
    assert ticket.tags == ["sla_breached"]
    (note,) = ticket.comments
    assert note["public"] is False
    assert note["body"].startswith("First reply overdue: raised to urgent\n\n[slakeeper alert-")
    run(api, worker, "2024-01-15T12:00:00Z")  # 1h after: the second
    assert (ticket.group_id, ticket.assignee_id) == (360002, 8)
    view = api.get("/v1/tickets/zendesk:5158").json()
    deliveries = [d for a in view["alerts"] for d in a["deliveries"]]
    assert sorted(d["action"] for d in deliveries) == [
        "add_note",
        "add_tag",
        "raise_priority",
        "reassign",
    ]
    assert {d["status"] for d in deliveries} == {"delivered"}


def test_a_failing_api_is_retried_and_a_lost_answer_posts_nothing_twice(
    api: Api, worker: Worker, zendesk: FakeZendesk
) -> None:
    opened(api)
    zendesk.failures = 3  # three 503s: each of the three actions fails once
    zendesk.lose = 10  # then every change is applied but its answer lost, for a while
    run(api, worker, "2024-01-15T11:00:00Z")
    for minute in range(1, 12):
        if minute == 6:
            zendesk.lose = 0
        run(api, worker, f"2024-01-15T11:{minute * 5:02d}:00Z")
    ticket = zendesk.tickets["5158"]
    assert ticket.priority == "urgent"
    assert ticket.tags == ["sla_breached"]
    assert len(ticket.comments) == 1  # posted once, found by its marker on every retry after
    view = api.get("/v1/tickets/zendesk:5158").json()
    deliveries = [d for a in view["alerts"] for d in a["deliveries"]]
    assert {d["status"] for d in deliveries} == {"delivered"}
    note = next(d for d in deliveries if d["action"] == "add_note")
    assert note["history"][0]["status"] == 503
    assert len(note["history"]) >= 3
