"""What every history reader shares: what it yields, instants, value maps and JSON containers.

A reader turns an export into :class:`Bundle` items — one ticket's drafted SPEC §4 events with the
place each came from — and :class:`Problem` items for what it cannot use. A bundle that carries
problems is a ticket skipped whole: a ticket is imported with its whole history or not at all, so
that no clock is ever computed from half a history. :func:`assemble` (in ``history``) checks a
bundle's events alone and in the ticket's order before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

import orjson

from slakeeper.domain.calendar import EPOCH
from slakeeper.domain.errors import InvalidArgument
from slakeeper.domain.events import AUTHORS, format_instant
from slakeeper.domain.policy import STATUSES

OnBytes = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Problem:
    """A row, record or value that cannot be imported, with its place and the reason.

    ``kind`` is the reason without the values, to group problems in the summary; ``line`` is the
    line a CSV row starts on (the ``--errors`` file copies the row itself from there).
    """

    source: str
    place: str
    reason: str
    kind: str
    ticket: str | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}: {self.place}"
        if self.ticket is not None:
            where += f" (ticket {self.ticket})"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.reason}"


class Unusable(ValueError):
    """A value a reader cannot use; the reader turns it into a :class:`Problem` at its place."""

    def __init__(self, reason: str, kind: str | None = None, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind or reason
        self.field = field


class Draft(NamedTuple):
    """One SPEC §4 event as read, before it is checked, with where it came from."""

    event: dict[str, Any]
    source: str
    place: str
    field: str | None = None
    line: int | None = None


@dataclass(slots=True)
class Bundle:
    """One ticket's events as read. With ``problems`` the whole ticket is skipped.

    ``rows`` are the places of every row the ticket was read from (``(source, place, line)``),
    when there are several: each of them is reported when the ticket is skipped.
    """

    ticket: str
    drafts: list[Draft] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: list[tuple[str, str, int | None]] = field(default_factory=list)


Item = Bundle | Problem


# -- instants ----------------------------------------------------------------------------------


_EPOCH_DAY = EPOCH.toordinal()


def _micros(moment: datetime) -> int:
    u = moment.astimezone(UTC)
    seconds = (u.toordinal() - _EPOCH_DAY) * 86_400 + u.hour * 3600 + u.minute * 60 + u.second
    return seconds * 1_000_000 + u.microsecond


def instant_text(moment: datetime) -> str:
    """An aware datetime as RFC 3339 text in UTC (``2026-03-02T08:00:00Z``)."""
    try:
        return format_instant(_micros(moment))
    except (InvalidArgument, OverflowError):
        raise Unusable(f"{moment} lies outside the years 1 to 9999", "time out of range") from None


def localize(naive: datetime, zone: ZoneInfo, text: str) -> datetime:
    """A local wall time in ``zone``; the earlier of a repeated hour, a skipped hour refused."""
    key = (zone.key, naive.toordinal() * 24 + naive.hour)
    fixed = _OFFSETS.get(key)
    if fixed is not None:
        return naive.replace(tzinfo=fixed)
    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise Unusable(
            f"{text!r} does not exist in {zone.key} (the clocks jumped forward)",
            "time in a daylight saving gap",
        )
    _remember(zone, naive.replace(minute=0, second=0, microsecond=0), key)
    return aware


# (zone, local hour) -> the one offset of that hour, for hours without a gap or a repeat
_OFFSETS: dict[tuple[str, int], timezone] = {}


def _remember(zone: ZoneInfo, hour: datetime, key: tuple[str, int]) -> None:
    if len(_OFFSETS) > 200_000:
        _OFFSETS.clear()
    last = hour + timedelta(minutes=59, seconds=59, microseconds=999_999)
    offsets = {
        moment.replace(tzinfo=zone, fold=fold).utcoffset()
        for moment in (hour, last)
        for fold in (0, 1)
    }
    if len(offsets) == 1:
        (offset,) = offsets
        if offset is not None:
            _OFFSETS[key] = timezone(offset)


_DIRECTIVES = {"%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})"} | {
    "%H": r"(?P<H>\d{1,2})",
    "%M": r"(?P<M>\d{1,2})",
    "%S": r"(?P<S>\d{1,2})",
}
_SIMPLE: dict[str, re.Pattern[str] | None] = {}


def _simple(fmt: str) -> re.Pattern[str] | None:
    """A regular expression for a format of only %Y %m %d %H %M %S (a quicker strptime)."""
    if fmt not in _SIMPLE:
        parts = re.split(r"(%.)", fmt)
        used = [p for p in parts if p.startswith("%")]
        if (
            all(p in _DIRECTIVES for p in used)
            and len(set(used)) == len(used)
            and ({"%Y", "%m", "%d"} <= set(used))
        ):
            pattern = "".join(_DIRECTIVES.get(p, re.escape(p)) for p in parts)
            _SIMPLE[fmt] = re.compile(pattern + r"\Z")
        else:
            _SIMPLE[fmt] = None
    return _SIMPLE[fmt]


def _strptime(value: str, fmt: str) -> datetime:
    simple = _simple(fmt)
    if simple is None:
        # naive unless the format has %z: a naive time is read in a zone by the caller
        return datetime.strptime(value, fmt)  # noqa: DTZ007
    match = simple.match(value)
    if match is None:
        raise ValueError(value)
    g = match.groupdict()
    return datetime(  # noqa: DTZ001 - a local wall time, read in the mapping's zone
        int(g["Y"]),
        int(g["m"]),
        int(g["d"]),
        int(g.get("H") or 0),
        int(g.get("M") or 0),
        int(g.get("S") or 0),
    )


def parse_time(
    text: str, fmt: str | None = None, zone: ZoneInfo | None = None, what: str = "time"
) -> str:
    """A time as written in an export -> RFC 3339 text in UTC.

    ``fmt`` is a ``strptime`` format, ``"epoch"`` (seconds since 1970) or None for ISO 8601
    (``2026-03-02 08:00``, ``2026-03-02T08:00:00Z``, ``2026-03-02T08:00:00.000+0100``). A time
    without an offset is read in ``zone``; without a zone it is refused, never guessed.
    """
    value = text.strip()
    if not value:
        raise Unusable(f"{what} is empty", f"{what} is empty")
    try:
        if fmt == "epoch":
            return instant_text(datetime.fromtimestamp(float(value), UTC))
        moment = _strptime(value, fmt) if fmt else datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        shape = f"the format {fmt!r}" if fmt else "an ISO 8601 date and time"
        raise Unusable(
            f"{value!r} is not a date and time in {shape}", "not a date and time"
        ) from None
    if moment.tzinfo is None:
        if zone is None:
            raise Unusable(
                f"{value!r} has no UTC offset and the mapping gives no times.timezone",
                "time without an offset and no times.timezone",
            )
        try:
            moment = localize(moment, zone, value)
        except OverflowError:
            raise Unusable(
                f"{value!r} lies outside the years 1 to 9999", "time out of range"
            ) from None
    return instant_text(moment)


def vendor_time(value: object, what: str = "time") -> str:
    """An instant of a vendor's JSON export (ISO 8601 with an offset) -> RFC 3339 in UTC."""
    if not isinstance(value, str):
        raise Unusable(f"{what} {value!r} is not a date and time", f"{what} missing or not a time")
    return parse_time(value, what=what)


# -- values --------------------------------------------------------------------------------------


def fold(value: str) -> str:
    """How source values are compared with a value map: case and surrounding spaces ignored."""
    return " ".join(value.split()).casefold()


STATUS_NAMES: dict[str, str] = {
    **{s: s for s in STATUSES},
    "on hold": "on_hold",
    "on-hold": "on_hold",
    "hold": "on_hold",
}
PRIORITY_NAMES: dict[str, str] = {p: p for p in ("urgent", "high", "normal", "low")}
AUTHOR_NAMES: dict[str, str] = {a: a for a in AUTHORS}
BOOLEANS: dict[str, bool] = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "public": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
    "private": False,
    "internal": False,
}
IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class ValueMap:
    """Source values -> slakeeper values for one field, compared by :func:`fold`.

    An exhaustive map refuses a value it does not list; another one keeps it as it is.
    """

    field: str
    table: Mapping[str, Any]
    exhaustive: bool
    written: str = ""  # how the user can extend it, for the message ("values.priority")
    shown: tuple[str, ...] = ()  # the source values as written, for the message

    def __call__(self, value: str) -> Any:
        found = self.table.get(fold(value), _MISSING)
        if found is not _MISSING:
            return found
        if not self.exhaustive:
            return value.strip()
        names = self.shown or tuple(self.table)
        listed = ", ".join(repr(k) for k in names[:12])
        more = "" if len(names) <= 12 else ", ..."
        hint = f"; add it to {self.written}" if self.written else ""
        raise Unusable(
            f"{value.strip()!r} is not one of {listed}{more}{hint}",
            f"a value not in {self.written or self.field}",
            self.field,
        )


_MISSING = object()


def value_map(
    field: str, table: Mapping[str, Any], exhaustive: bool, written: str = ""
) -> ValueMap:
    shown = tuple(dict.fromkeys(str(k) for k in table))
    return ValueMap(field, {fold(k): v for k, v in table.items()}, exhaustive, written, shown)


def csat_score(value: str) -> int | None:
    """A score written as an integer from 1 to 5 (``4``, ``4.0``)."""
    try:
        number = float(value)
    except ValueError:
        return None
    if number.is_integer() and 1 <= number <= 5:
        return int(number)
    return None


_TAG_SPLIT = re.compile(r"[,;\s]+")


def split_tags(value: str, separator: str | None) -> list[str]:
    """Tags of one cell: split on ``separator``, or on commas, semicolons and spaces."""
    parts = value.split(separator) if separator else _TAG_SPLIT.split(value)
    return sorted({p.strip() for p in parts if p.strip()})


def text_id(value: object, what: str) -> str:
    """An id of a vendor export (a number or a text) as text."""
    if isinstance(value, bool) or value is None or value == "":
        raise Unusable(f"{what} {value!r} is missing", f"{what} missing", what)
    if isinstance(value, int | str):
        return str(value)
    raise Unusable(f"{what} {value!r} is not a number or a text", f"{what} not an id", what)


# -- JSON containers --------------------------------------------------------------------------------


def json_records(
    stream: BinaryIO,
    source: str,
    pages: tuple[str, ...],
    on_bytes: OnBytes | None = None,
) -> Iterator[tuple[str, object] | Problem]:
    """The records of a JSON export: ``(place, record)``, or a Problem for an unreadable line.

    The file is either JSON Lines (one record a line, or one API page a line) or one JSON
    document: a list of records, an API page (an object with a list under one of ``pages``, e.g.
    ``{"issues": [...]}``) or a single record. JSON Lines are read line by line; a single
    document is read whole (for large exports, prefer JSON Lines).
    """
    first = b""
    for raw in stream:
        if raw.strip():
            first = raw
            break
        if on_bytes is not None:
            on_bytes(len(raw))
    if not first:
        return
    head = first.lstrip(b"\xef\xbb\xbf \t")
    single = head.startswith(b"[")
    if not single:
        try:
            orjson.loads(head)
        except orjson.JSONDecodeError:
            single = True  # a document written over several lines
    if single:
        rest = stream.read()
        if on_bytes is not None:
            on_bytes(len(first) + len(rest))
        try:
            document = orjson.loads(head + rest)
        except orjson.JSONDecodeError as exc:
            yield Problem(source, "the file", f"not valid JSON: {exc}", "not valid JSON")
            return
        yield from _unpack(document, "", pages)
        return
    for number, raw in enumerate(_lines(first, stream), 1):
        if on_bytes is not None:
            on_bytes(len(raw))
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw.lstrip(b"\xef\xbb\xbf") if number == 1 else raw)
        except orjson.JSONDecodeError as exc:
            yield Problem(
                source, f"line {number}", f"not valid JSON: {exc.args[0]}", "not valid JSON"
            )
            continue
        yield from _unpack(obj, f"line {number}", pages)


def _lines(first: bytes, stream: BinaryIO) -> Iterator[bytes]:
    yield first
    yield from stream


def _unpack(obj: object, place: str, pages: tuple[str, ...]) -> Iterator[tuple[str, object]]:
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            yield _join(place, f"[{i}]"), item
        return
    if isinstance(obj, dict) and "id" not in obj and "key" not in obj:
        for name in pages:
            items = obj.get(name)
            if isinstance(items, list):
                for i, item in enumerate(items):
                    yield _join(place, f"{name}[{i}]"), item
                return
    yield place or "the document", obj


def _join(place: str, path: str) -> str:
    return f"{place}: {path}" if place else path


def json_objects(
    paths: Sequence[str], pages: tuple[str, ...], on_bytes: OnBytes | None
) -> Iterator[Problem | tuple[str, str, dict[str, Any]]]:
    """Every record of the JSON exports as (path, place, object); a Problem for what cannot be
    read and for a record that is not a JSON object."""
    for path in paths:
        with open(path, "rb") as stream:
            for found in json_records(stream, path, pages, on_bytes):
                if isinstance(found, Problem):
                    yield found
                    continue
                place, record = found
                if not isinstance(record, dict):
                    yield Problem(path, place, "not a JSON object", "not a JSON object")
                else:
                    yield path, place, record
