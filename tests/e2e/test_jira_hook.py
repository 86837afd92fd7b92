"""Jira Cloud / Jira Service Management webhooks end to end on both databases: payloads shaped as
Atlassian documents them (developer.atlassian.com/cloud/jira/platform/webhooks: ``timestamp``,
``webhookEvent``, ``issue_event_type_name``, ``issue.fields``, ``changelog.items`` with
``field``/``fieldId``/``from``/``toString``, ``comment`` with ``author.accountType`` and JSM's
``jsdPublic``; instants written ``2026-03-02T11:00:00.000+0100``), signed as an admin webhook
with a secret is (``X-Hub-Signature: sha256=<hex>``), tampered, replayed, out of order, and
what is ignored."""

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

SECRET = "jira-webhook-secret-9f8e7d"
CONFIG = config(
    policy(
        targets={
            "first_response": {"default": "1h"},
            "next_response": {"default": "2h"},
            "resolution": {"high": "4h", "default": "8h"},
        }
    )
)  # the business calendar: UTC, Monday to Friday 10:00-18:00
SITE = "https://example.atlassian.net"
CUSTOMER = {
    "self": f"{SITE}/rest/api/2/user?accountId=qm:1e4f",
    "accountId": "qm:1e4f",
    "displayName": "Carla Customer",
    "active": True,
    "timeZone": "Europe/Berlin",
    "accountType": "customer",
}
AGENT = {
    "self": f"{SITE}/rest/api/2/user?accountId=5b10ac8d82e05b22cc7d4ef5",
    "accountId": "5b10ac8d82e05b22cc7d4ef5",
    "displayName": "Ann Agent",
    "active": True,
    "timeZone": "Europe/Berlin",
    "accountType": "atlassian",
}
AUTOMATION = {"accountId": "557058:f58131cb", "displayName": "Automation", "accountType": "app"}
WAITING_FOR_SUPPORT = {
    "self": f"{SITE}/rest/api/2/status/10001",
    "name": "Waiting for support",
    "id": "10001",
    "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"},
}
WAITING_FOR_CUSTOMER = {
    "name": "Waiting for customer",
    "id": "10002",
    "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"},
}
RESOLVED = {
    "name": "Resolved",
    "id": "10003",
    "statusCategory": {"id": 3, "key": "done", "name": "Done"},
}


@pytest.fixture
def hooked(db_url: str, engine: Engine) -> Iterator[Api]:
    yield from make_api(db_url, jira_hook_secret=SECRET)


def ms(at: str) -> int:
    return int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000)


def issue(**fields: Any) -> dict[str, Any]:
    """SUP-42, raised by a portal customer on Monday 2026-03-02 at 10:00 UTC (11:00 in Berlin)."""
    out: dict[str, Any] = {
        "summary": "Cannot log in to the portal",
        "issuetype": {"id": "10003", "name": "[System] Service request", "subtask": False},
        "project": {
            "id": "10000",
            "key": "SUP",
            "name": "Support",
            "projectTypeKey": "service_desk",
        },
        "created": "2026-03-02T11:00:00.000+0100",
        "updated": "2026-03-02T11:00:00.000+0100",
        "priority": {"self": f"{SITE}/rest/api/2/priority/2", "name": "High", "id": "2"},
        "status": WAITING_FOR_SUPPORT,
        "labels": ["login", "vip"],
        "assignee": None,
        "reporter": CUSTOMER,
        "creator": CUSTOMER,
    }
    out.update(fields)
    return {"id": "10042", "self": f"{SITE}/rest/api/2/10042", "key": "SUP-42", "fields": out}


def created(**fields: Any) -> dict[str, Any]:
    return {
        "timestamp": ms("2026-03-02T10:00:00Z"),
        "webhookEvent": "jira:issue_created",
        "issue_event_type_name": "issue_created",
        "user": CUSTOMER,
        "issue": issue(**fields),
    }


def updated(change: str, at: str, items: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "timestamp": ms(at),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": AGENT,
        "issue": issue(updated=at, **fields),
        "changelog": {"id": change, "items": items},
    }


def item(field: str, old: str | None, new: str | None, to: str | None = None) -> dict[str, Any]:
    return {
        "field": field,
        "fieldtype": "jira" if field[0].islower() else "custom",
        "fieldId": field if field[0].islower() else "customfield_10037",
        "from": None,
        "fromString": old,
        "to": to,
        "toString": new,
    }


def comment(
    comment_id: str, at: str, author: dict[str, Any], public: bool = True
) -> dict[str, Any]:
    return {
        "self": f"{SITE}/rest/api/2/issue/10042/comment/{comment_id}",
        "id": comment_id,
        "author": author,
        "body": "Any news?",
        "updateAuthor": author,
        "created": at,
        "updated": at,
        "jsdPublic": public,
    }


def commented(comment_body: dict[str, Any], full: bool = False) -> dict[str, Any]:
    """``comment_created`` (the issue trimmed to a few fields), or the same comment within
    ``jira:issue_updated`` (``issue_commented``, the whole issue)."""
    if full:
        return {
            "timestamp": ms("2026-03-02T10:00:00Z"),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_commented",
            "user": comment_body["author"],
            "issue": issue(),
            "comment": comment_body,
        }
    trimmed = issue()
    keep = ("summary", "issuetype", "project", "assignee", "priority", "status")
    trimmed["fields"] = {k: v for k, v in trimmed["fields"].items() if k in keep}
    return {
        "timestamp": ms("2026-03-02T10:00:00Z"),
        "webhookEvent": "comment_created",
        "comment": comment_body,
        "issue": trimmed,
    }


def send(api: Api, payload: Any, identifier: str = "d-1", secret: str = SECRET) -> Any:
    body = orjson.dumps(payload)
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-Hub-Signature": signature,
        "X-Atlassian-Webhook-Identifier": identifier,
        "X-Atlassian-Webhook-Flow": "Primary",
        "Content-Type": "application/json",
    }
    return api.client.post("/v1/hooks/jira", content=body, headers=headers)


def test_a_request_its_comments_and_its_rating_become_clocks(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    got = send(hooked, created(), "d-1")
    assert got.status_code == 200, got.text
    assert got.json() == {"accepted": 1, "duplicates": 0, "ticket": "jira:SUP-42"}
    question = comment("20001", "2026-03-02T11:05:00.000+0100", CUSTOMER)
    assert send(hooked, commented(question), "d-2").json()["accepted"] == 1
    internal = comment("20002", "2026-03-02T11:10:00.000+0100", AGENT, public=False)
    assert send(hooked, commented(internal), "d-3").json()["accepted"] == 1
    answer = comment("20003", "2026-03-02T11:30:00.000+0100", AGENT)
    assert send(hooked, commented(answer), "d-4").json()["accepted"] == 1
    # Jira retries with the same identifier; the issue_updated copy of the comment is the same
    assert send(hooked, commented(answer), "d-4").json()["duplicates"] == 1
    assert send(hooked, commented(answer, full=True), "d-5").json()["duplicates"] == 1
    waiting = updated(
        "30001",
        "2026-03-02T10:40:00Z",
        [item("status", "Waiting for support", "Waiting for customer", "10002")],
        status=WAITING_FOR_CUSTOMER,
    )
    assert send(hooked, waiting, "d-6").json()["accepted"] == 1
    follow_up = comment("20004", "2026-03-02T13:40:00.000+0100", CUSTOMER)
    assert send(hooked, commented(follow_up), "d-7").json()["accepted"] == 1
    back = updated(
        "30002",
        "2026-03-02T12:41:00Z",
        [
            item("status", "Waiting for customer", "Waiting for support", "10001"),
            item("assignee", None, "Ann Agent", AGENT["accountId"]),
        ],
    )
    assert send(hooked, back, "d-8").json()["accepted"] == 1
    bot = comment("20005", "2026-03-02T13:50:00.000+0100", AUTOMATION)  # a system comment
    assert send(hooked, commented(bot), "d-9").json()["accepted"] == 1
    resolved = updated(
        "30003",
        "2026-03-02T13:00:00Z",
        [
            item("status", "Waiting for support", "Resolved", "10003"),
            item("resolution", None, "Done"),
        ],
        status=RESOLVED,
    )
    assert send(hooked, resolved, "d-10").json()["accepted"] == 1
    rated = updated("30004", "2026-03-02T13:30:00Z", [item("Satisfaction", None, "4", "4")])
    assert send(hooked, rated, "d-11").json() == {
        "accepted": 1,
        "duplicates": 0,
        "ticket": "jira:SUP-42",
    }

    clocks = {c["metric"]: c for c in hooked.clocks_of("jira:SUP-42")}
    assert clocks["first_response"]["status"] == "achieved"
    assert clocks["first_response"]["stopped_at"] == "2026-03-02T10:30:00Z"  # not the internal
    assert clocks["next_response"]["status"] == "cancelled"  # the bot's comment is no reply
    resolution = clocks["resolution"]
    assert resolution["status"] == "achieved"
    assert resolution["stopped_at"] == "2026-03-02T13:00:00Z"
    assert resolution["target_seconds"] == 4 * 3600  # High
    assert resolution["elapsed_seconds"] == (40 + 19) * 60  # paused from 10:40 to 12:41
    events = hooked.get("/v1/tickets/jira:SUP-42").json()["events"]
    assert events[0] == {
        "id": "jira:issue:10042:created",
        "ticket": "jira:SUP-42",
        "type": "ticket.created",
        "at": "2026-03-02T10:00:00Z",
        "priority": "high",
        "status": "open",
        "channel": "jira",
        "tags": ["login", "vip"],
    }
    authors = [(e.get("author"), e.get("public")) for e in events if e["type"] == "comment.added"]
    assert authors == [
        ("customer", True),
        ("agent", False),
        ("agent", True),
        ("customer", True),
        ("system", True),
    ]
    changes = [e for e in events if e["type"] == "ticket.updated"]
    assert [e.get("status") for e in changes] == ["pending", "open", "solved"]
    assert changes[1]["assignee"] == AGENT["accountId"]
    assert [e["score"] for e in events if e["type"] == "csat.rated"] == [4]


def test_priority_labels_and_names(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    assert send(hooked, created(priority={"name": "Medium", "id": "3"})).json()["accepted"] == 1
    change = updated(
        "30010",
        "2026-03-02T10:05:00Z",
        [item("priority", "Medium", "Highest", "1"), item("labels", "login vip", "login outage")],
        labels=["login", "outage"],
    )
    assert send(hooked, change, "d-2").json()["accepted"] == 1
    ticket = hooked.get("/v1/tickets/jira:SUP-42").json()
    assert ticket["priority"] == "urgent"
    assert ticket["events"][-1]["tags"] == ["login", "outage"]
    # a change without changelog id falls back on the delivery's identifier
    on_hold = updated("", "2026-03-02T10:06:00Z", [item("status", "x", "On hold", "10009")])
    del on_hold["changelog"]["id"]
    assert send(hooked, on_hold, "d-3").json()["accepted"] == 1
    assert send(hooked, on_hold, "d-3").json()["duplicates"] == 1
    assert hooked.get("/v1/tickets/jira:SUP-42").json()["status"] == "on_hold"


def test_slakeeper_own_note_is_a_system_comment(hooked: Api) -> None:
    """A note an escalation posted through Jira's API comes back marked: not an agent's reply."""
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    assert send(hooked, created()).json()["accepted"] == 1
    note = comment("20009", "2026-03-02T11:20:00.000+0100", AGENT)
    note["body"] = "Breach soon\n\n[slakeeper alert-3] warning · first_response"
    assert send(hooked, commented(note), "d-2").json()["accepted"] == 1
    events = hooked.get("/v1/tickets/jira:SUP-42").json()["events"]
    assert events[-1]["author"] == "system"
    clocks = {c["metric"]: c for c in hooked.clocks_of("jira:SUP-42")}
    assert clocks["first_response"]["status"] == "active"
    # a customer who writes the mark is still the customer
    spoof = comment("20010", "2026-03-02T11:30:00.000+0100", CUSTOMER)
    spoof["body"] = "Any news?\n\n[slakeeper alert-3]"
    assert send(hooked, commented(spoof), "d-3").json()["accepted"] == 1
    events = hooked.get("/v1/tickets/jira:SUP-42").json()["events"]
    assert events[-1]["author"] == "customer"


def test_out_of_order_deliveries(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    # comment_created carries a trimmed issue: without its creation it cannot be stored yet
    early = comment("20001", "2026-03-02T11:05:00.000+0100", CUSTOMER)
    first = send(hooked, commented(early), "d-1")
    assert first.status_code == 202
    assert "no ticket.created before it" in first.json()["ignored"]
    # its issue_updated copy carries the whole issue: the ticket is created first
    got = send(hooked, commented(early, full=True), "d-2")
    assert got.json() == {"accepted": 2, "duplicates": 0, "ticket": "jira:SUP-42"}
    late = send(hooked, created(), "d-0")
    assert late.json()["duplicates"] == 1  # the same creation
    assert send(hooked, commented(early), "d-1").json()["duplicates"] == 1


def test_signatures(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    payload = created()
    assert send(hooked, payload, secret="wrong").status_code == 401
    body = orjson.dumps(payload)
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    for content, signature in (
        (body + b" ", good),  # tampered
        (body, None),  # unsigned
        (body, good.replace("sha256=", "sha1=")),
        (body, "sha256=" + "0" * 64),
    ):
        headers = {} if signature is None else {"X-Hub-Signature": signature}
        got = hooked.client.post("/v1/hooks/jira", content=content, headers=headers)
        assert got.status_code == 401, (signature, got.text)
    upper = hooked.client.post(
        "/v1/hooks/jira", content=body, headers={"X-Hub-Signature": good.upper()}
    )
    assert upper.json()["accepted"] == 1  # hex digits are hex digits in either case
    assert send(hooked, payload).json()["duplicates"] == 1


def test_what_is_ignored(hooked: Api) -> None:
    assert hooked.put_config(CONFIG).status_code == 200
    hooked.clock.set("2026-03-02T15:00:00Z")
    worklog = updated("30020", "2026-03-02T10:05:00Z", [item("timespent", None, "3600")])
    no_key = created()
    no_key["issue"]["key"] = "not a key"
    no_date = created()
    del no_date["issue"]["fields"]["created"]
    bad_date = created(created="last Monday")
    for data, reason in (
        ({"webhookEvent": "worklog_created", "worklog": {}}, "not mapped"),
        ({"webhookEvent": "jira:issue_deleted", "issue": issue()}, "not mapped"),
        ({"timestamp": 1}, "not mapped"),
        ({"webhookEvent": "jira:issue_created"}, "not about an issue"),
        (no_key, "not an issue key"),
        (no_date, "lacks"),
        (bad_date, "not a date and time"),
        (worklog, "no change slakeeper maps"),
        ({"webhookEvent": "comment_created", "issue": issue()}, "lacks the comment"),
        ("text", "not a JSON object"),
    ):
        got = send(hooked, data)
        assert got.status_code == 202, (data, got.text)
        assert reason in got.json()["ignored"], (data, got.json())
    assert hooked.count("events") == 0


def test_the_hook_is_off_without_a_secret(api: Api) -> None:
    got = api.client.post("/v1/hooks/jira", content=b"{}")
    assert got.status_code == 404
    assert "SLAKEEPER_JIRA_HOOK_SECRET" in got.text
