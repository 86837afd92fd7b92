"""Help desks' REST APIs as real HTTP servers on 127.0.0.1, for the outbound actions' tests.

Each fake keeps tickets and answers the calls slakeeper makes the way the vendor documents them:
the auth header is checked (401 otherwise), unknown tickets are 404, a body that is not what the
endpoint takes is 400. It records every request, can fail the first requests on purpose
(``failures``: answered 503 and not applied) and can lose answers (``lose``: applied, then
answered 500 for a change, never a read — the case where a retry must not post a note twice).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, Any]
Route = tuple[str, re.Pattern[str], Callable[..., Answer]]


class Bad(Exception):
    """The body is not what the endpoint takes: 400 with the message."""


class FakeApi:
    def __init__(self, auth: str, required: dict[str, str] | None = None) -> None:
        self.auth = auth
        self.required = required or {}
        self.requests: list[dict[str, Any]] = []
        self.failures = 0
        self.lose = 0
        self.lock = threading.Lock()
        self.routes: list[Route] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body = fake.answer(self.command, self.path, dict(self.headers), raw)
                content = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def route(self, method: str, pattern: str, handler: Callable[..., Answer]) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def answer(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        parts = urlsplit(target)
        headers = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            body = json.loads(raw) if raw else None
            self.requests.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": parts.query,
                    "body": body,
                    "headers": headers,
                }
            )
            if headers.get("authorization") != self.auth:
                return 401, {"error": "bad credentials"}
            for name, value in self.required.items():
                if headers.get(name) != value:
                    return 400, {"error": f"header {name} must be {value}"}
            if self.failures > 0:
                self.failures -= 1
                return 503, {"error": "try later"}
            for verb, pattern, handler in self.routes:
                found = pattern.match(parts.path)
                if verb == method and found:
                    try:
                        status, out = handler(
                            *found.groups(), body=body, query=parse_qs(parts.query)
                        )
                    except KeyError as exc:
                        return 404, {"error": f"not found: {exc}"}
                    except Bad as exc:
                        return 400, {"error": str(exc)}
                    if self.lose > 0 and status < 300 and method != "GET":
                        self.lose -= 1
                        return 500, {"error": "answer lost"}
                    return status, out
            return 404, {"error": f"no route {method} {parts.path}"}

    def calls(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


# -- Zendesk ---------------------------------------------------------------------------------------


@dataclass
class ZendeskTicket:
    priority: str = "normal"
    group_id: int | None = None
    assignee_id: int | None = None
    tags: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


class FakeZendesk(FakeApi):
    """developer.zendesk.com: Tickets (update), Tags (add), Ticket Comments (list)."""

    def __init__(self, email: str = "ops@example.com", token: str = "zd-token") -> None:
        super().__init__(basic(f"{email}/token", token))
        self.tickets: dict[str, ZendeskTicket] = {}
        self.route("PUT", r"/api/v2/tickets/(\d+)\.json", self._update)
        self.route("PUT", r"/api/v2/tickets/(\d+)/tags\.json", self._tags)
        self.route("GET", r"/api/v2/tickets/(\d+)/comments\.json", self._comments)

    def _update(self, ident: str, body: Any, query: Any) -> Answer:
        ticket = self.tickets[ident]
        if not isinstance(body, dict) or set(body) != {"ticket"}:
            raise Bad('send {"ticket": {...}}')
        fields = body["ticket"]
        for key, value in fields.items():
            if key == "priority":
                if value not in ("urgent", "high", "normal", "low"):
                    raise Bad(f"priority {value!r}")
                ticket.priority = value
            elif key in ("group_id", "assignee_id"):
                if not isinstance(value, int):
                    raise Bad(f"{key} must be a number")
                setattr(ticket, key, value)
            elif key == "comment":
                if not isinstance(value.get("body"), str) or value.get("public") is not False:
                    raise Bad("an internal note is {body, public: false}")
                ticket.comments.append({"id": len(ticket.comments) + 1, **value})
            else:
                raise Bad(f"unexpected field {key}")
        return 200, {"ticket": {"id": int(ident), "priority": ticket.priority}}

    def _tags(self, ident: str, body: Any, query: Any) -> Answer:
        ticket = self.tickets[ident]
        if not isinstance(body, dict) or not isinstance(body.get("tags"), list):
            raise Bad('send {"tags": [...]}')
        ticket.tags.extend(t for t in body["tags"] if t not in ticket.tags)
        return 200, {"tags": ticket.tags}

    def _comments(self, ident: str, body: Any, query: Any) -> Answer:
        comments = list(self.tickets[ident].comments)
        if query.get("sort_order") == ["desc"]:
            comments.reverse()
        return 200, {"comments": comments, "next_page": None}


# -- Jira ------------------------------------------------------------------------------------------


@dataclass
class JiraIssue:
    priority: str = "Medium"
    assignee: str | None = None
    team: str | None = None
    labels: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


class FakeJira(FakeApi):
    """developer.atlassian.com: Issues (edit, assign) and JSM request comments."""

    PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")

    def __init__(self, email: str = "ops@example.com", token: str = "jira-token") -> None:
        super().__init__(basic(email, token))
        self.issues: dict[str, JiraIssue] = {}
        self.route("PUT", r"/rest/api/3/issue/([A-Z]+-\d+)", self._edit)
        self.route("PUT", r"/rest/api/3/issue/([A-Z]+-\d+)/assignee", self._assign)
        self.route("POST", r"/rest/servicedeskapi/request/([A-Z]+-\d+)/comment", self._comment)
        self.route("GET", r"/rest/servicedeskapi/request/([A-Z]+-\d+)/comment", self._comments)

    def _edit(self, key: str, body: Any, query: Any) -> Answer:
        issue = self.issues[key]
        if not isinstance(body, dict) or not set(body) <= {"fields", "update"}:
            raise Bad("send fields or update")
        for name, value in (body.get("fields") or {}).items():
            if name == "priority":
                if value.get("name") not in self.PRIORITIES:
                    raise Bad(f"priority {value!r}")
                issue.priority = value["name"]
            elif name == "customfield_10010":
                issue.team = value["name"]
            else:
                raise Bad(f"Field '{name}' cannot be set")
        for name, operations in (body.get("update") or {}).items():
            if name != "labels":
                raise Bad(f"cannot update {name}")
            for op in operations:
                if op["add"] not in issue.labels:
                    issue.labels.append(op["add"])
        return 204, None

    def _assign(self, key: str, body: Any, query: Any) -> Answer:
        issue = self.issues[key]
        if not isinstance(body, dict) or not isinstance(body.get("accountId"), str):
            raise Bad("send accountId")
        issue.assignee = body["accountId"]
        return 204, None

    def _comment(self, key: str, body: Any, query: Any) -> Answer:
        issue = self.issues[key]
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            raise Bad("send body")
        comment = {
            "id": str(len(issue.comments) + 1),
            "body": body["body"],
            "public": bool(body.get("public", True)),
        }
        issue.comments.append(comment)
        return 201, comment

    def _comments(self, key: str, body: Any, query: Any) -> Answer:
        """Oldest first, ``limit`` a page (at most 100) from ``start``, as JSM pages them."""
        comments = self.issues[key].comments
        if query.get("public") == ["false"]:
            comments = [c for c in comments if not c["public"]]
        start = int((query.get("start") or ["0"])[0])
        limit = min(int((query.get("limit") or ["50"])[0]), 100)
        page = comments[start : start + limit]
        last = start + limit >= len(comments)
        return 200, {
            "values": page,
            "start": start,
            "limit": limit,
            "size": len(page),
            "isLastPage": last,
        }


# -- GitHub ----------------------------------------------------------------------------------------


def page(items: list[Any], query: dict[str, list[str]]) -> list[Any]:
    """GitHub's pages: ``per_page`` (30 unless given, at most 100) items of page ``page``."""
    size = min(int((query.get("per_page") or ["30"])[0]), 100)
    number = int((query.get("page") or ["1"])[0])
    return items[(number - 1) * size : number * size]


@dataclass
class GitHubIssue:
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


class FakeGitHub(FakeApi):
    """docs.github.com: Issues (update), Labels, Comments; needs the REST API's headers."""

    def __init__(self, token: str = "gh-token") -> None:
        super().__init__(
            f"Bearer {token}",
            {"accept": "application/vnd.github+json", "x-github-api-version": "2022-11-28"},
        )
        self.issues: dict[str, GitHubIssue] = {}  # "owner/repo#n"
        base = r"/repos/([\w.-]+)/([\w.-]+)/issues/(\d+)"
        self.route("PATCH", base, self._update)
        self.route("GET", base + "/labels", self._labels)
        self.route("PUT", base + "/labels", self._set_labels)
        self.route("POST", base + "/labels", self._add_labels)
        self.route("GET", base + "/comments", self._comments)
        self.route("POST", base + "/comments", self._comment)

    def issue(self, owner: str, repo: str, number: str) -> GitHubIssue:
        return self.issues[f"{owner}/{repo}#{number}"]

    def _update(self, *ids: str, body: Any, query: Any) -> Answer:
        issue = self.issue(*ids)
        if not isinstance(body, dict) or not isinstance(body.get("assignees"), list):
            raise Bad("send assignees")
        issue.assignees = list(body["assignees"])
        return 200, {"number": int(ids[2]), "assignees": [{"login": a} for a in issue.assignees]}

    def _labels(self, *ids: str, body: Any, query: Any) -> Answer:
        return 200, page([{"name": n} for n in self.issue(*ids).labels], query)

    def _set_labels(self, *ids: str, body: Any, query: Any) -> Answer:
        self.issue(*ids).labels = list(dict.fromkeys(body["labels"]))
        return 200, [{"name": n} for n in self.issue(*ids).labels]

    def _add_labels(self, *ids: str, body: Any, query: Any) -> Answer:
        issue = self.issue(*ids)
        issue.labels.extend(n for n in body["labels"] if n not in issue.labels)
        return 200, [{"name": n} for n in issue.labels]

    def _comments(self, *ids: str, body: Any, query: Any) -> Answer:
        since = (query.get("since") or [""])[0]
        found = [c for c in self.issue(*ids).comments if c["created_at"] >= since]
        return 200, page(found, query)

    def _comment(self, *ids: str, body: Any, query: Any) -> Answer:
        issue = self.issue(*ids)
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            raise Bad("send body")
        comment = {
            "id": len(issue.comments) + 1,
            "body": body["body"],
            "created_at": "2030-01-01T00:00:00Z",
        }
        issue.comments.append(comment)
        return 201, comment
