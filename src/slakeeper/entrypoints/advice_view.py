"""Advice as rows of plain values — what-if, targets from history, staffing — and their printing
as a Rich table, JSON or CSV (``slakeeper whatif``, ``targets``, ``staffing``); the JSON documents
are also the API's answers (``docs/whatif.md``)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

from rich.console import Console
from rich.table import Table

from slakeeper.adapters.jsonl import seconds
from slakeeper.domain.durations import format_duration
from slakeeper.domain.events import format_instant
from slakeeper.entrypoints.report_view import percent
from slakeeper.service.whatif import Targets, WhatIf
from slakeeper.simulation.staffing import Staffing

Row = dict[str, Any]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


# -- what-if ---------------------------------------------------------------------------------------


def whatif_rows(result: WhatIf) -> list[Row]:
    """One row per metric and priority, then one per policy and metric."""
    rows = []
    for level, items in (
        ("metric_priority", result.by_metric_priority),
        ("policy", result.by_policy),
    ):
        for c in items:
            a, b = c.key
            row: Row = {"breakdown": level}
            row.update(
                {"metric": a, "priority": b} if level != "policy" else {"policy": a, "metric": b}
            )
            row.update(_judged("", c.proposed.met, c.proposed.breached))
            if c.baseline is not None:
                row.update(_judged("baseline_", c.baseline.met, c.baseline.breached))
                change = c.change
                row["change_pp"] = None if change is None else round(float(change * 100), 2)
            rows.append(row)
    return rows


def _judged(prefix: str, met: int, breached: int) -> Row:
    judged = met + breached
    return {
        f"{prefix}judged": judged,
        f"{prefix}met": met,
        f"{prefix}breached": breached,
        f"{prefix}compliance_pct": percent(Fraction(met, judged)) if judged else None,
    }


def whatif_document(result: WhatIf) -> dict[str, Any]:
    """The what-if as one JSON document (the CLI's ``--format json`` and the API's answer)."""
    rows = whatif_rows(result)
    split = len(result.by_metric_priority)
    return {
        "at": _instant_text(result.now),
        "from": _instant_text(result.start),
        "to": _instant_text(result.end),
        "events": result.events,
        "tickets": result.tickets,
        "by_metric_priority": [_without(r, "breakdown", "policy") for r in rows[:split]],
        "by_policy": [_without(r, "breakdown", "priority") for r in rows[split:]],
    }


def _instant_text(instant: int | None) -> str | None:
    return None if instant is None else format_instant(instant)


def write_whatif(result: WhatIf, form: Format, title: str) -> None:
    if form is Format.json:
        _json(whatif_document(result))
        return
    rows = whatif_rows(result)
    if form is Format.csv:
        _csv(rows, ["breakdown", "metric", "priority", "policy"])
        return
    console = _console()
    at = "—" if result.now is None else format_instant(result.now)
    console.print(f"{title}, as of {at}: {result.events} events, {result.tickets} tickets")
    split = len(result.by_metric_priority)
    for part, name, drop in (
        (rows[:split], "by metric and priority", ("breakdown", "policy")),
        (rows[split:], "by policy", ("breakdown", "priority")),
    ):
        _table(console, [_without(r, *drop) for r in part], f"compliance {name}", _change_style)


def _change_style(column: str, value: object) -> str:
    if column == "change_pp" and isinstance(value, float) and value:
        return f"[{'green' if value > 0 else 'red'}]{value:+.2f}[/]"
    return "—" if value is None else str(value)


# -- targets ---------------------------------------------------------------------------------------


def write_targets(result: Targets, form: Format) -> None:
    rows = targets_rows(result, text=form is Format.table)
    if form is Format.json:
        _json(targets_document(result))
    elif form is Format.csv:
        _csv(rows, [])
    else:
        console = _console()
        at_text = "—" if result.now is None else format_instant(result.now)
        console.print(
            f"targets met {float(result.goal):.0%} of the time, at {float(result.confidence):.0%} "
            f"confidence, from {result.tickets} tickets as of {at_text} (business time)"
        )
        _table(console, rows, "targets from history", _plain)


def targets_document(result: Targets) -> dict[str, Any]:
    """The advice as one JSON document (the CLI's ``--format json`` and the API's answer)."""
    return {
        "at": _instant_text(result.now),
        "goal": float(result.goal),
        "confidence": float(result.confidence),
        "events": result.events,
        "tickets": result.tickets,
        "targets": targets_rows(result),
    }


def targets_rows(result: Targets, text: bool = False) -> list[Row]:
    """One row per metric, priority and policy (``policy`` None: every policy). Durations in
    seconds, or as SLA-file text (``1h30m``) with ``text``."""

    def duration(us: int | None) -> object:
        if us is None:
            return None
        return format_duration(timedelta(microseconds=us)) if text else seconds(us)

    rows = []
    for a in result.advice:
        metric, priority, policy = a.key
        q = a.quantile
        current = a.current_compliance
        row: Row = {
            "metric": metric,
            "priority": priority,
            "policy": ("every policy" if text else None) if policy is None else policy,
            "clocks": a.achieved + a.censored,
            "censored": a.censored,
            "targets": ", ".join(format_duration(timedelta(microseconds=t)) for t in a.targets),
            "compliance_pct": None if current is None else percent(current),
        }
        suffix = "" if text else "_s"
        for key, value in (("estimate", q.estimate), ("lower", q.lower), ("upper", q.upper)):
            row[key + suffix] = duration(value)
        row["recommended"] = (
            None
            if a.recommended is None
            else format_duration(timedelta(microseconds=a.recommended))
        )
        if not text:
            row["recommended_s"] = duration(a.recommended)
        share = a.recommended_compliance
        row["recommended_compliance_pct"] = None if share is None else percent(share)
        rows.append(row)
    return rows


# -- staffing --------------------------------------------------------------------------------------


def staffing_rows(result: Staffing) -> list[Row]:
    levels = dict(result.erlang.levels) if result.erlang is not None else {}
    rows = []
    for run in result.runs:
        compliance = run.compliance
        wait = run.first_reply_wait
        rows.append(
            {
                "size": run.size,
                "on_duty_at_peak": run.on_duty,
                "places_at_peak": run.places,
                "tickets": run.tickets,
                "judged": run.judged,
                "met": run.met,
                "breached": run.breached,
                "compliance_pct": None if compliance is None else percent(compliance),
                "meets_goal": compliance is not None and compliance >= result.goal,
                "erlang_service_level_pct": (
                    round(levels[run.size] * 100, 2) if run.size in levels else None
                ),
                "first_reply_wait_h": None if wait is None else round(wait / 3.6e9, 2),
                "utilisation_pct": round(run.utilisation * 100, 1),
                "unstaffed": ", ".join(run.unstaffed) or None,
            }
        )
    return rows


def staffing_summary(result: Staffing, team: int) -> list[str]:
    goal = f"{float(result.goal):.0%}"
    lines = [
        f"{result.metric} compliance of at least {goal} (the first {result.warmup_days} days "
        f"left out; the model's team has {team} agents):",
        "simulation: "
        + (
            f"{result.size} agents (every larger team tried reaches it too)"
            if result.size is not None
            else "no team size tried reaches it"
        ),
    ]
    e = result.erlang
    if e is None:
        lines.append("Erlang C: estimated for first_response only")
        return lines
    lines.append(
        f"Erlang C: the busiest hour {format_instant(e.peak.start)} brings {e.peak.rate:.1f} "
        f"tickets/h; {e.handling / 6e7:.1f} min of work each → {e.traffic:.2f} Erlangs; "
        f"{e.servers} places ({e.agents} agents) on duty then reach {goal}; "
        + (
            f"the least team tried with that many places on duty: {e.size} agents"
            if e.size is not None
            else "no team size tried has that many on duty"
        )
    )
    return lines


def write_staffing(result: Staffing, form: Format, team: int) -> None:
    rows = staffing_rows(result)
    if form is Format.csv:
        _csv(rows, [])
        return
    if form is Format.json:
        e = result.erlang
        _json(
            {
                "metric": result.metric,
                "goal": float(result.goal),
                "warmup_days": result.warmup_days,
                "team": team,
                "sizes": rows,
                "simulation": {"size": result.size},
                "erlang": None
                if e is None
                else {
                    "peak_hour": format_instant(e.peak.start),
                    "tickets_per_hour": round(e.peak.rate, 3),
                    "handling_s": round(e.handling / 1e6, 1),
                    "traffic_erlangs": round(e.traffic, 3),
                    "target_waits_s": [[round(w / 1e6, 1), round(s, 4)] for w, s in e.waits],
                    "places_on_duty": e.servers,
                    "agents_on_duty": e.agents,
                    "size": e.size,
                },
            }
        )
        return
    console = _console()
    _table(console, rows, f"staffing: {result.metric} compliance by team size", _plain)
    for line in staffing_summary(result, team):
        console.print(line, highlight=False)


# -- output ----------------------------------------------------------------------------------------


def _console() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _plain(_: str, value: object) -> str:
    return "—" if value is None else str(value)


def _table(
    console: Console, rows: list[Row], title: str, cell: Callable[[str, object], str]
) -> None:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    table = Table(title=title, header_style="bold")
    for column in columns:
        first = next((r[column] for r in rows if r.get(column) is not None), None)
        table.add_column(column, justify="left" if isinstance(first, str) else "right")
    for row in rows:
        table.add_row(*(cell(c, row.get(c)) for c in columns))
    console.print(table)


def _json(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _csv(rows: list[Row], first: list[str]) -> None:
    columns = list(dict.fromkeys([*first, *(k for row in rows for k in row)]))
    out = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n", restval="")
    out.writeheader()
    out.writerows(rows)


def _without(row: Row, *keys: str) -> Row:
    return {k: v for k, v in row.items() if k not in keys}
