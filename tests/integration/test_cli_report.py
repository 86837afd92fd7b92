"""`slakeeper report` end to end: the hand-computed history of tests/unit/test_reports.py as
JSON, CSV and a table, and bad options named with exit status 2."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.integration.test_cli_evaluate import cli
from tests.unit.test_reports import AT


def report(files: tuple[str, str], *args: str) -> str:
    done = cli("report", *args, "-c", files[0], "-e", files[1], "--at", AT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_compliance_as_json(files: tuple[str, str]) -> None:
    rows = json.loads(report(files, "compliance", "--by", "metric,group", "-f", "json"))
    assert rows[0] == {
        "metric": "first_response",
        "group": "l1",
        "met": 1,
        "breached": 1,
        "judged": 2,
        "compliance_pct": 50.0,
        "breach_rate_pct": 50.0,
    }
    assert len(rows) == 4


def test_times_fcr_csat_and_hours(files: tuple[str, str]) -> None:
    (times,) = json.loads(report(files, "times", "--by", "", "-f", "json"))
    assert times["business_median_s"] == 3150.0
    assert times["calendar_p90_s"] == 62100.0
    (fcr,) = json.loads(report(files, "fcr", "-f", "json"))
    assert (fcr["fcr_pct"], fcr["reopen_rate_pct"]) == (50.0, 50.0)
    rows = list(csv.DictReader(io.StringIO(report(files, "csat", "-f", "csv"))))
    assert [(r["sla"], r["average"]) for r in rows] == [("met", "5.0"), ("breached", "2.0")]
    hours = json.loads(report(files, "hours", "--tz", "Europe/Berlin", "-f", "json"))
    assert hours[0]["weekday"] == "mon"
    assert hours[0]["13"] == 1
    assert "compliance" in report(files, "compliance")  # the table's title


def test_a_window_and_a_period(files: tuple[str, str]) -> None:
    rows = json.loads(
        report(
            files,
            "compliance",
            "--by",
            "period",
            "--period",
            "day",
            "--from",
            "2024-01-16T00:00:00Z",
            "-f",
            "json",
        )
    )
    assert [(r["period"], r["met"], r["breached"]) for r in rows] == [("2024-01-16", 1, 2)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("compliance", "--by", "colour"), "--by: 'colour' is not one of"),
        (("compliance", "--period", "fortnight"), "--period: 'fortnight'"),
        (("compliance", "--tz", "Mars/Olympus"), "--tz: unknown time zone 'Mars/Olympus'"),
        (("compliance", "--from", "yesterday"), "--from"),
        (("fcr", "--by", "metric"), "fcr groups tickets"),
        (("times", "--metric", "next_response"), "--metric: 'next_response'"),
    ],
)
def test_bad_options_are_named(files: tuple[str, str], args: tuple[str, ...], message: str) -> None:
    done = cli("report", *args, "-c", files[0], "-e", files[1], "--at", AT)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""
