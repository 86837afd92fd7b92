"""A seeded, reproducible workload simulator: a discrete-event model of a support team that writes
SPEC §4 ticket histories (``docs/simulation.md``).

Pure: no I/O and no system clock — the start instant is part of the model — and time is integer
microseconds since the epoch. ``parse_simulation`` validates a YAML document into a
:class:`SimConfig`; ``simulate(config, router)`` plays it; the same model and seed always give the
same events; ``compare(config, sla)`` plays it under every router and judges each run with an SLA
configuration.
"""

from slakeeper.simulation.compare import Comparison, Outcome, compare, judge_events
from slakeeper.simulation.config import parse_simulation
from slakeeper.simulation.engine import Event, Simulation, Trace, simulate
from slakeeper.simulation.model import SimConfig
from slakeeper.simulation.routing import (
    ROUTER_NAMES,
    ROUTERS,
    SLA_ROUTERS,
    AgentView,
    LeastLoaded,
    OrdersQueue,
    RoundRobin,
    Router,
    SlaAware,
    TicketView,
    make_router,
)
from slakeeper.simulation.summary import AgentSummary, Summary
from slakeeper.simulation.tickets import Needs, draw_tickets

__all__ = [
    "ROUTERS",
    "ROUTER_NAMES",
    "SLA_ROUTERS",
    "AgentSummary",
    "AgentView",
    "Comparison",
    "Event",
    "LeastLoaded",
    "Needs",
    "OrdersQueue",
    "Outcome",
    "RoundRobin",
    "Router",
    "SimConfig",
    "Simulation",
    "SlaAware",
    "Summary",
    "TicketView",
    "Trace",
    "compare",
    "draw_tickets",
    "judge_events",
    "make_router",
    "parse_simulation",
    "simulate",
]
