"""The team's side of a workload model, validated: the calendars (SPEC §1) that shifts and
customers' hours refer to by name, and the agents with their skills, capacity and speed."""

from __future__ import annotations

from collections.abc import Mapping

from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.domain.config import parse_calendars as config_calendars
from slakeeper.domain.errors import CalendarError, Issue
from slakeeper.simulation.model import Agent
from slakeeper.simulation.quantities import check_keys, integer, known, number, path, text, texts

ALL_SKILLS = "*"
AGENT_KEYS = ("name", "count", "calendar", "skills", "capacity", "speed")


Calendars = Mapping[str, BusinessCalendar | None]  # None: defined, but invalid (reported once)


def parse_calendars(value: object, issues: list[Issue]) -> Calendars:
    """The model's calendars by name, as an SLA configuration's are read (SPEC §1); a calendar
    defined but invalid is there as None (its problems reported once)."""
    broken: set[str] = set()
    found: dict[str, BusinessCalendar | None] = dict(config_calendars(value, issues, broken))
    found.update(dict.fromkeys(broken))
    return found


def parse_calendar(spec: object, where: str, issues: list[Issue]) -> BusinessCalendar | None:
    try:
        return BusinessCalendar.from_spec(spec)  # type: ignore[arg-type]
    except CalendarError as exc:
        issues.extend(
            Issue(path(where, i.where) if i.where else where, i.message) for i in exc.issues
        )
        return None


def calendar_ref(
    value: object, where: str, calendars: Calendars, issues: list[Issue]
) -> BusinessCalendar | None:
    """A calendar by name, or a SPEC §1 mapping written in place; None when it is not valid."""
    if isinstance(value, Mapping):
        return parse_calendar(value, where, issues)
    if isinstance(value, str) and value in calendars:
        return calendars[value]  # None for an invalid calendar, already reported
    known = ", ".join(sorted(calendars))
    issues.append(Issue(where, f"unknown calendar {value!r}; defined: {known}"))
    return None


def parse_agents(
    value: object,
    categories: list[str],
    calendars: Calendars,
    issues: list[Issue],
) -> list[Agent] | None:
    """The agents, ``count`` expanded; None when any of them is not valid."""
    if not isinstance(value, list) or not value:
        issues.append(Issue("agents", "missing; write a list of agents"))
        return None
    agents: list[Agent] = []
    names: set[str] = set()
    complete = True
    for i, item in enumerate(value):
        where = f"agents[{i}]"
        if not isinstance(item, Mapping):
            issues.append(Issue(where, "write {name, calendar, skills, capacity, speed}"))
            complete = False
            continue
        before = len(issues)
        check_keys(item, AGENT_KEYS, where, issues)
        name = text(item.get("name"), f"{where}.name", issues)
        count = integer(item.get("count", 1), f"{where}.count", issues, low=1, high=1000)
        calendar = None
        if "calendar" not in item:
            issues.append(Issue(f"{where}.calendar", "missing; the agent's shifts (SPEC §1)"))
        else:
            calendar = calendar_ref(item["calendar"], f"{where}.calendar", calendars, issues)
            if calendar is not None and not calendar.opens_ever():
                issues.append(Issue(f"{where}.calendar", "this calendar never opens"))
        skills = _skills(item.get("skills"), f"{where}.skills", categories, issues)
        capacity = integer(item.get("capacity", 1), f"{where}.capacity", issues, low=1, high=100)
        speed = number(item.get("speed", 1.0), f"{where}.speed", issues, low=0.05, high=20.0)
        if len(issues) > before or name is None or count is None or calendar is None:
            complete = False  # a calendar defined but invalid was reported with the calendars
            continue
        for n in range(1, count + 1):
            label = name if count == 1 else f"{name}-{n}"
            if label in names:
                issues.append(Issue(f"{where}.name", f"agent {label!r} is defined twice"))
            names.add(label)
            agents.append(Agent(label, calendar, skills, known(capacity), known(speed)))
    return agents if complete else None


def _skills(
    value: object, where: str, categories: list[str], issues: list[Issue]
) -> frozenset[str]:
    found = texts(value, where, issues)
    if not found:
        issues.append(Issue(where, f"missing; list categories ({', '.join(categories)}) or '*'"))
        return frozenset()
    if ALL_SKILLS in found:
        return frozenset(categories)
    for i, skill in enumerate(found):
        if categories and skill not in categories:
            issues.append(
                Issue(f"{where}[{i}]", f"unknown category {skill!r}; use {', '.join(categories)}")
            )
    return frozenset(found)
