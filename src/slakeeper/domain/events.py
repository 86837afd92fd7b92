"""Ticket events (SPEC §4): validation of one event, and the log that orders them.

An :class:`Event` is validated at construction from the mapping a help desk sends. The
:class:`EventLog` accepts events in arrival order, ignores exact repeats of an ``id``, refuses a
repeated ``id`` with other content, and hands each ticket's events back ordered by ``at`` with ties
in arrival order.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from slakeeper.domain.calendar import EPOCH
from slakeeper.domain.errors import InvalidArgument
from slakeeper.domain.policy import STATUSES

CREATED = "ticket.created"
UPDATED = "ticket.updated"
COMMENT = "comment.added"
CSAT = "csat.rated"
TYPES = (CREATED, UPDATED, COMMENT, CSAT)
AUTHORS = ("agent", "customer", "system")
ATTRIBUTE_FIELDS = (
    "priority",
    "status",
    "channel",
    "customer",
    "service",
    "group",
    "assignee",
    "tags",
)
_COMMON = frozenset({"id", "ticket", "type", "at"})
_ALLOWED = {
    CREATED: _COMMON | set(ATTRIBUTE_FIELDS),
    UPDATED: _COMMON | set(ATTRIBUTE_FIELDS),
    COMMENT: _COMMON | {"author", "public"},
    CSAT: _COMMON | {"score"},
}
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_US = 1_000_000
MIN_INSTANT = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)
MAX_INSTANT = (datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC) - EPOCH) // timedelta(
    microseconds=1
)  # the instants a date and time can be written for: years 1 to 9999 in UTC
MAX_TEXT = 256  # ids and attribute values, in characters (they are keys of database indexes)
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - only subtracted from naive UTC wall times
_STATUS_SET = frozenset(STATUSES)


class BadEvent(ValueError):
    """One event that is not valid; the message says what is wrong."""


class Event(NamedTuple):
    """One validated event. ``at`` is µs since the epoch; ``seq`` is the arrival order.

    A named tuple: immutable, compact and quick to build (a million of them are held at once).
    """

    id: str
    ticket: str
    type: str
    at: int
    changes: tuple[tuple[str, Any], ...] = ()  # created/updated: (field, value) pairs
    author: str = ""
    public: bool = True
    score: int = 0
    seq: int = 0
    line: int = 0

    def same_content(self, other: Event) -> bool:
        return (
            self.ticket == other.ticket
            and self.type == other.type
            and self.at == other.at
            and dict(self.changes) == dict(other.changes)
            and self.author == other.author
            and self.public == other.public
            and self.score == other.score
        )

    def as_dict(self) -> dict[str, Any]:
        """The event in SPEC §4 form, instants in UTC."""
        out: dict[str, Any] = {"id": self.id, "ticket": self.ticket, "type": self.type}
        out["at"] = format_instant(self.at)
        for key, value in self.changes:
            out[key] = sorted(value) if key == "tags" else value
        if self.type == COMMENT:
            out["author"] = self.author
            out["public"] = self.public
        if self.type == CSAT:
            out["score"] = self.score
        return out


def parse_instant(value: object, what: str = "at") -> int:
    """An RFC 3339 instant with an offset -> µs since the epoch."""
    if (
        type(value) is str
        and len(value) == 20
        and value[19] == "Z"
        and value.isascii()
        and value[4] == "-"
        and value[7] == "-"
        and value[10] == "T"
        and value[13] == ":"
        and value[16] == ":"
        and value[:4].isdigit()
    ):  # the common form, e.g. 2026-03-02T08:00:00Z
        try:
            delta = datetime.fromisoformat(value[:19]) - _NAIVE_EPOCH
        except ValueError:
            raise BadEvent(f"{what} {value!r} is not a valid date and time") from None
        return (delta.days * 86_400 + delta.seconds) * _US
    if not isinstance(value, str) or _RFC3339.match(value) is None:
        raise BadEvent(
            f"{what} {value!r} is not an RFC 3339 instant with an offset (e.g. 2026-03-02T08:00:00Z)"
        )
    text = value.upper().replace(" ", "T")  # RFC 3339 allows t, z and a space
    dot = text.find(".")
    if dot != -1:  # Python takes at most 6 fractional digits
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        if end - dot > 7:
            text = text[: dot + 7] + text[end:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadEvent(f"{what} {value!r} is not a valid date and time") from None
    delta = moment - EPOCH
    instant = (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds
    if not MIN_INSTANT <= instant <= MAX_INSTANT:
        raise BadEvent(f"{what} {value!r} lies outside the years 1 to 9999 in UTC")
    return instant


def format_instant(instant: int) -> str:
    """µs since the epoch -> ``2026-03-02T08:00:00Z`` (a fraction only when there is one)."""
    seconds, micros = divmod(instant, _US)
    days, rest = divmod(seconds, 86_400)
    day = _DAY_TEXT.get(days)
    if day is None:
        if not MIN_INSTANT <= instant <= MAX_INSTANT:
            raise InvalidArgument(
                f"an instant {instant} µs from 1970 lies outside the years 1 to 9999"
            )
        d = (EPOCH + timedelta(days=days)).date()
        day = f"{d.year:04d}-{d.month:02d}-{d.day:02d}T"
        if len(_DAY_TEXT) < 100_000:
            _DAY_TEXT[days] = day
    if not _TIME_TEXT:
        _TIME_TEXT.extend(
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        )
    if micros:
        return f"{day}{_TIME_TEXT[rest]}.{micros:06d}".rstrip("0") + "Z"
    return day + _TIME_TEXT[rest] + "Z"


_TIME_TEXT: list[str] = []  # "HH:MM:SS" for every second of a day, built on first use
_DAY_TEXT: dict[int, str] = {}


def _name(value: object, field: str, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if type(value) is not str or not value:
        raise BadEvent(f"{field} {value!r} must be a non-empty text")
    return sys.intern(value)


def _plain(value: str, field: str) -> str:
    """``value`` if it can be stored and indexed: no NUL character, at most MAX_TEXT long."""
    if len(value) > MAX_TEXT:
        raise BadEvent(f"{field} {value[:20]!r}... is longer than {MAX_TEXT} characters")
    if "\x00" in value:
        raise BadEvent(f"{field} {value!r} contains a NUL character")
    return value


def _tags(value: object) -> frozenset[str]:
    if type(value) is not list or not all(type(t) is str and t for t in value):
        raise BadEvent(f"tags {value!r} must be a list of non-empty texts")
    key = tuple(value)
    found = _TAG_SETS.get(key)
    if found is None:
        for tag in value:
            _plain(tag, "tag")
        found = frozenset(value)
        if len(_TAG_SETS) < 10_000:
            _TAG_SETS[key] = found
    return found


_TAG_SETS: dict[tuple[str, ...], frozenset[str]] = {}  # one shared set per spelling: saves memory


def _changes(obj: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    out: list[tuple[str, Any]] = []
    for key, value in obj.items():
        if key in _COMMON:
            continue
        if key == "tags":
            out.append((_FIELD_NAMES[key], _tags(value)))
        elif type(value) is str and value:
            if key == "status" and value not in _STATUS_SET:
                raise BadEvent(f"status {value!r} is not one of {', '.join(STATUSES)}")
            if len(value) > MAX_TEXT or "\x00" in value:  # inline: this is the hot path
                _plain(value, key)
            out.append((_FIELD_NAMES[key], sys.intern(value)))
        elif value is None and key not in _REQUIRED_VALUE:
            out.append((_FIELD_NAMES[key], None))
        elif key == "status":
            raise BadEvent(f"status {value!r} is not one of {', '.join(STATUSES)}")
        else:
            raise BadEvent(f"{key} {value!r} must be a non-empty text")
    return tuple(out)


_REQUIRED_VALUE = frozenset({"priority", "status"})
_FIELD_NAMES = {name: sys.intern(name) for name in ATTRIBUTE_FIELDS}


def parse_event(obj: object, seq: int = 0, line: int = 0) -> Event:
    """Validate one event mapping; raises :class:`BadEvent` naming what is wrong."""
    if type(obj) is not dict:
        raise BadEvent("an event must be a JSON object")
    kind = obj.get("type")
    allowed = _ALLOWED.get(kind) if type(kind) is str else None
    if allowed is None:
        raise BadEvent(f"unknown type {kind!r}; use {', '.join(TYPES)}")
    event_id = obj.get("id")
    if type(event_id) is not str or not event_id:
        raise BadEvent(f"id {event_id!r} must be a non-empty text")
    if len(event_id) > MAX_TEXT or "\x00" in event_id:
        _plain(event_id, "id")
    if not allowed.issuperset(obj):
        unknown = ", ".join(sorted(set(obj) - allowed))
        raise BadEvent(f"event {event_id!r}: unknown field(s) {unknown} for {kind}")
    try:
        ticket = obj.get("ticket")
        if type(ticket) is not str or not ticket:
            raise BadEvent(f"ticket {ticket!r} must be a non-empty text")
        if len(ticket) > MAX_TEXT or "\x00" in ticket:
            _plain(ticket, "ticket")
        ticket = sys.intern(ticket)
        at = parse_instant(obj.get("at"))
        if kind == COMMENT:
            author = obj.get("author")
            if type(author) is not str or author not in _AUTHORS:
                raise BadEvent(f"author {author!r} must be one of {', '.join(AUTHORS)}")
            public = obj.get("public", True)
            if type(public) is not bool:
                raise BadEvent(f"public {public!r} must be true or false")
            by = _AUTHORS[str(author)]
            return _new(Event, (event_id, ticket, COMMENT, at, (), by, public, 0, seq, line))
        if kind == CSAT:
            score = obj.get("score")
            if type(score) is not int or not 1 <= score <= 5:
                raise BadEvent(f"score {score!r} must be an integer from 1 to 5")
            return _new(Event, (event_id, ticket, CSAT, at, (), "", True, score, seq, line))
        changes = _changes(obj)
        kind = _TYPE_NAMES[str(kind)]
        return _new(Event, (event_id, ticket, kind, at, changes, "", True, 0, seq, line))
    except BadEvent as exc:
        raise BadEvent(f"event {event_id!r}: {exc}") from None


_AUTHORS = {name: name for name in AUTHORS}
_new = tuple.__new__  # builds an Event without the generated __new__'s Python-level call
_TYPE_NAMES = {name: name for name in TYPES}


class DuplicateEvent(BadEvent):
    """A repeated ``id`` whose content differs from the first."""


class EventLog:
    """Events in arrival order, deduplicated by ``id``, grouped by ticket.

    ``add`` returns False for an exact repeat (ignored) and raises :class:`DuplicateEvent` for a
    repeated id with other content.
    """

    __slots__ = ("_by_id", "_by_ticket", "_count")

    def __init__(self) -> None:
        self._by_id: dict[str, Event] = {}
        self._by_ticket: dict[str, list[Event]] = {}
        self._count = 0

    def add(self, event: Event) -> bool:
        first = self._by_id.setdefault(event.id, event)
        if first is not event:
            if first.same_content(event):
                return False
            where = f" (first on line {first.line})" if first.line else ""
            raise DuplicateEvent(f"event {event.id!r}: id repeated with different content{where}")
        group = self._by_ticket.get(event.ticket)
        if group is None:
            self._by_ticket[event.ticket] = [event]
        else:
            group.append(event)
        self._count += 1
        return True

    def __len__(self) -> int:
        return self._count

    def ids(self) -> list[str]:
        """The ids of every event added, in arrival order."""
        return list(self._by_id)

    def last_at(self) -> int | None:
        """The latest instant of the events added (None: none)."""
        return max((event.at for event in self._by_id.values()), default=None)

    def tickets(self) -> list[str]:
        """Ticket ids in the order of the output (sorted as text)."""
        return sorted(self._by_ticket)

    def history(self, ticket: str) -> list[Event]:
        """The ticket's events ordered by ``at``, ties in arrival order."""
        events = self._by_ticket.get(ticket, [])
        events.sort(key=_order)
        return events

    def pop_history(self, ticket: str) -> list[Event]:
        """Like :meth:`history`, and forget the ticket's events (frees memory while streaming)."""
        events = self._by_ticket.pop(ticket, [])
        events.sort(key=_order)
        return events

    def __iter__(self) -> Iterator[Event]:
        for ticket in self.tickets():
            yield from self.history(ticket)


_order = itemgetter(3, 8)  # (at, seq): by instant, ties in arrival order
