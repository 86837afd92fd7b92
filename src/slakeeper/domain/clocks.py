"""Clocks (SPEC §5): each cycle of a ticket evaluated at an instant under its applying policy.

For a cycle the applying policy is selected with the ticket's attributes at the clock's end; its
target, calendar and pause statuses then apply to the clock's whole history. ``elapsed`` is the
calendar's business time over the running intervals; ``due_at`` is where that reaches the target,
measured on the real history and as running after the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from slakeeper.domain.policy import DONE, METRICS, Attributes, Policy, Selection, Verdict
from slakeeper.domain.ticket import RESOLUTION, Cycle, Mark, TicketState

if TYPE_CHECKING:
    from slakeeper.domain.config import SlaConfig

ACTIVE, PAUSED, ACHIEVED, CANCELLED = "active", "paused", "achieved", "cancelled"


class Clock(NamedTuple):
    """One clock as SPEC §6 reports it; instants and durations in µs (UTC epoch)."""

    ticket: str
    metric: str
    cycle: int
    policy: str
    target: int
    started_at: int
    stopped_at: int | None
    status: str
    elapsed: int
    due_at: int | None
    breached: bool


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the clock's life with one ticket status."""

    start: int
    end: int
    status: str
    running: bool
    business: int  # business µs of this stretch when running, else 0


@dataclass(frozen=True, slots=True)
class Retarget:
    """An attribute change during the clock that changed the policy or target it would get."""

    at: int
    event: str
    policy: str | None
    target: int | None


@dataclass(frozen=True, slots=True)
class Explanation:
    clock: Clock
    selection: list[Verdict]
    calendar: str
    pause_statuses: list[str]
    marks: list[Mark]
    segments: list[Segment]
    retargets: list[Retarget] = field(default_factory=list)


def _running(status: str, pause: frozenset[str], metric: str) -> bool:
    return status not in pause and not (metric == RESOLUTION and status in DONE)


def _segments(
    state: TicketState, cycle: Cycle, end: int, policy: Policy
) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, status, running) stretches of the cycle's life ``[started_at, end)``."""
    timeline = state.timeline
    pause = policy.pause_statuses
    resolution = cycle.metric == RESOLUTION
    n = len(timeline)
    i = cycle.start_index
    t = cycle.started_at
    while t < end:
        status = timeline[i][1]
        stop = timeline[i + 1][0] if i + 1 < n else end
        if stop > end:
            stop = end
        if stop > t:
            yield t, stop, status, status not in pause and not (resolution and status in DONE)
            t = stop
        if i + 1 >= n:
            break
        i += 1


def evaluate_cycle(state: TicketState, cycle: Cycle, selection: Selection, now: int) -> Clock:
    """The clock of ``cycle`` at ``now`` under ``selection``."""
    policy, target = selection.policy, selection.target
    calendar = policy.calendar
    stopped = cycle.stopped_at
    end = now if stopped is None else stopped
    elapsed = 0
    due_at: int | None = None
    run_start = run_end = -1  # the running stretch being gathered (adjacent ones are merged)
    for start, stop, _status, running in _segments(state, cycle, end, policy):
        if not running:
            continue
        if start == run_end:
            run_end = stop
            continue
        if run_end > run_start:
            part = calendar.elapsed_us(run_start, run_end)
            if due_at is None and elapsed + part >= target:
                due_at = calendar.add_us(run_start, target - elapsed)
            elapsed += part
        run_start, run_end = start, stop
    if run_end > run_start:
        part = calendar.elapsed_us(run_start, run_end)
        if due_at is None and elapsed + part >= target:
            due_at = calendar.add_us(run_start, target - elapsed)
        elapsed += part
    if stopped is not None:
        status = cycle.outcome or ACHIEVED
        if due_at is None:
            due_at = calendar.add_us(end, target - elapsed)
    else:
        running_now = _running(state.status, policy.pause_statuses, cycle.metric)
        status = ACTIVE if running_now else PAUSED
        if due_at is None and running_now:
            due_at = calendar.add_us(end, target - elapsed)
    breached = due_at is not None and due_at < end
    return _new(
        Clock,
        (
            state.id,
            cycle.metric,
            cycle.number,
            policy.name,
            target,
            cycle.started_at,
            stopped,
            status,
            elapsed,
            due_at,
            breached,
        ),
    )


_new = tuple.__new__  # builds a Clock without the generated __new__'s Python-level call


def end_attributes(state: TicketState, cycle: Cycle) -> Attributes:
    return state.attrs if cycle.end_attrs is None else cycle.end_attrs


def clocks(state: TicketState, config: SlaConfig, now: int) -> list[Clock]:
    """Every tracked clock of the ticket at ``now`` (after its last applied event), in SPEC §6 order."""
    if state.last_at is not None and now < state.last_at:
        raise ValueError("evaluation instant is before the ticket's last applied event")
    out = []
    book = config.book
    for metric in METRICS:
        for cycle in state.cycles[metric]:
            selection = book.select(metric, end_attributes(state, cycle), cycle.started_at)
            if selection is not None:
                out.append(evaluate_cycle(state, cycle, selection, now))
    return out


def explain(state: TicketState, config: SlaConfig, now: int) -> list[Explanation]:
    """Each tracked clock with why its policy applied, how it ran and what re-targeted it."""
    out = []
    book = config.book
    for metric in METRICS:
        for cycle in state.cycles[metric]:
            attrs = end_attributes(state, cycle)
            selection = book.select(metric, attrs, cycle.started_at)
            if selection is None:
                continue
            clock = evaluate_cycle(state, cycle, selection, now)
            policy = selection.policy
            end = now if cycle.stopped_at is None else cycle.stopped_at
            segments = []
            for start, stop, status, running in _segments(state, cycle, end, policy):
                business = policy.calendar.elapsed_us(start, stop) if running else 0
                segments.append(Segment(start, stop, status, running, business))
            out.append(
                Explanation(
                    clock=clock,
                    selection=book.explain(metric, attrs, cycle.started_at),
                    calendar=policy.calendar.name,
                    pause_statuses=sorted(policy.pause_statuses),
                    marks=list(cycle.marks),
                    segments=segments,
                    retargets=_retargets(state, config, cycle, end),
                )
            )
    return out


def _retargets(state: TicketState, config: SlaConfig, cycle: Cycle, end: int) -> list[Retarget]:
    book = config.book
    found = []
    previous: tuple[str | None, int | None] | None = None
    for at, event, attrs in state.snapshots:
        if at > end:
            break
        selection = book.select(cycle.metric, attrs, cycle.started_at)
        current = (selection.policy.name, selection.target) if selection else (None, None)
        if at > cycle.started_at and previous is not None and current != previous:
            found.append(Retarget(at, event, current[0], current[1]))
        previous = current
    return found
