"""Availability benchmark: uptime, error budget and burn rates of one service over a year of
one-minute probe results (525,600 slices), for a calendar-year objective and a 30-day rolling
one, each budgeted by ``occurrences``, ``timeslices`` and ``ratio_timeslices``.

Data (fixed seed): every minute of 2026 (UTC) is one slice of six probe locations' results —
six probes most minutes, five in 1% of them (a location missed its turn), none in 0.05% (an
unknown slice). About 0.2% of the minutes have one failing probe, and forty outages of 1 to 30
minutes fail a random share of the probes. A weekly maintenance window (Sundays 02:00–03:00 UTC)
is left out of the objectives' periods. The report is asked for at 2026-12-31 18:00 UTC.

Implementations, in one run on the same slices
----------------------------------------------
slakeeper ``batch_report``
    The numpy form (:mod:`slakeeper.domain.availability_batch`): the slices as sorted int64
    columns, every span two binary searches, the 365 days in one pass; exact ``Fraction`` s.

slakeeper ``availability.report``
    The per-object form the service runs: ``Slice`` objects, one Python loop over them per span
    (the window so far, six burn-rate lookbacks, the last day, and each day). Given the slices
    the service reads for a report — from the window's start (or three days before now) to its
    end. Slow (seconds for a year), so timed once per row.

pandas (the peer)
    What an analyst does with a probe export: a DataFrame of the slices indexed by minute (the
    same slices the service reads; built before timing, as loading is not timed), then, timed —
    the maintenance minutes from an ``IntervalIndex``, the per-slice good and eligible amounts
    as floats, the sums over the window, ``rolling("<lookback>")`` sums for the burn rates,
    ``resample("1D")`` for the days and the last day's ratio for the projection (weighted by
    wall time, not eligible time). Floats, so its ratios are near the exact ones, not always
    equal: the largest difference is shown.

Times are wall-clock medians (``time.perf_counter``) of several runs, in process.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from bench.report import Figure, Section, Table, fmt_ratio, now_text
from slakeeper.domain.availability import (
    LOOKBACKS,
    CalendarWindow,
    Maintenance,
    Objective,
    Report,
    RollingWindow,
    Slice,
    maintenance_of,
    period,
    report,
)
from slakeeper.domain.availability_batch import SliceArrays, batch_report
from slakeeper.domain.periods import window

_US = 1_000_000
MINUTE = 60 * _US
DAY = 86_400 * _US
UTC = ZoneInfo("UTC")
SEED = 20260101
YEAR = window("2026", UTC)
SLICES = (YEAR.end - YEAR.start) // MINUTE  # 525,600
NOW = YEAR.start + (364 * 24 + 18) * 3600 * _US  # 2026-12-31 18:00 UTC
PROBES = 6
SERVICE = "web"
TARGET_MS = 50.0
METHODS = ("occurrences", "timeslices", "ratio_timeslices")
SERVICE_LOOKBACK = 3 * DAY  # what the service reads before a window's start for the burn rates
MAINTENANCE = [
    Maintenance(
        "sunday-night",
        SERVICE,
        YEAR.start - 7 * DAY,
        YEAR.end,
        weekdays=(6,),
        at=120,
        minutes=60,
        zone=UTC,
    )
]
WINDOWS: dict[str, CalendarWindow | RollingWindow] = {
    "calendar year": CalendarWindow("year", UTC),
    "30-day rolling": RollingWindow(30),
}


# -- data ----------------------------------------------------------------------------------------


@dataclass
class Year:
    starts: np.ndarray
    goods: np.ndarray
    totals: np.ndarray


def make_year(seed: int = SEED) -> Year:
    rng = np.random.default_rng(seed)
    starts = YEAR.start + np.arange(SLICES, dtype=np.int64) * MINUTE
    totals = np.full(SLICES, PROBES, dtype=np.int64)
    totals[rng.random(SLICES) < 0.01] = PROBES - 1
    totals[rng.random(SLICES) < 0.0005] = 0
    goods = totals.copy()
    flaky = (rng.random(SLICES) < 0.002) & (totals > 0)
    goods[flaky] -= 1
    for first in rng.integers(0, SLICES - 30, 40):
        length = int(rng.integers(1, 31))
        part = slice(int(first), int(first) + length)
        goods[part] = (totals[part] * rng.random(length)).astype(np.int64)
    return Year(starts, goods, totals)


def objective(name: str, method: str) -> Objective:
    return Objective(
        f"{name} 99.9% ({method})",
        SERVICE,
        Fraction(999, 1000),
        WINDOWS[name],
        method=method,
        maintenance="excluded",
        unknown="up",
    )


# -- the pandas peer -----------------------------------------------------------------------------


@dataclass
class Floats:
    """The peer's answers: uptime, remaining budget, burn rates, per-day ratios, projection."""

    uptime: float
    remaining: float
    burn: dict[int, float]
    days: list[float]
    projected: float


def pandas_frame(year: Year) -> pd.DataFrame:
    index = pd.to_datetime(year.starts, unit="us", utc=True)
    return pd.DataFrame({"good": year.goods, "total": year.totals}, index=index)


def pandas_report(frame: pd.DataFrame, o: Objective, now: int) -> Floats:
    w = period(o, now)
    at = pd.Timestamp(now, unit="us", tz="UTC")
    upto = frame.loc[frame.index < at]
    windows = maintenance_of(SERVICE, MAINTENANCE, w.start - 3 * DAY, w.end)
    maint = pd.IntervalIndex.from_tuples(
        [
            (pd.Timestamp(a, unit="us", tz="UTC"), pd.Timestamp(b, unit="us", tz="UTC"))
            for a, b in windows
        ],
        closed="left",
    )
    in_maint = maint.get_indexer(upto.index) >= 0
    good, total = upto["good"].astype(float), upto["total"].astype(float)
    empty = total == 0
    if o.method == "occurrences":
        g, e = good, total
    else:
        ratio = good / total.where(~empty)
        g = (ratio >= float(o.slice_target)).astype(float) if o.method == "timeslices" else ratio
        g = g.where(~empty, 1.0 if o.unknown == "up" else 0.0)
        e = pd.Series(np.where(empty & (o.unknown == "excluded"), 0.0, 1.0), index=upto.index)
    g = g.where(~in_maint, 0.0)
    e = e.where(~in_maint, 0.0)
    parts = pd.DataFrame({"g": g, "e": e})
    inside = parts.loc[parts.index >= pd.Timestamp(w.start, unit="us", tz="UTC")]
    so_far = inside.sum()
    uptime = so_far["g"] / so_far["e"]
    target = float(o.target)
    remaining = (1 - target) * so_far["e"] - (so_far["e"] - so_far["g"])
    burn = {}
    for back in LOOKBACKS:
        rolled = parts.rolling(pd.Timedelta(microseconds=back)).sum().iloc[-1]
        burn[back] = (1 - rolled["g"] / rolled["e"]) / (1 - target)
    daily = inside.resample("1D").sum()
    days = (daily["g"] / daily["e"]).tolist()
    last = parts.loc[parts.index >= at - pd.Timedelta(days=1)].sum()
    recent = last["g"] / last["e"]
    ahead = (w.end - now) / (w.end - w.start)
    projected = uptime * (1 - ahead) + recent * ahead if now < w.end else uptime
    return Floats(float(uptime), float(remaining), burn, days, float(projected))


# -- timing --------------------------------------------------------------------------------------


def _median_ms(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    fn()  # warm-up
    found = []
    out = None
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        found.append(time.perf_counter() - start)
    return statistics.median(found) * 1000, out


def _read_span(o: Objective) -> tuple[int, int]:
    """What the service reads for a report: from the window's start, or three days before now
    when that is earlier, to the window's end."""
    w = period(o, NOW)
    return min(w.start, NOW - SERVICE_LOOKBACK), w.end


@dataclass
class Row:
    window: str
    method: str
    batch_ms: float
    object_ms: float | None
    pandas_ms: float | None
    identical: bool | None
    uptime: Fraction | None
    float_error: float | None


def run(quick: bool = False) -> Section:
    section = Section(
        key="availability",
        title="availability: uptime, budgets and burn rates",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    wall = time.perf_counter()
    year = make_year()
    items = [
        Slice(s, s + MINUTE, g, t)
        for s, g, t in zip(
            year.starts.tolist(), year.goods.tolist(), year.totals.tolist(), strict=True
        )
    ]
    started = time.perf_counter()
    arrays = SliceArrays.from_slices(items)
    from_objects_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    SliceArrays.from_columns(year.starts, year.goods, year.totals)
    from_columns_ms = (time.perf_counter() - started) * 1000
    frame = pandas_frame(year)
    runs = 5 if quick else 15
    compared = ("timeslices",) if quick else METHODS  # the per-object form takes seconds

    rows: list[Row] = []
    for name in WINDOWS:
        for method in METHODS:
            o = objective(name, method)
            w = period(o, NOW)
            batch_ms, got = _median_ms(
                lambda o=o, w=w: batch_report(o, arrays, MAINTENANCE, w, NOW), runs
            )
            row = Row(name, method, batch_ms, None, None, None, got.uptime, None)
            if method in compared:
                first, last = _read_span(o)
                mine = [s for s in items if first <= s.start < last]
                read = frame.loc[
                    (frame.index >= pd.Timestamp(first, unit="us", tz="UTC"))
                    & (frame.index < pd.Timestamp(last, unit="us", tz="UTC"))
                ]
                gc.collect()
                started = time.perf_counter()
                expected: Report = report(o, [], mine, MAINTENANCE, w, NOW)
                row.object_ms = (time.perf_counter() - started) * 1000
                row.identical = expected == got
                row.pandas_ms, floats = _median_ms(
                    lambda o=o, read=read: pandas_report(read, o, NOW), max(3, runs // 3)
                )
                exact = [got.uptime, *(m.ratio for _, m in got.days)]
                near = [floats.uptime, *floats.days]
                row.float_error = max(
                    abs(float(a) - b) for a, b in zip(exact, near, strict=True) if a is not None
                )
            rows.append(row)

    def cell(ms: float | None) -> str:
        return "—" if ms is None else f"{ms:,.1f} ms"

    def times(other: float | None, base: float) -> str:
        return "—" if other is None else fmt_ratio(other / base)

    table = Table(
        title=f"One service, {SLICES:,} one-minute slices (2026), report at 2026-12-31 18:00 UTC",
        columns=[
            "objective",
            "method",
            "batch_report",
            "availability.report",
            "pandas",
            "per-object ÷ batch",
            "pandas ÷ batch",
            "uptime",
        ],
        rows=[
            [
                r.window,
                r.method,
                cell(r.batch_ms),
                cell(r.object_ms),
                cell(r.pandas_ms),
                times(r.object_ms, r.batch_ms),
                times(r.pandas_ms, r.batch_ms),
                "—" if r.uptime is None else f"{float(r.uptime) * 100:.5f}%",
            ]
            for r in rows
        ],
    )
    table.notes.append(
        f"batch_report: median of {runs} runs; pandas: median of {max(3, runs // 3)}; "
        "availability.report: one run. The peers are given the slices the service reads for a "
        "report (the window, and three days before now for the burn rates); batch_report all of "
        "the year's. "
        "Each measures the window so far, the budget, burn rates over "
        f"{len(LOOKBACKS)} lookbacks (5 min to 3 days), the projection and every day."
    )
    table.notes.append(
        f"The slices as arrays, not timed above: {from_objects_ms:,.0f} ms from {SLICES:,} Slice "
        f"objects (SliceArrays.from_slices), {from_columns_ms:,.1f} ms from columns "
        "(SliceArrays.from_columns, as a store would hand them over)."
    )
    checked = [r for r in rows if r.identical is not None]
    error = max((r.float_error or 0.0) for r in checked)
    table.notes.append(
        f"batch_report and availability.report answered identical reports (exact Fractions) in "
        f"{sum(bool(r.identical) for r in checked)} of {len(checked)} rows compared; pandas' "
        f"float uptime and day ratios differ from the exact ones by at most {error:.1e}"
        + (
            " (the same integer counts divided: the nearest double both ways)."
            if not error
            else "."
        )
    )
    if quick:
        table.notes.append("Quick mode: the peers are timed for timeslices only.")
    section.tables.append(table)

    worst = max(rows, key=lambda r: r.batch_ms)
    section.figures = [
        Figure(
            f"uptime, budget and burn rates over {SLICES:,} minute slices (slowest objective: "
            f"{worst.window}, {worst.method})",
            f"≤ {TARGET_MS:g} ms",
            f"{worst.batch_ms:.1f} ms",
            worst.batch_ms <= TARGET_MS,
        ),
        Figure(
            "batch_report equals availability.report",
            "identical reports",
            f"{sum(bool(r.identical) for r in checked)} of {len(checked)} identical",
            all(r.identical for r in checked),
        ),
    ]
    peers = [r for r in rows if r.object_ms is not None and r.pandas_ms is not None]
    for r in peers:
        assert r.object_ms is not None
        assert r.pandas_ms is not None
        section.notes.append(
            f"{r.window}, {r.method}: batch_report {r.batch_ms:.1f} ms; availability.report "
            f"{r.object_ms:,.0f} ms ({fmt_ratio(r.object_ms / r.batch_ms)} slower); pandas "
            f"{r.pandas_ms:.1f} ms ({fmt_ratio(r.pandas_ms / r.batch_ms)} slower)."
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    section.notes.append(
        f"Whole benchmark {time.perf_counter() - wall:.1f} s wall. Load average when it started: "
        f"{load_at_start:.2f}, when it ended: {load:.2f} (on {os.cpu_count()} logical CPUs)."
    )
    return section
