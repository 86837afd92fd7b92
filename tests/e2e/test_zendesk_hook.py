"""Zendesk webhooks subscribed to ticket events, end to end on both databases: payloads shaped as
Zendesk documents them (developer.zendesk.com, webhooks, ticket event types), signed as Zendesk
signs them (base64 HMAC-SHA256 of timestamp and body), tampered, replayed, out of order."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.e2e.conftest import Api, make_api
from tests.factories import config

SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="


@pytest.fixture
def hooked(db_url: str, engine: Engine) -> Iterator[Api]:
    yield from make_api(db_url, zendesk_hook_secret=SECRET)


DETAIL = {
    "actor_id": "8447388090494",
    "assignee_id": "8447388090494",
    "brand_id": "8447346621310",
    "created_at": "2026-03-02T09:00:00Z",
    "description": "The printer is on fire",
    "group_id": "8447320466430",
    "id": "5158",
    "is_public": True,
    "organization_id": "8447346622462",
    "priority": "HIGH",
    "requester_id": "8447388090494",
    "status": "NEW",
    "subject": "Help",
    "tags": ["printer", "fire"],
    "type": "INCIDENT",
    "updated_at": "2026-03-02T09:00:00Z",
    "via": {"channel": "web_service"},
}


def event(kind: str, event_id: str, at: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "account_id": 22129848,
        "detail": DETAIL,
        "id": event_id,
        "subject": f"zen:ticket:{DETAIL['id']}",
        "time": at,
        "type": f"zen:event-type:ticket.{kind}",
        "zendesk_event_version": "2022-11-06",
    }
    if event is not None:
        out["event"] = event
    return out


def send(
    api: Api, payload: Any, secret: str = SECRET, timestamp: str = "2026-03-02T09:00:05Z"
) -> Any:
    body = orjson.dumps(payload)
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    headers = {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    return api.client.post("/v1/hooks/zendesk", content=body, headers=headers)


def comment(event_id: str, at: str, staff: bool, public: bool = True) -> dict[str, Any]:
    return event(
        "comment_added",
        event_id,
        at,
        {
            "comment": {
                "id": "1",
                "body": "Hi",
                "is_public": public,
                "author": {"id": "9", "is_staff": staff, "name": "Ann"},
            }
        },
    )


def test_ticket_events_become_a_ticket_and_its_clocks(hooked: Api) -> None:
    assert hooked.put_config(config()).status_code == 200
    hooked.clock.set("2026-03-02T12:00:00Z")
    created = send(hooked, event("created", "e-1", "2026-03-02T09:00:00Z"))
    assert created.json() == {"accepted": 1, "duplicates": 0, "ticket": "zendesk:5158"}
    internal = send(hooked, comment("e-2", "2026-03-02T09:10:00Z", staff=True, public=False))
    assert internal.json()["accepted"] == 1
    reply = send(hooked, comment("e-3", "2026-03-02T09:20:00Z", staff=True))
    assert reply.json()["accepted"] == 1
    assert (
        send(hooked, comment("e-3", "2026-03-02T09:20:00Z", staff=True)).json()["duplicates"] == 1
    )
    solved = event(
        "status_changed", "e-4", "2026-03-02T10:00:00Z", {"current": "SOLVED", "previous": "NEW"}
    )
    assert send(hooked, solved).json()["accepted"] == 1
    clocks = {c["metric"]: c for c in hooked.clocks_of("zendesk:5158")}
    first = clocks["first_response"]
    assert first["status"] == "achieved"
    assert first["stopped_at"] == "2026-03-02T09:20:00Z"  # the public reply, not the internal note
    assert clocks["resolution"]["status"] == "achieved"
    assert clocks["resolution"]["target_seconds"] == 4 * 3600  # HIGH
    urgent = event(
        "priority_changed", "e-5", "2026-03-02T10:05:00Z", {"current": "URGENT", "previous": "HIGH"}
    )
    assert send(hooked, urgent).json()["accepted"] == 1


def test_a_comment_first_creates_the_ticket_from_its_detail(hooked: Api) -> None:
    assert hooked.put_config(config()).status_code == 200
    hooked.clock.set("2026-03-02T12:00:00Z")
    got = send(hooked, comment("e-9", "2026-03-02T09:30:00Z", staff=False))
    assert got.json() == {"accepted": 2, "duplicates": 0, "ticket": "zendesk:5158"}
    late = send(hooked, event("created", "e-1", "2026-03-02T09:00:00Z"))
    assert late.json()["duplicates"] == 1


def test_tampered_and_ignored_requests(hooked: Api) -> None:
    assert hooked.put_config(config()).status_code == 200
    payload = event("created", "e-1", "2026-03-02T09:00:00Z")
    assert send(hooked, payload, secret="wrong").status_code == 401
    body = orjson.dumps(payload)
    digest = hmac.new(SECRET.encode(), b"2026-03-02T09:00:05Z" + body, hashlib.sha256).digest()
    replayed_elsewhere = hooked.client.post(
        "/v1/hooks/zendesk",
        content=body,
        headers={
            "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": "2026-03-02T09:00:06Z",  # another instant
        },
    )
    assert replayed_elsewhere.status_code == 401
    for data, reason in (
        ({"type": "zen:event-type:user.created"}, "not a ticket event"),
        (event("brand_changed", "e-7", "2026-03-02T09:00:00Z", {}), "not mapped"),
        ({"type": "zen:event-type:ticket.created", "detail": {}}, "lacks"),
        ([], "not a JSON object"),
    ):
        got = send(hooked, data)
        assert got.status_code == 202, got.text
        assert reason in got.json()["ignored"]
