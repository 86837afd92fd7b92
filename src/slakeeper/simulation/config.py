"""Validating a workload model (``sim.yaml``) as a whole, like the SLA configuration: every problem
is collected with its path (``agents[2].skills[0]``) before the document is refused."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from slakeeper.domain.calendar import to_us
from slakeeper.domain.errors import ConfigError, Issue
from slakeeper.domain.events import BadEvent, parse_instant
from slakeeper.simulation.demand import (
    parse_categories,
    parse_customers,
    parse_priorities,
    parse_streams,
)
from slakeeper.simulation.model import (
    CLOSE_AFTER,
    DEFAULT_TIER,
    FIRST_REPLY,
    PRIORITIES,
    Csat,
    Information,
    Reopen,
    SimConfig,
)
from slakeeper.simulation.quantities import (
    SECOND,
    Delay,
    check_keys,
    delay,
    duration_us,
    integer,
    known,
    number,
    path,
    weights,
)
from slakeeper.simulation.staff import parse_agents, parse_calendars

TOP_KEYS = (
    "start",
    "days",
    "seed",
    "calendars",
    "arrivals",
    "customers",
    "priorities",
    "channels",
    "categories",
    "first_reply",
    "information",
    "updates",
    "reopen",
    "close_after",
    "csat",
    "agents",
)
MAX_DAYS = 3650
_CSAT_KEYS = (
    "response_rate",
    "delay",
    "mean",
    "noise",
    "wait_penalty_per_hour",
    "max_wait_penalty",
    "late_first_reply_penalty",
    "first_reply_targets",
)


def parse_simulation(document: object) -> SimConfig:
    """Validate a whole workload model; raises :class:`ConfigError` listing every problem."""
    if not isinstance(document, Mapping):
        raise ConfigError([Issue("", "the model must be a mapping with start, arrivals, ...")])
    issues: list[Issue] = []
    check_keys(document, TOP_KEYS, "", issues)
    start = _start(document.get("start"), issues)
    days = integer(document.get("days", 7), "days", issues, low=1, high=MAX_DAYS)
    seed = integer(document.get("seed", 1), "seed", issues, low=0, high=2**63 - 1)
    calendars = parse_calendars(document.get("calendars"), issues)
    customers = parse_customers(document.get("customers", [{"weight": 1}]), "customers", issues)
    streams = parse_streams(document.get("arrivals"), customers, calendars, issues)
    tiers = {c.tier for t in [customers, *(s.customers for s in streams)] if t for c in t.items}
    priorities = parse_priorities(document.get("priorities", {"normal": 1}), tiers, issues)
    channels = weights(document.get("channels", {"email": 1}), "channels", issues)
    written = document.get("categories")
    categories = parse_categories(written, issues)
    names = [str(k) for k in written] if isinstance(written, Mapping) else []
    agents = parse_agents(document.get("agents"), names, calendars, issues)  # None if any is bad
    for name in names:
        if agents is not None and not any(name in a.skills for a in agents):
            issues.append(Issue(f"categories.{name}", "no agent has this skill"))
    first_reply = _delay_or(document, "first_reply", FIRST_REPLY, issues)
    information = _information(document.get("information"), issues)
    updates = _targets(document.get("updates", {}), "updates", PRIORITIES, issues)
    reopen = _reopen(document.get("reopen"), issues)
    close_after = _delay_or(document, "close_after", CLOSE_AFTER, issues)
    csat = _csat(document.get("csat"), issues)
    if issues:
        raise ConfigError(issues)
    return SimConfig(
        start=known(start),
        days=known(days),
        seed=known(seed),
        streams=tuple(streams),
        priorities=priorities,
        channels=known(channels),
        categories=known(categories),
        agents=tuple(known(agents)),
        first_reply=known(first_reply),
        information=information,
        updates=known(updates),
        reopen=reopen,
        close_after=known(close_after),
        csat=csat,
    )


def _start(value: object, issues: list[Issue]) -> int | None:
    hint = "write an instant with an offset, e.g. 2026-03-02T00:00:00Z"
    if value is None:
        issues.append(Issue("start", f"missing; {hint}"))
        return None
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            issues.append(Issue("start", f"{value.isoformat()} has no offset; {hint}"))
            return None
        instant = to_us(value)
    elif isinstance(value, date):
        issues.append(Issue("start", f"{value.isoformat()} is a date; {hint}"))
        return None
    else:
        try:
            instant = parse_instant(value, "start")
        except BadEvent as exc:
            issues.append(Issue("start", f"{exc}; {hint}"))
            return None
    if instant % SECOND:
        issues.append(Issue("start", "must be a whole second: the model counts in seconds"))
        return None
    return instant


def _delay_or(
    document: Mapping[Any, Any], key: str, default: Delay, issues: list[Issue]
) -> Delay | None:
    return delay(document[key], key, issues) if key in document else default


def _fraction(item: Mapping[Any, Any], key: str, where: str, issues: list[Issue]) -> float:
    found = number(item.get(key, 0.0), path(where, key), issues, low=0.0, high=1.0)
    return 0.0 if found is None else found


def _section(
    value: object, where: str, keys: tuple[str, ...], issues: list[Issue]
) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        issues.append(Issue(where, f"write a mapping with {', '.join(keys)}"))
        return {}
    check_keys(value, keys, where, issues)
    return value


def _information(value: object, issues: list[Issue]) -> Information:
    item = _section(value, "information", ("probability", "max_rounds", "delay"), issues)
    default = Information()
    rounds = integer(
        item.get("max_rounds", default.max_rounds), "information.max_rounds", issues, low=0, high=20
    )
    wait = delay(item["delay"], "information.delay", issues) if "delay" in item else default.delay
    probability = _fraction(item, "probability", "information", issues)
    return Information(probability, rounds or 0, wait or default.delay)


def _reopen(value: object, issues: list[Issue]) -> Reopen:
    item = _section(value, "reopen", ("probability", "delay", "effort"), issues)
    default = Reopen()
    wait = delay(item["delay"], "reopen.delay", issues) if "delay" in item else default.delay
    effort = delay(item["effort"], "reopen.effort", issues) if "effort" in item else default.effort
    probability = _fraction(item, "probability", "reopen", issues)
    return Reopen(probability, wait or default.delay, effort or default.effort)


def _csat(value: object, issues: list[Issue]) -> Csat:
    item = _section(value, "csat", _CSAT_KEYS, issues)
    d = Csat()

    def real(key: str, low: float, high: float, default: float) -> float:
        found = number(item.get(key, default), f"csat.{key}", issues, low=low, high=high)
        return default if found is None else found

    wait = delay(item["delay"], "csat.delay", issues) if "delay" in item else d.delay
    targets = _targets(
        item.get("first_reply_targets", {}),
        "csat.first_reply_targets",
        (*PRIORITIES, DEFAULT_TIER),
        issues,
    )
    return Csat(
        response_rate=_fraction(item, "response_rate", "csat", issues),
        delay=wait or d.delay,
        mean=real("mean", 1.0, 5.0, d.mean),
        noise=real("noise", 0.0, 3.0, d.noise),
        wait_penalty_per_hour=real("wait_penalty_per_hour", 0.0, 5.0, d.wait_penalty_per_hour),
        max_wait_penalty=real("max_wait_penalty", 0.0, 4.0, d.max_wait_penalty),
        late_first_reply_penalty=real(
            "late_first_reply_penalty", 0.0, 4.0, d.late_first_reply_penalty
        ),
        first_reply_targets=targets or {},
    )


def _targets(
    value: object, where: str, allowed: tuple[str, ...], issues: list[Issue]
) -> dict[str, int] | None:
    """A mapping of priority to a duration (µs)."""
    if not isinstance(value, Mapping):
        issues.append(Issue(where, "write a mapping of priority to a duration, e.g. {urgent: 1h}"))
        return None
    found: dict[str, int] = {}
    for key, raw in value.items():
        place = path(where, key)
        if key not in allowed:
            issues.append(Issue(place, f"unknown priority {key!r}; use {', '.join(allowed)}"))
            continue
        us = duration_us(raw, place, issues)
        if us is not None:
            found[str(key)] = us
    return found
