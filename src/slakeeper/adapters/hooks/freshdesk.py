"""Freshdesk automation webhooks (docs/integrations.md): the shared secret and the mapping of the
body template to SPEC §4 events.

Freshdesk signs nothing. An automation rule's *Trigger webhook* action can send custom headers,
so the rule sends the shared secret as ``Authorization: Bearer <secret>`` or
``X-Slakeeper-Secret: <secret>`` (or, with the action's *Requires authentication*, as the
password of Basic authentication); it is compared in constant time.

The body is a template the rule fills with Freshdesk placeholders (docs/integrations.md gives
it): ``event`` says what happened — one of :data:`KINDS`'s names, or Freshdesk's own
``{{triggered_event}}`` rendering such as ``{status:{from:2,to:4}}`` or ``{note_type:public}``
— and ``ticket`` carries the ticket as it is now: ``id``, ``status``, ``priority``, ``source``,
``group``, ``agent``, ``tags``, ``created_at`` (``{{ticket.created_on}}``) and ``updated_at``
(``{{ticket.modified_on}}``). A note says ``private``, a reply says ``by`` (``agent`` or
``requester``: the rule's *performed by*), a rating says ``rating``. The ticket is
``freshdesk:<id>``.

- ``ticket_created`` → ``ticket.created`` at ``created_at``;
- ``ticket_updated`` (and ``status_changed``, ``priority_changed``, ``group_changed``,
  ``agent_changed``, ``tags_changed``) → ``ticket.updated`` at ``updated_at`` with the ticket's
  status, priority, group, assignee and tags as they are now;
- ``note_added`` → a comment by the agent, internal unless ``private`` is false;
  ``reply_sent`` → a public comment by ``agent`` or ``customer``;
- ``satisfaction_rated`` → ``csat.rated`` with the rating on a 1–5 scale (:func:`score`).

Freshdesk sends no event id: an event's id is derived from the ticket, the kind and the change's
timestamp (``updated_at``), or the note's id when the template sends one, so a repeated delivery
maps to the same event and is a duplicate.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from slakeeper.adapters.hooks import Ignored, Mapped, Source, instant, same, text

# status: Freshdesk's codes (API v2) and names; "Closed" is solved: Freshdesk reopens a closed
# ticket when the requester replies, and SPEC's ``closed`` is final
STATUS_CODES = {2: "open", 3: "pending", 4: "solved", 5: "solved"}
STATUS_NAMES = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "resolved": "solved",
    "closed": "solved",
    "waiting on customer": "pending",  # the default custom statuses
    "waiting on third party": "on_hold",
    "on hold": "on_hold",
}
PRIORITY_CODES = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
PRIORITY_NAMES = {"low": "low", "medium": "normal", "high": "high", "urgent": "urgent"}
SOURCE_CODES = {  # the API's documented sources
    1: "email",
    2: "portal",
    3: "phone",
    7: "chat",
    9: "feedback_widget",
    10: "outbound_email",
}
# event names of the template -> kind
KINDS = {
    "ticket_created": "created",
    "created": "created",
    "ticket_updated": "updated",
    "updated": "updated",
    "status_changed": "updated",
    "priority_changed": "updated",
    "group_changed": "updated",
    "agent_changed": "updated",
    "tags_changed": "updated",
    "note_added": "note",
    "reply_sent": "reply",
    "satisfaction_rated": "rating",
    "customer_feedback": "rating",
}
# Freshdesk's {{triggered_event}} keys (observer events) -> kind
TRIGGERED = {
    "ticket_action": "created",  # {ticket_action:created}
    "status": "updated",
    "priority": "updated",
    "group_id": "updated",
    "responder_id": "updated",
    "ticket_type": "updated",
    "note_type": "note",  # {note_type:public} / {note_type:private}
    "reply_sent": "reply",  # {reply_sent:sent}
    "customer_feedback": "rating",
}
AUTHORS = {
    "agent": "agent",
    "requester": "customer",
    "customer": "customer",
    "contact": "customer",
    "system": "system",
}
# satisfaction: Freshdesk's survey ratings (API v2: 103 extremely happy ... -103 extremely
# unhappy; the classic survey's Awesome / Neutral / Not good are 103 / 100 / -103), rescaled
# linearly from 7 points to 5
RATING_CODES = {103: 5, 102: 4, 101: 4, 100: 3, -101: 2, -102: 2, -103: 1}
RATING_NAMES = {
    "extremely happy": 5,
    "awesome": 5,
    "very happy": 4,
    "happy": 4,
    "neutral": 3,
    "unhappy": 2,
    "very unhappy": 2,
    "extremely unhappy": 1,
    "not good": 1,
    "good": 5,
    "bad": 1,
}
_ID = re.compile(r"^[0-9]{1,20}$")
_NOTE_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_CHANGE = re.compile(r"^\{(\w+):\{from:([^{},]*),to:([^{},]*)\}\}$")
_SIMPLE = re.compile(r"^\{(\w+):([^{}]*)\}$")


def verify(secret: str, headers: Mapping[str, str]) -> bool:
    """Whether the delivery carries the shared secret (Bearer, X-Slakeeper-Secret or Basic)."""
    if same(secret, headers.get("x-slakeeper-secret")):
        return True
    scheme, _, value = (headers.get("authorization") or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return same(secret, value)
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        # the secret as the password, or as the user with any password (Freshdesk's API-key style)
        return same(secret, password) | same(secret, user)
    return False


def _code(value: object) -> int | None:
    raw = text(value)
    if raw is None or not re.fullmatch(r"-?[0-9]{1,4}", raw):
        return None
    return int(raw)


def status(value: object) -> str | None:
    """A Freshdesk status (code or name) as a SPEC status; None when it is not a known one."""
    code = _code(value)
    if code is not None:
        return STATUS_CODES.get(code)
    name = text(value)
    return STATUS_NAMES.get(name.lower()) if name else None


def priority(value: object) -> str | None:
    code = _code(value)
    if code is not None:
        return PRIORITY_CODES.get(code)
    name = text(value)
    return PRIORITY_NAMES.get(name.lower()) if name else None


def channel(value: object) -> str | None:
    code = _code(value)
    if code is not None:
        return SOURCE_CODES.get(code)
    name = text(value)
    if name is None:
        return None
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or None


def score(value: object) -> int | None:
    """A rating as an integer 1–5: 1–5 as they are, Freshdesk's survey codes and names."""
    code = _code(value)
    if code is not None:
        return code if 1 <= code <= 5 else RATING_CODES.get(code)
    name = text(value)
    return RATING_NAMES.get(name.lower().replace("_", " ")) if name else None


def tags(value: object) -> list[str]:
    """``{{ticket.tags}}`` renders as ``a, b``; a list is taken as it is."""
    if isinstance(value, list):
        items = [text(v) for v in value]
    else:
        items = [t.strip() for t in (text(value) or "").split(",")]
    return sorted({t for t in items if t})


def _kind(event: object) -> tuple[str, str | None]:
    """(kind, detail) of the ``event`` field: detail is a note's public/private, a rating."""
    raw = text(event)
    if raw is None:
        raise Ignored('no event: say what happened in the body\'s "event"')
    name = raw.lower()
    if name in KINDS:
        return KINDS[name], None
    compact = re.sub(r"[\s\"'\\]", "", raw)
    change = _CHANGE.match(compact)
    if change is not None:
        key, _, to = change.groups()
        if key in TRIGGERED:
            return TRIGGERED[key], to
        if "feedback" in key or "survey" in key:
            return "rating", to
        raise Ignored(f"{raw}: not mapped (see docs/integrations.md)")
    simple = _SIMPLE.match(compact)
    if simple is not None:
        key, value = simple.groups()
        if key == "ticket_action" and value != "created":
            raise Ignored(f"{raw}: not mapped (see docs/integrations.md)")
        if key in TRIGGERED:
            return TRIGGERED[key], value
    raise Ignored(f"event {raw[:80]!r}: not mapped (see docs/integrations.md)")


def _attributes(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket's attributes now; ``None`` for an unassigned group or agent."""
    out: dict[str, Any] = {}
    if status(ticket.get("status")):
        out["status"] = status(ticket.get("status"))
    if priority(ticket.get("priority")):
        out["priority"] = priority(ticket.get("priority"))
    out["group"] = text(ticket.get("group", ticket.get("group_id")))
    out["assignee"] = text(ticket.get("agent", ticket.get("responder_id")))
    out["tags"] = tags(ticket.get("tags"))
    return out


def _created(ticket_id: str, ticket: Mapping[str, Any]) -> dict[str, Any] | None:
    raw = ticket.get("created_at")
    if text(raw) is None:
        return None
    out: dict[str, Any] = {
        "id": f"{ticket_id}:created",
        "ticket": ticket_id,
        "type": "ticket.created",
        "at": instant(raw, "ticket.created_at"),
    }
    attributes = _attributes(ticket)
    out["priority"] = attributes.get("priority", "normal")
    out["status"] = attributes.get("status", "new")
    source = channel(ticket.get("source"))
    if source:
        out["channel"] = source
    for field in ("group", "assignee"):
        if attributes[field] is not None:
            out[field] = attributes[field]
    out["tags"] = attributes["tags"]
    return out


def map_delivery(payload: object) -> Mapped:
    """The SPEC §4 event a Freshdesk webhook body means; :class:`Ignored` when none."""
    if not isinstance(payload, Mapping):
        raise Ignored("the body is not a JSON object")
    kind, detail = _kind(payload.get("event"))
    ticket = payload.get("ticket")
    if not isinstance(ticket, Mapping):
        raise Ignored(f'{kind}: the body lacks the "ticket" object')
    number = text(ticket.get("id"))
    if number is None or not _ID.match(number):
        raise Ignored(f"{kind}: ticket.id {ticket.get('id')!r} is not a Freshdesk ticket number")
    ticket_id = f"freshdesk:{number}"
    created = _created(ticket_id, ticket)
    if kind == "created":
        if created is None:
            raise Ignored("created: the payload lacks ticket.created_at")
        return Mapped(ticket_id, [created], created)
    if text(ticket.get("updated_at")) is None:
        raise Ignored(f"{kind}: the payload lacks ticket.updated_at")
    at = instant(ticket.get("updated_at"), "ticket.updated_at")
    base: dict[str, Any] = {"ticket": ticket_id, "at": at}
    if kind == "updated":
        update = {"id": f"{ticket_id}:updated:{at}", **base, "type": "ticket.updated"}
        return Mapped(ticket_id, [{**update, **_attributes(ticket)}], created)
    if kind == "rating":
        rating = score(payload.get("rating", detail))
        if rating is None:
            raise Ignored(f"rating {payload.get('rating', detail)!r} is not a known rating")
        rated = {"id": f"{ticket_id}:csat:{at}", **base, "type": "csat.rated", "score": rating}
        return Mapped(ticket_id, [rated], created)
    return Mapped(ticket_id, [_comment(kind, detail, payload, ticket_id, base)], created)


def _comment(
    kind: str, detail: str | None, payload: Mapping[str, Any], ticket_id: str, base: dict[str, Any]
) -> dict[str, Any]:
    by = text(payload.get("by"))
    if kind == "note":
        author = AUTHORS.get((by or "agent").lower())
        private = payload.get("private")
        if isinstance(private, str):
            private = private.strip().lower() in ("true", "1", "yes", "private")
        public = detail == "public" if detail in ("public", "private") else private is False
    else:
        author = AUTHORS.get(by.lower()) if by else None
        public = True
    if author is None:
        raise Ignored(f'{kind}: "by" {by!r} must be agent or requester (who performed it)')
    note = text(payload.get("note_id"))
    if note is not None and _NOTE_ID.match(note):
        event_id = f"{ticket_id}:note:{note}"
    else:
        event_id = f"{ticket_id}:{kind}:{base['at']}"
    return {"id": event_id, **base, "type": "comment.added", "author": author, "public": public}


def _verify(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    return verify(secret, headers)


def _map(headers: Mapping[str, str], payload: object) -> list[Mapped]:
    try:
        return [map_delivery(payload)]
    except Ignored:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise Ignored(f"the payload cannot be read: {exc}") from None


SOURCE = Source("freshdesk", _verify, _map, "freshdesk_hook_secret")
