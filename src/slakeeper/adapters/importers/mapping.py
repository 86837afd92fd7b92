"""The mapping file of a CSV import (docs/import.md): which column holds what, value maps, times.

```yaml
tickets:                       # one row per ticket: slakeeper field <- column of the header
  ticket: Ticket ID
  created_at: Created
  priority: Priority
events:                        # and/or one row per event
  ticket: Ticket ID
  at: Time
  kind: Event
  value: Value
values:                        # source value -> slakeeper value, per field
  priority: {P1: urgent, P2: high}
times: {format: "%d.%m.%Y %H:%M", timezone: Europe/Berlin}
```

The whole file is checked at once; every problem names its path in the file (exit status 2).
The same ``values`` section (and ``ticket_prefix``) is read from the optional ``--mapping`` of the
Zendesk and Jira imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slakeeper.adapters.config_file import parse_document
from slakeeper.adapters.importers.common import (
    AUTHOR_NAMES,
    BOOLEANS,
    IGNORE,
    PRIORITY_NAMES,
    STATUS_NAMES,
    ValueMap,
    value_map,
)
from slakeeper.domain.calendar_spec import load_zone
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.events import ATTRIBUTE_FIELDS, AUTHORS
from slakeeper.domain.policy import STATUSES

ATTRIBUTES = ATTRIBUTE_FIELDS  # priority, status, channel, customer, service, group, assignee, tags
TICKET_FIELDS = (
    "ticket",
    "created_at",
    "first_reply_at",
    "solved_at",
    "closed_at",
    "updated_at",
    *ATTRIBUTES,
    "csat",
    "csat_at",
)
TICKET_REQUIRED = ("ticket", "created_at")
EVENT_FIELDS = ("ticket", "at", "kind", "value", "author", "public", "id", *ATTRIBUTES)
EVENT_REQUIRED = ("ticket", "at", "kind")
# what an event row can be (after values.kind)
KINDS = (
    "created",  # ticket.created with the row's attribute columns
    "update",  # ticket.updated with the row's non-empty attribute columns
    *(f for f in ATTRIBUTES),  # ticket.updated of that field to the row's value
    "reply",  # a public comment by an agent
    "note",  # an internal comment by an agent
    "customer_reply",  # a public comment by the customer
    "comment",  # a comment; author and public from their columns
    "csat",  # csat.rated with the row's value as the score
    IGNORE,  # a row to leave out (counted, not reported)
)
VALUE_FIELDS = (*ATTRIBUTES, "csat", "kind", "author", "public")
EXHAUSTIVE = frozenset({"priority", "status", "csat", "kind", "author", "public"})
TOP_LEVEL = ("tickets", "events", "values", "defaults", "times", "csv", "tags_separator")
SHARED = ("ticket_prefix",)


@dataclass(frozen=True, slots=True)
class Mapping:
    """A validated mapping file."""

    tickets: dict[str, str] | None = None  # slakeeper field -> column
    events: dict[str, str] | None = None
    values: dict[str, ValueMap] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    time_format: str | None = None
    zone: ZoneInfo | None = None
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    tags_separator: str | None = None
    ticket_prefix: str = ""

    def value(self, name: str) -> ValueMap:
        """The map of one field: the file's, else the built-in one."""
        found = self.values.get(name)
        return found if found is not None else default_map(name)


@cache
def default_map(name: str) -> ValueMap:
    """The built-in value map of a field when the mapping gives none."""
    if name == "priority":
        return value_map(name, PRIORITY_NAMES, True, "values.priority")
    if name == "status":
        return value_map(name, STATUS_NAMES, True, "values.status")
    if name == "author":
        return value_map(name, AUTHOR_NAMES, True, "values.author")
    if name == "public":
        return value_map(name, BOOLEANS, True, "values.public")
    if name == "kind":
        return value_map(name, {k: k for k in KINDS}, True, "values.kind")
    return value_map(name, {}, False)


def load_mapping(path: str | Path, *, columns: bool = True) -> Mapping:
    """Read and check a mapping file; ``columns`` False for the Zendesk and Jira imports, which
    read only ``values`` and ``ticket_prefix``."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror or exc}", source) from None
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text", source) from None
    try:
        document = parse_document(text, source)
    except InvalidInput as exc:
        raise InvalidInput(exc.issues, source) from None
    return parse_mapping(document, source, columns=columns)


def parse_mapping(document: object, source: str = "<mapping>", *, columns: bool = True) -> Mapping:
    issues: list[Issue] = []
    if not isinstance(document, dict):
        raise InvalidInput([Issue("", "a mapping file is a YAML mapping (field: column)")], source)
    allowed = (*TOP_LEVEL, *SHARED) if columns else ("values", *SHARED)
    for key in document:
        if key not in allowed:
            issues.append(Issue(str(key), f"unknown section; use {', '.join(allowed)}"))
    tickets = events = None
    if columns:
        tickets = _columns(document, "tickets", TICKET_FIELDS, TICKET_REQUIRED, issues)
        events = _columns(document, "events", EVENT_FIELDS, EVENT_REQUIRED, issues)
        if (
            tickets is None
            and events is None
            and not any(i.where in {"tickets", "events"} for i in issues)
        ):
            issues.append(
                Issue(
                    "",
                    "give a tickets section (one row per ticket) or an events section (one row per event)",
                )
            )
    values = _values(document.get("values"), issues)
    defaults = _defaults(document.get("defaults"), issues) if columns else {}
    time_format, zone = _times(document.get("times"), issues) if columns else (None, None)
    delimiter, encoding = _csv(document.get("csv"), issues) if columns else (",", "utf-8-sig")
    separator = _text(document, "tags_separator", issues, strip=False) if columns else None
    prefix = _text(document, "ticket_prefix", issues) or ""
    if issues:
        raise InvalidInput(issues, source)
    return Mapping(
        tickets, events, values, defaults, time_format, zone, delimiter, encoding, separator, prefix
    )


def _text(
    document: dict[Any, Any], key: str, issues: list[Issue], strip: bool = True
) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not (value.strip() if strip else value):
        issues.append(Issue(key, f"{value!r} must be a non-empty text"))
        return None
    return value


def _columns(
    document: dict[Any, Any],
    section: str,
    known: tuple[str, ...],
    required: tuple[str, ...],
    issues: list[Issue],
) -> dict[str, str] | None:
    value = document.get(section)
    if value is None:
        return None
    if not isinstance(value, dict):
        issues.append(Issue(section, "must map slakeeper fields to column names (field: column)"))
        return None
    out: dict[str, str] = {}
    for name, column in value.items():
        if name not in known:
            issues.append(Issue(f"{section}.{name}", f"unknown field; use {', '.join(known)}"))
        elif not isinstance(column, str) or not column.strip():
            issues.append(Issue(f"{section}.{name}", f"{column!r} must be a column name"))
        else:
            out[str(name)] = column.strip()
    for name in required:
        if name not in value:
            issues.append(Issue(f"{section}.{name}", "is required: the column that holds it"))
    return out


def _values(value: object, issues: list[Issue]) -> dict[str, ValueMap]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        issues.append(Issue("values", "must map fields to value maps (priority: {P1: urgent})"))
        return {}
    out: dict[str, ValueMap] = {}
    for name, table in value.items():
        where = f"values.{name}"
        if name not in VALUE_FIELDS:
            issues.append(Issue(where, f"unknown field; use {', '.join(VALUE_FIELDS)}"))
            continue
        if not isinstance(table, dict) or not table:
            issues.append(Issue(where, "must map source values to slakeeper values"))
            continue
        checked: dict[str, Any] = {}
        for raw, target in table.items():
            key = _source_value(raw)
            problem = _target_problem(str(name), target)
            if problem is not None:
                issues.append(Issue(f"{where}.{raw}", problem))
            else:
                checked[key] = _target(str(name), target)
        out[str(name)] = value_map(str(name), checked, name in EXHAUSTIVE, where)
    return out


def _source_value(raw: object) -> str:
    """YAML reads ``yes``, ``1`` or ``null`` as other types: a source value is always text."""
    if raw is True:
        return "true"
    if raw is False:
        return "false"
    if raw is None:
        return ""
    return str(raw)


def _target_problem(name: str, target: object) -> str | None:
    if name == "status" and target not in STATUSES:
        return f"{target!r} is not one of {', '.join(STATUSES)}"
    if (
        name == "csat"
        and target is not None
        and target != IGNORE
        and (type(target) is not int or not 1 <= target <= 5)
    ):
        return f"{target!r} must be a score from 1 to 5, or ignore"
    if name == "kind" and target not in KINDS:
        return f"{target!r} is not one of {', '.join(KINDS)}"
    if name == "author" and target not in AUTHORS:
        return f"{target!r} is not one of {', '.join(AUTHORS)}"
    if name == "public" and type(target) is not bool:
        return f"{target!r} must be true or false"
    if name in ("priority",) and (not isinstance(target, str) or not target.strip()):
        return f"{target!r} must be a non-empty text"
    if (
        name not in ("status", "csat", "kind", "author", "public", "priority")
        and target is not None
        and (not isinstance(target, str) or not target.strip())
    ):
        return f"{target!r} must be a non-empty text (or null for none)"
    return None


def _target(name: str, target: object) -> object:
    if name == "csat" and target == IGNORE:
        return None
    return target


def _defaults(value: object, issues: list[Issue]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        issues.append(Issue("defaults", "must map fields to values (channel: email)"))
        return {}
    out: dict[str, Any] = {}
    for name, default in value.items():
        where = f"defaults.{name}"
        if name not in ATTRIBUTES:
            issues.append(Issue(where, f"unknown field; use {', '.join(ATTRIBUTES)}"))
        elif name == "tags":
            if not isinstance(default, list) or not all(isinstance(t, str) and t for t in default):
                issues.append(Issue(where, "must be a list of tags"))
            else:
                out["tags"] = sorted(set(default))
        elif name == "status" and default not in STATUSES:
            issues.append(Issue(where, f"{default!r} is not one of {', '.join(STATUSES)}"))
        elif not isinstance(default, str) or not default.strip():
            issues.append(Issue(where, f"{default!r} must be a non-empty text"))
        else:
            out[str(name)] = default.strip()
    return out


def _times(value: object, issues: list[Issue]) -> tuple[str | None, ZoneInfo | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict):
        issues.append(Issue("times", "must be a mapping with format and timezone"))
        return None, None
    for key in value:
        if key not in ("format", "timezone"):
            issues.append(Issue(f"times.{key}", "unknown setting; use format, timezone"))
    fmt = value.get("format")
    if fmt is not None and (not isinstance(fmt, str) or not fmt.strip()):
        issues.append(Issue("times.format", f"{fmt!r} must be a strptime format or epoch"))
        fmt = None
    if isinstance(fmt, str) and fmt != "epoch" and "%" not in fmt:
        issues.append(
            Issue(
                "times.format", f"{fmt!r} has no % directive (e.g. '%d.%m.%Y %H:%M'), or use epoch"
            )
        )
        fmt = None
    zone = None
    name = value.get("timezone")
    if name is not None:
        try:
            zone = load_zone(name)
        except ValueError as exc:
            issues.append(Issue("times.timezone", str(exc)))
    return fmt, zone


def _csv(value: object, issues: list[Issue]) -> tuple[str, str]:
    delimiter, encoding = ",", "utf-8-sig"
    if value is None:
        return delimiter, encoding
    if not isinstance(value, dict):
        issues.append(Issue("csv", "must be a mapping with delimiter and encoding"))
        return delimiter, encoding
    for key in value:
        if key not in ("delimiter", "encoding"):
            issues.append(Issue(f"csv.{key}", "unknown setting; use delimiter, encoding"))
    given = value.get("delimiter", ",")
    if not isinstance(given, str) or len(given) != 1:
        issues.append(Issue("csv.delimiter", f'{given!r} must be one character ("\\t" for tab)'))
    else:
        delimiter = given
    name = value.get("encoding", "utf-8")
    try:
        import codecs

        found = codecs.lookup(str(name)).name
        encoding = "utf-8-sig" if found == "utf-8" else found
    except LookupError:
        issues.append(Issue("csv.encoding", f"{name!r} is not a known encoding"))
    return delimiter, encoding
