"""Who gets a queued ticket: the router interface of the simulator, and two plain routers.

The engine offers the queued tickets in queue order (priority, then arrival) and, for each, the
agents that *may* take it: those with the ticket's category among their skills, on shift now, with
a free place. A router picks one of them — or none, and the ticket waits (the engine then offers
no other ticket of that category until something changes). A router sees the engine's live
objects through the read-only views below; it must not change them.

Routers may keep state (round robin remembers whom it served last); build a fresh one per run
with :func:`make_router`. ``now`` is µs since the epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from slakeeper.domain.calendar import BusinessCalendar


class AgentView(Protocol):
    """An agent as the router sees it."""

    @property
    def index(self) -> int: ...  # position in the team, 0-based: a stable order
    @property
    def name(self) -> str: ...
    @property
    def skills(self) -> frozenset[str]: ...
    @property
    def capacity(self) -> int: ...
    @property
    def speed(self) -> float: ...
    @property
    def calendar(self) -> BusinessCalendar: ...
    @property
    def load(self) -> int: ...  # tickets in work now (at most capacity)
    @property
    def assigned(self) -> int: ...  # tickets assigned to the agent so far in the run
    @property
    def shift_ends_at(self) -> int: ...  # the end of the current shift (µs)


class TicketView(Protocol):
    """A queued ticket as the router sees it."""

    @property
    def id(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def created_at(self) -> int: ...
    @property
    def priority(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def customer(self) -> str | None: ...
    @property
    def tier(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def service(self) -> str | None: ...
    @property
    def tags(self) -> tuple[str, ...]: ...


class Router(Protocol):
    name: str

    def choose(self, ticket: TicketView, agents: Sequence[AgentView], now: int) -> AgentView | None:
        """One of ``agents`` (never empty, in team order) for ``ticket``, or None to wait."""
        ...


class RoundRobin:
    """Agents take turns in team order: the next one after the agent served last that may take
    the ticket, whatever their load."""

    name = "round_robin"

    def __init__(self) -> None:
        self.last = -1

    def choose(self, ticket: TicketView, agents: Sequence[AgentView], now: int) -> AgentView | None:
        chosen = next((a for a in agents if a.index > self.last), agents[0])
        self.last = chosen.index
        return chosen


class LeastLoaded:
    """The agent with the smallest share of their capacity in use; ties go to the agent who has
    been assigned the fewest tickets so far, then to team order."""

    name = "least_loaded"

    def choose(self, ticket: TicketView, agents: Sequence[AgentView], now: int) -> AgentView | None:
        return min(agents, key=lambda a: (a.load / a.capacity, a.assigned, a.index))


ROUTERS: dict[str, Callable[[], Router]] = {
    RoundRobin.name: RoundRobin,
    LeastLoaded.name: LeastLoaded,
}


def make_router(name: str) -> Router:
    """A fresh router by name; ``ValueError`` names the known ones."""
    factory = ROUTERS.get(name)
    if factory is None:
        raise ValueError(f"unknown router {name!r}; use {', '.join(ROUTERS)}")
    return factory()
