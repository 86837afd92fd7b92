"""Read use cases: a ticket's clocks and explanation, lists of clocks, the at-risk queue.

A ticket's own clocks are computed from its events at the asked instant, exactly as
``slakeeper evaluate`` does. Lists come from the stored clocks, indexed by due instant; a running
clock's elapsed time and breach are brought forward to the instant of the question.
"""

from __future__ import annotations

from dataclasses import dataclass

from slakeeper.domain.clocks import Clock, Explanation, clocks, explain
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import SlakeeperError
from slakeeper.domain.events import MAX_TEXT, Event
from slakeeper.domain.policy import METRICS
from slakeeper.domain.ticket import TicketState
from slakeeper.service.configuration import ConfigCache, require_config
from slakeeper.service.derive import replay_stored, stored_event
from slakeeper.service.ports import Store, UnitOfWork
from slakeeper.service.records import ClockFilter, ClockRow, RiskRow, StoredEvent, TicketRow


class NotFound(SlakeeperError):
    """The thing asked for does not exist (or is not visible to the caller)."""


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: TicketRow
    events: list[Event]
    explanations: list[Explanation]


MAX_CYCLE = 2**31 - 1  # cycles are 32-bit integers in the store


def storable(text: str) -> bool:
    """Whether ``text`` can be an id in the store: events refuse NULs and longer ones."""
    return len(text) <= MAX_TEXT and "\x00" not in text


def _find(store: Store, ticket: str) -> TicketRow | None:
    return store.ticket(ticket) if storable(ticket) else None


def _visible(row: TicketRow | None, customer: str | None, ticket: str) -> TicketRow:
    if row is None or (customer is not None and row.customer != customer):
        raise NotFound(f"no ticket {ticket!r}")
    return row


def ticket_clocks(
    uow: UnitOfWork, cache: ConfigCache, ticket: str, at: int, customer: str | None = None
) -> list[Clock]:
    """The SPEC §6 clocks of one ticket at ``at`` (events after ``at`` are not applied)."""
    _, config, _, state = replay_ticket(uow, cache, ticket, at, customer)
    if not state.created:
        return []
    return clocks(state, config, max(at, state.last_at or at))


def ticket_view(
    uow: UnitOfWork, cache: ConfigCache, ticket: str, at: int, customer: str | None = None
) -> TicketView:
    """The ticket with its event timeline and an explanation of each clock at ``at``."""
    row, config, history, state = replay_ticket(uow, cache, ticket, at, customer)
    found = explain(state, config, max(at, state.last_at or at)) if state.created else []
    return TicketView(row, [stored_event(r) for r in history], found)


def replay_ticket(
    uow: UnitOfWork, cache: ConfigCache, ticket: str, at: int, customer: str | None = None
) -> tuple[TicketRow, SlaConfig, list[StoredEvent], TicketState]:
    """A visible ticket's stored row, the current configuration, its stored history and its
    state after the events with ``at`` or earlier (``state.created`` is false before its
    creation); :class:`NotFound` for an unknown ticket or one of another customer."""
    with uow.read() as store:
        row = _visible(_find(store, ticket), customer, ticket)
        current = require_config(cache, store)
        history = store.histories([ticket])[ticket]
    return row, current.config, history, replay_stored(ticket, history, current.config, upto=at)


def bring_forward(row: ClockRow, config: SlaConfig, now: int) -> Clock:
    """A stored clock as it stands at ``now``: a running clock keeps running until now."""
    clock = row.clock
    if clock.status != "active" or now <= row.derived_at:
        return clock
    policy = config.book.named(clock.policy)
    if policy is None:
        return clock
    elapsed = clock.elapsed + policy.calendar.elapsed_us(row.derived_at, now)
    breached = clock.breached or (clock.due_at is not None and clock.due_at < now)
    return clock._replace(elapsed=elapsed, breached=breached)


@dataclass(frozen=True, slots=True)
class ClockPage:
    clocks: list[Clock]
    next_cursor: str | None


def encode_cursor(clock: Clock) -> str:
    return f"{METRICS.index(clock.metric)}.{clock.cycle}.{clock.ticket}"


def decode_cursor(cursor: str) -> tuple[str, int, int]:
    try:
        metric, cycle, ticket = cursor.split(".", 2)
        index, number = int(metric), int(cycle)
        if not 0 <= index < len(METRICS) or not 0 <= number <= MAX_CYCLE or not ticket:
            raise ValueError
        if not storable(ticket):
            raise ValueError
    except ValueError:
        raise ValueError(f"cursor {cursor!r} is not one this API gave out") from None
    return ticket, index, number


def list_clocks(
    uow: UnitOfWork, cache: ConfigCache, f: ClockFilter, cursor: str | None, limit: int
) -> ClockPage:
    after = decode_cursor(cursor) if cursor else None
    if any(v is not None and not storable(v) for v in (f.customer, f.service, f.group)) or (
        f.policy is not None and "\x00" in f.policy
    ):
        return ClockPage([], None)  # no stored clock has such a value
    with uow.read() as store:
        current = require_config(cache, store)
        rows = store.clocks(f, after, limit + 1)
    more = len(rows) > limit
    found = [bring_forward(r, current.config, f.now) for r in rows[:limit]]
    return ClockPage(found, encode_cursor(found[-1]) if more and found else None)


@dataclass(frozen=True, slots=True)
class AtRisk:
    """A running clock of the at-risk queue, with its latest breach risk when a model scored it."""

    clock: Clock
    risk: RiskRow | None


def at_risk(
    uow: UnitOfWork,
    cache: ConfigCache,
    now: int,
    within: int,
    customer: str | None,
    limit: int,
    min_risk: float | None = None,
) -> list[AtRisk]:
    """Running clocks due within ``within`` µs from ``now`` — and, with ``min_risk``, the running
    clocks whose latest risk is at least that, however far their due instant — soonest first."""
    with uow.read() as store:
        current = require_config(cache, store)
        rows = store.due_between(now, now + within, customer, limit)
        if min_risk is not None:
            seen = {(r.clock.ticket, r.clock.metric, r.clock.cycle) for r in rows}
            for row in store.risky_clocks(min_risk, customer, limit):
                if (row.clock.ticket, row.clock.metric, row.clock.cycle) not in seen:
                    rows.append(row)
        risks = store.risks_of([(r.clock.ticket, r.clock.metric, r.clock.cycle) for r in rows])
    found = [bring_forward(r, current.config, now) for r in rows]
    found.sort(key=lambda c: (c.due_at if c.due_at is not None else now, c.ticket))
    return [AtRisk(c, risks.get((c.ticket, c.metric, c.cycle))) for c in found[:limit]]
