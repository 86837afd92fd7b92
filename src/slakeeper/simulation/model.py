"""The workload model's configuration as frozen values (``docs/simulation.md`` lists every field).

Built only by :func:`slakeeper.simulation.config.parse_simulation`, which validates the YAML document
as a whole; an invalid model never exists. Instants and durations are integer microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.simulation.arrivals import WeeklyProfile
from slakeeper.simulation.quantities import DAY, Delay, Table

PRIORITIES = ("urgent", "high", "normal", "low")  # also the order of the queues
DEFAULT_TIER = "default"
_MINUTE = 60_000_000
ANSWER_DELAY = Delay(240 * _MINUTE, 1.0)
REOPEN_DELAY = Delay(DAY, 1.0)
REOPEN_EFFORT = Delay(10 * _MINUTE, 0.7)
RATING_DELAY = Delay(120 * _MINUTE, 1.0)
FIRST_REPLY = Delay(5 * _MINUTE, 0.5)
CLOSE_AFTER = Delay(4 * DAY)


@dataclass(frozen=True, slots=True)
class Customer:
    """Who raises a ticket; ``name`` None is a ticket without a customer."""

    name: str | None
    tier: str = DEFAULT_TIER
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Category:
    """What a ticket is about: it names the skill an agent needs and the work it takes."""

    name: str
    group: str
    service: str | None
    handling: Delay  # the work besides the first reply, at speed 1


@dataclass(frozen=True, slots=True)
class Stream:
    """One source of tickets: its arrival profile, the tags it puts on them, its customers, and
    the calendar on which its customers answer (None: around the clock)."""

    name: str
    profile: WeeklyProfile
    tags: tuple[str, ...]
    customers: Table[Customer]
    customer_calendar: BusinessCalendar | None = None


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    calendar: BusinessCalendar  # the agent works only while it is open
    skills: frozenset[str]  # category names
    capacity: int = 1  # tickets in work at once
    speed: float = 1.0  # 2.0 does the same work in half the time


@dataclass(frozen=True, slots=True)
class Information:
    """How often the agent needs information from the customer (a round: reply, pending, the
    customer's answer, open), at most ``max_rounds`` times, and how long the customer takes."""

    probability: float = 0.0
    max_rounds: int = 3
    delay: Delay = ANSWER_DELAY


@dataclass(frozen=True, slots=True)
class Reopen:
    probability: float = 0.0
    delay: Delay = REOPEN_DELAY  # from solved to the customer's comment
    effort: Delay = REOPEN_EFFORT  # the work it takes to solve it again


@dataclass(frozen=True, slots=True)
class Csat:
    """Ratings: ``score = round(mean + noise·N(0,1) − wait penalty − late penalty)`` in 1..5."""

    response_rate: float = 0.0
    delay: Delay = RATING_DELAY  # from solved to the rating
    mean: float = 4.5
    noise: float = 0.7
    wait_penalty_per_hour: float = 0.1  # per hour the customer waited on an agent (wall clock)
    max_wait_penalty: float = 2.0
    late_first_reply_penalty: float = 1.0
    first_reply_targets: Mapping[str, int] = field(default_factory=dict)  # priority|default -> µs

    def target_us(self, priority: str) -> int | None:
        found = self.first_reply_targets.get(priority)
        return self.first_reply_targets.get(DEFAULT_TIER) if found is None else found


@dataclass(frozen=True, slots=True)
class SimConfig:
    start: int  # µs since the epoch
    days: int
    seed: int
    streams: tuple[Stream, ...]
    priorities: Mapping[str, Table[str]]  # customer tier (or "default") -> priority mix
    channels: Table[str]
    categories: Table[Category]
    agents: tuple[Agent, ...]
    first_reply: Delay = FIRST_REPLY
    information: Information = Information()
    updates: Mapping[str, int] = field(default_factory=dict)  # priority -> µs between updates
    reopen: Reopen = Reopen()
    close_after: Delay = CLOSE_AFTER
    csat: Csat = Csat()

    @property
    def end(self) -> int:
        return self.start + self.days * DAY

    def priority_mix(self, tier: str) -> Table[str]:
        found = self.priorities.get(tier)
        return self.priorities[DEFAULT_TIER] if found is None else found
