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
from slakeeper.domain.clocks import clocks
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.events import CREATED, format_instant, parse_event
from slakeeper.domain.roster import RosterAgent
from slakeeper.domain.routing import WEIGHTS, Advice, Weights, advise, deadline
from slakeeper.domain.ticket import Rules, TicketState
from slakeeper.simulation.model import Agent


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


class OrdersQueue(Protocol):
    """An optional capability of a router: it orders the shared queues itself.

    ``queue_key(ticket)`` is asked once, when the new ticket joins its category's queue; the
    queue is served by that key, then arrival (a smaller key first). Such a router owns the
    order, so the engine offers it every queued ticket in turn, and one it declines is passed
    over: the next ticket of its category is offered (without the capability, a decline holds
    the whole category until something changes). Tickets back in their assignee's own queue keep
    the engine's order.
    """

    def queue_key(self, ticket: TicketView) -> int: ...


def queue_order(router: object) -> Callable[[TicketView], int] | None:
    """The router's ``queue_key`` when it has the capability, else None."""
    key = getattr(router, "queue_key", None)
    return key if callable(key) else None


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


class SlaAware:
    """Routing by the SLA configuration: the agents ranked by
    :func:`slakeeper.domain.routing.advise` — the live advice's own function — from what a live
    system knows at that moment: the ticket's attributes and clocks (the domain's clocks of a
    ticket that was created and is still ``new``), the roster's skills, shifts and capacities,
    and each agent's load. It never sees a ticket's drawn work or its customer's delays.

    It orders the queues earliest SLA deadline first (:class:`OrdersQueue`: the first response's
    due instant), takes the best agent offered, and holds a ticket (returns None) when the
    advice says a later agent is much better — e.g. a Berlin ticket on a Saturday whose clocks
    stand still until Monday, rather than give it to the weekend agent, who would not see the
    customer's answer until the next Saturday. A held ticket is not reconsidered until that
    agent's shift starts or an agent it was not offered is offered.
    """

    name = "sla_aware"

    def __init__(self, sla: SlaConfig, team: Sequence[Agent], weights: Weights = WEIGHTS) -> None:
        self.sla, self.weights = sla, weights
        self._rules = Rules(sla.system_replies_count, sla.resolution_on_reopen)
        self._roster = tuple(
            RosterAgent(a.name, a.calendar, a.skills, a.capacity, a.speed) for a in team
        )
        self._skilled: dict[str, tuple[RosterAgent, ...]] = {}
        self._seen: dict[str, AgentView] = {}  # the live view of every agent offered so far
        self._tickets: dict[int, TicketState] = {}  # the domain's state of each queued ticket
        self._held: dict[int, tuple[int, frozenset[int]]] = {}  # until, the agents offered

    def queue_key(self, ticket: TicketView) -> int:
        state = self._state(ticket)
        due = deadline(clocks(state, self.sla, ticket.created_at))
        return ticket.created_at + NO_DEADLINE if due is None else due

    def choose(self, ticket: TicketView, agents: Sequence[AgentView], now: int) -> AgentView | None:
        offered = frozenset(a.index for a in agents)
        held = self._held.get(ticket.number)
        if held is not None and now < held[0] and offered <= held[1]:
            return None
        for agent in agents:
            self._seen[agent.name] = agent
        advice = self.advice(ticket, now)
        if advice.wait_for is not None and advice.wait_for.starts_at is not None:
            self._held[ticket.number] = (advice.wait_for.starts_at, offered)
            return None
        by_name = {a.name: a for a in agents}
        chosen = next((by_name[r.agent] for r in advice.agents if r.agent in by_name), agents[0])
        self._held.pop(ticket.number, None)
        self._tickets.pop(ticket.number, None)
        return chosen

    def advice(self, ticket: TicketView, now: int) -> Advice:
        """The ranking of the agents skilled in the ticket's category, as the live advice gives it."""
        roster = self._skilled.get(ticket.category)
        if roster is None:
            roster = tuple(a for a in self._roster if ticket.category in a.skills)
            self._skilled[ticket.category] = roster
        loads = {name: view.load for name, view in self._seen.items()}
        state = self._state(ticket)
        return advise(
            self.sla, roster, loads, state.attrs, clocks(state, self.sla, now), now, self.weights
        )

    def _state(self, ticket: TicketView) -> TicketState:
        """The ticket as the domain knows it from its ``ticket.created`` event alone."""
        state = self._tickets.get(ticket.number)
        if state is None:
            fields: dict[str, object] = {
                "id": f"{ticket.id}:created",
                "ticket": ticket.id,
                "type": CREATED,
                "at": format_instant(ticket.created_at),
                "priority": ticket.priority,
                "channel": ticket.channel,
                "group": ticket.group,
                "tags": list(ticket.tags),
            }
            if ticket.customer is not None:
                fields["customer"] = ticket.customer
            if ticket.service is not None:
                fields["service"] = ticket.service
            state = self._tickets[ticket.number] = TicketState(ticket.id, self._rules)
            state.apply(parse_event(fields))
        return state


NO_DEADLINE = 30 * 24 * 3600 * 1_000_000  # queue key of a ticket without a running clock: +30 days
ROUTERS: dict[str, Callable[[], Router]] = {
    RoundRobin.name: RoundRobin,
    LeastLoaded.name: LeastLoaded,
}
SLA_ROUTERS = (SlaAware.name,)  # routers that need the SLA configuration
ROUTER_NAMES = (*ROUTERS, *SLA_ROUTERS)


def make_router(name: str, sla: SlaConfig | None = None, team: Sequence[Agent] = ()) -> Router:
    """A fresh router by name; ``sla_aware`` needs the SLA configuration and the team (the
    model's agents). ``ValueError`` names the known routers, or what is missing."""
    if name == SlaAware.name:
        if sla is None:
            raise ValueError(f"router {name!r} needs the SLA configuration (--sla sla.yaml)")
        return SlaAware(sla, team)
    factory = ROUTERS.get(name)
    if factory is None:
        raise ValueError(f"unknown router {name!r}; use {', '.join(ROUTER_NAMES)}")
    return factory()
