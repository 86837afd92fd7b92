"""Use case: evaluate every clock of a ticket history at an instant (``slakeeper evaluate``).

Input records come from an adapter as ``(line, decoded object)`` pairs, where an object that could
not be decoded arrives as a :class:`BadEvent`. Every event is validated, the whole history is
checked in order, and only then are clocks returned: bad input yields an :class:`EventError` with
one issue per bad event and no clocks at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slakeeper.domain.clocks import Clock, clocks
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import EventError, Issue
from slakeeper.domain.events import BadEvent, EventLog, parse_event
from slakeeper.domain.ticket import Rules, TicketState

MAX_ISSUES = 1000  # beyond this many bad events, the rest are counted, not listed

Record = tuple[int, object]


@dataclass(frozen=True, slots=True)
class Evaluation:
    clocks: list[Clock]
    events: int  # distinct events read
    duplicates: int  # exact repeats ignored
    tickets: int


def rules_of(config: SlaConfig) -> Rules:
    return Rules(config.system_replies_count, config.resolution_on_reopen)


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
    log = EventLog()
    issues: list[Issue] = []
    extra = 0
    duplicates = 0

    def problem(line: int, message: str) -> None:
        nonlocal extra
        if len(issues) < MAX_ISSUES:
            issues.append(Issue(f"line {line}" if line else "", message))
        else:
            extra += 1

    for seq, (line, obj) in enumerate(records):
        if isinstance(obj, BadEvent):
            problem(line, str(obj))
            continue
        try:
            if not log.add(parse_event(obj, seq, line)):
                duplicates += 1
        except BadEvent as exc:
            problem(line, str(exc))

    rules = rules_of(config)
    out: list[Clock] = []
    tickets = log.tickets()
    for done, ticket in enumerate(tickets, 1):
        state = TicketState(ticket, rules)
        evaluated = False
        for event in log.pop_history(ticket):
            if not evaluated and event.at > now:
                if not issues:
                    out.extend(clocks(state, config, now))
                evaluated = True
            try:
                state.apply(event)
            except BadEvent as exc:
                problem(event.line, str(exc))
                evaluated = True
                break
        if not evaluated and not issues and state.created:
            out.extend(clocks(state, config, now))
        if on_ticket is not None:
            on_ticket(done)
    if extra:
        issues.append(Issue("", f"... and {extra} more bad events"))
    if issues:
        raise EventError(issues)
    return Evaluation(out, len(log), duplicates, len(tickets))
