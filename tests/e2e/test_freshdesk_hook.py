"""Freshdesk automation webhooks end to end on both databases: bodies as the documented template
renders them (docs/integrations.md) with Freshdesk's placeholders — ``{{ticket.status}}`` and
``{{ticket.priority}}`` as names or API codes (support.freshdesk.com: automation rules' *Trigger
webhook*; developers.freshdesk.com/api: status 2–5, priority 1–4, source 1, 2, 3, 7, 9, 10),
``{{ticket.tags}}`` comma separated, ``{{ticket.created_on}}`` as Ruby writes a time, and
``{{triggered_event}}`` as Freshdesk renders it (``{status:{from:2,to:3}}``). The shared secret
is checked; replays, out-of-order deliveries and what is ignored are covered, and the clocks
after a realistic sequence."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.e2e.conftest import Api, make_api
from tests.factories import config, policy

SECRET = "fd-7c1b0e9a4f2d4c8e"
CONFIG = config(
    policy(
        targets={
            "first_response": {"default": "1h"},
            "next_response": {"default": "2h"},
            "resolution": {"high": "4h", "default": "8h"},
        }
    )
)  # the business calendar: UTC, Monday to Friday 10:00-18:00


@pytest.fixture
def hooked(db_url: str, engine: Engine) -> Iterator[Api]:
    yield from make_api(db_url, freshdesk_hook_secret=SECRET)


def ticket(updated_at: str, **kw: Any) -> dict[str, Any]:
    """The ``ticket`` object of the template, rendered (a Monday morning, ticket 4711)."""
    out: dict[str, Any] = {
        "id": "4711",
        "status": "Open",
        "priority": "High",
        "source": "Email",
        "group": "Billing",
        "agent": "",  # {{ticket.agent.email}} of an unassigned ticket
        "tags": "invoice, vip",
        "created_at": "2026-03-02 10:00:00 UTC",  # {{ticket.created_on}}
        "updated_at": updated_at,  # {{ticket.modified_on}}
    }
    out.update(kw)
    return out


def body(event: str, updated_at: str, **kw: Any) -> dict[str, Any]:
    fields = {k: v for k, v in kw.items() if k in ("by", "private", "rating", "note_id")}
    rest = {k: v for k, v in kw.items() if k not in fields}
    return {"event": event, **fields, "ticket": ticket(updated_at, **rest)}


def send(api: Api, payload: Any, headers: dict[str, Any] | None = None) -> Any:
    sent = {"Authorization": f"Bearer {SECRET}"} if headers is None else headers
    return api.client.post(
        "/v1/hooks/freshdesk",
        content=orjson.dumps(payload),
        headers={**sent, "Content-Type": "application/json"},
    )


def clocks(api: Api, name: str = "freshdesk:4711") -> dict[str, Any]:
    return {c["metric"]: c for c in api.clocks_of(name)}


def test_a_ticket_replies_and_a_rating_become_clocks(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    created = send(hooked, body("ticket_created", "2026-03-02 10:00:00 UTC"))
    assert created.status_code == 200, created.text
    assert created.json() == {"accepted": 1, "duplicates": 0, "ticket": "freshdesk:4711"}
    note = send(hooked, body("{note_type:private}", "2026-03-02 10:10:00 UTC"))
    assert note.json()["accepted"] == 1  # an internal note: no reply
    reply = body("reply_sent", "2026-03-02T10:30:00+00:00", by="agent")
    assert send(hooked, reply).json()["accepted"] == 1
    assert send(hooked, reply).json() == {  # Freshdesk retries: the same event
        "accepted": 0,
        "duplicates": 1,
        "ticket": "freshdesk:4711",
    }
    pending = body("{status:{from:2,to:3}}", "2026-03-02 10:40:00 UTC", status="Pending")
    assert send(hooked, pending).json()["accepted"] == 1
    answer = body("reply_sent", "2026-03-02 12:40:00 UTC", by="requester", status="Pending")
    assert send(hooked, answer).json()["accepted"] == 1
    reopened = body("status_changed", "2026-03-02 12:41:00 UTC", status="2")  # the API code
    assert send(hooked, reopened).json()["accepted"] == 1
    resolved = body("status_changed", "2026-03-02 13:00:00 UTC", status="4", agent="ann@example")
    assert send(hooked, resolved).json()["accepted"] == 1
    rated = body("satisfaction_rated", "2026-03-02 13:30:00 UTC", rating="103", status="4")
    assert send(hooked, rated).json()["accepted"] == 1

    found = clocks(hooked)
    assert found["first_response"]["status"] == "achieved"
    assert found["first_response"]["stopped_at"] == "2026-03-02T10:30:00Z"  # not the note
    assert found["next_response"]["status"] == "cancelled"  # solved before the next reply
    resolution = found["resolution"]
    assert resolution["status"] == "achieved"
    assert resolution["stopped_at"] == "2026-03-02T13:00:00Z"
    assert resolution["target_seconds"] == 4 * 3600  # High
    assert resolution["elapsed_seconds"] == (40 + 19) * 60  # paused from 10:40 to 12:41
    events = hooked.get("/v1/tickets/freshdesk:4711").json()["events"]
    kinds = [(e["type"], e.get("author"), e.get("public"), e.get("score")) for e in events]
    assert kinds == [
        ("ticket.created", None, None, None),
        ("comment.added", "agent", False, None),
        ("comment.added", "agent", True, None),
        ("ticket.updated", None, None, None),
        ("comment.added", "customer", True, None),
        ("ticket.updated", None, None, None),
        ("ticket.updated", None, None, None),
        ("csat.rated", None, None, 5),  # 103, "extremely happy"
    ]
    first = events[0]
    assert first["priority"] == "high"
    assert first["status"] == "open"
    assert first["channel"] == "email"
    assert first["group"] == "Billing"
    assert first["tags"] == ["invoice", "vip"]
    assert "assignee" not in first
    assert events[-2]["status"] == "solved"
    assert events[-2]["assignee"] == "ann@example"


def test_codes_names_and_ratings(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    created = body(
        "{ticket_action:created}",
        "2026-03-02 10:00:00 UTC",
        id="12",
        status=2,
        priority=4,
        source=7,
        tags=["chat"],
    )
    assert send(hooked, created).json()["accepted"] == 1
    urgent = hooked.get("/v1/tickets/freshdesk:12").json()
    assert urgent["priority"] == "urgent"
    assert urgent["events"][0]["channel"] == "chat"
    ratings = [("Not Good", 1), ("-102", 2), ("neutral", 3), ("4", 4), ("Very Happy", 4)]
    for n, (rating, _) in enumerate(ratings):
        rated = body("satisfaction_rated", f"2026-03-02 11:0{n}:00 UTC", id="12", rating=rating)
        assert send(hooked, rated).json()["accepted"] == 1
    events = hooked.get("/v1/tickets/freshdesk:12").json()["events"]
    assert [e["score"] for e in events if e["type"] == "csat.rated"] == [s for _, s in ratings]


def test_a_reply_before_the_creation_creates_the_ticket_first(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    reply = body("{reply_sent:sent}", "2026-03-02 10:20:00 UTC", by="agent", note_id="9001")
    got = send(hooked, reply)
    assert got.json() == {"accepted": 2, "duplicates": 0, "ticket": "freshdesk:4711"}
    late = send(hooked, body("ticket_created", "2026-03-02 10:00:00 UTC"))
    assert late.json()["duplicates"] == 1  # the same creation
    # the note's id names the event: the same note seen at another time is not a second reply
    again = send(hooked, body("reply_sent", "2026-03-02 10:20:05 UTC", by="agent", note_id="9001"))
    assert again.status_code == 202
    assert "different content" in again.json()["ignored"]
    assert clocks(hooked)["first_response"]["stopped_at"] == "2026-03-02T10:20:00Z"


def test_the_shared_secret(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    payload = body("ticket_created", "2026-03-02 10:00:00 UTC")
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Token {SECRET}"},
        {"X-Slakeeper-Secret": SECRET[:-1]},
        {"Authorization": "Basic " + base64.b64encode(b"freshdesk:wrong").decode()},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Bearer caf\u00e9".encode("latin-1")},  # not ASCII, never a 500
    ):
        got = send(hooked, payload, headers)
        assert got.status_code == 401, (headers, got.text)
    assert send(hooked, payload, {"X-Slakeeper-Secret": SECRET}).status_code == 200
    basic = base64.b64encode(f"freshdesk:{SECRET}".encode()).decode()
    replay = send(hooked, payload, {"Authorization": f"Basic {basic}"})
    assert replay.json()["duplicates"] == 1


def test_what_is_ignored(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    for data, reason in (
        ([1], "not a JSON object"),
        ({"ticket": ticket("2026-03-02 10:00:00 UTC")}, "no event"),
        (body("ticket_deleted", "2026-03-02 10:00:00 UTC"), "not mapped"),
        (body("{ticket_action:deleted}", "2026-03-02 10:00:00 UTC"), "not mapped"),
        (body("{time_sheet_action:added}", "2026-03-02 10:00:00 UTC"), "not mapped"),
        ({"event": "ticket_created"}, 'lacks the "ticket"'),
        (body("ticket_created", "x", id="{{ticket.id}}"), "not a Freshdesk ticket number"),
        (body("ticket_created", "x", created_at=""), "lacks ticket.created_at"),
        (body("status_changed", ""), "lacks ticket.updated_at"),
        (body("status_changed", "yesterday"), "not a date and time"),
        (body("status_changed", "2026-03-02 10:00:00"), "not a date and time"),  # no offset
        (body("reply_sent", "2026-03-02 10:00:00 UTC"), "must be agent or requester"),
        (body("satisfaction_rated", "2026-03-02 10:00:00 UTC", rating="meh"), "not a known"),
    ):
        got = send(hooked, data)
        assert got.status_code == 202, (data, got.text)
        assert reason in got.json()["ignored"], (data, got.json())
    not_json = hooked.client.post(
        "/v1/hooks/freshdesk", content=b"{{", headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert not_json.status_code == 202
    # an event slakeeper cannot store (a note dated before its ticket) is ignored with why
    early = body("note_added", "2026-03-01 09:00:00 UTC", created_at="2026-03-02 10:00:00 UTC")
    got = send(hooked, early)
    assert got.status_code == 202
    assert "before" in got.json()["ignored"]
    assert hooked.count("events") == 0


def test_the_hook_is_off_without_a_secret(api: Api) -> None:
    got = api.client.post("/v1/hooks/freshdesk", content=b"{}")
    assert got.status_code == 404
    assert "SLAKEEPER_FRESHDESK_HOOK_SECRET" in got.text
