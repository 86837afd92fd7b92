"""Live routing advice: the roster's agents ranked for one stored ticket (docs/routing.md).

The ticket's state and clocks at ``now`` come from its stored events (as the ticket view replays
them), each agent's load from the store's open tickets per assignee, and the ranking from
:func:`slakeeper.domain.routing.advise`. Loads are the store's as they are now, whatever ``now``
is asked; the ticket itself does not count against the agent it is assigned to (they keep it, it
takes no new place).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from slakeeper.domain.clocks import clocks
from slakeeper.domain.policy import DONE
from slakeeper.domain.routing import FREE, UNSKILLED, advise
from slakeeper.service.configuration import ConfigCache
from slakeeper.service.ports import UnitOfWork
from slakeeper.service.queries import replay_ticket

NO_ROSTER = "no roster: add agents: to the configuration (docs/routing.md)"


@dataclass(frozen=True, slots=True)
class AgentAdvice:
    """One agent of the ranking, with what the ranking saw of them."""

    name: str
    rank: int  # 1 = best
    tier: int  # domain.routing FREE, FULL, AWAY or UNSKILLED
    score: float | None  # the cost: SLA time the ticket is expected to lose, lower is better
    on_shift: bool
    load: int  # open tickets assigned to them now (this ticket not counted)
    capacity: int
    starts_at: int | None  # when they could take it: now, their next shift; None: unknown
    reasons: tuple[str, ...]

    @property
    def skilled(self) -> bool:
        return self.tier != UNSKILLED

    @property
    def available(self) -> bool:
        """Skilled, on shift, with a free place: may take the ticket now."""
        return self.tier == FREE


@dataclass(frozen=True, slots=True)
class TicketAdvice:
    """Who should take ``ticket`` at ``at``: empty ``agents`` with a ``note`` when nobody should."""

    ticket: str
    at: int
    status: str  # at ``at``; "" before the ticket was created
    assignee: str | None  # at ``at``
    agents: tuple[AgentAdvice, ...]  # best first
    best: str | None  # the best agent free now
    wait_for: str | None  # hold the ticket for this later agent
    reasons: tuple[str, ...]  # the ticket's deadlines, in words
    note: str | None


def ticket_advice(
    uow: UnitOfWork, cache: ConfigCache, ticket: str, now: int, customer: str | None = None
) -> TicketAdvice:
    """The roster ranked for ``ticket`` at ``now`` (µs); :class:`~slakeeper.service.queries.NotFound`
    for a ticket that is unknown or of another customer than ``customer``."""
    row, config, _, state = replay_ticket(uow, cache, ticket, now, customer)
    found = TicketAdvice(row.id, now, state.status, state.attrs.assignee, (), None, None, (), None)
    if not config.agents:
        return replace(found, note=NO_ROSTER)
    if not state.created:
        return replace(found, note="the ticket was not created yet at this instant")
    if state.status in DONE:
        return replace(found, note=f"the ticket is {state.status}: nobody needs to take it")
    with uow.read() as store:
        _, loads = store.desk_counts()
    if row.assignee is not None and row.status not in DONE and loads.get(row.assignee, 0) > 0:
        loads[row.assignee] -= 1  # counted as open and theirs: it takes no new place
    advice = advise(config, config.agents, loads, state.attrs, clocks(state, config, now), now)
    roster = {a.name: a for a in config.agents}
    agents = tuple(
        AgentAdvice(
            name=r.agent,
            rank=r.rank,
            tier=r.tier,
            score=r.cost,
            on_shift=roster[r.agent].calendar.is_open_us(now),
            load=loads.get(r.agent, 0),
            capacity=roster[r.agent].capacity,
            starts_at=r.starts_at,
            reasons=r.reasons,
        )
        for r in advice.agents
    )
    best, wait = advice.best, advice.wait_for
    return replace(
        found,
        agents=agents,
        best=None if best is None else best.agent,
        wait_for=None if wait is None else wait.agent,
        reasons=advice.reasons,
    )
