"""Jira JSON exports (docs/import.md "Jira"), read into SPEC §4 events.

The input is the REST search output with the changelog expanded (``/rest/api/2/search?jql=...
&expand=changelog&fields=*all``): one JSON document ``{"issues": [...]}``, a list of issues, or JSON
Lines with one issue (or one page) a line. From each issue:

- ``fields.created`` is the creation. Its attributes are the issue's values *at creation*: the
  current ``status``, ``priority``, ``assignee`` and ``labels``, rolled back through the changelog
  (the ``fromString`` of each field's first change).
- each ``changelog.histories[]`` entry changing ``status``, ``priority``, ``assignee`` or
  ``labels`` is one ``ticket.updated`` at its ``created``, with the ``toString`` values;
- each ``fields.comment.comments[]`` is a comment at its ``created``: by the ``customer`` when its
  author is a Jira Service Management customer (``accountType: customer``) or the issue's
  reporter, by ``system`` for an app (``accountType: app``), else by an ``agent``; internal when
  ``jsdPublic`` is false.
- without a changelog, the issue is ``new`` at its creation, solved at ``resolutiondate``, or
  else in its current status from ``fields.updated``.

Jira's statuses are a team's own words: common names are mapped (``Waiting for customer`` ->
``pending``, ``Resolved``/``Done``/``Closed`` -> ``solved``, ...), the issue's current status by its
category, anything else through ``values.status`` of ``--mapping``. Jira can reopen a closed
issue, so ``Closed`` is ``solved`` here, not slakeeper's final ``closed``. Priorities ``Highest``/
``Blocker``/``Critical`` -> ``urgent``, ``High``/``Major`` -> ``high``, ``Medium`` -> ``normal``,
``Low``/``Lowest``/``Minor``/``Trivial`` -> ``low``.

A changelog or a comment list that the export cut short (``total`` larger than what it holds)
skips the issue: its history would be incomplete.

Ids: ticket ``jira:<KEY>``, its creation ``jira:<KEY>:created``, a change ``jira:history:<id>``, a
comment ``jira:comment:<id>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from slakeeper.adapters.importers.common import (
    Bundle,
    Draft,
    Item,
    OnBytes,
    Problem,
    Unusable,
    fold,
    json_objects,
    text_id,
    vendor_time,
)
from slakeeper.adapters.importers.mapping import Mapping
from slakeeper.adapters.importers.zendesk_export import merged
from slakeeper.domain.events import COMMENT, CREATED, UPDATED, parse_instant

PAGES = ("issues", "values")
STATUSES: dict[str, str] = {
    **dict.fromkeys(("new", "to do", "backlog", "open"), "new"),
    **dict.fromkeys(
        (
            "in progress",
            "work in progress",
            "reopened",
            "waiting for support",
            "escalated",
            "under review",
            "in review",
            "investigating",
            "selected for development",
            "triage",
        ),
        "open",
    ),
    **dict.fromkeys(
        ("waiting for customer", "pending", "awaiting customer", "waiting for reporter"),
        "pending",
    ),
    **dict.fromkeys(
        (
            "on hold",
            "blocked",
            "waiting for approval",
            "waiting for third party",
            "waiting for vendor",
        ),
        "on_hold",
    ),
    **dict.fromkeys(
        (
            "resolved",
            "done",
            "closed",
            "completed",
            "fixed",
            "canceled",
            "cancelled",
            "declined",
            "rejected",
            "won't do",
        ),
        "solved",
    ),
}
CATEGORIES = {"new": "new", "indeterminate": "open", "done": "solved"}
PRIORITIES: dict[str, str] = {
    **dict.fromkeys(("highest", "blocker", "critical"), "urgent"),
    **dict.fromkeys(("high", "major"), "high"),
    **dict.fromkeys(("medium", "normal"), "normal"),
    **dict.fromkeys(("low", "lowest", "minor", "trivial"), "low"),
}
TRACKED = {"status": "status", "priority": "priority", "assignee": "assignee", "labels": "tags"}


def read_jira(
    paths: Sequence[str], mapping: Mapping | None = None, on_bytes: OnBytes | None = None
) -> Iterator[Item]:
    """Every issue of the exports as a Bundle; unreadable records as Problems."""
    reader = _Reader(mapping or Mapping())
    for found in json_objects(paths, PAGES, on_bytes):
        if isinstance(found, Problem):
            yield found
        else:
            path, place, record = found
            yield reader.issue(record, path, place)


class _Reader:
    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.prefix = mapping.ticket_prefix
        self.statuses = merged("status", STATUSES, mapping, True)
        self.priorities = merged("priority", PRIORITIES, mapping, True)
        self.assignees = merged("assignee", {}, mapping, False)
        self.tags = merged("tags", {}, mapping, False)

    def issue(self, record: dict[str, Any], source: str, place: str) -> Bundle | Problem:
        try:
            key = text_id(record.get("key"), "key")
        except Unusable as exc:
            return Problem(source, place, exc.reason, "an issue without a key", None, "key")
        issue = _Issue(self, record, source, place, key)
        issue.read()
        return Bundle(issue.ticket, [] if issue.problems else issue.drafts, issue.problems)


def _name(value: object) -> str | None:
    """The display text of a Jira object field (``{"name": ...}``) or a plain text."""
    if isinstance(value, dict):
        for key in ("name", "displayName", "value"):
            if isinstance(value.get(key), str) and value[key]:
                return str(value[key])
        return None
    return value if isinstance(value, str) and value else None


def _person(value: object) -> str | None:
    """A user's identity for comparing authors: accountId (Cloud), else name or key (Server)."""
    if not isinstance(value, dict):
        return None
    for key in ("accountId", "name", "key", "emailAddress"):
        if isinstance(value.get(key), str) and value[key]:
            return str(value[key])
    return None


class _Issue:
    """One issue's events, with every problem found in it."""

    def __init__(
        self, reader: _Reader, record: dict[str, Any], source: str, place: str, key: str
    ) -> None:
        self.r = reader
        self.record = record
        self.source = source
        self.place = place
        self.key = key
        self.ticket = f"{reader.prefix}jira:{key}"
        issue_id = record.get("id")
        self.created_id = (
            f"jira:issue:{issue_id}:created"
            if isinstance(issue_id, str | int) and not isinstance(issue_id, bool)
            else f"jira:{key}:created"
        )
        fields = record.get("fields")
        self.fields: dict[str, Any] = fields if isinstance(fields, dict) else {}
        self.reporter = _person(self.fields.get("reporter"))
        self.drafts: list[Draft] = []
        self.problems: list[Problem] = []
        status = self.fields.get("status")
        category = status.get("statusCategory") if isinstance(status, dict) else None
        self.current_status = _name(status)
        self.current_category = (
            CATEGORIES.get(str(category.get("key"))) if isinstance(category, dict) else None
        )

    def attempt(self, where: str, read: Callable[..., Any], *args: Any) -> Any:
        try:
            return read(*args)
        except Unusable as exc:
            self.fail(where, exc.reason, exc.kind)
            return None

    def fail(self, where: str, reason: str, kind: str) -> None:
        self.problems.append(Problem(self.source, self.place, reason, kind, self.ticket, where))

    # -- values --------------------------------------------------------------------------------

    def status(self, name: str | None) -> str | None:
        if name is None:
            return None
        if (
            self.current_category is not None
            and self.current_status is not None
            and fold(name) == fold(self.current_status)
            and fold(name) not in self.r.statuses.table
        ):
            return self.current_category
        found: str = self.r.statuses(name)
        return found

    def value(self, attribute: str, text: str | None) -> Any:
        """A Jira field's display text as the slakeeper attribute's value."""
        if attribute == "status":
            return self.status(text)
        if attribute == "priority":
            return "normal" if text is None else self.r.priorities(text)
        if attribute == "tags":
            return sorted({t for t in (self.r.tags(v) for v in (text or "").split()) if t})
        return None if text is None else self.r.assignees(text)

    def current(self, attribute: str) -> str | None:
        """The field's value now, as the text the changelog writes."""
        field = self.fields.get(attribute)
        if attribute == "labels":
            labels = field if isinstance(field, list) else []
            return " ".join(str(label) for label in labels)
        return _name(field)

    # -- the issue -----------------------------------------------------------------------------

    def read(self) -> None:
        created = self.attempt("fields.created", vendor_time, self.fields.get("created"), "created")
        changelog = self.record.get("changelog")
        histories = self._histories(changelog)
        initial: dict[str, str | None] = {name: self.current(name) for name in TRACKED}
        for _, history in reversed(histories):  # newest first: the oldest change wins
            for item in _items(history):
                name = _field(item)
                if name in TRACKED:
                    initial[name] = _text(item.get("fromString"))
        attrs: dict[str, Any] = {}
        for name, attribute in TRACKED.items():
            value = self.attempt(f"fields.{name}", self.value, attribute, initial[name])
            if value is not None:
                attrs[attribute] = value
        steps: list[tuple[str, int, dict[str, Any], str]] = []
        if changelog is None:  # when the status changed is not known: new, then what is known
            self._without_changelog(attrs.pop("status", None), steps)
        attrs.setdefault("status", "new")
        for index, history in histories:
            self._history(index, history, steps)
        self._comments(steps)
        if created is None:
            return
        self.drafts.append(
            Draft(
                {"id": self.created_id, "ticket": self.ticket, "type": CREATED}
                | {"at": created, **attrs},
                self.source,
                self.place,
                "fields.created",
            )
        )
        steps.sort(key=lambda step: (parse_instant(step[0]), step[1]))
        for _, _, event, where in steps:
            self.drafts.append(
                Draft({"ticket": self.ticket, **event}, self.source, self.place, where)
            )

    def _histories(self, changelog: object) -> list[tuple[int, dict[str, Any]]]:
        if not isinstance(changelog, dict):
            return []
        histories = changelog.get("histories")
        found = [(i, h) for i, h in enumerate(histories or []) if isinstance(h, dict)]
        total = changelog.get("total")
        if isinstance(total, int) and total > len(found):
            self.fail(
                "changelog",
                f"the export holds {len(found)} of the issue's {total} changes: export the "
                "whole changelog (/rest/api/2/issue/KEY/changelog)",
                "a changelog cut short",
            )
        found.sort(key=lambda pair: str(pair[1].get("created") or ""))
        return found

    def _history(
        self, index: int, history: dict[str, Any], steps: list[tuple[str, int, dict[str, Any], str]]
    ) -> None:
        where = f"changelog.histories[{index}]"
        changes: dict[str, Any] = {}
        for n, item in enumerate(_items(history)):
            name = _field(item)
            attribute = TRACKED.get(name)
            if attribute is None:
                continue
            value = self.attempt(
                f"{where}.items[{n}] ({name})", self.value, attribute, _text(item.get("toString"))
            )
            if value is not None or attribute == "assignee":
                changes[attribute] = value
        if not changes:
            return
        at = self.attempt(f"{where}.created", vendor_time, history.get("created"), "created")
        history_id = self.attempt(f"{where}.id", text_id, history.get("id"), "id")
        if at is None or history_id is None:
            return
        # the ids the Jira webhook gives the same creation and change (adapters/hooks/jira.py),
        # so a history imported after the webhook was on meets its events as duplicates
        event = {"id": f"jira:changelog:{history_id}", "type": UPDATED, "at": at, **changes}
        steps.append((at, 1, event, where))

    def _comments(self, steps: list[tuple[str, int, dict[str, Any], str]]) -> None:
        block = self.fields.get("comment")
        if not isinstance(block, dict):
            return
        comments = [c for c in block.get("comments") or [] if isinstance(c, dict)]
        total = block.get("total")
        if isinstance(total, int) and total > len(comments):
            self.fail(
                "fields.comment",
                f"the export holds {len(comments)} of the issue's {total} comments: export "
                "them all (/rest/api/2/issue/KEY/comment)",
                "comments cut short",
            )
        for n, comment in enumerate(comments):
            where = f"fields.comment.comments[{n}]"
            at = self.attempt(f"{where}.created", vendor_time, comment.get("created"), "created")
            comment_id = self.attempt(f"{where}.id", text_id, comment.get("id"), "id")
            if at is None or comment_id is None:
                continue
            author = self._author(comment.get("author"))
            public = comment.get("jsdPublic", True)
            event = {
                "id": f"jira:comment:{comment_id}",
                "type": COMMENT,
                "at": at,
                "author": author,
                "public": public if isinstance(public, bool) else True,
            }
            # at one instant: an agent's reply before a change (a reply that resolves), a
            # customer's comment after it (a reopening, then the comment)
            steps.append((at, 2 if author == "customer" else 0, event, where))

    def _author(self, author: object) -> str:
        if isinstance(author, dict):
            kind = author.get("accountType")
            if kind == "customer":
                return "customer"
            if kind == "app":
                return "system"
        person = _person(author)
        if person is not None and person == self.reporter:
            return "customer"
        return "agent"

    def _without_changelog(
        self, status: str | None, steps: list[tuple[str, int, dict[str, Any], str]]
    ) -> None:
        """The solve at ``resolutiondate``; another current status at ``fields.updated``."""
        resolved = self.fields.get("resolutiondate")
        if resolved not in (None, ""):
            at = self.attempt("fields.resolutiondate", vendor_time, resolved, "resolutiondate")
            if at is not None:
                event = {"id": f"jira:{self.key}:resolved", "type": UPDATED, "at": at}
                steps.append((at, 1, {**event, "status": "solved"}, "fields.resolutiondate"))
            return
        updated = self.fields.get("updated")
        if status in (None, "new") or updated in (None, ""):
            return
        at = self.attempt("fields.updated", vendor_time, updated, "updated")
        if at is not None:
            event = {"id": f"jira:{self.key}:status", "type": UPDATED, "at": at}
            steps.append((at, 1, {**event, "status": status}, "fields.status"))


def _items(history: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in history.get("items") or [] if isinstance(i, dict)]


def _field(item: dict[str, Any]) -> str:
    return str(item.get("field") or item.get("fieldId") or "").casefold()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
