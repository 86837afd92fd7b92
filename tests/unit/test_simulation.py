"""The workload simulator (slakeeper.simulation, docs/simulation.md): reproducible, valid SPEC §4
histories; the team's rules (skills, shifts, capacity) as properties; the arrival profile and the
ratings checked statistically with fixed seeds and generous bounds; the model's validation."""

from __future__ import annotations

import copy
import math
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slakeeper.adapters.config_file import load_config
from slakeeper.calendar import BusinessCalendar
from slakeeper.domain.errors import ConfigError
from slakeeper.domain.events import parse_event, parse_instant
from slakeeper.domain.stretches import next_opening, stretch_end
from slakeeper.service.evaluate import evaluate
from slakeeper.simulation import (
    LeastLoaded,
    Needs,
    RoundRobin,
    SimConfig,
    draw_tickets,
    make_router,
    parse_simulation,
    simulate,
)
from slakeeper.simulation.arrivals import WeeklyProfile
from slakeeper.simulation.quantities import HOUR, SECOND, Delay

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "simulation.yaml"
SLA = ROOT / "examples" / "sla.yaml"
Event = dict[str, Any]


def example(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
    document.update(changes)
    return document


def run(
    config: SimConfig,
    router: str = "round_robin",
    trace: list[tuple[str, int, str, str]] | None = None,
) -> list[Event]:
    sim = simulate(config, make_router(router), None if trace is None else _recorder(trace))
    return list(sim.events())


def _recorder(log: list[tuple[str, int, str, str]]) -> Any:
    return lambda kind, at, ticket, agent: log.append((kind, at, ticket, agent))


def encoded(events: list[Event]) -> bytes:
    return b"".join(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in events)


def instant(event: Event) -> int:
    return parse_instant(event["at"])


@pytest.fixture(scope="module")
def four_weeks() -> list[Event]:
    return run(parse_simulation(example()))


# -- reproducible -------------------------------------------------------------------------------


def test_the_same_seed_gives_byte_identical_output() -> None:
    config = parse_simulation(example(days=5))
    first, second = encoded(run(config)), encoded(run(config))
    assert first == second
    other = encoded(run(parse_simulation(example(days=5, seed=8))))
    assert other != first


def test_a_shorter_window_is_a_prefix_of_a_longer_one() -> None:
    """Arrivals and needs are drawn in time order: three days are the start of five."""
    short = [drawn(t) for t in draw_tickets(parse_simulation(example(days=3)))]
    long = [drawn(t) for t in draw_tickets(parse_simulation(example(days=5)))]
    assert short == long[: len(short)]
    assert long[len(short)][2] >= parse_instant("2026-03-05T00:00:00Z")


def drawn(needs: Needs) -> tuple[object, ...]:
    """What was drawn for a ticket (the model's objects themselves compare by identity)."""
    return (
        needs.number,
        needs.id,
        needs.created_at,
        needs.stream.name,
        needs.customer,
        needs.priority,
        needs.channel,
        needs.category.name,
        needs.tags,
        needs.sessions,
        needs.answer_delays,
        needs.reopen_delay,
        needs.reopen_effort,
        needs.close_after,
        needs.rating_delay,
        needs.rating_noise,
    )


def test_both_routers_see_the_same_tickets() -> None:
    config = parse_simulation(example(days=10))
    by_router = {name: run(config, name) for name in ("round_robin", "least_loaded")}

    def created(events: list[Event]) -> list[Event]:
        return [
            {k: v for k, v in e.items() if k != "id"}
            for e in events
            if e["type"] == "ticket.created"
        ]

    assert created(by_router["round_robin"]) == created(by_router["least_loaded"])
    assignments = {
        name: [(e["ticket"], e["assignee"]) for e in events if "assignee" in e]
        for name, events in by_router.items()
    }
    assert assignments["round_robin"] != assignments["least_loaded"]


# -- valid SPEC §4 histories --------------------------------------------------------------------


def test_every_event_is_valid_and_the_history_replays_without_errors(
    four_weeks: list[Event],
) -> None:
    parsed = [parse_event(e) for e in four_weeks]
    assert len({e.id for e in parsed}) == len(parsed)
    assert all(e["id"] == f"sim-7-{n}" for n, e in enumerate(four_weeks, start=1))
    assert [e.at for e in parsed] == sorted(e.at for e in parsed)
    sla = load_config(SLA)
    records = [(n, e) for n, e in enumerate(four_weeks, start=1)]
    result = evaluate(sla, records, parse_instant("2026-03-30T00:00:00Z"))
    tickets = sum(e["type"] == "ticket.created" for e in four_weeks)
    assert result.tickets == tickets
    assert 4 * 1000 <= tickets <= 4 * 1500  # the example is a team of ~1,000-1,500 tickets a week
    assert result.clocks


def test_the_histories_follow_the_ticket_life_cycle(four_weeks: list[Event]) -> None:
    by_ticket: dict[str, list[Event]] = defaultdict(list)
    for event in four_weeks:
        by_ticket[event["ticket"]].append(event)
    kinds: Counter[str] = Counter()
    for history in by_ticket.values():
        created = history[0]
        assert created["type"] == "ticket.created"
        assert created["status"] == "new"
        category = [t for t in created["tags"] if t.startswith("category:")]
        assert len(category) == 1
        assert created["group"]
        statuses = [e["status"] for e in history[1:] if "status" in e]
        assert statuses.count("closed") <= 1
        if "closed" in statuses:
            assert history[-1].get("status") == "closed"
        assignees = [e["assignee"] for e in history if "assignee" in e]
        assert len(assignees) <= 1  # assigned once
        for before, after in pairwise(history):
            if after.get("status") == "pending":
                assert before["type"] == "comment.added"
                assert before["author"] == "agent"
            if after["type"] == "comment.added" and after["author"] == "customer":
                assert before.get("status") in {"pending", "solved", "closed", None}
        kinds.update(e["type"] for e in history)
        kinds.update(f"status:{s}" for s in statuses)
    for needed in ("csat.rated", "status:pending", "status:solved", "status:closed"):
        assert kinds[needed] > 0, needed
    reopened = sum(
        1
        for history in by_ticket.values()
        for a, b in pairwise(history)
        if a.get("status") == "solved" and b["type"] == "comment.added"
    )
    assert reopened > 0


def test_urgent_tickets_in_work_get_updates() -> None:
    """With updates every 20 minutes and long work, urgent tickets get several agent replies."""
    document = example(days=3, updates={"urgent": "20m"}, priorities={"urgent": 1})
    document["information"] = {"probability": 0}
    for category in document["categories"].values():
        category["handling"] = "3h"
    events = run(parse_simulation(document))
    replies = Counter(
        e["ticket"] for e in events if e["type"] == "comment.added" and e["author"] == "agent"
    )
    assert max(replies.values()) >= 5


# -- the team's rules, as properties ------------------------------------------------------------

SHIFTS: dict[str, Any] = {
    "berlin-day": {
        "timezone": "Europe/Berlin",
        "hours": {d: ["09:00-12:30", "13:30-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-03-27", "2026-10-26"],
    },
    "new-york-night": {
        "timezone": "America/New_York",
        "hours": {d: ["22:00-06:00"] for d in ("sun", "mon", "tue", "wed", "thu")},
    },
    "kathmandu-weekend": {
        "timezone": "Asia/Kathmandu",
        "hours": {"sat": ["08:00-20:00"], "sun": ["10:00-14:00", "15:00-18:00"]},
    },
}
STARTS = ["2026-03-06T00:00:00Z", "2026-03-27T13:00:00Z", "2026-10-23T06:30:00Z"]


@st.composite
def small_models(draw: st.DrawFn) -> dict[str, Any]:
    categories = [f"c{i}" for i in range(draw(st.integers(1, 3)))]
    agents = []
    for i in range(draw(st.integers(1, 4))):
        skills = draw(st.lists(st.sampled_from(categories), min_size=1, unique=True))
        shift = draw(st.sampled_from(["24x7", *sorted(SHIFTS)]))
        agents.append(
            {
                "name": f"a{i}",
                "calendar": shift,
                "skills": categories if i == 0 else skills,
                "capacity": draw(st.integers(1, 3)),
                "speed": draw(st.sampled_from([0.5, 1.0, 1.7])),
            }
        )
    return {
        "start": draw(st.sampled_from(STARTS)),
        "days": draw(st.integers(2, 4)),
        "seed": draw(st.integers(0, 10_000)),
        "calendars": [{"name": n, **s} for n, s in SHIFTS.items()],
        "arrivals": [
            {
                "name": "all",
                "timezone": draw(st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kathmandu"])),
                "weekly_volume": draw(st.integers(20, 600)),
                "shape": {"weekdays": [1] * 8 + [4] * 10 + [1] * 6, "weekend": 0.5},
                "customer_calendar": draw(st.sampled_from(["24x7", "berlin-day"])),
            }
        ],
        "customers": [{"name": "acme", "tier": "gold", "weight": 2}, {"weight": 1}],
        "priorities": {"default": {"normal": 3, "low": 1}, "gold": {"urgent": 1, "high": 2}},
        "categories": {
            c: {
                "weight": 1,
                "handling": {"median": "40m", "spread": draw(st.sampled_from([0, 1.2]))},
            }
            for c in categories
        },
        "information": {
            "probability": draw(st.sampled_from([0, 0.4, 0.8])),
            "delay": {"median": "2h", "spread": 1},
        },
        "updates": {"urgent": "30m", "high": "2h"},
        "reopen": {"probability": draw(st.sampled_from([0, 0.3]))},
        "close_after": draw(st.sampled_from(["10h", "48h"])),
        "csat": {"response_rate": 0.5, "first_reply_targets": {"default": "1h"}},
        "agents": agents,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=small_models(), router=st.sampled_from(["round_robin", "least_loaded"]))
def test_the_team_follows_its_rules(document: dict[str, Any], router: str) -> None:
    config = parse_simulation(document)
    trace: list[tuple[str, int, str, str]] = []
    events = run(config, router, trace)
    agents = {a.name: a for a in config.agents}
    created: dict[str, int] = {}
    category: dict[str, str] = {}
    closed: set[str] = set()
    last = config.start
    for event in events:
        parse_event(event)
        at = instant(event)
        assert config.start <= at < config.end
        assert at >= last
        last = at
        ticket = event["ticket"]
        assert ticket not in closed
        if event["type"] == "ticket.created":
            assert ticket not in created
            created[ticket] = at
            category[ticket] = next(t for t in event["tags"] if t.startswith("category:"))[9:]
            continue
        assert ticket in created  # nothing (no agent reply) before the ticket exists
        if "assignee" in event:
            agent = agents[event["assignee"]]
            assert category[ticket] in agent.skills
            assert agent.calendar.is_open_us(at)
        if event.get("status") == "closed":
            closed.add(ticket)
    working: dict[str, set[str]] = defaultdict(set)
    for kind, at, ticket, name in trace:
        agent = agents[name]
        if kind in ("assign", "start"):
            assert agent.calendar.is_open_us(at), (kind, at, name)
            assert category[ticket] in agent.skills
        if kind == "start":
            working[name].add(ticket)
            assert len(working[name]) <= agent.capacity
        elif kind == "stop":
            working[name].remove(ticket)


# -- shifts, quantities, routers ----------------------------------------------------------------


def test_shifts_are_found_from_the_calendar_across_a_dst_change() -> None:
    calendar = BusinessCalendar.from_spec(
        {"timezone": "Europe/Berlin", "hours": {"sun": ["09:00-12:30", "12:30-17:00"]}}
    )
    start = parse_instant("2026-03-28T10:00:00Z")  # Saturday; clocks go forward on Sunday
    opens = next_opening(calendar, start)
    assert opens == parse_instant("2026-03-29T07:00:00Z")  # 09:00 CEST
    assert next_opening(calendar, opens) == opens
    ends = stretch_end(calendar, opens, opens + 10 * 24 * HOUR)
    assert ends == parse_instant("2026-03-29T15:00:00Z")  # back-to-back shifts are one
    always = BusinessCalendar.from_spec({"timezone": "UTC", "hours": "24x7"})
    assert stretch_end(always, start, start + 5 * HOUR) == start + 5 * HOUR


def test_a_lognormal_delay_has_its_median() -> None:
    rng = Random(3)
    delay = Delay(30 * 60 * SECOND, 0.8)
    draws = [delay.draw(rng) for _ in range(20_000)]
    assert all(d % SECOND == 0 and d >= SECOND for d in draws)
    assert abs(statistics.median(draws) / delay.median_us - 1) < 0.05
    assert Delay(SECOND * 90).draw(rng) == SECOND * 90


class _Agent:
    def __init__(self, index: int, load: int, capacity: int = 2, assigned: int = 0) -> None:
        self.index, self.name, self.load = index, f"a{index}", load
        self.capacity, self.assigned = capacity, assigned
        self.skills: frozenset[str] = frozenset()
        self.speed = 1.0
        self.calendar = BusinessCalendar.from_spec({"timezone": "UTC", "hours": "24x7"})
        self.shift_ends_at = 0


def test_round_robin_takes_turns_among_the_agents_offered() -> None:
    router = RoundRobin()
    team = [_Agent(i, 0) for i in range(4)]
    ticket: Any = object()
    picks = [router.choose(ticket, team, 0) for _ in range(5)]
    assert [a.index for a in picks if a] == [0, 1, 2, 3, 0]
    assert router.choose(ticket, [team[0], team[2]], 0) is team[2]  # after 0 comes 2
    assert router.choose(ticket, [team[0], team[1]], 0) is team[0]  # wraps


def test_least_loaded_takes_the_smallest_share_of_capacity() -> None:
    router = LeastLoaded()
    ticket: Any = object()
    team = [_Agent(0, 1, capacity=2), _Agent(1, 1, capacity=3), _Agent(2, 0, 1, assigned=9)]
    assert router.choose(ticket, team, 0) is team[2]
    team[2].load = 1
    assert router.choose(ticket, team[:2], 0) is team[1]
    tied = [_Agent(0, 0, assigned=5), _Agent(1, 0, assigned=2)]
    assert router.choose(ticket, tied, 0) is tied[1]
    with pytest.raises(ValueError, match="round_robin"):
        make_router("fastest")


# -- statistics with fixed seeds ----------------------------------------------------------------


def test_arrivals_per_hour_of_week_match_the_profile() -> None:
    """20 winter weeks in Berlin (no DST change): each local hour of the week gets a Poisson
    count with mean 20 × its rate, counted here from the local time of each arrival."""
    rates = tuple(
        0.5 + 6 * math.sin(math.pi * (h % 24) / 24) ** 2 * (1 if h < 120 else 0.2)
        for h in range(168)
    )
    zone = ZoneInfo("Europe/Berlin")
    profile = WeeklyProfile(zone, rates)
    start = datetime(2025, 11, 3, tzinfo=zone)  # a Monday, 00:00 local
    weeks = 20
    begin = parse_instant(start.astimezone(UTC).isoformat())
    end = begin + weeks * 168 * HOUR
    counts: Counter[int] = Counter()
    for at in profile.times(Random(11), begin, end):
        local = datetime.fromtimestamp(at / SECOND, zone)
        counts[local.weekday() * 24 + local.hour] += 1
        assert profile.hour_of_week(at) == local.weekday() * 24 + local.hour
    for hour, rate in enumerate(rates):
        mean = weeks * rate
        assert abs(counts[hour] - mean) <= 5 * math.sqrt(mean) + 2, hour
    total, expected = sum(counts.values()), weeks * sum(rates)
    assert abs(total - expected) <= 4 * math.sqrt(expected)


def test_the_example_has_the_mixes_it_says(four_weeks: list[Event]) -> None:
    created = [e for e in four_weeks if e["type"] == "ticket.created"]
    channels = Counter(e["channel"] for e in created)
    assert abs(channels["email"] / len(created) - 0.50) < 0.04
    regions = Counter(e["tags"][0] for e in created)
    assert abs(regions["region-eu"] / len(created) - 0.60) < 0.04  # 720 of 1,200 a week
    gold = [e for e in created if e.get("customer") == "acme"]
    others = [e for e in created if e.get("customer") != "acme"]
    assert share(gold, "urgent") > share(others, "urgent")


def share(events: list[Event], priority: str) -> float:
    return sum(e["priority"] == priority for e in events) / len(events)


def test_ratings_are_lower_after_longer_waits(four_weeks: list[Event]) -> None:
    created: dict[str, int] = {}
    first: dict[str, int] = {}
    scores: dict[str, int] = {}
    for event in four_weeks:
        ticket = event["ticket"]
        if event["type"] == "ticket.created":
            created[ticket] = instant(event)
        elif event["type"] == "comment.added" and event["author"] == "agent":
            first.setdefault(ticket, instant(event))
        elif event["type"] == "csat.rated":
            scores[ticket] = event["score"]
    waits = {t: first[t] - created[t] for t in scores}
    cut = statistics.median(waits.values())
    quick = [scores[t] for t in scores if waits[t] <= cut]
    slow = [scores[t] for t in scores if waits[t] > cut]
    assert len(quick) > 200
    assert len(slow) > 200
    assert statistics.mean(slow) < statistics.mean(quick) - 0.2
    assert all(1 <= s <= 5 for s in scores.values())


# -- the model's validation ---------------------------------------------------------------------


def test_a_bad_model_is_refused_with_the_path_of_every_problem() -> None:
    document = copy.deepcopy(example())
    del document["start"]
    document["speed"] = 2
    document["calendars"][0]["timezone"] = "Mars/Olympus"
    document["arrivals"][0]["shape"]["weekdays"] = [1, 2, 3]
    document["arrivals"][1]["customers"][0]["weight"] = -1
    document["priorities"]["gold"] = {"urgentest": 1}
    document["categories"]["billing"]["handling"]["spread"] = 7
    document["agents"][0]["skills"] = ["storage", "knitting"]
    document["agents"][1]["calendar"] = "moon-shift"
    document["agents"][2]["capacity"] = 0
    document["information"]["probability"] = 1.5
    document["csat"]["first_reply_targets"] = {"normal": "2d"}
    with pytest.raises(ConfigError) as caught:
        parse_simulation(document)
    where = {issue.where for issue in caught.value.issues}
    assert where >= {
        "start",
        "speed",
        "calendars[0].timezone",
        "arrivals[0].shape.weekdays",
        "arrivals[1].customers[0].weight",
        "priorities.gold.urgentest",
        "categories.billing.handling.spread",
        "agents[0].skills[1]",
        "agents[1].calendar",
        "agents[2].capacity",
        "information.probability",
        "csat.first_reply_targets.normal",
    }, where


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"start": "2026-03-02"}, "start", "offset"),
        ({"start": "2026-03-02T00:00:00.5Z"}, "start", "whole second"),
        ({"days": 0}, "days", "between 1"),
        ({"arrivals": []}, "arrivals", "missing"),
        ({"categories": {"x": {"weight": 1}}}, "categories.x.handling", "missing"),
        ({"channels": {"email": 0}}, "channels", "every weight is 0"),
        ({"close_after": "3d"}, "close_after", "'d'"),
        ({"updates": {"vip": "1h"}}, "updates.vip", "unknown priority"),
    ],
)
def test_single_problems_are_named(change: dict[str, Any], where: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_simulation(example(**change))
    found = [i for i in caught.value.issues if i.where == where]
    assert found, caught.value.issues
    assert words in found[0].message


def test_a_category_nobody_can_work_is_refused() -> None:
    document = example()
    document["categories"]["legal"] = {"weight": 1, "handling": "1h"}
    for agent in document["agents"]:
        if agent["skills"] == ["*"]:
            agent["skills"] = ["storage"]
    with pytest.raises(ConfigError) as caught:
        parse_simulation(document)
    assert [str(i) for i in caught.value.issues] == ["categories.legal: no agent has this skill"]


def test_a_model_can_be_small() -> None:
    """Only start, arrivals, categories and agents are required; the rest has defaults."""
    config = parse_simulation(
        {
            "start": datetime(2026, 3, 2, tzinfo=UTC),
            "arrivals": {"rates": [2] * 168},
            "categories": {"general": {"handling": "20m"}},
            "agents": [{"name": "solo", "calendar": "24x7", "skills": "*"}],
        }
    )
    events = run(config)
    assert config.days == 7
    assert {e["type"] for e in events} == {"ticket.created", "ticket.updated", "comment.added"}
    created = [e for e in events if e["type"] == "ticket.created"]
    assert abs(len(created) - 2 * 168) < 5 * math.sqrt(2 * 168)
    assert all("customer" not in e and e["group"] == "general" for e in created)
    assert all(e["at"] < "2026-03-09" for e in events)
    assert instant(events[-1]) - instant(events[0]) < timedelta(days=7) / timedelta(microseconds=1)


def test_an_invalid_calendar_is_reported_once() -> None:
    """Agents on a calendar that is defined but invalid are not reported again."""
    document = example()
    document["calendars"][0]["hours"]["mon"] = ["08:00-25:00"]
    with pytest.raises(ConfigError) as caught:
        parse_simulation(document)
    assert [i.where for i in caught.value.issues] == ["calendars[0].hours.mon[0]"]


# -- the engine's contract ----------------------------------------------------------------------


def test_the_summary_adds_up() -> None:
    config = parse_simulation(example(days=7))
    sim = simulate(config, make_router("least_loaded"))
    with pytest.raises(RuntimeError, match="once every event"):
        sim.summary()
    events = list(sim.events())
    summary = sim.summary()
    assert summary.tickets == sum(e["type"] == "ticket.created" for e in events)
    assert summary.events == len(events)
    assert summary.closed == sum(e.get("status") == "closed" for e in events)
    assert sum(a.assigned for a in summary.agents) == sum("assignee" in e for e in events)
    assert all(0 < a.utilisation <= 1 for a in summary.agents)
    assert summary.first_reply_wait_us is not None
    assert 0 < summary.first_reply_wait_us < 24 * HOUR
    lines = summary.lines()
    assert lines[0].startswith("simulated 2026-03-02T00:00:00Z to 2026-03-09T00:00:00Z (seed 7")
    assert len(lines) == 4 + len(config.agents)
    with pytest.raises(RuntimeError, match="runs once"):
        list(sim.events())


class _Rogue:
    name = "rogue"

    def choose(self, ticket: Any, agents: Any, now: int) -> Any:
        return _Agent(99, 0)


class _Shy:
    name = "shy"

    def choose(self, ticket: Any, agents: Any, now: int) -> Any:
        return None


def test_a_router_must_choose_among_the_agents_offered() -> None:
    config = parse_simulation(example(days=1))
    with pytest.raises(RuntimeError, match="not offered"):
        list(simulate(config, _Rogue()).events())


def test_a_router_that_declines_leaves_the_tickets_queued() -> None:
    config = parse_simulation(example(days=2))
    sim = simulate(config, _Shy())
    events = list(sim.events())
    assert not any("assignee" in e for e in events)
    assert {e["type"] for e in events} == {"ticket.created"}
    assert sim.summary().queued == len(events)
