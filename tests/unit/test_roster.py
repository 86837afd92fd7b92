"""The ``agents:`` roster of the SLA configuration (domain/roster.py, docs/routing.md): parsed with
the rest of the document, every problem named at its path, and the example's roster matching the
simulator's example team."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from slakeeper.adapters.config_file import load_config
from slakeeper.domain.config import always_open_calendar, parse_config
from slakeeper.domain.errors import ConfigError
from slakeeper.domain.roster import RosterAgent, ticket_keys
from slakeeper.simulation import parse_simulation
from tests.factories import calendar, config

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400 * 1_000_000


def with_agents(agents: object, **extra: Any) -> dict[str, Any]:
    document = config(calendars=[calendar(), calendar("late", shift="14:00-22:00")])
    document["agents"] = agents
    document.update(extra)
    return document


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return [(i.where, i.message) for i in caught.value.issues]


def test_a_roster_parses_with_its_defaults() -> None:
    parsed = parse_config(
        with_agents(
            [
                {"name": "anna", "calendar": "biz", "skills": ["storage", "tier2"], "capacity": 2},
                {"name": "tom", "calendar": "late", "skills": "*", "speed": 0.8},
                {"name": "night", "calendar": "24x7", "skills": ["vip"]},
            ]
        )
    )
    anna, tom, night = parsed.agents
    assert (anna.name, anna.calendar.name) == ("anna", "biz")
    assert anna.skills == {"storage", "tier2"}
    assert (anna.capacity, anna.speed, anna.generalist) == (2, 1.0, False)
    assert tom.skills == {"*"}
    assert (tom.capacity, tom.speed, tom.generalist) == (1, 0.8, True)
    assert night.calendar.name == "24x7"
    assert night.calendar is parsed.calendars["24x7"]


def test_a_configuration_without_agents_has_an_empty_roster() -> None:
    assert parse_config(config()).agents == ()
    assert parse_config(with_agents(None)).agents == ()
    assert parse_config(with_agents([])).agents == ()


@pytest.mark.parametrize(
    ("agents", "where", "words"),
    [
        ({"name": "anna"}, "agents", "must be a list"),
        (["anna"], "agents[0]", "must be a mapping"),
        ([{"calendar": "biz", "skills": ["x"]}], "agents[0].name", "missing"),
        ([{"name": " ", "calendar": "biz", "skills": ["x"]}], "agents[0].name", "missing"),
        ([{"name": "a", "skills": ["x"]}], "agents[0].calendar", "missing"),
        ([{"name": "a", "calendar": "nope", "skills": ["x"]}], "agents[0].calendar", "'nope'"),
        ([{"name": "a", "calendar": ["biz"], "skills": ["x"]}], "agents[0].calendar", "unknown"),
        ([{"name": "a", "calendar": "biz"}], "agents[0].skills", "missing"),
        ([{"name": "a", "calendar": "biz", "skills": []}], "agents[0].skills", "missing"),
        ([{"name": "a", "calendar": "biz", "skills": ["x", 3]}], "agents[0].skills[1]", "text"),
        ([{"name": "a", "calendar": "biz", "skills": ["x"], "capacity": 0}], "agents[0].capacity", "1 to 100"),
        ([{"name": "a", "calendar": "biz", "skills": ["x"], "capacity": 101}], "agents[0].capacity", "1 to 100"),
        ([{"name": "a", "calendar": "biz", "skills": ["x"], "capacity": "2"}], "agents[0].capacity", "whole number"),
        ([{"name": "a", "calendar": "biz", "skills": ["x"], "capacity": True}], "agents[0].capacity", "whole number"),
        ([{"name": "a", "calendar": "biz", "skills": ["x"], "capacity": 1.5}], "agents[0].capacity", "whole number"),
        ([{"name": "a", "calendar": "biz", "skills": ["x"], "speed": 0}], "agents[0].speed", "0.05 to 20"),
        ([{"name": "a", "calendar": "biz", "skills": ["x"], "speed": "fast"}], "agents[0].speed", "number"),
        ([{"name": "a", "calendar": "biz", "skills": ["x"], "shift": "x"}], "agents[0].shift", "unknown field"),
    ],
)  # fmt: skip
def test_each_problem_is_named_at_its_path(agents: object, where: str, words: str) -> None:
    found = problems(with_agents(agents))
    assert [w for w, _ in found] == [where], found
    assert words in found[0][1]


def test_an_unknown_calendar_lists_the_defined_ones() -> None:
    ((where, message),) = problems(
        with_agents([{"name": "a", "calendar": "nights", "skills": ["x"]}])
    )
    assert where == "agents[0].calendar"
    assert message == "unknown calendar 'nights'; defined: 24x7, biz, late"


def test_every_problem_is_reported_at_once_with_the_others_of_the_document() -> None:
    document = with_agents(
        [
            {"name": "a", "calendar": "biz", "skills": ["x"]},
            {"name": "a", "calendar": "biz", "skills": ["y"]},
            {"name": "b", "calendar": "nope", "skills": [], "capacity": -1},
        ],
        resolution_on_reopen="sometimes",
    )
    assert [w for w, _ in problems(document)] == [
        "agents[1].name",
        "agents[2].calendar",
        "agents[2].skills",
        "agents[2].capacity",
        "resolution_on_reopen",
    ]
    assert "'a' is listed twice" in problems(document)[0][1]


def test_a_calendar_defined_but_invalid_is_reported_once() -> None:
    document = with_agents([{"name": "a", "calendar": "bad", "skills": ["x"]}])
    document["calendars"].append({"name": "bad", "timezone": "Mars/Olympus", "hours": "24x7"})
    found = problems(document)
    assert [w for w, _ in found] == ["calendars[2].timezone"]


def test_a_calendar_that_never_opens_is_refused() -> None:
    document = with_agents([{"name": "a", "calendar": "never", "skills": ["x"]}])
    document["calendars"].append({"name": "never", "timezone": "UTC", "hours": {}})
    ((where, message),) = problems(document)
    assert where == "agents[0].calendar"
    assert "never opens" in message


def test_an_agent_is_valid_by_construction() -> None:
    always = always_open_calendar()
    with pytest.raises(ValueError, match="name"):
        RosterAgent("", always, frozenset({"x"}))
    with pytest.raises(ValueError, match="skill"):
        RosterAgent("a", always, frozenset())
    with pytest.raises(ValueError, match="capacity"):
        RosterAgent("a", always, frozenset({"x"}), capacity=0)
    with pytest.raises(ValueError, match="speed"):
        RosterAgent("a", always, frozenset({"x"}), speed=50.0)


def test_a_skill_names_a_group_service_category_or_tag() -> None:
    keys = ticket_keys("tier2", "storage", ["region-eu", "category:disks", "category:"])
    assert keys == {"tier2", "storage", "region-eu", "category:disks", "disks", "category:"}
    agent = RosterAgent("a", always_open_calendar(), frozenset({"disks", "network"}))
    assert agent.skill_for(keys) == "disks"
    assert agent.skill_for(ticket_keys("tier1", None, ["network", "disks"])) == "disks"
    assert agent.skill_for(ticket_keys("billing", "billing", ())) is None
    anyone = RosterAgent("b", always_open_calendar(), frozenset({"*"}))
    assert anyone.skill_for(frozenset()) == "*"


def test_the_example_roster_is_the_simulators_example_team() -> None:
    sla = load_config(ROOT / "examples" / "sla.yaml")
    model = parse_simulation(
        yaml.safe_load((ROOT / "examples" / "simulation.yaml").read_text(encoding="utf-8"))
    )
    categories = {c.name for c in model.categories.items}
    assert [a.name for a in sla.agents] == [a.name for a in model.agents]
    for roster, agent in zip(sla.agents, model.agents, strict=True):
        skills = categories if roster.generalist else roster.skills
        assert (skills, roster.capacity, roster.speed) == (
            agent.skills,
            agent.capacity,
            agent.speed,
        )
        # the same shifts over the simulated window, quarter hour by quarter hour
        for quarter in range(model.days * 96):
            t = model.start + quarter * DAY // 96
            assert roster.calendar.is_open_us(t) == agent.calendar.is_open_us(t), (roster.name, t)
