"""The live state of a run: each agent's shift, load and own queue, and each ticket's progress;
and the agents' shifts as instants.

Plain mutable objects with ``__slots__``, owned by the engine; the router reads them through the
read-only views of :mod:`slakeeper.simulation.routing`.

Shifts. The engine needs when each shift starts and ends, not only how much business time lies
between two instants. Both come from :class:`~slakeeper.domain.calendar.BusinessCalendar`: the next
opening is ``add(t, 1 µs) − 1 µs``, and the end of an open stretch is the last instant up to which
``elapsed`` equals the wall time since its start (a gallop, then a bisection to the second — every
shift boundary falls on a whole second, because shifts are whole minutes and zone offsets whole
seconds). Back-to-back shifts are one stretch, as in the calendar.
"""

from __future__ import annotations

from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.simulation.model import Agent
from slakeeper.simulation.quantities import HOUR, SECOND
from slakeeper.simulation.tickets import Needs


class AgentState:
    """An agent during a run; routers see it as an :class:`~slakeeper.simulation.routing.AgentView`."""

    __slots__ = (
        "assigned",
        "busy_us",
        "calendar",
        "capacity",
        "index",
        "load",
        "name",
        "next_start",
        "on_shift",
        "own",
        "shift_ends_at",
        "skills",
        "speed",
    )

    def __init__(self, index: int, spec: Agent) -> None:
        self.index, self.name, self.skills = index, spec.name, spec.skills
        self.capacity, self.speed = spec.capacity, spec.speed
        self.calendar: BusinessCalendar = spec.calendar
        self.load = self.assigned = self.busy_us = 0
        self.on_shift = False
        self.next_start = self.shift_ends_at = 0
        self.own: list[tuple[int, int, TicketState]] = []  # its tickets waiting for it (a heap)


class TicketState:
    """A ticket during a run; routers see it as a :class:`~slakeeper.simulation.routing.TicketView`."""

    __slots__ = (
        "agent",
        "category",
        "channel",
        "created_at",
        "customer",
        "first_reply_at",
        "group",
        "id",
        "in_work",
        "needs",
        "number",
        "priority",
        "reopened",
        "reply_version",
        "service",
        "session",
        "step",
        "step_started",
        "step_us",
        "steps",
        "tags",
        "tier",
        "waited",
        "waiting_since",
    )

    def __init__(self, needs: Needs) -> None:
        self.needs = needs
        self.id, self.number, self.created_at = needs.id, needs.number, needs.created_at
        self.priority, self.channel, self.tags = needs.priority, needs.channel, needs.tags
        self.customer, self.tier = needs.customer.name, needs.customer.tier
        self.category, self.group = needs.category.name, needs.category.group
        self.service = needs.category.service
        self.agent: AgentState | None = None
        self.session, self.step, self.steps = 0, 0, needs.sessions[0]
        self.step_started = self.step_us = 0
        self.in_work = self.reopened = False
        self.reply_version = 0
        self.first_reply_at: int | None = None
        self.waiting_since: int | None = needs.created_at
        self.waited = 0  # µs the customer waited on an agent reply, wall clock


def next_opening(calendar: BusinessCalendar, t: int) -> int:
    """The first open instant at or after ``t`` (the calendar opens some day)."""
    return calendar.add_us(t, 1) - 1


def stretch_end(calendar: BusinessCalendar, start: int, limit: int) -> int:
    """The end of the open stretch that holds ``start`` (an open instant), or ``limit`` when the
    calendar stays open until then."""
    elapsed = calendar.elapsed_us
    lo, step = start, HOUR  # [start, lo) is open throughout
    while True:
        probe = min(start + step, limit)
        if elapsed(start, probe) != probe - start:
            hi = probe  # [start, hi) is not
            break
        if probe >= limit:
            return limit
        lo, step = probe, step * 2
    while hi - lo > SECOND:
        mid = lo + max(SECOND, (hi - lo) // (2 * SECOND) * SECOND)
        if elapsed(start, mid) == mid - start:
            lo = mid
        else:
            hi = mid
    if hi - lo > 1 and elapsed(start, lo + 1) == lo + 1 - start:  # a boundary off the second
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if elapsed(start, mid) == mid - start:
                lo = mid
            else:
                hi = mid
    return lo
