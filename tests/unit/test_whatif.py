"""What-if and target advice at the service level (service/whatif.py): the numbers of the reports
on the same history, a baseline beside them, windows, bad input reported as ``evaluate`` reports
it, and the same answers whether the history is read in one part or several."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from slakeeper.adapters.fork_runner import fork_runner
from slakeeper.adapters.jsonl import history_source
from slakeeper.domain import reports
from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.errors import EventError
from slakeeper.domain.events import BadEvent
from slakeeper.service.evaluate import evaluate, ticket_facts
from slakeeper.service.whatif import WhatIf, targets, whatif
from tests.factories import Events, config, policy, records, us
from tests.strategies_events import event_files, sla_documents

AT = "2024-01-16T14:00:00Z"
STANDARD = {"first_response": {"high": "1h", "default": "4h"}, "resolution": {"default": "8h"}}
TIGHT = {"first_response": {"high": "30m", "default": "2h"}, "resolution": {"default": "4h"}}


def history() -> Events:
    """Monday 2024-01-15 and Tuesday on the business calendar (UTC, 10:00-18:00)."""
    e = Events()
    e.created("2024-01-15 10:00", ticket="T-1", priority="high", customer="acme")
    e.reply("2024-01-15 10:40", ticket="T-1")  # 40 min: met under 1h, late under 30m
    e.status("2024-01-15 12:00", "solved", ticket="T-1")  # 2h
    e.created("2024-01-15 11:00", ticket="T-2", priority="normal")
    e.reply("2024-01-15 14:30", ticket="T-2")  # 3h30: met under 4h, late under 2h
    e.status("2024-01-15 17:30", "solved", ticket="T-2")  # 6h30: late under 4h
    e.created("2024-01-16 10:00", ticket="T-3", priority="high")  # never answered
    e.created("2024-01-16 13:30", ticket="T-4", priority="low")
    e.reply("2024-01-16 13:35", ticket="T-4")
    return e


def source(events: Sequence[Mapping[str, Any]]) -> Any:
    items = records(sorted(events, key=lambda e: us(e["at"])))
    return lambda *_: items


def reported(
    sla: SlaConfig, events: Sequence[Mapping[str, Any]], at: int, by: Sequence[str]
) -> dict[tuple[str | None, ...], tuple[int, int]]:
    """What `slakeeper report compliance --by ...` counts on the same history."""
    facts = ticket_facts(sla, records(events), at)
    return {r.key: (r.met, r.breached) for r in reports.compliance(reports.judged(facts), by)}


def counted(result: WhatIf, level: str = "metric") -> dict[tuple[str, str], tuple[int, int]]:
    rows = result.by_metric_priority if level == "metric" else result.by_policy
    return {c.key: (c.proposed.met, c.proposed.breached) for c in rows if c.proposed.judged}


def test_the_current_configuration_gives_the_reports_numbers() -> None:
    sla = parse_config(config(policy("Standard", STANDARD)))
    result = whatif(sla, source(history()), us(AT))
    assert counted(result) == reported(sla, list(history()), us(AT), ["metric", "priority"])
    assert counted(result) == {
        ("first_response", "high"): (1, 1),
        ("first_response", "normal"): (1, 0),
        ("first_response", "low"): (1, 0),
        ("resolution", "high"): (1, 0),
        ("resolution", "normal"): (1, 0),
    }
    assert counted(result, "policy") == reported(sla, list(history()), us(AT), ["policy", "metric"])
    assert (result.events, result.tickets, result.now) == (9, 4, us(AT))
    assert not result.baseline
    assert all(c.baseline is None and c.change is None for c in result.by_metric_priority)


def test_a_proposal_beside_the_baseline() -> None:
    current = parse_config(config(policy("Standard", STANDARD)))
    proposed = parse_config(config(policy("Standard", TIGHT)))
    result = whatif(proposed, source(history()), us(AT), baseline=current)
    rows = {c.key: c for c in result.by_metric_priority}
    high = rows[("first_response", "high")]
    assert (high.proposed.met, high.proposed.breached) == (0, 2)
    assert high.baseline is not None
    assert (high.baseline.met, high.baseline.breached) == (1, 1)
    assert high.change == Fraction(-1, 2)
    normal = rows[("resolution", "normal")]
    assert (normal.proposed.met, normal.proposed.breached) == (0, 1)
    assert normal.change == -1
    assert result.baseline
    # the baseline's numbers are its own report's
    assert {
        c.key: (c.baseline.met, c.baseline.breached)
        for c in result.by_metric_priority
        if c.baseline
    } == reported(current, list(history()), us(AT), ["metric", "priority"])


def test_a_window_counts_clocks_by_when_they_were_judged() -> None:
    sla = parse_config(config(policy("Standard", STANDARD)))
    tuesday = whatif(
        sla, source(history()), us(AT), start=us("2024-01-16 00:00"), end=us("2024-01-17 00:00")
    )
    assert counted(tuesday) == {
        ("first_response", "high"): (0, 1),
        ("first_response", "low"): (1, 0),
    }


def test_the_evaluation_instant_defaults_to_the_last_event() -> None:
    sla = parse_config(config(policy("Standard", STANDARD)))
    result = whatif(sla, source(history()))
    assert result.now == us("2024-01-16 13:35")
    assert counted(result) == reported(sla, list(history()), result.now, ["metric", "priority"])
    empty = whatif(sla, lambda *_: [])
    assert (empty.now, empty.events, empty.by_metric_priority) == (None, 0, [])


def test_a_customer_sees_its_own_tickets() -> None:
    sla = parse_config(config(policy("Standard", STANDARD)))
    result = whatif(sla, source(history()), us(AT), customer="acme")
    assert counted(result) == {("first_response", "high"): (1, 0), ("resolution", "high"): (1, 0)}


def test_configurations_replaying_differently_are_each_their_own_report() -> None:
    e = Events()
    e.created("2024-01-15 10:00", priority="high")
    e.comment("2024-01-15 10:05", "system")  # counts as a reply only with system_replies_count
    e.reply("2024-01-15 12:00")
    counting = parse_config(config(policy("Standard", STANDARD), system_replies_count=True))
    plain = parse_config(config(policy("Standard", STANDARD)))
    result = whatif(counting, source(e), us(AT), baseline=plain)
    (row,) = [c for c in result.by_metric_priority if c.key == ("first_response", "high")]
    assert (row.proposed.met, row.proposed.breached) == (1, 0)
    assert row.baseline is not None
    assert (row.baseline.met, row.baseline.breached) == (0, 1)


def evaluate_error(events: Sequence[Any], sla: SlaConfig) -> list[str]:
    with pytest.raises(EventError) as caught:
        evaluate(sla, [(i, e) for i, e in enumerate(events, 1)], us(AT))
    return caught.value.lines()


def bad_history() -> list[Any]:
    e = history()
    items: list[Any] = list(e)
    items.insert(
        2,
        {
            "id": "x1",
            "ticket": "T-9",
            "type": "comment.added",
            "at": "2024-01-15T10:00:00Z",
            "author": "agent",
        },
    )
    items.insert(
        0, {"id": "x2", "ticket": "T-1", "type": "ticket.exploded", "at": "2024-01-15T09:00:00Z"}
    )
    items.append(
        {"id": "e1", "ticket": "T-8", "type": "ticket.created", "at": "2024-01-15T09:00:00Z"}
    )
    items.append(["not", "an", "object"])
    return items


def test_bad_input_is_reported_as_evaluate_reports_it() -> None:
    sla = parse_config(config(policy("Standard", STANDARD)))
    items = bad_history()
    expected = evaluate_error(items, sla)
    with pytest.raises(EventError) as caught:
        whatif(sla, lambda *_: [(i, e) for i, e in enumerate(items, 1)], us(AT))
    assert caught.value.lines() == expected
    assert len(expected) == 4  # the unknown type, the id reused, the list, the orphan comment


def test_parts_read_in_forked_processes_give_the_same_answer() -> None:
    current = parse_config(config(policy("Standard", STANDARD)))
    proposed = parse_config(config(policy("Standard", TIGHT)))
    e = Events()
    for n in range(40):
        ticket = f"T-{n:03d}"
        e.created(
            f"2024-01-15 1{n % 8}:{n % 60:02d}", ticket=ticket, priority=("high", "low")[n % 2]
        )
        if n % 3:
            e.reply(f"2024-01-16 1{n % 7}:00", ticket=ticket)
    one = whatif(proposed, source(e), baseline=current)
    two = whatif(proposed, source(e), baseline=current, shards=2, runner=fork_runner)
    assert two == one
    advice = targets(current, source(e), Fraction(9, 10), Fraction(9, 10))
    assert (
        targets(current, source(e), Fraction(9, 10), Fraction(9, 10), shards=3, runner=fork_runner)
        == advice
    )


def test_bad_input_in_parts_is_reported_as_in_one() -> None:
    sla = parse_config(config(policy("Standard", STANDARD)))
    items = bad_history()
    expected = evaluate_error(items, sla)
    with pytest.raises(EventError) as caught:
        whatif(
            sla,
            lambda *_: [(i, e) for i, e in enumerate(items, 1)],
            us(AT),
            shards=2,
            runner=fork_runner,
        )
    assert caught.value.lines() == expected


def test_one_id_on_two_tickets_is_found_across_parts() -> None:
    sla = parse_config(config(policy("Standard", STANDARD)))
    e = Events()
    for n in range(12):
        e.created("2024-01-15 10:00", ticket=f"T-{n}")
    items: list[Any] = list(e)
    items.append({**items[0], "ticket": "T-11"})  # e1 again, on another ticket
    expected = evaluate_error(items, sla)
    with pytest.raises(EventError) as caught:
        whatif(
            sla,
            lambda *_: [(i, x) for i, x in enumerate(items, 1)],
            us(AT),
            shards=2,
            runner=fork_runner,
        )
    assert caught.value.lines() == expected


def test_targets_group_by_the_priority_that_chose_the_target() -> None:
    sla = parse_config(config(policy("Standard", STANDARD)))
    e = Events()
    e.created("2024-01-15 10:00", ticket="T-1", priority="normal")
    e.reply("2024-01-15 11:00", ticket="T-1")  # first response under "normal" (4h)
    e.updated("2024-01-15 11:30", ticket="T-1", priority="high")  # escalated afterwards
    e.status("2024-01-15 12:00", "solved", ticket="T-1")
    e.created("2024-01-15 10:00", ticket="T-2", priority="high")  # still waiting at AT
    result = targets(sla, source(e), Fraction(9, 10), Fraction(95, 100), us(AT))
    keys = {a.key: a for a in result.advice}
    normal = keys[("first_response", "normal", "Standard")]
    assert (normal.achieved, normal.censored, normal.targets) == (1, 0, (4 * 3600 * 10**6,))
    assert normal.quantile.estimate == 3600 * 10**6
    high = keys[("first_response", "high", None)]
    assert (high.achieved, high.censored, high.met, high.breached) == (0, 1, 0, 1)
    assert ("resolution", "high", "Standard") in keys  # the resolution clock ended under high
    assert (result.events, result.tickets) == (5, 2)
    later = targets(
        sla, source(e), Fraction(9, 10), Fraction(95, 100), us(AT), start=us("2024-01-15 10:00:01")
    )
    assert later.advice == []  # a window selects clocks by when they started


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(events=event_files(max_tickets=4, max_events=14), doc=sla_documents(), other=sla_documents())
def test_whatif_is_the_report_for_any_history(
    events: list[dict[str, Any]], doc: dict[str, Any], other: dict[str, Any]
) -> None:
    proposed, baseline = parse_config(doc), parse_config(other)
    at = max(us(e["at"]) for e in events) + 3_600_000_000
    result = whatif(proposed, lambda *_: records(events), at, baseline=baseline)
    assert counted(result) == reported(proposed, events, at, ["metric", "priority"])
    assert counted(result, "policy") == reported(proposed, events, at, ["policy", "metric"])
    assert {
        c.key: (c.baseline.met, c.baseline.breached)
        for c in result.by_metric_priority
        if c.baseline is not None and c.baseline.judged
    } == reported(baseline, events, at, ["metric", "priority"])


def test_the_part_reader_decodes_each_line_in_its_part(tmp_path: Path) -> None:
    sla = parse_config(config(policy("Standard", STANDARD)))
    lines = [
        '{"id": "a1", "ticket": "T-1", "type": "ticket.created", "at": "2024-01-15T10:00:00Z"}',
        '{"id": "a2", "ticket": "T\\u002d1", "type": "comment.added", "at": "2024-01-15T10:20:00Z",'
        ' "author": "agent"}',  # T-1 written with an escape: read by every part, kept by one
        '{"id":"b1","ticket":"T-4","type":"ticket.created","at":"2024-01-15T11:00:00Z"}',
        "",
        '{"id": "b2", "ticket" : "T-4", "type": "comment.added", "at": "2024-01-15T13:00:00Z",'
        ' "author": "agent"}',
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    read, size, name = history_source(str(path))
    assert (size, name) == (path.stat().st_size, str(path))
    parts = [[line for line, _ in read(k, 2)] for k in range(2)]
    assert parts == [[2, 3, 5], [1, 2]]  # T-4 falls in part 0, T-1 in part 1
    one = whatif(sla, read, us(AT))
    assert whatif(sla, read, us(AT), shards=2, runner=fork_runner) == one
    assert counted(one) == {("first_response", "normal"): (2, 0), ("resolution", "normal"): (0, 2)}
    # a repeated key read one way raw and another decoded: the history is read again in one part
    path.write_text(
        "\n".join([*lines, '{"id": "c1", "ticket": "T-1", "ticket": "T-5", "type":'
        ' "ticket.created", "at": "2024-01-15T12:00:00Z"}']) + "\n"
    )  # fmt: skip
    assert [line for line, x in read(1, 2) if isinstance(x, BadEvent)] == [6]
    one = whatif(sla, read, us(AT))
    assert whatif(sla, read, us(AT), shards=2, runner=fork_runner) == one
    assert one.tickets == 3
