"""Zendesk webhooks subscribed to ticket events (docs/integrations.md): signature check and
mapping to SPEC §4 events.

Zendesk signs each request as ``base64(HMAC-SHA256(secret, timestamp + body))`` in
``X-Zendesk-Webhook-Signature``, the timestamp in ``X-Zendesk-Webhook-Signature-Timestamp``.
An event-subscribed webhook sends one event a request: ``type``
(``zen:event-type:ticket.created``, ...), ``id`` (the event's, unique), ``time``, ``detail``
(the ticket: ``id``, ``created_at``, ``priority``, ``status``, ``assignee_id``, ``group_id``,
``tags``, ``via.channel``, ...) and ``event`` (what changed). The ticket is ``zendesk:<id>``.

- ``ticket.created`` → ``ticket.created`` (priority, status, channel, group, assignee, tags);
- ``ticket.status_changed``, ``priority_changed``, ``group_assignment_changed``,
  ``agent_assignment_changed``, ``tags_changed`` → ``ticket.updated``;
- ``ticket.comment_added`` → a comment, by ``agent`` when its author is staff, else by
  ``customer``, public or internal as Zendesk says.

Event ids are ``zendesk:<event id>``, so a retried request maps to the same event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from slakeeper.adapters.hooks import Ignored, Mapped, Source

PREFIX = "zen:event-type:ticket."
STATUSES = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "on_hold",
    "on_hold": "on_hold",
    "solved": "solved",
    "closed": "closed",
}
PRIORITIES = {"urgent": "urgent", "high": "high", "normal": "normal", "low": "low"}


def verify(secret: str, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """Whether ``signature`` is base64(HMAC-SHA256(secret, timestamp + body))."""
    if not timestamp or not signature:
        return False
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature)


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _status(value: object) -> str | None:
    return STATUSES.get(str(value).lower()) if value is not None else None


def _priority(value: object) -> str | None:
    return PRIORITIES.get(str(value).lower()) if value is not None else None


def _created(ticket: str, detail: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f"zendesk:ticket:{detail['id']}:created",
        "ticket": ticket,
        "type": "ticket.created",
        "at": detail["created_at"],
        "priority": _priority(detail.get("priority")) or "normal",
        "status": _status(detail.get("status")) or "new",
        "tags": sorted(str(t) for t in detail.get("tags") or []),
    }
    via = detail.get("via")
    if isinstance(via, Mapping) and _text(via.get("channel")):
        out["channel"] = str(via["channel"])
    for field, key in (("group", "group_id"), ("assignee", "assignee_id")):
        if _text(detail.get(key)):
            out[field] = str(detail[key])
    return out


def map_event(payload: object) -> Mapped:
    """The SPEC §4 event a Zendesk ticket event means; :class:`Ignored` when none."""
    if not isinstance(payload, Mapping):
        raise Ignored("the body is not a JSON object")
    kind = str(payload.get("type", ""))
    if not kind.startswith(PREFIX):
        raise Ignored(f"{kind or 'an event without a type'}: not a ticket event")
    kind = kind.removeprefix(PREFIX)
    try:
        detail = payload["detail"]
        ticket = f"zendesk:{detail['id']}"
        created = _created(ticket, detail)
        if kind == "created":
            return Mapped(ticket, [created], created)
        event = payload.get("event") or {}
        base = {"id": f"zendesk:{payload['id']}", "ticket": ticket, "at": payload["time"]}
        change = _change(kind, event, detail)
        if change is None:
            raise Ignored(f"ticket.{kind}: not mapped (see docs/integrations.md)")
        return Mapped(ticket, [{**base, **change}], created)
    except (KeyError, TypeError) as exc:
        raise Ignored(f"ticket.{kind}: the payload lacks {exc}") from None


def _change(
    kind: str, event: Mapping[str, Any], detail: Mapping[str, Any]
) -> dict[str, Any] | None:
    if kind == "comment_added":
        comment = event["comment"]
        author = comment.get("author") or {}
        return {
            "type": "comment.added",
            "author": "agent" if author.get("is_staff") else "customer",
            "public": bool(comment.get("is_public", True)),
        }
    update: dict[str, Any] = {"type": "ticket.updated"}
    if kind == "status_changed" and _status(event.get("current")):
        update["status"] = _status(event["current"])
    elif kind == "priority_changed" and _priority(event.get("current")):
        update["priority"] = _priority(event["current"])
    elif kind == "group_assignment_changed" and _text(event.get("current")):
        update["group"] = str(event["current"])
    elif kind == "agent_assignment_changed" and _text(event.get("current")):
        update["assignee"] = str(event["current"])
    elif kind == "tags_changed":
        update["tags"] = sorted(str(t) for t in detail.get("tags") or [])
    else:
        return None
    return update


def _verify(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    return verify(
        secret,
        body,
        headers.get("x-zendesk-webhook-signature-timestamp"),
        headers.get("x-zendesk-webhook-signature"),
    )


def _map(headers: Mapping[str, str], payload: object) -> list[Mapped]:
    return [map_event(payload)]


SOURCE = Source("zendesk", _verify, _map, "zendesk_hook_secret")
