"""The dashboard's pages (``/ui``): server-rendered HTML over the same use cases as the API.

Login is the API token, kept in an HttpOnly, SameSite=Strict cookie; a customer-scoped token sees
its customer's tickets only, as in the API. Charts are SVG drawn here, scripts are one small file
(countdowns and the queue's refresh): nothing is fetched from anywhere else.
"""

from __future__ import annotations

import html
from fractions import Fraction
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from slakeeper.adapters.config_file import parse_document
from slakeeper.bootstrap import Services
from slakeeper.domain import reports
from slakeeper.domain.calendar_spec import load_zone
from slakeeper.domain.durations import parse_duration
from slakeeper.domain.errors import InvalidInput
from slakeeper.domain.events import BadEvent, format_instant, parse_instant
from slakeeper.domain.periods import earlier, window
from slakeeper.domain.reports import ComplianceRow, period_of
from slakeeper.entrypoints import report_view as view
from slakeeper.entrypoints import review_view
from slakeeper.entrypoints.explain_view import explanation_dict
from slakeeper.entrypoints.web.pages import COOKIE, login_first, render, services_of, who_is
from slakeeper.service.alert_log import list_alerts, ticket_alerts
from slakeeper.service.configuration import put_config
from slakeeper.service.queries import NotFound, at_risk, ticket_view
from slakeeper.service.records import AlertFilter
from slakeeper.service.reports import ReportQuery, compliance_report, review_report
from slakeeper.service.routing_advice import ticket_advice
from slakeeper.service.tokens import Principal, Unauthorized, authenticate

router = APIRouter(prefix="/ui", include_in_schema=False)
_US = 1_000_000
DEFAULT_WINDOW = 56 * 86_400 * _US  # the compliance page without dates: the last eight weeks
# -- login ---------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page() -> HTMLResponse:
    return render("login.html.j2", title="Log in", who=None)


@router.post("/login", response_model=None)
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    try:
        authenticate(services_of(request).uow, token)
    except Unauthorized:
        return render(
            "login.html.j2", 401, title="Log in", who=None, error="Unknown or revoked token."
        )
    answer = RedirectResponse("/ui/", status_code=303)
    answer.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/ui")
    return answer


@router.post("/logout")
def logout() -> RedirectResponse:
    answer = RedirectResponse("/ui/login", status_code=303)
    answer.delete_cookie(COOKIE, path="/ui")
    return answer


# -- the at-risk queue ---------------------------------------------------------------------------


def _queue(request: Request, who: Principal, within: str) -> dict[str, Any]:
    svc = services_of(request)
    try:
        window = parse_duration(within)
    except ValueError:
        window = parse_duration("4h")
        within = "4h"
    now = svc.now()
    found = at_risk(svc.uow, svc.config, now, int(window.total_seconds()) * _US, who.customer, 500)
    with svc.uow.read() as store:
        rows = {item.clock.ticket: store.ticket(item.clock.ticket) for item in found}
    clocks = []
    for item in found:
        c = item.clock
        due = c.due_at or now
        left = (due - now) / _US
        share = left / (c.target / _US) if c.target else 0
        risk = (
            "risk-late"
            if left < 0
            else "risk-high"
            if share < 0.1
            else "risk-warn"
            if share < 0.25
            else "risk-ok"
        )
        ticket = rows.get(c.ticket)
        clocks.append(
            {
                "ticket": c.ticket,
                "metric": c.metric,
                "cycle": c.cycle,
                "policy": c.policy,
                "priority": ticket.priority if ticket else None,
                "customer": ticket.customer if ticket else None,
                "due": format_instant(due),
                "due_epoch": due / _US,
                "target_s": c.target / _US,
                "left": f"{int(left // 60)}m",
                "risk": risk,
                "probability": None if item.risk is None else item.risk.risk,
                # the reasons count the whole desk's tickets and name agents: staff only
                "reasons": [] if item.risk is None or who.customer else list(item.risk.reasons),
            }
        )
    return {"clocks": clocks, "within": within, "at": format_instant(now)}


@router.get("/", response_model=None)
def queue_page(request: Request, within: Annotated[str, Query(max_length=16)] = "4h") -> Response:
    who = who_is(request)
    if who is None:
        return login_first()
    return render(
        "queue.html.j2", title="At risk", page="/ui/", who=who, **_queue(request, who, within)
    )


@router.get("/fragments/at-risk", response_model=None)
def queue_fragment(
    request: Request, within: Annotated[str, Query(max_length=16)] = "4h"
) -> Response:
    who = who_is(request)
    if who is None:
        return Response(status_code=401)
    return render("queue_rows.html.j2", **_queue(request, who, within))


# -- compliance ----------------------------------------------------------------------------------


def _margin(rows: list[ComplianceRow], axis: int) -> list[ComplianceRow]:
    """Rows keyed by (a, b) summed over the other key, ordered as reports order keys."""
    sums: dict[str | None, list[int]] = {}
    for r in rows:
        found = sums.setdefault(r.key[axis], [0, 0])
        found[0] += r.met
        found[1] += r.breached
    ordered = sorted(sums.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))
    return [ComplianceRow((key,), met, breached) for key, (met, breached) in ordered]


def _bars(rows: list[dict[str, Any]], key: str) -> str:
    """Horizontal bars of compliance % per row (SVG)."""
    if not rows:
        return ""
    height = 22 * len(rows) + 10
    parts = [f'<svg class="bars" width="640" height="{height}" role="img" aria-label="compliance">']
    for i, r in enumerate(rows):
        y = 5 + 22 * i
        pct = float(r["compliance_pct"])
        label = html.escape(str(r[key]) if r[key] is not None else "—")
        colour = "#2e7d32" if pct >= 90 else "#f9a825" if pct >= 75 else "#c62828"
        parts.append(f'<text x="0" y="{y + 14}">{label}</text>')
        parts.append(
            f'<rect x="180" y="{y}" width="{pct * 4:.1f}" height="16" fill="{colour}">'
            f"<title>{label}: {pct}%</title></rect>"
        )
        parts.append(f'<text x="{186 + pct * 4:.1f}" y="{y + 14}">{pct}%</text>')
    parts.append("</svg>")
    return "".join(parts)


def _trend(rows: list[dict[str, Any]]) -> str:
    """Compliance % per period as columns (SVG)."""
    if not rows:
        return '<p class="muted">No judged clocks.</p>'
    width = max(640, 40 * len(rows))
    parts = [f'<svg class="trend" width="{width}" height="170" role="img" aria-label="trend">']
    for i, r in enumerate(rows):
        pct = float(r["compliance_pct"])
        x = 10 + 40 * i
        parts.append(
            f'<rect x="{x}" y="{130 - pct * 1.2:.1f}" width="28" height="{pct * 1.2:.1f}" '
            f'fill="#1d2733"><title>{html.escape(str(r["period"]))}: {pct}%</title></rect>'
        )
        parts.append(f'<text x="{x}" y="150">{html.escape(str(r["period"]))[-5:]}</text>')
    parts.append("</svg>")
    return "".join(parts)


@router.get("/compliance", response_model=None)
def compliance_page(
    request: Request,
    by: Annotated[str, Query(max_length=20)] = "metric",
    period: Annotated[str, Query(max_length=10)] = "week",
    tz: Annotated[str, Query(max_length=64)] = "UTC",
    since: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    priority: Annotated[str, Query(max_length=256)] = "",
    customer: Annotated[str, Query(max_length=256)] = "",
    group: Annotated[str, Query(max_length=256)] = "",
) -> Response:
    who = who_is(request)
    if who is None:
        return login_first()
    svc = services_of(request)
    issues: list[str] = []
    only = {"priority": priority, "customer": customer, "group": group}
    where = tuple((d, v.strip()) for d, v in only.items() if v.strip())
    if by not in reports.DIMENSIONS or by == "period":
        issues.append(f"group by {by!r}: choose one of the listed dimensions")
        by = "metric"
    if period not in reports.PERIODS:
        issues.append(f"period {period!r}: choose day, week, month or quarter")
        period = "week"
    try:
        zone = load_zone(tz)
    except ValueError as exc:
        issues.append(str(exc))
        zone, tz = load_zone("UTC"), "UTC"
    window: list[int | None] = []
    for name, value in (("from", since), ("to", until)):
        try:
            window.append(parse_instant(value, name) if value else None)
        except BadEvent as exc:
            issues.append(str(exc))
            window.append(None)
    now = svc.now()
    if since is None and until is None:  # the dashboard's default: the last eight weeks
        since = format_instant(now - DEFAULT_WINDOW)
        window = [now - DEFAULT_WINDOW, None]
    # one count by dimension and period; the bars and the trend are its two margins
    q = ReportQuery([by, "period"], period, zone, window[0], window[1], now, who.customer, where)
    both = compliance_report(svc.uow, q)
    rows = view.compliance_rows([by], _margin(both, 0))
    trend = view.compliance_rows(["period"], _margin(both, 1))
    return render(
        "compliance.html.j2",
        title="Compliance",
        page="/ui/compliance",
        who=who,
        rows=rows,
        by=by,
        period=period,
        tz=tz,
        since=since,
        until=until,
        issues=issues,
        only=only,
        bars=_bars(rows, by),
        trend=_trend(trend),
    )


# -- the periodic review ------------------------------------------------------------------------


@router.get("/review", response_model=None)
def review_page(
    request: Request,
    period: Annotated[str | None, Query(max_length=16)] = None,
    tz: Annotated[str, Query(max_length=64)] = "UTC",
    objective: Annotated[str, Query(max_length=8)] = "95",
) -> Response:
    who = who_is(request)
    if who is None:
        return login_first()
    svc = services_of(request)
    now = svc.now()
    issues: list[str] = []
    try:
        zone = load_zone(tz)
    except ValueError as exc:
        issues.append(str(exc))
        zone, tz = load_zone("UTC"), "UTC"
    if period is None:  # the last whole month
        period = earlier(window(period_of(now, "month", zone), zone), zone, 1)[0].label
    try:
        share = Fraction(objective) / 100
        if not 0 <= share <= 1:
            raise ValueError
    except (ValueError, ZeroDivisionError):
        issues.append(f"objective {objective!r}: a percentage between 0 and 100")
        share, objective = Fraction(95, 100), "95"
    found = None
    try:
        window(period, zone)
    except ValueError as exc:
        issues.append(str(exc))
    else:
        scopes = review_report(svc.uow, period, zone, share, now, who.customer)
        found = review_view.as_dict(period, tz, scopes)
    return render(
        "review_page.html.j2",
        title="Review",
        page="/ui/review",
        who=who,
        period=period,
        tz=tz,
        objective=objective,
        issues=issues,
        review=found,
        at=format_instant(min(window(period, zone).end, now)) if found else "",
    )


# -- a ticket ------------------------------------------------------------------------------------


def _clock_chart(explained: list[dict[str, Any]], start: int, end: int) -> str:
    """Each clock as a line over the ticket's life: running and paused stretches, due, breach."""
    if not explained or end <= start:
        return ""
    width, left = 760, 170
    scale = (width - left - 10) / (end - start)

    def x(instant: int) -> float:
        return left + (min(max(instant, start), end) - start) * scale

    parts = [
        f'<svg class="clocks" width="{width}" height="{28 * len(explained) + 10}" role="img" '
        'aria-label="clocks">'
    ]
    for i, item in enumerate(explained):
        c = item["clock"]
        y = 8 + 28 * i
        name = f"{c['metric']} #{c['cycle']}"
        parts.append(f'<text x="0" y="{y + 12}">{html.escape(name)}</text>')
        for s in item["segments"]:
            a, b = parse_instant(s["from"]), parse_instant(s["to"])
            colour = "#2e7d32" if s["running"] else "#b0bec5"
            state = "running" if s["running"] else "paused"
            parts.append(
                f'<rect class="segment {state}" x="{x(a):.1f}" y="{y}" width="{max(1.0, x(b) - x(a)):.1f}" '
                f'height="14" fill="{colour}"><title>{state} {s["from"]} – {s["to"]} '
                f"({html.escape(s['status'])})</title></rect>"
            )
        if c["due_at"]:
            d = x(parse_instant(c["due_at"]))
            colour = "#c62828" if c["breached"] else "#1d2733"
            parts.append(
                f'<line class="due" x1="{d:.1f}" x2="{d:.1f}" y1="{y - 3}" y2="{y + 17}" '
                f'stroke="{colour}" stroke-width="2"><title>due {c["due_at"]}</title></line>'
            )
    parts.append("</svg>")
    return "".join(parts)


@router.get("/tickets/{ticket}", response_model=None)
def ticket_page(request: Request, ticket: str) -> Response:
    who = who_is(request)
    if who is None:
        return login_first()
    svc = services_of(request)
    now = svc.now()
    try:
        found = ticket_view(svc.uow, svc.config, ticket, now, who.customer)
    except (NotFound, InvalidInput):
        return render(
            "notice.html.j2", 404, title="Not found", who=who, error=f"No ticket {ticket!r}."
        )
    explained = [explanation_dict(x) for x in found.explanations]
    events = [
        {
            "at": format_instant(e.at),
            "type": e.type,
            "details": ", ".join(
                f"{k}: {v}"
                for k, v in e.as_dict().items()
                if k not in ("id", "ticket", "type", "at")
            ),
        }
        for e in found.events
    ]
    start = min((e.at for e in found.events), default=now)
    dues = [parse_instant(x["clock"]["due_at"]) for x in explained if x["clock"]["due_at"]]
    last = max((e.at for e in found.events), default=now)
    end = max([last, *dues] if found.ticket.status == "closed" else [now, last, *dues])
    alerts = [
        {
            "fired_at": format_instant(a.alert.fired_at),
            "kind": a.alert.kind,
            "metric": a.alert.metric,
            "threshold": a.alert.threshold,
            "late": a.alert.late,
        }
        for a in ticket_alerts(svc.uow, ticket, who.customer)
    ]
    row = found.ticket
    t = {
        "id": row.id,
        "status": row.status,
        "priority": row.priority,
        "customer": row.customer,
        "group": row.group,
        "created_at": format_instant(row.created_at) if row.created_at else "—",
    }
    running = [x.clock for x in found.explanations if x.clock.status == "active"]
    with svc.uow.read() as store:
        stored = store.risks_of([(c.ticket, c.metric, c.cycle) for c in running])
    risks = {
        f"{metric}#{cycle}": {
            "probability": r.risk,
            "reasons": [] if who.customer else list(r.reasons),  # desk-wide facts: staff only
        }
        for (_, metric, cycle), r in stored.items()
    }
    return render(
        "ticket.html.j2",
        title=f"Ticket {ticket}",
        page="",
        who=who,
        t=t,
        clocks=explained,
        chart=_clock_chart(explained, start, end),
        events=events,
        alerts=alerts,
        risks=risks,
        advice=None if who.customer is not None else _advice(svc, ticket, now),
    )


def _advice(svc: Services, ticket: str, now: int) -> dict[str, Any]:
    """The routing advice section: agents name staff, so customers do not see it."""
    found = ticket_advice(svc.uow, svc.config, ticket, now)
    return {
        "assignee": found.assignee,
        "best": found.best,
        "wait_for": found.wait_for,
        "reasons": found.reasons,
        "note": found.note,
        "agents": [
            {
                "name": a.name,
                "rank": a.rank,
                "score": "—" if a.score is None else f"{a.score:.2f}",
                "skilled": a.skilled,
                "available": a.available,
                "on_shift": a.on_shift,
                "load": f"{a.load} / {a.capacity}",
                "reasons": a.reasons,
            }
            for a in found.agents
        ],
    }


# -- the alert log -------------------------------------------------------------------------------


@router.get("/alerts", response_model=None)
def alerts_page(
    request: Request,
    kind: Annotated[str, Query(max_length=20)] = "",
    delivery: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    who = who_is(request)
    if who is None:
        return login_first()
    svc = services_of(request)
    f = AlertFilter(
        customer=who.customer,
        kind=kind if kind in ("warning", "breach", "escalation") else None,
        delivery=delivery if delivery in ("pending", "delivered", "dead", "skipped") else None,
    )
    page = list_alerts(svc.uow, f, None, 200)
    internal = who.customer is None
    alerts = [
        {
            "fired_at": format_instant(a.alert.fired_at),
            "ticket": a.alert.ticket,
            "metric": a.alert.metric,
            "cycle": a.alert.cycle,
            "kind": a.alert.kind,
            "threshold": a.alert.threshold,
            "late": a.alert.late,
            "deliveries": [
                {
                    "channel": d.delivery.channel,
                    "status": d.delivery.status,
                    "last_error": d.delivery.last_error,
                }
                for d in a.deliveries
            ]
            if internal
            else [],
        }
        for a in page.alerts
    ]
    return render(
        "alerts.html.j2",
        title="Alerts",
        page="/ui/alerts",
        who=who,
        alerts=alerts,
        kind=kind,
        delivery=delivery,
    )


# -- configuration -------------------------------------------------------------------------------


def _config_context(svc: Services, who: Principal) -> dict[str, Any]:
    with svc.uow.read() as store:
        current = svc.config.current(store)
    if current is None:
        return {"calendars": [], "policies": [], "source": "", "version": None}
    document = current.document if isinstance(current.document, dict) else {}
    calendars = [
        {"name": c.get("name"), "timezone": c.get("timezone")}
        for c in document.get("calendars", [])
        if isinstance(c, dict)
    ]
    policies = [
        {
            "name": p.name,
            "level": p.level,
            "scope": ", ".join(x for x in (p.customer, p.service) if x) or "everyone",
            "calendar": next(
                (n for n, c in current.config.calendars.items() if c is p.calendar), "—"
            ),
            "alerts": ", ".join(a.key for a in p.alerts) or "—",
        }
        for p in current.config.policies
    ]
    return {
        "calendars": calendars,
        "policies": policies,
        "source": current.source,
        "version": current.version,
    }


@router.get("/config", response_model=None)
def config_page(request: Request) -> Response:
    who = who_is(request)
    if who is None:
        return login_first()
    if who.customer is not None:
        return render(
            "notice.html.j2",
            403,
            title="Not allowed",
            who=who,
            error="The configuration is not for customers.",
        )
    svc = services_of(request)
    return render(
        "config.html.j2",
        title="Calendars & policies",
        page="/ui/config",
        who=who,
        can_edit=who.can("admin"),
        **_config_context(svc, who),
    )


@router.post("/config", response_model=None)
async def save_config(request: Request) -> Response:
    who = who_is(request)
    if who is None:
        return login_first()
    svc = services_of(request)
    if who.customer is not None or not who.can("admin"):
        return render(
            "notice.html.j2",
            403,
            title="Not allowed",
            who=who,
            error="Editing needs an admin token.",
        )
    form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    source = (form.get("source") or [""])[0]
    context = _config_context(svc, who)
    try:
        document = parse_document(source, "the edited configuration")
        saved = put_config(svc.uow, svc.config, document, source, who.name, svc.now(), svc.states)
    except InvalidInput as exc:  # a YAML error or an invalid configuration, with every issue
        context.update(source=source)
        return render(
            "config.html.j2",
            422,
            title="Calendars & policies",
            page="/ui/config",
            who=who,
            can_edit=True,
            issues=exc.issues,
            **context,
        )
    context = _config_context(svc, who)
    return render(
        "config.html.j2",
        title="Calendars & policies",
        page="/ui/config",
        who=who,
        can_edit=True,
        saved=saved.version,
        **context,
    )
