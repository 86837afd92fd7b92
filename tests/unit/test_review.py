"""The periodic review: its windows in a time zone, and its figures on the hand-computed history
of tests/unit/test_reports.py (all of it in January 2024)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from slakeeper.domain.config import parse_config
from slakeeper.domain.periods import earlier, window
from slakeeper.domain.review import review, with_timelines
from slakeeper.service.evaluate import ticket_facts
from tests.factories import config, records, us
from tests.unit.test_reports import AT, facts, history

BERLIN = ZoneInfo("Europe/Berlin")
H = 3600 * 1_000_000


def test_a_month_and_a_quarter_in_a_zone_with_daylight_saving() -> None:
    october = window("2026-10", BERLIN)
    assert october.start == us("2026-09-30T22:00:00Z")  # CEST
    assert october.end == us("2026-10-31T23:00:00Z")  # CET after the change
    assert october.end - october.start == (31 * 24 + 1) * H
    q1 = window("2026-Q1", ZoneInfo("UTC"))
    assert (q1.start, q1.end) == (us("2026-01-01T00:00:00Z"), us("2026-04-01T00:00:00Z"))
    assert [w.label for w in earlier(window("2026-02", BERLIN), BERLIN, 3)] == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]
    assert [w.label for w in earlier(q1, BERLIN, 2)] == ["2025-Q3", "2025-Q4"]
    for bad in ("2026-13", "2026-Q5", "October", "2026-10-01"):
        with pytest.raises(ValueError, match="write a month"):
            window(bad, BERLIN)


def test_the_review_of_january_overall() -> None:
    (overall,) = review(facts(), "2024-01", ZoneInfo("UTC"), Fraction(95, 100), us(AT))
    assert (overall.total.met, overall.total.breached) == (3, 4)
    assert not overall.meets_objective
    assert [(r.key[0], r.met, r.breached) for r in overall.by_metric] == [
        ("first_response", 1, 3),
        ("resolution", 2, 1),
    ]
    assert [label for label, _ in overall.trend] == ["2023-10", "2023-11", "2023-12", "2024-01"]
    assert [r.judged for _, r in overall.trend] == [0, 0, 0, 7]
    assert [r.key[0] for r in overall.worst_groups] == ["l2", "l1"]
    # T-3's first response has been overdue longest: since Mon 12:00, still unanswered
    first = overall.examples[0]
    assert (first.ticket, first.metric, first.late_by) == ("T-3", "first_response", 26 * H)
    assert sum(n for _, _, n in overall.hours) == 4


def test_example_breaches_carry_their_tickets_timeline() -> None:
    histories: dict[str, list[Any]] = {}
    items = sorted(history(), key=lambda e: e["at"])
    found = ticket_facts(parse_config(config()), records(items), us(AT), histories)
    scopes = with_timelines(
        review(found, "2024-01", ZoneInfo("UTC"), Fraction(95, 100), us(AT)), histories
    )
    by_ticket = {e.ticket: e for e in scopes[0].examples}
    assert [what for _, what in by_ticket["T-2"].timeline] == [
        "created: channel chat, group l2, priority high",
        "public comment by agent",
        "updated: status solved",
        "updated: status open",
        "updated: status solved",
        "rated 2",
    ]
    assert by_ticket["T-3"].timeline[0][0] == us("2024-01-15T11:00:00Z")
