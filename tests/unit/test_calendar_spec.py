"""Named scenarios for business calendars (SPEC §1): shifts, holidays, DST, and what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from slakeeper.calendar import (
    BusinessCalendar,
    CalendarError,
    CalendarNeverOpens,
    InvalidArgument,
)

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def calendar(hours: Any, timezone: str = "UTC", **more: Any) -> BusinessCalendar:
    return BusinessCalendar.from_spec({"timezone": timezone, "hours": hours, **more})


NINE_TO_FIVE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}

# -- shifts ---------------------------------------------------------------------------------------


def test_a_break_is_closed() -> None:
    cal = calendar({"mon": ["09:00-12:30", "13:30-17:00"]}, "Europe/Berlin")
    assert cal.is_open(berlin(2026, 3, 9, 12, 29))
    assert not cal.is_open(berlin(2026, 3, 9, 12, 30))
    assert not cal.is_open(berlin(2026, 3, 9, 13, 29))
    assert cal.is_open(berlin(2026, 3, 9, 13, 30))
    assert cal.elapsed(berlin(2026, 3, 9, 0, 0), berlin(2026, 3, 10, 0, 0)) == 7 * H
    assert cal.add(berlin(2026, 3, 9, 12, 0), H) == berlin(2026, 3, 9, 14, 0)


def test_the_spec_example_a_target_is_due_at_closing_not_next_morning() -> None:
    cal = calendar(NINE_TO_FIVE)
    assert cal.add(utc(2026, 3, 9, 16, 0), H) == utc(2026, 3, 9, 17, 0)  # Monday


def test_a_missing_or_empty_day_is_closed() -> None:
    cal = calendar({"mon": ["09:00-17:00"], "tue": [], "wed": None})
    assert cal.elapsed(utc(2026, 3, 9), utc(2026, 3, 16)) == 8 * H
    assert not cal.is_open(utc(2026, 3, 10, 12, 0))


def test_an_overnight_shift_runs_into_the_next_day() -> None:
    cal = calendar({"mon": ["22:00-06:00"]})  # 2026-03-09 is a Monday
    assert not cal.is_open(utc(2026, 3, 9, 21, 59))
    assert cal.is_open(utc(2026, 3, 9, 22, 0))
    assert cal.is_open(utc(2026, 3, 10, 5, 59, 59))
    assert not cal.is_open(utc(2026, 3, 10, 6, 0))
    assert not cal.is_open(utc(2026, 3, 9, 3, 0))  # Monday morning belongs to Sunday: closed
    assert cal.elapsed(utc(2026, 3, 9), utc(2026, 3, 11)) == 8 * H
    assert cal.add(utc(2026, 3, 9, 12, 0), 3 * H) == utc(2026, 3, 10, 1, 0)


def test_a_holiday_the_next_day_does_not_cancel_an_overnight_shift() -> None:
    cal = calendar({"mon": ["22:00-06:00"]}, holidays=["2026-03-10"])  # Tuesday
    assert cal.is_open(utc(2026, 3, 10, 5, 0))
    assert cal.elapsed(utc(2026, 3, 9), utc(2026, 3, 11)) == 8 * H


def test_a_holiday_on_the_day_it_starts_cancels_an_overnight_shift() -> None:
    cal = calendar({"mon": ["22:00-06:00"]}, holidays=["2026-03-09"])  # Monday
    assert not cal.is_open(utc(2026, 3, 9, 23, 0))
    assert not cal.is_open(utc(2026, 3, 10, 5, 0))
    assert cal.elapsed(utc(2026, 3, 9), utc(2026, 3, 11)) == timedelta(0)
    assert cal.add(utc(2026, 3, 9, 12, 0), H) == utc(2026, 3, 16, 23, 0)


def test_24_00_is_the_end_of_the_day() -> None:
    cal = calendar({"mon": ["18:00-24:00"]})
    assert cal.is_open(utc(2026, 3, 9, 23, 59, 59))
    assert not cal.is_open(utc(2026, 3, 10, 0, 0))
    assert cal.elapsed(utc(2026, 3, 9), utc(2026, 3, 11)) == 6 * H
    assert cal.add(utc(2026, 3, 9, 20, 0), 4 * H) == utc(2026, 3, 10, 0, 0)


def test_a_shift_ending_when_it_starts_lasts_24_hours() -> None:
    cal = calendar({"mon": ["09:00-09:00"]})
    assert not cal.is_open(utc(2026, 3, 9, 8, 59))
    assert cal.is_open(utc(2026, 3, 9, 9, 0))
    assert cal.is_open(utc(2026, 3, 10, 8, 59))
    assert not cal.is_open(utc(2026, 3, 10, 9, 0))
    assert cal.elapsed(utc(2026, 3, 9), utc(2026, 3, 11)) == 24 * H


def test_24x7_is_always_open_and_counts_real_time_across_dst() -> None:
    cal = calendar("24x7", "Europe/Berlin")
    assert cal.is_open(
        berlin(2026, 3, 29, 2, 30)
    )  # a wall time that does not exist, still an instant
    # Saturday noon to Sunday noon across the spring change is 23 real hours
    assert cal.elapsed(berlin(2026, 3, 28, 12, 0), berlin(2026, 3, 29, 12, 0)) == 23 * H
    assert cal.elapsed(berlin(2026, 10, 24, 12, 0), berlin(2026, 10, 25, 12, 0)) == 25 * H
    due_at = cal.add(berlin(2026, 3, 28, 12, 0), 24 * H)
    assert due_at == berlin(2026, 3, 29, 13, 0)
    assert due_at.tzinfo is UTC


def test_24x7_with_a_holiday_closes_that_local_date() -> None:
    cal = calendar("24x7", "Europe/Berlin", holidays=[{"date": "2026-12-25", "name": "Christmas"}])
    assert not cal.is_open(berlin(2026, 12, 25, 12, 0))
    assert cal.is_open(berlin(2026, 12, 24, 23, 59))
    assert cal.elapsed(berlin(2026, 12, 24), berlin(2026, 12, 27)) == 48 * H
    assert cal.add(berlin(2026, 12, 24, 23, 0), 2 * H) == berlin(2026, 12, 26, 1, 0)


def test_every_day_00_00_to_24_00_equals_24x7_without_holidays() -> None:
    every_day = calendar(
        dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "00:00-24:00"),
        "Europe/Berlin",
    )
    always = calendar("24x7", "Europe/Berlin")
    a, b = berlin(2026, 3, 27, 10, 0), berlin(2026, 11, 1, 10, 0)
    assert every_day.elapsed(a, b) == always.elapsed(a, b)
    assert every_day.add(a, 1000 * H) == always.add(a, 1000 * H)


def test_overlapping_shifts_count_once() -> None:
    cal = calendar({"mon": ["09:00-12:00", "11:00-13:00", "10:00-11:00", "09:00-12:00"]})
    assert cal.elapsed(utc(2026, 3, 9), utc(2026, 3, 10)) == 4 * H
    assert cal.add(utc(2026, 3, 9, 9, 0), 4 * H) == utc(2026, 3, 9, 13, 0)


def test_an_overnight_shift_overlapping_the_next_days_shift_counts_once() -> None:
    cal = calendar({"sun": ["20:00-10:00"], "mon": ["08:00-12:00"]})
    assert cal.elapsed(utc(2026, 3, 8), utc(2026, 3, 10)) == 16 * H
    assert cal.add(utc(2026, 3, 8, 20, 0), 16 * H) == utc(2026, 3, 9, 12, 0)


# -- daylight saving time: the wall-clock rule -----------------------------------------------------

SUNDAY_NIGHT = {"sun": ["01:00-04:00"]}


def test_the_dst_gap_shortens_a_shift() -> None:
    cal = calendar(SUNDAY_NIGHT, "Europe/Berlin")
    # 2026-03-29: clocks jump from 02:00 to 03:00; the shift has 01:00-02:00 and 03:00-04:00
    assert cal.elapsed(berlin(2026, 3, 29), berlin(2026, 3, 30)) == 2 * H
    assert cal.elapsed(berlin(2026, 3, 22), berlin(2026, 3, 23)) == 3 * H  # an ordinary Sunday
    assert cal.is_open(utc(2026, 3, 29, 0, 59))  # 01:59 CET
    assert cal.is_open(utc(2026, 3, 29, 1, 0))  # 03:00 CEST
    assert not cal.is_open(utc(2026, 3, 29, 2, 0))  # 04:00 CEST
    assert cal.add(berlin(2026, 3, 29), 90 * timedelta(minutes=1)) == berlin(2026, 3, 29, 3, 30)
    assert cal.add(berlin(2026, 3, 29), 3 * H) == berlin(2026, 4, 5, 2, 0)


def test_the_repeated_hour_lengthens_a_shift() -> None:
    cal = calendar(SUNDAY_NIGHT, "Europe/Berlin")
    # 2026-10-25: clocks go back from 03:00 to 02:00; 02:00-03:00 happens twice
    assert cal.elapsed(berlin(2026, 10, 25), berlin(2026, 10, 26)) == 4 * H
    assert cal.is_open(berlin(2026, 10, 25, 2, 30, fold=0))
    assert cal.is_open(berlin(2026, 10, 25, 2, 30, fold=1))
    # 02:00 the second time (CET) is 01:00 UTC; Python never finds a fold=1 time equal to another
    # zone's, so compare in UTC
    assert cal.add(berlin(2026, 10, 25), 2 * H) == utc(2026, 10, 25, 1, 0)
    assert berlin(2026, 10, 25, 2, 0, fold=1).astimezone(UTC) == utc(2026, 10, 25, 1, 0)
    assert cal.add(berlin(2026, 10, 25), 4 * H) == berlin(2026, 10, 25, 4, 0)


def test_dst_far_in_the_future_follows_the_zone_rule() -> None:
    cal = calendar(SUNDAY_NIGHT, "Europe/Berlin")
    assert cal.elapsed(berlin(2090, 3, 26), berlin(2090, 3, 27)) == 2 * H  # last Sunday of March
    assert cal.elapsed(berlin(2090, 3, 19), berlin(2090, 3, 20)) == 3 * H


def test_a_zone_whose_dst_starts_at_midnight_loses_the_first_hour() -> None:
    # America/Sao_Paulo 2018-11-04: 00:00 became 01:00; a shift from midnight starts at 01:00
    cal = calendar({"sun": ["00:00-02:00"]}, "America/Sao_Paulo")
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    day = datetime(2018, 11, 4, 1, 0, tzinfo=sao_paulo)
    assert cal.elapsed(day - 2 * H, day + 3 * H) == H
    assert cal.add(datetime(2018, 11, 3, 20, 0, tzinfo=sao_paulo), H) == day + H


# -- holidays --------------------------------------------------------------------------------------


def test_holidays_may_be_strings_dates_or_named() -> None:
    cal = calendar(
        NINE_TO_FIVE,
        holidays=["2026-03-09", date(2026, 3, 10), {"date": "2026-03-11", "name": "Founders"}],
    )
    assert cal.elapsed(utc(2026, 3, 9), utc(2026, 3, 14)) == 16 * H
    assert cal.holiday_names()[date(2026, 3, 11)] == "Founders"


def test_country_holidays_with_a_subdivision() -> None:
    # International Women's Day is a public holiday in Berlin only, not in all of Germany
    assert date(2027, 3, 8) in holidays.country_holidays("DE", subdiv="BE", years=2027)
    assert date(2027, 3, 8) not in holidays.country_holidays("DE", years=2027)
    hours = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    berlin_cal = calendar(hours, "Europe/Berlin", holiday_country="DE", holiday_subdivision="BE")
    germany = calendar(hours, "Europe/Berlin", holiday_country="DE")
    for women_day in (berlin(2026, 3, 8, 12, 0), berlin(2027, 3, 8, 12, 0)):  # a Sunday, a Monday
        assert not berlin_cal.is_open(women_day)
        assert germany.is_open(women_day)
    for christmas in (berlin(2026, 12, 25, 12, 0), berlin(1995, 12, 25, 12, 0)):
        assert not berlin_cal.is_open(christmas)
        assert not germany.is_open(christmas)
    assert berlin_cal.elapsed(berlin(2027, 3, 7), berlin(2027, 3, 10)) == 16 * H
    assert germany.elapsed(berlin(2027, 3, 7), berlin(2027, 3, 10)) == 24 * H


# -- zero, reversed, and far apart -----------------------------------------------------------------


@pytest.mark.parametrize("hours", [NINE_TO_FIVE, "24x7", {}])
def test_adding_nothing_is_the_start_even_when_closed(hours: Any) -> None:
    cal = calendar(hours, "Europe/Berlin")
    sunday = berlin(2026, 3, 8, 3, 0)
    assert cal.add(sunday, timedelta(0)) == sunday
    assert cal.add(sunday, timedelta(0)).utcoffset() == timedelta(0)


@pytest.mark.parametrize("hours", [NINE_TO_FIVE, "24x7", {}])
def test_elapsed_is_zero_when_the_end_is_not_after_the_start(hours: Any) -> None:
    cal = calendar(hours)
    a, b = utc(2026, 3, 9, 10, 0), utc(2026, 3, 12, 10, 0)
    assert cal.elapsed(b, a) == timedelta(0)
    assert cal.elapsed(a, a) == timedelta(0)


def test_the_same_instant_written_in_another_zone_gives_the_same_answers() -> None:
    cal = calendar(NINE_TO_FIVE, "Europe/Berlin")
    here = berlin(2026, 3, 9, 16, 0)
    there = here.astimezone(ZoneInfo("Asia/Kathmandu"))
    assert cal.add(here, 2 * H) == cal.add(there, 2 * H) == berlin(2026, 3, 10, 10, 0)
    assert cal.elapsed(there, berlin(2026, 3, 10, 10, 0)) == 2 * H


def _weekdays_between(first: date, last: date) -> int:
    return sum((first + timedelta(days=k)).weekday() < 5 for k in range((last - first).days))


def test_queries_decades_apart_extend_the_calendar_both_ways() -> None:
    cal = calendar(NINE_TO_FIVE, "Europe/Berlin")
    assert cal.add(berlin(2026, 3, 13, 16, 0), 2 * H) == berlin(2026, 3, 16, 10, 0)
    # then 1990 (a Friday), far before what the calendar has looked at so far
    assert cal.add(berlin(1990, 1, 5, 16, 0), 2 * H) == berlin(1990, 1, 8, 10, 0)
    assert cal.is_open(berlin(1990, 1, 8, 9, 0))
    # then 2090 (a Friday), far after
    assert cal.add(berlin(2090, 1, 6, 16, 0), 2 * H) == berlin(2090, 1, 9, 10, 0)
    assert not cal.is_open(berlin(2090, 1, 7, 12, 0))
    # and back again: the earlier answers still hold
    assert cal.add(berlin(1990, 1, 5, 16, 0), 2 * H) == berlin(1990, 1, 8, 10, 0)
    a, b = berlin(1990, 1, 1), berlin(2090, 1, 1)
    assert cal.elapsed(a, b) == 8 * H * _weekdays_between(date(1990, 1, 1), date(2090, 1, 1))
    fresh = calendar(NINE_TO_FIVE, "Europe/Berlin")
    assert fresh.elapsed(a, b) == cal.elapsed(a, b)
    assert fresh.add(a, cal.elapsed(a, b)) == berlin(2089, 12, 30, 17, 0)  # the last Friday


def test_a_long_add_crosses_decades() -> None:
    cal = calendar(NINE_TO_FIVE, "America/New_York")
    start = datetime(1990, 1, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    weekdays = _weekdays_between(date(1990, 1, 1), date(2090, 1, 2))  # through Sun 2090-01-01
    due_at = cal.add(start, 8 * H * weekdays)
    assert due_at == datetime(2089, 12, 30, 17, 0, tzinfo=ZoneInfo("America/New_York"))


def test_questions_at_the_ends_of_the_datetime_range_are_answered_or_refused() -> None:
    # (one calendar per end: a calendar's table spans every date between the questions it is asked)
    late = calendar(NINE_TO_FIVE, "Europe/Berlin")
    assert not late.is_open(utc(9999, 12, 19, 12, 0))  # a Sunday
    with pytest.raises(ValueError, match="9999"):
        late.add(utc(9999, 12, 1), timedelta(days=40))
    with pytest.raises(ValueError, match="9999"):
        late.is_open(utc(9999, 12, 31, 12, 0))
    early = calendar(NINE_TO_FIVE, "Europe/Berlin")
    assert early.is_open(utc(1, 1, 15, 12, 0))  # a Monday (proleptic Gregorian)
    with pytest.raises(ValueError, match="year 1"):
        early.elapsed(utc(1, 1, 1, 12, 0), utc(1, 2, 1))


# -- what is refused -------------------------------------------------------------------------------

GOOD: dict[str, Any] = {"timezone": "Europe/Berlin", "hours": {"mon": ["09:00-17:00"]}}


def _issue_for(error: CalendarError, where: str) -> str:
    found = [issue.message for issue in error.issues if issue.where == where]
    assert found, f"no issue at {where!r}: {error.issues}"
    return found[0]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        pytest.param(
            {"hours": {"mon": ["9-17"]}}, "hours.mon[0]", ["'9-17'", "HH:MM"], id="shift-format"
        ),
        pytest.param(
            {"hours": {"mon": ["09:00-17:00", "25:00-26:00"]}},
            "hours.mon[1]",
            ["25:00"],
            id="shift-hour",
        ),
        pytest.param(
            {"hours": {"tue": ["09:00-24:30"]}}, "hours.tue[0]", ["24:30"], id="shift-past-24"
        ),
        pytest.param(
            {"hours": {"mon": ["09:60-17:00"]}}, "hours.mon[0]", ["09:60"], id="shift-minute"
        ),
        pytest.param({"hours": {"mon": [900]}}, "hours.mon[0]", ["900"], id="shift-not-text"),
        pytest.param(
            {"hours": {"monday": ["09:00-17:00"]}},
            "hours.monday",
            ["unknown weekday", "monday"],
            id="weekday",
        ),
        pytest.param({"hours": "25x7"}, "hours", ["25x7"], id="hours-text"),
        pytest.param({"hours": ["09:00-17:00"]}, "hours", ["24x7"], id="hours-list"),
        pytest.param({"timezone": "Mars/Olympus"}, "timezone", ["Mars/Olympus"], id="zone-unknown"),
        pytest.param({"timezone": ""}, "timezone", ["time zone"], id="zone-empty"),
        pytest.param({"timezone": None}, "timezone", ["time zone"], id="zone-none"),
        pytest.param(
            {"holidays": ["2026-12-25", "2026-02-30"]},
            "holidays[1]",
            ["2026-02-30"],
            id="holiday-date",
        ),
        pytest.param(
            {"holidays": ["2026-12-25", "25.12.2026"]},
            "holidays[1]",
            ["25.12.2026", "YYYY-MM-DD"],
            id="holiday-format",
        ),
        pytest.param(
            {"holidays": ["2026-12-25", "2026-W01-1"]},
            "holidays[1]",
            ["2026-W01-1", "YYYY-MM-DD"],
            id="holiday-week-date",
        ),
        pytest.param(
            {"holidays": [{"date": "2026-13-01"}]},
            "holidays[0].date",
            ["2026-13-01"],
            id="holiday-mapping",
        ),
        pytest.param(
            {"holidays": [{"name": "Xmas"}]}, "holidays[0]", ["date"], id="holiday-no-date"
        ),
        pytest.param({"holidays": "2026-12-25"}, "holidays", ["list"], id="holidays-not-list"),
        pytest.param({"timezon": "UTC"}, "timezon", ["unknown field"], id="unknown-field"),
        pytest.param({"holiday_country": "XX"}, "holiday_country", ["XX"], id="country"),
        pytest.param(
            {"holiday_country": "DE", "holiday_subdivision": "XX"},
            "holiday_subdivision",
            ["XX"],
            id="subdivision",
        ),
        pytest.param(
            {"holiday_subdivision": "BE"},
            "holiday_subdivision",
            ["holiday_country"],
            id="subdivision-alone",
        ),
    ],
)
def test_a_bad_spec_is_refused_naming_the_field(
    change: dict[str, Any], where: str, words: list[str]
) -> None:
    spec = {**GOOD, **change}
    with pytest.raises(ValueError) as caught:
        BusinessCalendar.from_spec(spec)
    error = caught.value
    assert isinstance(error, CalendarError)
    message = _issue_for(error, where)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
        assert word in str(error)
    assert where in str(error)


def test_a_missing_timezone_is_refused() -> None:
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar.from_spec({"hours": "24x7"})
    assert "missing" in _issue_for(caught.value, "timezone")


def test_every_problem_is_reported_at_once() -> None:
    spec = {"timezone": "Nowhere/Land", "hours": {"mon": ["9-5"], "funday": []}, "holidays": ["x"]}
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar.from_spec(spec)
    places = {issue.where for issue in caught.value.issues}
    assert places >= {"timezone", "hours.mon[0]", "hours.funday", "holidays[0]"}


@pytest.mark.parametrize("spec", [None, "24x7", ["timezone", "UTC"]])
def test_a_spec_that_is_not_a_mapping_is_refused(spec: Any) -> None:
    with pytest.raises(ValueError, match="mapping"):
        BusinessCalendar.from_spec(spec)


NAIVE = datetime(2026, 3, 9, 10, 0)
AWARE = utc(2026, 3, 9, 10, 0)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        pytest.param(lambda c: c.add(NAIVE, H), "naive", id="add-naive"),
        pytest.param(lambda c: c.elapsed(NAIVE, AWARE), "naive", id="elapsed-naive-start"),
        pytest.param(lambda c: c.elapsed(AWARE, NAIVE), "naive", id="elapsed-naive-end"),
        pytest.param(lambda c: c.is_open(NAIVE), "naive", id="is-open-naive"),
        pytest.param(lambda c: c.add(AWARE, -H), "negative", id="negative"),
        pytest.param(
            lambda c: c.add(AWARE, timedelta(microseconds=-1)), "negative", id="negative-1us"
        ),
        pytest.param(lambda c: c.add(AWARE, 60), "timedelta", id="duration-int"),
        pytest.param(lambda c: c.add("2026-03-09T10:00:00Z", H), "datetime", id="add-str"),
        pytest.param(lambda c: c.is_open(date(2026, 3, 9)), "datetime", id="is-open-date"),
        pytest.param(lambda c: c.elapsed(AWARE, 1773050400), "datetime", id="elapsed-int"),
    ],
)
def test_a_bad_argument_is_refused(call: Any, words: str) -> None:
    cal = calendar(NINE_TO_FIVE)
    with pytest.raises(ValueError, match=words) as caught:
        call(cal)
    assert isinstance(caught.value, InvalidArgument)


@pytest.mark.parametrize("hours", [{}, {"mon": [], "sun": None}])
def test_adding_time_on_a_calendar_that_never_opens_is_refused(hours: Any) -> None:
    cal = calendar(hours)
    assert not cal.is_open(AWARE)
    assert cal.elapsed(AWARE, AWARE + 1000 * H) == timedelta(0)
    with pytest.raises(ValueError, match="never opens") as caught:
        cal.add(AWARE, timedelta(seconds=1))
    assert isinstance(caught.value, CalendarNeverOpens)


def test_a_holiday_observed_in_the_year_before_closes_the_day() -> None:
    """New Year's Day 2022 fell on a Saturday; the US observed it on Friday 2021-12-31."""
    from slakeeper.calendar import BusinessCalendar

    spec = {
        "timezone": "America/New_York",
        "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holiday_country": "US",
    }
    for first_question in (
        datetime(2021, 12, 31, 15, tzinfo=UTC),
        datetime(2018, 6, 1, 15, tzinfo=UTC),
    ):
        cal = BusinessCalendar.from_spec(spec)
        cal.is_open(first_question)  # the table's window starts around the first question
        assert not cal.is_open(datetime(2021, 12, 31, 15, tzinfo=UTC))
        assert cal.is_open(datetime(2021, 12, 30, 15, tzinfo=UTC))
