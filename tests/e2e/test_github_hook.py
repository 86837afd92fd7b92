"""GitHub Issues webhooks end to end on both databases: payloads shaped as GitHub documents them
(https://docs.github.com/webhooks/webhook-events-and-payloads: ``issues`` and
``issue_comment``), signed and tampered deliveries, replays, out-of-order deliveries, and what is
ignored — never a server error."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.e2e.conftest import Api, make_api
from tests.factories import config

SECRET = "It's a Secret to Everybody"


@pytest.fixture
def hooked(db_url: str, engine: Engine) -> Iterator[Api]:
    yield from make_api(db_url, github_hook_secret=SECRET)


REPO = {"id": 1296269, "full_name": "octo-org/Hello-World", "owner": {"login": "octo-org"}}


def issue(**kw: Any) -> dict[str, Any]:
    out = {
        "id": 1,
        "number": 1347,
        "title": "Found a bug",
        "user": {"login": "octocat"},
        "labels": [{"id": 208045946, "name": "bug"}, {"id": 3, "name": "priority:high"}],
        "state": "open",
        "assignee": None,
        "created_at": "2026-03-02T09:00:00Z",
        "updated_at": "2026-03-02T09:00:00Z",
        "closed_at": None,
        "author_association": "NONE",
    }
    out.update(kw)
    return out


def send(api: Api, event: str, delivery: str, payload: Any, secret: str = SECRET) -> Any:
    body = orjson.dumps(payload)
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature,
        "Content-Type": "application/json",
    }
    return api.client.post("/v1/hooks/github", content=body, headers=headers)


def test_an_issue_and_its_comments_become_a_ticket_and_its_clocks(hooked: Api) -> None:
    assert hooked.put_config(config()).status_code == 200
    hooked.clock.set("2026-03-02T12:00:00Z")
    opened = send(
        hooked, "issues", "d-1", {"action": "opened", "issue": issue(), "repository": REPO}
    )
    assert opened.status_code == 200, opened.text
    assert opened.json() == {"accepted": 1, "duplicates": 0, "ticket": "octo-org:Hello-World#1347"}
    comment = {
        "action": "created",
        "issue": issue(),
        "comment": {
            "id": 11,
            "user": {"login": "maintainer"},
            "created_at": "2026-03-02T09:30:00Z",
            "author_association": "MEMBER",
            "body": "Looking into it",
        },
        "repository": REPO,
    }
    assert send(hooked, "issue_comment", "d-2", comment).json()["accepted"] == 1
    again = send(hooked, "issue_comment", "d-2", comment)  # GitHub redelivers it
    assert again.json() == {"accepted": 0, "duplicates": 1, "ticket": "octo-org:Hello-World#1347"}
    closed = issue(
        state="closed", closed_at="2026-03-02T11:00:00Z", updated_at="2026-03-02T11:00:00Z"
    )
    assert (
        send(
            hooked, "issues", "d-3", {"action": "closed", "issue": closed, "repository": REPO}
        ).status_code
        == 200
    )
    clocks = {c["metric"]: c for c in hooked.clocks_of("octo-org:Hello-World%231347")}
    assert clocks["first_response"]["status"] == "achieved"  # the member's reply
    assert clocks["resolution"]["status"] == "achieved"  # closed: solved
    assert clocks["resolution"]["target_seconds"] == 4 * 3600  # high priority, from its label


def test_a_comment_on_an_issue_slakeeper_never_saw_creates_the_ticket_first(hooked: Api) -> None:
    assert hooked.put_config(config()).status_code == 200
    hooked.clock.set("2026-03-02T12:00:00Z")
    comment = {
        "action": "created",
        "issue": issue(number=7, id=70),
        "comment": {"id": 12, "created_at": "2026-03-02T10:00:00Z", "author_association": "NONE"},
        "repository": REPO,
    }
    got = send(hooked, "issue_comment", "d-9", comment)
    assert got.json() == {"accepted": 2, "duplicates": 0, "ticket": "octo-org:Hello-World#7"}
    # the opening, delivered late, is the same creation: a duplicate
    late = send(
        hooked,
        "issues",
        "d-8",
        {"action": "opened", "issue": issue(number=7, id=70), "repository": REPO},
    )
    assert late.json()["duplicates"] == 1


def test_slakeeper_own_note_comes_back_as_a_system_comment(hooked: Api) -> None:
    """The note an escalation posts through GitHub's API is public (GitHub has no internal
    notes); marked, it is not an agent's first reply unless system replies count."""
    hooked.clock.set("2026-03-02T12:00:00Z")
    for counts, number in ((False, 20), (True, 21)):
        assert hooked.put_config(config(system_replies_count=counts)).status_code == 200
        opened = {"action": "opened", "issue": issue(number=number, id=number), "repository": REPO}
        assert send(hooked, "issues", f"o-{number}", opened).status_code == 200
        note = {
            "action": "created",
            "issue": issue(number=number, id=number),
            "comment": {
                "id": 100 + number,
                "created_at": "2026-03-02T09:30:00Z",
                "author_association": "OWNER",  # the token's owner posted it
                "body": "Escalated\n\n[slakeeper alert-3] breach\n\n<!-- slakeeper:alert-3 -->",
            },
            "repository": REPO,
        }
        assert send(hooked, "issue_comment", f"n-{number}", note).json()["accepted"] == 1
        clocks = {c["metric"]: c for c in hooked.clocks_of(f"octo-org:Hello-World%23{number}")}
        assert clocks["first_response"]["status"] == ("achieved" if counts else "active")
    # a customer who writes the mark is still the customer: a next response is owed
    spoof = {
        "action": "created",
        "issue": issue(number=20, id=20),
        "comment": {
            "id": 300,
            "created_at": "2026-03-02T09:40:00Z",
            "author_association": "NONE",
            "body": "Hello? <!-- slakeeper:alert-3 -->",
        },
        "repository": REPO,
    }
    assert send(hooked, "issue_comment", "n-spoof", spoof).json()["accepted"] == 1
    events = hooked.get("/v1/tickets/octo-org:Hello-World%2320").json()["events"]
    assert events[-1]["author"] == "customer"


def test_tampered_unsigned_and_unknown_deliveries(hooked: Api) -> None:
    assert hooked.put_config(config()).status_code == 200
    payload = {"action": "opened", "issue": issue(), "repository": REPO}
    assert send(hooked, "issues", "d-1", payload, secret="wrong").status_code == 401
    body = orjson.dumps(payload)
    tampered = hooked.client.post(
        "/v1/hooks/github",
        content=body + b" ",
        headers={
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": "d-1",
            "X-Hub-Signature-256": "sha256="
            + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
        },
    )
    assert tampered.status_code == 401
    assert hooked.client.post("/v1/hooks/github", content=body).status_code == 401
    for event, data, reason in (
        ("ping", {"zen": "Keep it logically awesome."}, "ping"),
        ("push", {"ref": "refs/heads/main"}, "not about an issue"),
        ("issues", {"action": "milestoned", "issue": issue(), "repository": REPO}, "not mapped"),
        (
            "issues",
            {"action": "opened", "issue": issue(pull_request={"url": "x"}), "repository": REPO},
            "pull request",
        ),
        ("issues", {"action": "opened", "issue": {"number": 1}, "repository": REPO}, "lacks"),
        ("issues", [1, 2], "not a JSON object"),
    ):
        got = send(hooked, event, "d-x", data)
        assert got.status_code == 202, (event, got.text)
        assert reason in got.json()["ignored"]
    # an event slakeeper cannot store (a comment dated before its ticket) is ignored with why
    early = {
        "action": "created",
        "issue": issue(),
        "comment": {"id": 99, "created_at": "2026-03-01T00:00:00Z", "author_association": "NONE"},
        "repository": REPO,
    }
    got = send(hooked, "issue_comment", "d-y", early)
    assert got.status_code == 202
    assert "before" in got.json()["ignored"]
    assert hooked.client.post("/v1/hooks/zendesk", content=b"{}").status_code == 404


def test_the_hook_is_off_without_a_secret(api: Api) -> None:
    got = send(api, "ping", "d-1", {})
    assert got.status_code == 404
    assert "SLAKEEPER_GITHUB_HOOK_SECRET" in got.text
