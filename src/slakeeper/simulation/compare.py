"""Routers compared on the same tickets and the same team (docs/simulation.md, "Routing").

Every router plays the same model and seed — the same drawn tickets with the same needs — and
each run's events are evaluated with the SLA configuration at the end of the window, exactly the
clocks ``slakeeper evaluate --at <end>`` reports. A clock counts as docs/metrics.md says: judged
once met or breached (a running clock whose due instant is still ahead, or one cancelled before
it, is not judged); the breach rate is breached ÷ judged. Pure: the domain does the evaluating.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slakeeper.domain.clocks import clocks
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.events import CREATED, CSAT, format_instant, parse_event
from slakeeper.domain.policy import METRICS
from slakeeper.domain.reports import judge
from slakeeper.domain.ticket import Rules, TicketState
from slakeeper.simulation.engine import Event, simulate
from slakeeper.simulation.model import SimConfig
from slakeeper.simulation.routing import ROUTER_NAMES, make_router

BASELINE = "round_robin"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One router's run, as the SLA configuration judges it at the end of the window."""

    router: str
    created: tuple[tuple[str, int], ...]  # (ticket id, created instant µs), in order of arrival
    judged: Mapping[str, int]  # metric -> clocks judged (met or breached)
    breached: Mapping[str, int]  # metric -> clocks breached
    first_reply_wait_us: float | None  # mean, over the tickets answered in the window
    ratings: int
    csat_mean: float | None
    assigned: int  # tickets given to an agent in the window

    @property
    def tickets(self) -> int:
        return len(self.created)

    @property
    def judged_total(self) -> int:
        return sum(self.judged.values())

    @property
    def breached_total(self) -> int:
        return sum(self.breached.values())

    def breach_rate(self, metric: str | None = None) -> float | None:
        """Breached ÷ judged, overall or for one metric; None when nothing was judged."""
        judged = self.judged_total if metric is None else self.judged.get(metric, 0)
        breached = self.breached_total if metric is None else self.breached.get(metric, 0)
        return breached / judged if judged else None


@dataclass(frozen=True, slots=True)
class Comparison:
    seed: int
    start: int
    end: int
    outcomes: tuple[Outcome, ...]
    baseline: str = BASELINE
    metrics: tuple[str, ...] = field(default=METRICS)

    def outcome(self, router: str) -> Outcome:
        found = next((o for o in self.outcomes if o.router == router), None)
        if found is None:
            raise KeyError(router)
        return found

    def ratio(self, router: str) -> float | None:
        """The router's breaches ÷ the baseline's; None without the baseline or its breaches."""
        base = next((o for o in self.outcomes if o.router == self.baseline), None)
        if base is None or not base.breached_total:
            return None
        return self.outcome(router).breached_total / base.breached_total

    def lines(self) -> list[str]:
        """The comparison as a table for people."""
        first = self.outcomes[0]
        lines = [
            f"routers on the same {first.tickets:,} tickets and team, "
            f"{format_instant(self.start)} to {format_instant(self.end)}, seed {self.seed}; "
            "clocks evaluated at the end",
            f"{'router':<14} {'judged':>7} {'breached':>8} {'rate':>7} "
            f"{'vs ' + self.baseline:>15} {'first reply':>11} {'CSAT':>5}",
        ]
        for o in self.outcomes:
            ratio = self.ratio(o.router)
            change = "—" if ratio is None else f"{ratio - 1:+.1%} ({ratio:.2f}×)"
            if o.router == self.baseline:
                change = "baseline"
            wait = o.first_reply_wait_us
            lines.append(
                f"{o.router:<14} {o.judged_total:>7,} {o.breached_total:>8,} "
                f"{_percent(o.breach_rate()):>7} {change:>15} "
                f"{'—' if wait is None else _hours(wait):>11} "
                f"{'—' if o.csat_mean is None else f'{o.csat_mean:.2f}':>5}"
            )
        lines.append("breached / judged (rate) per metric")
        lines.append(f"{'router':<14}" + "".join(f" {m:>22}" for m in self.metrics))
        for o in self.outcomes:
            cells = [
                f"{o.breached.get(m, 0)}/{o.judged.get(m, 0)} ({_percent(o.breach_rate(m))})"
                for m in self.metrics
            ]
            lines.append(f"{o.router:<14}" + "".join(f" {c:>22}" for c in cells))
        return lines

    def as_dict(self) -> dict[str, Any]:
        """The comparison for programs (``--format json``)."""
        return {
            "seed": self.seed,
            "start": format_instant(self.start),
            "end": format_instant(self.end),
            "tickets": self.outcomes[0].tickets if self.outcomes else 0,
            "baseline": self.baseline,
            "routers": [
                {
                    "router": o.router,
                    "judged": o.judged_total,
                    "breached": o.breached_total,
                    "breach_rate": o.breach_rate(),
                    "ratio_vs_baseline": self.ratio(o.router),
                    "metrics": {
                        m: {
                            "judged": o.judged.get(m, 0),
                            "breached": o.breached.get(m, 0),
                            "breach_rate": o.breach_rate(m),
                        }
                        for m in self.metrics
                    },
                    "assigned": o.assigned,
                    "first_reply_wait_s": (
                        None if o.first_reply_wait_us is None else o.first_reply_wait_us / 1e6
                    ),
                    "ratings": o.ratings,
                    "csat_mean": o.csat_mean,
                }
                for o in self.outcomes
            ],
        }


def compare(
    config: SimConfig,
    sla: SlaConfig,
    routers: Sequence[str] = ROUTER_NAMES,
    baseline: str = BASELINE,
) -> Comparison:
    """Play ``config`` under each router (the same seed: the same tickets) and judge every run
    with ``sla`` at the end of the window."""
    if not routers:
        raise ValueError("name at least one router")
    outcomes = []
    for name in routers:
        run = simulate(config, make_router(name, sla, config.agents))
        judged = judge_events(run.events(), sla, config.end)
        summary = run.summary()
        outcomes.append(
            Outcome(
                router=name,
                created=judged.created,
                judged=judged.judged,
                breached=judged.breached,
                first_reply_wait_us=summary.first_reply_wait_us,
                ratings=judged.ratings,
                csat_mean=judged.csat_mean,
                assigned=sum(a.assigned for a in summary.agents),
            )
        )
    return Comparison(config.seed, config.start, config.end, tuple(outcomes), baseline)


@dataclass(frozen=True, slots=True)
class Judged:
    created: tuple[tuple[str, int], ...]
    judged: Mapping[str, int]
    breached: Mapping[str, int]
    ratings: int
    csat_mean: float | None


def judge_events(events: Iterable[Event], sla: SlaConfig, at: int) -> Judged:
    """Clocks judged and breached per metric at ``at`` for events in order of ``at`` (all
    before ``at``), as ``slakeeper evaluate --at`` reports them; a closed ticket is judged as
    soon as it closes (nothing can change its clocks), so only open tickets are held."""
    rules = Rules(sla.system_replies_count, sla.resolution_on_reopen)
    states: dict[str, TicketState] = {}
    created: list[tuple[str, int]] = []
    judged = dict.fromkeys(METRICS, 0)
    breached = dict.fromkeys(METRICS, 0)
    scores: list[int] = []

    def count(state: TicketState) -> None:
        for clock in clocks(state, sla, at):
            if judge(clock) is not None:
                judged[clock.metric] += 1
                breached[clock.metric] += clock.breached

    for seq, raw in enumerate(events):
        event = parse_event(raw, seq)
        if event.at > at:
            raise ValueError(f"event {event.id!r} comes after the evaluation instant")
        if event.type == CREATED:
            state = states[event.ticket] = TicketState(event.ticket, rules)
            created.append((event.ticket, event.at))
        else:
            state = states[event.ticket]
        state.apply(event)
        if event.type == CSAT:
            scores.append(event.score)
        if state.closed:
            count(states.pop(event.ticket))
    for state in states.values():
        count(state)
    mean = sum(scores) / len(scores) if scores else None
    return Judged(tuple(created), judged, breached, len(scores), mean)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.2%}"


def _hours(us: float) -> str:
    minutes = round(us / 60e6)
    return f"{minutes // 60}h{minutes % 60:02d}m"
