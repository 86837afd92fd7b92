"""GitHub Issues webhooks (docs/integrations.md): signature check and mapping to SPEC §4 events.

GitHub signs each delivery with HMAC-SHA256 of the raw body under the webhook's secret, sent as
``X-Hub-Signature-256: sha256=<hex>``; the event name is ``X-GitHub-Event`` and the delivery's
GUID ``X-GitHub-Delivery`` (a redelivery keeps it). An issue is a ticket ``owner:repo#number``:

- ``issues`` ``opened`` → ``ticket.created`` (tags from the labels, priority from a
  ``priority:<urgent|high|normal|low>`` label, assignee, channel ``github``);
- ``closed`` → status ``solved`` (GitHub can reopen it); ``reopened`` → status ``open``;
- ``labeled``/``unlabeled`` → the labels as tags (and the priority label);
- ``assigned`` → the assignee;
- ``issue_comment`` ``created`` → a public comment, by ``agent`` when the commenter is the
  repository's owner, a member or a collaborator, else by ``customer``; by ``system`` when
  such a commenter's comment is slakeeper's own note (it carries ``<!-- slakeeper:alert-N -->``, see
  :mod:`slakeeper.adapters.outbound.github`), which then counts as a reply only with
  ``system_replies_count``.

Event ids come from GitHub's own ids (the issue's and the comment's) or the delivery GUID, so a
redelivered payload maps to the same events and is ignored as a duplicate. Anything else is
ignored with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slakeeper.adapters.hooks import Ignored, Mapped, Source, signed_sha256

PRIORITIES = ("urgent", "high", "normal", "low")
AGENTS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
# the mark of a note slakeeper posted (adapters/outbound/github.py)
OWN_NOTE = re.compile(r"<!-- slakeeper:alert-[0-9]+ -->")


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``sha256=<hex>``) signs ``body`` under ``secret``."""
    return signed_sha256(secret, body, header)


def map_delivery(event: str, delivery: str, payload: object) -> Mapped:
    """The events a delivery means; :class:`Ignored` (with the reason) when it means none."""
    if event == "ping":
        raise Ignored("ping: the webhook is set up")
    if not isinstance(payload, Mapping):
        raise Ignored("the body is not a JSON object")
    action = payload.get("action")
    issue = payload.get("issue")
    repo = payload.get("repository")
    if not isinstance(issue, Mapping) or not isinstance(repo, Mapping):
        raise Ignored(f"{event} {action or ''}: not about an issue".strip())
    if issue.get("pull_request"):
        raise Ignored(f"{event} {action}: a pull request, not an issue")
    try:
        # no "/" in a ticket id: it is a path segment of the API
        ticket = f"{str(repo['full_name']).replace('/', ':')}#{issue['number']}"
        created = _created(ticket, issue)
        if event == "issues":
            found = _issue_event(ticket, delivery, str(action), issue, created)
        elif event == "issue_comment" and action == "created":
            found = [_comment(ticket, payload["comment"])]
        else:
            raise Ignored(f"{event} {action}: not mapped (see docs/integrations.md)")
    except (KeyError, TypeError) as exc:
        raise Ignored(f"{event} {action}: the payload lacks {exc}") from None
    return Mapped(ticket, found, created)


def _labels(issue: Mapping[str, Any]) -> list[str]:
    return sorted(str(label["name"]) for label in issue.get("labels") or [])


def _priority(labels: list[str]) -> str | None:
    for label in labels:
        name = label.lower().removeprefix("priority:").strip()
        if label.lower().startswith("priority:") and name in PRIORITIES:
            return name
    return None


def _created(ticket: str, issue: Mapping[str, Any]) -> dict[str, Any]:
    labels = _labels(issue)
    out: dict[str, Any] = {
        "id": f"github:issue:{issue['id']}:opened",
        "ticket": ticket,
        "type": "ticket.created",
        "at": issue["created_at"],
        "priority": _priority(labels) or "normal",
        "channel": "github",
        "tags": labels,
    }
    assignee = issue.get("assignee")
    if isinstance(assignee, Mapping):
        out["assignee"] = str(assignee["login"])
    return out


def _issue_event(
    ticket: str, delivery: str, action: str, issue: Mapping[str, Any], created: dict[str, Any]
) -> list[dict[str, Any]]:
    base = {"id": f"github:{delivery}", "ticket": ticket, "type": "ticket.updated"}
    at = issue.get("updated_at") or issue["created_at"]
    if action == "opened":
        return [created]
    if action == "closed":
        return [{**base, "at": issue.get("closed_at") or at, "status": "solved"}]
    if action == "reopened":
        return [{**base, "at": at, "status": "open"}]
    if action in ("labeled", "unlabeled"):
        labels = _labels(issue)
        change: dict[str, Any] = {**base, "at": at, "tags": labels}
        priority = _priority(labels)
        if priority is not None:
            change["priority"] = priority
        return [change]
    if action == "assigned" and isinstance(issue.get("assignee"), Mapping):
        return [{**base, "at": at, "assignee": str(issue["assignee"]["login"])}]
    raise Ignored(f"issues {action}: not mapped (see docs/integrations.md)")


def _comment(ticket: str, comment: Mapping[str, Any]) -> dict[str, Any]:
    author = "agent" if comment.get("author_association") in AGENTS else "customer"
    if author == "agent" and OWN_NOTE.search(str(comment.get("body") or "")):
        author = "system"  # only staff can post it: a customer cannot pass for slakeeper
    return {
        "id": f"github:comment:{comment['id']}",
        "ticket": ticket,
        "type": "comment.added",
        "at": comment["created_at"],
        "author": author,
        "public": True,
    }


def _verify(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    return verify(secret, body, headers.get("x-hub-signature-256"))


def _map(headers: Mapping[str, str], payload: object) -> list[Mapped]:
    delivery = headers.get("x-github-delivery") or ""
    if not delivery or len(delivery) > 64:
        raise Ignored("no usable X-GitHub-Delivery header")
    return [map_delivery(headers.get("x-github-event", ""), delivery, payload)]


SOURCE = Source("github", _verify, _map, "github_hook_secret")
