"""Deterministic demo ticket histories in the SPEC §4 event format.

The generator plays a managed-service provider with three regional desks (Berlin, New York,
Sydney) — the same world as ``examples/sla.yaml``. Tickets arrive mostly in each region's business
hours; agents answer in business hours (urgent tickets around the clock, by the on-call engineer);
customers answer, wait, reopen and rate. Some answers are late, so some clocks breach.

Design. Only the standard library. Everything random comes from one ``random.Random(seed)``;
nothing reads the system clock — the start instant is an argument — so the same arguments always
give the same file. Tickets are created lazily in arrival order, each with its whole history (a
short list of steps), and a heap merges the live tickets by time, so memory is bounded by the
tickets in progress, not by the length of the output. Instants are whole seconds since the epoch
until an event is written. Histories are cut at the end of the window
(``start + days``), which leaves the last tickets open, pending or unanswered, as in a live system.

Usage::

    python -m slakeeper.demo --tickets 60 --seed 57 --start 2026-03-02T00:00:00Z --days 12 \\
        --out examples/events.jsonl
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Generic, TextIO, TypeVar
from zoneinfo import ZoneInfo

__all__ = ["iter_events", "main", "write_events"]

_T = TypeVar("_T")
Event = dict[str, object]
# (seconds since the epoch, event type, fields besides id/ticket/type/at)
_Step = tuple[int, str, Event]

_MINUTE = 60
_HOUR = 3600
_DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_PRIORITIES = (("urgent", 0.05), ("high", 0.20), ("normal", 0.55), ("low", 0.20))
_CHANNELS = (("email", 0.45), ("web", 0.25), ("chat", 0.20), ("phone", 0.10))
_SERVICES = (
    ("storage", 0.30),
    ("compute", 0.28),
    ("network", 0.20),
    ("billing", 0.17),
    (None, 0.05),
)
_TOPICS = ("outage", "performance", "access", "how-to", "backup", "invoice")
_ROUNDS = ((0, 0.48), (1, 0.36), (2, 0.12), (3, 0.04))
_ESCALATE = {"low": "normal", "normal": "high", "high": "urgent"}
# Mean agent delays in business seconds (urgent: wall seconds, worked by the on-call engineer).
_FIRST_REPLY = {
    "urgent": 15 * _MINUTE,
    "high": 50 * _MINUTE,
    "normal": 100 * _MINUTE,
    "low": 3 * _HOUR,
}
_NEXT_REPLY = {"urgent": 25 * _MINUTE, "high": _HOUR, "normal": 2 * _HOUR, "low": 3 * _HOUR}
_SCORES_HAPPY = (3, 4, 4, 5, 5, 5)
_SCORES_UNHAPPY = (1, 1, 2, 2, 3, 4)

_AGENT_REPLY: Event = {"author": "agent", "public": True}
_INTERNAL_NOTE: Event = {"author": "agent", "public": False}
_CUSTOMER_REPLY: Event = {"author": "customer", "public": True}
_SYSTEM_REPLY: Event = {"author": "system", "public": True}
_OPEN: Event = {"status": "open"}
_PENDING: Event = {"status": "pending"}
_ON_HOLD: Event = {"status": "on_hold"}
_SOLVED: Event = {"status": "solved"}
_CLOSED: Event = {"status": "closed"}


@dataclass(frozen=True, slots=True)
class _Region:
    tag: str
    zone: str
    share: float  # of the world's business-hours traffic
    opens: int  # local minutes after midnight, Monday to Friday
    closes: int
    customers: tuple[tuple[str | None, float], ...]
    agents: tuple[str, ...]


_REGIONS = (
    _Region(
        "region-eu",
        "Europe/Berlin",
        0.50,
        8 * 60,
        17 * 60 + 30,
        (("acme", 0.30), ("umbrella", 0.18), ("soylent", 0.10), ("initech", 0.05), (None, 0.37)),
        ("anna", "jonas", "lea", "mehmet", "sofia"),
    ),
    _Region(
        "region-us",
        "America/New_York",
        0.35,
        8 * 60,
        18 * 60,
        (("globex", 0.35), ("initech", 0.20), ("acme", 0.10), ("hooli", 0.10), (None, 0.25)),
        ("alex", "jordan", "maria", "sam"),
    ),
    _Region(
        "region-apac",
        "Australia/Sydney",
        0.15,
        9 * 60,
        17 * 60 + 30,
        (("tyrell", 0.30), ("acme", 0.20), ("globex", 0.10), (None, 0.40)),
        ("hiro", "mei", "priya"),
    ),
)


def _cumulative(weighted: Sequence[tuple[_T, float]]) -> tuple[tuple[_T, ...], tuple[float, ...]]:
    total = sum(w for _, w in weighted)
    items, bounds, running = [], [], 0.0
    for item, weight in weighted:
        running += weight / total
        items.append(item)
        bounds.append(running)
    bounds[-1] = 1.0
    return tuple(items), tuple(bounds)


class _Table(Generic[_T]):
    """A weighted choice by one uniform draw and a binary search."""

    __slots__ = ("bounds", "items")

    def __init__(self, weighted: Sequence[tuple[_T, float]]) -> None:
        self.items, self.bounds = _cumulative(weighted)

    def pick(self, u: float) -> _T:
        return self.items[min(bisect_right(self.bounds, u), len(self.items) - 1)]


class _Hours:
    """One region's working hours as sorted, disjoint [open, close) intervals in epoch seconds."""

    __slots__ = ("closes", "opens")

    def __init__(self, region: _Region, first: int, last: int) -> None:
        zone = ZoneInfo(region.zone)
        day = datetime.fromtimestamp(first, UTC).date() - timedelta(days=2)
        stop = datetime.fromtimestamp(last, UTC).date() + timedelta(days=2)
        self.opens: list[int] = []
        self.closes: list[int] = []
        while day <= stop:
            if day.weekday() < 5:
                midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
                self.opens.append(int((midnight + timedelta(minutes=region.opens)).timestamp()))
                self.closes.append(int((midnight + timedelta(minutes=region.closes)).timestamp()))
            day += timedelta(days=1)

    def add(self, t: int, seconds: int) -> int:
        """The instant ``seconds`` of working time after ``t`` (the next opening when 0)."""
        opens, closes = self.opens, self.closes
        i = bisect_right(closes, t)
        while i < len(opens):
            begin = opens[i] if opens[i] > t else t
            room = closes[i] - begin
            if seconds <= room:
                return begin + seconds
            seconds -= room
            i += 1
        return t + seconds  # past the table: the window has ended anyway


class _World:
    """The simulation: arrivals in time order, and the history of each ticket."""

    def __init__(self, rng: Random, first: int, days: int) -> None:
        self.rng = rng
        self.first = first
        self.end = end = first + days * _DAY
        self.hours = [_Hours(region, first, end + 14 * _DAY) for region in _REGIONS]
        self.priorities = _Table(_PRIORITIES)
        self.channels = _Table(_CHANNELS)
        self.services = _Table(_SERVICES)
        self.rounds = _Table(_ROUNDS)
        self.customers = [_Table(region.customers) for region in _REGIONS]

    def arrivals(self, tickets: int) -> Iterator[tuple[int, int]]:
        """(instant, region index) of each ticket, in order; exactly ``tickets`` of them."""
        slots = (self.end - self.first + _HOUR - 1) // _HOUR
        weights = [self._load(self.first + k * _HOUR + _HOUR // 2) for k in range(slots)]
        total = sum(sum(w) for w in weights)
        rng, done, running = self.rng, 0, 0.0
        for k, regional in enumerate(weights):
            running += sum(regional)
            due = round(tickets * running / total) if k < slots - 1 else tickets
            slot_start = self.first + k * _HOUR
            width = min(_HOUR, self.end - slot_start)
            table = _Table(list(enumerate(regional)))
            for offset in sorted(int(rng.random() * width) for _ in range(due - done)):
                yield slot_start + offset, table.pick(rng.random())
            done = due

    def _load(self, t: int) -> list[float]:
        """Relative arrival rate per region at instant ``t``."""
        load = []
        for region in _REGIONS:
            local = datetime.fromtimestamp(t, ZoneInfo(region.zone))
            minute = local.hour * 60 + local.minute
            if local.weekday() >= 5:
                rate = 0.06 if 8 <= local.hour < 20 else 0.02
            elif region.opens <= minute < region.closes:
                rate = 1.3 if 9 <= local.hour < 12 else 1.0
            elif 6 <= local.hour < 22:
                rate = 0.15
            else:
                rate = 0.04
            load.append(rate * region.share)
        return load

    def history(self, t0: int, where: int) -> list[_Step]:
        """One ticket's events in time order, each at least a second after the one before."""
        rng, region, hours = self.rng, _REGIONS[where], self.hours[where]
        rand, expo = rng.random, rng.expovariate
        steps: list[_Step] = []
        add = steps.append
        priority = self.priorities.pick(rand())
        channel = self.channels.pick(rand())
        customer = self.customers[where].pick(rand())
        service = self.services.pick(rand())
        if service == "billing" and rand() < 0.85:
            group = "billing"
        elif priority in ("urgent", "high") and rand() < 0.3:
            group = "tier2"
        else:
            group = "tier1"
        tags = [region.tag]
        spam = channel in ("email", "web") and rand() < 0.03
        vip = not spam and rand() < 0.04
        if spam:
            tags.append("spam")
        if vip:
            tags.append("vip")
        if customer is not None and rand() < 0.3:
            tags.append("contract")
        if rand() < 0.3:
            tags.append(_TOPICS[int(rand() * len(_TOPICS))])
        assignee = region.agents[int(rand() * len(region.agents))] if channel == "phone" else None
        created: Event = {"priority": priority, "status": "new", "channel": channel}
        if customer is not None:
            created["customer"] = customer
        if service is not None:
            created["service"] = service
        created["group"] = group
        if assignee is not None:
            created["assignee"] = assignee
        created["tags"] = list(tags)
        add((t0, "ticket.created", created))
        last = t0

        def randint(low: int, high: int) -> int:
            return low + int(rand() * (high - low + 1))

        def after(t: int) -> int:
            nonlocal last
            last = t if t > last else last + 1
            return last

        def agent_at(t: int, mean: float) -> tuple[int, bool]:
            """When an agent acts, starting from ``t``; and whether it was slow."""
            delay = expo(1.0 / mean)
            if rand() < 0.07:  # forgotten in a queue
                delay *= 4.0
            seconds = int(delay) + _MINUTE  # at least a minute to read and type
            done = t + seconds if priority == "urgent" else hours.add(t, seconds)
            return after(done), delay > 2.0 * mean

        def customer_at(t: int, mean: float) -> int:
            seconds = int(expo(1.0 / mean)) + 2 * _MINUTE
            return after(t + seconds if rand() < 0.2 else hours.add(t, seconds))

        def pick_agent() -> str:
            return region.agents[int(rand() * len(region.agents))]

        if spam:
            add((agent_at(t0, 30 * _MINUTE)[0], "ticket.updated", _SOLVED))
            if rand() < 0.7:
                add((after(last + 4 * _DAY + randint(0, _HOUR)), "ticket.updated", _CLOSED))
            return steps

        status = "new"
        if channel in ("email", "web") and rand() < 0.15:  # automatic acknowledgement
            add((after(t0 + randint(2, 90)), "comment.added", _SYSTEM_REPLY))
        if assignee is None and rand() < 0.55:  # triage
            assignee, status = pick_agent(), "open"
            when, _ = agent_at(last, 20 * _MINUTE)
            add((when, "ticket.updated", {"status": "open", "assignee": assignee}))
        if priority in _ESCALATE and rand() < 0.06:  # escalated
            priority = _ESCALATE[priority]
            change: Event = {"priority": priority}
            if group == "tier1" and rand() < 0.5:
                group = change["group"] = "tier2"
            add((after(last + int(expo(1.0 / _HOUR))), "ticket.updated", change))
        if rand() < 0.2:
            add((agent_at(last, 15 * _MINUTE)[0], "comment.added", _INTERNAL_NOTE))

        # First public answer.
        if channel == "phone":
            when, slow = after(t0 + randint(2 * _MINUTE, 15 * _MINUTE)), False
        else:
            mean = (
                _FIRST_REPLY[priority] * (0.5 if vip else 1.0) * (0.2 if channel == "chat" else 1.0)
            )
            when, slow = agent_at(last, mean)
        add((when, "comment.added", _AGENT_REPLY))

        solved = False
        for _ in range(self.rounds.pick(rand())):
            u = rand()
            if u < 0.45:  # waiting on the customer
                if assignee is None:
                    assignee = pick_agent()
                    add(
                        (
                            after(last + randint(1, 20)),
                            "ticket.updated",
                            {"status": "pending", "assignee": assignee},
                        )
                    )
                else:
                    add((after(last + randint(1, 20)), "ticket.updated", _PENDING))
                if rand() < 0.12:  # the customer never answers: solved by the reminder automation
                    add((after(last + 4 * _DAY + randint(0, _HOUR)), "ticket.updated", _SOLVED))
                    solved = True
                    break
                add((customer_at(last, 5 * _HOUR), "comment.added", _CUSTOMER_REPLY))
                add((after(last + randint(1, 5)), "ticket.updated", _OPEN))
            elif u < 0.52:  # waiting on a vendor
                add((after(last + randint(1, 20)), "ticket.updated", _ON_HOLD))
                add((agent_at(last, 6 * _HOUR)[0], "ticket.updated", _OPEN))
            else:
                if status == "new":
                    add((after(last + randint(1, 20)), "ticket.updated", _OPEN))
                add((customer_at(last, 3 * _HOUR), "comment.added", _CUSTOMER_REPLY))
            status = "open"
            u = rand()
            if u < 0.08 and group != "tier2":  # escalated to the second line
                group, assignee = "tier2", pick_agent()
                when, _ = agent_at(last, 30 * _MINUTE)
                add((when, "ticket.updated", {"group": group, "assignee": assignee}))
            elif u < 0.11 and (tag := "vip" if u < 0.09 else "contract") not in tags:
                tags.append(tag)  # retagged; `tags` in an update is the whole new list
                add((agent_at(last, 10 * _MINUTE)[0], "ticket.updated", {"tags": list(tags)}))
            if rand() < 0.15:
                add((agent_at(last, 20 * _MINUTE)[0], "comment.added", _INTERNAL_NOTE))
            if priority == "urgent":  # status updates while the fix is under way
                for _ in range(randint(0, 2)):
                    add(
                        (
                            after(last + int(expo(1.0 / (50 * _MINUTE))) + 5 * _MINUTE),
                            "comment.added",
                            _AGENT_REPLY,
                        )
                    )
            add((agent_at(last, _NEXT_REPLY[priority])[0], "comment.added", _AGENT_REPLY))

        if not solved:
            if rand() < 0.4:  # a separate closing answer, then solved
                add((agent_at(last, _HOUR)[0], "comment.added", _AGENT_REPLY))
            add((after(last + randint(5, 90)), "ticket.updated", _SOLVED))
        solved_at = last

        reopened = rand() < 0.08
        if reopened:
            add((customer_at(last, 6 * _HOUR), "comment.added", _CUSTOMER_REPLY))
            add((after(last + randint(1, 5)), "ticket.updated", _OPEN))
            add((agent_at(last, _NEXT_REPLY[priority])[0], "comment.added", _AGENT_REPLY))
            add((after(last + randint(5, 90)), "ticket.updated", _SOLVED))
        if rand() < 0.3:
            scores = _SCORES_UNHAPPY if slow or reopened else _SCORES_HAPPY
            score = scores[int(rand() * len(scores))]
            add((after(last + randint(10 * _MINUTE, 2 * _DAY)), "csat.rated", {"score": score}))
        if rand() < 0.45:
            closing = solved_at + 3 * _DAY + randint(0, _DAY)
            add((after(max(closing, last + _HOUR)), "ticket.updated", _CLOSED))
        return steps


class _Stamps:
    """RFC 3339 UTC text of epoch seconds: a cached date part and a table of times of day."""

    __slots__ = ("days", "times")

    def __init__(self) -> None:
        self.days: dict[int, str] = {}
        self.times = [
            f"T{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)
        ]

    def __call__(self, t: int) -> str:
        day, second = divmod(t, _DAY)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = self.days[day] = date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
        return prefix + self.times[second]


def iter_events(tickets: int, *, seed: int = 7, start: datetime, days: int = 30) -> Iterator[Event]:
    """Events of ``tickets`` tickets arriving in ``[start, start + days)``, ordered by ``at``.

    Histories are cut at ``start + days``. Event ids are ``e-1``, ``e-2``, ... in output order;
    ticket ids are ``T-000001``, ... in order of creation. Same arguments, same events.
    """
    if start.utcoffset() is None:
        raise ValueError(f"start {start.isoformat()} has no time zone; pass an aware datetime")
    if tickets < 0:
        raise ValueError(f"tickets must be 0 or more, not {tickets}")
    if days < 1:
        raise ValueError(f"days must be 1 or more, not {days}")
    return _merged(_World(Random(seed), int(start.timestamp()), days), tickets)


def _merged(world: _World, tickets: int) -> Iterator[Event]:
    """Merge the histories of the tickets, created lazily in arrival order, by ``at``.

    The heap holds one entry per live ticket: (at, order, ticket, rest of its history, type,
    fields) of its next event; ``order`` breaks ties in ``at`` — the event pushed first comes first.
    """
    end, stamp = world.end, _Stamps()
    heap: list[tuple[int, int, str, Iterator[_Step], str, Event]] = []
    push, replace, pop = heapq.heappush, heapq.heapreplace, heapq.heappop
    order = itertools.count()
    count = 0
    arrivals = itertools.chain(world.arrivals(tickets), [(end, -1)])  # -1: no more tickets
    for number, (arrival, where) in enumerate(arrivals, start=1):
        while heap and heap[0][0] <= arrival:
            at, _, ticket, rest, kind, fields = heap[0]
            step = next(rest, None)
            if step is None or step[0] >= end:
                pop(heap)
            else:
                replace(heap, (step[0], next(order), ticket, rest, step[1], step[2]))
            count += 1
            yield {"id": f"e-{count}", "ticket": ticket, "type": kind, "at": stamp(at), **fields}
        if where < 0:
            return
        rest = iter(world.history(arrival, where))
        at, kind, fields = next(rest)
        push(heap, (at, next(order), f"T-{number:06d}", rest, kind, fields))


def _encoder() -> Callable[[Event], bytes]:
    """One compact JSON line per event: orjson when installed, else the json module."""
    try:
        import orjson
    except (
        ImportError
    ):  # pragma: no cover — orjson is a dependency; this keeps the module stdlib-only
        encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
        return lambda event: (encode(event) + "\n").encode()
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    return lambda event: dumps(event, option=newline)


def write_events(
    stream: TextIO, tickets: int, *, seed: int = 7, start: datetime, days: int = 30
) -> int:
    """Write the events of :func:`iter_events` to ``stream`` as JSON Lines; return how many."""
    encode = _encoder()
    chunk: list[bytes] = []  # encoded at once: bytes cost the garbage collector nothing
    written = 0
    for event in iter_events(tickets, seed=seed, start=start, days=days):
        chunk.append(encode(event))
        if len(chunk) == 8192:
            stream.write(b"".join(chunk).decode())
            written += len(chunk)
            chunk.clear()
    stream.write(b"".join(chunk).decode())
    return written + len(chunk)


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an RFC 3339 instant") from None
    if moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset; write e.g. 2026-03-02T00:00:00Z")
    return moment


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m slakeeper.demo --tickets N --seed S --start T --days D --out FILE``."""
    parser = argparse.ArgumentParser(
        prog="python -m slakeeper.demo",
        description="Write a deterministic demo ticket history (SPEC §4 JSON Lines).",
    )
    parser.add_argument(
        "--tickets", type=int, default=1000, help="number of tickets (default 1000)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--start",
        type=_instant,
        default=datetime(2026, 3, 2, tzinfo=UTC),
        help="first instant of the window, RFC 3339 (default 2026-03-02T00:00:00Z)",
    )
    parser.add_argument(
        "--days", type=int, default=30, help="length of the window in days (default 30)"
    )
    parser.add_argument(
        "--out", default="-", help="output file, or - for standard output (default)"
    )
    args = parser.parse_args(argv)
    if args.tickets < 0 or args.days < 1:
        parser.error("--tickets must be 0 or more and --days 1 or more")
    if args.out == "-":
        count = write_events(
            sys.stdout, args.tickets, seed=args.seed, start=args.start, days=args.days
        )
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as out:
            count = write_events(
                out, args.tickets, seed=args.seed, start=args.start, days=args.days
            )
    print(f"{count} events", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
