"""``slakeeper model train|show``: the breach-risk model (docs/prediction.md)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.table import Table

from slakeeper.adapters.config_file import load_config
from slakeeper.adapters.jsonl import read_records
from slakeeper.domain.errors import EventError, InvalidInput
from slakeeper.domain.events import format_instant
from slakeeper.domain.risk_model import RiskModel
from slakeeper.service.risk_training import HEADLINE_LEAD, MINUTE, TrainingReport, train

BAD_INPUT = 2
app = typer.Typer(
    help="Breach prediction: train a risk model on history and judge it on a later period.",
    no_args_is_help=True,
)


class Format(StrEnum):
    table = "table"
    json = "json"


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(BAD_INPUT)


@app.command("train")
def train_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="SLA configuration (YAML).")],
    events: Annotated[
        str, typer.Option("--events", "-e", help="Ticket history as JSON Lines; '-' for stdin.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write the model (JSON).")
    ] = None,
    holdout: Annotated[
        float, typer.Option(help="The later share of the history held out to judge the model.")
    ] = 0.25,
    output: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
) -> None:
    """Train on the earlier part of a history; report ROC AUC, Brier score, calibration and
    warnings against the 75% rule on the later part."""
    try:
        sla = load_config(config)
    except InvalidInput as exc:
        _fail(exc.lines())
    source = "<stdin>" if events == "-" else events
    try:
        stream = sys.stdin.buffer if events == "-" else open(events, "rb")  # noqa: SIM115
    except OSError as exc:
        _fail([f"{events}: cannot read the file: {exc.strerror or exc}"])
    try:
        with stream:
            report = train(sla, list(read_records(stream)), holdout=holdout)
    except EventError as exc:
        _fail(EventError(exc.issues, source).lines())
    except ValueError as exc:
        _fail([f"{source}: {exc}"])
    if out is not None:
        try:
            out.write_bytes(orjson.dumps(report.model.to_json(), option=orjson.OPT_INDENT_2))
        except OSError as exc:
            _fail([f"{out}: cannot write the file: {exc.strerror or exc}"])
    if output is Format.json:
        sys.stdout.write(orjson.dumps(report_dict(report), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
        return
    print_report(report, _console())
    if out is not None:
        typer.echo(f"model written to {out}")


@app.command("install")
def install_command(
    model: Annotated[Path, typer.Argument(help="A model file from `slakeeper model train`.")],
    author: Annotated[str, typer.Option(help="Who installs it (kept with the version).")] = "cli",
) -> None:
    """Install a model in the local database (SLAKEEPER_DATABASE_URL); the worker scores with it
    from its next pass. A remote server takes it with PUT /v1/risk-model."""
    from slakeeper.bootstrap import bootstrap
    from slakeeper.service.risk_watch import install_model

    found = load_model(model)
    svc = bootstrap()
    try:
        installed = install_model(svc.uow, found.to_json(), author, svc.now())
    except InvalidInput as exc:
        _fail(exc.lines())
    typer.echo(f"installed risk model version {installed.version}")


@app.command("show")
def show_command(
    model: Annotated[Path, typer.Argument(help="A model file from `slakeeper model train`.")],
) -> None:
    """What a model was trained on and how it scored, and its strongest features."""
    found = load_model(model)
    console = _console()
    trained = found.trained
    for key in ("from", "split", "to"):
        if isinstance(trained.get(key), int):
            console.print(f"{key:>6}: {format_instant(trained[key])}")
    for key in ("situations", "breach_rate", "auc", "brier", "threshold"):
        if key in trained:
            console.print(f"{key:>12}: {trained[key]}")
    booster = found.booster
    console.print(f"{len(booster.feature)} trees of depth {booster.depth}")
    table = Table(title="features the trees split on most")
    table.add_column("feature")
    table.add_column("splits", justify="right")
    used = booster.feature[booster.feature >= 0]
    counts = sorted(
        ((int((used == j).sum()), name) for j, (_, name) in enumerate(found.features.columns())),
        reverse=True,
    )
    for n, name in counts[:15]:
        if n:
            table.add_row(name, f"{n:,}")
    console.print(table)


def _console() -> Console:
    """The terminal's width, and 110 columns when the output goes to a file or a pipe."""
    return Console() if sys.stdout.isatty() else Console(width=110)


def load_model(path: Path) -> RiskModel:
    """A model file, or exit 2 naming what is wrong with it."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        _fail([f"{path}: cannot read the file: {exc.strerror or exc}"])
    except orjson.JSONDecodeError as exc:
        _fail([f"{path}: not valid JSON: {exc.msg}"])
    try:
        return RiskModel.from_json(data)
    except ValueError as exc:
        _fail([f"{path}: {exc}"])


def _minutes(us: float | None) -> str:
    return "-" if us is None else f"{us / MINUTE:,.0f}m"


def report_dict(report: TrainingReport) -> dict[str, Any]:
    return {
        "from": format_instant(report.start),
        "split": format_instant(report.split),
        "to": format_instant(report.end),
        "training": {
            "situations": report.train_situations,
            "clocks": report.train_clocks,
            "breach_rate": report.train_breach_rate,
        },
        "held_out": {
            "situations": report.test_situations,
            "clocks": report.test_clocks,
            "breach_rate": report.test_breach_rate,
            "roc_auc": report.auc,
            "brier": report.brier,
            "brier_base_rate": report.brier_base,
            "calibration": [
                {
                    "from": b.low,
                    "to": b.high,
                    "situations": b.count,
                    "predicted": b.predicted,
                    "observed": b.observed,
                }
                for b in report.calibration
            ],
        },
        "alerts": [
            {
                "min_lead_minutes": a.min_lead // MINUTE,
                "threshold": a.threshold,
                **{
                    name: {
                        "alerts": o.alerts,
                        "breaches": o.breaches,
                        "caught": o.caught,
                        "median_lead_minutes": None
                        if o.median_lead is None
                        else o.median_lead / MINUTE,
                    }
                    for name, o in (("rule_75", a.rule), ("risk", a.risk))
                },
            }
            for a in report.alerts
        ],
    }


def print_report(report: TrainingReport, console: Console) -> None:
    console.print(
        f"trained on {format_instant(report.start)} to {format_instant(report.split)}: "
        f"{report.train_situations:,} situations of {report.train_clocks:,} clocks "
        f"({report.train_breach_rate:.1%} breached)"
    )
    console.print(
        f"judged on {format_instant(report.split)} to {format_instant(report.end)}: "
        f"{report.test_situations:,} situations of {report.test_clocks:,} clocks "
        f"({report.test_breach_rate:.1%} breached)"
    )
    console.print(
        f"ROC AUC {report.auc:.3f}   Brier {report.brier:.4f} "
        f"(always the base rate: {report.brier_base:.4f})"
    )
    table = Table(title="calibration (held-out situations)")
    for column in ("predicted risk", "situations", "mean predicted", "breached"):
        table.add_column(column, justify="right")
    for b in report.calibration:
        table.add_row(
            f"{b.low:.0%}-{b.high:.0%}", f"{b.count:,}", f"{b.predicted:.1%}", f"{b.observed:.1%}"
        )
    console.print(table)
    table = Table(
        title=f"warnings at the same volume, {report.alert_clocks:,} held-out clocks "
        "(caught: warned at least the min lead before the breach; lead: median over those)"
    )
    for column in (
        "min lead",
        "alerts",
        "breaches",
        "caught 75%",
        "caught risk",
        "ratio",
        "lead 75%",
        "lead risk",
    ):
        table.add_column(column, justify="right")
    for row in alert_rows(report):
        table.add_row(*row)
    console.print(table)


def alert_rows(report: TrainingReport) -> list[list[str]]:
    """The warning comparison, a row per min lead (the headline marked *): min lead, alerts,
    breaches, caught by the 75% rule, caught by risk, their ratio, both median leads."""
    rows = []
    for a in report.alerts:
        ratio = a.risk.caught / a.rule.caught if a.rule.caught else float("inf")
        mark = " *" if a.min_lead == HEADLINE_LEAD else ""
        rows.append(
            [
                f"{a.min_lead // MINUTE}m{mark}",
                f"{a.rule.alerts:,}"
                if a.rule.alerts == a.risk.alerts
                else f"{a.rule.alerts:,}/{a.risk.alerts:,}",
                f"{a.rule.breaches:,}",
                f"{a.rule.caught:,}",
                f"{a.risk.caught:,}",
                f"{ratio:.2f}x",
                _minutes(a.rule.median_lead),
                _minutes(a.risk.median_lead),
            ]
        )
    return rows
