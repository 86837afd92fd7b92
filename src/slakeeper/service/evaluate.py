"""Use cases over a ticket history: evaluate every clock at an instant, or explain one ticket's.

Input records come from an adapter as ``(line, decoded object)`` pairs, where an object that could
not be decoded arrives as a :class:`BadEvent`. Every event is validated and every ticket's history
checked in order before any clock is returned: bad input yields one :class:`EventError` with an
issue per bad event, and no clocks at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from slakeeper.domain.clocks import Clock, Explanation, clocks, explain
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import EventError, Issue
from slakeeper.domain.events import BadEvent, Event, EventLog, parse_event
from slakeeper.domain.reports import TicketFacts, facts_of
from slakeeper.domain.ticket import Rules, TicketState

MAX_ISSUES = 1000  # beyond this many bad events, the rest are counted, not listed

Record = tuple[int, object]


@dataclass(frozen=True, slots=True)
class Evaluation:
    clocks: list[Clock]
    events: int  # distinct events read
    duplicates: int  # exact repeats ignored
    tickets: int


@dataclass(slots=True)
class Problems:
    """The bad events found: the first :data:`MAX_ISSUES` listed, the rest counted."""

    issues: list[Issue] = field(default_factory=list)
    extra: int = 0

    def add(self, line: int, message: str) -> None:
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(Issue(f"line {line}" if line else "", message))
        else:
            self.extra += 1

    def __bool__(self) -> bool:
        return bool(self.issues or self.extra)

    def raise_if_any(self) -> None:
        if self.extra:
            self.issues.append(Issue("", f"... and {self.extra} more bad events"))
        if self.issues:
            raise EventError(self.issues)


def rules_of(config: SlaConfig) -> Rules:
    return Rules(config.system_replies_count, config.resolution_on_reopen)


def load(records: Iterable[Record], problems: Problems) -> tuple[EventLog, int]:
    """Validate and deduplicate every record; returns the log and the count of exact repeats."""
    log = EventLog()
    duplicates = 0
    for seq, (line, obj) in enumerate(records):
        if isinstance(obj, BadEvent):
            problems.add(line, str(obj))
            continue
        try:
            if not log.add(parse_event(obj, seq, line)):
                duplicates += 1
        except BadEvent as exc:
            problems.add(line, str(exc))
    return log, duplicates


def load_events(records: Iterable[Record]) -> EventLog:
    """Every record validated and deduplicated into a log; one :class:`EventError` names every
    bad event (the histories' order is checked when they are replayed)."""
    problems = Problems()
    log, _ = load(records, problems)
    problems.raise_if_any()
    return log


def replay(
    ticket: str,
    history: list[Event],
    rules: Rules,
    now: int,
    problems: Problems,
    at_now: Callable[[TicketState], None],
) -> bool:
    """Apply the ticket's history, calling ``at_now`` with its state at ``now``.

    The events after ``now`` are still applied afterwards, to check them; a history that is not
    valid records its problem and stops (False).
    """
    state = TicketState(ticket, rules)
    reached = False
    for event in history:
        if not reached and event.at > now:
            reached = True
            if state.created:
                at_now(state)
        try:
            state.apply(event)
        except BadEvent as exc:
            problems.add(event.line, str(exc))
            return False
    if not reached and state.created:
        at_now(state)
    return True


def evaluate(
    config: SlaConfig,
    records: Iterable[Record],
    now: int,
    *,
    on_ticket: Callable[[int], None] | None = None,
) -> Evaluation:
    """Clocks of every ticket at ``now`` (µs), ordered by ticket, metric and cycle.

    Events with ``at`` after ``now`` are validated but not applied.
    """
    problems = Problems()
    log, duplicates = load(records, problems)
    rules = rules_of(config)
    out: list[Clock] = []
    tickets = log.tickets()

    def collect(state: TicketState) -> None:
        if not problems.issues:  # with bad input nothing is returned: spare the work
            out.extend(clocks(state, config, now))

    for done, ticket in enumerate(tickets, 1):
        replay(ticket, log.pop_history(ticket), rules, now, problems, collect)
        if on_ticket is not None:
            on_ticket(done)
    problems.raise_if_any()
    return Evaluation(out, len(log), duplicates, len(tickets))


def ticket_facts(
    config: SlaConfig,
    records: Iterable[Record],
    now: int,
    histories: dict[str, list[Event]] | None = None,
) -> list[TicketFacts]:
    """Every ticket as reports see it at ``now`` (its attributes, replies, reopens, last rating
    and clocks), ordered by ticket; the whole input is validated as for :func:`evaluate`.
    ``histories``, when given, receives every ticket's events (for timelines)."""
    problems = Problems()
    log, _ = load(records, problems)
    rules = rules_of(config)
    out: list[TicketFacts] = []

    def collect(state: TicketState) -> None:
        if not problems.issues:
            out.append(facts_of(state, clocks(state, config, now)))

    for ticket in log.tickets():
        history = log.pop_history(ticket)
        if histories is not None:
            histories[ticket] = [e for e in history if e.at <= now]
        replay(ticket, history, rules, now, problems, collect)
    problems.raise_if_any()
    return out


def explain_ticket(
    config: SlaConfig, records: Iterable[Record], ticket: str, now: int
) -> list[Explanation]:
    """Every clock of one ticket at ``now`` with its explanation; the whole input is validated."""
    problems = Problems()
    log, _ = load(records, problems)
    rules = rules_of(config)
    found: list[Explanation] | None = None

    def keep(state: TicketState) -> None:
        nonlocal found
        found = explain(state, config, now)

    for name in log.tickets():
        history = log.pop_history(name)
        replay(name, history, rules, now, problems, keep if name == ticket else _ignore)
    problems.raise_if_any()
    if found is None:
        raise EventError(
            [Issue("", f"no ticket {ticket!r} was created up to the evaluation instant")]
        )
    return found


def _ignore(state: TicketState) -> None:
    """Other tickets are replayed only to check them."""
