"""Customer isolation: a customer-scoped token sees its customer's tickets and clocks on every read
endpoint, nothing of anyone else's, no configuration, and cannot write. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import CONFIG, NOW, SCOPES, Api, expected, of_ticket, scenario
from tests.factories import Events

ACME = sorted(t for t, (customer, _, _) in SCOPES.items() if customer == "acme")
OTHERS = sorted(t for t, (customer, _, _) in SCOPES.items() if customer != "acme")


@pytest.fixture
def loaded(api: Api) -> Events:
    api.clock.set(NOW)
    assert api.put_config(CONFIG).status_code == 200
    events = scenario()
    assert api.post_events(events).status_code == 200
    return events


def tickets_of(clocks: list[Any]) -> set[str]:
    return {c["ticket"] for c in clocks}


def test_the_scenario_has_tickets_on_both_sides() -> None:
    assert ACME == ["A-1", "A-2", "A-3"]
    assert "G-1" in OTHERS
    assert "N-1" in OTHERS  # a ticket of no customer is not the customer's either


def test_one_ticket_and_its_clocks(api: Api, loaded: Events) -> None:
    for ticket in ACME:
        view = api.get(f"/v1/tickets/{ticket}", as_="acme")
        assert view.status_code == 200, view.text
        assert {e["ticket"] for e in view.json()["events"]} == {ticket}
        assert api.clocks_of(ticket, NOW, as_="acme") == of_ticket(expected(loaded, NOW), ticket)
    unknown = api.get("/v1/tickets/NOPE", as_="acme").json()
    for ticket in OTHERS:
        for path in (f"/v1/tickets/{ticket}", f"/v1/tickets/{ticket}/clocks"):
            for params in ({}, {"at": NOW}):
                response = api.get(path, as_="acme", **params)
                assert response.status_code == 404, (path, response.text)
                # the answer for someone else's ticket is the answer for one that does not exist
                assert response.json() == {
                    **unknown,
                    "error": unknown["error"].replace("NOPE", ticket),
                }


def test_lists_of_clocks(api: Api, loaded: Events) -> None:
    everything = expected(loaded, NOW)
    mine = [c for c in everything if c["ticket"] in ACME]
    assert tickets_of(mine) == set(ACME)
    assert api.all_clocks(as_="acme") == mine
    assert api.all_clocks(as_="acme", limit=1) == mine  # every page of the cursor walk
    assert api.all_clocks(as_="acme", customer="acme") == mine
    assert api.all_clocks(as_="acme", customer="globex") == []
    assert api.get("/v1/clocks", as_="acme", customer="globex").json()["next_cursor"] is None
    for f in (
        {"status": "active"},
        {"status": "paused"},
        {"breached": "true"},
        {"breached": "false"},
        {"metric": "first_response"},
        {"service": "storage"},
        {"group": "tier2"},
        {"policy": "Storage"},
        {"policy": "Standard"},
        {"due_after": "2024-01-15T00:00:00Z"},
    ):
        scoped = api.all_clocks(as_="acme", **f)
        assert tickets_of(scoped) <= set(ACME), f
        assert scoped == api.all_clocks(as_="admin", customer="acme", **f), f
    theirs = api.all_clocks(as_="globex")
    assert tickets_of(theirs) == {"G-1", "G-2"}
    assert api.all_clocks(as_="globex", customer="acme") == []


def test_at_risk(api: Api, loaded: Events) -> None:
    everyone = api.get("/v1/at-risk", within="20h").json()["clocks"]
    assert tickets_of(everyone) & set(OTHERS)  # there is something to hide
    for within in ("30m", "20h"):
        response = api.get("/v1/at-risk", as_="acme", within=within)
        assert response.status_code == 200, response.text
        clocks = response.json()["clocks"]
        assert clocks == [
            c
            for c in api.get("/v1/at-risk", within=within, limit=1000).json()["clocks"]
            if c["ticket"] in ACME
        ]
    assert tickets_of(api.get("/v1/at-risk", as_="acme", within="30m").json()["clocks"]) == {"A-3"}
    assert tickets_of(api.get("/v1/at-risk", as_="globex", within="30m").json()["clocks"]) == {
        "G-2"
    }


def test_no_configuration_tokens_or_writes(api: Api, loaded: Events) -> None:
    for path in (
        "/v1/config",
        "/v1/config/versions",
        "/v1/config/versions/1",
        "/v1/calendars",
        "/v1/calendars/biz",
        "/v1/policies",
        "/v1/policies/Gold acme",
        "/v1/tokens",
    ):
        response = api.get(path, as_="acme")
        assert response.status_code == 403, (path, response.text)
        assert "Gold" not in response.text
    assert api.put_config(CONFIG, as_="acme").status_code == 403
    event = {**loaded.items[0], "id": "iso-1", "ticket": "A-9"}
    assert api.post_events([event], as_="acme").status_code == 403
    token = api.request("POST", "/v1/tokens", as_="acme", json={"name": "x", "role": "viewer"})
    assert token.status_code == 403
    assert api.request("DELETE", "/v1/tokens/1", as_="acme").status_code == 403

    api.add_token("acme-agent", "agent", "acme")  # an agent limited to one customer reads only
    assert api.post_events([event], as_="acme-agent").status_code == 403
    assert api.put_config(CONFIG, as_="acme-agent").status_code == 403
    assert tickets_of(api.all_clocks(as_="acme-agent")) == set(ACME)
    assert api.get("/v1/tickets/G-1", as_="acme-agent").status_code == 404
    assert "iso-1" not in api.event_ids()
    assert [v["version"] for v in api.get("/v1/config/versions").json()] == [1]


def test_a_ticket_that_changes_customer_changes_sides(api: Api, loaded: Events) -> None:
    moved = Events(prefix="m")
    moved.updated("2024-01-15 14:59", ticket="A-2", customer="globex")
    moved.updated("2024-01-15 14:59", ticket="A-3", customer=None)
    assert api.post_events(moved).status_code == 200
    for ticket in ("A-2", "A-3"):
        assert api.get(f"/v1/tickets/{ticket}", as_="acme").status_code == 404
        assert api.get(f"/v1/tickets/{ticket}/clocks", as_="acme").status_code == 404
    assert api.get("/v1/tickets/A-2", as_="globex").status_code == 200
    assert api.get("/v1/tickets/A-3", as_="globex").status_code == 404
    assert tickets_of(api.all_clocks(as_="acme")) == {"A-1"}
    assert tickets_of(api.all_clocks(as_="globex")) == {"A-2", "G-1", "G-2"}
    assert api.get("/v1/at-risk", as_="acme", within="20h").json()["clocks"] == []
