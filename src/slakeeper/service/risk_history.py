"""Breach prediction's view of a ticket history: every open clock's situation at regular instants,
each clock's outcome, and when the plain 75% rule would have warned it.

The history is replayed once, in order of ``at`` across all tickets, as a live desk would have
seen it. After each event the ticket's open clocks are evaluated at that instant (as the store
derives its clock rows); at each sampling instant every running clock not yet breached is carried
forward from there (business time used grows on the policy's calendar), and its
:class:`~slakeeper.domain.risk_features.Situation` is taken with the desk's counts at that instant
(tickets nobody is assigned to, each assignee's open tickets). Nothing from later events leaks
into a situation. A clock's outcome — breached or met — is read from the whole history at its end;
a clock still running and not breached at the end has no outcome yet, and neither have the
situations taken of it.

The 75% rule warns a clock at the instant its business time used reaches 75% of its target,
exactly as the monitoring worker plans a ``"75%"`` warning.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.domain.clocks import ACTIVE, end_attributes, evaluate_cycle
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import EventError, Issue
from slakeeper.domain.events import COMMENT, BadEvent, Event
from slakeeper.domain.policy import DONE, METRICS
from slakeeper.domain.risk_features import (
    ACTIVE_WINDOW,
    IDLE_CAP,
    DueOrder,
    Situation,
    hour_of_week,
)
from slakeeper.domain.ticket import TicketState
from slakeeper.service.evaluate import Record, load_events, rules_of

RULE_SHARE = (3, 4)  # the 75% rule, as a fraction


@dataclass(slots=True)
class ClockTrack:
    """One clock of the history: when the 75% rule warned it, and how it ended."""

    ticket: str
    metric: str
    cycle: int
    priority: str
    started_at: int
    rule_at: int | None = None
    breached: bool | None = None  # None: still running, not breached, at the end of history
    breach_at: int | None = None
    settled_at: int | None = None  # when its outcome was known: the breach or the stop


@dataclass(slots=True)
class Sampled:
    """The situations taken, each with its instant and its clock (index into ``clocks``)."""

    situations: list[Situation] = field(default_factory=list)
    at: list[int] = field(default_factory=list)
    clock: list[int] = field(default_factory=list)
    clocks: list[ClockTrack] = field(default_factory=list)
    start: int = 0  # the first event's instant
    end: int = 0  # the end of the replay


@dataclass(slots=True)
class _Live:
    track: int
    calendar: BusinessCalendar
    target: int
    elapsed: int
    due_at: int
    running: bool
    derived_at: int
    rule_pending: int | None  # when the 75% rule will warn if the clock keeps running


class _Desk:
    """Counts a live desk knows: open tickets nobody is assigned to (by group), open tickets per
    assignee, and who replied lately (a public agent reply is the ticket's assignee's)."""

    def __init__(self) -> None:
        self.unassigned = 0
        self.unassigned_by_group: Counter[str | None] = Counter()
        self.load: Counter[str] = Counter()
        self.last_reply: dict[str, int] = {}
        self._recent: deque[tuple[int, str, str | None]] = deque()
        self._active: Counter[str] = Counter()
        self._active_in: dict[str | None, Counter[str]] = {}

    def replied(self, at: int, agent: str, group: str | None) -> None:
        self.last_reply[agent] = at
        self._recent.append((at, agent, group))
        self._active[agent] += 1
        self._active_in.setdefault(group, Counter())[agent] += 1

    def forget_before(self, t: int) -> None:
        recent = self._recent
        while recent and recent[0][0] < t:
            _, agent, group = recent.popleft()
            self._active[agent] -= 1
            if not self._active[agent]:
                del self._active[agent]
            inside = self._active_in[group]
            inside[agent] -= 1
            if not inside[agent]:
                del inside[agent]

    def active(self, group: str | None = None, anywhere: bool = True) -> int:
        if anywhere:
            return len(self._active)
        found = self._active_in.get(group)
        return len(found) if found else 0

    def count(self, state: TicketState, sign: int) -> None:
        if not state.created or state.status in DONE:
            return
        assignee = state.attrs.assignee
        if assignee is None:
            self.unassigned += sign
            self.unassigned_by_group[state.attrs.group] += sign
        else:
            self.load[assignee] += sign


def history_events(records: Iterable[Record]) -> list[Event]:
    """Every event of a history, validated, in order of ``at`` (ties in the order read);
    :class:`EventError` names every bad event."""
    log = load_events(records)
    events: list[Event] = [e for ticket in log.tickets() for e in log.pop_history(ticket)]
    events.sort(key=lambda e: (e.at, e.seq))
    return events


def replay_history(
    config: SlaConfig,
    records: Iterable[Record],
    step: Callable[[int], int],
    end: int | None = None,
) -> Sampled:
    """Replay a history; ``step(t)`` gives the gap (µs) from sampling instant ``t`` to the next.

    The replay ends at ``end`` (default: the last event's instant). Bad input raises
    :class:`EventError` naming every bad event, as ``slakeeper evaluate`` does.
    """
    return replay_events(config, history_events(records), step, end)


def replay_events(
    config: SlaConfig, events: list[Event], step: Callable[[int], int], end: int | None = None
) -> Sampled:
    """:func:`replay_history` over events already validated and ordered."""
    out = Sampled()
    if not events:
        return out
    rules = rules_of(config)
    book = config.book
    states: dict[str, TicketState] = {}
    live: dict[str, list[_Live]] = {}
    tracks: dict[tuple[str, str, int], int] = {}
    desk = _Desk()
    local_cache: dict[tuple[int, int], tuple[int, bool]] = {}
    out.start = events[0].at
    out.end = end if end is not None else events[-1].at
    problems: list[Issue] = []
    broken: set[str] = set()

    def local_hour(calendar: BusinessCalendar, t: int) -> tuple[int, bool]:
        key = (id(calendar), t)  # calendars live as long as the replay's configuration
        found = local_cache.get(key)
        if found is None:
            found = (hour_of_week(calendar.timezone, t), calendar.is_open_us(t))
            if len(local_cache) > 4096:
                local_cache.clear()
            local_cache[key] = found
        return found

    def derive(state: TicketState, at: int) -> None:
        found: list[_Live] = []
        for metric in METRICS:
            cycle = state.open_cycle(metric)
            if cycle is None:
                continue
            selection = book.select(metric, state.attrs, cycle.started_at)
            if selection is None:
                continue
            clock = evaluate_cycle(state, cycle, selection, at)
            key = (state.id, metric, cycle.number)
            index = tracks.get(key)
            if index is None:
                index = tracks[key] = len(out.clocks)
                out.clocks.append(
                    ClockTrack(
                        state.id, metric, cycle.number, state.attrs.priority, cycle.started_at
                    )
                )
            calendar = selection.policy.calendar
            running = clock.status == ACTIVE and clock.due_at is not None
            pending = None
            if running and out.clocks[index].rule_at is None:
                share = clock.target * RULE_SHARE[0] // RULE_SHARE[1]
                pending = (
                    calendar.add_us(at, share - clock.elapsed) if clock.elapsed < share else at
                )
            found.append(
                _Live(
                    index,
                    calendar,
                    clock.target,
                    clock.elapsed,
                    clock.due_at if clock.due_at is not None else at,
                    running,
                    at,
                    pending,
                )
            )
        if found:
            live[state.id] = found
        else:
            live.pop(state.id, None)

    def fire_rule(ticket: str, until: int) -> None:
        for item in live.get(ticket, ()):
            if item.rule_pending is not None and item.rule_pending <= until:
                track = out.clocks[item.track]
                if track.rule_at is None:
                    track.rule_at = item.rule_pending
                item.rule_pending = None

    def sample(t: int) -> None:
        queue = desk.unassigned
        by_group, load, last_reply = desk.unassigned_by_group, desk.load, desk.last_reply
        desk.forget_before(t - ACTIVE_WINDOW)
        active = desk.active()
        group_active: dict[str | None, int] = {}
        order = DueOrder(
            (states[ticket].attrs.group, states[ticket].attrs.assignee, item.due_at)
            for ticket, items in live.items()
            for item in items
            if item.running
        )
        for ticket, items in live.items():
            state = states[ticket]
            attrs = state.attrs
            for item in items:
                if not item.running or item.due_at <= t:
                    continue
                elapsed = item.elapsed + item.calendar.elapsed_us(item.derived_at, t)
                if elapsed >= item.target:
                    continue
                how, open_now = local_hour(item.calendar, t)
                track = out.clocks[item.track]
                group = attrs.group
                in_group = group_active.get(group)
                if in_group is None:
                    in_group = group_active[group] = desk.active(group, anywhere=False)
                assignee = attrs.assignee
                idle = IDLE_CAP
                if assignee is not None and assignee in last_reply:
                    idle = min(t - last_reply[assignee], IDLE_CAP)
                out.situations.append(
                    Situation(
                        track.metric,
                        attrs.priority,
                        attrs.channel,
                        attrs.customer,
                        attrs.group,
                        state.status,
                        attrs.assignee,
                        item.target,
                        elapsed,
                        item.due_at - t,
                        t - state.created_at,
                        track.cycle,
                        state.replies,
                        state.reopens,
                        queue,
                        by_group[attrs.group],
                        load[attrs.assignee] if attrs.assignee is not None else 0,
                        how,
                        open_now,
                        active,
                        in_group,
                        idle,
                        order.before(group, assignee, item.due_at),
                    )
                )
                out.at.append(t)
                out.clock.append(item.track)

    tick = out.start
    for event in events:
        if event.at > out.end:
            break
        while tick < event.at:
            sample(tick)
            tick += step(tick)
        ticket = event.ticket
        if ticket in broken:
            continue
        state = states.get(ticket)
        if state is None:
            state = states[ticket] = TicketState(ticket, rules)
        fire_rule(ticket, event.at)
        desk.count(state, -1)
        try:
            state.apply(event)
        except BadEvent as exc:
            problems.append(Issue(f"line {event.line}" if event.line else "", str(exc)))
            broken.add(ticket)
            live.pop(ticket, None)
            continue
        desk.count(state, +1)
        assignee = state.attrs.assignee
        if event.type == COMMENT and event.author == "agent" and event.public and assignee:
            desk.replied(event.at, assignee, state.attrs.group)
        derive(state, event.at)
    while tick < out.end:
        sample(tick)
        tick += step(tick)
    if problems:
        raise EventError(problems)
    for ticket in list(live):
        fire_rule(ticket, out.end)
    _settle(config, states, tracks, out)
    return out


def _settle(
    config: SlaConfig,
    states: dict[str, TicketState],
    tracks: dict[tuple[str, str, int], int],
    out: Sampled,
) -> None:
    """Each clock's outcome from the whole history, evaluated at the end of the replay."""
    book = config.book
    for state in states.values():
        for metric in METRICS:
            for cycle in state.cycles[metric]:
                index = tracks.get((state.id, metric, cycle.number))
                if index is None:
                    continue
                selection = book.select(metric, end_attributes(state, cycle), cycle.started_at)
                if selection is None:
                    continue
                clock = evaluate_cycle(state, cycle, selection, out.end)
                track = out.clocks[index]
                if clock.breached:
                    track.breached, track.breach_at = True, clock.due_at
                    track.settled_at = clock.due_at
                elif clock.stopped_at is not None:
                    track.breached, track.settled_at = False, clock.stopped_at
