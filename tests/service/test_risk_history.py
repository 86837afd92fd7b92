"""Breach prediction's replay of a history: situations hold only what was known at their instant,
the 75% rule warns when the monitoring worker would, and outcomes are read from the whole
history."""

from __future__ import annotations

from typing import Any

import pytest

from slakeeper.domain.config import parse_config
from slakeeper.domain.errors import EventError
from slakeeper.domain.events import parse_instant
from slakeeper.service.risk_history import Sampled, replay_history
from tests.factories import Events, config, policy, us
from tests.histories import example_sla, records, simulated

MINUTE = 60 * 1_000_000


def at_instants(*instants: int) -> Any:
    """A step function that samples exactly the given instants (after the first event)."""
    wanted = sorted(instants)

    def step(t: int) -> int:
        later = [w for w in wanted if w > t]
        return (later[0] - t) if later else 10**15

    return step


def keyed(sampled: Sampled, t: int) -> dict[tuple[str, str, int], Any]:
    out = {}
    for situation, at, index in zip(sampled.situations, sampled.at, sampled.clock, strict=True):
        if at == t:
            c = sampled.clocks[index]
            out[(c.ticket, c.metric, c.cycle)] = situation
    return out


@pytest.mark.parametrize("hour", ["2026-03-03T10:00:00Z", "2026-03-04T16:30:00Z"])
def test_a_situation_knows_nothing_of_later_events(hour: str) -> None:
    events = simulated(3)
    t = parse_instant(hour)
    step = at_instants(t)
    whole = replay_history(example_sla(), records(events), step, end=t + 1)
    known = [e for e in events if parse_instant(e["at"]) <= t]
    cut = replay_history(example_sla(), records(known), step, end=t + 1)
    assert keyed(whole, t) == keyed(cut, t)
    assert len(keyed(whole, t)) > 20, "a busy desk has many running clocks"


def one_ticket(*later: tuple[str, str, dict[str, Any]]) -> list[tuple[int, object]]:
    e = Events()
    e.created("2024-01-15 10:00", priority="high")
    for kind, at, fields in later:
        getattr(e, kind)(at, **fields)
    return records(e.items)


def sla() -> Any:
    return parse_config(config(policy(targets={"first_response": {"high": "1h"}})))


def test_the_75_percent_rule_warns_at_three_quarters_of_the_business_target() -> None:
    sampled = replay_history(
        sla(),
        one_ticket(("reply", "2024-01-15 11:30", {})),
        at_instants(),
        end=us("2024-01-16 00:00"),
    )
    (clock,) = [c for c in sampled.clocks if c.metric == "first_response"]
    assert clock.rule_at == us("2024-01-15 10:45")
    assert clock.breached is True
    assert clock.breach_at == us("2024-01-15 11:00")


def test_a_pause_moves_the_rule_and_the_breach() -> None:
    history = one_ticket(
        ("updated", "2024-01-15 10:30", {"status": "pending"}),
        ("updated", "2024-01-15 11:00", {"status": "open"}),
        ("reply", "2024-01-15 11:20", {}),
    )
    doc = config(policy(targets={"first_response": {"high": "1h"}}, pause_statuses=["pending"]))
    sampled = replay_history(parse_config(doc), history, at_instants(), end=us("2024-01-16 00:00"))
    (clock,) = [c for c in sampled.clocks if c.metric == "first_response"]
    assert clock.rule_at == us("2024-01-15 11:15")
    assert clock.breached is False
    assert clock.settled_at == us("2024-01-15 11:20")


def test_a_clock_met_before_75_percent_is_never_warned() -> None:
    sampled = replay_history(
        sla(),
        one_ticket(("reply", "2024-01-15 10:20", {})),
        at_instants(),
        end=us("2024-01-16 00:00"),
    )
    (clock,) = [c for c in sampled.clocks if c.metric == "first_response"]
    assert clock.rule_at is None
    assert clock.breached is False


def test_a_running_clock_at_the_end_has_no_outcome() -> None:
    sampled = replay_history(sla(), one_ticket(), at_instants(), end=us("2024-01-15 10:30"))
    (clock,) = [c for c in sampled.clocks if c.metric == "first_response"]
    assert clock.breached is None


def test_a_situation_counts_the_desk_at_its_instant() -> None:
    e = Events()
    e.created("2024-01-15 10:00", ticket="A", priority="high", group="g")
    e.created("2024-01-15 10:05", ticket="B", priority="high", group="g")
    e.updated("2024-01-15 10:06", ticket="B", assignee="ana", status="open")
    e.reply("2024-01-15 10:07", ticket="B")
    e.created("2024-01-15 10:08", ticket="C", priority="high", group="h")
    t = us("2024-01-15 10:30")
    sampled = replay_history(sla(), records(e.items), at_instants(t), end=t + 1)
    found = keyed(sampled, t)
    a = found[("A", "first_response", 1)]
    assert (a.queue, a.group_queue, a.agent_load, a.assignee) == (2, 1, 0, None)
    assert a.elapsed == 30 * MINUTE
    assert a.to_due == 30 * MINUTE
    assert (a.active_agents, a.group_active) == (1, 1)
    b_clocks = {k: v for k, v in found.items() if k[0] == "B"}
    assert ("B", "first_response", 1) not in b_clocks  # answered
    c = found[("C", "first_response", 1)]
    assert (c.group_queue, c.group_active) == (1, 0)


def test_bad_events_are_named() -> None:
    e = Events()
    e.reply("2024-01-15 10:00")
    with pytest.raises(EventError, match=r"no ticket\.created"):
        replay_history(sla(), records(e.items), at_instants(), end=us("2024-01-16 00:00"))
