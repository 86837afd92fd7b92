"""From a reader's items to their destination: counted (dry run), written as JSON Lines, or
stored through the service's ingest in large batches.

Every ticket is checked alone first (:func:`~slakeeper.adapters.importers.history.assemble`).
Stored batches are whole tickets, one transaction each, so the store always holds whole
histories. Ingestion refuses a batch with one bad event (SPEC §4): the tickets its issues name —
an id stored before with other content, a history that does not fit what is stored — are taken
out and reported, and the rest of the batch is stored. Event ids are deterministic, so a batch
that was stored before (a re-run, an overlapping export) is counted as already stored.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

import orjson

from slakeeper.adapters.importers.common import Bundle, Draft, Item, Problem
from slakeeper.adapters.importers.history import assemble, with_rows
from slakeeper.domain.errors import EventError, Issue
from slakeeper.domain.events import parse_instant
from slakeeper.service.configuration import ConfigCache
from slakeeper.service.ingest import ingest_events
from slakeeper.service.ports import UnitOfWork

BATCH_EVENTS = 20_000  # events per stored batch (one transaction, whole tickets)


@dataclass
class Tally:
    """What an import did: tickets and events taken, their period, what was skipped and why."""

    tickets: int = 0
    events: Counter[str] = field(default_factory=Counter)
    first_at: int | None = None
    last_at: int | None = None
    problems: list[Problem] = field(default_factory=list)
    skipped_tickets: set[str] = field(default_factory=set)
    stored: int = 0  # new events stored
    already: int = 0  # events that were stored before (identical)
    on_problem: Callable[[Problem], None] | None = None

    def accept(self, drafts: list[Draft]) -> None:
        self.tickets += 1
        for draft in drafts:
            self.events[draft.event["type"]] += 1
        first = parse_instant(drafts[0].event["at"])
        last = parse_instant(drafts[-1].event["at"])
        self.first_at = first if self.first_at is None else min(self.first_at, first)
        self.last_at = last if self.last_at is None else max(self.last_at, last)

    def problem(self, problem: Problem) -> None:
        self.problems.append(problem)
        if problem.ticket is not None:
            self.skipped_tickets.add(problem.ticket)
        if self.on_problem is not None:
            self.on_problem(problem)

    @property
    def total_events(self) -> int:
        return sum(self.events.values())


class Sink:
    """Where accepted tickets go; counts them in the tally once they are really taken."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def add(self, bundle: Bundle, drafts: list[Draft]) -> None:
        self.tally.accept(drafts)

    def close(self) -> None:
        """Flush what is pending."""


class JsonlSink(Sink):
    """SPEC §4 events as JSON Lines, one ticket after another, each in its order."""

    def __init__(self, tally: Tally, out: IO[bytes]) -> None:
        super().__init__(tally)
        self.out = out

    def add(self, bundle: Bundle, drafts: list[Draft]) -> None:
        write = self.out.write
        for draft in drafts:
            event = draft.event
            ordered = {key: event[key] for key in _HEAD} | event  # id, ticket, type, at first
            write(orjson.dumps(ordered))
            write(b"\n")
        self.tally.accept(drafts)

    def close(self) -> None:
        self.out.flush()


_HEAD = ("id", "ticket", "type", "at")
_LABEL = re.compile(r"^events\[(\d+)\]")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


class StoreSink(Sink):
    """Batches of whole tickets through the service's ingest (one transaction per batch)."""

    def __init__(
        self,
        tally: Tally,
        uow: UnitOfWork,
        cache: ConfigCache,
        now: Callable[[], int],
        batch_events: int = BATCH_EVENTS,
    ) -> None:
        super().__init__(tally)
        self.uow = uow
        self.cache = cache
        self.now = now
        self.batch_events = batch_events
        self.pending: list[tuple[Bundle, list[Draft]]] = []
        self.count = 0

    def add(self, bundle: Bundle, drafts: list[Draft]) -> None:
        self.pending.append((bundle, drafts))
        self.count += len(drafts)
        if self.count >= self.batch_events:
            self.close()

    def close(self) -> None:
        batch, self.pending, self.count = self.pending, [], 0
        if batch:
            self._store(batch)

    def _store(self, batch: list[tuple[Bundle, list[Draft]]]) -> None:
        while batch:
            records: list[tuple[int, object]] = []
            owners: list[tuple[int, Draft]] = []
            for index, (_, drafts) in enumerate(batch):
                for draft in drafts:
                    records.append((len(records), draft.event))
                    owners.append((index, draft))
            try:
                result = ingest_events(self.uow, self.cache, records, self.now())
            except EventError as exc:
                named = self._named(exc.issues, owners)
                if not named:  # issues that name no event: halve the batch to find them
                    if len(batch) == 1:
                        self._skip(batch[0][0], [(batch[0][1][0], str(i)) for i in exc.issues])
                        return
                    half = len(batch) // 2
                    self._store(batch[:half])
                    self._store(batch[half:])
                    return
                for index, found in named.items():
                    self._skip(batch[index][0], found)
                batch = [entry for i, entry in enumerate(batch) if i not in named]
                continue
            for _, drafts in batch:
                self.tally.accept(drafts)
            self.tally.stored += result.accepted
            self.tally.already += result.duplicates
            return

    @staticmethod
    def _named(
        issues: Iterable[Issue], owners: list[tuple[int, Draft]]
    ) -> dict[int, list[tuple[Draft, str]]]:
        """The batch's tickets the issues name, with the draft each issue is about."""
        by_id = {draft.event["id"]: (index, draft) for index, draft in owners}
        out: dict[int, list[tuple[Draft, str]]] = {}
        for issue in issues:
            match = _LABEL.match(issue.where)
            found: tuple[int, Draft] | None = None
            if match is not None and int(match.group(1)) < len(owners):
                found = owners[int(match.group(1))]
            else:
                quoted = re.search(r"'([^']*)'", issue.where)
                if quoted is not None:
                    found = by_id.get(quoted.group(1))
            if found is not None:
                out.setdefault(found[0], []).append((found[1], issue.message))
        return out

    def _skip(self, bundle: Bundle, found: list[tuple[Draft, str]]) -> None:
        problems = [
            Problem(
                draft.source,
                draft.place,
                message + _hint(message),
                _QUOTED.sub("…", message),
                bundle.ticket,
                draft.field,
                draft.line,
            )
            for draft, message in found
        ]
        rows = bundle.rows or [(d.source, d.place, d.line) for d in bundle.drafts]
        for problem in with_rows(Bundle(bundle.ticket, [], [], rows), problems):
            self.tally.problem(problem)


def _hint(message: str) -> str:
    if "stored before with different content" in message:
        return (
            " (this ticket was imported before, or came from a webhook, and its source changed "
            "since: what is stored is kept)"
        )
    return ""


def run(items: Iterable[Item], sink: Sink) -> Tally:
    """Check each ticket, hand the good ones to ``sink``, tally everything."""
    tally = sink.tally
    for item in items:
        if isinstance(item, Problem):
            tally.problem(item)
            continue
        drafts, problems = assemble(item)
        if problems:
            for problem in problems:
                tally.problem(problem)
            continue
        if drafts:
            sink.add(item, drafts)
    sink.close()
    return tally
