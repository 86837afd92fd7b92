"""Zendesk JSON exports (docs/import.md "Zendesk"), read into SPEC §4 events.

Three shapes are read, as JSON Lines (one record or one API page a line) or as one JSON document:

- **tickets with their audits** — a ticket of the Tickets API with an ``audits`` list (the Ticket
  Audits API of that ticket). The audit holding ``Create`` events is the creation (its events give
  the initial status, priority, group, assignee, organization and tags); every later audit's
  ``Change`` events of those fields become one ``ticket.updated``, its ``Comment`` and
  ``VoiceComment`` events comments, its ``SatisfactionRating`` events ratings.
- **tickets with their comments** — the account's full JSON export: a ticket with ``comments``
  (and ``metric_set`` when present). Less is known: the ticket's current attributes at creation,
  the comments, the solve (``metric_set.solved_at``) and the current status.
- **incremental ticket events** — ``/api/v2/incremental/ticket_events`` pages (``ticket_events``,
  best with ``include=comment_events``); each ticket event is an audit with ``child_events``.
  They come in time order across tickets, so they are gathered per ticket first.

The first comment of a ticket is its description, not a reply (it is by whoever opened the
ticket) and is not imported, as Zendesk's own first reply time leaves it out. A comment is by the
``customer`` when its author is the requester (or an end user in ``--users``), by ``system``
when its author is Zendesk (-1), else by an ``agent``. Ratings: ``good`` is 5, ``bad`` is 1,
``offered`` and ``unoffered`` are not ratings.

Ids match the Zendesk webhook (docs/integrations.md): ticket ``zendesk:<id>``, its creation
``zendesk:ticket:<id>:created``; an audit's changes ``zendesk:audit:<audit id>``, a comment
``zendesk:comment:<event id>``, a rating ``zendesk:csat:<event id>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slakeeper.adapters.importers.common import (
    PRIORITY_NAMES,
    Bundle,
    Draft,
    Item,
    OnBytes,
    Problem,
    Unusable,
    ValueMap,
    fold,
    instant_text,
    json_objects,
    json_records,
    text_id,
    vendor_time,
)
from slakeeper.adapters.importers.mapping import Mapping
from slakeeper.domain.events import COMMENT, CREATED, CSAT, UPDATED
from slakeeper.domain.policy import DONE

PAGES = ("tickets", "ticket_events", "results", "users")
STATUSES = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "on_hold",
    "on-hold": "on_hold",
    "solved": "solved",
    "closed": "closed",
}
SYSTEM_USER = "-1"
CSAT_SCORES: dict[str, int | None] = {
    "good": 5,
    "bad": 1,
    "offered": None,
    "unoffered": None,
    "good_with_comment": 5,
    "good_without_comment": 5,
    "bad_with_comment": 1,
    "bad_without_comment": 1,
}
# Zendesk field -> slakeeper attribute
FIELDS = {
    "status": "status",
    "priority": "priority",
    "group_id": "group",
    "assignee_id": "assignee",
    "organization_id": "customer",
    "tags": "tags",
}
_COMMENTS = ("Comment", "VoiceComment")


@dataclass(frozen=True, slots=True)
class ZendeskOptions:
    mapping: Mapping = field(default_factory=Mapping)
    users: dict[str, str] = field(default_factory=dict)  # user id -> agent | customer


def merged(name: str, builtin: dict[str, Any], mapping: Mapping, exhaustive: bool) -> ValueMap:
    """A vendor's built-in value map extended (and overridden) by the mapping file's."""
    table = {fold(k): v for k, v in builtin.items()}
    shown = list(builtin)
    user = mapping.values.get(name)
    if user is not None:
        table.update(user.table)
        shown.extend(user.shown)
    written = f"values.{name} of --mapping"
    return ValueMap(name, table, exhaustive, written, tuple(dict.fromkeys(shown)))


def read_users(paths: Sequence[str]) -> dict[str, str]:
    """User id -> author (``customer`` for end users, else ``agent``) from users exports."""
    out: dict[str, str] = {}
    for path in paths:
        with open(path, "rb") as stream:
            for found in json_records(stream, path, ("users",)):
                if isinstance(found, Problem) or not isinstance(found[1], dict):
                    continue
                user = found[1]
                if user.get("id") is not None and isinstance(user.get("role"), str):
                    role = user["role"]
                    out[str(user["id"])] = "customer" if role == "end-user" else "agent"
    return out


def read_zendesk(
    paths: Sequence[str], options: ZendeskOptions, on_bytes: OnBytes | None = None
) -> Iterator[Item]:
    """Every ticket of the exports as a Bundle; unreadable records as Problems."""
    reader = _Reader(options)
    gathered: dict[str, dict[str, Any]] = {}
    for found in json_objects(paths, PAGES, on_bytes):
        if isinstance(found, Problem):
            yield found
            continue
        path, place, record = found
        if "child_events" in record:
            reader.gather(gathered, record, path, place)
        elif "role" in record and "audits" not in record:
            continue  # a user of a sideload
        else:
            yield reader.ticket(record, path, place)
    for record in gathered.values():
        yield reader.ticket(record, record["_source"], record["_place"])


class _Reader:
    def __init__(self, options: ZendeskOptions) -> None:
        m = options.mapping
        self.prefix = m.ticket_prefix
        self.users = options.users
        self.status = merged("status", STATUSES, m, True)
        self.priority = merged("priority", PRIORITY_NAMES, m, True)
        self.csat = merged("csat", CSAT_SCORES, m, True)
        self.names = {
            name: merged(name, {}, m, False)
            for name in ("group", "assignee", "customer", "channel")
        }
        self.tag = merged("tags", {}, m, False)

    # -- values ----------------------------------------------------------------------------

    def value(self, attribute: str, raw: object) -> Any:
        """A Zendesk field value as the slakeeper attribute's value (None when unset)."""
        if attribute == "tags":
            if not isinstance(raw, list):
                raw = str(raw or "").split()
            return sorted({t for t in (self.tag(str(v)) for v in raw) if t})
        if raw is None or raw == "":
            return "normal" if attribute == "priority" else None
        if attribute == "status":
            return self.status(str(raw))
        if attribute == "priority":
            return self.priority(str(raw))
        return self.names[attribute](str(raw))

    def author(self, author_id: object, requester: object) -> str:
        if author_id is None:
            return "agent"
        key = str(author_id)
        if key == SYSTEM_USER:
            return "system"
        role = self.users.get(key)
        if role is not None:
            return role
        return "customer" if requester is not None and key == str(requester) else "agent"

    # -- incremental ticket events -----------------------------------------------------------

    def gather(
        self, into: dict[str, dict[str, Any]], event: dict[str, Any], source: str, place: str
    ) -> None:
        """Add one incremental ticket event to its ticket, as an audit."""
        ticket_id = str(event.get("ticket_id"))
        record = into.get(ticket_id)
        if record is None:
            record = into[ticket_id] = {
                "id": event.get("ticket_id"),
                "audits": [],
                "_source": source,
                "_place": place,
            }
        audit: dict[str, Any] = {
            "id": event.get("id"),
            "created_at": event.get("created_at") or _from_timestamp(event.get("timestamp")),
            "author_id": event.get("updater_id"),
            "events": [],
            "_place": place,
        }
        if isinstance(event.get("via"), str):
            audit["via"] = {"channel": event["via"]}
        for child in event.get("child_events") or []:
            if isinstance(child, dict):
                audit["events"].extend(_normalized(child, event))
        for child in audit["events"]:
            if child.get("field_name") == "requester_id" and "requester_id" not in record:
                record["requester_id"] = child.get("value")
        record["audits"].append(audit)

    # -- one ticket ----------------------------------------------------------------------------

    def ticket(self, record: dict[str, Any], source: str, place: str) -> Bundle | Problem:
        try:
            number = text_id(record.get("id"), "id")
        except Unusable as exc:
            return Problem(source, place, exc.reason, "a ticket without an id", None, "id")
        build = _Ticket(self, record, source, place, f"{self.prefix}zendesk:{number}", number)
        if isinstance(record.get("audits"), list):
            build.from_audits(record["audits"])
        else:
            build.from_comments()
        return Bundle(build.ticket, [] if build.problems else build.drafts, build.problems)


def _from_timestamp(value: object) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return instant_text(datetime.fromtimestamp(value, UTC))
    return None


def _normalized(child: dict[str, Any], parent: dict[str, Any]) -> list[dict[str, Any]]:
    """A child event of the incremental export in the shape of an audit event."""
    kind = child.get("event_type") or child.get("type")
    if kind in ("Create", "Change"):
        if "field_name" in child:
            return [{**child, "type": kind}]
        keys = [k for k in (*FIELDS, "requester_id") if k in child]
        return [
            {"id": child.get("id"), "type": kind, "field_name": k, "value": child[k]} for k in keys
        ]
    if kind in _COMMENTS or child.get("comment_present") is True:
        public = child.get("public", child.get("comment_public", True))
        author = child.get("author_id", parent.get("updater_id"))
        return [{"id": child.get("id"), "type": "Comment", "public": public, "author_id": author}]
    if kind == "SatisfactionRating":
        return [{**child, "type": kind}]
    return []


class _Ticket:
    """One Zendesk ticket's events, with every problem found in it."""

    def __init__(
        self,
        reader: _Reader,
        record: dict[str, Any],
        source: str,
        place: str,
        ticket: str,
        number: str,
    ) -> None:
        self.r = reader
        self.record = record
        self.source = source
        self.place = place
        self.ticket = ticket
        self.number = number
        self.requester = record.get("requester_id")
        self.drafts: list[Draft] = []
        self.problems: list[Problem] = []

    def attempt(
        self, where: str, read: Callable[..., Any], *args: Any, place: str | None = None
    ) -> Any:
        """``read(*args)``, or None with the problem recorded at ``where``."""
        try:
            return read(*args)
        except Unusable as exc:
            self.fail(where, exc.reason, exc.kind, place)
            return None

    def fail(self, where: str, reason: str, kind: str, place: str | None = None) -> None:
        self.problems.append(
            Problem(self.source, place or self.place, reason, kind, self.ticket, where)
        )

    def add(self, event: dict[str, Any], where: str, place: str | None = None) -> None:
        self.drafts.append(
            Draft({"ticket": self.ticket, **event}, self.source, place or self.place, where)
        )

    def _channel(self, via: object) -> str | None:
        if isinstance(via, dict) and isinstance(via.get("channel"), str) and via["channel"]:
            found: str | None = self.r.names["channel"](via["channel"])
            return found
        return None

    def _set(
        self, into: dict[str, Any], where: str, name: object, raw: object, place: str | None
    ) -> None:
        """Put a Zendesk field's value into ``into`` as its slakeeper attribute."""
        target = FIELDS.get(str(name))
        if target is None:
            return
        value = self.attempt(f"{where} ({name})", self.r.value, target, raw, place=place)
        if value is not None or target not in ("priority", "status"):
            into[target] = value

    # -- tickets with audits -----------------------------------------------------------------

    def from_audits(self, audits: list[Any]) -> None:
        ordered = sorted(
            (pair for pair in enumerate(audits) if isinstance(pair[1], dict)),
            key=lambda pair: str(pair[1].get("created_at") or ""),
        )
        creation = next((pair for pair in ordered if _creates(pair[1])), None)
        if creation is None:
            self.fail(
                "audits",
                "its audits hold no Create events: the ticket's creation is missing",
                "a ticket without its creation audit",
            )
            return
        index, first = creation
        place = first.get("_place")
        created_at = self.record.get("created_at") or first.get("created_at")
        at = self.attempt("created_at", vendor_time, created_at, "created_at", place=place)
        attrs: dict[str, Any] = {"priority": "normal", "status": "new", "tags": []}
        for n, event in enumerate(first.get("events") or []):
            if isinstance(event, dict) and event.get("type") == "Create":
                name = event.get("field_name")
                if name == "requester_id" and self.requester is None:
                    self.requester = event.get("value")
                self._set(attrs, f"audits[{index}].events[{n}]", name, event.get("value"), place)
        channel = self._channel(self.record.get("via")) or self._channel(first.get("via"))
        if channel is not None:
            attrs["channel"] = channel
        if at is not None:
            created = {"id": f"zendesk:ticket:{self.number}:created", "type": CREATED, "at": at}
            created.update({k: v for k, v in attrs.items() if v is not None})
            self.add(created, "created_at", place)
        for i, audit in ordered:
            if audit is not first:
                self._audit(i, audit)

    def _audit(self, index: int, audit: dict[str, Any]) -> None:
        where = f"audits[{index}]"
        place = audit.get("_place")
        at = self.attempt(f"{where}.created_at", vendor_time, audit.get("created_at"), place=place)
        audit_id = self.attempt(f"{where}.id", text_id, audit.get("id"), "id", place=place)
        if audit_id is None:
            return
        changes: dict[str, Any] = {}
        comments: list[tuple[dict[str, Any], str]] = []
        ratings: list[tuple[dict[str, Any], str]] = []
        for n, event in enumerate(audit.get("events") or []):
            if not isinstance(event, dict):
                continue
            path = f"{where}.events[{n}]"
            kind = event.get("type")
            if kind == "Change":
                self._set(changes, path, event.get("field_name"), event.get("value"), place)
            elif kind in _COMMENTS:
                author = event.get("author_id", audit.get("author_id"))
                public = event.get("public", True)
                comment = {
                    "id": f"zendesk:comment:{event.get('id') or f'{audit_id}:{n}'}",
                    "type": COMMENT,
                    "author": self.r.author(author, self.requester),
                    "public": public if isinstance(public, bool) else True,
                }
                comments.append((comment, path))
            elif kind == "SatisfactionRating":
                score = self.attempt(
                    f"{path}.score", self.r.csat, str(event.get("score")), place=place
                )
                if score is not None:
                    rating_id = f"zendesk:csat:{event.get('id') or audit_id}"
                    ratings.append(({"id": rating_id, "type": CSAT, "score": score}, path))
        if at is None:
            return
        update = [({"id": f"zendesk:audit:{audit_id}", "type": UPDATED, **changes}, where)]
        if not changes:
            update = []
        # a reply that solves goes before the solve; a reopening before the customer's comment
        done = changes.get("status") in DONE
        for event, path in (*(comments + update if done else update + comments), *ratings):
            self.add({**event, "at": at}, path, place)

    # -- tickets with comments (full JSON export) -------------------------------------------

    def from_comments(self) -> None:
        record = self.record
        at = self.attempt("created_at", vendor_time, record.get("created_at"), "created_at")
        attrs: dict[str, Any] = {}
        for name in FIELDS:
            if name != "status" and name in record:
                self._set(attrs, name, name, record.get(name), None)
        attrs = {k: v for k, v in attrs.items() if v is not None}
        channel = self._channel(record.get("via"))
        if channel is not None:
            attrs["channel"] = channel
        status = self.attempt("status", self.r.value, "status", record.get("status"))
        if at is None:
            return
        created_id = f"zendesk:ticket:{self.number}:created"
        self.add({"id": created_id, "type": CREATED, "at": at, **attrs}, "created_at")
        comments = [c for c in record.get("comments") or [] if isinstance(c, dict)]
        comments.sort(key=lambda c: str(c.get("created_at") or ""))
        for n, comment in enumerate(comments[1:], 1):  # the first one is the description
            where = f"comments[{n}]"
            when = self.attempt(f"{where}.created_at", vendor_time, comment.get("created_at"))
            public = comment.get("public", True)
            if when is not None:
                self.add(
                    {
                        "id": f"zendesk:comment:{comment.get('id') or n}",
                        "type": COMMENT,
                        "at": when,
                        "author": self.r.author(comment.get("author_id"), self.requester),
                        "public": public if isinstance(public, bool) else True,
                    },
                    where,
                )
        self._final_status(status)

    def _time(self, where: str, value: object) -> str | None:
        if value is None or value == "":
            return None
        found: str | None = self.attempt(where, vendor_time, value, where)
        return found

    def _final_status(self, status: str | None) -> None:
        """The solve, the rating and the current status of a ticket read without its audits."""
        record = self.record
        metric = record.get("metric_set")
        metric = metric if isinstance(metric, dict) else {}
        solved = self._time("metric_set.solved_at", metric.get("solved_at"))
        updated = self._time("updated_at", record.get("updated_at"))
        status_at = self._time("metric_set.status_updated_at", metric.get("status_updated_at"))
        base = f"zendesk:ticket:{self.number}"
        if solved is not None or status in DONE:
            when = solved or updated
            if when is None:
                self.fail(
                    "status",
                    f"the status is {status!r} and neither metric_set.solved_at nor "
                    "updated_at is given",
                    "a solved ticket without a time",
                )
                return
            solve = {"id": f"{base}:solved", "type": UPDATED, "at": when, "status": "solved"}
            self.add(solve, "metric_set.solved_at")
        rating = record.get("satisfaction_rating")
        if isinstance(rating, dict) and rating.get("score") is not None:
            score = self.attempt("satisfaction_rating.score", self.r.csat, str(rating["score"]))
            rated = self._time("satisfaction_rating.created_at", rating.get("created_at"))
            when = rated or updated or solved
            if score is not None and when is not None:
                rating_id = f"zendesk:csat:{rating.get('id') or self.number}"
                self.add(
                    {"id": rating_id, "type": CSAT, "at": when, "score": score},
                    "satisfaction_rating",
                )
        if status == "closed" and updated is not None:
            close = {"id": f"{base}:closed", "type": UPDATED, "at": updated, "status": "closed"}
            self.add(close, "updated_at")
        elif status in ("open", "pending", "on_hold") and (solved is not None or status != "open"):
            when = status_at or updated
            if when is not None:
                change = {"id": f"{base}:status", "type": UPDATED, "at": when, "status": status}
                self.add(change, "status")


def _creates(audit: dict[str, Any]) -> bool:
    return any(isinstance(e, dict) and e.get("type") == "Create" for e in audit.get("events") or [])
