"""Reports and the dashboard: the monthly compliance report over 1,000,000 tickets, and each
dashboard page's server time with 100,000 open tickets, on SQLite and PostgreSQL.

The store is filled directly with ticket and clock rows as derivation writes them (three
clocks per ticket, over three months; one ticket in ten still open), which is what the report
reads — ingesting a million histories through the API would measure ingestion instead. The
peer is pandas: the same monthly compliance from the same clock rows loaded in a DataFrame
(what an analyst does with a help desk's export), timed for the group-by alone.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.bench_service import _databases
from bench.report import Figure, Section, Table, now_text
from slakeeper.adapters.config_file import parse_document
from slakeeper.adapters.db import tables as t
from slakeeper.bootstrap import Services, bootstrap
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
from slakeeper.service.configuration import put_config
from slakeeper.service.reports import ReportQuery, compliance_report
from slakeeper.service.tokens import create_token
from slakeeper.settings import Settings

_US = 1_000_000
DAY = 86_400 * _US
TARGET_REPORT_S = 2.0
TARGET_PAGE_MS = 300.0
START = int(datetime(2026, 8, 1, tzinfo=UTC).timestamp()) * _US
MONTH = (
    int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()) * _US,
    int(datetime(2026, 10, 1, tzinfo=UTC).timestamp()) * _US,
)
# late in a day, so the day so far — counted from the clocks, not the daily counts — holds
# most of a day's tickets
NOW = int(datetime(2026, 10, 31, 18, tzinfo=UTC).timestamp()) * _US
PRIORITIES = ("urgent", "high", "normal", "low")
CUSTOMERS = ("acme", "globex", "initech", "umbrella", "hooli")
GROUPS = ("tier1", "tier2", "billing")
TARGETS = {
    "first_response": 2 * 3600 * _US,
    "next_response": 4 * 3600 * _US,
    "resolution": 24 * 3600 * _US,
}


def _rows(
    count: int, open_share: float, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tickets, clocks = [], []
    span = NOW - START - 2 * DAY
    for n in range(count):
        ticket = f"B-{n:07d}"
        created = START + rng.randrange(span)
        still_open = rng.random() < open_share
        if still_open:
            created = NOW - rng.randrange(2 * DAY)
        priority, customer, group = (
            rng.choice(PRIORITIES),
            rng.choice(CUSTOMERS),
            rng.choice(GROUPS),
        )
        tickets.append(
            {
                "id": ticket,
                "customer": customer,
                "service": None,
                "group_name": group,
                "priority": priority,
                "status": "open" if still_open else "closed",
                "created_at": created,
                "last_event_at": created,
                "event_count": 3,
                "channel": rng.choice(("email", "chat", "phone")),
                "assignee": f"agent-{rng.randrange(40)}",
                "replies": 1,
                "reopens": 0,
                "solved_at": None if still_open else created + DAY,
                "csat_score": None,
                "csat_at": None,
            }
        )
        for metric, target in TARGETS.items():
            took = int(target * rng.uniform(0.1, 1.4))
            due = created + target
            if still_open and metric != "first_response":
                status, stopped, elapsed, breached = "active", None, min(took, NOW - created), False
            else:
                status, stopped, elapsed, breached = "achieved", created + took, took, took > target
            clocks.append(
                {
                    "ticket": ticket,
                    "metric": metric,
                    "cycle": 1,
                    "policy": "Corporate — standard",
                    "target": target,
                    "started_at": created,
                    "stopped_at": stopped,
                    "status": status,
                    "elapsed": elapsed,
                    "due_at": due,
                    "breached": breached,
                    "customer": customer,
                    "service": None,
                    "group_name": group,
                    "priority": priority,
                    "derived_at": created,
                    "config_version": 1,
                    "next_check_at": None,
                }
            )
    return tickets, clocks


def _fill(svc: Services, count: int) -> float:
    """Write the rows and count them into ``judged_days`` (as the upgrade to revision 0004
    counts a database's clocks); returns the seconds the counting took."""
    rng = random.Random(11)
    for start in range(0, count, 50_000):
        tickets, clocks = _rows(min(50_000, count - start), 0.1, rng)
        for row in tickets:
            row["id"] = f"B-{start:07d}-{row['id']}"
        for row in clocks:
            row["ticket"] = f"B-{start:07d}-{row['ticket']}"
        with svc.uow() as store:
            store._append(t.tickets, tickets)  # type: ignore[attr-defined]
            store._append(t.clocks, clocks)  # type: ignore[attr-defined]
    if svc.engine.dialect.name == "postgresql":
        with svc.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE tickets")
            c.exec_driver_sql("VACUUM ANALYZE clocks")
    else:
        with svc.engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
    started = time.perf_counter()
    with svc.uow() as store:
        store.recount()
    return time.perf_counter() - started


def _timed(fn: Any, runs: int = 3) -> float:
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        found.append(time.perf_counter() - start)
    return statistics.median(found)


def _pandas_month(svc: Services) -> float:
    import pandas as pd

    with svc.engine.connect() as c:
        frame = pd.read_sql_query(
            "SELECT metric, status, breached, due_at, stopped_at FROM clocks", c
        )

    def compute() -> None:
        f = frame
        live = f["status"].isin(["active", "paused"])
        breached = f["breached"].astype(bool) | (live & (f["due_at"] < NOW))
        met = (f["status"] == "achieved") & ~f["breached"].astype(bool)
        at = f["due_at"].where(breached, f["stopped_at"])
        window = (at >= MONTH[0]) & (at < MONTH[1]) & (breached | met)
        f.loc[window].assign(outcome=breached[window]).groupby(["metric", "outcome"]).size()

    return _timed(compute)


def _pages(svc: Services, token: str) -> dict[str, float]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from slakeeper.entrypoints.api.app import create_app

    client = TestClient(create_app(svc))
    client.cookies.set("slk_token", token, path="/ui")
    out = {}
    for name, path in (
        ("at-risk queue (72h)", "/ui/?within=72h"),
        ("compliance by priority, weeks (UTC)", "/ui/compliance?by=priority&period=week"),
        (
            "compliance by group, weeks (Berlin)",
            "/ui/compliance?by=group&period=week&tz=Europe/Berlin",
        ),
        ("compliance by assignee, weeks (UTC)", "/ui/compliance?by=assignee&period=week"),
        ("review of a month", "/ui/review?period=2026-09"),
        ("ticket", "/ui/tickets/B-0000000-B-0000001"),
        ("alert log", "/ui/alerts"),
        ("calendars & policies", "/ui/config"),
    ):
        client.get(path)
        out[name] = _timed(lambda p=path: client.get(p), runs=5) * 1000
    return out


def run(quick: bool = False) -> Section:
    section = Section(
        key="reports",
        title="reports: compliance and the dashboard",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    count = 100_000 if quick else 1_000_000
    report = Table(
        title=f"Monthly compliance over {count:,} tickets ({3 * count:,} clocks)",
        columns=[
            "database",
            "by metric",
            "by metric, priority, day (Berlin)",
            "pandas group-by",
            "ratio",
        ],
    )
    pages = Table(
        title=f"Dashboard pages, server time with {count // 10:,} open tickets",
        columns=["database", "page", "median"],
    )
    figures: list[Figure] = []
    recounts: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        for name, url, data in _databases(Path(folder)):
            data.mkdir(parents=True, exist_ok=True)
            svc = bootstrap(Settings(database_url=url), now=lambda: NOW)
            try:
                text = EXAMPLE_CONFIG.read_text()
                put_config(
                    svc.uow, svc.config, parse_document(text, "sla.yaml"), text, "bench", NOW
                )
                counting = _fill(svc, count)
                recounts.append(f"{name} {counting:.1f} s")
                month = ReportQuery(["metric"], "month", ZoneInfo("UTC"), MONTH[0], MONTH[1], NOW)
                daily = ReportQuery(
                    ["metric", "priority", "period"],
                    "day",
                    ZoneInfo("Europe/Berlin"),
                    MONTH[0],
                    MONTH[1],
                    NOW,
                )
                simple = _timed(lambda s=svc, q=month: compliance_report(s.uow, q))
                detailed = _timed(lambda s=svc, q=daily: compliance_report(s.uow, q))
                peer = _pandas_month(svc)
                report.rows.append(
                    [
                        name,
                        f"{simple:.2f} s",
                        f"{detailed:.2f} s",
                        f"{peer:.2f} s",
                        f"{peer / simple:.1f}×",
                    ]
                )
                if name == "PostgreSQL":  # the figure is for the production store
                    figures.append(
                        Figure(
                            f"monthly compliance over {count:,} tickets ({name})",
                            f"≤ {TARGET_REPORT_S:.0f} s",
                            f"{simple:.2f} s",
                            simple <= TARGET_REPORT_S,
                        )
                    )
                token = create_token(svc.uow, "bench", "admin", None, NOW)[1]
                worst = 0.0
                for page, ms in _pages(svc, token).items():
                    pages.rows.append([name, page, f"{ms:.0f} ms"])
                    worst = max(worst, ms)
                figures.append(
                    Figure(
                        f"slowest dashboard page, {count // 10:,} open tickets ({name})",
                        f"≤ {TARGET_PAGE_MS:.0f} ms",
                        f"{worst:.0f} ms",
                        worst <= TARGET_PAGE_MS,
                    )
                )
            finally:
                svc.engine.dispose()
    report.notes.append(
        "Median of three runs, in process. pandas: the same month's compliance by metric from the same clock rows already in a DataFrame (loading not timed). "
        "By metric, the month's whole UTC days are read from the kept daily counts (judged_days); "
        "by day in Berlin, each day also counts the hour or two of it that falls in the UTC day "
        "before from the clocks. Counted from the clocks alone (before the kept counts), the "
        "monthly report took 0.36 s on PostgreSQL and 3.65 s on SQLite."
    )
    pages.notes.append(
        "Median of five requests through the ASGI app in process (server time, no network). "
        "The compliance pages cover the last eight weeks; whole past days are read from the "
        "daily counts (judged_days), today and days a local week starts within from the clocks; "
        "by assignee (a ticket's dimension the daily counts do not keep) counts the clocks."
    )
    pages.notes.append(
        f"Counting the {3 * count:,} clocks into the daily counts, as the upgrade to revision "
        f"0004 does: {', '.join(recounts)}."
    )
    section.tables += [report, pages]
    section.figures = figures
    return section
