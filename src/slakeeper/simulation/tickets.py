"""The tickets of a run, drawn up front: who raises them, when, about what, and everything random
they will need — work, the customer's delays, a reopen, the rating's noise.

Nothing here depends on the routing or on the agents: the same model and seed give the same
tickets, in the same order, whichever router plays them. Two kinds of random streams keep that so:
each arrival stream has its own generator (seeded from the seed and the stream's name, so adding a
stream does not move the arrivals of the others) and one generator draws the needs of the tickets
in arrival order. The tickets are produced lazily, so a run of a million tickets holds only those
in progress.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from random import Random

from slakeeper.simulation.model import Category, Customer, SimConfig, Stream

ASK = "ask"  # a step that ends with a public reply asking the customer, then pending
REPLY = "reply"  # a step that ends with a public reply; the work goes on
SOLVE = "solve"  # a step that ends with the answer, then solved
Step = tuple[int, str]  # (work at speed 1, µs; what ends it)


@dataclass(frozen=True, slots=True)
class Needs:
    """One ticket as drawn from the seed; the engine plays it."""

    number: int  # 1, 2, ... in order of arrival
    id: str
    created_at: int
    stream: Stream
    customer: Customer
    priority: str
    channel: str
    category: Category
    tags: tuple[str, ...]
    sessions: tuple[tuple[Step, ...], ...]  # the agent's work, split by the customer's answers
    answer_delays: tuple[int, ...]  # the customer's delay before each answer (customer time)
    reopen_delay: int | None  # after solved, in customer time; None: no reopen
    reopen_effort: int
    close_after: int  # from (the last) solved to closed, wall clock
    rating_delay: int | None  # from the last solved to the rating; None: no rating
    rating_noise: float  # a standard normal draw


def ticket_id(seed: int, number: int) -> str:
    return f"T{seed}-{number:06d}"


def draw_tickets(config: SimConfig) -> Iterator[Needs]:
    """Every ticket arriving in ``[config.start, config.end)``, in order of arrival."""
    seed = config.seed
    rng = Random(f"slakeeper.simulation:{seed}:needs")
    for number, (at, _, stream) in enumerate(_arrivals(config), start=1):
        yield _needs(config, rng, number, at, stream)


def _arrivals(config: SimConfig) -> Iterator[tuple[int, int, Stream]]:
    def one(index: int, stream: Stream) -> Iterator[tuple[int, int, Stream]]:
        rng = Random(f"slakeeper.simulation:{config.seed}:arrivals:{stream.name}")
        for at in stream.profile.times(rng, config.start, config.end):
            yield at, index, stream

    return heapq.merge(*(one(i, s) for i, s in enumerate(config.streams)))


def _needs(config: SimConfig, rng: Random, number: int, at: int, stream: Stream) -> Needs:
    uniform = rng.random
    customer = stream.customers.pick(rng)
    priority = config.priority_mix(customer.tier).pick(rng)
    channel = config.channels.pick(rng)
    category = config.categories.pick(rng)
    tags = tuple(dict.fromkeys((*stream.tags, *customer.tags, f"category:{category.name}")))

    first = config.first_reply.draw(rng)
    handling = category.handling.draw(rng)
    info = config.information
    rounds = 0
    while rounds < info.max_rounds and uniform() < info.probability:
        rounds += 1
    delays = tuple(info.delay.draw(rng) for _ in range(rounds))
    sessions: tuple[tuple[Step, ...], ...]
    if rounds == 0:
        sessions = (((first, REPLY), (handling, SOLVE)),)
    else:
        part = max(handling // rounds // 1_000_000, 1) * 1_000_000
        later = tuple(((part, ASK),) for _ in range(rounds - 1))
        sessions = (((first, ASK),), *later, ((part, SOLVE),))

    reopen = config.reopen
    reopens = uniform() < reopen.probability
    reopen_delay = reopen.delay.draw(rng)
    reopen_effort = reopen.effort.draw(rng)
    close_after = config.close_after.draw(rng)
    csat = config.csat
    rates = uniform() < csat.response_rate
    rating_delay = csat.delay.draw(rng)
    noise = rng.gauss(0.0, 1.0)
    return Needs(
        number=number,
        id=ticket_id(config.seed, number),
        created_at=at,
        stream=stream,
        customer=customer,
        priority=priority,
        channel=channel,
        category=category,
        tags=tags,
        sessions=sessions,
        answer_delays=delays,
        reopen_delay=reopen_delay if reopens else None,
        reopen_effort=reopen_effort,
        close_after=close_after,
        rating_delay=rating_delay if rates else None,
        rating_noise=noise,
    )
