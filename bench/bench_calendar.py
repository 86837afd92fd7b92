"""Calendar benchmark: ``add`` and ``elapsed`` on a Europe/Berlin Mon–Fri 09:00–17:00 calendar with
German public holidays, for slakeeper and two peers, in one run on the same random cases.

Cases (fixed seed): starts uniform over [2026-01-01, 2028-01-01) Europe/Berlin, to the second, as
timezone-aware datetimes in Europe/Berlin; durations uniform over 1..20,000 minutes. ``elapsed``
is asked for ``[start, start + duration)`` where ``start + duration`` is real (UTC) time, so the
same cases serve both questions. Every implementation takes aware datetimes and returns aware
instants (or a duration); conversions it needs are part of what is timed.

Implementations
---------------
slakeeper
    ``BusinessCalendar.add`` / ``elapsed`` one call at a time, and ``add_many`` / ``elapsed_many``
    over numpy arrays (``datetime64[us]`` read as UTC) for the batch figure.

pandas ``CustomBusinessHour`` (add and elapsed)
    ``pd.offsets.CustomBusinessHour(start="09:00", end="17:00", weekmask="Mon Tue Wed Thu Fri",
    holidays=<German holidays 2025–2028 from the ``holidays`` package>)`` applied to naive local
    wall time (the aware start converted to Europe/Berlin, then tz dropped; the result localized
    back). pandas business-hour offsets only take a whole number ``n`` of hours, so a duration in
    minutes is added the way the pandas documentation suggests combining offsets: the whole hours
    with ``ts + hours * cbh`` (``0 * cbh`` rolls a closed start forward to the next opening), then
    the remaining minutes as a plain ``Timedelta``; if that runs past the closing time
    (``cbh.is_on_offset`` is false) the overflow ``u - cbh.rollback(u)`` is carried to
    ``cbh.rollforward(u)``, the next opening. pandas has no "business time between" operation; the
    common recipe is to count the offset's steps between the two instants:
    ``pd.date_range(a, b, freq=cbh)`` gives one element per whole business hour from ``a`` (both
    rolled forward first), and the remainder under an hour after the last element ``p`` is
    ``b - p`` on the same day, otherwise ``b - (p + cbh) + 1h``.

numpy ``busday_count`` (elapsed only)
    The other common recipe for business time between two timestamps: whole business days from
    ``np.busday_count`` (with the pandas offset's own ``busdaycalendar``, i.e. the same weekmask and
    holidays) times eight hours, minus the business time before ``a`` on its day, plus that before
    ``b`` on its day. Shown for context: it is a much faster peer than the date_range recipe.

hand-rolled loop (add and elapsed)
    What a developer writes without a library: walk local dates from the start, skip weekends and
    holidays (a ``set`` of dates), and intersect each day's 09:00–17:00 (aware, Europe/Berlin) with
    what is left.

Agreement. pandas returns the *next opening* (09:00) where SPEC §1 returns the closing instant
(17:00) of a duration that ends exactly at a closing time: both are the same business instant. So
the pandas result is mapped to the previous closing (``cbh.rollback(t - 1 µs)``) when it is an
opening instant before being compared; everything else is compared exactly, to the microsecond.
"""

from __future__ import annotations

import gc
import os
import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd

from bench.report import Figure, Section, Table, fmt_rate, fmt_ratio, fmt_us, now_text
from slakeeper.calendar import BusinessCalendar

ZONE_NAME = "Europe/Berlin"
ZONE = ZoneInfo(ZONE_NAME)
SEED = 20260101
FIRST = datetime(2026, 1, 1, tzinfo=ZONE)
LAST = datetime(2028, 1, 1, tzinfo=ZONE)  # exclusive: starts cover 2026-01-01 .. 2027-12-31
MAX_MINUTES = 20_000
OPEN, CLOSE = time(9), time(17)
OPEN_TD, CLOSE_TD = timedelta(hours=9), timedelta(hours=17)
DAY_LENGTH = CLOSE_TD - OPEN_TD
HOLIDAY_YEARS = range(2025, 2029)  # adds from late 2027 run into 2028
SPEC: dict[str, Any] = {
    "name": "de",
    "timezone": ZONE_NAME,
    "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holiday_country": "DE",
}

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
ONE_HOUR = timedelta(hours=1)

# -- targets from the issue -----------------------------------------------------------------------

TARGET_SCALAR_US = 5.0
TARGET_VS_PANDAS = 50.0
TARGET_BATCH_OPS = 5_000_000


@dataclass
class Config:
    scalar_cases: int
    batch_cases: int
    budget_s: float  # time given to each slow implementation per operation


FULL = Config(scalar_cases=200_000, batch_cases=1_000_000, budget_s=3.0)
QUICK = Config(scalar_cases=20_000, batch_cases=1_000_000, budget_s=0.5)


# -- cases ----------------------------------------------------------------------------------------


@dataclass
class Cases:
    start_s: np.ndarray  # int64 seconds since the epoch
    minutes: np.ndarray  # int64
    starts: list[datetime] = field(default_factory=list)  # aware, Europe/Berlin
    ends: list[datetime] = field(default_factory=list)  # start + duration in real time
    durations: list[timedelta] = field(default_factory=list)

    @property
    def starts64(self) -> np.ndarray:
        return self.start_s.astype("datetime64[s]").astype("datetime64[us]")

    @property
    def durations64(self) -> np.ndarray:
        return self.minutes.astype("timedelta64[m]").astype("timedelta64[us]")


def make_cases(n_batch: int, n_scalar: int, seed: int = SEED) -> Cases:
    rng = np.random.default_rng(seed)
    lo, hi = int(FIRST.timestamp()), int(LAST.timestamp())
    start_s = rng.integers(lo, hi, size=n_batch, dtype=np.int64)
    minutes = rng.integers(1, MAX_MINUTES + 1, size=n_batch, dtype=np.int64)
    cases = Cases(start_s=start_s, minutes=minutes)
    for s, m in zip(start_s[:n_scalar].tolist(), minutes[:n_scalar].tolist(), strict=True):
        cases.starts.append(datetime.fromtimestamp(s, ZONE))
        cases.durations.append(timedelta(minutes=m))
        # aware arithmetic in one zone is wall-clock arithmetic: build the end from the instant
        cases.ends.append(datetime.fromtimestamp(s + 60 * m, ZONE))
    return cases


def german_holidays() -> list[date]:
    return sorted(holidays.country_holidays("DE", years=list(HOLIDAY_YEARS)).keys())


# -- pandas ---------------------------------------------------------------------------------------


class PandasPeer:
    def __init__(self, holiday_dates: list[date]) -> None:
        self.cbh = pd.offsets.CustomBusinessHour(
            start="09:00", end="17:00", weekmask="Mon Tue Wed Thu Fri", holidays=holiday_dates
        )
        self.busdaycal = self.cbh.calendar  # the offset's own numpy busdaycalendar

    @staticmethod
    def _local(t: datetime) -> pd.Timestamp:
        return pd.Timestamp(t).tz_convert(ZONE_NAME).tz_localize(None)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        cbh = self.cbh
        hours, rest = divmod(duration, ONE_HOUR)
        t = self._local(start) + hours * cbh
        if rest:
            u = t + rest
            if not cbh.is_on_offset(u):  # past closing: carry the overflow to the next opening
                u = cbh.rollforward(u) + (u - cbh.rollback(u))
            t = u
        return t.tz_localize(ZONE_NAME).tz_convert("UTC").to_pydatetime()

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        cbh = self.cbh
        a = cbh.rollforward(self._local(start))
        b = cbh.rollforward(self._local(end))
        if b <= a:
            return timedelta(0)
        steps = pd.date_range(a, b, freq=cbh)
        p = steps[-1]
        rest = b - p if p.date() == b.date() else b - (p + cbh) + ONE_HOUR
        return (len(steps) - 1) * ONE_HOUR + rest

    def elapsed_busday(self, start: datetime, end: datetime) -> timedelta:
        a = start.astimezone(ZONE).replace(tzinfo=None)
        b = end.astimezone(ZONE).replace(tzinfo=None)
        if b <= a:
            return timedelta(0)
        days = int(np.busday_count(a.date(), b.date(), busdaycal=self.busdaycal))
        return days * DAY_LENGTH - self._part(a) + self._part(b)

    def _part(self, t: datetime) -> timedelta:
        """Business time on ``t``'s date before ``t``."""
        if not np.is_busday(t.date(), busdaycal=self.busdaycal):
            return timedelta(0)
        tod = t - datetime.combine(t.date(), time())
        return min(max(tod, OPEN_TD), CLOSE_TD) - OPEN_TD

    def business_instant(self, t: datetime) -> datetime:
        """pandas answers the next opening where SPEC answers the closing: map back to it."""
        local = self._local(t)
        if local.time() != OPEN:
            return t
        closing = self.cbh.rollback(local - pd.Timedelta(microseconds=1))
        return closing.tz_localize(ZONE_NAME).tz_convert("UTC").to_pydatetime()


# -- the hand-rolled loop -------------------------------------------------------------------------


class LoopPeer:
    """Day by day, as written without a library."""

    def __init__(self, holiday_dates: list[date]) -> None:
        self.holidays = set(holiday_dates)

    def _is_workday(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add(self, start: datetime, duration: timedelta) -> datetime:
        local = start.astimezone(ZONE)
        remaining = duration
        if not remaining:
            return start.astimezone(UTC)
        day = local.date()
        while True:
            if self._is_workday(day):
                opening = datetime.combine(day, OPEN, tzinfo=ZONE)
                closing = datetime.combine(day, CLOSE, tzinfo=ZONE)
                begin = max(opening, local)
                if begin < closing:
                    available = closing - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= available
            day += timedelta(days=1)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        a = start.astimezone(ZONE)
        b = end.astimezone(ZONE)
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            if self._is_workday(day):
                lo = max(datetime.combine(day, OPEN, tzinfo=ZONE), a)
                hi = min(datetime.combine(day, CLOSE, tzinfo=ZONE), b)
                if lo < hi:
                    total += hi - lo
            day += timedelta(days=1)
        return total


# -- timing ---------------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    ops: int
    seconds: float
    results: list[Any]

    @property
    def us_per_op(self) -> float:
        return self.seconds / self.ops * 1e6

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds


# CPU time of this process, not wall time: the benchmark is pure computation, and on a shared
# machine wall time also counts the time other processes hold the CPU.
cpu_clock = clock.process_time


@dataclass
class Contender:
    name: str
    fn: Callable[[Any, Any], Any]
    results: list[Any] = field(default_factory=list)  # answers for the first pass over the cases
    ops: int = 0
    seconds: float = 0.0
    chunk: int = 16


def time_interleaved(
    contenders: list[Contender], xs: Sequence[Any], ys: Sequence[Any], budget_s: float
) -> list[Timing]:
    """Time scalar implementations on the same cases, taking turns.

    Each contender in turn runs its next chunk of cases (round robin, chunks grown to ~10 ms), so
    that a change of load on the machine during the run weighs on all of them alike. Each goes
    through the cases in order, from the first, until it has used ``budget_s`` of its own time;
    a fast one that reaches the end of the cases starts over (answers are kept from the first pass
    only, for the agreement check). µs/op is its time over the ops it ran.
    """
    n = len(xs)
    for c in contenders:  # warm-up: imports, caches, lazily built tables
        for x, y in zip(xs[:3], ys[:3], strict=True):
            c.fn(x, y)
    active = list(contenders)
    while active:
        for c in list(active):
            i = c.ops % n
            part_x, part_y = xs[i : i + c.chunk], ys[i : i + c.chunk]
            fn = c.fn
            t0 = cpu_clock()
            out = [fn(x, y) for x, y in zip(part_x, part_y, strict=True)]
            dt = cpu_clock() - t0
            c.seconds += dt
            if c.ops < n:
                c.results.extend(out)
            c.ops += len(out)
            if dt < 0.01 and c.chunk < 8192:
                c.chunk *= 2
            if c.seconds >= budget_s:
                active.remove(c)
    return [Timing(c.name, c.ops, c.seconds, c.results) for c in contenders]


def time_batch(name: str, fn: Callable[[Any, Any], Any], x: Any, y: Any, repeat: int = 3) -> Timing:
    """Best of ``repeat`` calls of a batch function over all cases."""
    fn(x[:1000], y[:1000])  # warm-up
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = cpu_clock()
        out = fn(x, y)
        best = min(best, cpu_clock() - t0)
    return Timing(name, len(x), best, [out])


# -- agreement ------------------------------------------------------------------------------------


def _us(t: datetime) -> int:
    return (t - EPOCH) // ONE_US


def _td_us(d: timedelta) -> int:
    return d // ONE_US


@dataclass
class Agreement:
    what: str
    checked: int
    mismatches: list[str]


def compare(what: str, ref: list[Any], other: list[Any], show: Callable[[int], str]) -> Agreement:
    n = min(len(ref), len(other))
    bad = [show(i) for i in range(n) if ref[i] != other[i]]
    return Agreement(what, n, bad)


# -- the run --------------------------------------------------------------------------------------


def run(quick: bool = False) -> Section:
    cfg = QUICK if quick else FULL
    section = Section(
        key="calendar",
        title="Calendar: add and elapsed",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    t0 = clock.perf_counter()
    cases = make_cases(cfg.batch_cases, cfg.scalar_cases)
    hol = german_holidays()
    cal = BusinessCalendar.from_spec(SPEC)
    pandas_peer = PandasPeer(hol)
    loop = LoopPeer(hol)
    setup_s = clock.perf_counter() - t0
    starts, ends, durations = cases.starts, cases.ends, cases.durations
    n_scalar = len(starts)

    gc.collect()
    add_sk, add_pd, add_loop = time_interleaved(
        [
            Contender("slakeeper add", cal.add),
            Contender("pandas CustomBusinessHour", pandas_peer.add),
            Contender("hand-rolled day loop", loop.add),
        ],
        starts,
        durations,
        cfg.budget_s,
    )
    s64, d64 = cases.starts64, cases.durations64
    e64 = s64 + d64
    add_batch = time_batch("slakeeper add_many (batch)", cal.add_many, s64, d64)

    gc.collect()
    el_sk, el_pd, el_np, el_loop = time_interleaved(
        [
            Contender("slakeeper elapsed", cal.elapsed),
            Contender("pandas CustomBusinessHour (date_range count)", pandas_peer.elapsed),
            Contender("numpy busday_count + partial days", pandas_peer.elapsed_busday),
            Contender("hand-rolled day loop", loop.elapsed),
        ],
        starts,
        ends,
        cfg.budget_s,
    )
    el_batch = time_batch("slakeeper elapsed_many (batch)", cal.elapsed_many, s64, e64)

    # -- agreement
    sk_add_us = [_us(t) for t in add_sk.results]
    sk_el_us = [_td_us(d) for d in el_sk.results]
    batch_add_us = add_batch.results[0].astype("datetime64[us]").view(np.int64)[:n_scalar].tolist()
    batch_el_us = el_batch.results[0].astype("timedelta64[us]").view(np.int64)[:n_scalar].tolist()

    def show_add(i: int) -> str:
        return f"add({starts[i].isoformat()}, {durations[i]}) slakeeper={add_sk.results[i].isoformat()}"

    def show_el(i: int) -> str:
        return (
            f"elapsed({starts[i].isoformat()}, {ends[i].isoformat()}) slakeeper={el_sk.results[i]}"
        )

    pd_add_us = [_us(pandas_peer.business_instant(t)) for t in add_pd.results]
    agreements = [
        compare("add: add_many vs add", sk_add_us, batch_add_us, show_add),
        compare(
            "add: hand-rolled loop vs slakeeper",
            sk_add_us,
            [_us(t) for t in add_loop.results],
            show_add,
        ),
        compare("add: pandas (business instant) vs slakeeper", sk_add_us, pd_add_us, show_add),
        compare("elapsed: elapsed_many vs elapsed", sk_el_us, batch_el_us, show_el),
        compare(
            "elapsed: hand-rolled loop vs slakeeper",
            sk_el_us,
            [_td_us(d) for d in el_loop.results],
            show_el,
        ),
        compare(
            "elapsed: pandas date_range count vs slakeeper",
            sk_el_us,
            [_td_us(pd.Timedelta(d).to_pytimedelta()) for d in el_pd.results],
            show_el,
        ),
        compare(
            "elapsed: numpy busday_count vs slakeeper",
            sk_el_us,
            [_td_us(d) for d in el_np.results],
            show_el,
        ),
    ]

    # -- tables
    columns = ["implementation", "ops timed", "µs/op", "ops/s", "time vs slakeeper"]

    def rows(base: Timing, timings: list[Timing]) -> list[list[str]]:
        return [
            [
                t.name,
                f"{t.ops:,}",
                fmt_us(t.us_per_op),
                fmt_rate(t.ops_per_s),
                fmt_ratio(t.us_per_op / base.us_per_op),
            ]
            for t in timings
        ]

    common_note = (
        f"{n_scalar:,} scalar cases (batch: {len(s64):,}); starts uniform over 2026-01-01..2027-12-31 "
        f"Europe/Berlin (aware), durations 1..{MAX_MINUTES:,} min; seed {SEED}. Scalar rows take "
        f"turns on the same cases, in order, for {cfg.budget_s:g} s of their own time each (a fast "
        "one starts the cases over); µs/op is CPU time (process_time) over the ops that ran. "
        "Batch rows: best of 3 calls over all batch cases, per element."
    )
    section.tables.append(
        Table(
            title="add(start, duration)",
            columns=columns,
            rows=rows(add_sk, [add_sk, add_batch, add_pd, add_loop]),
            notes=[common_note],
        )
    )
    section.tables.append(
        Table(
            title="elapsed(start, end)",
            columns=columns,
            rows=rows(el_sk, [el_sk, el_batch, el_pd, el_np, el_loop]),
            notes=["end = start + duration in real time, same cases as add."],
        )
    )
    section.tables.append(
        Table(
            title="Agreement (same cases)",
            columns=["comparison", "cases checked", "disagreements"],
            rows=[[a.what, f"{a.checked:,}", str(len(a.mismatches))] for a in agreements],
            notes=[
                "pandas answers the next opening (09:00) where SPEC answers the closing instant "
                "(17:00): its result is mapped to the previous closing when it is an opening "
                "instant, then compared exactly. Everything else is compared to the microsecond."
            ]
            + [f"{a.what}: e.g. {m}" for a in agreements for m in a.mismatches[:3]],
        )
    )

    # -- figures
    add_vs_pd = add_pd.us_per_op / add_sk.us_per_op
    el_vs_pd = el_pd.us_per_op / el_sk.us_per_op
    el_vs_np = el_np.us_per_op / el_sk.us_per_op
    section.figures = [
        Figure(
            "add, aware datetimes",
            f"≤ {TARGET_SCALAR_US:g} µs/op",
            f"{fmt_us(add_sk.us_per_op)} µs/op",
            add_sk.us_per_op <= TARGET_SCALAR_US,
        ),
        Figure(
            "elapsed, aware datetimes",
            f"≤ {TARGET_SCALAR_US:g} µs/op",
            f"{fmt_us(el_sk.us_per_op)} µs/op",
            el_sk.us_per_op <= TARGET_SCALAR_US,
        ),
        Figure(
            "add vs pandas CustomBusinessHour",
            f"≥ {TARGET_VS_PANDAS:g}× faster",
            f"{fmt_ratio(add_vs_pd)} faster",
            add_vs_pd >= TARGET_VS_PANDAS,
        ),
        Figure(
            "elapsed vs pandas CustomBusinessHour (date_range count)",
            f"≥ {TARGET_VS_PANDAS:g}× faster",
            f"{fmt_ratio(el_vs_pd)} faster (vs numpy busday_count recipe: {fmt_ratio(el_vs_np)})",
            el_vs_pd >= TARGET_VS_PANDAS,
        ),
        Figure(
            "add_many (batch)",
            f"≥ {TARGET_BATCH_OPS / 1e6:g} M ops/s",
            fmt_rate(add_batch.ops_per_s),
            add_batch.ops_per_s >= TARGET_BATCH_OPS,
        ),
        Figure(
            "elapsed_many (batch)",
            f"≥ {TARGET_BATCH_OPS / 1e6:g} M ops/s",
            fmt_rate(el_batch.ops_per_s),
            el_batch.ops_per_s >= TARGET_BATCH_OPS,
        ),
        Figure(
            "agreement on the same cases",
            "0 disagreements",
            f"{sum(len(a.mismatches) for a in agreements)} in {sum(a.checked for a in agreements):,} comparisons",
            not any(a.mismatches for a in agreements),
        ),
    ]
    wall_s = clock.perf_counter() - t0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    section.notes.append(
        f"Setup (cases, holidays, calendars): {setup_s:.2f} s; whole benchmark {wall_s:.1f} s wall. "
        f"Load average when it started: {load_at_start:.2f}, when it ended: {load:.2f} "
        f"(on {os.cpu_count()} logical CPUs; a load above that means the timings shared the CPUs)."
    )
    return section
