"""Outbound actions through the Jira Cloud platform and Jira Service Management REST APIs
(developer.atlassian.com). Channel: ``{type: jira, url: https://<site>.atlassian.net, email,
token}`` with optional ``group_field`` (the id of the custom field that holds the team, e.g.
``customfield_10010``) and ``priorities`` (slakeeper priority → Jira priority name; default
urgent → Highest, high → High, normal → Medium, low → Low). Auth is HTTP Basic
``<email>:<api token>``. The ticket is ``jira:<issue key>`` or a bare key.

- ``reassign`` assignee → ``PUT /rest/api/3/issue/{key}/assignee`` ``{"accountId"}``;
  group → ``PUT /rest/api/3/issue/{key}`` ``{"fields": {<group_field>: {"name"}}}`` (refused
  without ``group_field``)
- ``raise_priority`` → ``PUT /rest/api/3/issue/{key}`` ``{"fields": {"priority": {"name"}}}``
- ``add_tag`` → ``PUT /rest/api/3/issue/{key}`` ``{"update": {"labels": [{"add": tag}]}}``
- ``add_note`` → ``POST /rest/servicedeskapi/request/{key}/comment`` ``{"body", "public":
  false}`` — an internal comment — unless ``GET .../comment?public=false`` (every page)
  already shows the alert's marker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from slakeeper.adapters.notify.http import HttpClient
from slakeeper.adapters.outbound import Api, Refused, basic, deliver, marker, note_text
from slakeeper.service.records import Attempt, Message

KEY = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$")
PAGE = 100
PRIORITIES = {"urgent": "Highest", "high": "High", "normal": "Medium", "low": "Low"}


def issue_key(ticket: str) -> str:
    key = ticket.removeprefix("jira:")
    if not KEY.match(key):
        raise Refused(f"ticket {ticket!r} is not a Jira issue (jira:<KEY-123>)")
    return key


@dataclass(slots=True)
class JiraChannel:
    url: str
    email: str
    token: str
    client: HttpClient
    group_field: str | None = None
    priorities: Mapping[str, str] = field(default_factory=lambda: dict(PRIORITIES))
    api: Api = field(init=False)

    def __post_init__(self) -> None:
        self.api = Api(self.url, basic(self.email, self.token), self.client)

    def deliver(self, message: Message) -> Attempt:
        return deliver(
            message,
            {
                "reassign": self._reassign,
                "raise_priority": self._priority,
                "add_tag": self._tag,
                "add_note": self._note,
            },
            "jira",
        )

    def _issue(self, message: Message) -> str:
        return "/rest/api/3/issue/" + quote(issue_key(str(message.alert["ticket"])))

    def _reassign(self, message: Message, action: Mapping[str, Any]) -> None:
        issue = self._issue(message)
        if action.get("group"):
            if not self.group_field:
                raise Refused("set the jira channel's group_field to reassign to a group")
            fields = {self.group_field: {"name": str(action["group"])}}
            self.api.call("PUT", issue, {"fields": fields})
        if action.get("assignee"):
            self.api.call("PUT", f"{issue}/assignee", {"accountId": str(action["assignee"])})

    def _priority(self, message: Message, action: Mapping[str, Any]) -> None:
        name = self.priorities.get(str(action["priority"]))
        if name is None:
            raise Refused(f"no Jira priority for {action['priority']!r}; set priorities")
        self.api.call("PUT", self._issue(message), {"fields": {"priority": {"name": name}}})

    def _tag(self, message: Message, action: Mapping[str, Any]) -> None:
        update = {"labels": [{"add": str(action["tag"])}]}
        self.api.call("PUT", self._issue(message), {"update": update})

    def _note(self, message: Message, action: Mapping[str, Any]) -> None:
        key = quote(issue_key(str(message.alert["ticket"])))
        path = f"/rest/servicedeskapi/request/{key}/comment"
        start = 0
        while True:  # every page: the list is oldest first, an earlier attempt's note is late
            page = self.api.call(
                "GET", f"{path}?public=false&internal=true&start={start}&limit={PAGE}"
            ).json()
            if any(marker(message) in str(c.get("body", "")) for c in page["values"]):
                return
            if page.get("isLastPage", True) or not page["values"]:
                break
            start += len(page["values"])
        body = {"body": note_text(message, str(action["note"])), "public": False}
        self.api.call("POST", path, body)
