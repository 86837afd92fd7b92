"""The dashboard's availability pages: an objective's daily uptime bars and budget burn-down, and
the customers' monthly statements with their credits — over the same use cases as the API."""

from __future__ import annotations

import html
from fractions import Fraction
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from slakeeper.domain.availability import Report
from slakeeper.domain.errors import InvalidInput
from slakeeper.domain.periods import earlier, label_of, window
from slakeeper.entrypoints.availability_view import report_out, statement_out
from slakeeper.entrypoints.web.pages import login_first, render, services_of, who_is
from slakeeper.service.availability import (
    availability_report,
    objective_signals,
    statements,
)
from slakeeper.service.configuration import require_config
from slakeeper.service.queries import NotFound

router = APIRouter(prefix="/ui", include_in_schema=False)


def _uptime_bars(days: list[dict[str, Any]], target: Fraction) -> str:
    """Daily uptime as bars scaled from the target's budget below it down to 100% (SVG)."""
    width, height = 640, 140
    floor = max(Fraction(0), 1 - 3 * (1 - target))  # three budgets below 100% fills the chart
    step = width / max(len(days), 1)
    parts = [
        f'<svg class="uptime" width="{width}" height="{height + 20}" role="img" aria-label="daily uptime">'
    ]
    for i, d in enumerate(days):
        pct = d["uptime_pct"]
        ratio = Fraction(pct) / 100 if pct is not None else None
        if ratio is None:
            level, cls = 0.0, "unknown"
        else:
            scaled = (ratio - floor) / (1 - floor) if floor < 1 else Fraction(1)
            level = float(min(Fraction(1), max(Fraction(0), scaled)))
            cls = "met" if ratio >= target else "breached"
        h = max(2.0, level * height)
        x = i * step
        title = html.escape(f"{d['day']}: {pct if pct is not None else 'no data'}%")
        parts.append(
            f'<rect class="{cls}" x="{x:.1f}" y="{height - h:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{h:.1f}"><title>{title}</title></rect>'
        )
    parts.append(
        f'<text x="0" y="{height + 15}">{html.escape(days[0]["day"]) if days else ""}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _burn_down(r: Report) -> str:
    """The error budget left at the end of each day of the window (SVG line; below the axis
    once overspent)."""
    width, height = 640, 140
    total = r.budget.total
    if not total or not r.days:
        return '<p class="muted">No budget to draw.</p>'
    left = total
    points = [(0.0, 1.0)]
    for i, (_, m) in enumerate(r.days, start=1):
        left -= m.bad
        points.append((i / max(len(r.days), 1), float(left / total)))
    low = min(0.0, *(y for _, y in points))
    span = 1.0 - low or 1.0
    coords = " ".join(f"{x * width:.1f},{(1 - (y - low) / span) * height:.1f}" for x, y in points)
    zero = (1 - (0 - low) / span) * height
    return (
        f'<svg class="burn" width="{width}" height="{height}" role="img" aria-label="budget burn-down">'
        f'<line class="axis" x1="0" y1="{zero:.1f}" x2="{width}" y2="{zero:.1f}"/>'
        f'<polyline class="budget" points="{coords}"/></svg>'
    )


@router.get("/availability", response_model=None)
def availability_page(
    request: Request,
    service: Annotated[str | None, Query(max_length=128)] = None,
    objective: Annotated[str | None, Query(max_length=128)] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    who = who_is(request)
    if who is None:
        return login_first()
    svc = services_of(request)
    with svc.uow.read() as store:
        config = require_config(svc.config, store).config.availability
    issues: list[str] = []
    found = None
    services = list(config.services.values())
    chosen = config.services.get(service or "") or (services[0] if services else None)
    if service and chosen is not None and chosen.name != service:
        issues.append(f"no service {service!r}: showing {chosen.name}")
    if chosen is not None and chosen.objectives:
        try:
            r = availability_report(
                svc.uow, svc.config, chosen.name, objective or None, period or None, svc.now()
            )
        except (NotFound, InvalidInput, ValueError) as exc:
            issues.append(str(exc))
            r = availability_report(svc.uow, svc.config, chosen.name, None, None, svc.now())
        shown = report_out(r, objective_signals(svc.uow, svc.config, r))
        found = {
            "report": shown,
            "bars": _uptime_bars(shown["days"], r.objective.target),
            "burn": _burn_down(r),
        }
    return render(
        "availability.html.j2",
        title="Availability",
        page="/ui/availability",
        who=who,
        services=services,
        chosen=chosen,
        objective=objective,
        period=period or "",
        found=found,
        issues=issues,
    )


@router.get("/statements", response_model=None)
def statements_page(
    request: Request, period: Annotated[str | None, Query(max_length=16)] = None
) -> Response:
    who = who_is(request)
    if who is None:
        return login_first()
    svc = services_of(request)
    now = svc.now()
    utc = ZoneInfo("UTC")
    if not period:  # the last whole month
        period = earlier(window(label_of(now, "month", utc), utc), utc, 1)[0].label
    issues: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        rows = [
            statement_out(s) for s in statements(svc.uow, svc.config, period, now, who.customer)
        ]
    except InvalidInput as exc:
        issues.extend(exc.lines())
    return render(
        "statements.html.j2",
        title="Statements",
        page="/ui/statements",
        who=who,
        period=period,
        rows=rows,
        issues=issues,
    )
