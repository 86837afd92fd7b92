"""Routing advice (domain/routing.py, docs/routing.md): the ranking's reasons, its ordering rules
as properties, when it advises holding a ticket, and that it is deterministic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slakeeper.domain.calendar import to_us
from slakeeper.domain.clocks import clocks
from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.events import parse_event
from slakeeper.domain.roster import RosterAgent
from slakeeper.domain.routing import (
    AWAY,
    FREE,
    FULL,
    UNSKILLED,
    WEIGHTS,
    Advice,
    Weights,
    advise,
    deadline,
)
from slakeeper.domain.ticket import Rules, TicketState

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
H = 3600 * 1_000_000
BERLIN = ZoneInfo("Europe/Berlin")

CONFIG: dict[str, Any] = {
    "calendars": [
        {"name": "office", "timezone": "Europe/Berlin", "hours": {d: ["09:00-17:00"] for d in WEEKDAYS}},
        {"name": "late", "timezone": "Europe/Berlin", "hours": {d: ["13:00-21:00"] for d in WEEKDAYS}},
        {"name": "weekend", "timezone": "Europe/Berlin", "hours": {"sat": ["09:00-17:00"], "sun": ["09:00-17:00"]}},
        {"name": "us", "timezone": "America/New_York", "hours": {d: ["09:00-17:00"] for d in WEEKDAYS}},
    ],
    "policies": [
        {
            "name": "Urgent",
            "when": {"priority": ["urgent"]},
            "calendar": "24x7",
            "targets": {"first_response": {"default": "1h"}, "next_response": {"default": "1h"},
                        "resolution": {"default": "8h"}},
        },
        {
            "name": "Office",
            "calendar": "office",
            "targets": {"first_response": {"default": "4h"}, "next_response": {"default": "4h"},
                        "resolution": {"default": "16h"}},
        },
    ],
    "agents": [
        {"name": "anna", "calendar": "office", "skills": ["storage"], "capacity": 4},
        {"name": "ben", "calendar": "office", "skills": ["storage", "billing"], "capacity": 4},
        {"name": "tom", "calendar": "late", "skills": ["*"], "capacity": 2},
        {"name": "wendy", "calendar": "weekend", "skills": ["*"], "capacity": 2},
        {"name": "bill", "calendar": "office", "skills": ["billing"], "capacity": 2},
    ],
}  # fmt: skip
SLA: SlaConfig = parse_config(CONFIG)
ROSTER = {a.name: a for a in SLA.agents}


def at(text: str) -> int:
    """A Berlin wall time in the week of Monday 2026-03-02 (UTC+1): ``"Tue 10:00"``; ``"Mon+"``
    is the Monday after."""
    day, hm = text.split()
    date = {"Mon": 2, "Tue": 3, "Wed": 4, "Thu": 5, "Fri": 6, "Sat": 7, "Sun": 8, "Mon+": 9}[day]
    hour, minute = map(int, hm.split(":"))
    return to_us(datetime(2026, 3, date, hour, minute, tzinfo=BERLIN))


def ticket(priority: str = "normal", created: str = "Tue 10:00", **fields: Any) -> TicketState:
    event = {
        "id": "e1",
        "ticket": "T-1",
        "type": "ticket.created",
        "at": datetime.fromtimestamp(at(created) / 1e6, UTC).isoformat(),
        "priority": priority,
        "tags": ["category:storage"],
        **fields,
    }
    state = TicketState("T-1", Rules())
    state.apply(parse_event(event))
    return state


def advice(
    state: TicketState,
    now: str | int,
    loads: dict[str, int] | None = None,
    roster: list[RosterAgent] | None = None,
    weights: Weights = WEIGHTS,
) -> Advice:
    instant = at(now) if isinstance(now, str) else now
    agents = list(SLA.agents) if roster is None else roster
    return advise(
        SLA, agents, loads or {}, state.attrs, clocks(state, SLA, instant), instant, weights
    )


def named(result: Advice) -> dict[str, Any]:
    return {r.agent: r for r in result.agents}


# -- reasons ------------------------------------------------------------------------------------


def test_the_reasons_say_skill_shift_load_and_deadline() -> None:
    result = advice(ticket(), "Tue 10:00", {"anna": 2, "ben": 4})
    by = named(result)
    assert by["anna"].reasons[:3] == (
        "skill storage",
        "on shift until 17:00 Europe/Berlin",
        "2 of 4 tickets in work",
    )
    assert by["anna"].tier == FREE
    assert by["anna"].starts_at == at("Tue 10:00")
    assert by["ben"].tier == FULL
    assert "no free place: 4 of 4 tickets in work" in by["ben"].reasons
    assert by["ben"].starts_at is None
    assert by["tom"].reasons[:2] == (
        "skills '*' (every ticket)",
        "off shift: next shift 13:00 Europe/Berlin",
    )
    assert by["wendy"].reasons[1] == "off shift: next shift Sat 09:00 Europe/Berlin"
    assert by["wendy"].tier == AWAY
    assert by["wendy"].starts_at == at("Sat 09:00")
    assert by["bill"].tier == UNSKILLED
    assert by["bill"].cost is None
    assert by["bill"].reasons == ("no skill for this ticket (has billing)",)
    assert result.reasons == (
        "first response (Office) due 14:00 Europe/Berlin (in 4h; 4h of business time left)",
        "resolution (Office) due Thu 10:00 Europe/Berlin (in 2d; 16h of business time left)",
    )
    assert [r.agent for r in result.agents] == ["anna", "ben", "tom", "wendy", "bill"]
    assert result.best is not None
    assert result.best.agent == "anna"
    assert result.wait_for is None


def test_a_deadline_close_by_needs_someone_now() -> None:
    result = advice(ticket("urgent", "Tue 10:00"), "Tue 10:48")
    assert result.reasons[0] == "first response (Urgent) due in 12m: needs someone now"
    overdue = advice(ticket("urgent", "Tue 10:00"), "Tue 11:30")
    assert overdue.reasons[0] == "first response (Urgent) is overdue by 30m"


def test_a_shift_that_ends_first_pushes_the_reply_to_the_next_one() -> None:
    """An urgent ticket on a 24x7 policy at 16:55: anna leaves at 17:00, tom stays until 21:00."""
    result = advice(ticket("urgent", "Tue 16:50"), "Tue 16:55")
    by = named(result)
    assert [r.agent for r in result.agents][:2] == ["tom", "anna"]
    assert "shift ends in 5m: the reply waits until Wed 09:00 (first response loses 16h)" in (
        by["anna"].reasons
    )
    late = [r for r in by["anna"].reasons if r.startswith("first response would be late")]
    assert late == [
        "first response would be late: reply expected Wed 09:10, due 17:50 Europe/Berlin"
    ]
    assert by["tom"].cost < by["anna"].cost


def test_absences_count_the_business_time_of_replies_still_to_come() -> None:
    """An urgent ticket (next responses around the clock): the agent who is back soonest wins."""
    by = named(advice(ticket("urgent", "Tue 10:00"), "Tue 10:00"))
    away = [r for r in by["anna"].reasons if r.startswith("away during")]
    assert away == ["away during 2d of next response (Urgent) business time in the next 3d"]


def test_specialists_before_generalists_and_lower_load_first() -> None:
    state = ticket(created="Tue 14:00")
    by = named(advice(state, "Tue 14:00"))
    assert by["anna"].cost < by["ben"].cost < by["tom"].cost  # 1 skill, 2 skills, '*'
    assert "generalist: kept for tickets only they can take" in by["tom"].reasons
    assert "specialist (storage)" in by["anna"].reasons
    loaded = named(advice(state, "Tue 14:00", {"anna": 3}))
    assert loaded["ben"].rank < loaded["anna"].rank


# -- holding a ticket ---------------------------------------------------------------------------


def test_an_office_hours_ticket_on_a_saturday_waits_for_monday() -> None:
    """Its clocks stand still until Monday; the weekend agent would not see the customer's answer
    until the next Saturday."""
    result = advice(ticket(created="Sat 11:00"), "Sat 11:00")
    assert result.best is not None
    assert result.best.agent == "wendy"
    assert result.wait_for is not None
    assert result.wait_for.agent == "anna"
    assert result.wait_for.starts_at == at("Mon+ 09:00")
    assert result.reasons[0].startswith("first response (Office) due Mon 13:00 Europe/Berlin")


def test_an_urgent_ticket_on_a_saturday_is_taken_now() -> None:
    result = advice(ticket("urgent", "Sat 11:00"), "Sat 11:00")
    assert result.best is not None
    assert result.best.agent == "wendy"
    assert result.wait_for is None


def test_nobody_free_means_waiting_for_the_best_later_agent() -> None:
    result = advice(ticket(created="Tue 22:00"), "Tue 22:00")
    assert result.best is None
    assert result.wait_for is not None
    assert result.wait_for.agent == "anna"


def test_the_margin_decides_how_much_better_a_later_agent_must_be() -> None:
    state = ticket(created="Sat 11:00")
    assert advice(state, "Sat 11:00", weights=Weights(wait_margin=100.0)).wait_for is None


# -- the deadline of a queue ---------------------------------------------------------------------


def test_the_deadline_is_the_earliest_running_reply_clock() -> None:
    state = ticket(created="Tue 10:00")
    assert deadline(clocks(state, SLA, at("Tue 10:00"))) == at("Tue 14:00")
    urgent = ticket("urgent", "Tue 10:00")
    assert deadline(clocks(urgent, SLA, at("Tue 10:00"))) == at("Tue 11:00")
    assert deadline([]) is None


def test_weights_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        Weights(first_reply=0)
    with pytest.raises(ValueError, match="negative"):
        Weights(load=-1.0)


# -- properties ------------------------------------------------------------------------------------

CALENDARS = ("office", "late", "weekend", "us", "24x7")
SKILLS = st.sampled_from([["storage"], ["billing"], ["storage", "billing"], ["*"], ["tier2"]])
AGENTS = st.lists(
    st.tuples(st.sampled_from(CALENDARS), SKILLS, st.integers(1, 4), st.integers(0, 5), st.sampled_from([0.5, 1.0, 2.0])),
    min_size=1,
    max_size=8,
)  # fmt: skip
NOW = st.integers(at("Mon 00:00"), at("Sun 23:59") + 7 * 24 * H)


def roster_of(
    drawn: list[tuple[str, list[str], int, int, float]],
) -> tuple[list[RosterAgent], dict[str, int]]:
    agents, loads = [], {}
    for n, (cal, skills, capacity, load, speed) in enumerate(drawn):
        name = f"agent-{n}"
        agents.append(RosterAgent(name, SLA.calendars[cal], frozenset(skills), capacity, speed))
        loads[name] = load
    return agents, loads


@settings(max_examples=150, deadline=None)
@given(AGENTS, NOW, st.sampled_from(["urgent", "normal"]), st.integers(0, 6 * H))
def test_free_skilled_agents_rank_first_and_unskilled_last(
    drawn: list[tuple[str, list[str], int, int, float]], now: int, priority: str, age: int
) -> None:
    agents, loads = roster_of(drawn)
    state = ticket(priority, created="Mon 00:00")
    instant = max(now - age, at("Mon 00:00"))
    result = advise(SLA, agents, loads, state.attrs, clocks(state, SLA, instant), instant)
    by = {a.name: a for a in agents}
    assert [r.rank for r in result.agents] == list(range(1, len(agents) + 1))
    assert sorted(r.agent for r in result.agents) == sorted(by)
    tiers = [r.tier for r in result.agents]
    assert tiers == sorted(tiers)
    for r in result.agents:
        agent = by[r.agent]
        skilled = "*" in agent.skills or "storage" in agent.skills
        on_shift = agent.calendar.is_open_us(instant)
        free = skilled and on_shift and loads[r.agent] < agent.capacity
        assert (r.tier == FREE) == free
        assert (r.tier == UNSKILLED) == (not skilled)
        assert (r.tier == AWAY) == (skilled and not on_shift)
    if result.wait_for is not None:
        assert result.wait_for.tier == AWAY
        assert result.wait_for.starts_at is not None
        assert result.wait_for.starts_at > instant


@settings(max_examples=60, deadline=None)
@given(AGENTS, NOW, st.randoms(use_true_random=False))
def test_the_ranking_does_not_depend_on_the_roster_order(
    drawn: list[tuple[str, list[str], int, int, float]], now: int, rng: Any
) -> None:
    agents, loads = roster_of(drawn)
    state = ticket(created="Mon 00:00")
    instant = max(now, at("Mon 00:00"))
    first = advise(SLA, agents, loads, state.attrs, clocks(state, SLA, instant), instant)
    shuffled = list(agents)
    rng.shuffle(shuffled)
    again = advise(SLA, shuffled, loads, state.attrs, clocks(state, SLA, instant), instant)
    assert first == again


def test_equal_agents_are_ranked_by_name() -> None:
    office = SLA.calendars["office"]
    twins = [RosterAgent(n, office, frozenset({"storage"}), 2) for n in ("zoe", "adam", "mia")]
    result = advice(ticket(), "Tue 10:00", roster=twins)
    assert [r.agent for r in result.agents] == ["adam", "mia", "zoe"]
    assert len({r.cost for r in result.agents}) == 1
