"""The discrete-event engine: a heap of what happens next, tickets that queue for agents, and the
SPEC §4 events the team's work leaves behind.

A ticket is created (status ``new``) and joins the queue of its category. It is offered, in queue
order — priority, then arrival — to the router with the agents that may take it: skilled, on shift,
with a free place (``capacity`` tickets in work at once). Assigned (``assignee``, status ``open``),
it is worked in *steps*: each step takes its work divided by the agent's speed, counted in the
agent's business time, and ends with a public agent reply. The first step's reply is the first
response; a step that needs information from the customer ends with status ``pending`` and frees
the agent's place; the customer answers after a delay (status ``open``) and the ticket waits in its
assignee's own queue, served before the shared queue; the last step ends ``solved``. Then, maybe,
the customer reopens it (the assignee works it again), rates it, and the ticket is closed.

A router with the ``queue_key`` capability (:class:`~slakeeper.simulation.routing.OrdersQueue`)
orders the shared queues itself; the engine then offers it every queued ticket in that order, and
one it declines is passed over instead of holding up its category.

Choices (``docs/simulation.md``): an agent keeps their tickets at the end of a shift — work in
progress resumes at the start of their next shift, and answers from customers wait for them; a
ticket is assigned once. An agent posts an update every ``updates[priority]`` of wall time while
a ticket is in work, only on shift. Events at one instant: shift changes first, then the rest in
the order they were scheduled. The run stops at the end of the window; events from then on are
not written (tickets still open stay open, as in a live system).

The engine draws nothing at random: every random need of a ticket was drawn before it arrived
(:mod:`slakeeper.simulation.tickets`), so runs under different routers see the same tickets.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterator
from itertools import count

from slakeeper.domain.events import COMMENT, CREATED, CSAT, UPDATED, format_instant
from slakeeper.domain.stretches import next_opening, stretch_end
from slakeeper.simulation.model import PRIORITIES, SimConfig
from slakeeper.simulation.quantities import DAY, HOUR, SECOND
from slakeeper.simulation.routing import Router, queue_order
from slakeeper.simulation.state import AgentState, TicketState
from slakeeper.simulation.summary import AgentSummary, Summary
from slakeeper.simulation.tickets import ASK, REPLY, SOLVE, Needs, Step, draw_tickets

Event = dict[str, object]
Trace = Callable[[str, int, str, str], None]  # (assign|start|stop, at, ticket id, agent name)

_SHIFT_START, _SHIFT_END = 0, 1  # handled first at an instant
_ARRIVE, _STEP, _ANSWER, _UPDATE, _REOPEN, _RATE, _CLOSE = 2, 3, 4, 5, 6, 7, 8
_RANK = {p: i for i, p in enumerate(PRIORITIES)}
_AGENT_REPLY: Event = {"author": "agent", "public": True}
_CUSTOMER_REPLY: Event = {"author": "customer", "public": True}


def _entry(item: tuple[int, int, TicketState]) -> tuple[int, int]:
    return item[0], item[1]


class Simulation:
    """One run of the model under one router. Iterate :meth:`events` once; then :meth:`summary`."""

    def __init__(self, config: SimConfig, router: Router, trace: Trace | None = None) -> None:
        self.config, self.router, self.trace = config, router, trace
        self._end = config.end
        self._agents = [AgentState(i, a) for i, a in enumerate(config.agents)]
        names = [c.name for c in config.categories.items]
        self._category = {name: i for i, name in enumerate(names)}
        self._skilled = [[a for a in self._agents if n in a.skills] for n in names]
        self._queues: list[list[tuple[int, int, TicketState]]] = [[] for _ in names]
        self._order = queue_order(router)  # None: priority, then arrival; a decline blocks
        self._heap: list[tuple[int, int, int, int, object, int]] = []
        self._seq = count()
        self._out: list[Event] = []
        self._arrivals = draw_tickets(config)
        self._working: dict[int, TicketState] = {}
        self._shared = self._own = self._free = 0  # tickets in queues; agents able to take one
        self._dirty = False
        self._emitted = self._tickets = self._solved = self._closed = 0
        self._first_replies, self._first_wait_us = 0, 0
        self._done = False

    # -- the loop ----------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        """SPEC §4 events in order of ``at`` (ties in the order written)."""
        if self._done:
            raise RuntimeError("a simulation runs once; build another for a new run")
        for agent in self._agents:
            agent.next_start = next_opening(agent.calendar, self.config.start)
            self._push(agent.next_start, _SHIFT_START, agent)
        self._pull()
        handlers: list[Callable[[object, int, int], None]] = [
            self._shift_start,
            self._shift_end,
            self._arrive,
            self._step_done,
            self._answer,
            self._update,
            self._reopen,
            self._rate,
            self._close,
        ]
        heap, end, pop = self._heap, self._end, heapq.heappop
        while heap and heap[0][0] < end:
            at, _, _, kind, target, value = pop(heap)
            handlers[kind](target, value, at)
            if self._dirty:
                self._dispatch(at)
            if self._out:
                batch, self._out = self._out, []
                yield from batch
        self._done = True

    def _push(self, at: int, kind: int, target: object, value: int = 0) -> None:
        order = 0 if kind <= _SHIFT_END else 1
        heapq.heappush(self._heap, (at, order, next(self._seq), kind, target, value))

    def _pull(self) -> None:
        needs = next(self._arrivals, None)
        if needs is not None:
            self._push(needs.created_at, _ARRIVE, needs)

    def _emit(self, ticket: TicketState, kind: str, at: int, fields: Event) -> None:
        self._emitted += 1
        event: Event = {
            "id": f"sim-{self.config.seed}-{self._emitted}",
            "ticket": ticket.id,
            "type": kind,
            "at": format_instant(at),
        }
        event.update(fields)
        self._out.append(event)

    # -- agents ------------------------------------------------------------------------------

    def _set(self, agent: AgentState, on_shift: bool | None = None, load: int = 0) -> None:
        """Change an agent's shift state or load, keeping the count of free agents."""
        was = agent.on_shift and agent.load < agent.capacity
        if on_shift is not None:
            agent.on_shift = on_shift
        agent.load += load
        self._free += (agent.on_shift and agent.load < agent.capacity) - was
        self._dirty = True

    def _shift_start(self, agent: object, _: int, at: int) -> None:
        assert isinstance(agent, AgentState)
        agent.shift_ends_at = stretch_end(agent.calendar, at, self._end + DAY)
        self._push(agent.shift_ends_at, _SHIFT_END, agent)
        self._set(agent, on_shift=True)

    def _shift_end(self, agent: object, _: int, at: int) -> None:
        assert isinstance(agent, AgentState)
        agent.next_start = next_opening(agent.calendar, at)
        self._push(agent.next_start, _SHIFT_START, agent)
        self._set(agent, on_shift=False)

    # -- queues and routing ------------------------------------------------------------------

    def _dispatch(self, now: int) -> None:
        self._dirty = False
        if self._own:
            for agent in self._agents:
                while agent.own and agent.on_shift and agent.load < agent.capacity:
                    ticket = heapq.heappop(agent.own)[2]
                    self._own -= 1
                    self._start(ticket, agent, now)
        if self._order is not None:
            self._dispatch_ordered(now)
            return
        blocked: set[int] = set()
        while self._shared and self._free:
            found = self._next_offer(blocked)
            if found is None:
                return
            c, agents = found
            ticket = self._queues[c][0][2]
            chosen = self.router.choose(ticket, agents, now)
            if chosen is None:
                blocked.add(c)
                continue
            heapq.heappop(self._queues[c])
            self._assign(ticket, self._taker(chosen, agents), now)

    def _dispatch_ordered(self, now: int) -> None:
        """For a router that orders the queues itself: every queued ticket is offered in its
        order, and one it declines is passed over (the next of its category is offered)."""
        views: dict[int, list[tuple[int, int, TicketState]]] = {}  # each queue sorted, lazily
        at: dict[int, int] = {}  # per category: the next entry of its view to offer
        while self._shared and self._free:
            best: tuple[tuple[int, int], int, list[AgentState]] | None = None
            for c, queue in enumerate(self._queues):
                if not queue:
                    continue
                agents = [a for a in self._skilled[c] if a.on_shift and a.load < a.capacity]
                if not agents:
                    continue
                view = views.get(c)
                if view is None:
                    view = views[c] = sorted(queue, key=_entry)
                i = at.get(c, 0)
                if i < len(view) and (best is None or _entry(view[i]) < best[0]):
                    best = (_entry(view[i]), c, agents)
            if best is None:
                return
            _, c, agents = best
            entry = views[c][at.get(c, 0)]
            at[c] = at.get(c, 0) + 1
            chosen = self.router.choose(entry[2], agents, now)
            if chosen is None:
                continue
            queue = self._queues[c]
            queue.remove(entry)
            heapq.heapify(queue)
            self._assign(entry[2], self._taker(chosen, agents), now)

    def _taker(self, chosen: object, agents: list[AgentState]) -> AgentState:
        taker = next((a for a in agents if a is chosen), None)
        if taker is None:
            raise RuntimeError(f"router {self.router.name} chose an agent it was not offered")
        return taker

    def _assign(self, ticket: TicketState, agent: AgentState, now: int) -> None:
        self._shared -= 1
        agent.assigned += 1
        ticket.agent = agent
        self._emit(ticket, UPDATED, now, {"assignee": agent.name, "status": "open"})
        if self.trace is not None:
            self.trace("assign", now, ticket.id, agent.name)
        self._start(ticket, agent, now)

    def _next_offer(self, blocked: set[int]) -> tuple[int, list[AgentState]] | None:
        """The category whose head comes first in queue order among those some agent may take
        now, with those agents (in team order)."""
        heads = sorted((q[0][:2], c) for c, q in enumerate(self._queues) if q and c not in blocked)
        for _, c in heads:
            agents = [a for a in self._skilled[c] if a.on_shift and a.load < a.capacity]
            if agents:
                return c, agents
        return None

    def _enqueue(self, ticket: TicketState) -> None:
        agent = ticket.agent
        order = self._order
        rank = (
            _RANK.get(ticket.priority, len(_RANK))
            if order is None or agent is not None
            else order(ticket)
        )
        key = (rank, ticket.number, ticket)
        if agent is None:
            heapq.heappush(self._queues[self._category[ticket.category]], key)
            self._shared += 1
        else:
            heapq.heappush(agent.own, key)
            self._own += 1
        self._dirty = True

    # -- work --------------------------------------------------------------------------------

    def _start(self, ticket: TicketState, agent: AgentState, now: int) -> None:
        ticket.in_work = True
        self._working[ticket.number] = ticket
        self._set(agent, load=1)
        if self.trace is not None:
            self.trace("start", now, ticket.id, agent.name)
        self._begin_step(ticket, agent, now)

    def _stop(self, ticket: TicketState, agent: AgentState, now: int) -> None:
        ticket.in_work = False
        del self._working[ticket.number]
        self._set(agent, load=-1)
        if self.trace is not None:
            self.trace("stop", now, ticket.id, agent.name)

    def _begin_step(self, ticket: TicketState, agent: AgentState, now: int) -> None:
        work: Step = ticket.steps[ticket.step]
        us = max(round(work[0] / agent.speed / SECOND), 1) * SECOND
        ticket.step_started, ticket.step_us = now, us
        self._push(agent.calendar.add_us(now, us), _STEP, ticket)

    def _step_done(self, target: object, _: int, at: int) -> None:
        assert isinstance(target, TicketState)
        ticket, agent = target, target.agent
        assert agent is not None
        agent.busy_us += ticket.step_us
        ticket.step_us = 0
        ends = ticket.steps[ticket.step][1]
        self._reply(ticket, at, more=ends == REPLY)
        if ends == REPLY:
            ticket.step += 1
            self._begin_step(ticket, agent, at)
            return
        needs = ticket.needs
        if ends == ASK:
            self._emit(ticket, UPDATED, at, {"status": "pending"})
            self._stop(ticket, agent, at)
            answer = self._customer_time(ticket, at, needs.answer_delays[ticket.session])
            self._push(answer, _ANSWER, ticket)
            return
        self._emit(ticket, UPDATED, at, {"status": "solved"})
        self._stop(ticket, agent, at)
        self._solved += not ticket.reopened
        close_at = at + needs.close_after
        if needs.reopen_delay is not None and not ticket.reopened:
            reopen_at = self._customer_time(ticket, at, needs.reopen_delay)
            if reopen_at < close_at:  # else the ticket is closed before the customer is back
                self._push(reopen_at, _REOPEN, ticket)
                return
        if needs.rating_delay is not None and needs.rating_delay < needs.close_after:
            self._push(at + needs.rating_delay, _RATE, ticket, self._score(ticket))
        self._push(close_at, _CLOSE, ticket)

    def _reply(self, ticket: TicketState, at: int, more: bool) -> None:
        """A public agent reply; ``more``: the ticket stays in work (updates may follow)."""
        self._emit(ticket, COMMENT, at, _AGENT_REPLY)
        if ticket.first_reply_at is None:
            ticket.first_reply_at = at
            self._first_replies += 1
            self._first_wait_us += at - ticket.created_at
        if ticket.waiting_since is not None:
            ticket.waited += at - ticket.waiting_since
            ticket.waiting_since = None
        ticket.reply_version += 1
        every = self.config.updates.get(ticket.priority)
        if more and every:
            self._push(at + every, _UPDATE, ticket, ticket.reply_version)

    def _update(self, target: object, version: int, at: int) -> None:
        assert isinstance(target, TicketState)
        if version != target.reply_version or not target.in_work:
            return  # another reply came since, or the ticket left the agent's hands
        agent = target.agent
        assert agent is not None
        if agent.on_shift:
            self._reply(target, at, more=True)
        else:
            self._push(agent.next_start, _UPDATE, target, version)

    def _customer_time(self, ticket: TicketState, at: int, delay: int) -> int:
        hours = ticket.needs.stream.customer_calendar
        return at + delay if hours is None else hours.add_us(at, delay)

    # -- the customer's side -----------------------------------------------------------------

    def _arrive(self, target: object, _: int, at: int) -> None:
        assert isinstance(target, Needs)
        ticket = TicketState(target)
        fields: Event = {"priority": ticket.priority, "status": "new", "channel": ticket.channel}
        if ticket.customer is not None:
            fields["customer"] = ticket.customer
        if ticket.service is not None:
            fields["service"] = ticket.service
        fields["group"] = ticket.group
        fields["tags"] = list(ticket.tags)
        self._emit(ticket, CREATED, at, fields)
        self._tickets += 1
        self._enqueue(ticket)
        self._pull()

    def _answer(self, target: object, _: int, at: int) -> None:
        assert isinstance(target, TicketState)
        self._customer_back(target, at)
        target.session += 1
        target.steps, target.step = target.needs.sessions[target.session], 0

    def _reopen(self, target: object, _: int, at: int) -> None:
        assert isinstance(target, TicketState)
        self._customer_back(target, at)
        target.reopened = True
        target.steps, target.step = ((target.needs.reopen_effort, SOLVE),), 0

    def _customer_back(self, ticket: TicketState, at: int) -> None:
        self._emit(ticket, COMMENT, at, _CUSTOMER_REPLY)
        self._emit(ticket, UPDATED, at, {"status": "open"})
        ticket.waiting_since = at
        self._enqueue(ticket)

    def _score(self, ticket: TicketState) -> int:
        """The rating: the mean, the customer's mood, less the waiting and a late first reply."""
        csat = self.config.csat
        penalty = min(csat.max_wait_penalty, csat.wait_penalty_per_hour * ticket.waited / HOUR)
        target = csat.target_us(ticket.priority)
        first = ticket.first_reply_at
        if target is not None and first is not None and first - ticket.created_at > target:
            penalty += csat.late_first_reply_penalty
        raw = csat.mean + csat.noise * ticket.needs.rating_noise - penalty
        return min(5, max(1, math.floor(raw + 0.5)))

    def _rate(self, target: object, score: int, at: int) -> None:
        assert isinstance(target, TicketState)
        self._emit(target, CSAT, at, {"score": score})

    def _close(self, target: object, _: int, at: int) -> None:
        assert isinstance(target, TicketState)
        self._emit(target, UPDATED, at, {"status": "closed"})
        self._closed += 1

    # -- the summary -------------------------------------------------------------------------

    def summary(self) -> Summary:
        """What the run did; the utilisation counts work in progress at the end of the window."""
        if not self._done:
            raise RuntimeError("the summary is ready once every event has been read")
        start, end = self.config.start, self._end
        busy = {a.index: a.busy_us for a in self._agents}
        for ticket in self._working.values():
            agent = ticket.agent
            assert agent is not None
            busy[agent.index] += agent.calendar.elapsed_us(ticket.step_started, end)
        agents = []
        for a in self._agents:
            shift = a.calendar.elapsed_us(start, end)
            used = busy[a.index] / (shift * a.capacity) if shift else 0.0
            agents.append(AgentSummary(a.name, shift, a.capacity, a.assigned, used))
        return Summary(
            router=self.router.name,
            seed=self.config.seed,
            start=start,
            end=end,
            tickets=self._tickets,
            events=self._emitted,
            solved=self._solved,
            closed=self._closed,
            queued=self._shared + self._own,
            first_replies=self._first_replies,
            first_reply_wait_us=(
                self._first_wait_us / self._first_replies if self._first_replies else None
            ),
            agents=tuple(agents),
        )


def simulate(config: SimConfig, router: Router, trace: Trace | None = None) -> Simulation:
    """A run of ``config`` under ``router``; iterate ``.events()``, then read ``.summary()``."""
    return Simulation(config, router, trace)
