"""Routing advice: the agents of the roster ranked for one ticket, with the reasons (docs/routing.md).

Pure and explicit: everything is an argument — the configuration (whose policies give the
clocks' calendars and the targets of replies still to come), the roster, each agent's load (open
tickets assigned to them), the ticket's attributes, its clocks at ``now`` (as
:func:`slakeeper.domain.clocks.clocks` gives them) and ``now`` (µs). Nothing reads the clock.

The score of an agent is a **cost**: the SLA time the ticket is expected to lose with that agent,
as a share of each target (0.25 = a quarter of a target), lower is better:

- **the running reply clock** (first or next response, periodic update): the policy's business
  time from now to the agent's expected reply — the estimated work (``Weights.first_reply`` ÷
  speed) counted on the agent's shifts, so a shift that ends first pushes the reply to the next
  one (an agent keeps a ticket across the end of a shift); plus ``Weights.late`` when that reply
  would come after the due instant (unless it is overdue already: late with anyone);
- **the resolution clock**: the same to the expected answer (``first_reply + handling``),
  weighted by ``Weights.resolution``;
- **replies still to come** (next responses and periodic updates, with the policies the ticket
  would get now) and the resolution clock: their policies' business time while the agent is
  away — off shift, or not there yet — in the next ``Weights.horizon``, weighted by
  ``Weights.follow_up`` (the resolution clock by ``follow_up × resolution``): a customer's
  answer waits for the agent's return;
- a little for the **load** (share of capacity in use), for **breadth** (a generalist is kept
  for the tickets only they can take) and, for an agent not there yet, for each day the customer
  would wait (``Weights.waiting``).

Agents are ranked in tiers — skilled and free now; skilled, on shift, but full; skilled and off
shift (their cost counts the SLA time lost until they come); without the skill, listed last with
the reason — then by cost, then name. :attr:`Advice.wait_for` names a later agent so much better
(by ``Weights.wait_margin``) than the best free one that holding the ticket for them is advised,
or the best later agent when nobody is free.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

from slakeeper.domain.calendar import BusinessCalendar, from_us
from slakeeper.domain.calendar_spec import load_zone
from slakeeper.domain.clocks import ACTIVE, Clock
from slakeeper.domain.policy import Attributes
from slakeeper.domain.roster import ALL_SKILLS, RosterAgent, ticket_keys
from slakeeper.domain.stretches import next_opening, stretch_end
from slakeeper.domain.ticket import FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE, RESOLUTION

if TYPE_CHECKING:
    from slakeeper.domain.config import SlaConfig

_SECOND = 1_000_000
MINUTE = 60 * _SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_FAR = 400 * DAY  # an open stretch longer than this is "around the clock"
_FOREVER = 1 << 62
REPLIES = (FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE)
FOLLOW_UPS = (NEXT_RESPONSE, PERIODIC_UPDATE)  # clocks a reply may start later
FREE, FULL, AWAY, UNSKILLED = 0, 1, 2, 3  # the tiers, best first
_WORDS = {
    FIRST_RESPONSE: "first response",
    NEXT_RESPONSE: "next response",
    PERIODIC_UPDATE: "periodic update",
    RESOLUTION: "resolution",
}


@dataclass(frozen=True, slots=True)
class Weights:
    """The estimates and weights of the cost; the defaults were tuned on the example team
    (docs/simulation.md, "Routing"). Work estimates are at speed 1, in the agent's shift time."""

    first_reply: int = 15 * MINUTE  # work before the first reply
    handling: int = 60 * MINUTE  # work from the first reply to the answer
    late: float = 5.0  # added when the expected reply comes after its due instant
    resolution: float = 0.3  # weight of the resolution clock's loss
    follow_up: float = 0.5  # weight of a reply still to come, per share of its target lost
    horizon: int = 3 * DAY  # how far ahead absences count
    load: float = 0.05  # per share of capacity in use
    breadth: float = 0.02  # a generalist ('*') costs this much, a single-skill agent nothing
    wait_margin: float = 0.3  # how much better a later agent must be to hold the ticket for them
    waiting: float = 0.1  # per day the customer would wait for a later agent (wall time)

    def __post_init__(self) -> None:
        if min(self.first_reply, self.handling, self.horizon) <= 0:
            raise ValueError("work estimates and the horizon must be positive")
        weights = (self.late, self.resolution, self.follow_up, self.load, self.breadth)
        if min(*weights, self.wait_margin, self.waiting) < 0:
            raise ValueError("weights and the margin must not be negative")


WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class Ranked:
    """One agent of the advice."""

    agent: str
    rank: int  # 1 = best
    tier: int  # FREE, FULL, AWAY or UNSKILLED
    cost: float | None  # the score, lower is better; None without the skill
    starts_at: int | None  # when they could take the ticket: now, their next shift; None: unknown
    reasons: tuple[str, ...]

    @property
    def available(self) -> bool:
        """Skilled, on shift, with a free place: may take the ticket now."""
        return self.tier == FREE


@dataclass(frozen=True, slots=True)
class Advice:
    at: int
    agents: tuple[Ranked, ...]  # every agent of the roster, best first
    wait_for: Ranked | None  # hold the ticket for this later agent; None: give it now
    reasons: tuple[str, ...]  # about the ticket: its deadlines

    @property
    def best(self) -> Ranked | None:
        """The best agent free now, or None."""
        first = self.agents[0] if self.agents else None
        return first if first is not None and first.available else None


@dataclass(frozen=True, slots=True)
class _Clock:
    """A clock the ranking looks at: open now (``due_at``) or still to come (None)."""

    metric: str
    policy: str
    calendar: BusinessCalendar
    target: int
    due_at: int | None


def advise(
    config: SlaConfig,
    roster: Sequence[RosterAgent],
    loads: Mapping[str, int],
    ticket: Attributes,
    clocks: Sequence[Clock],
    now: int,
    weights: Weights = WEIGHTS,
) -> Advice:
    """Every agent of ``roster`` ranked for ``ticket`` at ``now`` (µs), with the reasons.

    ``loads``: open tickets assigned per agent name (missing: 0). ``clocks``: the ticket's
    clocks at ``now``; the running ones count, and replies still to come are looked up in the
    configuration's policies with ``ticket``'s attributes.
    """
    running = _running_clocks(config, clocks)
    later = _later_clocks(config, ticket, running, now)
    keys = ticket_keys(ticket.group, ticket.service, ticket.tags)
    ranked: list[tuple[int, float, str, Ranked]] = []
    for agent in roster:
        item = _rank_one(agent, loads.get(agent.name, 0), keys, running, later, now, weights)
        ranked.append((item.tier, item.cost or 0.0, agent.name, item))
    ranked.sort(key=lambda r: r[:3])
    agents = tuple(
        Ranked(r.agent, n, r.tier, r.cost, r.starts_at, r.reasons)
        for n, (*_, r) in enumerate(ranked, start=1)
    )
    return Advice(now, agents, _wait_for(agents, weights), _ticket_reasons(running, now, weights))


def deadline(clocks: Sequence[Clock]) -> int | None:
    """The earliest due instant of the running reply clocks, else of any running clock: the key
    of an earliest-deadline-first queue. None when nothing runs."""
    running = [c for c in clocks if c.stopped_at is None and c.status == ACTIVE]
    replies = [c.due_at for c in running if c.metric in REPLIES and c.due_at is not None]
    dues = replies or [c.due_at for c in running if c.due_at is not None]
    return min(dues) if dues else None


# -- the cost of one agent -------------------------------------------------------------------------


def _rank_one(
    agent: RosterAgent,
    load: int,
    keys: frozenset[str],
    running: Sequence[_Clock],
    later: Sequence[_Clock],
    now: int,
    weights: Weights,
) -> Ranked:
    reasons: list[str] = []
    skill = agent.skill_for(keys)
    calendar, zone = agent.calendar, agent.calendar.timezone
    on_shift = calendar.is_open_us(now)
    if skill is None:
        has = ", ".join(sorted(agent.skills))
        return Ranked(
            agent.name, 0, UNSKILLED, None, None, (f"no skill for this ticket (has {has})",)
        )
    reasons.append("skills '*' (every ticket)" if skill == ALL_SKILLS else f"skill {skill}")
    stretches = _stretches(calendar, now, weights.horizon)
    if on_shift:
        start = now
        end = stretches[0][1]
        if end >= now + weights.horizon:
            reasons.append(f"on shift for the next {_span(weights.horizon)} and more")
        else:
            reasons.append(f"on shift until {_when(end, zone, now)} {zone}")
    else:
        start = stretches[0][0]
        reasons.append(f"off shift: next shift {_when(start, zone, now)} {zone}")
    places = f"{load} of {agent.capacity} tickets in work"
    tier = AWAY
    if on_shift:
        tier = FREE if load < agent.capacity else FULL
        reasons.append(places if tier == FREE else f"no free place: {places}")
    cost = 0.0
    reply_at = calendar.add_us(start, max(1, round(weights.first_reply / agent.speed)))
    answer_at = calendar.add_us(
        start, max(1, round((weights.first_reply + weights.handling) / agent.speed))
    )
    for clock in running:
        ends = reply_at if clock.metric in REPLIES else answer_at
        lost = clock.calendar.elapsed_us(now, ends) / clock.target
        share = 1.0 if clock.metric in REPLIES else weights.resolution
        cost += share * lost
        assert clock.due_at is not None
        if now < clock.due_at < ends:  # a clock already overdue is late with anyone
            cost += weights.late * share
            what = "reply" if clock.metric in REPLIES else "answer"
            reasons.append(
                f"{_WORDS[clock.metric]} would be late: {what} expected "
                f"{_when(ends, zone, now)}, due {_when(clock.due_at, zone, now)} {zone}"
            )
        if clock.metric in REPLIES and on_shift and reply_at > stretches[0][1]:
            reasons.append(
                f"shift ends in {_span(stretches[0][1] - now)}: the reply waits until "
                f"{_when(stretches[1][0], zone, now)} ({_WORDS[clock.metric]} loses "
                f"{_span(clock.calendar.elapsed_us(stretches[0][1], stretches[1][0]))})"
            )
    away = _absences(stretches, now, now + weights.horizon)
    worst: tuple[int, str] = (0, "")
    for clock in [*later, *(c for c in running if c.metric == RESOLUTION)]:
        lost_us = sum(clock.calendar.elapsed_us(a, b) for a, b in away)
        share = weights.follow_up * (weights.resolution if clock.metric == RESOLUTION else 1.0)
        cost += share * lost_us / clock.target
        if lost_us > worst[0]:
            worst = (lost_us, f"{_WORDS[clock.metric]} ({clock.policy})")
    if worst[0]:
        reasons.append(
            f"away during {_span(worst[0])} of {worst[1]} business time "
            f"in the next {_span(weights.horizon)}"
        )
    cost += weights.load * min(load, agent.capacity) / agent.capacity
    cost += weights.waiting * (start - now) / DAY
    if agent.generalist:
        cost += weights.breadth
        reasons.append("generalist: kept for tickets only they can take")
    else:
        cost += weights.breadth * (1 - 1 / len(agent.skills))
        if len(agent.skills) <= 2:
            reasons.append(f"specialist ({', '.join(sorted(agent.skills))})")
    return Ranked(agent.name, 0, tier, cost, start if tier != FULL else None, tuple(reasons))


def _wait_for(agents: Sequence[Ranked], weights: Weights) -> Ranked | None:
    """The best later agent when it beats the best free one by the margin, or when nobody is free."""
    free = next((a for a in agents if a.tier == FREE), None)
    later = next((a for a in agents if a.tier == AWAY), None)
    if later is None or later.cost is None:
        return None
    if free is None:
        return later
    assert free.cost is not None
    return later if later.cost + weights.wait_margin < free.cost else None


# -- the ticket's clocks ---------------------------------------------------------------------------


def _running_clocks(config: SlaConfig, clocks: Sequence[Clock]) -> list[_Clock]:
    out = []
    for clock in clocks:
        if clock.stopped_at is not None or clock.status != ACTIVE or clock.due_at is None:
            continue
        policy = config.book.named(clock.policy)
        if policy is not None and clock.target > 0:
            out.append(
                _Clock(clock.metric, policy.name, policy.calendar, clock.target, clock.due_at)
            )
    return out


def _later_clocks(
    config: SlaConfig, ticket: Attributes, running: Sequence[_Clock], now: int
) -> list[_Clock]:
    """Reply clocks a later reply or answer may start, with the policy they would get now."""
    open_metrics = {c.metric for c in running}
    out = []
    for metric in FOLLOW_UPS:
        if metric in open_metrics:
            continue
        found = config.book.select(metric, ticket, now)
        if found is not None:
            policy = found.policy
            out.append(_Clock(metric, policy.name, policy.calendar, found.target, None))
    return out


def _ticket_reasons(running: Sequence[_Clock], now: int, weights: Weights) -> tuple[str, ...]:
    if not running:
        return ("no clock is running: no SLA time is at stake now",)
    out = []
    for clock in sorted(running, key=lambda c: c.due_at or 0):
        assert clock.due_at is not None
        zone = clock.calendar.timezone
        left = clock.due_at - now
        what = f"{_WORDS[clock.metric]} ({clock.policy})"
        if left <= 0:
            out.append(f"{what} is overdue by {_span(-left)}")
        elif left <= 2 * weights.first_reply and clock.metric in REPLIES:
            out.append(f"{what} due in {_span(left)}: needs someone now")
        else:
            business = clock.calendar.elapsed_us(now, clock.due_at)
            out.append(
                f"{what} due {_when(clock.due_at, zone, now)} {zone} (in {_span(left)}; "
                f"{_span(business)} of business time left)"
            )
    return tuple(out)


# -- shifts ------------------------------------------------------------------------------------------


def _stretches(calendar: BusinessCalendar, now: int, horizon: int) -> list[tuple[int, int]]:
    """The agent's open stretches (back-to-back shifts merged), from the one holding or following
    ``now`` until one that ends ``horizon`` after the first available instant; at least two."""
    table = _day_table(calendar, now // DAY * DAY)
    i = bisect_right(table, (now, _FOREVER)) - 1
    if i < 0 or table[i][1] <= now:
        i += 1
    out = [table[i]]
    until = max(now, out[0][0]) + horizon
    while out[-1][1] < until or len(out) < 2:
        out.append(_following(calendar, out[-1][1]))
    return out


@lru_cache(maxsize=4096)
def _day_table(calendar: BusinessCalendar, day: int) -> list[tuple[int, int]]:
    """Open stretches from the one holding or following ``day - 1 day`` to the first that starts
    after ``day + 1 day`` (cached per calendar and UTC day)."""
    out = [_following(calendar, day - DAY)]
    while out[-1][0] <= day + DAY:
        out.append(_following(calendar, out[-1][1]))
    return out


@lru_cache(maxsize=16384)
def _following(calendar: BusinessCalendar, t: int) -> tuple[int, int]:
    """The open stretch holding or following ``t``: (its first instant, its end)."""
    start = next_opening(calendar, t)
    return start, stretch_end(calendar, start, start + _FAR)


def _absences(stretches: Sequence[tuple[int, int]], now: int, until: int) -> list[tuple[int, int]]:
    """When the agent is away in ``[now, until)``: before the first stretch, and between them."""
    out = []
    if stretches[0][0] > now:
        out.append((now, min(stretches[0][0], until)))
    for (_, end), (nxt, _) in pairwise(stretches):
        if end >= until:
            break
        out.append((end, min(nxt, until)))
    return out


# -- words -------------------------------------------------------------------------------------------


def _when(at: int, zone: str, now: int) -> str:
    """``17:30`` today, ``Mon 08:00`` within a week, else ``2026-03-14 08:00`` (local time)."""
    tz = load_zone(zone)
    local: datetime = from_us(at).astimezone(tz)
    today = from_us(now).astimezone(tz).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if 0 < (local.date() - today).days < 7:
        return local.strftime("%a %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def _span(us: int) -> str:
    """``45s``, ``12m``, ``2h30m``, ``3d4h``."""
    seconds = us // _SECOND
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"
