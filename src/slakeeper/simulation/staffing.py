"""How many agents reach a compliance goal: the workload model played with teams of several sizes,
and an Erlang C estimate beside it (``docs/whatif.md``).

**Scaling the team.** A size is a number of agents; the team of that size keeps the model's mix
of shift patterns (agents grouped by their calendar) and, within a pattern, its mix of skills,
capacity and speed. Agents are added one at a time to the pattern whose share of the team falls
furthest below its share of the model's team (Sainte-Laguë: the pattern with the most agents per
``2 × taken + 1``; ties to the pattern listed first), and within a pattern in roster order,
cycling — a second "anna" is ``anna+2``. Adding one at a time makes every team contain the
smaller ones (more agents never means a different, luckier team), and the model's own size gives
the model's own team, in its order — the run ``slakeeper simulate`` makes. A multiplier over
``count`` would jump in steps of the roster's length and could not go below it; dropping agents
from the end of the roster would drop whole regions first.

**The runs.** Every size sees the same tickets with the same needs (the simulator draws them
from the seed before any routing), so sizes differ only by who is there to answer. Each run's
events are replayed as ``slakeeper evaluate`` would (SPEC §5) and judged as reports judge
(docs/metrics.md) at the end of the window; a first stretch (``warmup``) is left out because the
team starts with empty queues. Compliance is met ÷ judged for one metric.

**Erlang C beside it.** For ``first_response`` only: the arrival rate of the busiest hour of the
model's first week (all streams, by UTC hour), the agents' work per ticket (first reply, handling,
reopens: the means of the model's draws, divided by the team's mean speed), the servers on duty
in that hour (each agent's ``capacity`` are parallel places), and as target waits the metric's
targets, each less the mean first-reply work (the reply is what stops the clock), weighted by
how many clocks had each. See :mod:`slakeeper.domain.erlang` for the queue it assumes.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from slakeeper.domain import erlang
from slakeeper.domain.clocks import clocks
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.events import parse_event
from slakeeper.domain.reports import MET, judge
from slakeeper.domain.ticket import FIRST_RESPONSE, Rules, TicketState
from slakeeper.simulation.engine import simulate
from slakeeper.simulation.model import Agent, SimConfig
from slakeeper.simulation.quantities import DAY, HOUR
from slakeeper.simulation.routing import make_router

_HALF_HOUR = HOUR // 2


def scale_team(agents: Sequence[Agent], size: int) -> tuple[Agent, ...]:
    """The team of ``size`` agents with the model's mix of shift patterns (module docstring)."""
    if size < 1:
        raise ValueError(f"a team has at least one agent, not {size}")
    patterns: list[list[Agent]] = []
    place: list[tuple[int, int]] = []  # each agent's (pattern, position in it)
    where: dict[int, int] = {}
    for agent in agents:
        key = id(agent.calendar)
        if key not in where:
            where[key] = len(patterns)
            patterns.append([])
        place.append((where[key], len(patterns[where[key]])))
        patterns[where[key]].append(agent)
    taken = [0] * len(patterns)
    chosen: list[tuple[int, int]] = []  # (pattern, n-th of it), in the order added
    for _ in range(size):
        best = max(range(len(patterns)), key=lambda p: (len(patterns[p]) / (2 * taken[p] + 1), -p))
        chosen.append((best, taken[best]))
        taken[best] += 1
    kept = set(chosen)
    team = [a for a, at in zip(agents, place, strict=True) if at in kept]  # in roster order
    copies = []  # then the copies, in the order they were added
    for p, n in chosen:
        group = patterns[p]
        if n >= len(group):
            model = group[n % len(group)]
            copies.append(dataclasses.replace(model, name=f"{model.name}+{n // len(group) + 1}"))
    return (*team, *copies)


@dataclass(frozen=True, slots=True)
class Peak:
    """The busiest hour of the model's first week: arrivals of every stream, by UTC hour."""

    start: int  # µs, the hour's start
    rate: float  # tickets per hour


def busiest_hour(model: SimConfig) -> Peak:
    best = Peak(model.start, -1.0)
    for hour in range(7 * 24):
        at = model.start + hour * HOUR
        rate = sum(s.profile.rates[s.profile.hour_of_week(at + _HALF_HOUR)] for s in model.streams)
        if rate > best.rate:
            best = Peak(at, rate)
    return best


def work_per_ticket(model: SimConfig) -> float:
    """The mean agent work a ticket takes at speed 1 (µs): first reply, handling, reopens."""
    categories = model.categories
    handling = sum(
        share * c.handling.mean_us
        for c, share in zip(categories.items, categories.weights, strict=True)
    )
    reopen = model.reopen.probability * model.reopen.effort.mean_us
    return model.first_reply.mean_us + handling + reopen


def _slowness(agents: Sequence[Agent]) -> float:
    """The mean of 1 / speed: the factor from work to an agent's time."""
    return sum(1.0 / a.speed for a in agents) / len(agents)


@dataclass(frozen=True, slots=True)
class SizeRun:
    """One team size played and judged."""

    size: int
    on_duty: int  # agents on shift in the busiest hour
    places: int  # their capacity, summed: Erlang's servers
    unstaffed: tuple[str, ...]  # categories no agent of this team may take
    tickets: int
    met: int
    breached: int
    first_reply_wait: float | None  # µs, mean wall time from creation to the first reply
    utilisation: float  # the agents' mean
    targets: tuple[tuple[int, int], ...]  # (target µs, clocks) of the metric's judged clocks

    @property
    def judged(self) -> int:
        return self.met + self.breached

    @property
    def compliance(self) -> Fraction | None:
        return Fraction(self.met, self.judged) if self.judged else None


@dataclass(frozen=True, slots=True)
class ErlangEstimate:
    peak: Peak
    handling: float  # µs a ticket holds a server
    first_reply: float  # µs of it before the first reply
    traffic: float  # Erlangs at the peak
    waits: tuple[tuple[float, float], ...]  # (target wait µs, share of clocks)
    servers: int  # places needed on duty in the busiest hour
    agents: int  # agents needed on duty (servers / the team's mean capacity, rounded up)
    levels: tuple[tuple[int, float], ...]  # (size, service level of its places on duty)
    size: int | None  # the least size whose places on duty reach ``servers``


@dataclass(frozen=True, slots=True)
class Staffing:
    metric: str
    goal: Fraction
    warmup_days: int
    runs: tuple[SizeRun, ...]
    size: int | None  # the least size from which every larger size tried reaches the goal
    erlang: ErlangEstimate | None


class SizeMap(Protocol):
    """Runs ``play`` for every size (in any order, anywhere) and returns the runs in size order."""

    def __call__(self, play: Callable[[int], SizeRun], sizes: Sequence[int]) -> list[SizeRun]: ...


def in_turn(play: Callable[[int], SizeRun], sizes: Sequence[int]) -> list[SizeRun]:
    return [play(size) for size in sizes]


def play_size(
    model: SimConfig,
    sla: SlaConfig,
    size: int,
    metric: str = FIRST_RESPONSE,
    warmup_days: int = 0,
    router: str = "round_robin",
) -> SizeRun:
    """The model played with the team of ``size`` and its ``metric`` clocks judged at the end."""
    team = scale_team(model.agents, size)
    config = dataclasses.replace(model, agents=team)
    run = simulate(config, make_router(router, sla, team))
    rules = Rules(sla.system_replies_count, sla.resolution_on_reopen)
    states: dict[str, TicketState] = {}
    for seq, raw in enumerate(run.events()):
        event = parse_event(raw, seq)
        state = states.get(event.ticket)
        if state is None:
            state = states[event.ticket] = TicketState(event.ticket, rules)
        state.apply(event)
    end, since = config.end, config.start + warmup_days * DAY
    met = breached = 0
    targets: Counter[int] = Counter()
    for state in states.values():
        for clock in clocks(state, sla, end):
            verdict = judge(clock) if clock.metric == metric else None
            if verdict is None or verdict[1] < since:
                continue
            targets[clock.target] += 1
            if verdict[0] == MET:
                met += 1
            else:
                breached += 1
    summary = run.summary()
    peak = busiest_hour(model).start + _HALF_HOUR
    on_duty = [a for a in team if a.calendar.is_open_us(peak)]
    names = [c.name for c in model.categories.items]
    return SizeRun(
        size=size,
        on_duty=len(on_duty),
        places=sum(a.capacity for a in on_duty),
        unstaffed=tuple(n for n in names if not any(n in a.skills for a in team)),
        tickets=summary.tickets,
        met=met,
        breached=breached,
        first_reply_wait=summary.first_reply_wait_us,
        utilisation=sum(a.utilisation for a in summary.agents) / len(summary.agents),
        targets=tuple(sorted(targets.items())),
    )


def erlang_estimate(
    model: SimConfig, runs: Sequence[SizeRun], goal: Fraction
) -> ErlangEstimate | None:
    """Erlang C for first responses in the busiest hour, beside the simulated runs."""
    targets: Counter[int] = Counter()
    for run in runs[:1]:  # every size sees the same tickets, so the same targets
        targets.update(dict(run.targets))
    total = sum(targets.values())
    if not total:
        return None
    peak = busiest_hour(model)
    slowness = _slowness(model.agents)
    handling = work_per_ticket(model) * slowness
    first = model.first_reply.mean_us * slowness
    traffic = peak.rate * handling / HOUR
    waits: dict[float, float] = {}
    for target, clocks_with_it in sorted(targets.items()):
        wait = float(max(0.0, target - first))
        waits[wait] = waits.get(wait, 0.0) + clocks_with_it / total
    servers = erlang.least_servers(traffic, handling, float(goal), waits)
    capacity = sum(a.capacity for a in model.agents) / len(model.agents)
    levels = tuple(
        (r.size, erlang.mixed_service_level(r.places, traffic, waits, handling)) for r in runs
    )
    return ErlangEstimate(
        peak=peak,
        handling=handling,
        first_reply=first,
        traffic=traffic,
        waits=tuple(waits.items()),
        servers=servers,
        agents=math.ceil(servers / capacity),
        levels=levels,
        size=next((r.size for r in runs if r.places >= servers), None),
    )


def staffing(
    model: SimConfig,
    sla: SlaConfig,
    sizes: Sequence[int],
    *,
    metric: str = FIRST_RESPONSE,
    goal: Fraction = Fraction(95, 100),
    warmup_days: int | None = None,
    router: str = "round_robin",
    each: SizeMap = in_turn,
) -> Staffing:
    """Compliance per team size, the least size that reaches ``goal``, and Erlang C beside it.

    ``warmup_days`` defaults to a quarter of the model's days, at most 7."""
    if not 0 < goal < 1:
        raise ValueError(f"goal {float(goal)} must lie strictly between 0 and 1")
    warm = min(7, model.days // 4) if warmup_days is None else warmup_days
    ordered = sorted(set(sizes))

    def play(size: int) -> SizeRun:
        return play_size(model, sla, size, metric, warm, router)

    runs = tuple(sorted(each(play, ordered), key=lambda r: r.size))
    size = None
    for run in reversed(runs):
        if run.compliance is None or run.compliance < goal:
            break
        size = run.size
    estimate = erlang_estimate(model, runs, goal) if metric == FIRST_RESPONSE else None
    return Staffing(metric, goal, warm, runs, size, estimate)
