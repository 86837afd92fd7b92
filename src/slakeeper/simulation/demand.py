"""The demand side of a workload model, validated: arrival streams, customers, the priority mix
(by customer tier) and the categories with the work each takes."""

from __future__ import annotations

from collections.abc import Mapping

from slakeeper.domain.errors import Issue
from slakeeper.simulation.arrivals import PROFILE_KEYS, parse_profile
from slakeeper.simulation.model import DEFAULT_TIER, PRIORITIES, Category, Customer, Stream
from slakeeper.simulation.quantities import (
    Table,
    check_keys,
    delay,
    number,
    path,
    text,
    texts,
    weights,
)
from slakeeper.simulation.staff import Calendars, calendar_ref

STREAM_KEYS = ("name", *PROFILE_KEYS, "tags", "customers", "customer_calendar")
CUSTOMER_KEYS = ("name", "tier", "tags", "weight")
CATEGORY_KEYS = ("weight", "group", "service", "handling")


def parse_customers(value: object, where: str, issues: list[Issue]) -> Table[Customer] | None:
    if not isinstance(value, list) or not value:
        issues.append(Issue(where, "write a list of {name, tier, tags, weight}"))
        return None
    before = len(issues)
    pairs: list[tuple[Customer, float]] = []
    seen: set[str | None] = set()
    for i, item in enumerate(value):
        place = path(where, i)
        if not isinstance(item, Mapping):
            issues.append(Issue(place, "write {name, tier, tags, weight}; no name: no customer"))
            continue
        check_keys(item, CUSTOMER_KEYS, place, issues)
        name = text(item["name"], f"{place}.name", issues) if "name" in item else None
        if name in seen:
            issues.append(Issue(f"{place}.name", f"customer {name!r} is listed twice"))
        seen.add(name)
        tier = text(item.get("tier", DEFAULT_TIER), f"{place}.tier", issues) or DEFAULT_TIER
        tags = texts(item.get("tags"), f"{place}.tags", issues)
        weight = number(item.get("weight", 1), f"{place}.weight", issues, low=0.0, high=1e9)
        if weight:
            pairs.append((Customer(name, tier, tags), weight))
    if len(issues) > before:
        return None
    if not pairs:
        issues.append(Issue(where, "every weight is 0"))
        return None
    return Table(pairs)


def parse_streams(
    value: object,
    customers: Table[Customer] | None,
    calendars: Calendars,
    issues: list[Issue],
) -> list[Stream]:
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not value:
        issues.append(Issue("arrivals", "missing; write a list of arrival streams"))
        return []
    streams: list[Stream] = []
    names: set[str] = set()
    for i, item in enumerate(value):
        where = f"arrivals[{i}]"
        if not isinstance(item, Mapping):
            issues.append(Issue(where, "write {name, timezone, weekly_volume, shape, ...}"))
            continue
        before = len(issues)
        check_keys(item, STREAM_KEYS, where, issues)
        name = text(item.get("name", f"stream-{i + 1}"), f"{where}.name", issues) or ""
        if name in names:
            issues.append(Issue(f"{where}.name", f"stream {name!r} is defined twice"))
        names.add(name)
        profile = parse_profile(item, where, issues)
        tags = texts(item.get("tags"), f"{where}.tags", issues)
        mix = customers
        if "customers" in item:
            mix = parse_customers(item["customers"], f"{where}.customers", issues)
        hours = None
        if item.get("customer_calendar") is not None:
            hours = calendar_ref(
                item["customer_calendar"], f"{where}.customer_calendar", calendars, issues
            )
            if hours is not None and not hours.opens_ever():
                issues.append(Issue(f"{where}.customer_calendar", "this calendar never opens"))
        if len(issues) == before and profile is not None and mix is not None:
            streams.append(Stream(name, profile, tags, mix, hours))
    return streams


def parse_priorities(value: object, tiers: set[str], issues: list[Issue]) -> dict[str, Table[str]]:
    """A priority mix, or one per customer tier (with ``default``)."""
    if isinstance(value, Mapping) and value and all(isinstance(v, Mapping) for v in value.values()):
        found: dict[str, Table[str]] = {}
        for tier, mix in value.items():
            table = weights(mix, f"priorities.{tier}", issues, PRIORITIES)
            if table is not None:
                found[str(tier)] = table
        if DEFAULT_TIER not in value:
            issues.append(Issue("priorities.default", "missing; the mix of every other tier"))
        for tier in sorted(set(map(str, value)) - tiers - {DEFAULT_TIER}):
            issues.append(Issue(f"priorities.{tier}", f"no customer has the tier {tier!r}"))
        return found
    table = weights(value, "priorities", issues, PRIORITIES)
    return {DEFAULT_TIER: table} if table is not None else {}


def parse_categories(value: object, issues: list[Issue]) -> Table[Category] | None:
    if not isinstance(value, Mapping) or not value:
        issues.append(Issue("categories", "missing; write a mapping of category to its fields"))
        return None
    before = len(issues)
    pairs: list[tuple[Category, float]] = []
    for key, item in value.items():
        where = f"categories.{key}"
        name = text(key, where, issues)
        if not isinstance(item, Mapping):
            issues.append(Issue(where, "write {weight, group, service, handling}"))
            continue
        check_keys(item, CATEGORY_KEYS, where, issues)
        weight = number(item.get("weight", 1), f"{where}.weight", issues, low=0.0, high=1e9)
        group = text(item.get("group", name), f"{where}.group", issues)
        service = text(item["service"], f"{where}.service", issues) if "service" in item else None
        if "handling" not in item:
            issues.append(Issue(f"{where}.handling", "missing; e.g. {median: 30m, spread: 0.8}"))
            continue
        handling = delay(item["handling"], f"{where}.handling", issues)
        if name and weight and group and handling:
            pairs.append((Category(name, group, service, handling), weight))
    if len(issues) > before:
        return None
    if not pairs:
        issues.append(Issue("categories", "every weight is 0"))
        return None
    return Table(pairs)
