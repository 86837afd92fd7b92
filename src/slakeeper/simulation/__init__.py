"""A seeded, reproducible workload simulator: a discrete-event model of a support team that writes
SPEC §4 ticket histories (``docs/simulation.md``).

Pure: no I/O and no system clock — the start instant is part of the model — and time is integer
microseconds since the epoch. ``parse_simulation`` validates a YAML document into a
:class:`SimConfig`; ``simulate(config, router)`` plays it; the same model and seed always give the
same events.
"""

from slakeeper.simulation.config import parse_simulation
from slakeeper.simulation.engine import Event, Simulation, Trace, simulate
from slakeeper.simulation.model import SimConfig
from slakeeper.simulation.routing import (
    ROUTERS,
    AgentView,
    LeastLoaded,
    RoundRobin,
    Router,
    TicketView,
    make_router,
)
from slakeeper.simulation.summary import AgentSummary, Summary
from slakeeper.simulation.tickets import Needs, draw_tickets

__all__ = [
    "ROUTERS",
    "AgentSummary",
    "AgentView",
    "Event",
    "LeastLoaded",
    "Needs",
    "RoundRobin",
    "Router",
    "SimConfig",
    "Simulation",
    "Summary",
    "TicketView",
    "Trace",
    "draw_tickets",
    "make_router",
    "parse_simulation",
    "simulate",
]
