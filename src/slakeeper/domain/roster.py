"""The team in the SLA configuration: who may take which tickets, when they work, how many at once.

An optional top-level section of ``sla.yaml`` (docs/routing.md)::

    agents:
      - name: anna                        # the ticket's ``assignee`` when anna has it
        calendar: eu-support              # her shifts: a calendar of ``calendars`` or 24x7
        skills: [storage, compute, network]   # groups, services, categories or tags; "*": all
        capacity: 2                       # tickets in work at once (default 1)
        speed: 1.2                        # relative to the routing estimates (default 1)

Routing advice (:mod:`slakeeper.domain.routing`) ranks these agents for a ticket. A skill matches
a ticket when it names the ticket's group, its service, one of its tags, or its category — a tag
``category:<name>`` (as the simulator and many intake rules write it) offers ``<name>``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.domain.errors import Issue

ALL_SKILLS = "*"
CATEGORY_TAG = "category:"
KEYS = ("agents",)
_AGENT_KEYS = ("name", "calendar", "skills", "capacity", "speed")
MAX_CAPACITY = 100
SPEEDS = (0.05, 20.0)


@dataclass(frozen=True, slots=True)
class RosterAgent:
    """One agent of the roster; valid by construction (built by :func:`parse_roster` or by hand)."""

    name: str
    calendar: BusinessCalendar  # the agent's shifts
    skills: frozenset[str]  # group, service, category or tag names; {"*"}: every ticket
    capacity: int = 1
    speed: float = 1.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("an agent needs a name")
        if not self.skills:
            raise ValueError(f"agent {self.name!r} needs at least one skill (or '*')")
        if not 1 <= self.capacity <= MAX_CAPACITY:
            raise ValueError(f"agent {self.name!r}: capacity must lie in 1..{MAX_CAPACITY}")
        if not SPEEDS[0] <= self.speed <= SPEEDS[1]:
            raise ValueError(f"agent {self.name!r}: speed must lie in {SPEEDS[0]}..{SPEEDS[1]}")

    @property
    def generalist(self) -> bool:
        return ALL_SKILLS in self.skills

    def skill_for(self, keys: Collection[str]) -> str | None:
        """The skill that lets the agent take a ticket offering ``keys`` (see
        :func:`ticket_keys`): ``"*"``, or the first matching skill in name order; None."""
        if self.generalist:
            return ALL_SKILLS
        return min((s for s in self.skills if s in keys), default=None)


def ticket_keys(group: str | None, service: str | None, tags: Collection[str]) -> frozenset[str]:
    """What a ticket offers to skills: its group, service, tags, and ``<name>`` for each tag
    ``category:<name>``."""
    keys = {k for k in (group, service) if k}
    for tag in tags:
        keys.add(tag)
        if tag.startswith(CATEGORY_TAG) and len(tag) > len(CATEGORY_TAG):
            keys.add(tag[len(CATEGORY_TAG) :])
    return frozenset(keys)


def parse_roster(
    value: object,
    calendars: Mapping[str, BusinessCalendar],
    broken: Collection[str],
    issues: list[Issue],
) -> tuple[RosterAgent, ...]:
    """The ``agents`` section: valid agents, every problem in ``issues`` with its path.

    ``calendars`` are the configuration's valid calendars by name (24x7 included); a name in
    ``broken`` is a calendar defined but invalid, already reported.
    """
    if value is None:
        return ()
    if not isinstance(value, list):
        issues.append(Issue("agents", "must be a list of agents {name, calendar, skills, ...}"))
        return ()
    agents: list[RosterAgent] = []
    names: set[str] = set()
    for i, item in enumerate(value):
        where = f"agents[{i}]"
        if not isinstance(item, Mapping):
            issues.append(Issue(where, "must be a mapping with name, calendar and skills"))
            continue
        before = len(issues)
        for key in item:
            if key not in _AGENT_KEYS:
                issues.append(
                    Issue(f"{where}.{key}", f"unknown field; use {', '.join(_AGENT_KEYS)}")
                )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            issues.append(Issue(f"{where}.name", "missing; the name tickets are assigned to"))
            name = None
        elif name in names:
            issues.append(Issue(f"{where}.name", f"agent {name!r} is listed twice"))
        else:
            names.add(name)
        calendar = _calendar(item.get("calendar"), f"{where}.calendar", calendars, broken, issues)
        skills = _skills(item.get("skills"), f"{where}.skills", issues)
        capacity = _number(item.get("capacity", 1), f"{where}.capacity", 1, MAX_CAPACITY, issues)
        speed = _number(item.get("speed", 1.0), f"{where}.speed", *SPEEDS, issues, real=True)
        if len(issues) > before or name is None or calendar is None:
            continue
        agents.append(RosterAgent(name, calendar, skills, int(capacity), float(speed)))
    return tuple(agents)


def _calendar(
    value: object,
    where: str,
    calendars: Mapping[str, BusinessCalendar],
    broken: Collection[str],
    issues: list[Issue],
) -> BusinessCalendar | None:
    if value is None:
        issues.append(Issue(where, "missing; the name of the calendar of the agent's shifts"))
        return None
    if isinstance(value, str) and value in broken:
        return None  # reported with the calendars
    found = calendars.get(value) if isinstance(value, str) else None
    if found is None:
        known = ", ".join(sorted(calendars))
        issues.append(Issue(where, f"unknown calendar {value!r}; defined: {known}"))
        return None
    if not found.opens_ever():
        issues.append(Issue(where, f"calendar {value!r} never opens: the agent would never work"))
        return None
    return found


def _skills(value: object, where: str, issues: list[Issue]) -> frozenset[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        issues.append(Issue(where, "missing; list groups, services, categories or tags, or '*'"))
        return frozenset()
    found: set[str] = set()
    for i, skill in enumerate(items):
        if not isinstance(skill, str) or not skill.strip():
            issues.append(Issue(f"{where}[{i}]", f"{skill!r} must be a non-empty text"))
            continue
        found.add(skill)
    return frozenset(found)


def _number(
    value: object,
    where: str,
    low: float,
    high: float,
    issues: list[Issue],
    real: bool = False,
) -> float:
    kind = isinstance(value, int | float) if real else isinstance(value, int)
    number = value if kind and not isinstance(value, bool) else None
    if isinstance(number, int | float) and low <= number <= high:
        return float(number)
    what = "a number" if real else "a whole number"
    issues.append(Issue(where, f"{value!r} must be {what} from {low:g} to {high:g}"))
    return low
