"""The live state of a run: each agent's shift, load and own queue, and each ticket's progress;
and the agents' shifts as instants.

Plain mutable objects with ``__slots__``, owned by the engine; the router reads them through the
read-only views of :mod:`slakeeper.simulation.routing`.

Shifts as instants (when each starts and ends) come from :mod:`slakeeper.domain.stretches`.
"""

from __future__ import annotations

from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.simulation.model import Agent
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
