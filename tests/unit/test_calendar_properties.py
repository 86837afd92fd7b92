"""Properties of business time (SPEC §1) on random calendars, and agreement with a simple reference.

The engine's own laws: ``elapsed(t, add(t, d)) == d``, ``add`` monotonic, ``add`` lands at the end of
business time, ``elapsed`` additive, answers independent of the zone an instant is written in and of
the order questions are asked. Then, on random calendars around DST transitions, every minute's
open/closed state, ``elapsed`` and ``add`` agree with ``tests/reference.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slakeeper.calendar import BusinessCalendar
from tests import reference
from tests.strategies import (
    DAY_NAMES,
    ZONES,
    calendar_specs,
    displayed,
    durations,
    instants,
    utc_instants,
    windows_across_transitions,
)
from tests.unit.test_calendar_vectors import CALENDARS, ROWS

US = timedelta(microseconds=1)


def in_utc(moment: datetime) -> datetime:
    """Python compares and subtracts datetimes of one tzinfo by wall time; instants go via UTC."""
    return moment.astimezone(UTC)


MINUTE = timedelta(minutes=1)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def calendars_and_instants(draw: st.DrawFn, count: int) -> tuple[dict[str, Any], list[datetime]]:
    """A calendar spec and ``count`` instants near its zone's DST transitions (or anywhere)."""
    zone = draw(st.sampled_from(ZONES))
    spec = draw(calendar_specs(zone))
    moments = [draw(instants(zone)) for _ in range(count)]
    return spec, moments


# -- the engine's own laws ----------------------------------------------------------------------


@FAST
@given(case=calendars_and_instants(1), duration=durations)
def test_elapsed_undoes_add(
    case: tuple[dict[str, Any], list[datetime]], duration: timedelta
) -> None:
    spec, (start_at,) = case
    cal = BusinessCalendar.from_spec(spec)
    due_at = cal.add(start_at, duration)
    assert due_at >= start_at
    assert due_at.utcoffset() == timedelta(0)
    assert cal.elapsed(start_at, due_at) == duration


@FAST
@given(case=calendars_and_instants(1), durations=st.lists(durations, min_size=2, max_size=4))
def test_add_is_strictly_monotonic_in_duration(
    case: tuple[dict[str, Any], list[datetime]], durations: list[timedelta]
) -> None:
    spec, (start_at,) = case
    cal = BusinessCalendar.from_spec(spec)
    ordered = sorted(set(durations))
    due = [cal.add(start_at, d) for d in ordered]
    assert due == sorted(set(due)), "a longer duration must give a strictly later instant"


@FAST
@given(case=calendars_and_instants(2), duration=durations)
def test_add_is_monotonic_in_start(
    case: tuple[dict[str, Any], list[datetime]], duration: timedelta
) -> None:
    spec, moments = case
    early, late = sorted(moments, key=in_utc)
    cal = BusinessCalendar.from_spec(spec)
    assert cal.add(early, duration) <= cal.add(late, duration)


@FAST
@given(case=calendars_and_instants(1), duration=durations)
def test_add_lands_at_the_end_of_business_time(
    case: tuple[dict[str, Any], list[datetime]], duration: timedelta
) -> None:
    spec, (start_at,) = case
    cal = BusinessCalendar.from_spec(spec)
    due_at = cal.add(start_at, duration)
    if duration:
        assert due_at > start_at
        assert cal.is_open(due_at - US), "the moment just before a due instant is business time"
        assert cal.elapsed(start_at, due_at - US) == duration - US, "and nothing earlier will do"
    else:
        assert due_at == in_utc(start_at)


@FAST
@given(case=calendars_and_instants(3))
def test_elapsed_is_additive(case: tuple[dict[str, Any], list[datetime]]) -> None:
    spec, moments = case
    a, b, c = sorted(moments, key=in_utc)
    cal = BusinessCalendar.from_spec(spec)
    assert cal.elapsed(a, b) + cal.elapsed(b, c) == cal.elapsed(a, c)
    assert timedelta(0) <= cal.elapsed(a, c) <= in_utc(c) - in_utc(a)
    assert cal.elapsed(c, a) == timedelta(0)
    assert cal.elapsed(b, b) == timedelta(0)


@FAST
@given(case=calendars_and_instants(1))
def test_is_open_means_business_time_runs(case: tuple[dict[str, Any], list[datetime]]) -> None:
    spec, (t,) = case
    cal = BusinessCalendar.from_spec(spec)
    expected = US if cal.is_open(t) else timedelta(0)
    assert cal.elapsed(t, in_utc(t) + US) == expected


@FAST
@given(case=calendars_and_instants(2), duration=durations, data=st.data())
def test_answers_do_not_depend_on_the_zone_an_instant_is_written_in(
    case: tuple[dict[str, Any], list[datetime]], duration: timedelta, data: st.DataObject
) -> None:
    spec, (a, b) = case
    a2 = data.draw(displayed(a), label="a elsewhere")
    b2 = data.draw(displayed(b), label="b elsewhere")
    cal = BusinessCalendar.from_spec(spec)
    assert cal.add(a2, duration) == cal.add(a, duration) == cal.add(a.astimezone(UTC), duration)
    assert cal.add(a2, duration).utcoffset() == timedelta(0)
    assert cal.elapsed(a2, b2) == cal.elapsed(a, b)
    assert cal.is_open(a2) == cal.is_open(a)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=calendar_specs(),
    questions=st.lists(
        st.tuples(
            utc_instants(datetime(1975, 1, 1, tzinfo=UTC), datetime(2095, 1, 1, tzinfo=UTC)),
            durations,
        ),
        min_size=2,
        max_size=5,
    ),
)
def test_answers_do_not_depend_on_the_order_of_questions(
    spec: dict[str, Any], questions: list[tuple[datetime, timedelta]]
) -> None:
    shared = BusinessCalendar.from_spec(spec)  # its table grows both ways as questions come
    for start_at, duration in questions:
        fresh = BusinessCalendar.from_spec(spec)
        due_at = shared.add(start_at, duration)
        assert due_at == fresh.add(start_at, duration)
        assert shared.is_open(start_at) == fresh.is_open(start_at)
        later = start_at + timedelta(days=9)
        assert shared.elapsed(start_at, later) == BusinessCalendar.from_spec(spec).elapsed(
            start_at, later
        )


# -- agreement with the reference ----------------------------------------------------------------

WINDOW = timedelta(days=3)


@st.composite
def windows(draw: st.DrawFn) -> tuple[dict[str, Any], datetime]:
    """A calendar and the start of a three-day window across one of its DST changes (if it has
    any), with holidays on and around the local dates of the window and, mostly, a shift that
    starts in the small hours on each of those dates, where the clocks change."""
    zone = draw(st.sampled_from(ZONES))
    window_start = draw(windows_across_transitions(zone, WINDOW))
    first = window_start.astimezone(ZoneInfo(zone)).date()
    near = tuple(first + timedelta(days=k) for k in range(-1, 4))
    spec = draw(calendar_specs(zone, near=near, busy=True))
    if isinstance(spec["hours"], dict):
        for day in near:
            if draw(st.integers(0, 3)) != 3:
                night = draw(st.sampled_from([0, 30, 60, 90, 120, 150]))
                length = draw(st.sampled_from([60, 90, 120, 180, 240, 1440]))
                end = (night + length) % 1440
                shift = f"{night // 60:02d}:{night % 60:02d}-{end // 60:02d}:{end % 60:02d}"
                spec["hours"].setdefault(DAY_NAMES[day.weekday()], []).append(shift)
    return spec, window_start


@SLOW
@given(case=windows(), data=st.data())
def test_agrees_with_the_reference(
    case: tuple[dict[str, Any], datetime], data: st.DataObject
) -> None:
    spec, window_start = case
    window_end = window_start + WINDOW
    cal = BusinessCalendar.from_spec(spec)
    ref = reference.ref_calendar(spec)

    # every minute of the window is open or closed alike (and the state holds within the minute)
    minute = window_start
    while minute < window_end:
        expected = reference.is_open(ref, minute)
        assert cal.is_open(minute) == expected, f"is_open({minute.isoformat()})"
        assert cal.is_open(minute + timedelta(seconds=59, microseconds=999_999)) == expected
        minute += MINUTE

    seconds = st.integers(0, int(WINDOW.total_seconds())).map(lambda s: timedelta(seconds=s))
    a, b = sorted(data.draw(st.tuples(seconds, seconds), label="offsets of a and b"))
    a_at, b_at = window_start + a, window_start + b
    assert cal.elapsed(a_at, b_at) == reference.elapsed(ref, a_at, b_at)

    available = reference.elapsed(ref, a_at, window_end)
    whole_seconds = int(available.total_seconds())
    duration = timedelta(seconds=data.draw(st.integers(0, whole_seconds), label="duration"))
    expected_due = reference.add(ref, a_at, duration, limit=window_end - a_at)
    assert expected_due is not None
    assert cal.add(a_at, duration) == expected_due


def _span(row: tuple[str, ...]) -> timedelta:
    _, _, op, start, argument, expected = row
    end = expected if op == "add" else argument
    return abs(datetime.fromisoformat(end) - datetime.fromisoformat(start))


@pytest.mark.parametrize(
    "row", [pytest.param(row, id=row[0]) for row in ROWS if _span(row) <= timedelta(days=14)]
)
def test_the_reference_itself_passes_the_golden_vectors(row: tuple[str, ...]) -> None:
    """The reference is only worth comparing with if it gets the peers' vectors right too."""
    _, calendar, op, start, argument, expected = row
    ref = reference.ref_calendar(CALENDARS[calendar])
    start_at = datetime.fromisoformat(start)
    if op == "add":
        duration = timedelta(seconds=int(argument.split()[0]))
        due_at = reference.add(ref, start_at, duration, limit=timedelta(days=15))
        assert due_at == datetime.fromisoformat(expected)
    else:
        got = reference.elapsed(ref, start_at, datetime.fromisoformat(argument))
        assert got == timedelta(seconds=int(expected.split()[0]))


def test_the_reference_reads_holidays_by_the_date_a_shift_starts() -> None:
    spec = {"timezone": "UTC", "hours": {"mon": ["22:00-06:00"]}, "holidays": ["2026-03-10"]}
    ref = reference.ref_calendar(spec)
    assert reference.is_open(ref, datetime(2026, 3, 10, 5, 59, tzinfo=UTC))  # Tuesday morning
    assert not reference.is_open(ref, datetime(2026, 3, 10, 6, 0, tzinfo=UTC))
    assert date(2026, 3, 10) in ref.holidays
