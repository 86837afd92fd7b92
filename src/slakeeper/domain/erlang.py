"""Erlang C: the M/M/N queue that staffing tables are made of.

Tickets arrive at random (a Poisson process) at a constant rate, each holds one of ``N``
identical servers for a random (exponential) time with mean ``handling``, and a ticket that finds
every server busy waits in one first-come-first-served queue. With the offered load
``A = arrival rate × handling`` (in Erlangs):

- the probability that a ticket waits at all, ``C(N, A)`` (Erlang's C formula);
- the service level, the share answered within ``wait``:
  ``SL = 1 − C(N, A) · exp(−(N − A) · wait / handling)``;
- the average speed of answer, ``ASA = C(N, A) · handling / (N − A)``;
- the least ``N`` whose service level reaches a goal.

When ``N <= A`` the queue grows without bound: every ticket waits (``C = 1``), the service level
is 0 and the average speed of answer infinite.

``C`` is computed from Erlang B by its recursion ``B(0) = 1``, ``B(k) = A·B(k−1) / (k + A·B(k−1))``
and ``C = N·B / (N − A·(1 − B))``: no factorial or power is ever formed, so hundreds or thousands
of servers and loads are exact to the float's precision (the textbook sum of ``A^k / k!``
overflows a float beyond ``N ≈ 170``). Pure arithmetic: any unit of time will do, as long as
``wait`` and ``handling`` share it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from slakeeper.domain.errors import InvalidArgument

MAX_SERVERS = 1_000_000  # far beyond any team; bounds the search for the least servers


@dataclass(frozen=True, slots=True)
class Staffing:
    """What ``servers`` give under ``traffic`` Erlangs."""

    servers: int
    traffic: float
    wait_probability: float  # C(N, A)
    service_level: float  # P(wait <= the target wait)
    average_speed_of_answer: float  # in the unit of ``handling``; inf when N <= A

    @property
    def occupancy(self) -> float:
        """The share of the servers' time spent working (A / N; over 1 when overloaded)."""
        return self.traffic / self.servers if self.servers else math.inf


def _check(servers: int, traffic: float) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 0:
        raise InvalidArgument(f"servers {servers!r} must be a whole number, 0 or more")
    if not math.isfinite(traffic) or traffic < 0:
        raise InvalidArgument(f"traffic {traffic!r} must be a finite number of Erlangs, 0 or more")


def _check_times(wait: float, handling: float) -> None:
    if not math.isfinite(handling) or handling <= 0:
        raise InvalidArgument(f"handling time {handling!r} must be positive")
    if not math.isfinite(wait) or wait < 0:
        raise InvalidArgument(f"target wait {wait!r} must be 0 or more")


def erlang_b(servers: int, traffic: float) -> float:
    """The blocking probability of ``servers`` under ``traffic`` Erlangs (no queue)."""
    _check(servers, traffic)
    b = 1.0
    for k in range(1, servers + 1):
        b = traffic * b / (k + traffic * b)
    return b


def _c_from_b(servers: int, traffic: float, b: float) -> float:
    if servers <= traffic:
        return 1.0
    return servers * b / (servers - traffic * (1.0 - b))


def erlang_c(servers: int, traffic: float) -> float:
    """The probability that a ticket waits (every server busy when it arrives)."""
    return _c_from_b(servers, traffic, erlang_b(servers, traffic))


def _level(servers: int, traffic: float, c: float, wait: float, handling: float) -> float:
    if servers <= traffic:
        return 0.0
    return max(0.0, 1.0 - c * math.exp(-(servers - traffic) * wait / handling))


def service_level(servers: int, traffic: float, wait: float, handling: float) -> float:
    """The share of tickets answered within ``wait`` (same unit as ``handling``)."""
    _check_times(wait, handling)
    return _level(servers, traffic, erlang_c(servers, traffic), wait, handling)


def average_speed_of_answer(servers: int, traffic: float, handling: float) -> float:
    """The mean wait before a server takes a ticket (unit of ``handling``); inf when N <= A."""
    _check_times(0.0, handling)
    if servers <= traffic:
        return math.inf
    return erlang_c(servers, traffic) * handling / (servers - traffic)


def staffing(servers: int, traffic: float, wait: float, handling: float) -> Staffing:
    """Every figure of ``servers`` at once."""
    _check_times(wait, handling)
    c = erlang_c(servers, traffic)
    asa = math.inf if servers <= traffic else c * handling / (servers - traffic)
    return Staffing(servers, traffic, c, _level(servers, traffic, c, wait, handling), asa)


def least_servers(
    traffic: float, handling: float, goal: float, waits: Mapping[float, float]
) -> int:
    """The fewest servers whose service level reaches ``goal`` (0 < goal < 1), over a mix of
    target waits (wait -> share of tickets, the shares summing to 1; ``{20: 1.0}`` for one):
    the share of tickets answered within their own target wait.

    Walks the Erlang B recursion upwards once, so the answer costs as many steps as it has
    servers.
    """
    _check(0, traffic)
    for wait in waits:
        _check_times(wait, handling)
    if not 0.0 < goal < 1.0:
        raise InvalidArgument(f"goal {goal!r} must lie strictly between 0 and 1")
    if abs(sum(waits.values()) - 1.0) > 1e-9:
        raise InvalidArgument("the shares of the target waits must add up to 1")
    b = 1.0
    for n in range(1, MAX_SERVERS + 1):
        b = traffic * b / (n + traffic * b)
        if n <= traffic:
            continue
        c = _c_from_b(n, traffic, b)
        level = sum(share * _level(n, traffic, c, w, handling) for w, share in waits.items())
        if level >= goal:
            return n
    raise InvalidArgument(f"no team of up to {MAX_SERVERS} servers reaches {goal}")


def mixed_service_level(
    servers: int, traffic: float, waits: Mapping[float, float], handling: float
) -> float:
    """The service level over a mix of target waits (wait -> share of tickets)."""
    c = erlang_c(servers, traffic)
    total = 0.0
    for wait, share in waits.items():
        _check_times(wait, handling)
        total += share * _level(servers, traffic, c, wait, handling)
    return total
