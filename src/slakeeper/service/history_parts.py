"""A ticket history read in parts: the tickets split by a hash of their id, each part read,
checked and replayed by its own job, the jobs meeting once.

A :class:`Runner` given by the entry point runs the jobs (in forked processes, say); they meet
once, after reading, to agree on the evaluation instant (the last event's, by default) and to
check that no event id is used by two parts. Input with any problem is read again in one part,
so that the errors are exactly those of ``slakeeper evaluate``, in the same order: the reading,
the checks and their messages are those of :mod:`slakeeper.service.evaluate`.

Each ticket's history is replayed once per distinct pair of the replay switches
(``system_replies_count``, ``resolution_on_reopen``) and its state at the evaluation instant
handed to a :class:`Fold`, which judges it under one configuration or several.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from slakeeper.domain.config import SlaConfig
from slakeeper.domain.events import BadEvent, EventLog
from slakeeper.domain.ticket import Rules, TicketState
from slakeeper.service.evaluate import Problems, Record, load, replay, rules_of

T = TypeVar("T")
# The records for part ``shard`` of ``shards``, afresh at each call: at least every record whose
# ticket falls in that part (:func:`part_of`); others may come too and are skipped. A record that
# cannot be read, in any part, makes the whole history be read again in one part.
Source = Callable[[int, int], Iterable[Record]]
Gather = Callable[[Any], list[Any]]  # a shard's value in, every shard's values out (shard order)


class Runner(Protocol):
    """Runs ``job(shard, gather)`` for shards 0 .. n-1 and returns their results in order."""

    def __call__(self, job: Callable[[int, Gather], T], shards: int) -> list[T]: ...


def serial(job: Callable[[int, Gather], T], shards: int) -> list[T]:
    """The runner of one shard, in this process."""
    if shards != 1:
        raise ValueError("the serial runner runs one shard")
    return [job(0, lambda value: [value])]


class Fold(Protocol):
    """What is made of the tickets' states: ``visit`` gets each ticket's state at the evaluation
    instant under the replay rules numbered ``rules``; ``result`` crosses a process boundary."""

    def visit(self, state: TicketState, rules: int) -> None: ...
    def result(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Part:
    """What a shard returns (it crosses a process boundary: plain values only)."""

    now: int | None  # the evaluation instant (None: no events)
    events: int
    duplicates: int
    tickets: int
    problems: Problems
    redo: bool  # some shard saw a problem: read everything again in one shard
    payload: Any  # the fold's result (None with problems)


@dataclass(frozen=True, slots=True)
class _Meet:
    """What a shard tells the others once it has read its part."""

    last_at: int | None
    bad: bool
    ids: bytes  # its event ids, NUL-separated (an id never holds a NUL)


def part_of(ticket: str, shards: int) -> int:
    """The part a ticket's events belong to: CRC-32 of the id's UTF-8 bytes, modulo the parts
    (a reader may compute it from the raw bytes of a line without decoding it)."""
    return zlib.crc32(ticket.encode("utf-8", "surrogatepass")) % shards


def distinct_rules(configs: Sequence[SlaConfig]) -> tuple[list[Rules], list[int]]:
    """The distinct replay switches of ``configs`` and the index of each config's."""
    distinct: list[Rules] = []
    index = []
    for config in configs:
        rules = rules_of(config)
        if rules not in distinct:
            distinct.append(rules)
        index.append(distinct.index(rules))
    return distinct, index


def run(
    source: Source,
    rules: Sequence[Rules],
    now: int | None,
    make_fold: Callable[[int], Fold],
    shards: int,
    runner: Runner,
) -> list[Part]:
    """Every shard's part of the history ``source`` gives, replayed under each of ``rules`` as
    of ``now`` (None: the last event's instant) into the fold ``make_fold(now)`` makes. Bad
    input raises one :class:`EventError` as ``evaluate`` does."""
    parts = runner(_job(source, rules, now, shards, make_fold), shards) if shards > 1 else []
    if not parts or any(p.redo for p in parts):
        parts = serial(_job(source, rules, now, 1, make_fold), 1)
    if len(parts) == 1:  # several parts come back only when none had a problem
        parts[0].problems.raise_if_any()
    return parts


def _job(
    source: Source,
    rules: Sequence[Rules],
    now: int | None,
    shards: int,
    make_fold: Callable[[int], Fold],
) -> Callable[[int, Gather], Part]:
    def job(shard: int, gather: Gather) -> Part:
        problems = Problems()
        records = source(shard, shards)
        log, duplicates = load(_mine(records, shard, shards) if shards > 1 else records, problems)
        ids = log.ids() if shards > 1 else []
        meets: list[_Meet] = gather(_Meet(log.last_at(), bool(problems), "\0".join(ids).encode()))
        redo = shards > 1 and (any(m.bad for m in meets) or _shared_id(ids, meets, shard))
        at = now
        if at is None:
            at = max((m.last_at for m in meets if m.last_at is not None), default=None)
        if redo:
            return Part(at, 0, 0, 0, Problems(), True, None)
        fold = make_fold(0 if at is None else at)
        tickets = _replay(log, rules, 0 if at is None else at, problems, fold)
        return Part(
            at,
            len(log),
            duplicates,
            tickets,
            problems,
            shards > 1 and bool(problems),
            None if problems else fold.result(),
        )

    return job


def _mine(records: Iterable[Record], shard: int, shards: int) -> Iterator[Record]:
    """The records of part ``shard``: those whose ticket falls in it (a record without a ticket
    id: part 0), and every record that could not be read (the history is then read again)."""
    known: dict[str, int] = {}
    for record in records:
        obj = record[1]
        ticket = obj.get("ticket") if type(obj) is dict else None
        if type(ticket) is str:
            part = known.get(ticket)
            if part is None:
                part = known[ticket] = part_of(ticket, shards)
        else:
            part = 0
        if part == shard or isinstance(obj, BadEvent):
            yield record


def _replay(log: EventLog, rules: Sequence[Rules], now: int, problems: Problems, fold: Fold) -> int:
    """Replay every ticket, handing its state at ``now`` to ``fold`` once per rules (none once
    there is a problem); the events after ``now`` are applied afterwards, to check them. Returns
    the number of tickets."""

    def visitor(index: int) -> Callable[[TicketState], None]:
        def visit(state: TicketState) -> None:
            if not problems:  # with bad input nothing is judged: spare the work
                fold.visit(state, index)

        return visit

    visits = [visitor(index) for index in range(len(rules))]
    tickets = log.tickets()
    for ticket in tickets:
        history = log.pop_history(ticket)
        for rule, visit in zip(rules, visits, strict=True):
            if not replay(ticket, history, rule, now, problems, visit):
                break  # the order of events does not depend on the rules: reported once
    return len(tickets)


def _shared_id(mine: list[str], meets: Sequence[_Meet], shard: int) -> bool:
    """Whether another shard holds one of ``mine`` event ids (different content: one id on two
    tickets, which only a reading in one shard reports as ``evaluate`` does)."""
    others: set[str] = set()
    for k, meet in enumerate(meets):
        if k != shard and meet.ids:
            others.update(meet.ids.decode().split("\0"))
    return not others.isdisjoint(mine)
