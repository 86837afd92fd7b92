"""POST /v1/tickets/{ticket}/suggestions end to end, on SQLite and on PostgreSQL.

The app factory does not include the assistant's router yet, so each test adds it to the ``api``
fixture's app and puts a loader over the example knowledge base in ``app.state.assist`` — with
the word-hashing embedder of the unit tests instead of the model (the model is tested in
tests/integration/test_assist_model.py). Clocks are read back through the API.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from slakeeper.adapters.db import tables
from slakeeper.assist.embedding import Embedder, MissingExtra
from slakeeper.entrypoints.api import routes_assist
from slakeeper.entrypoints.api.routes_assist import AssistantLoader
from tests.e2e.conftest import Api
from tests.embedders import WordsEmbedder
from tests.factories import Events, config, policy

KB = Path(__file__).resolve().parents[2] / "examples" / "kb"
BASE = "https://help.example.com/kb"
CREATED = "2024-01-15 10:00"  # Monday, inside the business calendar (10:00-18:00 UTC)
VPN = {"subject": "IPsec tunnel down", "body": "The site-to-site VPN tunnel to our office is down."}


class CountingEmbedder:
    """Makes the word-hashing embedder and counts how often it was made."""

    def __init__(self) -> None:
        self.made = 0

    def __call__(self) -> Embedder:
        self.made += 1
        return WordsEmbedder()


def with_assist(
    api: Api, kb: Path | None = KB, embedder: Callable[[], Embedder] | None = None
) -> CountingEmbedder | None:
    """Add the router to the fixture's app; a loader over ``kb`` unless ``kb`` is None."""
    app: Any = api.client.app
    app.include_router(routes_assist.router)
    if kb is None:
        return None
    counting = CountingEmbedder()
    app.state.assist = AssistantLoader(kb, BASE, embedder or counting)
    return counting


def ticket(api: Api, system_replies_count: bool = False, **fields: Any) -> Events:
    """Configuration with a 1h first response target (business hours), and ticket T-1."""
    document = config(
        policy(targets={"first_response": {"default": "1h"}}),
        system_replies_count=system_replies_count,
    )
    api.clock.set("2024-01-15T10:05:00Z")
    assert api.put_config(document).status_code == 200
    events = Events()
    events.created(CREATED, priority="high", **fields)
    assert api.post_events(events.items).status_code == 200
    return events


def suggest(api: Api, ticket_id: str = "T-1", *, as_: str = "agent", **body: Any) -> Any:
    return api.request("POST", f"/v1/tickets/{ticket_id}/suggestions", as_=as_, json=body)


def first_response(api: Api) -> dict[str, Any]:
    clocks = [c for c in api.clocks_of("T-1") if c["metric"] == "first_response"]
    assert len(clocks) == 1
    return dict(clocks[0])


def stored_ack(api: Api) -> list[dict[str, Any]]:
    with api.services.engine.connect() as connection:
        rows = connection.execute(
            select(tables.events.c.body).where(tables.events.c.id == "assist-ack:T-1")
        ).scalars()
        return [orjson.loads(body) for body in rows]


def test_suggestions_rank_articles_and_store_nothing(api: Api) -> None:
    made = with_assist(api)
    ticket(api)
    before = api.count("events")
    response = suggest(api, **VPN, k=4)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ticket"] == "T-1"
    assert body["acknowledgement"] is None
    assert len(body["articles"]) == 4
    first = body["articles"][0]
    assert first["id"] == "network-vpn-tunnel-down"
    assert first["title"] == "Site-to-site VPN tunnel is down"
    assert first["category"] == "network"
    assert first["url"] == f"{BASE}/network-vpn-tunnel-down"
    scores = [a["score"] for a in body["articles"]]
    assert scores == sorted(scores, reverse=True)
    assert all(-1 <= s <= 1 for s in scores)
    assert body["category"]["name"] == "network"
    assert 0 < body["category"]["confidence"] <= 1
    assert api.count("events") == before
    # loaded once, on the first request
    assert suggest(api, **VPN).status_code == 200
    assert made is not None
    assert made.made == 1


def test_the_acknowledgement_is_recorded_once_and_a_retry_is_a_duplicate(api: Api) -> None:
    with_assist(api)
    ticket(api)
    first = suggest(api, **VPN, acknowledge=True)
    assert first.status_code == 200, first.text
    ack = first.json()["acknowledgement"]
    assert ack["event"] == "assist-ack:T-1"
    assert ack["duplicate"] is False
    assert ack["counts_as_response"] is False
    assert f"{BASE}/network-vpn-tunnel-down" in ack["text"]
    assert stored_ack(api) == [
        {
            "id": "assist-ack:T-1",
            "ticket": "T-1",
            "type": "comment.added",
            "at": "2024-01-15T10:05:00Z",
            "author": "system",
            "public": True,
        }
    ]
    events = api.count("events")

    api.clock.set("2024-01-15T10:30:00Z")  # a retry later: the same comment, not a second one
    again = suggest(api, **VPN, acknowledge=True)
    assert again.status_code == 200, again.text
    assert again.json()["acknowledgement"]["duplicate"] is True
    assert again.json()["acknowledgement"]["event"] == "assist-ack:T-1"
    assert again.json()["acknowledgement"]["text"] == ack["text"]
    assert api.count("events") == events
    assert stored_ack(api)[0]["at"] == "2024-01-15T10:05:00Z"


@pytest.mark.parametrize("system_replies_count", [False, True])
def test_the_acknowledgement_is_the_first_response_only_when_system_replies_count(
    api: Api, system_replies_count: bool
) -> None:
    with_assist(api)
    ticket(api, system_replies_count)
    assert first_response(api)["status"] == "active"
    api.clock.set("2024-01-15T10:20:00Z")
    response = suggest(api, **VPN, acknowledge=True)
    assert response.status_code == 200, response.text
    assert response.json()["acknowledgement"]["counts_as_response"] is system_replies_count
    api.clock.set("2024-01-15T12:00:00Z")  # past the 1h target
    clock = first_response(api)
    if system_replies_count:
        assert clock["status"] == "achieved"
        assert clock["stopped_at"] == "2024-01-15T10:20:00Z"
        assert clock["elapsed_seconds"] == 20 * 60
        assert clock["breached"] is False
    else:
        assert clock["status"] == "active"
        assert clock["stopped_at"] is None
        assert clock["breached"] is True


def test_an_unknown_or_invisible_ticket_is_404_and_nothing_is_stored(api: Api) -> None:
    with_assist(api)
    ticket(api, customer="acme")
    events = api.count("events")
    for name, as_ in (("T-404", "agent"), ("T-404", "admin"), ("T-1", "globex")):
        response = suggest(api, name, as_=as_, **VPN, acknowledge=as_ != "globex")
        assert response.status_code == 404, response.text
        assert response.json()["error"] == f"no ticket {name!r}"
    assert suggest(api, "x" * 300, **VPN).status_code == 404
    assert api.count("events") == events
    # the customer's own viewer may ask for suggestions, but not post a comment
    assert suggest(api, as_="acme", **VPN).status_code == 200
    refused = suggest(api, as_="acme", **VPN, acknowledge=True)
    assert refused.status_code == 403
    assert suggest(api, as_="viewer", **VPN, acknowledge=True).status_code == 403
    assert suggest(api, as_=None, **VPN).status_code == 401
    assert api.count("events") == events


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"body": "x"}, "body.subject"),
        ({"subject": "x"}, "body.body"),
        ({**VPN, "k": 0}, "body.k"),
        ({**VPN, "k": 11}, "body.k"),
        ({**VPN, "k": "3"}, "body.k"),
        ({**VPN, "k": 2.5}, "body.k"),
        ({**VPN, "acknowledge": "yes"}, "body.acknowledge"),
        ({**VPN, "priority": "high"}, "body.priority"),
        ({"subject": 5, "body": "x"}, "body.subject"),
        ({"subject": "x" * 1001, "body": ""}, "body.subject"),
        ({"subject": " ", "body": "\n"}, "body"),
    ],
)
def test_a_bad_body_is_422_naming_the_field(api: Api, body: dict[str, Any], where: str) -> None:
    with_assist(api)
    ticket(api)
    events = api.count("events")
    response = suggest(api, **{"acknowledge": True, **body})
    assert response.status_code == 422, response.text
    assert where in [issue["where"] for issue in response.json()["issues"]]
    assert api.count("events") == events


def test_a_body_that_is_not_json_is_422(api: Api) -> None:
    with_assist(api)
    ticket(api)
    response = api.request(
        "POST",
        "/v1/tickets/T-1/suggestions",
        as_="agent",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_without_a_knowledge_base_the_route_is_503_and_says_what_to_set(api: Api) -> None:
    with_assist(api, kb=None)  # the settings have no kb_path: the loader made from them has none
    ticket(api)
    response = suggest(api, **VPN)
    assert response.status_code == 503, response.text
    assert "SLAKEEPER_KB_PATH" in response.json()["error"]


def test_without_the_ai_extra_the_route_is_503_and_says_what_to_install(api: Api) -> None:
    def missing() -> Embedder:
        raise MissingExtra("the assistant needs the ai extra; install it with pip install 'x'")

    with_assist(api, embedder=missing)
    ticket(api)
    response = suggest(api, **VPN, acknowledge=True)
    assert response.status_code == 503, response.text
    assert "pip install" in response.json()["error"]
    assert stored_ack(api) == []  # nothing was acknowledged without suggestions


def test_a_broken_article_is_503_naming_its_file_until_it_is_fixed(
    api: Api, tmp_path: Path
) -> None:
    broken = tmp_path / "vpn.md"
    broken.write_text("---\ntitle: VPN tunnel down\n---\nThe tunnel is down.\n")
    with_assist(api, kb=tmp_path)
    ticket(api)
    response = suggest(api, **VPN)
    assert response.status_code == 503
    assert f"{broken}: category: is missing" in response.json()["error"]
    broken.write_text("---\ntitle: VPN tunnel down\ncategory: network\n---\nThe tunnel is down.\n")
    fixed = suggest(api, **VPN)
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["articles"][0]["id"] == "vpn"
