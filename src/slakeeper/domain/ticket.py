"""A ticket's state, updated one event at a time (SPEC §4–§5).

:class:`TicketState` keeps what the clocks need and nothing that depends on the policies: the
status timeline, the attribute snapshots and, per metric, the cycles with their start and stop.
Which policy applies to a cycle is decided only when the clock is evaluated (it depends on the
ticket's attributes at the clock's end), so a policy change never needs the events again; one new
event costs O(1) here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from slakeeper.domain.events import COMMENT, CREATED, CSAT, UPDATED, BadEvent, Event
from slakeeper.domain.policy import DONE, Attributes

FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE, RESOLUTION = (
    "first_response",
    "next_response",
    "periodic_update",
    "resolution",
)


class SequenceError(BadEvent):
    """An event that is valid alone but not at its place in the ticket's history."""


@dataclass(frozen=True, slots=True)
class Rules:
    """The two configuration switches that change how events drive the clocks."""

    system_replies_count: bool = False
    resolution_on_reopen: str = "continue"


class Mark(NamedTuple):
    """Something that happened to a cycle: started, achieved, cancelled, resumed (reopen)."""

    at: int
    what: str
    event: str


class Cycle:
    """One cycle of one metric on one ticket."""

    __slots__ = (
        "end_attrs",
        "metric",
        "number",
        "outcome",
        "resumes",
        "start_event",
        "start_index",
        "started_at",
        "stop_event",
        "stopped_at",
    )

    def __init__(
        self, metric: str, number: int, started_at: int, start_index: int, event: str
    ) -> None:
        self.metric = metric
        self.number = number
        self.started_at = started_at
        self.start_event = event
        self.start_index = start_index  # index in the status timeline in force at the start
        self.stopped_at: int | None = None
        self.stop_event = ""
        self.outcome: str | None = None  # "achieved" | "cancelled" while stopped
        self.end_attrs: Attributes | None = None  # attributes right after the stopping event
        self.resumes: list[Mark] | None = None  # earlier stops undone by a reopen (continue)

    def stop(self, at: int, outcome: str, attrs: Attributes, event: str) -> None:
        self.stopped_at = at
        self.outcome = outcome
        self.end_attrs = attrs
        self.stop_event = event

    def resume(self, at: int, event: str) -> None:
        if self.resumes is None:
            self.resumes = []
        assert self.stopped_at is not None
        assert self.outcome is not None
        self.resumes.append(Mark(self.stopped_at, self.outcome, self.stop_event))
        self.resumes.append(Mark(at, "resumed", event))
        self.stopped_at = None
        self.outcome = None
        self.end_attrs = None
        self.stop_event = ""

    @property
    def marks(self) -> list[Mark]:
        """What happened to the cycle, in order: started, (stopped, resumed)*, stopped."""
        marks = [Mark(self.started_at, "started", self.start_event), *(self.resumes or ())]
        if self.stopped_at is not None and self.outcome is not None:
            marks.append(Mark(self.stopped_at, self.outcome, self.stop_event))
        return marks

    @property
    def open(self) -> bool:
        return self.stopped_at is None


class TicketState:
    """Everything the clocks of one ticket need, updated by :meth:`apply` one event at a time."""

    __slots__ = (
        "attrs",
        "closed",
        "csat",
        "cycles",
        "id",
        "last_at",
        "reopens",
        "replied",
        "replies",
        "rules",
        "snapshots",
        "solved_at",
        "status",
        "timeline",
    )

    def __init__(self, ticket: str, rules: Rules) -> None:
        self.id = ticket
        self.rules = rules
        self.attrs = Attributes()
        self.status = ""
        self.timeline: list[tuple[int, str]] = []  # (instant, status from then on)
        self.snapshots: list[tuple[int, str, Attributes]] = []  # (instant, event id, attributes)
        self.cycles: dict[str, list[Cycle]] = {
            FIRST_RESPONSE: [],
            NEXT_RESPONSE: [],
            PERIODIC_UPDATE: [],
            RESOLUTION: [],
        }
        self.replied = False
        self.replies = 0  # public replies that count as responses (reports: first contact)
        self.reopens = 0
        self.solved_at: int | None = None  # the first time it became solved or closed
        self.closed = False
        self.last_at: int | None = None
        self.csat: list[tuple[int, int]] = []

    @property
    def created(self) -> bool:
        return bool(self.timeline)

    @property
    def created_at(self) -> int:
        return self.timeline[0][0]

    @property
    def done(self) -> bool:
        return self.status in DONE

    def apply(self, event: Event) -> None:
        """Apply the next event of this ticket; raises :class:`SequenceError` when it cannot follow."""
        if self.last_at is not None and event.at < self.last_at:
            raise SequenceError(
                f"event {event.id!r} at is earlier than the ticket's last event; replay the ticket"
            )
        if event.type == CREATED:
            if self.timeline:
                raise SequenceError(
                    f"event {event.id!r}: second ticket.created for ticket {self.id!r}"
                )
            self._created(event)
        elif not self.timeline:
            raise SequenceError(
                f"event {event.id!r}: ticket {self.id!r} has no ticket.created before it"
            )
        elif self.closed:
            raise SequenceError(
                f"event {event.id!r}: ticket {self.id!r} is closed; nothing may follow"
            )
        elif event.type == UPDATED:
            self._updated(event)
        elif event.type == COMMENT:
            self._comment(event)
        elif event.type == CSAT:
            self.csat.append((event.at, event.score))
        self.last_at = event.at

    # -- the rules of SPEC §5 ------------------------------------------------------------------

    def _start(self, metric: str, at: int, event: str) -> Cycle:
        cycles = self.cycles[metric]
        cycle = Cycle(metric, len(cycles) + 1, at, len(self.timeline) - 1, event)
        cycles.append(cycle)
        return cycle

    def open_cycle(self, metric: str) -> Cycle | None:
        cycles = self.cycles[metric]
        if cycles and cycles[-1].stopped_at is None:
            return cycles[-1]
        return None

    def _created(self, event: Event) -> None:
        values = dict(event.changes)
        status = values.pop("status", "new")
        self.attrs = Attributes(**values)
        self.status = status
        self.timeline.append((event.at, status))
        self.snapshots.append((event.at, event.id, self.attrs))
        self._start(FIRST_RESPONSE, event.at, event.id)
        self._start(RESOLUTION, event.at, event.id)
        if status in DONE:
            self._became_done(event)
        self.closed = status == "closed"

    def _updated(self, event: Event) -> None:
        values = dict(event.changes)
        status = values.pop("status", None)
        if values:
            attrs = self.attrs._replace(**values)
            if attrs != self.attrs:
                self.attrs = attrs
                self.snapshots.append((event.at, event.id, attrs))
        if status is None or status == self.status:
            return
        was_done = self.status in DONE
        self.status = status
        self.timeline.append((event.at, status))
        if status in DONE and not was_done:
            self._became_done(event)
        elif was_done and status not in DONE:
            self._reopened(event)
        self.closed = status == "closed"

    def _became_done(self, event: Event) -> None:
        attrs, at, event_id = self.attrs, event.at, event.id
        if self.solved_at is None:
            self.solved_at = at
        cycles = self.cycles
        for metric in (FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE):
            found = cycles[metric]
            if found and found[-1].stopped_at is None:
                found[-1].stop(at, "cancelled", attrs, event_id)
        found = cycles[RESOLUTION]
        if found and found[-1].stopped_at is None:
            found[-1].stop(at, "achieved", attrs, event_id)

    def _reopened(self, event: Event) -> None:
        self.reopens += 1
        last = self.cycles[RESOLUTION][-1]
        if self.rules.resolution_on_reopen == "restart":
            self._start(RESOLUTION, event.at, event.id)
        else:
            last.resume(event.at, event.id)

    def _comment(self, event: Event) -> None:
        if not event.public:
            return
        author = event.author
        if author == "agent" or (author == "system" and self.rules.system_replies_count):
            for metric in (FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE):
                cycle = self.open_cycle(metric)
                if cycle is not None:
                    cycle.stop(event.at, "achieved", self.attrs, event.id)
            self.replied = True
            self.replies += 1
            if self.status not in DONE:
                self._start(PERIODIC_UPDATE, event.at, event.id)
        elif (
            author == "customer"
            and self.replied
            and self.status not in DONE
            and self.open_cycle(NEXT_RESPONSE) is None
        ):
            self._start(NEXT_RESPONSE, event.at, event.id)


def replay(ticket: str, events: list[Event], rules: Rules) -> TicketState:
    """A fresh state with every event applied in the given order."""
    state = TicketState(ticket, rules)
    for event in events:
        state.apply(event)
    return state
