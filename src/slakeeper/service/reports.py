"""Reports from the store: the numbers of :mod:`slakeeper.domain.reports`, counted by the
database (the judged clocks are never loaded one by one).

Periods and hours of the week are local to a time zone, which SQLite cannot convert; so the
store counts by 15-minute slice of UTC time — every zone's offset is a whole number of quarter
hours — and each slice is placed in its local period here. Exact, and the same on both stores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from slakeeper.domain.reports import ComplianceRow, period_of
from slakeeper.service.ports import UnitOfWork

SLICE = 15 * 60 * 1_000_000  # µs: a quarter hour
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    by: Sequence[str]
    period: str
    zone: ZoneInfo
    start: int | None
    end: int | None
    now: int
    customer: str | None = None  # a customer-scoped caller sees its own tickets only


def compliance_report(uow: UnitOfWork, q: ReportQuery) -> list[ComplianceRow]:
    """Met and breached clocks grouped as :func:`slakeeper.domain.reports.compliance` groups them."""
    store_dims = [d for d in q.by if d != "period"]
    periods = "period" in q.by
    with uow.read() as store:
        rows = store.judged_counts(
            store_dims, q.now, q.start, q.end, q.customer, SLICE if periods else None
        )
    local = _period_namer(q.zone, q.period)
    counts: dict[tuple[str | None, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        *values, slice_, outcome, count = row
        named = dict(zip(store_dims, values, strict=True))
        if periods:
            named["period"] = local(int(slice_))
        key = tuple(named[d] for d in q.by)
        counts[key][0 if outcome == "met" else 1] += int(count)
    return [
        ComplianceRow(key, met, breached)
        for key, (met, breached) in sorted(
            counts.items(), key=lambda kv: tuple((v is not None, v or "") for v in kv[0])
        )
    ]


def breaches_by_hour_report(uow: UnitOfWork, q: ReportQuery) -> list[list[int]]:
    """Breaches by local weekday and hour of their due instant: 7 × 24."""
    with uow.read() as store:
        rows = store.judged_counts([], q.now, q.start, q.end, q.customer, SLICE)
    grid = [[0] * 24 for _ in range(7)]
    for slice_, outcome, count in rows:
        if outcome == "breached":
            day, hour = _hour_of_week(q.zone, int(slice_))
            grid[day][hour] += int(count)
    return grid


def _period_namer(zone: ZoneInfo, period: str) -> Callable[[int], str]:
    @cache
    def name(slice_: int) -> str:
        return period_of(slice_ * SLICE, period, zone)

    return name


@lru_cache(maxsize=100_000)
def _hour_of_week(zone: ZoneInfo, slice_: int) -> tuple[int, int]:
    local = (EPOCH + timedelta(microseconds=slice_ * SLICE)).astimezone(zone)
    return local.weekday(), local.hour
