"""Outbound actions through the Zendesk Support API (developer.zendesk.com, Tickets, Tags and
Ticket Comments). Channel: ``{type: zendesk, url: https://<subdomain>.zendesk.com, email,
token}``; auth is HTTP Basic ``<email>/token:<api token>``. The ticket is ``zendesk:<id>`` (as
the webhook names it) or a bare numeric id.

- ``reassign`` → ``PUT /api/v2/tickets/{id}.json`` ``{"ticket": {"group_id", "assignee_id"}}``
- ``raise_priority`` → the same with ``{"ticket": {"priority"}}`` (urgent, high, normal, low)
- ``add_tag`` → ``PUT /api/v2/tickets/{id}/tags.json`` ``{"tags": [tag]}`` (adds, keeps others)
- ``add_note`` → ``PUT /api/v2/tickets/{id}.json`` ``{"ticket": {"comment": {"body",
  "public": false}}}`` — an internal note — unless ``GET /api/v2/tickets/{id}/comments.json``
  (newest first) already shows the alert's marker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slakeeper.adapters.notify.http import HttpClient
from slakeeper.adapters.outbound import Api, Refused, basic, deliver, marker, note_text
from slakeeper.service.records import Attempt, Message

PRIORITIES = frozenset({"urgent", "high", "normal", "low"})


def ticket_id(ticket: str) -> str:
    native = ticket.removeprefix("zendesk:")
    if not native.isdigit():
        raise Refused(f"ticket {ticket!r} is not a Zendesk ticket (zendesk:<id>)")
    return native


def _id(value: object) -> int | str:
    text = str(value)
    return int(text) if text.isdigit() else text


@dataclass(slots=True)
class ZendeskChannel:
    url: str
    email: str
    token: str
    client: HttpClient
    api: Api = field(init=False)

    def __post_init__(self) -> None:
        self.api = Api(self.url, basic(f"{self.email}/token", self.token), self.client)

    def deliver(self, message: Message) -> Attempt:
        return deliver(
            message,
            {
                "reassign": self._reassign,
                "raise_priority": self._priority,
                "add_tag": self._tag,
                "add_note": self._note,
            },
            "zendesk",
        )

    def _update(self, message: Message, fields: dict[str, Any]) -> None:
        ticket = ticket_id(str(message.alert["ticket"]))
        self.api.call("PUT", f"/api/v2/tickets/{ticket}.json", {"ticket": fields})

    def _reassign(self, message: Message, action: Mapping[str, Any]) -> None:
        fields = {
            key: _id(action[name])
            for name, key in (("group", "group_id"), ("assignee", "assignee_id"))
            if action.get(name)
        }
        self._update(message, fields)

    def _priority(self, message: Message, action: Mapping[str, Any]) -> None:
        if action["priority"] not in PRIORITIES:
            raise Refused(f"Zendesk has no priority {action['priority']!r}")
        self._update(message, {"priority": action["priority"]})

    def _tag(self, message: Message, action: Mapping[str, Any]) -> None:
        ticket = ticket_id(str(message.alert["ticket"]))
        self.api.call("PUT", f"/api/v2/tickets/{ticket}/tags.json", {"tags": [action["tag"]]})

    def _note(self, message: Message, action: Mapping[str, Any]) -> None:
        ticket = ticket_id(str(message.alert["ticket"]))
        found = self.api.call("GET", f"/api/v2/tickets/{ticket}/comments.json?sort_order=desc")
        if any(marker(message) in str(c.get("body", "")) for c in found.json()["comments"]):
            return  # an earlier attempt posted it
        comment = {"body": note_text(message, str(action["note"])), "public": False}
        self._update(message, {"comment": comment})
