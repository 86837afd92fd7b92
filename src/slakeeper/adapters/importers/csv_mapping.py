"""CSV exports read through a mapping file (docs/import.md "CSV").

A file is matched to the mapping's ``tickets`` section (one row per ticket) or its ``events``
section (one row per event) by its header. A ticket row becomes the ticket's creation, its first
reply, its solve and close, its current status and its rating; an event row becomes one event.

Ticket rows stream: each row is a whole ticket. Event rows of a ticket may be anywhere in the
files, so when event files are read every ticket's rows are gathered first (as drafted events,
a few hundred bytes each) and checked at the end.

Event ids are deterministic, so that importing the same files again stores nothing new: a ticket
row's events are ``<ticket>:created``, ``:first_reply``, ``:solved``, ``:closed``, ``:status``,
``:csat``; an event row's is ``<ticket>:<the id column>`` or, without one, ``<ticket>:created``
for the creation and ``<ticket>:<kind>:<digest of the row's time and values>`` for the others
(``:2``, ``:3`` … added for identical rows).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from slakeeper.adapters.importers.common import (
    Bundle,
    Item,
    OnBytes,
    Problem,
)
from slakeeper.adapters.importers.csv_rows import CsvFile, Row
from slakeeper.adapters.importers.mapping import (
    EVENT_REQUIRED,
    TICKET_REQUIRED,
    Mapping,
)
from slakeeper.domain.errors import InvalidInput, Issue

_FIELD_LIMIT = 1 << 20  # a cell may hold a long comment


@dataclass(slots=True)
class CsvStats:
    rows: int = 0
    ignored: int = 0  # event rows of kind ignore
    ignored_kinds: dict[str, int] = field(default_factory=dict)


def plan(paths: Sequence[str], mapping: Mapping) -> list[CsvFile]:
    """Each file's header against the mapping; raises InvalidInput naming every unusable file."""
    issues: list[Issue] = []
    files: list[CsvFile] = []
    for path in paths:
        try:
            with open(path, "rb") as stream:
                header = _header(stream, mapping)
        except OSError as exc:
            issues.append(Issue(path, f"cannot read the file: {exc.strerror or exc}"))
            continue
        except (UnicodeDecodeError, csv.Error) as exc:
            issues.append(Issue(path, f"cannot read the header: {exc}"))
            continue
        if not header:
            issues.append(Issue(path, "the file is empty: a CSV file starts with its header"))
            continue
        found = _match(path, header, mapping, issues)
        if found is not None:
            files.append(found)
    if issues:
        raise InvalidInput(issues)
    return files


def _header(stream: BinaryIO, mapping: Mapping) -> list[str]:
    for raw in stream:
        if raw.strip():
            line = raw.decode(mapping.encoding)
            return [c.strip() for c in next(csv.reader([line], delimiter=mapping.delimiter))]
    return []


def _match(path: str, header: list[str], mapping: Mapping, issues: list[Issue]) -> CsvFile | None:
    index = {name: i for i, name in reversed(list(enumerate(header)))}
    missing: list[str] = []
    for section, columns, required in (
        ("events", mapping.events, EVENT_REQUIRED),
        ("tickets", mapping.tickets, TICKET_REQUIRED),
    ):  # events first: an events header has a ticket column too
        if columns is None:
            continue
        absent = [f"{columns[f]!r} ({section}.{f})" for f in required if columns[f] not in index]
        if absent:
            missing.append(f"for {section}: {', '.join(absent)}")
            continue
        for name, column in columns.items():
            if column not in index:
                issues.append(
                    Issue(
                        path,
                        f"the header has no column {column!r} ({section}.{name}); "
                        f"the header is: {', '.join(header)}",
                    )
                )
        return CsvFile(
            path, section, {f: index[c] for f, c in columns.items() if c in index}, columns
        )
    issues.append(
        Issue(
            path,
            f"the header lacks the columns {'; '.join(missing)}; the header is: "
            f"{', '.join(header)}",
        )
    )
    return None


def read_csv(
    files: Sequence[CsvFile],
    mapping: Mapping,
    on_bytes: OnBytes | None = None,
    stats: CsvStats | None = None,
) -> Iterator[Item]:
    """Every ticket of the files as a Bundle, and every unusable row that names no ticket."""
    stats = stats if stats is not None else CsvStats()
    gather = any(f.section == "events" for f in files)
    tickets: dict[str, Bundle] = {}
    seen: dict[str, str] = {}  # ticket rows: ticket -> place of its row
    for file in files:
        for line, row in _rows(file.path, mapping, on_bytes):
            if isinstance(row, Problem):
                yield row
                continue
            stats.rows += 1
            reader = Row(file, mapping, row, line)
            if file.section == "tickets":
                bundle = reader.ticket_row()
            else:
                found = reader.event_row()
                if found is None:  # a row of a kind (or a rating) mapped to ignore
                    stats.ignored += 1
                    raw = reader.cell("kind")
                    stats.ignored_kinds[raw] = stats.ignored_kinds.get(raw, 0) + 1
                    continue
                bundle = found
            if isinstance(bundle, Problem):
                yield bundle
                continue
            place = f"line {line}"
            if file.section == "tickets":
                first = seen.setdefault(bundle.ticket, f"{file.path} {place}")
                if first != f"{file.path} {place}":
                    yield Problem(
                        file.path,
                        place,
                        f"the ticket has a row already ({first}); only that row is read",
                        "a ticket on two rows",
                        bundle.ticket,
                        None,
                        line,
                    )
                    continue
            if not gather:
                yield bundle
                continue
            into = tickets.get(bundle.ticket)
            if into is None:
                tickets[bundle.ticket] = into = Bundle(bundle.ticket)
            _merge(into, bundle, file.path, place, line)
    yield from tickets.values()


def _merge(into: Bundle, bundle: Bundle, source: str, place: str, line: int) -> None:
    taken = {d.event["id"] for d in into.drafts}
    for draft in bundle.drafts:
        event_id = draft.event["id"]
        if event_id in taken:  # identical rows: the second of them gets :2, and so on
            number = 2
            while f"{event_id}:{number}" in taken:
                number += 1
            draft.event["id"] = event_id = f"{event_id}:{number}"
        taken.add(event_id)
        into.drafts.append(draft)
    into.problems.extend(bundle.problems)
    into.rows.append((source, place, line))


def _rows(
    path: str, mapping: Mapping, on_bytes: OnBytes | None
) -> Iterator[tuple[int, list[str] | Problem]]:
    """``(the line the row starts on, its cells)`` after the header; undecodable lines as Problem."""
    csv.field_size_limit(_FIELD_LIMIT)
    with open(path, "rb") as stream:
        lines = _Lines(stream, path, mapping.encoding, on_bytes)
        reader = csv.reader(lines, delimiter=mapping.delimiter)
        header_done = False
        start = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield (
                    start,
                    Problem(path, f"line {start}", f"not valid CSV: {exc}", "not valid CSV"),
                )
                start = lines.number + 1
                continue
            for bad in lines.bad:
                yield bad.line or start, bad
            lines.bad.clear()
            row_start, start = start, lines.number + 1
            if not row or not any(cell.strip() for cell in row):
                continue
            if not header_done:
                header_done = True
                continue
            yield row_start, row


class _Lines:
    """The file's lines decoded, counted, and measured for the progress bar."""

    def __init__(self, stream: BinaryIO, path: str, encoding: str, on_bytes: OnBytes | None):
        self.stream = stream
        self.path = path
        self.encoding = encoding
        self.on_bytes = on_bytes
        self.number = 0
        self.bad: list[Problem] = []

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.number += 1
            if self.on_bytes is not None:
                self.on_bytes(len(raw))
            try:
                yield raw.decode(self.encoding)
            except UnicodeDecodeError:
                self.bad.append(
                    Problem(
                        self.path,
                        f"line {self.number}",
                        f"not {self.encoding} text (csv.encoding in the mapping)",
                        "not text in the file's encoding",
                        line=self.number,
                    )
                )


def rows_at(problems: Sequence[Problem], mapping: Mapping) -> dict[tuple[str, int], str]:
    """The CSV text of the rows problems name by line, read again from their files."""
    wanted: dict[str, set[int]] = {}
    for problem in problems:
        if problem.line is not None:
            wanted.setdefault(problem.source, set()).add(problem.line)
    out: dict[tuple[str, int], str] = {}
    for path, lines in wanted.items():
        try:
            for line, row in _rows(path, mapping, None):
                if line in lines and isinstance(row, list):
                    buffer = io.StringIO()
                    writer = csv.writer(buffer, delimiter=mapping.delimiter, lineterminator="")
                    writer.writerow(row)
                    out[(path, line)] = buffer.getvalue()
        except (OSError, csv.Error):
            continue
    return out
