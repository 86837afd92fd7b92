"""One CSV row read through the mapping: a ticket row's events, or an event row's event.

Every cell is read even after a problem, so that a row reports all that is wrong with it; a row
with any problem yields no events (its ticket is skipped whole).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slakeeper.adapters.importers.common import (
    IGNORE,
    Bundle,
    Draft,
    Problem,
    Unusable,
    csat_score,
    parse_time,
    split_tags,
)
from slakeeper.adapters.importers.mapping import ATTRIBUTES, Mapping
from slakeeper.domain.events import COMMENT, CREATED, CSAT, UPDATED
from slakeeper.domain.policy import DONE


@dataclass(frozen=True, slots=True)
class CsvFile:
    """A CSV file with its header checked against the mapping: which section, which columns."""

    path: str
    section: str  # "tickets" or "events"
    columns: dict[str, int]  # slakeeper field -> index in the row
    names: dict[str, str]  # slakeeper field -> column name (for problems)


def _digest(*parts: object) -> str:
    return hashlib.sha1(
        "\x1f".join(str(p) for p in parts).encode(), usedforsecurity=False
    ).hexdigest()[:10]


class Row:
    """One row read through the mapping; collects every problem of the row."""

    def __init__(self, file: CsvFile, mapping: Mapping, row: list[str], line: int) -> None:
        self.file = file
        self.mapping = mapping
        self.row = row
        self.line = line
        self.place = f"line {line}"
        self.problems: list[Problem] = []
        self.ticket: str | None = None

    # -- cells -----------------------------------------------------------------------------

    def cell(self, name: str) -> str:
        index = self.file.columns.get(name)
        if index is None or index >= len(self.row):
            return ""
        return self.row[index].strip()

    def column(self, name: str) -> str:
        return self.file.names.get(name, name)

    def _fail(self, name: str | None, exc: Unusable) -> None:
        where = self.column(name) if name else exc.field
        self.problems.append(
            Problem(
                self.file.path,
                self.place,
                exc.reason,
                f"{name}: {exc.kind}" if name else exc.kind,
                self.ticket,
                where,
                self.line,
            )
        )

    def attempt(self, name: str, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except Unusable as exc:
            self._fail(name, exc)
            return None

    def time(self, name: str, required: bool = False) -> str | None:
        raw = self.cell(name)
        if not raw:
            if required:
                self._fail(name, Unusable(f"{name} is empty", "empty"))
            return None
        value: str | None = self.attempt(
            name, lambda: parse_time(raw, self.mapping.time_format, self.mapping.zone, name)
        )
        return value

    def attribute(self, name: str) -> tuple[bool, Any]:
        """(given, value) of an attribute column, with the value map and the default applied."""
        raw = self.cell(name)
        if not raw:
            if name in self.mapping.defaults:
                return True, self.mapping.defaults[name]
            return False, None
        if name == "tags":
            rename = self.mapping.value("tags")
            tags = self.attempt(
                name,
                lambda: sorted(
                    {
                        t
                        for t in (rename(v) for v in split_tags(raw, self.mapping.tags_separator))
                        if t
                    }
                ),
            )
            return tags is not None, tags
        value = self.attempt(name, lambda: self.mapping.value(name)(raw))
        if value is None and name in ("priority", "status"):
            return False, None
        return True, value

    def attributes(self, only_given: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ATTRIBUTES:
            given, value = self.attribute(name)
            if given and (value is not None or not only_given):
                out[name] = value
        return out

    def ticket_id(self) -> str | None:
        raw = self.cell("ticket")
        if not raw:
            self.problems.append(
                Problem(
                    self.file.path,
                    self.place,
                    "the ticket id is empty",
                    "ticket: empty",
                    None,
                    self.column("ticket"),
                    self.line,
                )
            )
            return None
        self.ticket = self.mapping.ticket_prefix + raw
        return self.ticket

    def _bundle(self, drafts: list[Draft]) -> Bundle | Problem:
        if self.ticket is None:
            return self.problems[0]
        return Bundle(self.ticket, [] if self.problems else drafts, self.problems)

    def _draft(self, event: dict[str, Any], name: str | None) -> Draft:
        return Draft(
            event, self.file.path, self.place, self.column(name) if name else None, self.line
        )

    # -- one row per ticket --------------------------------------------------------------------

    def ticket_row(self) -> Bundle | Problem:
        ticket = self.ticket_id()
        created_at = self.time("created_at", required=True)
        attrs = self.attributes()
        status = attrs.pop("status", None)
        times = {
            n: self.time(n) for n in ("first_reply_at", "solved_at", "closed_at", "updated_at")
        }
        csat = self._ticket_csat(times)
        if ticket is None or created_at is None:
            return self._bundle([])
        base = {"ticket": ticket}
        drafts = [
            self._draft(
                {**base, "id": f"{ticket}:created", "type": CREATED, "at": created_at, **attrs},
                "created_at",
            )
        ]
        if times["first_reply_at"]:
            drafts.append(
                self._draft(
                    {
                        **base,
                        "id": f"{ticket}:first_reply",
                        "type": COMMENT,
                        "at": times["first_reply_at"],
                        "author": "agent",
                        "public": True,
                    },
                    "first_reply_at",
                )
            )
        drafts.extend(self._status_drafts(ticket, status, times, drafts))
        if csat is not None:
            score, at = csat
            drafts.append(
                self._draft(
                    {**base, "id": f"{ticket}:csat", "type": CSAT, "at": at, "score": score}, "csat"
                )
            )
            # a rating is given on a solved ticket: it goes before a close at the same instant
            closing = [d for d in drafts if d.event.get("status") == "closed"]
            if closing and closing[0].event["at"] == at:
                drafts.remove(closing[0])
                drafts.append(closing[0])
        return self._bundle(drafts)

    def _status_drafts(
        self, ticket: str, status: str | None, times: dict[str, str | None], drafts: list[Draft]
    ) -> list[Draft]:
        out: list[Draft] = []

        def update(name: str, value: str, at: str, column: str) -> None:
            out.append(
                self._draft(
                    {
                        "ticket": ticket,
                        "id": f"{ticket}:{name}",
                        "type": UPDATED,
                        "at": at,
                        "status": value,
                    },
                    column,
                )
            )

        solved, closed, updated = times["solved_at"], times["closed_at"], times["updated_at"]
        if solved:
            update("solved", "solved", solved, "solved_at")
        if closed:
            update("closed", "closed", closed, "closed_at")
        if status is None or status == "new":
            return out
        if status in DONE:
            if status == "solved" and not solved and closed is None:
                if updated is None:
                    self._fail("status", _needs(status, "solved_at or updated_at"))
                else:
                    update("solved", "solved", updated, "updated_at")
            if status == "closed" and not closed:
                if updated is not None:
                    update("closed", "closed", updated, "updated_at")
                elif solved is None:
                    self._fail("status", _needs(status, "closed_at, solved_at or updated_at"))
            return out
        if closed:
            self._fail(
                "status",
                Unusable(
                    f"the status is {status!r} but the ticket has a closed time; closed is final",
                    "a closed ticket with another status",
                ),
            )
            return out
        if updated is not None:
            update("status", status, updated, "updated_at")
        elif solved:
            self._fail("status", _needs(status, "updated_at (when it was reopened)"))
        elif status == "open":
            drafts[0].event["status"] = "open"  # open since its creation: no time is needed
        else:
            self._fail("status", _needs(status, "updated_at (when the ticket entered it)"))
        return out

    def _ticket_csat(self, times: dict[str, str | None]) -> tuple[int, str] | None:
        raw = self.cell("csat")
        if not raw:
            return None
        score = self.attempt("csat", lambda: self._score(raw))
        if score is None:
            return None
        at = self.time("csat_at") or times["solved_at"] or times["closed_at"] or times["updated_at"]
        if at is None:
            self._fail("csat", _needs("rated", "csat_at, solved_at, closed_at or updated_at"))
            return None
        return score, at

    def _score(self, raw: str) -> int | None:
        if "csat" in self.mapping.values:
            found: int | None = self.mapping.values["csat"](raw)
            return found
        score = csat_score(raw)
        if score is None:
            raise Unusable(
                f"{raw!r} is not a score from 1 to 5; map other values in values.csat",
                "not a score from 1 to 5",
            )
        return score

    # -- one row per event -----------------------------------------------------------------------

    def kind_or_none(self) -> str | None:
        raw = self.cell("kind")
        if not raw:
            self._fail("kind", Unusable("the kind of event is empty", "empty"))
            return None
        kind: str | None = self.attempt("kind", lambda: self.mapping.value("kind")(raw))
        return kind

    def event_row(self) -> Bundle | Problem | None:
        """The row's event; None for a row whose kind (or rating) is mapped to ignore."""
        ticket = self.ticket_id()
        kind = self.kind_or_none()
        if kind == IGNORE:
            return None
        at = self.time("at", required=True)
        event = self._event_body(kind) if kind is not None else None
        if event == {} and not self.problems:
            return None
        if ticket is None or at is None or event is None or not event:
            return self._bundle([])
        source_id = self.cell("id")
        if source_id:
            event_id = f"{ticket}:{source_id}"
        elif kind == "created":
            event_id = f"{ticket}:created"  # one creation per ticket
        else:
            parts = sorted((k, repr(v)) for k, v in event.items())
            event_id = f"{ticket}:{kind}:{_digest(at, *parts)}"
        draft = self._draft({"id": event_id, "ticket": ticket, "at": at, **event}, "kind")
        bundle = self._bundle([draft])
        if isinstance(bundle, Bundle):
            bundle.rows.append((self.file.path, self.place, self.line))
        return bundle

    def _event_body(self, kind: str) -> dict[str, Any] | None:
        if kind == "created":
            return {"type": CREATED, **self.attributes()}
        if kind == "update":
            attrs = self.attributes()
            if not attrs and not self.problems:
                self._fail(
                    "kind",
                    Unusable("an update row with no attribute column set", "an empty update"),
                )
            return {"type": UPDATED, **attrs}
        if kind in ATTRIBUTES:
            return self._change(kind)
        if kind == "reply":
            return {"type": COMMENT, "author": "agent", "public": True}
        if kind == "note":
            return {"type": COMMENT, "author": "agent", "public": False}
        if kind == "customer_reply":
            return {"type": COMMENT, "author": "customer", "public": True}
        if kind == "comment":
            raw = self.cell("author")
            if not raw:
                self._fail("author", Unusable("a comment row needs its author", "empty"))
                return None
            author = self.attempt("author", lambda: self.mapping.value("author")(raw))
            public_raw = self.cell("public")
            public = (
                self.attempt("public", lambda: self.mapping.value("public")(public_raw))
                if public_raw
                else True
            )
            if author is None or public is None:
                return None
            return {"type": COMMENT, "author": author, "public": public}
        raw = self.cell("value")  # csat
        score = self.attempt("value", lambda: self._score(raw)) if raw else None
        if score is None:
            if not raw:
                self._fail(
                    "value", Unusable("a csat row needs its score in the value column", "empty")
                )
                return None
            return None if self.problems else {}  # {}: mapped to ignore
        return {"type": CSAT, "score": score}

    def _change(self, name: str) -> dict[str, Any] | None:
        raw = self.cell("value")
        if name == "tags":
            rename = self.mapping.value("tags")
            tags = sorted(
                {t for t in (rename(v) for v in split_tags(raw, self.mapping.tags_separator)) if t}
            )
            return {"type": UPDATED, "tags": tags}
        if not raw:
            if name in ("priority", "status"):
                self._fail("value", Unusable(f"a {name} row needs the new {name}", "empty"))
                return None
            return {"type": UPDATED, name: None}  # unassigned, no group, ...
        value = self.attempt("value", lambda: self.mapping.value(name)(raw))
        if value is None and (self.problems or name in ("priority", "status")):
            return None
        return {"type": UPDATED, name: value}


def _needs(status: str, columns: str) -> Unusable:
    return Unusable(
        f"the status is {status!r} and the row has no time for it: map {columns}",
        f"status {status} without a time",
    )
