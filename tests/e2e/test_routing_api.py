"""GET /v1/tickets/{ticket}/advice end to end, on SQLite and PostgreSQL: the roster of the stored
configuration ranked for a stored ticket, loads counted from the stored tickets; not for
customer-scoped tokens (the advice names agents)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api
from tests.factories import Events, calendar, config, policy

NOW = "2024-01-15T15:00:00Z"  # Monday; the business calendar is open 10:00-18:00 UTC
ROSTER = [
    {"name": "anna", "calendar": "biz", "skills": ["storage"], "capacity": 2},
    {"name": "bob", "calendar": "biz", "skills": "storage"},
    {"name": "carl", "calendar": "night", "skills": ["*"]},
    {"name": "dora", "calendar": "biz", "skills": ["billing"]},
]


def document(agents: list[dict[str, Any]] | None = ROSTER) -> dict[str, Any]:
    out = config(
        policy(targets={"first_response": {"default": "1h"}, "resolution": {"default": "8h"}}),
        calendars=[calendar(), calendar("night", shift="22:00-06:00")],
    )
    if agents is not None:
        out["agents"] = agents
    return out


def loaded(api: Api, agents: list[dict[str, Any]] | None = ROSTER) -> None:
    api.clock.set(NOW)
    assert api.put_config(document(agents)).status_code == 200
    e = Events()
    e.created("2024-01-15 14:30", ticket="T-1", service="storage", priority="high", customer="acme")
    e.created("2024-01-15 11:00", ticket="B-1", service="storage", assignee="bob")
    e.created("2024-01-15 12:00", ticket="S-1", service="storage", assignee="anna")
    e.status("2024-01-15 13:00", "solved", ticket="S-1")
    response = api.post_events(e)
    assert response.status_code == 200, response.text


def test_the_roster_ranked_for_a_stored_ticket(api: Api) -> None:
    loaded(api)
    response = api.get("/v1/tickets/T-1/advice", as_="viewer")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ticket"] == "T-1"
    assert body["at"] == NOW
    assert body["status"] == "new"
    assert body["assignee"] is None
    assert body["note"] is None
    assert body["best"] == "anna"
    assert body["wait_for"] is None
    assert body["reasons"][0].startswith("first response (Standard) due")
    agents = body["agents"]
    assert [a["name"] for a in agents] == ["anna", "bob", "carl", "dora"]
    anna, bob, carl, dora = agents
    assert anna == {
        "name": "anna",
        "rank": 1,
        "score": anna["score"],
        "skilled": True,
        "on_shift": True,
        "available": True,
        "load": 0,  # S-1 is solved
        "capacity": 2,
        "starts_at": NOW,
        "reasons": anna["reasons"],
    }
    assert isinstance(anna["score"], float)
    assert anna["reasons"][:3] == [
        "skill storage",
        "on shift until 18:00 UTC",
        "0 of 2 tickets in work",
    ]
    assert (bob["load"], bob["capacity"], bob["available"], bob["starts_at"]) == (1, 1, False, None)
    assert "no free place: 1 of 1 tickets in work" in bob["reasons"]
    assert (carl["on_shift"], carl["starts_at"]) == (False, "2024-01-15T22:00:00Z")
    assert (dora["skilled"], dora["score"], dora["rank"]) == (False, None, 4)
    assert dora["reasons"] == ["no skill for this ticket (has billing)"]


def test_at_an_earlier_instant_and_for_a_done_ticket(api: Api) -> None:
    loaded(api)
    before = api.get("/v1/tickets/T-1/advice", at="2024-01-15T14:00:00Z").json()
    assert (before["agents"], before["status"]) == ([], None)
    assert before["note"] == "the ticket was not created yet at this instant"
    done = api.get("/v1/tickets/S-1/advice").json()
    assert done["agents"] == []
    assert done["assignee"] == "anna"
    assert done["note"] == "the ticket is solved: nobody needs to take it"
    bad = api.get("/v1/tickets/T-1/advice", at="yesterday")
    assert bad.status_code == 422
    assert bad.json()["issues"][0]["where"] == "at"


def test_without_a_roster_the_note_says_how_to_add_one(api: Api) -> None:
    loaded(api, agents=None)
    body = api.get("/v1/tickets/T-1/advice", as_="agent").json()
    assert body["agents"] == []
    assert body["note"] == "no roster: add agents: to the configuration (docs/routing.md)"


def test_unknown_tickets_customers_and_missing_tokens(api: Api) -> None:
    loaded(api)
    missing = api.get("/v1/tickets/NOPE/advice")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no ticket 'NOPE'", "issues": []}
    for customer in ("acme", "globex"):  # acme's own ticket too: the advice names agents
        refused = api.get("/v1/tickets/T-1/advice", as_=customer)
        assert refused.status_code == 403
        assert "customer-scoped" in refused.json()["error"]
    anonymous = api.get("/v1/tickets/T-1/advice", as_=None)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"


def test_the_roster_is_in_the_configuration_schema(api: Api) -> None:
    schema = api.get("/openapi.json", as_=None).json()
    operation = schema["paths"]["/v1/tickets/{ticket}/advice"]["get"]
    assert set(operation["responses"]) == {"200", "401", "403", "404", "422"}
    body = schema["paths"]["/v1/config"]["put"]["requestBody"]["content"]["application/yaml"]
    agents = body["schema"]["properties"]["agents"]["items"]
    assert agents["required"] == ["name", "calendar", "skills"]
