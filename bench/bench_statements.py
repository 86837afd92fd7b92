"""Monthly statements for 1,000 customers, from the store, on SQLite and PostgreSQL.

Data (fixed seed): the example configuration plus three more services (five in all, each with a
monthly objective), a thousand customer contracts of one to four services each with fees and the
standard credit tiers, 300 incidents over October 2026 (a third partial), and every customer's
judged ticket clocks for the month kept as daily counts (what the store keeps as it derives
clocks). Timed: the month's statements while it runs (computed, provisional), at its close (the
first reading computes and issues version 1 for every customer) and after (read back frozen).
The peer is the same statements computed per customer the way a script over an export does it:
for every contract and service, that service's incidents measured again (no sharing).
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.bench_service import _databases
from bench.report import Figure, Section, Table, fmt_ratio, now_text
from slakeeper.adapters.config_file import parse_document
from slakeeper.adapters.db import tables as t
from slakeeper.bootstrap import bootstrap
from slakeeper.domain.availability import Incident, maintenance_of, measure
from slakeeper.domain.credits import statement
from slakeeper.domain.periods import window
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
from slakeeper.service.availability import UTC, record_incident, statements
from slakeeper.service.configuration import put_config, require_config
from slakeeper.settings import Settings

_US = 1_000_000
MINUTE = 60 * _US
DAY = 86_400 * _US
OCTOBER = window("2026-10", UTC)
TARGET_S = 10.0
EXTRA = ("database", "network", "cdn")


def _document(customers: int, rng: random.Random) -> dict[str, Any]:
    doc: dict[str, Any] = parse_document(EXAMPLE_CONFIG.read_text(), "sla.yaml")
    for name in EXTRA:
        doc["services"].append(
            {
                "name": name,
                "objectives": [
                    {
                        "name": f"{name}-monthly",
                        "target": "99.9%",
                        "window": {"calendar": "month", "timezone": "UTC"},
                    }
                ],
            }
        )
    names = ["storage", "compute", *EXTRA]
    doc["contracts"] = [
        {
            "customer": f"customer-{n:04d}",
            "currency": rng.choice(("EUR", "USD")),
            "minimum": 5,
            "services": [
                {"service": s, "monthly_fee": rng.randrange(100, 5000), "tiers": "standard"}
                for s in rng.sample(names, rng.randint(1, 4))
            ],
        }
        for n in range(customers)
    ]
    return doc


def _fill(svc: Any, customers: int, rng: random.Random) -> None:
    now = OCTOBER.start
    names = ["storage", "compute", *EXTRA]
    for i in range(300):
        start = OCTOBER.start + rng.randrange(30 * DAY)
        incident = Incident(
            f"INC-{i}",
            rng.choice(names),
            start,
            start + rng.randrange(1, 90) * MINUTE,
            "partial" if i % 3 == 0 else "major",
        )
        record_incident(svc.uow, svc.config, incident, now, "bench")
    rows = []
    first = OCTOBER.start // DAY
    for n in range(customers):
        for day in range(first, first + 31):
            for outcome, count in (("met", rng.randrange(5, 40)), ("breached", rng.randrange(3))):
                rows.append(
                    {
                        "day": day,
                        "metric": "resolution",
                        "policy": "bench",
                        "priority": "normal",
                        "group_name": "",
                        "customer": f"customer-{n:04d}",
                        "service": "",
                        "outcome": outcome,
                        "n": count,
                    }
                )
    with svc.uow() as store:
        for i in range(0, len(rows), 20_000):
            store._append(t.judged_days, rows[i : i + 20_000])  # type: ignore[attr-defined]


def _per_customer(svc: Any, period: str, now: int) -> float:
    """The peer: every contract's services measured from their incidents one by one."""
    started = time.perf_counter()
    with svc.uow.read() as store:
        config = require_config(svc.config, store).config.availability
        for contract in config.contracts.values():
            uptimes = {}
            for terms in contract.services:
                objective = config.objective(terms.service, terms.objective)
                assert objective is not None
                zone = getattr(objective.window, "zone", UTC)
                w = window(period, zone)
                found = store.incidents_between(terms.service, w.start, w.end)
                windows = maintenance_of(terms.service, config.maintenance, w.start, w.end)
                uptimes[terms.service] = measure(
                    objective, found, [], windows, w.start, w.end, now
                ).ratio
            statement(contract, period, OCTOBER.end, uptimes)
    return time.perf_counter() - started


def _timed(svc: Any, now: int) -> tuple[float, int]:
    started = time.perf_counter()
    found = statements(svc.uow, svc.config, "2026-10", now)
    return time.perf_counter() - started, len(found)


def run(quick: bool = False) -> Section:
    section = Section(
        key="statements",
        title="availability: monthly statements",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    customers = 200 if quick else 1_000
    table = Table(
        title=f"Monthly statements for {customers:,} customers (October 2026, 300 incidents)",
        columns=[
            "database",
            "while the month runs",
            "issue at close",
            "read frozen",
            "per-customer script",
            "ratio",
        ],
    )
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        for name, url, data in _databases(Path(folder)):
            data.mkdir(parents=True, exist_ok=True)
            rng = random.Random(7)
            svc = bootstrap(Settings(database_url=url), now=lambda: OCTOBER.start)
            try:
                doc = _document(customers, rng)
                text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
                put_config(svc.uow, svc.config, doc, text, "bench", OCTOBER.start)
                _fill(svc, customers, rng)
                running_at = OCTOBER.start + 20 * DAY
                closed_at = OCTOBER.end + DAY

                running, count = _timed(svc, running_at)
                issue, issued = _timed(svc, closed_at)
                frozen, _ = _timed(svc, closed_at + DAY)
                peer = _per_customer(svc, "2026-10", closed_at)
                assert count == issued == customers
                table.rows.append(
                    [
                        name,
                        f"{running:.2f} s",
                        f"{issue:.2f} s",
                        f"{frozen:.2f} s",
                        f"{peer:.2f} s",
                        fmt_ratio(peer / issue),
                    ]
                )
                figures.append(
                    Figure(
                        f"monthly statements for {customers:,} customers ({name})",
                        f"≤ {TARGET_S:g} s",
                        f"{issue:.2f} s",
                        issue <= TARGET_S,
                    )
                )
            finally:
                svc.engine.dispose()
    table.notes.append(
        "One run each, in process. Issue at close: every statement computed (each service's "
        "uptime once, the customers' ticket compliance in one query of the kept daily counts) "
        "and stored as version 1. The per-customer script computes only the uptimes and credits "
        "(no ticket figures, nothing stored)."
    )
    section.tables.append(table)
    section.figures = figures
    return section
