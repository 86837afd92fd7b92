"""The numpy form of the slice indicator (SPEC §7): ``batch_measure`` answers exactly what
``slice_measure`` answers, and ``batch_report`` exactly what ``report`` answers, for the same
slices — whatever the method, maintenance and unknown policies, slice target or counts — and a
year of one-minute probe results gives the hand-computed uptime, budget and burn rates."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from unittest import mock
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slakeeper.domain import availability_batch
from slakeeper.domain.availability import (
    MAINTENANCE_POLICIES,
    UNKNOWN_POLICIES,
    CalendarWindow,
    Maintenance,
    Measure,
    Objective,
    RollingWindow,
    Slice,
    merged,
    period,
    report,
    slice_measure,
)
from slakeeper.domain.availability_batch import SliceArrays, batch_measure, batch_report
from slakeeper.domain.periods import window
from tests.factories import us

MIN = 60 * 1_000_000
HOUR = 60 * MIN
DAY = 24 * HOUR
UTC = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
SLICE_METHODS = ("occurrences", "timeslices", "ratio_timeslices")
INT64 = (-(2**63), 2**63 - 1)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REPORTS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- strategies -------------------------------------------------------------------------------------


def _counts(regime: str) -> st.SearchStrategy[tuple[int, int]]:
    """(good, total) of one slice, drawn the way one kind of data has them."""
    if regime == "probes":  # 1/1 up, 0/1 down, 0/0 unknown
        return st.sampled_from([(1, 1), (0, 1), (0, 0)])
    if regime == "signed":  # not counts any more, but slice_measure takes them: so must we
        return st.tuples(st.integers(-4, 4), st.integers(-4, 4))
    if regime == "huge":  # int64 products and sums overflow: Python integers take over
        big = st.integers(*INT64) | st.sampled_from([INT64[0], INT64[1], 2**62, -(2**62)])
        return st.tuples(big, big | st.integers(0, 3))
    top = {"small": 6, "many": 300, "wide": 5_000_000}[regime]
    return st.integers(0, top).flatmap(lambda t: st.tuples(st.integers(0, t), st.just(t)))


@st.composite
def slices(draw: st.DrawFn, first: int = 0, last: int = 60, step: int = 1) -> list[Slice]:
    regime = draw(st.sampled_from(["probes", "small", "many", "wide", "signed", "huge"]))
    totals_seen = draw(st.lists(_counts(regime), min_size=1, max_size=4))  # sizes recur
    counts = st.sampled_from(totals_seen) | _counts(regime)
    items = draw(st.lists(st.tuples(st.integers(first, last), counts), max_size=40))
    return [Slice(at * step, at * step + step, good, total) for at, (good, total) in items]


targets = st.sampled_from([Fraction(1), Fraction(0), Fraction(999, 1000), Fraction(1, 2)]) | (
    st.fractions(0, 1, max_denominator=12)
    | st.fractions(-2, 3)  # any size of numerator and denominator
    | st.builds(Fraction, st.integers(*INT64), st.integers(1, 2**70))
)


def objectives(
    window: st.SearchStrategy[CalendarWindow | RollingWindow],
) -> st.SearchStrategy[Objective]:
    return st.builds(
        Objective,
        name=st.just("probe 99.9"),
        service=st.just("web"),
        target=st.sampled_from([Fraction(999, 1000), Fraction(99, 100), Fraction(1)]),
        window=window,
        method=st.sampled_from(SLICE_METHODS),
        slice_target=targets,
        maintenance=st.sampled_from(MAINTENANCE_POLICIES),
        unknown=st.sampled_from(UNKNOWN_POLICIES),
    )


any_objective = objectives(st.just(RollingWindow(1)))
far = st.sampled_from([-(2**70), INT64[0], INT64[1], 2**70])  # beyond what int64 holds
edges = st.integers(-5, 65) | far
intervals = st.lists(st.tuples(edges, edges), max_size=4)
instants = st.integers(-5, 70) | far


@contextmanager
def tight_thresholds() -> Iterator[None]:
    """The batch form with every fast path's limit set low, so that its slower exact paths
    (per-size Fractions, the np.unique table, Python integers) answer instead."""
    with mock.patch.multiple(
        availability_batch, _FEW_TOTALS=1, _DENSE_TOTALS=2, _CELLS=4, _LCM_BITS=3
    ):
        yield


# -- batch_measure is slice_measure ---------------------------------------------------------------


@PROPERTY
@given(any_objective, slices(), intervals, instants, instants, instants, st.booleans())
def test_batch_measure_is_slice_measure(
    objective: Objective,
    items: list[Slice],
    maintenance: list[tuple[int, int]],
    start: int,
    end: int,
    now: int,
    tight: bool,
) -> None:
    expected = slice_measure(objective, items, maintenance, start, end, now)
    arrays = SliceArrays.from_slices(items)
    if tight:
        with tight_thresholds():
            got = batch_measure(objective, arrays, maintenance, start, end, now)
    else:
        got = batch_measure(objective, arrays, maintenance, start, end, now)
    assert got == expected
    assert type(got.good) is Fraction
    assert type(got.eligible) is Fraction


@PROPERTY
@given(any_objective, slices(), intervals, st.lists(instants, min_size=2, max_size=8))
def test_consecutive_spans_are_measured_at_once_as_one_at_a_time(
    objective: Objective, items: list[Slice], maintenance: list[tuple[int, int]], cuts: list[int]
) -> None:
    """The per-day form behind batch_report: many consecutive spans in one pass."""
    bounds = sorted(cuts)
    arrays = SliceArrays.from_slices(items)
    windows = merged(maintenance)
    got = availability_batch._measures(objective, arrays, windows, bounds)
    assert got == [
        slice_measure(objective, items, maintenance, a, b, b) for a, b in itertools.pairwise(bounds)
    ]


def _regime(name: str, rng: np.random.Generator, n: int) -> tuple[list[int], list[int]]:
    if name == "probes":
        totals = rng.integers(0, 2, n)
        goods = totals * (rng.random(n) < 0.9)
    elif name == "signed":
        totals, goods = rng.integers(-4, 5, n), rng.integers(-4, 5, n)
    elif name == "huge":
        totals = rng.integers(-(2**62), 2**62, n)
        goods = rng.integers(-(2**62), 2**62, n)
    else:
        top = {"small": 6, "many": 300, "wide": 5_000_000}[name]
        totals = rng.integers(0, top + 1, n)
        goods = (totals * rng.random(n)).astype(np.int64)
    return [int(g) for g in goods], [int(t) for t in totals]


@pytest.mark.parametrize("tight", [False, True], ids=["fast", "tight"])
@pytest.mark.parametrize("regime", ["probes", "small", "many", "wide", "signed", "huge"])
@pytest.mark.parametrize("method", SLICE_METHODS)
def test_every_path_answers_alike(method: str, regime: str, tight: bool) -> None:
    """Each way of counting (per size, dense table, np.unique table, Python integers) over many
    spans at once, with maintenance and unknown slices, against the per-object loop."""
    rng = np.random.default_rng(7)
    goods, totals = _regime(regime, rng, 600)
    starts = rng.integers(0, 400, 600)
    items = [Slice(int(s), int(s) + 1, g, t) for s, g, t in zip(starts, goods, totals, strict=True)]
    arrays = SliceArrays.from_slices(items)
    maintenance = [(50, 80), (79, 90), (200, 201), (390, 500)]
    bounds = [-1, 0, 0, 10, 60, 61, 150, 399, 400, 401]
    for policy, unknown, target in (
        ("excluded", "up", Fraction(1)),
        ("up", "down", Fraction(2, 3)),
        ("down", "excluded", Fraction(-(2**65), 3)),
    ):
        o = Objective(
            "o",
            "web",
            Fraction(99, 100),
            RollingWindow(1),
            method,
            slice_target=target,
            maintenance=policy,
            unknown=unknown,
        )
        expected = [
            slice_measure(o, items, maintenance, a, b, b) for a, b in itertools.pairwise(bounds)
        ]
        if tight:
            with tight_thresholds():
                got = availability_batch._measures(o, arrays, merged(maintenance), bounds)
        else:
            got = availability_batch._measures(o, arrays, merged(maintenance), bounds)
        assert got == expected


@given(slices(), st.randoms(use_true_random=False))
def test_slice_arrays_sort_by_start_and_keep_the_counts(items: list[Slice], rng: object) -> None:
    shuffled = items[:]
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    arrays = SliceArrays.from_slices(shuffled)
    assert arrays.starts.tolist() == sorted(s.start for s in items)
    columns = (arrays.starts.tolist(), arrays.goods.tolist(), arrays.totals.tolist())
    assert sorted(zip(*columns, strict=True)) == sorted((s.start, s.good, s.total) for s in items)
    assert not arrays.starts.flags.writeable
    assert arrays.narrow_goods.tolist() == arrays.goods.tolist()
    assert len(arrays) == len(items)


def test_slice_arrays_refuse_what_they_cannot_hold() -> None:
    with pytest.raises(ValueError, match="not sorted"):
        SliceArrays(
            np.array([2, 1], dtype=np.int64),
            np.array([1, 1], dtype=np.int64),
            np.array([1, 1], dtype=np.int64),
        )
    with pytest.raises(TypeError, match="int64"):
        SliceArrays(np.array([1.0]), np.array([1]), np.array([1]))
    with pytest.raises(ValueError, match="length"):
        SliceArrays.from_columns([1, 2], [1], [1, 1])
    one = np.array([1], dtype=np.int64)
    with pytest.raises(ValueError, match="length"):
        SliceArrays(np.array([1, 2], dtype=np.int64), one, one)
    with pytest.raises(OverflowError):
        SliceArrays.from_slices([Slice(0, 1, 2**63, 2**63)])


# -- batch_report is report -----------------------------------------------------------------------

MARCH = us("2024-03-01 00:00")  # New York changes its clocks on 10 March


@st.composite
def maintenance_windows(draw: st.DrawFn) -> list[Maintenance]:
    out = []
    for n in range(draw(st.integers(0, 3))):
        service = draw(st.sampled_from(["web", "web", "db"]))
        if draw(st.booleans()):
            start = MARCH + draw(st.integers(-10 * 1440, 50 * 1440)) * MIN
            out.append(
                Maintenance(f"m{n}", service, start, start + draw(st.integers(0, 600)) * MIN)
            )
        else:
            out.append(
                Maintenance(
                    f"w{n}",
                    service,
                    MARCH - 40 * DAY,
                    MARCH + 80 * DAY,
                    weekdays=tuple(draw(st.sets(st.integers(0, 6), min_size=1))),
                    at=draw(st.integers(0, 1439)),
                    minutes=draw(st.integers(1, 300)),
                    zone=draw(st.sampled_from([UTC, NEW_YORK])),
                )
            )
    return out


calendar_or_rolling: st.SearchStrategy[CalendarWindow | RollingWindow] = st.sampled_from(
    [
        CalendarWindow("month", UTC),
        CalendarWindow("month", NEW_YORK),
        RollingWindow(1),
        RollingWindow(3),
    ]
)


@REPORTS
@given(
    objectives(calendar_or_rolling),
    st.integers(-5 * 1440, 45 * 1440),
    st.sampled_from([0, 0, -31 * DAY, 31 * DAY]),
    st.data(),
)
def test_batch_report_is_report(
    objective: Objective, minute: int, shift: int, data: st.DataObject
) -> None:
    now = MARCH + minute * MIN
    w = period(objective, now + shift)  # this period, or the one before or after
    near = data.draw(slices(minute - 4 * 1440, minute + 60, MIN))  # the lookbacks' slices
    anywhere = data.draw(slices(-40 * 1440, 80 * 1440, MIN))
    items = [Slice(MARCH + s.start, MARCH + s.end, s.good, s.total) for s in near + anywhere]
    windows = data.draw(maintenance_windows())
    expected = report(objective, [], items, windows, w, now)
    got = batch_report(objective, SliceArrays.from_slices(items), windows, w, now)
    assert got == expected


@pytest.mark.parametrize(
    ("quiet_last_day", "now"),
    [
        (True, us("2024-03-20 12:00")),
        (False, us("2024-03-20 12:00")),
        (False, us("2024-04-02 00:00")),
    ],
)
def test_the_projection_is_reports(quiet_last_day: bool, now: int) -> None:
    """The ratio so far alone when the last day has no slices or the window is over; else the
    last day's ratio carries it to the window's end."""
    o = Objective("p", "web", Fraction(999, 1000), CalendarWindow("month", NEW_YORK), "timeslices")
    w = period(o, us("2024-03-15 00:00"))
    last = now - (2 * DAY if quiet_last_day else 0)
    items = [Slice(at, at + MIN, int(at % 7 != 0), 1) for at in range(w.start, last, 37 * MIN)]
    expected = report(o, [], items, [], w, now)
    got = batch_report(o, SliceArrays.from_slices(items), [], w, now)
    assert got == expected
    assert got.projected is not None
    assert (got.projected == got.uptime) is (quiet_last_day or now >= w.end)


def test_a_time_objective_has_no_batch_report() -> None:
    o = Objective("t", "web", Fraction(999, 1000), RollingWindow(30))
    with pytest.raises(ValueError, match="incidents"):
        batch_report(o, SliceArrays.from_slices([]), [], period(o, MARCH), MARCH)


# -- a year of one-minute probe results -----------------------------------------------------------


def test_a_year_of_minutes_by_hand() -> None:
    """525,600 one-minute probe results of 2026: up but for an hour down on 10 March (half of it
    in a maintenance window, excused: policy ``up``), half an hour unknown on 1 June (left out)
    and the last ten minutes of the year down."""
    year = window("2026", UTC)
    starts = year.start + np.arange(525_600, dtype=np.int64) * MIN
    goods = np.ones(525_600, dtype=np.int64)
    totals = np.ones(525_600, dtype=np.int64)

    def minute(at: str) -> int:
        return (us(at) - year.start) // MIN

    march = minute("2026-03-10 12:00")
    goods[march : march + 60] = 0
    june = minute("2026-06-01 00:00")
    goods[june : june + 30] = 0
    totals[june : june + 30] = 0
    goods[-10:] = 0
    arrays = SliceArrays.from_columns(starts, goods, totals)
    works = Maintenance("works", "web", us("2026-03-10 12:30"), us("2026-03-10 13:30"))
    objective = Objective(
        "probe 99.9",
        "web",
        Fraction(999, 1000),
        CalendarWindow("year", UTC),
        method="timeslices",
        maintenance="up",
        unknown="excluded",
    )

    got = batch_report(objective, arrays, [works], year, year.end)

    assert got.measure == Measure(Fraction(525_530), Fraction(525_570))  # 40 bad minutes
    assert got.uptime == Fraction(525_530, 525_570)
    assert got.met is True  # 99.99239%
    assert got.budget.total == Fraction(525_570, 1000)  # 525.57 minutes may be bad
    assert got.budget.consumed == 40
    assert got.budget.remaining == Fraction(485_570, 1000)
    assert got.burn == {
        5 * MIN: Fraction(1000),  # all five minutes down
        30 * MIN: Fraction(1000, 3),
        HOUR: Fraction(500, 3),
        6 * HOUR: Fraction(250, 9),
        DAY: Fraction(125, 18),
        3 * DAY: Fraction(125, 54),
    }
    assert got.projected == got.uptime  # the year is over
    assert len(got.days) == 365
    days = dict(got.days)
    assert days["2026-03-10"] == Measure(Fraction(1440 - 30), Fraction(1440))
    assert days["2026-06-01"] == Measure(Fraction(1410), Fraction(1410))
    assert days["2026-12-31"] == Measure(Fraction(1430), Fraction(1440))
    assert sum(m.bad for _, m in got.days) == 40

    # the same numbers from the per-object loop, for the whole year and its busiest day
    items = [
        Slice(s, s + MIN, g, t)
        for s, g, t in zip(starts.tolist(), goods.tolist(), totals.tolist(), strict=True)
    ]
    excused = [(works.start, works.end)]
    for start, end in ((year.start, year.end), (us("2026-03-10 00:00"), us("2026-03-11 00:00"))):
        for method in SLICE_METHODS:
            o = Objective(
                "probe", "web", Fraction(999, 1000), objective.window, method, maintenance="up"
            )
            assert batch_measure(o, arrays, excused, start, end, year.end) == (
                slice_measure(o, items, excused, start, end, year.end)
            )
