"""Outbound actions against local servers that answer like Zendesk's, Jira's and GitHub's REST
APIs (tests/vendors.py): the path, method, auth header and body of each call, what retrying can
and cannot change, and a note posted once even when the answer to the first attempt was lost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from slakeeper.adapters.notify.factory import ChannelFactory
from slakeeper.service.records import Message
from tests.vendors import FakeGitHub, FakeJira, FakeZendesk, GitHubIssue, JiraIssue, ZendeskTicket

ALERT: dict[str, Any] = {
    "id": "alert-7",
    "kind": "escalation",
    "threshold": "escalation 1h after",
    "metric": "first_response",
    "policy": "Gold",
    "due_at": "2026-03-02T09:30:00Z",
    "planned_at": "2026-03-02T10:30:00Z",
}


def message(ticket: str, **action: Any) -> Message:
    return Message({**ALERT, "ticket": ticket, "action": action}, (), 1)


@pytest.fixture
def factory() -> Iterator[ChannelFactory]:
    f = ChannelFactory(env={"ZD_TOKEN": "zd-token", "JIRA_TOKEN": "jira-token"})
    yield f
    f.close()


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    fake = FakeZendesk()
    fake.tickets["5158"] = ZendeskTicket(tags=["vip"])
    yield fake
    fake.close()


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    fake = FakeJira()
    fake.issues["SUP-12"] = JiraIssue()
    yield fake
    fake.close()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.issues["acme/desk#42"] = GitHubIssue(labels=["bug", "priority:low"])
    yield fake
    fake.close()


def zd(factory: ChannelFactory, fake: FakeZendesk, token: str = "${ZD_TOKEN}") -> Any:
    spec = {"type": "zendesk", "url": fake.url, "email": "ops@example.com", "token": token}
    return factory.channel(spec)


def test_zendesk_actions_make_the_documented_calls(
    factory: ChannelFactory, zendesk: FakeZendesk
) -> None:
    desk = zd(factory, zendesk)
    assert desk.deliver(
        message("zendesk:5158", kind="reassign", group="360001", assignee="77")
    ).delivered
    assert desk.deliver(message("zendesk:5158", kind="raise_priority", priority="urgent")).delivered
    assert desk.deliver(message("5158", kind="add_tag", tag="sla_breached")).delivered
    ticket = zendesk.tickets["5158"]
    assert (ticket.group_id, ticket.assignee_id, ticket.priority) == (360001, 77, "urgent")
    assert ticket.tags == ["vip", "sla_breached"]
    assert zendesk.calls() == [
        ("PUT", "/api/v2/tickets/5158.json"),
        ("PUT", "/api/v2/tickets/5158.json"),
        ("PUT", "/api/v2/tickets/5158/tags.json"),
    ]
    assert zendesk.requests[0]["body"] == {"ticket": {"group_id": 360001, "assignee_id": 77}}
    assert zendesk.requests[0]["headers"]["content-type"] == "application/json"


def test_a_zendesk_note_is_internal_and_posted_once_when_an_answer_is_lost(
    factory: ChannelFactory, zendesk: FakeZendesk
) -> None:
    desk = zd(factory, zendesk)
    zendesk.lose = 1  # the note is stored, the answer lost: the worker will retry
    first = desk.deliver(message("zendesk:5158", kind="add_note", note="Escalated to tier 2"))
    assert not first.delivered
    assert first.retryable
    again = desk.deliver(message("zendesk:5158", kind="add_note", note="Escalated to tier 2"))
    assert again.delivered
    (note,) = zendesk.tickets["5158"].comments
    assert note["public"] is False
    assert note["body"].startswith("Escalated to tier 2\n\n[slakeeper alert-7] escalation 1h after")
    assert "due 2026-03-02T09:30:00Z" in note["body"]
    assert [c[0] for c in zendesk.calls()] == ["GET", "PUT", "GET"]


def test_what_retrying_can_and_cannot_change(factory: ChannelFactory, zendesk: FakeZendesk) -> None:
    zendesk.failures = 1
    busy = zd(factory, zendesk).deliver(message("zendesk:5158", kind="add_tag", tag="x"))
    assert (busy.status, busy.retryable) == (503, True)
    wrong = zd(factory, zendesk, token="nope").deliver(
        message("zendesk:5158", kind="add_tag", tag="x")
    )
    assert (wrong.status, wrong.retryable) == (401, False)
    assert "HTTP 401" in wrong.error
    missing = zd(factory, zendesk).deliver(message("zendesk:9", kind="add_tag", tag="x"))
    assert (missing.status, missing.retryable) == (404, False)
    foreign = zd(factory, zendesk).deliver(message("jira:SUP-1", kind="add_tag", tag="x"))
    assert not foreign.retryable
    assert "not a Zendesk ticket" in foreign.error
    plain = zd(factory, zendesk).deliver(Message({**ALERT, "ticket": "zendesk:5158"}, (), 1))
    assert not plain.retryable
    assert "only takes outbound actions" in plain.error


def test_jira_actions_make_the_documented_calls(factory: ChannelFactory, jira: FakeJira) -> None:
    spec = {
        "type": "jira",
        "url": jira.url,
        "email": "ops@example.com",
        "token": "${JIRA_TOKEN}",
        "group_field": "customfield_10010",
        "priorities": {"urgent": "Highest"},
    }
    desk = factory.channel(spec)
    assert desk.deliver(
        message("jira:SUP-12", kind="reassign", group="Tier 2", assignee="5b10ac8d82e05b22cc7d4ef5")
    ).delivered
    assert desk.deliver(message("jira:SUP-12", kind="raise_priority", priority="high")).delivered
    assert desk.deliver(message("SUP-12", kind="add_tag", tag="sla-breached")).delivered
    assert desk.deliver(message("jira:SUP-12", kind="add_note", note="Breached")).delivered
    assert desk.deliver(message("jira:SUP-12", kind="add_note", note="Breached")).delivered
    issue = jira.issues["SUP-12"]
    assert (issue.team, issue.assignee, issue.priority) == (
        "Tier 2",
        "5b10ac8d82e05b22cc7d4ef5",
        "High",
    )
    assert issue.labels == ["sla-breached"]
    assert [(c["public"], c["body"].splitlines()[0]) for c in issue.comments] == [
        (False, "Breached")
    ]
    assert jira.calls() == [
        ("PUT", "/rest/api/3/issue/SUP-12"),
        ("PUT", "/rest/api/3/issue/SUP-12/assignee"),
        ("PUT", "/rest/api/3/issue/SUP-12"),
        ("PUT", "/rest/api/3/issue/SUP-12"),
        ("GET", "/rest/servicedeskapi/request/SUP-12/comment"),
        ("POST", "/rest/servicedeskapi/request/SUP-12/comment"),
        ("GET", "/rest/servicedeskapi/request/SUP-12/comment"),
    ]
    assert jira.requests[3]["body"] == {"update": {"labels": [{"add": "sla-breached"}]}}
    assert jira.requests[2]["body"] == {"fields": {"priority": {"name": "High"}}}


def test_jira_refuses_a_group_without_its_field(factory: ChannelFactory, jira: FakeJira) -> None:
    spec = {"type": "jira", "url": jira.url, "email": "ops@example.com", "token": "jira-token"}
    refused = factory.channel(spec).deliver(message("jira:SUP-12", kind="reassign", group="T2"))
    assert not refused.retryable
    assert "group_field" in refused.error
    assert jira.requests == []


def test_github_actions_make_the_documented_calls(
    factory: ChannelFactory, github: FakeGitHub
) -> None:
    desk = factory.channel({"type": "github", "url": github.url, "token": "gh-token"})
    assert desk.deliver(message("acme:desk#42", kind="reassign", assignee="octocat")).delivered
    assert desk.deliver(message("acme:desk#42", kind="raise_priority", priority="urgent")).delivered
    assert desk.deliver(message("acme:desk#42", kind="add_tag", tag="sla-breached")).delivered
    issue = github.issues["acme/desk#42"]
    assert issue.assignees == ["octocat"]
    assert issue.labels == ["bug", "priority:urgent", "sla-breached"]
    assert github.calls() == [
        ("PATCH", "/repos/acme/desk/issues/42"),
        ("GET", "/repos/acme/desk/issues/42/labels"),
        ("PUT", "/repos/acme/desk/issues/42/labels"),
        ("POST", "/repos/acme/desk/issues/42/labels"),
    ]
    group = desk.deliver(message("acme:desk#42", kind="reassign", group="tier2"))
    assert not group.retryable
    assert "no groups" in group.error


def test_a_github_note_is_a_marked_comment_posted_once(
    factory: ChannelFactory, github: FakeGitHub
) -> None:
    desk = factory.channel({"type": "github", "url": github.url, "token": "gh-token"})
    github.lose = 1
    assert not desk.deliver(message("acme:desk#42", kind="add_note", note="Looking")).delivered
    assert desk.deliver(message("acme:desk#42", kind="add_note", note="Looking")).delivered
    (comment,) = github.issues["acme/desk#42"].comments
    assert comment["body"].endswith("<!-- slakeeper:alert-7 -->")
    gets = [r for r in github.requests if r["method"] == "GET"]
    assert gets[0]["query"] == "since=2026-03-02T10%3A30%3A00Z&per_page=100&page=1"


def test_long_listings_are_read_to_their_last_page(
    factory: ChannelFactory, jira: FakeJira, github: FakeGitHub
) -> None:
    """A note posted by an earlier attempt sits after 150 older internal comments (JSM lists
    oldest first, 100 a page); an issue has 140 labels (GitHub pages them): nothing is missed,
    nothing is posted twice, no label is lost."""
    issue = jira.issues["SUP-12"]
    issue.comments = [{"id": str(i), "body": f"old {i}", "public": False} for i in range(150)]
    issue.comments.append(
        {"id": "151", "body": "Breached\n\n[slakeeper alert-7] x", "public": False}
    )
    spec = {"type": "jira", "url": jira.url, "email": "ops@example.com", "token": "jira-token"}
    assert (
        factory.channel(spec)
        .deliver(message("jira:SUP-12", kind="add_note", note="Breached"))
        .delivered
    )
    assert len(issue.comments) == 151
    assert [r["query"].split("&start=")[1] for r in jira.requests] == [
        "0&limit=100",
        "100&limit=100",
    ]

    gh = github.issues["acme/desk#42"]
    gh.labels = [f"label-{i:03}" for i in range(140)] + ["priority:low"]
    desk = factory.channel({"type": "github", "url": github.url, "token": "gh-token"})
    assert desk.deliver(message("acme:desk#42", kind="raise_priority", priority="high")).delivered
    assert gh.labels == [f"label-{i:03}" for i in range(140)] + ["priority:high"]
    gh.comments = [
        {"id": i, "body": "chatter", "created_at": "2026-03-02T11:00:00Z"} for i in range(120)
    ] + [{"id": 121, "body": "x <!-- slakeeper:alert-7 -->", "created_at": "2026-03-02T11:00:00Z"}]
    assert desk.deliver(message("acme:desk#42", kind="add_note", note="Looking")).delivered
    assert len(gh.comments) == 121
