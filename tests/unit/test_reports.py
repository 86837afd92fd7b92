"""Report metrics against a hand-computed history, and their arithmetic as properties.

The history (business calendar "biz": UTC, Monday to Friday 10:00-18:00; policy "Standard":
first response 1h, resolution 4h for high priority), reported on Tuesday 2024-01-16 14:00:

- T-1, created Mon 10:00: replied 10:30 (met: 30 min), solved 12:00 (met: 2h), rated 5.
- T-2, created Mon 17:30: replied Tue 10:45 (30 min + 45 min = 75 min: breached at its due
  instant Tue 10:30), solved Tue 11:00, reopened 12:00, solved 13:00 (resolution 2h30: met),
  rated 2.
- T-3, created Mon 11:00, never answered: first response breached Mon 12:00, resolution Mon
  15:00 (both still running).
- T-4, created Tue 11:30, not answered: first response breached at 12:30; resolution due
  15:30, still running (not judged yet).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings

from slakeeper.domain import reports
from slakeeper.domain.config import parse_config
from slakeeper.service.evaluate import ticket_facts
from tests.factories import Events, config, records, us
from tests.strategies_events import event_files, sla_documents

AT = "2024-01-16T14:00:00Z"


def history() -> Events:
    e = Events()
    e.created("2024-01-15T10:00:00Z", ticket="T-1", priority="high", group="l1", channel="email")
    e.reply("2024-01-15T10:30:00Z", ticket="T-1")
    e.status("2024-01-15T12:00:00Z", "solved", ticket="T-1")
    e.csat("2024-01-15T12:30:00Z", 5, ticket="T-1")
    e.created("2024-01-15T17:30:00Z", ticket="T-2", priority="high", group="l2", channel="chat")
    e.reply("2024-01-16T10:45:00Z", ticket="T-2")
    e.status("2024-01-16T11:00:00Z", "solved", ticket="T-2")
    e.status("2024-01-16T12:00:00Z", "open", ticket="T-2")
    e.status("2024-01-16T13:00:00Z", "solved", ticket="T-2")
    e.csat("2024-01-16T13:30:00Z", 2, ticket="T-2")
    e.created("2024-01-15T11:00:00Z", ticket="T-3", priority="high", group="l1", channel="email")
    e.created("2024-01-16T11:30:00Z", ticket="T-4", priority="high", group="l2", channel="email")
    return e


def facts() -> list[reports.TicketFacts]:
    items = sorted(history(), key=lambda e: e["at"])
    return ticket_facts(parse_config(config()), records(items), us(AT))


def test_compliance_by_metric_and_by_group() -> None:
    judged = reports.judged(facts())
    rows = {r.key: (r.met, r.breached) for r in reports.compliance(judged, ["metric"])}
    assert rows == {("first_response",): (1, 3), ("resolution",): (2, 1)}
    by_group = reports.compliance(judged, ["metric", "group"])
    assert [(r.key, r.met, r.breached) for r in by_group] == [
        (("first_response", "l1"), 1, 1),
        (("first_response", "l2"), 0, 2),
        (("resolution", "l1"), 1, 1),
        (("resolution", "l2"), 1, 0),
    ]
    first = reports.compliance(judged, ["metric"])[0]
    assert first.compliance == Fraction(1, 4)
    assert first.breach_rate == Fraction(3, 4)


def test_a_window_counts_clocks_by_when_they_were_judged() -> None:
    monday = reports.judged(facts(), us("2024-01-15T00:00:00Z"), us("2024-01-16T00:00:00Z"))
    assert sorted((j.ticket.ticket, j.clock.metric, j.outcome) for j in monday) == [
        ("T-1", "first_response", "met"),
        ("T-1", "resolution", "met"),
        ("T-3", "first_response", "breached"),
        ("T-3", "resolution", "breached"),
    ]
    by_day = reports.compliance(reports.judged(facts()), ["period"], "day")
    assert [(r.key, r.met, r.breached) for r in by_day] == [
        (("2024-01-15",), 2, 2),
        (("2024-01-16",), 1, 2),
    ]


def test_periods_follow_the_time_zone() -> None:
    # Monday 2024-01-15 23:30 UTC is Tuesday in Tokyo, and still in week 3 in both
    instant = us("2024-01-15T23:30:00Z")
    tokyo = ZoneInfo("Asia/Tokyo")
    assert reports.period_of(instant, "day", ZoneInfo("UTC")) == "2024-01-15"
    assert reports.period_of(instant, "day", tokyo) == "2024-01-16"
    assert reports.period_of(instant, "week", tokyo) == "2024-W03"
    assert reports.period_of(us("2024-12-31T23:30:00Z"), "quarter", tokyo) == "2025-Q1"
    assert reports.period_of(us("2024-12-31T23:30:00Z"), "month", ZoneInfo("UTC")) == "2024-12"


def test_response_and_resolution_times_in_business_and_calendar_time() -> None:
    (first,) = reports.durations(facts(), "first_response")
    assert first.count == 2
    assert first.business == (3150.0, 3150.0, 4500.0)  # 30 min and 75 min
    assert first.calendar == (31950.0, 31950.0, 62100.0)  # 30 min and 17h15
    (resolved,) = reports.durations(facts(), "resolution")
    assert resolved.count == 2
    assert resolved.business == (8100.0, 8100.0, 9000.0)  # 2h and 2h30 (the reopen excluded)
    assert resolved.calendar[2] == 70200.0  # Mon 17:30 to Tue 13:00


def test_first_contact_resolution_and_reopens() -> None:
    (row,) = reports.first_contact(facts())
    assert (row.solved, row.one_touch, row.reopened) == (2, 1, 1)
    assert row.fcr == Fraction(1, 2)
    assert row.reopen_rate == Fraction(1, 2)
    by_channel = {r.key: r.one_touch for r in reports.first_contact(facts(), ["channel"])}
    assert by_channel == {("chat",): 0, ("email",): 1}


def test_satisfaction_of_met_against_breached() -> None:
    found = {s.group: s for s in reports.satisfaction(facts())}
    assert found["met"].ratings == 1
    assert found["met"].average == 5
    assert found["breached"].average == 2
    assert found["breached"].distribution == {2: 1}


def test_breaches_by_hour_of_week() -> None:
    grid = reports.breaches_by_hour(reports.judged(facts()))
    found = {(d, h): n for d, row in enumerate(grid) for h, n in enumerate(row) if n}
    assert found == {(0, 12): 1, (0, 15): 1, (1, 10): 1, (1, 12): 1}
    berlin = reports.breaches_by_hour(reports.judged(facts()), ZoneInfo("Europe/Berlin"))
    assert berlin[0][13] == 1  # 12:00 UTC is 13:00 in Berlin in January


def test_median_and_nearest_rank_p90() -> None:
    assert all(math.isnan(v) for v in reports.summarise([]))  # nothing to summarise: NaN
    assert reports.summarise([1_000_000, 2_000_000, 3_000_000, 4_000_000]) == (2.5, 2.5, 4.0)
    assert reports.summarise([s * 1_000_000 for s in range(1, 11)])[2] == 9.0


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(events=event_files(max_tickets=4, max_events=14), doc=sla_documents())
def test_every_grouping_partitions_the_judged_clocks(
    events: list[dict[str, Any]], doc: dict[str, Any]
) -> None:
    at = max(us(e["at"]) if isinstance(e["at"], str) else 0 for e in events) + 3_600_000_000
    items = ticket_facts(parse_config(doc), records(events), at)
    judged = reports.judged(items)
    total = len(judged)
    assert total == sum(1 for t in items for c in t.clocks if reports.judge(c) is not None)
    for by in (["metric"], ["priority", "group"], ["policy", "period"], ["channel"]):
        rows = reports.compliance(judged, by, "week")
        assert sum(r.judged for r in rows) == total
        assert all(0 <= r.compliance <= 1 and r.compliance + r.breach_rate == 1 for r in rows)
    for j in judged:  # a breach is judged at the due instant, a met clock when it stopped
        assert (j.outcome == "breached") == j.clock.breached
        assert j.at == (j.clock.due_at if j.clock.breached else j.clock.stopped_at)
    solved = reports.first_contact(items)
    assert sum(r.solved for r in solved) == sum(1 for t in items if t.solved_at is not None)
    assert sum(sum(row) for row in reports.breaches_by_hour(judged)) == sum(
        1 for j in judged if j.outcome == "breached"
    )
