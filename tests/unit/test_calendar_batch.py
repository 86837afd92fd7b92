"""The batch form: ``add_many`` and ``elapsed_many`` answer exactly what the scalar methods answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from slakeeper.calendar import BusinessCalendar, CalendarNeverOpens, InvalidArgument

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_DAY = 86_400 * 10**6

SPECS: dict[str, dict[str, Any]] = {
    "berlin-breaks-holidays": {
        "timezone": "Europe/Berlin",
        "hours": {
            "mon": ["08:00-12:30", "13:30-17:00"],
            "tue": ["08:00-12:30", "13:30-17:00"],
            "wed": ["08:00-12:30", "13:30-17:00"],
            "thu": ["08:00-12:30", "13:30-17:00"],
            "fri": ["08:00-15:00"],
            "sun": ["01:00-04:00"],  # across both DST changes
        },
        "holidays": ["2026-03-30", "2026-10-26", "2026-12-25"],
        "holiday_country": "DE",
        "holiday_subdivision": "BE",
    },
    "lord-howe-overnight": {
        "timezone": "Australia/Lord_Howe",
        "hours": {
            "sat": ["22:00-06:00"],
            "sun": ["01:30-02:30", "02:00-03:00"],
            "wed": ["09:00-09:00"],
        },
    },
    "kathmandu-weekdays": {
        "timezone": "Asia/Kathmandu",
        "hours": {day: ["10:00-18:00"] for day in ("sun", "mon", "tue", "wed", "thu")},
    },
    "sao-paulo-midnight": {
        "timezone": "America/Sao_Paulo",
        "hours": {"sun": ["00:00-24:00"], "sat": ["23:00-01:00"]},
    },
    "new-york-24x7": {"timezone": "America/New_York", "hours": "24x7"},
    "berlin-24x7-holidays": {
        "timezone": "Europe/Berlin",
        "hours": "24x7",
        "holidays": ["2026-03-29", "2026-10-25"],
    },
}


def _instants(rng: np.random.Generator, n: int, first: datetime, last: datetime) -> np.ndarray:
    lo = (first - EPOCH) // timedelta(microseconds=1)
    hi = (last - EPOCH) // timedelta(microseconds=1)
    us = rng.integers(lo, hi, size=n, dtype=np.int64)
    whole_hours = rng.random(n) < 0.3  # land on shift edges often
    us[whole_hours] -= us[whole_hours] % (3600 * 10**6)
    return us


def _durations(rng: np.random.Generator, n: int) -> np.ndarray:
    us = rng.integers(0, 40 * US_PER_DAY, size=n, dtype=np.int64)
    us[rng.random(n) < 0.3] //= 1000  # many short ones, down to microseconds
    whole_minutes = rng.random(n) < 0.2
    us[whole_minutes] -= us[whole_minutes] % (60 * 10**6)
    us[rng.random(n) < 0.15] = 0
    return us


def _dt(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@pytest.fixture(params=sorted(SPECS))
def cal(request: pytest.FixtureRequest) -> BusinessCalendar:
    return BusinessCalendar.from_spec(SPECS[request.param])


def test_add_many_agrees_with_add(cal: BusinessCalendar) -> None:
    rng = np.random.default_rng(20260309)
    n = 2500
    starts = _instants(rng, n, datetime(2024, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    durations = _durations(rng, n)
    assert (durations == 0).any()
    got = cal.add_many(starts.astype("datetime64[us]"), durations.astype("timedelta64[us]"))
    assert got.dtype == np.dtype("datetime64[us]")
    assert got.shape == (n,)
    expected = [
        cal.add(_dt(int(s)), timedelta(microseconds=int(d)))
        for s, d in zip(starts, durations, strict=True)
    ]
    assert [_dt(int(x)) for x in got.view(np.int64)] == expected
    # integer microseconds are accepted as well, with the same answers
    assert np.array_equal(cal.add_many(starts, durations), got)


def test_elapsed_many_agrees_with_elapsed(cal: BusinessCalendar) -> None:
    rng = np.random.default_rng(17)
    n = 2500
    first, last = datetime(2024, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    starts = _instants(rng, n, first, last)
    ends = starts + _durations(rng, n)
    swap = rng.random(n) < 0.2  # some pairs reversed: those are zero
    starts[swap], ends[swap] = ends[swap], starts[swap].copy()
    got = cal.elapsed_many(starts.astype("datetime64[us]"), ends.astype("datetime64[us]"))
    assert got.dtype == np.dtype("timedelta64[us]")
    expected = [cal.elapsed(_dt(int(a)), _dt(int(b))) for a, b in zip(starts, ends, strict=True)]
    assert [timedelta(microseconds=int(x)) for x in got.view(np.int64)] == expected
    assert (got[swap & (starts != ends)] == np.timedelta64(0, "us")).all()
    assert np.array_equal(cal.elapsed_many(starts, ends), got)


def test_elapsed_many_undoes_add_many(cal: BusinessCalendar) -> None:
    rng = np.random.default_rng(5)
    starts = _instants(
        rng, 1000, datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )
    durations = _durations(rng, 1000)
    due = cal.add_many(starts, durations)
    assert np.array_equal(cal.elapsed_many(starts, due).view(np.int64), durations)


def test_other_datetime64_units_are_read_as_utc() -> None:
    cal = BusinessCalendar.from_spec(SPECS["kathmandu-weekdays"])
    starts = np.array(["2026-03-09T03:00:00", "2026-03-13T11:00:00"], dtype="datetime64[s]")
    durations = np.array([60, 120], dtype="timedelta64[m]")
    got = cal.add_many(starts.astype("datetime64[ns]"), durations)
    expected = [cal.add(datetime(2026, 3, 9, 3, tzinfo=UTC), timedelta(hours=1))]
    expected.append(cal.add(datetime(2026, 3, 13, 11, tzinfo=UTC), timedelta(hours=2)))
    assert [_dt(int(x)) for x in got.view(np.int64)] == expected
    ends = np.array(["2026-03-16T00:00:00", "2026-03-16T00:00:00"], dtype="datetime64[s]")
    assert cal.elapsed_many(starts, ends)[0] == np.timedelta64(
        cal.elapsed(datetime(2026, 3, 9, 3, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)), "us"
    )


def test_a_batch_spanning_a_century() -> None:
    cal = BusinessCalendar.from_spec(SPECS["berlin-breaks-holidays"])
    rng = np.random.default_rng(1990)
    starts = _instants(rng, 300, datetime(1990, 1, 1, tzinfo=UTC), datetime(2090, 1, 1, tzinfo=UTC))
    durations = _durations(rng, 300)
    got = cal.add_many(starts, durations)
    fresh = BusinessCalendar.from_spec(SPECS["berlin-breaks-holidays"])
    for s, d, g in zip(starts, durations, got.view(np.int64), strict=True):
        assert fresh.add(_dt(int(s)), timedelta(microseconds=int(d))) == _dt(int(g))


def test_empty_batches() -> None:
    cal = BusinessCalendar.from_spec(SPECS["berlin-breaks-holidays"])
    none = np.array([], dtype="datetime64[us]")
    assert cal.add_many(none, np.array([], dtype="timedelta64[us]")).shape == (0,)
    assert cal.elapsed_many(none, none).shape == (0,)


def test_zero_durations_on_a_calendar_that_never_opens() -> None:
    cal = BusinessCalendar.from_spec({"timezone": "UTC", "hours": {}})
    starts = np.array(["2026-03-09T10:00:00", "2026-03-10T10:00:00"], dtype="datetime64[us]")
    zero = np.zeros(2, dtype="timedelta64[us]")
    assert np.array_equal(cal.add_many(starts, zero), starts)
    assert (cal.elapsed_many(starts, starts + np.timedelta64(1, "D")) == zero).all()
    with pytest.raises(CalendarNeverOpens):
        cal.add_many(starts, np.array([0, 1], dtype="timedelta64[us]"))


@pytest.mark.parametrize("name", ["berlin-breaks-holidays", "new-york-24x7"])
def test_mismatched_shapes_are_refused(name: str) -> None:
    cal = BusinessCalendar.from_spec(SPECS[name])
    three = np.array(["2026-03-09", "2026-03-10", "2026-03-11"], dtype="datetime64[us]")
    two = np.array([1, 2], dtype="timedelta64[h]")
    with pytest.raises(ValueError, match="shape") as caught:
        cal.add_many(three, two)
    assert isinstance(caught.value, InvalidArgument)
    with pytest.raises(ValueError, match="shape"):
        cal.elapsed_many(three, three[:2])


@pytest.mark.parametrize("name", ["berlin-breaks-holidays", "new-york-24x7"])
def test_negative_durations_are_refused(name: str) -> None:
    cal = BusinessCalendar.from_spec(SPECS[name])
    starts = np.array(["2026-03-09", "2026-03-10"], dtype="datetime64[us]")
    with pytest.raises(ValueError, match="negative") as caught:
        cal.add_many(starts, np.array([1, -1], dtype="timedelta64[s]"))
    assert isinstance(caught.value, InvalidArgument)


@pytest.mark.parametrize(
    ("starts", "other"),
    [
        pytest.param(np.array([1.5]), np.array([1], dtype="timedelta64[s]"), id="float-starts"),
        pytest.param(
            np.array([datetime(2026, 3, 9, tzinfo=UTC)], dtype=object),
            np.array([1], dtype="timedelta64[s]"),
            id="object-starts",
        ),
        pytest.param(
            np.array(["2026-03-09"], dtype="datetime64[us]"),
            np.array(["2026-03-09"], dtype="datetime64[us]"),
            id="instants-as-durations",
        ),
    ],
)
def test_arrays_of_the_wrong_kind_are_refused(starts: Any, other: Any) -> None:
    cal = BusinessCalendar.from_spec(SPECS["kathmandu-weekdays"])
    with pytest.raises(ValueError, match="dtype"):
        cal.add_many(starts, other)
