"""The alert log over HTTP: GET /v1/alerts with filters and cursors, the dead-letter list and its
retry, alerts on the ticket's timeline, and customer-scoped tokens seeing only their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from slakeeper.adapters.notify.factory import ChannelFactory
from slakeeper.entrypoints.worker import Worker
from tests.e2e.conftest import Api
from tests.factories import Events, config, policy
from tests.receivers import HttpReceiver


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    r = HttpReceiver()
    yield r
    r.close()


@pytest.fixture
def worker(api: Api, receiver: HttpReceiver) -> Iterator[Worker]:
    doc: dict[str, Any] = config(
        policy(
            "Gold acme",
            customer="acme",
            targets={"first_response": {"default": "1h"}},
        ),
        policy("Standard", targets={"first_response": {"default": "2h"}}),
    )
    for p in doc["policies"]:
        p["alerts"] = ["50%"]
        p["escalations"] = [{"at": "1h after", "actions": [{"reassign": {"group": "tier2"}}]}]
    doc["channels"] = {
        "hook": {"type": "webhook", "url": receiver.url},
        "desk": {"type": "webhook", "url": receiver.base + "/desk"},
    }
    doc["notify"] = {"channels": ["hook"]}
    doc["outbound"] = "desk"
    assert api.put_config(doc).status_code == 200
    factory = ChannelFactory(env={})
    w = Worker(api.services, factory, threads=1)
    yield w
    w._executor.shutdown()
    factory.close()


def load(api: Api) -> None:
    events = Events()
    api.clock.set("2024-01-15T10:00:00Z")
    events.created("2024-01-15T10:00:00Z", ticket="A-1", customer="acme")
    events.created("2024-01-15T10:00:00Z", ticket="G-1", customer="globex")
    assert api.post_events(events).status_code == 200


def run(api: Api, worker: Worker, at: str) -> None:
    api.clock.set(at)
    worker.run_once()


def test_the_log_lists_alerts_newest_first_with_deliveries_and_attempts(
    api: Api, worker: Worker
) -> None:
    load(api)
    run(api, worker, "2024-01-15T10:30:00Z")  # acme's 50%
    run(api, worker, "2024-01-15T11:00:00Z")  # acme breach, globex 50%
    page = api.get("/v1/alerts").json()
    assert [(a["ticket"], a["threshold"]) for a in page["alerts"]] in (
        [("G-1", "50%"), ("A-1", "breach"), ("A-1", "50%")],
        [("A-1", "breach"), ("G-1", "50%"), ("A-1", "50%")],
    )
    first = page["alerts"][-1]
    assert first["id"].startswith("alert-")
    assert first["message"]["id"] == first["id"]
    assert first["planned_at"] == "2024-01-15T10:30:00Z"
    assert first["late"] is False
    (delivery,) = first["deliveries"]
    assert delivery["channel"] == "hook"
    assert delivery["status"] == "delivered"
    assert [h["status"] for h in delivery["history"]] == [200]
    # filters and a cursor
    assert [a["ticket"] for a in api.get("/v1/alerts", kind="breach").json()["alerts"]] == ["A-1"]
    one = api.get("/v1/alerts", limit=1).json()
    rest = api.get("/v1/alerts", limit=5, cursor=one["next_cursor"]).json()
    assert len(rest["alerts"]) == 2
    assert rest["next_cursor"] is None
    assert api.get("/v1/alerts", cursor="nope").status_code == 422


def test_outbound_actions_are_sent_to_the_help_desk_and_on_the_timeline(
    api: Api, worker: Worker, receiver: HttpReceiver
) -> None:
    load(api)
    run(api, worker, "2024-01-15T12:00:00Z")  # acme: 50%, breach, escalation 1 (late)
    view = api.get("/v1/tickets/A-1").json()
    assert [a["threshold"] for a in view["alerts"]] == ["50%", "breach", "escalation 1h after"]
    escalation = view["alerts"][-1]
    assert escalation["late"] is False  # due 12:00: fired on time
    (outbound,) = escalation["deliveries"]
    assert outbound["action"] == "reassign"
    assert outbound["outbound"] == {"kind": "reassign", "group": "tier2"}
    assert outbound["status"] == "delivered"
    sent = [r for r in receiver.requests if r["path"] == "/desk"]
    assert len(sent) == 1


def test_the_dead_letter_list_and_a_retry(api: Api, worker: Worker, receiver: HttpReceiver) -> None:
    load(api)
    receiver.fail_status, receiver.failures = 404, 2
    run(api, worker, "2024-01-15T10:30:00Z")
    dead = api.get("/v1/alerts", delivery="dead").json()["alerts"]
    assert [a["ticket"] for a in dead] == ["A-1"]
    delivery = dead[0]["deliveries"][0]
    assert delivery["last_error"].startswith("HTTP 404")
    assert (
        api.request("POST", f"/v1/deliveries/{delivery['id']}/retry", as_="viewer").status_code
        == 403
    )
    answer = api.request("POST", f"/v1/deliveries/{delivery['id']}/retry", as_="agent")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "pending"
    assert api.request("POST", "/v1/deliveries/999999/retry", as_="agent").status_code == 404
    receiver.failures = 0
    run(api, worker, "2024-01-15T10:30:01Z")
    assert api.get("/v1/alerts", delivery="dead").json()["alerts"] == []


def test_a_customer_token_sees_only_its_customers_alerts(api: Api, worker: Worker) -> None:
    load(api)
    run(api, worker, "2024-01-15T11:00:00Z")
    mine = api.get("/v1/alerts", as_="acme").json()["alerts"]
    assert {a["ticket"] for a in mine} == {"A-1"}
    assert api.get("/v1/alerts", as_="acme", customer="globex").json()["alerts"] == []
    assert {a["ticket"] for a in api.get("/v1/alerts", as_="globex").json()["alerts"]} == {"G-1"}
    assert api.get("/v1/alerts", as_="acme", ticket="G-1").json()["alerts"] == []


def test_metrics_show_deliveries_and_how_far_behind_the_worker_is(api: Api, worker: Worker) -> None:
    load(api)
    api.clock.set("2024-01-15T10:30:10Z")  # acme's warning is due since 10:30, not yet fired
    lines = api.get("/metrics", as_=None).text.splitlines()
    assert "slakeeper_monitor_lag_seconds 10.0" in lines
    run(api, worker, "2024-01-15T10:30:10Z")
    lines = api.get("/metrics", as_=None).text.splitlines()
    assert "slakeeper_monitor_lag_seconds 0.0" in lines
    assert 'slakeeper_deliveries{status="delivered"} 1.0' in lines


def test_bad_cursors_are_refused_not_failed(api: Api, worker: Worker) -> None:
    for cursor in ("alert-9223372036854775808", "alert-99999999999999999999", "alert-١", "x"):
        assert api.get("/v1/alerts", cursor=cursor).status_code == 422, cursor
    assert api.request("POST", f"/v1/deliveries/{2**63}/retry", as_="agent").status_code == 422


def test_customers_see_what_fired_but_not_where_it_was_sent(api: Api, worker: Worker) -> None:
    load(api)
    run(api, worker, "2024-01-15T12:00:00Z")
    mine = api.get("/v1/alerts", as_="acme").json()["alerts"]
    assert mine
    assert all(a["deliveries"] == [] for a in mine)
    assert all(
        a["deliveries"] == [] for a in api.get("/v1/tickets/A-1", as_="acme").json()["alerts"]
    )
    assert any(a["deliveries"] for a in api.get("/v1/alerts").json()["alerts"])


def test_a_ticket_that_changes_customer_moves_its_clocks_and_alerts(
    api: Api, worker: Worker
) -> None:
    load(api)
    api.clock.set("2024-01-15T10:05:00Z")
    moved = {"id": "m1", "ticket": "G-1", "type": "ticket.updated", "at": "2024-01-15T10:05:00Z"}
    assert api.post_events([{**moved, "customer": "acme"}]).status_code == 200
    tickets = {c["ticket"] for c in api.all_clocks(as_="acme")}
    assert tickets == {"A-1", "G-1"}
    assert api.all_clocks(as_="globex") == []
    run(api, worker, "2024-01-15T11:00:00Z")  # G-1 now under Gold acme's 1h: 50% and breach
    fired = {
        (a["ticket"], a["customer"]) for a in api.get("/v1/alerts", as_="acme").json()["alerts"]
    }
    assert ("G-1", "acme") in fired
    assert api.get("/v1/alerts", as_="globex").json()["alerts"] == []


def test_an_attribute_change_that_keeps_the_clocks_still_reaches_their_rows(
    api: Api, worker: Worker
) -> None:
    load(api)
    api.clock.set("2024-01-15T10:05:00Z")
    moved = {"id": "g1", "ticket": "A-1", "type": "ticket.updated", "at": "2024-01-15T10:05:00Z"}
    assert api.post_events([{**moved, "group": "tier2"}]).status_code == 200
    assert {c["ticket"] for c in api.all_clocks(group="tier2")} == {"A-1"}
    run(api, worker, "2024-01-15T10:30:00Z")
    (alert,) = api.get("/v1/alerts", ticket="A-1").json()["alerts"]
    assert alert["message"]["group"] == "tier2"
