"""Simulated ticket histories for the tests of breach prediction: the example workload model
(examples/simulation.yaml) played for a few days, and the example SLA it is judged by."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from slakeeper.adapters.config_file import load_config
from slakeeper.domain.config import SlaConfig
from slakeeper.simulation import make_router, parse_simulation, simulate

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "simulation.yaml"
SLA = ROOT / "examples" / "sla.yaml"


@cache
def simulated(days: int, seed: int = 7) -> tuple[dict[str, Any], ...]:
    """The events of ``days`` days of the example desk (round robin), in order of ``at``."""
    document: dict[str, Any] = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
    document.update(days=days, seed=seed)
    return tuple(simulate(parse_simulation(document), make_router("round_robin")).events())


@cache
def example_sla() -> SlaConfig:
    return load_config(SLA)


def records(events: Any) -> list[tuple[int, object]]:
    """Events as the (line, object) records the services read."""
    return [(i, dict(e)) for i, e in enumerate(events, 1)]
