"""WhatsApp Cloud API webhooks end to end on both databases: notifications shaped as Meta documents
them (developers.facebook.com/docs/whatsapp/cloud-api/webhooks: ``object:
whatsapp_business_account``, ``entry[].changes[].value`` with ``messages``, ``contacts`` and
``statuses``; Unix-seconds timestamps; ``wamid.`` ids), signed with the app secret
(``X-Hub-Signature-256``), the subscription handshake, batches of several contacts, replays,
late messages, and a conversation that is solved (reopened by the customer) and closed (the next
message starts the contact's next ticket)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.e2e.conftest import Api, make_api
from tests.factories import config, policy

APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
VERIFY_TOKEN = "meatyhamhock"
CONFIG = config(
    policy(
        targets={
            "first_response": {"default": "1h"},
            "next_response": {"default": "2h"},
            "resolution": {"default": "8h"},
        }
    )
)  # the business calendar: UTC, Monday to Friday 10:00-18:00
ANNA = "4915112345678"
BEN = "16505551234"
CARL = "447700900123"


@pytest.fixture
def hooked(db_url: str, engine: Engine) -> Iterator[Api]:
    yield from make_api(db_url, whatsapp_hook_secret=APP_SECRET, whatsapp_verify_token=VERIFY_TOKEN)


def unix(at: str) -> str:
    return str(int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()))


def message(wa_id: str, wamid: str, at: str, kind: str = "text") -> dict[str, Any]:
    out: dict[str, Any] = {"from": wa_id, "id": wamid, "timestamp": unix(at), "type": kind}
    if kind == "text":
        out["text"] = {"body": "Hello, my order has not arrived"}
    elif kind == "reaction":
        out["reaction"] = {"message_id": "wamid.out1", "emoji": "\U0001f44d"}
    elif kind == "image":
        out["image"] = {"mime_type": "image/jpeg", "sha256": "abc", "id": "1003383421387256"}
    return out


def status(wa_id: str, wamid: str, at: str, state: str = "delivered") -> dict[str, Any]:
    return {
        "id": wamid,
        "status": state,
        "timestamp": unix(at),
        "recipient_id": wa_id,
        "conversation": {"id": "4a1c2b3d", "origin": {"type": "service"}},
        "pricing": {"billable": True, "pricing_model": "PMP", "category": "service"},
    }


def notification(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    field: str = "messages",
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
    }
    if messages:
        contacts = sorted({m["from"] for m in messages})
        value["contacts"] = [{"profile": {"name": "Customer"}, "wa_id": c} for c in contacts]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": field}]}],
    }


def send(api: Api, payload: Any, secret: str = APP_SECRET) -> Any:
    body = orjson.dumps(payload)
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return api.client.post(
        "/v1/hooks/whatsapp",
        content=body,
        headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
    )


def agent(api: Api, event_id: str, ticket: str, at: str, **fields: Any) -> None:
    """What agents do in the help desk, sent through POST /v1/events."""
    if fields:
        event = {"id": event_id, "ticket": ticket, "type": "ticket.updated", "at": at, **fields}
    else:
        event = {"id": event_id, "ticket": ticket, "type": "comment.added", "at": at}
        event["author"] = "agent"
    got = api.post_events([event])
    assert got.status_code == 200, got.text


def test_the_subscription_handshake(hooked: Api) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    got = hooked.client.get("/v1/hooks/whatsapp", params=params)
    assert got.status_code == 200
    assert got.text == "1158201444"
    assert got.headers["content-type"].startswith("text/plain")
    for wrong in (
        {**params, "hub.verify_token": "guess"},
        {**params, "hub.mode": "unsubscribe"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
    ):
        refused = hooked.client.get("/v1/hooks/whatsapp", params=wrong)
        assert refused.status_code == 403, wrong
        assert refused.json()["error"]


def test_the_hook_is_off_without_its_settings(api: Api) -> None:
    got = api.client.get("/v1/hooks/whatsapp", params={"hub.mode": "subscribe"})
    assert got.status_code == 404
    assert "SLAKEEPER_WHATSAPP_VERIFY_TOKEN" in got.text
    posted = api.client.post("/v1/hooks/whatsapp", content=b"{}")
    assert posted.status_code == 404
    assert "SLAKEEPER_WHATSAPP_HOOK_SECRET" in posted.text


def test_a_conversation_reopened_closed_and_continued(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T16:00:00Z")
    first = send(hooked, notification([message(ANNA, "wamid.A1", "2026-03-02T10:00:00Z")]))
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 2, "duplicates": 0, "ticket": f"whatsapp:{ANNA}"}
    delivered = send(
        hooked, notification(statuses=[status(ANNA, "wamid.out1", "2026-03-02T10:01:00Z")])
    )
    assert delivered.status_code == 202
    assert "status update" in delivered.json()["ignored"]
    agent(hooked, "desk-1", f"whatsapp:{ANNA}", "2026-03-02T10:20:00Z")  # the first answer
    batch = notification(
        [
            message(ANNA, "wamid.A2", "2026-03-02T10:30:00Z"),
            message(BEN, "wamid.B1", "2026-03-02T10:32:00Z"),
            message(ANNA, "wamid.A3", "2026-03-02T10:31:00Z", kind="image"),
            message(ANNA, "wamid.A4", "2026-03-02T10:31:30Z", kind="reaction"),
        ]
    )
    got = send(hooked, batch)
    assert got.json() == {
        "accepted": 4,  # two of Anna's (not the reaction), Ben's ticket and message
        "duplicates": 0,
        "tickets": [f"whatsapp:{BEN}", f"whatsapp:{ANNA}"],
    }
    assert send(hooked, batch).json() == {  # Meta delivers it again
        "accepted": 0,
        "duplicates": 3,
        "tickets": [f"whatsapp:{BEN}", f"whatsapp:{ANNA}"],
    }
    agent(hooked, "desk-2", f"whatsapp:{ANNA}", "2026-03-02T10:45:00Z")
    agent(hooked, "desk-3", f"whatsapp:{ANNA}", "2026-03-02T11:00:00Z", status="solved")
    again = send(hooked, notification([message(ANNA, "wamid.A5", "2026-03-02T11:30:00Z")]))
    assert again.json() == {"accepted": 2, "duplicates": 0, "ticket": f"whatsapp:{ANNA}"}
    ticket = hooked.get(f"/v1/tickets/whatsapp:{ANNA}").json()
    assert ticket["status"] == "open"  # reopened by the customer
    assert ticket["events"][-2] == {
        "id": "whatsapp:wamid.A5:reopen",
        "ticket": f"whatsapp:{ANNA}",
        "type": "ticket.updated",
        "at": "2026-03-02T11:30:00Z",
        "status": "open",
    }
    agent(hooked, "desk-4", f"whatsapp:{ANNA}", "2026-03-02T11:50:00Z")
    agent(hooked, "desk-5", f"whatsapp:{ANNA}", "2026-03-02T12:00:00Z", status="closed")
    later = send(hooked, notification([message(ANNA, "wamid.A6", "2026-03-02T12:30:00Z")]))
    assert later.json() == {"accepted": 2, "duplicates": 0, "ticket": f"whatsapp:{ANNA}:2"}
    # a message sent before the close but delivered late belongs to the first ticket
    late = send(hooked, notification([message(ANNA, "wamid.A7", "2026-03-02T11:45:00Z")]))
    assert late.json() == {"accepted": 1, "duplicates": 0, "ticket": f"whatsapp:{ANNA}"}
    more = send(hooked, notification([message(ANNA, "wamid.A8", "2026-03-02T13:00:00Z")]))
    assert more.json() == {"accepted": 1, "duplicates": 0, "ticket": f"whatsapp:{ANNA}:2"}
    replay = send(hooked, notification([message(ANNA, "wamid.A6", "2026-03-02T12:30:00Z")]))
    assert replay.json() == {"accepted": 0, "duplicates": 1, "ticket": f"whatsapp:{ANNA}:2"}

    one = {c["metric"]: c for c in hooked.clocks_of(f"whatsapp:{ANNA}")}
    assert one["first_response"]["stopped_at"] == "2026-03-02T10:20:00Z"
    assert one["resolution"]["status"] == "achieved"
    assert one["resolution"]["stopped_at"] == "2026-03-02T12:00:00Z"
    assert one["resolution"]["elapsed_seconds"] == (60 + 30) * 60  # solved 11:00 to 11:30
    cycles = [c for c in hooked.clocks_of(f"whatsapp:{ANNA}") if c["metric"] == "next_response"]
    assert [c["status"] for c in cycles] == ["achieved", "achieved"]  # 10:30 -> 10:45, 11:30 ->
    two = hooked.get(f"/v1/tickets/whatsapp:{ANNA}%3A2").json()
    assert two["events"][0] == {
        "id": f"whatsapp:{ANNA}:2:created",
        "ticket": f"whatsapp:{ANNA}:2",
        "type": "ticket.created",
        "at": "2026-03-02T12:30:00Z",
        "channel": "whatsapp",
    }
    clocks = {c["metric"]: c for c in hooked.clocks_of(f"whatsapp:{ANNA}%3A2")}
    assert clocks["first_response"]["status"] == "active"
    assert clocks["first_response"]["started_at"] == "2026-03-02T12:30:00Z"
    ben = {c["metric"]: c for c in hooked.clocks_of(f"whatsapp:{BEN}")}
    assert ben["first_response"]["started_at"] == "2026-03-02T10:32:00Z"


def test_one_delivery_across_a_close_and_a_solve_splits_where_each_message_belongs(
    hooked: Api,
) -> None:
    """Each message of a delivery goes where the conversation stands at its own instant: one
    sent before the close stays on the closed ticket, the next opens the conversation's next
    ticket; a ticket solved between two messages is reopened by the second."""
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T16:00:00Z")
    assert (
        send(hooked, notification([message(ANNA, "wamid.C1", "2026-03-02T10:00:00Z")])).json()[
            "accepted"
        ]
        == 2
    )
    agent(hooked, "desk-c1", f"whatsapp:{ANNA}", "2026-03-02T10:20:00Z", status="solved")
    agent(hooked, "desk-c2", f"whatsapp:{ANNA}", "2026-03-02T11:00:00Z", status="closed")
    both = notification(
        [
            message(ANNA, "wamid.C3", "2026-03-02T12:00:00Z"),
            message(ANNA, "wamid.C2", "2026-03-02T10:30:00Z"),
        ]
    )
    got = send(hooked, both)
    assert got.status_code == 200, got.text
    assert got.json() == {
        "accepted": 4,  # the reopen and C2 on the first ticket; the second ticket and C3
        "duplicates": 0,
        "tickets": [f"whatsapp:{ANNA}", f"whatsapp:{ANNA}:2"],
    }
    first = hooked.get(f"/v1/tickets/whatsapp:{ANNA}").json()["events"]
    assert [e["id"] for e in first[-3:]] == [
        "whatsapp:wamid.C2:reopen",
        "whatsapp:wamid.C2",
        "desk-c2",
    ]
    second = hooked.get(f"/v1/tickets/whatsapp:{ANNA}%3A2").json()["events"]
    assert [e["id"] for e in second] == [f"whatsapp:{ANNA}:2:created", "whatsapp:wamid.C3"]


def test_messages_delivered_out_of_order(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T16:00:00Z")
    second = send(hooked, notification([message(CARL, "wamid.C2", "2026-03-02T10:05:00Z")]))
    assert second.json()["accepted"] == 2
    first = send(hooked, notification([message(CARL, "wamid.C1", "2026-03-02T10:01:00Z")]))
    assert first.json() == {"accepted": 1, "duplicates": 0, "ticket": f"whatsapp:{CARL}"}
    events = hooked.get(f"/v1/tickets/whatsapp:{CARL}").json()["events"]
    assert [(e["id"], e["at"]) for e in events] == [
        (f"whatsapp:{CARL}:created", "2026-03-02T10:05:00Z"),
        ("whatsapp:wamid.C2", "2026-03-02T10:05:00Z"),
        ("whatsapp:wamid.C1", "2026-03-02T10:05:00Z"),  # counted at the ticket's creation
    ]
    # both in one delivery: the earlier one opens the ticket
    both = notification(
        [
            message(BEN, "wamid.B2", "2026-03-02T10:09:00Z"),
            message(BEN, "wamid.B1", "2026-03-02T10:08:00Z"),
        ]
    )
    assert send(hooked, both).json()["accepted"] == 3
    opened = hooked.get(f"/v1/tickets/whatsapp:{BEN}").json()
    assert opened["created_at"] == "2026-03-02T10:08:00Z"


def test_signatures_and_what_is_ignored(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T16:00:00Z")
    payload = notification([message(ANNA, "wamid.A1", "2026-03-02T10:00:00Z")])
    assert send(hooked, payload, secret="wrong").status_code == 401
    body = orjson.dumps(payload)
    good = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    for content, headers in (
        (body + b"\n", {"X-Hub-Signature-256": good}),  # tampered
        (body, {}),  # unsigned
        (body, {"X-Hub-Signature": good}),  # Jira's header, not Meta's
        (body, {"X-Hub-Signature-256": good.removeprefix("sha256=")}),
    ):
        got = hooked.client.post("/v1/hooks/whatsapp", content=content, headers=headers)
        assert got.status_code == 401, (headers, got.text)
    for data, reason in (
        ({"object": "page", "entry": []}, "not a WhatsApp Business Account"),
        (notification(field="account_update"), "field 'account_update'"),
        (notification([message(ANNA, "wamid.R", "2026-03-02T10:00:00Z", "reaction")]), "reaction"),
        (notification([message("not/a/number", "wamid.X", "2026-03-02T10:00:00Z")]), "not a"),
        (
            notification([{**message(ANNA, "wamid.T", "2026-03-02T10:00:00Z"), "timestamp": "x"}]),
            "timestamp",
        ),
        (notification(), "no customer message"),
        ({"object": "whatsapp_business_account", "entry": "nope"}, "nothing in the entries"),
        ([], "not a JSON object"),
    ):
        got = send(hooked, data)
        assert got.status_code == 202, (data, got.text)
        assert reason in got.json()["ignored"], (data, got.json())
    assert hooked.count("events") == 0
