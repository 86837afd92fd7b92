"""Availability answers as JSON-ready rows: an objective's report and a customer's statement, as
the API, the CLI and the dashboard show them (exact ratios as fractions, percentages floored)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slakeeper.domain.availability import Report, floor_percent
from slakeeper.domain.availability_alerts import Signal, span_label
from slakeeper.domain.events import format_instant
from slakeeper.service.availability import IssuedStatement


def report_out(r: Report, found: Sequence[Signal] = ()) -> dict[str, Any]:
    """An objective's report as JSON: exact ratios as fractions, percentages floored, and the
    signals that hold (burn rates, budget, credit tiers)."""

    def pct(value: Any, places: int = 5) -> str | None:
        return None if value is None else floor_percent(value, places)

    o = r.objective
    return {
        "service": o.service,
        "objective": o.name,
        "target_pct": pct(o.target),
        "method": o.method,
        "window": {
            "label": r.window.label,
            "start": format_instant(r.window.start),
            "end": format_instant(r.window.end),
        },
        "at": format_instant(r.at),
        "uptime": None if r.uptime is None else str(r.uptime),
        "uptime_pct": pct(r.uptime),
        "met": r.met,
        "good": str(r.measure.good),
        "eligible": str(r.measure.eligible),
        "budget": {
            "total": str(r.budget.total),
            "consumed": str(r.budget.consumed),
            "remaining": str(r.budget.remaining),
            "remaining_pct": None
            if r.budget.remaining_ratio is None
            else str(round(float(r.budget.remaining_ratio) * 100, 3)),
        },
        "burn_rates": {
            span_label(back): None if rate is None else str(round(float(rate), 3))
            for back, rate in r.burn.items()
        },
        "projected_uptime_pct": pct(r.projected),
        "days": [{"day": day, "uptime_pct": pct(m.ratio)} for day, m in r.days],
        "signals": [
            {"kind": x.kind, "key": x.key, "severity": x.severity, "message": x.message}
            for x in found
        ],
    }


def statement_out(s: IssuedStatement) -> dict[str, Any]:
    return {
        **s.body,
        "claim_by": format_instant(int(s.body["claim_by"])),
        "version": s.version,
        "issued_at": None if s.issued_at is None else format_instant(s.issued_at),
        "status": "provisional"
        if s.version is None
        else "issued"
        if s.version == 1
        else "restated",
        "reason": s.reason,
    }
