"""Outbound actions through the GitHub REST API (docs.github.com, Issues, Labels, Assignees and
Comments). Channel: ``{type: github, token}`` with optional ``url`` (``https://api.github.com``;
a GitHub Enterprise Server's ``https://<host>/api/v3``); auth ``Authorization: Bearer
<token>``. The ticket is ``owner:repo#number`` as the webhook names it.

- ``reassign`` → ``PATCH /repos/{owner}/{repo}/issues/{n}`` ``{"assignees": [login]}`` (GitHub
  has no groups: a group is refused)
- ``raise_priority`` → the labels (``GET .../issues/{n}/labels``, every page) with every
  ``priority:*`` label replaced by ``priority:<p>``, set with ``PUT .../issues/{n}/labels``
- ``add_tag`` → ``POST .../issues/{n}/labels`` ``{"labels": [tag]}`` (adds, keeps others)
- ``add_note`` → ``POST .../issues/{n}/comments``. GitHub has no internal notes: the comment is
  public, and carries the marker ``<!-- slakeeper:alert-N -->`` by which the GitHub webhook maps
  it back as a ``system`` comment (not an agent reply). Not posted again when
  ``GET .../comments?since=<the alert's planned instant>`` shows the marker.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from slakeeper.adapters.notify.http import HttpClient
from slakeeper.adapters.outbound import Api, Refused, deliver, note_text
from slakeeper.service.records import Attempt, Message

TICKET = re.compile(r"^([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)#([1-9][0-9]*)$")
DEFAULT_URL = "https://api.github.com"
PAGE = 100
HIDDEN = "<!-- slakeeper:{} -->"  # what the webhook recognises (adapters/hooks/github.py)


def issue_path(ticket: str) -> str:
    found = TICKET.match(ticket)
    if found is None:
        raise Refused(f"ticket {ticket!r} is not a GitHub issue (owner:repo#number)")
    owner, repo, number = found.groups()
    return f"/repos/{quote(owner)}/{quote(repo)}/issues/{number}"


@dataclass(slots=True)
class GitHubChannel:
    token: str
    client: HttpClient
    url: str = DEFAULT_URL
    api: Api = field(init=False)

    def __post_init__(self) -> None:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        self.api = Api(self.url, f"Bearer {self.token}", self.client, headers)

    def deliver(self, message: Message) -> Attempt:
        return deliver(
            message,
            {
                "reassign": self._reassign,
                "raise_priority": self._priority,
                "add_tag": self._tag,
                "add_note": self._note,
            },
            "github",
        )

    def _issue(self, message: Message) -> str:
        return issue_path(str(message.alert["ticket"]))

    def _reassign(self, message: Message, action: Mapping[str, Any]) -> None:
        if not action.get("assignee"):
            raise Refused("GitHub issues have no groups: reassign to an assignee")
        self.api.call("PATCH", self._issue(message), {"assignees": [str(action["assignee"])]})

    def _pages(self, path: str, query: str = "") -> Iterator[Any]:
        """Every item of a listing, page by page (100 a page, until a short page)."""
        for page in itertools.count(1):
            items = self.api.call("GET", f"{path}?{query}per_page={PAGE}&page={page}").json()
            yield from items
            if len(items) < PAGE:
                return

    def _priority(self, message: Message, action: Mapping[str, Any]) -> None:
        path = self._issue(message) + "/labels"
        labels = [str(label["name"]) for label in self._pages(path)]
        kept = [n for n in labels if not n.lower().startswith("priority:")]
        self.api.call("PUT", path, {"labels": [*kept, f"priority:{action['priority']}"]})

    def _tag(self, message: Message, action: Mapping[str, Any]) -> None:
        self.api.call("POST", self._issue(message) + "/labels", {"labels": [str(action["tag"])]})

    def _note(self, message: Message, action: Mapping[str, Any]) -> None:
        path = self._issue(message) + "/comments"
        since = message.alert.get("planned_at")
        query = f"since={quote(str(since))}&" if since else ""
        hidden = HIDDEN.format(message.alert.get("id", "alert"))
        for comment in self._pages(path, query):
            if hidden in str(comment.get("body", "")):
                return
        body = f"{note_text(message, str(action['note']))}\n\n{hidden}"
        self.api.call("POST", path, {"body": body})
