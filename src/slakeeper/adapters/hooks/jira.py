"""Jira Cloud (and Jira Service Management) webhooks (docs/integrations.md): signature check and
mapping to SPEC §4 events.

An admin webhook registered with a secret is signed WebSub-style: ``X-Hub-Signature:
sha256=<hex>``, the HMAC-SHA256 of the raw body under the secret. The body names its event in
``webhookEvent``; ``X-Atlassian-Webhook-Identifier`` identifies the delivery (a retry keeps
it). An issue is ticket ``jira:<issue key>``:

- ``jira:issue_created`` → ``ticket.created`` (status, priority, labels as tags, assignee,
  channel ``jira``);
- ``jira:issue_updated`` → one ``ticket.updated`` with what its ``changelog.items`` change among
  status, priority, assignee and labels, and ``csat.rated`` when JSM's *Satisfaction* field is
  set; the comment it carries (``issue_commented``) → as ``comment_created``;
- ``comment_created`` → a comment: internal when JSM says ``jsdPublic: false``; by ``customer``
  when the author is a JSM customer account (``accountType: customer``) or the issue's
  reporter (whatever it says), by ``system`` when it is an app (automation) or slakeeper's own
  note (it carries ``[slakeeper alert-N]``, see :mod:`slakeeper.adapters.outbound.jira`), else
  by ``agent``.

Statuses map by name first (:data:`STATUS_NAMES`: "Waiting for customer" → pending, ...), then
by status category (``new`` → new, ``indeterminate`` → open, ``done`` → solved); nothing maps
to ``closed``, as Jira can reopen any issue. Event ids come from Jira's own ids — the issue's,
the changelog's (else the delivery's identifier), the comment's — so a retry is a duplicate,
and a comment delivered both as ``comment_created`` and within ``jira:issue_updated`` is one
event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slakeeper.adapters.hooks import Ignored, Mapped, Source, instant, signed_sha256, text

CREATED = "jira:issue_created"
UPDATED = "jira:issue_updated"
COMMENTED = "comment_created"
STATUS_NAMES = {
    "waiting for customer": "pending",
    "waiting for reporter": "pending",
    "waiting for approval": "pending",
    "pending": "pending",
    "waiting for support": "open",
    "in progress": "open",
    "work in progress": "open",
    "escalated": "open",
    "reopened": "open",
    "open": "open",
    "on hold": "on_hold",
    "waiting for third party": "on_hold",
    "waiting for vendor": "on_hold",
    "to do": "new",
    "new": "new",
    "resolved": "solved",
    "done": "solved",
    "closed": "solved",
    "canceled": "solved",
    "cancelled": "solved",
    "declined": "solved",
}
CATEGORIES = {"new": "new", "indeterminate": "open", "done": "solved"}
PRIORITIES = {
    "highest": "urgent",
    "blocker": "urgent",
    "critical": "urgent",
    "urgent": "urgent",
    "high": "high",
    "major": "high",
    "medium": "normal",
    "normal": "normal",
    "low": "low",
    "lowest": "low",
    "minor": "low",
    "trivial": "low",
}
OWN_NOTE = re.compile(r"\[slakeeper alert-[0-9]+\]")  # the mark of slakeeper's notes (outbound)
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,254}-[0-9]{1,18}$")
_ID = re.compile(r"^[0-9A-Za-z_.:-]{1,128}$")


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``sha256=<hex>``) signs ``body`` under ``secret``."""
    return signed_sha256(secret, body, header)


def status(name: object, category: object = None) -> str | None:
    """A Jira status as a SPEC status: by its name, else by its category's key."""
    found = text(name)
    if found is not None and found.lower() in STATUS_NAMES:
        return STATUS_NAMES[found.lower()]
    key = text(category)
    return CATEGORIES.get(key.lower()) if key else None


def priority(name: object) -> str | None:
    found = text(name)
    return PRIORITIES.get(found.lower()) if found else None


def _fields(issue: Mapping[str, Any]) -> Mapping[str, Any]:
    fields = issue.get("fields")
    return fields if isinstance(fields, Mapping) else {}


def _name(value: object) -> str | None:
    return text(value.get("name")) if isinstance(value, Mapping) else None


def _account(value: object) -> str | None:
    return text(value.get("accountId")) if isinstance(value, Mapping) else None


def _current_status(fields: Mapping[str, Any]) -> str | None:
    now = fields.get("status")
    if not isinstance(now, Mapping):
        return None
    category = now.get("statusCategory")
    key = category.get("key") if isinstance(category, Mapping) else None
    return status(now.get("name"), key)


def _labels(value: object) -> list[str]:
    if isinstance(value, list):
        return sorted({t for t in (text(v) for v in value) if t})
    return sorted(set((text(value) or "").split()))


def _created(ticket: str, issue: Mapping[str, Any]) -> dict[str, Any] | None:
    """The issue's creation, from the issue in the payload; None without ``fields.created`` (the
    trimmed issue of ``comment_created``)."""
    fields = _fields(issue)
    if text(fields.get("created")) is None or text(issue.get("id")) is None:
        return None
    out: dict[str, Any] = {
        "id": f"jira:issue:{issue['id']}:created",
        "ticket": ticket,
        "type": "ticket.created",
        "at": instant(fields["created"], "issue.fields.created"),
        "priority": priority(_name(fields.get("priority"))) or "normal",
        "status": _current_status(fields) or "new",
        "channel": "jira",
        "tags": _labels(fields.get("labels")),
    }
    assignee = _account(fields.get("assignee"))
    if assignee:
        out["assignee"] = assignee
    return out


def map_delivery(headers: Mapping[str, str], payload: object) -> Mapped:
    """The SPEC §4 events a Jira delivery means; :class:`Ignored` (with the reason) when none."""
    if not isinstance(payload, Mapping):
        raise Ignored("the body is not a JSON object")
    event = text(payload.get("webhookEvent")) or "an event without webhookEvent"
    if event not in (CREATED, UPDATED, COMMENTED):
        raise Ignored(f"{event}: not mapped (see docs/integrations.md)")
    issue = payload.get("issue")
    if not isinstance(issue, Mapping):
        raise Ignored(f"{event}: not about an issue")
    key = text(issue.get("key"))
    if key is None or not _KEY.match(key):
        raise Ignored(f"{event}: issue.key {issue.get('key')!r} is not an issue key")
    ticket = f"jira:{key}"
    created = _created(ticket, issue)
    if event == CREATED:
        if created is None:
            raise Ignored(f"{event}: the payload lacks issue.id or issue.fields.created")
        return Mapped(ticket, [created], created)
    found: list[dict[str, Any]] = []
    if event == UPDATED:
        found.extend(_changes(headers, payload, ticket, issue))
    comment = payload.get("comment")
    if isinstance(comment, Mapping):
        found.append(_comment(ticket, comment, issue))
    elif event == COMMENTED:
        raise Ignored(f"{event}: the payload lacks the comment")
    if not found:
        kind = text(payload.get("issue_event_type_name")) or "a change"
        raise Ignored(
            f"{event} ({kind}): no change slakeeper maps "
            "(status, priority, assignee, labels, Satisfaction, a comment)"
        )
    return Mapped(ticket, found, created)


def _changes(
    headers: Mapping[str, str], payload: Mapping[str, Any], ticket: str, issue: Mapping[str, Any]
) -> list[dict[str, Any]]:
    changelog = payload.get("changelog")
    items = changelog.get("items") if isinstance(changelog, Mapping) else None
    if not isinstance(items, list) or not items:
        return []
    fields = _fields(issue)
    update: dict[str, Any] = {}
    rating: int | None = None
    for item in items:
        if not isinstance(item, Mapping):
            continue
        field = (text(item.get("fieldId")) or text(item.get("field")) or "").lower()
        label = (text(item.get("field")) or "").lower()
        to, shown = item.get("to"), item.get("toString")
        if field == "status":
            now = fields.get("status")
            category = None
            if isinstance(now, Mapping) and _name(now) == text(shown):
                kind = now.get("statusCategory")
                category = kind.get("key") if isinstance(kind, Mapping) else None
            if status(shown, category):
                update["status"] = status(shown, category)
        elif field == "priority" and priority(shown):
            update["priority"] = priority(shown)
        elif field == "assignee":
            update["assignee"] = text(to) or text(shown)
        elif field == "labels":
            current = fields.get("labels")
            update["tags"] = _labels(current if isinstance(current, list) else shown)
        elif label == "satisfaction":
            rating = _score(to if text(to) is not None else shown)
    if not update and rating is None:
        return []
    change_id = text(changelog.get("id")) if isinstance(changelog, Mapping) else None
    if change_id is not None and _ID.match(change_id):
        base = f"jira:changelog:{change_id}"
    else:
        delivery = text(headers.get("x-atlassian-webhook-identifier"))
        if delivery is None or not _ID.match(delivery):
            raise Ignored("jira:issue_updated: neither a changelog id nor a webhook identifier")
        base = f"jira:delivery:{delivery}"
    stamp = payload.get("timestamp")
    when = stamp if stamp is not None else fields.get("updated")
    at = instant(when, "timestamp")
    out: list[dict[str, Any]] = []
    if update:
        out.append({"id": base, "ticket": ticket, "type": "ticket.updated", "at": at, **update})
    if rating is not None:
        out.append(
            {
                "id": f"{base}:csat",
                "ticket": ticket,
                "type": "csat.rated",
                "at": at,
                "score": rating,
            }
        )
    return out


def _score(value: object) -> int | None:
    """JSM's satisfaction: 1 to 5 stars, written as a number (or the first digit of the text)."""
    raw = text(value)
    digits = re.search(r"[0-9]+", raw or "")
    if digits is None:
        return None
    found = int(digits.group())
    return found if 1 <= found <= 5 else None


def _comment(ticket: str, comment: Mapping[str, Any], issue: Mapping[str, Any]) -> dict[str, Any]:
    comment_id = text(comment.get("id"))
    if comment_id is None or not _ID.match(comment_id):
        raise Ignored(f"comment: id {comment.get('id')!r} is not a comment id")
    author = comment.get("author")
    who = author if isinstance(author, Mapping) else {}
    account_type = (text(who.get("accountType")) or "").lower()
    reporter = _account(_fields(issue).get("reporter"))
    customer = account_type == "customer" or (reporter is not None and _account(who) == reporter)
    if customer:  # a customer cannot pass for slakeeper by writing its mark
        by = "customer"
    elif account_type == "app" or OWN_NOTE.search(str(comment.get("body") or "")):
        by = "system"
    else:
        by = "agent"
    return {
        "id": f"jira:comment:{comment_id}",
        "ticket": ticket,
        "type": "comment.added",
        "at": instant(comment.get("created"), "comment.created"),
        "author": by,
        "public": comment.get("jsdPublic") is not False,
    }


def _verify(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    return verify(secret, body, headers.get("x-hub-signature"))


def _map(headers: Mapping[str, str], payload: object) -> list[Mapped]:
    try:
        return [map_delivery(headers, payload)]
    except Ignored:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Ignored(f"the payload cannot be read: {exc!r}") from None


SOURCE = Source("jira", _verify, _map, "jira_hook_secret")
