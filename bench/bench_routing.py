"""Routing: the SLA-aware router against round-robin and least-loaded on the same arrivals and team.

The example workload (``examples/simulation.yaml``: about 1,200 tickets a week, fourteen agents
in Berlin, New York and at weekends, four weeks) is played under each router with the same seed —
the same tickets with the same needs, drawn before any routing — and every run's events are
evaluated with ``examples/sla.yaml`` at the end of the window: the clocks ``slakeeper evaluate``
reports, judged as docs/metrics.md says. Over several seeds (``--quick``: two), the two named
peers measured in the same run. The figure (issue 8): at least 30% fewer breaches than
round-robin with the same staff and arrivals, i.e. breaches ≤ 0.70× round-robin's — over all
seeds together and on each seed.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import yaml

from bench.report import Figure, Section, Table, now_text
from slakeeper.adapters.config_file import load_config
from slakeeper.domain.events import format_instant
from slakeeper.domain.policy import METRICS
from slakeeper.simulation import Comparison, Outcome, compare, parse_simulation

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "simulation.yaml"
SLA = ROOT / "examples" / "sla.yaml"
SEEDS = (1, 2, 3, 4, 5, 7)  # 7 is the model's own
QUICK_SEEDS = (7, 1)
TARGET_RATIO = 0.70
ROUTERS = ("round_robin", "least_loaded", "sla_aware")


def run(quick: bool = False) -> Section:
    seeds = QUICK_SEEDS if quick else SEEDS
    section = Section(
        key="routing",
        title="routing: breaches under the SLA-aware router, round-robin and least-loaded",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    sla = load_config(SLA)
    model = parse_simulation(yaml.safe_load(MODEL.read_text(encoding="utf-8")))
    runs: list[Comparison] = []
    started = time.perf_counter()
    for seed in seeds:
        runs.append(compare(dataclasses.replace(model, seed=seed), sla, ROUTERS))
    seconds = time.perf_counter() - started
    window = f"{model.days} days from {format_instant(model.start)}"

    per_seed = Table(
        title=f"Breached clocks per seed (the example model, {window}, examples/sla.yaml)",
        columns=[
            "seed",
            "tickets",
            *(f"{r} breached (rate)" for r in ROUTERS),
            "sla_aware ÷ round_robin",
            "sla_aware ÷ least_loaded",
        ],
    )
    for c in runs:
        outcomes = {o.router: o for o in c.outcomes}
        per_seed.rows.append(
            [
                str(c.seed),
                f"{c.outcomes[0].tickets:,}",
                *(_breached(outcomes[r]) for r in ROUTERS),
                f"{_ratio(outcomes['sla_aware'], outcomes['round_robin']):.2f}×",
                f"{_ratio(outcomes['sla_aware'], outcomes['least_loaded']):.2f}×",
            ]
        )
    per_seed.notes.append(
        "Each seed: the three routers play the same drawn tickets (same ids, creation instants "
        "and needs) with the same team; the clocks are those `slakeeper evaluate --at <end of "
        "the window>` reports, a clock judged once met or breached (docs/metrics.md); rate = "
        "breached ÷ judged. The team starts empty on the first Monday (no warm-up is left out)."
    )
    section.tables.append(per_seed)

    totals = Table(
        title=f"All {len(seeds)} seeds together",
        columns=[
            "router",
            "judged",
            "breached",
            "rate",
            "÷ round_robin",
            *METRICS,
            "first-reply wait",
            "CSAT",
        ],
    )
    summed = {r: _sum([c.outcome(r) for c in runs]) for r in ROUTERS}
    for r in ROUTERS:
        judged, breached, by_metric, wait, csat = summed[r]
        totals.rows.append(
            [
                r,
                f"{judged:,}",
                f"{breached:,}",
                f"{breached / judged:.2%}",
                f"{breached / summed['round_robin'][1]:.2f}×",
                *(f"{b} ({b / j:.1%})" if j else "—" for j, b in by_metric),
                f"{wait / 60:.0f} min",
                f"{csat:.2f}",
            ]
        )
    totals.notes.append(
        "Per metric: breached (breached ÷ judged). First-reply wait: the mean wall time from "
        "creation to the first agent reply over the tickets answered in the window, averaged "
        "over the seeds; CSAT: the mean rating (the model's ratings fall with waiting). The "
        "SLA-aware router holds tickets whose clocks stand still (a business-hours policy at a "
        "weekend) for agents who will be there for the customer's answers, so customers wait "
        f"longer in wall time for fewer breaches. {len(seeds) * len(ROUTERS)} runs took "
        f"{seconds:,.0f} s."
    )
    section.tables.append(totals)

    ratios = [c.ratio("sla_aware") or 0.0 for c in runs]
    overall = summed["sla_aware"][1] / summed["round_robin"][1]
    section.figures.append(
        Figure(
            f"breaches vs round-robin, same staff and arrivals (examples, {len(seeds)} seeds)",
            f"≤ {TARGET_RATIO:.2f}× (≥ 30% fewer), overall and on every seed",
            f"{overall:.2f}× overall ({1 - overall:.0%} fewer); per seed "
            f"{min(ratios):.2f}× to {max(ratios):.2f}×",
            overall <= TARGET_RATIO and max(ratios) <= TARGET_RATIO,
        )
    )
    return section


def _breached(o: Outcome) -> str:
    rate = o.breach_rate()
    return f"{o.breached_total:,} ({rate:.2%})" if rate is not None else "—"


def _ratio(o: Outcome, base: Outcome) -> float:
    return o.breached_total / base.breached_total if base.breached_total else float("nan")


def _sum(
    outcomes: list[Outcome],
) -> tuple[int, int, list[tuple[int, int]], float, float]:
    judged = sum(o.judged_total for o in outcomes)
    breached = sum(o.breached_total for o in outcomes)
    by_metric = [
        (sum(o.judged.get(m, 0) for o in outcomes), sum(o.breached.get(m, 0) for o in outcomes))
        for m in METRICS
    ]
    waits = [o.first_reply_wait_us for o in outcomes if o.first_reply_wait_us is not None]
    ratings = sum(o.ratings for o in outcomes)
    csat = sum((o.csat_mean or 0.0) * o.ratings for o in outcomes) / ratings if ratings else 0.0
    wait_s = sum(waits) / len(waits) / 1e6 if waits else 0.0
    return judged, breached, by_metric, wait_s, csat
