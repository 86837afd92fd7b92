"""Golden vectors from peers' own test suites (VECTORS.md, "Business calendar" table).

Every row is copied verbatim from VECTORS.md as data; each becomes one test named by its row id.
The calendar column is mapped to a SPEC §1 mapping by :data:`CALENDARS` below, written out by hand.
Instants are compared as instants (aware datetime equality), elapsed times in seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from slakeeper.calendar import BusinessCalendar

# fmt: off
TABLE = """
| OTRS-1 | Europe/Berlin, Mon–Fri 08:00–13:00, 14:00–18:00 | add | 2015-03-27T11:00:00+00:00 | 54000 s | 2015-03-31T07:00:00+00:00 |
| OTRS-4 | America/Sao_Paulo 24x7 | add | 2015-02-21T22:00:00-02:00 | 18000 s | 2015-02-22T02:00:00-03:00 |
| OTRS-5 | America/Sao_Paulo 24x7 | add | 2015-10-17T22:00:00-03:00 | 25200 s | 2015-10-18T06:00:00-02:00 |
| OTRS-6 | Asia/Tehran 24x7 | add | 2015-09-21T12:00:00+04:30 | 54000 s | 2015-09-22T02:00:00+03:30 |
| OTRS-7 | Asia/Tehran 24x7 | add | 2015-03-21T12:00:00+03:30 | 61200 s | 2015-03-22T06:00:00+04:30 |
| OTRS-8 | Australia/Sydney 24x7 | add | 2016-04-02T12:00:00+11:00 | 147600 s | 2016-04-04T04:00:00+10:00 |
| OTRS-9 | Europe/Berlin, Mon–Fri 08:00–18:00 | add | 2016-01-31T12:25:30+01:00 | 18000 s | 2016-02-01T13:00:00+01:00 |
| OTRS-10 | Europe/Berlin, Mon–Fri 08:00–18:00 | add | 2016-02-01T16:59:30+01:00 | 12600 s | 2016-02-02T10:29:30+01:00 |
| OTRS-11 | Europe/Berlin, Mon–Fri 08:00–13:00, 14:00–18:00 | add | 2016-02-01T12:25:30+01:00 | 18000 s | 2016-02-02T08:25:30+01:00 |
| OTRS-12 | Europe/Berlin, Mon–Fri 08:00–13:00, 14:00–18:00 | add | 2016-01-31T12:25:30+01:00 | 163530 s | 2016-02-08T08:25:30+01:00 |
| OTRS-13 | Europe/Berlin, Mon–Fri 08:00–13:00, 14:00–18:00; holidays 2015-12-24, 25, 26, 31, 2016-01-01 | add | 2015-12-22T16:24:49+01:00 | 72000 s | 2015-12-29T08:24:49+01:00 |
| OTRS-14 | Asia/Tehran, Mon–Fri 08:00–18:00 | add | 2016-03-20T00:00:00+03:30 | 46800 s | 2016-03-22T11:00:00+04:30 |
| OTRS-15 | Asia/Tehran, every day 00:00–24:00 | add | 2016-03-20T00:00:00+03:30 | 104400 s | 2016-03-21T06:00:00+04:30 |
| OTRS-16 | Asia/Tehran, Mon–Fri 00:00–24:00 | add | 2016-03-20T00:00:00+03:30 | 104400 s | 2016-03-22T06:00:00+04:30 |
| OTRS-D1 | Europe/Berlin, every day 00:00–24:00; holidays 2015-12-24, 25, 26, 31, 2016-01-01 | elapsed | 2015-12-23T08:10:15+01:00 | 2015-12-28T17:10:14+01:00 | 205199 s |
| OTRS-D2 | Europe/Berlin, Mon–Fri 08:00–13:00, 14:00–18:00 | elapsed | 2015-03-26T16:00:00+00:00 | 2015-03-27T08:00:00+00:00 | 7200 s |
| OTRS-D3 | Europe/Berlin 24x7 | elapsed | 2016-03-26T22:24:39+01:00 | 2016-03-28T23:24:39+02:00 | 172800 s |
| OTRS-D4 | Europe/Berlin 24x7 | elapsed | 2015-02-17T12:00:00+01:00 | 2015-05-18T12:00:00+02:00 | 7772400 s |
| OTRS-D5 | Europe/Berlin, every day 08:00–13:00, 14:00–18:00 | elapsed | 2016-02-01T12:15:41+01:00 | 2016-02-06T12:15:41+01:00 | 162000 s |
| OTRS-D6 | Europe/Berlin, Mon–Fri 08:00–13:00, 14:00–18:00 | elapsed | 2016-03-25T12:15:41+01:00 | 2016-03-29T10:15:41+02:00 | 57600 s |
| OTRS-D7 | Europe/Berlin, Mon–Fri 08:00–13:00, 14:00–18:00 | elapsed | 2016-03-25T08:00:00+01:00 | 2016-03-25T15:00:00+01:00 | 21600 s |
| CW-1 | UTC, Mon–Fri 09:00–17:00 | add | 2024-01-17T10:00:00+00:00 | 7200 s | 2024-01-17T12:00:00+00:00 |
| CW-2 | UTC, Mon–Fri 09:00–17:00 | add | 2024-01-19T16:00:00+00:00 | 7200 s | 2024-01-22T10:00:00+00:00 |
| CW-3 | UTC, Mon–Fri 09:00–17:00 | add | 2024-01-17T07:00:00+00:00 | 7200 s | 2024-01-17T11:00:00+00:00 |
| CW-4 | UTC, Mon–Fri 09:00–17:00 | add | 2024-01-17T18:00:00+00:00 | 7200 s | 2024-01-18T11:00:00+00:00 |
| CW-5 | UTC, Mon–Fri 09:00–17:00 | add | 2024-01-20T10:00:00+00:00 | 7200 s | 2024-01-22T11:00:00+00:00 |
| CW-6 | UTC, Mon–Fri 09:00–17:00 | add | 2024-01-15T16:00:00+00:00 | 36000 s | 2024-01-17T10:00:00+00:00 |
| CW-7 | America/New_York, Mon–Fri 09:00–17:00 | add | 2024-01-19T16:00:00-05:00 | 7200 s | 2024-01-22T10:00:00-05:00 |
| CW-8 | UTC, Mon–Fri 09:00–17:00, Sat 00:00–24:00 | add | 2024-01-20T10:00:00+00:00 | 7200 s | 2024-01-20T12:00:00+00:00 |
| CW-9 | UTC, Mon–Fri 09:00–17:00, Sat 00:00–24:00 | add | 2024-01-20T00:00:00+00:00 | 86400 s | 2024-01-21T00:00:00+00:00 |
| CW-10 | UTC, Mon 09:00–17:00, Tue 09:00–20:00 | add | 2024-01-15T18:00:00+00:00 | 36000 s | 2024-01-16T19:00:00+00:00 |
| CW-11 | UTC, Mon 09:00–17:00, Tue 09:00–20:00 | add | 2024-01-15T16:00:00+00:00 | 43200 s | 2024-01-16T20:00:00+00:00 |
| RT-1 | America/New_York, Mon–Fri 08:00–17:00 | add | 2007-01-01T22:00:00+00:00 | 7200 s | 2007-01-02T15:00:00+00:00 |
| RT-3 | UTC, Sun 09:00–17:00 | add | 2007-01-01T00:00:00+00:00 | 3600 s | 2007-01-07T10:00:00+00:00 |
| FHD-A1r | UTC, Mon–Fri 10:00–18:00 | add | 2024-01-15T08:00:00+00:00 | 3600 s | 2024-01-15T11:00:00+00:00 |
| FHD-A1s | UTC, Mon–Fri 10:00–18:00 | add | 2024-01-15T08:00:00+00:00 | 14400 s | 2024-01-15T14:00:00+00:00 |
| FHD-A2r | UTC, Mon–Fri 10:00–18:00 | add | 2024-01-15T20:00:00+00:00 | 1800 s | 2024-01-16T10:30:00+00:00 |
| FHD-A2s | UTC, Mon–Fri 10:00–18:00 | add | 2024-01-15T20:00:00+00:00 | 7200 s | 2024-01-16T12:00:00+00:00 |
| FHD-A3r | UTC, Mon–Fri 10:00–18:00 | add | 2024-01-20T15:00:00+00:00 | 86400 s | 2024-01-24T18:00:00+00:00 |
| FHD-A3s | UTC, Mon–Fri 10:00–18:00 | add | 2024-01-20T15:00:00+00:00 | 259200 s | 2024-02-01T18:00:00+00:00 |
| FHD-A4r | UTC, Mon–Fri 10:00–18:00 | add | 2024-01-19T17:00:00+00:00 | 1800 s | 2024-01-19T17:30:00+00:00 |
| FHD-A4s | UTC, Mon–Fri 10:00–18:00 | add | 2024-01-19T17:00:00+00:00 | 7200 s | 2024-01-22T11:00:00+00:00 |
| FHD-A6r | UTC, Mon–Fri 10:00–18:00; holidays 2024-01-18, 2024-01-19 | add | 2024-01-18T15:00:00+00:00 | 1800 s | 2024-01-22T10:30:00+00:00 |
| FHD-A6s | UTC, Mon–Fri 10:00–18:00; holidays 2024-01-18, 2024-01-19 | add | 2024-01-18T15:00:00+00:00 | 7200 s | 2024-01-22T12:00:00+00:00 |
| FHD-A7 | UTC, Mon–Fri 10:00–18:00 | add | 2024-01-18T15:00:00+00:00 | 10801 s | 2024-01-19T10:00:01+00:00 |
| ERP-FRT1 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T11:00:00+00:00 | 2021-06-28T12:00:00+00:00 | 3600 s |
| ERP-FRT2 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T12:00:00+00:00 | 2021-06-28T20:00:00+00:00 | 21600 s |
| ERP-FRT3 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T06:00:00+00:00 | 2021-06-28T12:00:00+00:00 | 7200 s |
| ERP-FRT4 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T19:00:00+00:00 | 2021-06-28T20:00:00+00:00 | 0 s |
| ERP-FRT5 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-27T10:00:00+00:00 | 2021-06-27T11:00:00+00:00 | 0 s |
| ERP-FRT6 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T06:00:00+00:00 | 2021-06-29T06:00:00+00:00 | 28800 s |
| ERP-FRT7 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T06:00:00+00:00 | 2021-06-29T11:00:00+00:00 | 32400 s |
| ERP-FRT8 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T06:00:00+00:00 | 2021-06-29T20:00:00+00:00 | 57600 s |
| ERP-FRT9 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-25T06:00:00+00:00 | 2021-06-26T11:00:00+00:00 | 28800 s |
| ERP-FRT10 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T12:00:00+00:00 | 2021-06-29T06:00:00+00:00 | 21600 s |
| ERP-FRT11 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T12:00:00+00:00 | 2021-06-29T11:00:00+00:00 | 25200 s |
| ERP-FRT12 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T12:00:00+00:00 | 2021-06-29T20:00:00+00:00 | 50400 s |
| ERP-FRT13 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-25T12:00:00+00:00 | 2021-06-26T11:00:00+00:00 | 21600 s |
| ERP-FRT14 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T20:00:00+00:00 | 2021-06-29T06:00:00+00:00 | 0 s |
| ERP-FRT15 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T20:00:00+00:00 | 2021-06-29T11:00:00+00:00 | 3600 s |
| ERP-FRT16 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T20:00:00+00:00 | 2021-06-29T20:00:00+00:00 | 28800 s |
| ERP-FRT17 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-25T20:00:00+00:00 | 2021-06-26T11:00:00+00:00 | 0 s |
| ERP-FRT18 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T06:00:00+00:00 | 2021-07-01T06:00:00+00:00 | 86400 s |
| ERP-FRT19 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T06:00:00+00:00 | 2021-07-01T11:00:00+00:00 | 90000 s |
| ERP-FRT20 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T06:00:00+00:00 | 2021-07-01T20:00:00+00:00 | 115200 s |
| ERP-FRT21 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-25T06:00:00+00:00 | 2021-06-27T11:00:00+00:00 | 28800 s |
| ERP-FRT22 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T12:00:00+00:00 | 2021-07-01T06:00:00+00:00 | 79200 s |
| ERP-FRT23 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T12:00:00+00:00 | 2021-07-01T11:00:00+00:00 | 82800 s |
| ERP-FRT24 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T12:00:00+00:00 | 2021-07-01T20:00:00+00:00 | 108000 s |
| ERP-FRT25 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-25T12:00:00+00:00 | 2021-06-27T11:00:00+00:00 | 21600 s |
| ERP-FRT26 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T20:00:00+00:00 | 2021-07-01T06:00:00+00:00 | 57600 s |
| ERP-FRT27 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T20:00:00+00:00 | 2021-07-01T11:00:00+00:00 | 61200 s |
| ERP-FRT28 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-28T20:00:00+00:00 | 2021-07-01T20:00:00+00:00 | 86400 s |
| ERP-FRT29 | UTC, Mon–Fri 10:00–18:00 | elapsed | 2021-06-25T20:00:00+00:00 | 2021-06-27T11:00:00+00:00 | 0 s |
| GLPI-1 | UTC, Mon–Fri 08:00–20:00 | elapsed | 2019-01-01T07:00:00+00:00 | 2019-01-01T09:00:00+00:00 | 3600 s |
| GLPI-2 | UTC, Mon–Fri 08:00–20:00 | elapsed | 2019-01-01T06:00:00+00:00 | 2019-01-01T07:00:00+00:00 | 0 s |
| GLPI-3 | UTC, Mon–Fri 08:00–20:00 | elapsed | 2019-01-01T00:00:00+00:00 | 2019-01-08T00:00:00+00:00 | 216000 s |
| GLPI-4 | UTC, Mon–Fri 08:00–20:00 | elapsed | 2019-01-08T00:00:00+00:00 | 2019-01-01T00:00:00+00:00 | 0 s |
"""
# fmt: on

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BERLIN_XMAS = ["2015-12-24", "2015-12-25", "2015-12-26", "2015-12-31", "2016-01-01"]


def _days(days: tuple[str, ...], *shifts: str) -> dict[str, list[str]]:
    return {day: list(shifts) for day in days}


CALENDARS: dict[str, dict[str, Any]] = {
    "Europe/Berlin, Mon–Fri 08:00–13:00, 14:00–18:00": {
        "timezone": "Europe/Berlin",
        "hours": _days(WEEKDAYS, "08:00-13:00", "14:00-18:00"),
    },
    "Europe/Berlin, Mon–Fri 08:00–13:00, 14:00–18:00; holidays 2015-12-24, 25, 26, 31, 2016-01-01": {
        "timezone": "Europe/Berlin",
        "hours": _days(WEEKDAYS, "08:00-13:00", "14:00-18:00"),
        "holidays": BERLIN_XMAS,
    },
    "Europe/Berlin, Mon–Fri 08:00–18:00": {
        "timezone": "Europe/Berlin",
        "hours": _days(WEEKDAYS, "08:00-18:00"),
    },
    "Europe/Berlin, every day 00:00–24:00; holidays 2015-12-24, 25, 26, 31, 2016-01-01": {
        "timezone": "Europe/Berlin",
        "hours": _days(EVERY_DAY, "00:00-24:00"),
        "holidays": BERLIN_XMAS,
    },
    "Europe/Berlin, every day 08:00–13:00, 14:00–18:00": {
        "timezone": "Europe/Berlin",
        "hours": _days(EVERY_DAY, "08:00-13:00", "14:00-18:00"),
    },
    "Europe/Berlin 24x7": {"timezone": "Europe/Berlin", "hours": "24x7"},
    "America/Sao_Paulo 24x7": {"timezone": "America/Sao_Paulo", "hours": "24x7"},
    "Asia/Tehran 24x7": {"timezone": "Asia/Tehran", "hours": "24x7"},
    "Australia/Sydney 24x7": {"timezone": "Australia/Sydney", "hours": "24x7"},
    "Asia/Tehran, Mon–Fri 08:00–18:00": {
        "timezone": "Asia/Tehran",
        "hours": _days(WEEKDAYS, "08:00-18:00"),
    },
    "Asia/Tehran, every day 00:00–24:00": {
        "timezone": "Asia/Tehran",
        "hours": _days(EVERY_DAY, "00:00-24:00"),
    },
    "Asia/Tehran, Mon–Fri 00:00–24:00": {
        "timezone": "Asia/Tehran",
        "hours": _days(WEEKDAYS, "00:00-24:00"),
    },
    "America/New_York, Mon–Fri 08:00–17:00": {
        "timezone": "America/New_York",
        "hours": _days(WEEKDAYS, "08:00-17:00"),
    },
    "America/New_York, Mon–Fri 09:00–17:00": {
        "timezone": "America/New_York",
        "hours": _days(WEEKDAYS, "09:00-17:00"),
    },
    "UTC, Mon–Fri 09:00–17:00": {"timezone": "UTC", "hours": _days(WEEKDAYS, "09:00-17:00")},
    "UTC, Mon–Fri 09:00–17:00, Sat 00:00–24:00": {
        "timezone": "UTC",
        "hours": {**_days(WEEKDAYS, "09:00-17:00"), "sat": ["00:00-24:00"]},
    },
    "UTC, Mon 09:00–17:00, Tue 09:00–20:00": {
        "timezone": "UTC",
        "hours": {"mon": ["09:00-17:00"], "tue": ["09:00-20:00"]},
    },
    "UTC, Sun 09:00–17:00": {"timezone": "UTC", "hours": {"sun": ["09:00-17:00"]}},
    "UTC, Mon–Fri 10:00–18:00": {"timezone": "UTC", "hours": _days(WEEKDAYS, "10:00-18:00")},
    "UTC, Mon–Fri 10:00–18:00; holidays 2024-01-18, 2024-01-19": {
        "timezone": "UTC",
        "hours": _days(WEEKDAYS, "10:00-18:00"),
        "holidays": ["2024-01-18", "2024-01-19"],
    },
    "UTC, Mon–Fri 08:00–20:00": {"timezone": "UTC", "hours": _days(WEEKDAYS, "08:00-20:00")},
}


def _rows() -> list[tuple[str, str, str, str, str, str]]:
    rows = []
    for line in TABLE.strip().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 6, line
        rows.append((cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]))
    return rows


ROWS = _rows()


def _seconds(text: str) -> int:
    number, unit = text.split()
    assert unit == "s", text
    return int(number)


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None, text
    return moment


def test_the_table_is_complete() -> None:
    ids = [row[0] for row in ROWS]
    assert len(ids) == 78
    assert len(set(ids)) == len(ids)
    assert {row[1] for row in ROWS} == set(CALENDARS)
    assert {row[2] for row in ROWS} == {"add", "elapsed"}


@pytest.mark.parametrize(
    ("calendar", "op", "start", "argument", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_vector(calendar: str, op: str, start: str, argument: str, expected: str) -> None:
    cal = BusinessCalendar.from_spec(CALENDARS[calendar])
    start_at = _instant(start)
    if op == "add":
        due_at = cal.add(start_at, timedelta(seconds=_seconds(argument)))
        assert due_at == _instant(expected)
        assert due_at.utcoffset() == timedelta(0)
        # and back again: the business time from start to the due instant is the duration
        assert cal.elapsed(start_at, due_at) == timedelta(seconds=_seconds(argument))
    else:
        elapsed = cal.elapsed(start_at, _instant(argument))
        assert elapsed.total_seconds() == _seconds(expected)
