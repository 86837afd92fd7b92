"""Breach prediction judged on a later, held-out period of simulated history (docs/prediction.md).

The example desk (examples/simulation.yaml judged by examples/sla.yaml) is simulated for 16 weeks
under two ways of working — round-robin assignment, and slakeeper's SLA-aware routing (deadline
first) — and ``slakeeper model train``'s service trains on the first 12 weeks and is judged on the
last 4: ROC AUC, Brier score, calibration, and warnings against the named peer, the plain "75% of
target elapsed" rule, at the same number of alerts. The round-robin model is written to
examples/risk-model.json (the model ``make run``'s demo installs).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import yaml

from bench.report import Figure, Section, Table, now_text
from slakeeper.adapters.config_file import load_config
from slakeeper.entrypoints.cli_model import alert_rows
from slakeeper.service.risk_training import HEADLINE_LEAD, MINUTE, TrainingReport, train
from slakeeper.simulation import make_router, parse_simulation, simulate

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "simulation.yaml"
SLA = ROOT / "examples" / "sla.yaml"
SHIPPED = ROOT / "examples" / "risk-model.json"
FULL_DAYS, QUICK_DAYS = 112, 42
HOLDOUT = 0.25
ROUTERS = ("round_robin", "sla_aware")
TARGET_AUC, TARGET_CAUGHT = 0.85, 1.5


def _history(days: int, router: str) -> list[tuple[int, object]]:
    document: dict[str, Any] = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
    document["days"] = days
    sla = load_config(SLA)
    run = simulate(parse_simulation(document), make_router(router, sla=sla))
    return [(i, e) for i, e in enumerate(run.events(), 1)]


def _minutes(us: float | None) -> str:
    return "—" if us is None else f"{us / MINUTE:,.0f} min"


def run(quick: bool = False) -> Section:
    days = QUICK_DAYS if quick else FULL_DAYS
    section = Section(
        key="prediction",
        title="prediction: breach risk on a held-out period against the 75% rule",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    sla = load_config(SLA)
    figures = Table(
        title=f"Held-out figures ({days} simulated days, the last {HOLDOUT:.0%} held out)",
        columns=[
            "history (router)",
            "training situations",
            "held-out clocks",
            "breached",
            "ROC AUC",
            "Brier",
            "Brier, base rate",
            "train s",
            "scored / s",
        ],
    )
    alerts = Table(
        title="Warnings at the same volume as the 75% rule "
        "(caught: warned at least the min lead before the breach; lead: median over those; "
        "* the headline)",
        columns=[
            "history",
            "min lead",
            "alerts",
            "breaches",
            "caught by 75%",
            "caught by risk",
            "risk ÷ 75%",
            "lead 75%",
            "lead risk",
        ],
    )
    reports: dict[str, TrainingReport] = {}
    for router in ROUTERS:
        records = _history(days, router)
        started = time.perf_counter()
        report = train(sla, records, holdout=HOLDOUT)
        seconds = time.perf_counter() - started
        reports[router] = report
        situations = report.train_situations + report.test_situations
        figures.rows.append(
            [
                router,
                f"{report.train_situations:,}",
                f"{report.test_clocks:,}",
                f"{report.test_breach_rate:.1%}",
                f"{report.auc:.3f}",
                f"{report.brier:.4f}",
                f"{report.brier_base:.4f}",
                f"{seconds:,.1f}",
                f"{situations / seconds:,.0f}",
            ]
        )
        alerts.rows.extend([router, *row] for row in alert_rows(report))
    figures.notes.append(
        "train s: replaying the history, fitting and judging, end to end; scored / s: situations "
        "(training and held-out) per second of that. Brier, base rate: always predicting the "
        "training breach rate."
    )
    alerts.notes.append(
        "With no lead asked for, the 75% rule warns every clock that goes on to breach (a breach "
        "passes 75% first), so at the same volume no rule can catch more; the risk rule's gain is "
        "warning earlier. Risks are computed every 5 minutes of the held-out period (the worker: "
        "every minute), the 75% rule at its exact instant."
    )
    rr = reports["round_robin"]
    calibration = Table(
        title="Calibration, round-robin history (held-out situations)",
        columns=["predicted risk", "situations", "mean predicted", "breached"],
        rows=[
            [f"{b.low:.0%}–{b.high:.0%}", f"{b.count:,}", f"{b.predicted:.1%}", f"{b.observed:.1%}"]
            for b in rr.calibration
        ],
    )
    section.tables += [figures, alerts, calibration]
    for router, report in reports.items():
        section.figures.append(
            Figure(
                f"ROC AUC, held-out period ({router} history)",
                f"≥ {TARGET_AUC}",
                f"{report.auc:.3f}",
                report.auc >= TARGET_AUC,
            )
        )
        head = report.headline
        ratio = head.risk.caught / head.rule.caught if head.rule.caught else float("inf")
        longer = (head.risk.median_lead or 0) > (head.rule.median_lead or 0)
        section.figures.append(
            Figure(
                f"breaches caught at equal alert volume, ≥ {HEADLINE_LEAD // MINUTE} min ahead "
                f"({router} history)",
                f"≥ {TARGET_CAUGHT}× the 75% rule, longer median lead",
                f"{ratio:.2f}× ({head.risk.caught} vs {head.rule.caught}); median lead "
                f"{_minutes(head.risk.median_lead)} vs {_minutes(head.rule.median_lead)}",
                ratio >= TARGET_CAUGHT and longer,
            )
        )
    if not quick:
        SHIPPED.write_bytes(orjson.dumps(rr.model.to_json()) + b"\n")
        section.notes.append(
            f"The round-robin model is written to {SHIPPED.relative_to(ROOT)} "
            f"({SHIPPED.stat().st_size / 1024:,.0f} KB): the model `make run`'s demo installs."
        )
    return section
