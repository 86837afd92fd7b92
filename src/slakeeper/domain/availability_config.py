"""The availability part of the configuration (SPEC §7; docs/semantics.md §11): services, their
objectives and maintenance windows, credit tiers and customer contracts::

    impact_weights: {major: 1, partial: 0.5, degraded: 0}
    credit_tiers:
      standard:
        - {at_least: 99.9%, credit: 0%}
        - {at_least: 99%, credit: 10%}
        - {at_least: 95%, credit: 25%}
        - {at_least: 0%, credit: 100%}
    services:
      - name: storage
        components: [api, blobs]
        objectives:
          - {name: storage-monthly, target: 99.9%, window: {calendar: month, timezone: Europe/Berlin}}
          - {name: storage-30d, target: 99.95%, window: {rolling_days: 30}, method: timeslices,
             slice_target: 95%, maintenance: up, unknown: excluded}
        maintenance:
          - {name: upgrade, start: "2026-10-04T01:00:00Z", end: "2026-10-04T03:00:00Z"}
          - {name: weekly, every: [sun], at: "02:00", minutes: 60, timezone: Europe/Berlin}
    contracts:
      - customer: acme
        currency: EUR
        minimum: 10
        services:
          - {service: storage, objective: storage-monthly, monthly_fee: 1200, tiers: standard,
             cap: 50%}

Shares are written as percentages (``99.9%``) or as fractions up to 1 (``0.999``), and read
exactly. Every problem is collected with its path before anything is refused.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from slakeeper.domain.availability import (
    DEFAULT_WEIGHTS,
    MAINTENANCE_POLICIES,
    METHODS,
    UNKNOWN_POLICIES,
    CalendarWindow,
    Maintenance,
    Objective,
    RollingWindow,
)
from slakeeper.domain.availability_alerts import WORKBOOK, AlertRules, BurnRule
from slakeeper.domain.calendar_spec import WEEKDAYS, load_zone
from slakeeper.domain.credits import Contract, ServiceTerms, Tier
from slakeeper.domain.durations import parse_duration
from slakeeper.domain.errors import Issue
from slakeeper.domain.periods import UNITS

KEYS = ("impact_weights", "credit_tiers", "services", "contracts")
_SERVICE_KEYS = ("name", "components", "objectives", "maintenance")
_OBJECTIVE_KEYS = (
    "name",
    "target",
    "window",
    "method",
    "slice_target",
    "maintenance",
    "unknown",
    "weights",
    "alerts",
)
_MAINTENANCE_KEYS = ("name", "start", "end", "every", "at", "minutes", "timezone", "from", "until")
_CONTRACT_KEYS = ("customer", "currency", "minimum", "claim_days", "start", "end", "services")
_TERMS_KEYS = ("service", "objective", "monthly_fee", "tiers", "cap")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,127}$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_US = 1_000_000
_FAR = 253_402_300_799 * _US  # 9999-12-31T23:59:59Z


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    components: tuple[str, ...] = ()
    objectives: tuple[Objective, ...] = ()
    maintenance: tuple[Maintenance, ...] = ()
    alerts: Mapping[str, AlertRules] = field(default_factory=dict)  # by objective name


@dataclass(frozen=True, slots=True)
class AvailabilityConfig:
    services: Mapping[str, Service] = field(default_factory=dict)
    contracts: Mapping[str, Contract] = field(default_factory=dict)  # by customer
    weights: Mapping[str, Fraction] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def alert_rules(self, objective: Objective) -> AlertRules:
        found = self.services.get(objective.service)
        return found.alerts.get(objective.name, AlertRules()) if found else AlertRules()

    def objective(self, service: str, name: str | None = None) -> Objective | None:
        """The service's objective ``name`` (its first when None)."""
        found = self.services.get(service)
        if found is None:
            return None
        for objective in found.objectives:
            if name is None or objective.name == name:
                return objective
        return None

    @property
    def maintenance(self) -> tuple[Maintenance, ...]:
        return tuple(m for s in self.services.values() for m in s.maintenance)


def parse_availability(document: Mapping[str, Any], issues: list[Issue]) -> AvailabilityConfig:
    """The availability sections of a configuration document (absent: none)."""
    weights = _weights(
        document.get("impact_weights"), "impact_weights", dict(DEFAULT_WEIGHTS), issues
    )
    tiers = _tier_sets(document.get("credit_tiers"), issues)
    services = _services(document.get("services"), weights, issues)
    contracts = _contracts(document.get("contracts"), services, tiers, issues)
    return AvailabilityConfig(
        MappingProxyType(services), MappingProxyType(contracts), MappingProxyType(weights)
    )


# -- values ----------------------------------------------------------------------------------------


def share(value: object, where: str, issues: list[Issue]) -> Fraction | None:
    """``99.9%`` or a number from 0 to 1, exactly."""
    text = str(value).strip() if isinstance(value, (str, int, float)) else None
    if text is None or isinstance(value, bool):
        issues.append(Issue(where, f"{value!r} is not a share; write a percentage such as 99.9%"))
        return None
    percent = text.endswith("%")
    try:
        number = Fraction(text[:-1].strip() if percent else text)
    except (ValueError, ZeroDivisionError):
        issues.append(Issue(where, f"{value!r} is not a share; write a percentage such as 99.9%"))
        return None
    if percent:
        number /= 100
    if not 0 <= number <= 1:
        hint = " (write 99.9% or 0.999)" if not percent and number > 1 else ""
        issues.append(Issue(where, f"{value!r} must be between 0% and 100%{hint}"))
        return None
    return number


def _amount(value: object, where: str, issues: list[Issue]) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        issues.append(Issue(where, f"{value!r} is not an amount; write a number such as 1200.00"))
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        issues.append(Issue(where, f"{value!r} is not an amount; write a number such as 1200.00"))
        return None
    if not amount.is_finite() or amount < 0:
        issues.append(Issue(where, f"{value!r} must be a positive amount"))
        return None
    return amount


def _instant(value: object, where: str, issues: list[Issue], date_only: bool = False) -> int | None:
    text = str(value) if isinstance(value, (str, datetime)) else None
    if text is None:
        issues.append(Issue(where, f"{value!r} is not an instant; write 2026-10-04T01:00:00Z"))
        return None
    try:
        if date_only and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            text += "T00:00:00+00:00"
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        issues.append(Issue(where, f"{value!r} is not an instant; write 2026-10-04T01:00:00Z"))
        return None
    if moment.tzinfo is None:
        issues.append(Issue(where, f"{value!r} needs a UTC offset (Z or +01:00)"))
        return None
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * _US + (
        moment.microsecond
    )


def _name(value: object, where: str, issues: list[Issue]) -> str | None:
    if isinstance(value, str) and _NAME.match(value):
        return value
    issues.append(Issue(where, f"{value!r} is not a name (letters, digits, space, _.:/- )"))
    return None


def _mapping(value: object, where: str, keys: tuple[str, ...], issues: list[Issue]) -> bool:
    if not isinstance(value, Mapping):
        issues.append(Issue(where, "a mapping"))
        return False
    for key in value:
        if key not in keys:
            issues.append(Issue(f"{where}.{key}", f"unknown field; use {', '.join(keys)}"))
    return True


def _list(value: object, where: str, issues: list[Issue]) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        issues.append(Issue(where, "a list"))
        return []
    return value


def _weights(
    value: object, where: str, base: dict[str, Fraction], issues: list[Issue]
) -> dict[str, Fraction]:
    if value is None:
        return base
    if not isinstance(value, Mapping):
        issues.append(Issue(where, "a mapping of impact names to weights from 0 to 1"))
        return base
    out = dict(base)
    for impact, weight in value.items():
        got = share(weight, f"{where}.{impact}", issues)
        if got is not None and _name(impact, f"{where}.{impact}", issues):
            out[str(impact)] = got
    return out


# -- credit tiers ----------------------------------------------------------------------------------


def _tiers(value: object, where: str, issues: list[Issue]) -> tuple[Tier, ...] | None:
    items = _list(value, where, issues)
    if not items:
        issues.append(Issue(where, "at least one tier: {at_least: 99%, credit: 10%}"))
        return None
    found: list[Tier] = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if not _mapping(item, here, ("at_least", "credit"), issues):
            continue
        bound = share(item.get("at_least"), f"{here}.at_least", issues)
        credit = share(item.get("credit"), f"{here}.credit", issues)
        if bound is not None and credit is not None:
            found.append(Tier(bound, credit))
    if len(found) != len(items):
        return None
    ordered = sorted(found, key=lambda t: t.at_least)
    if len({t.at_least for t in found}) != len(found):
        issues.append(Issue(where, "two tiers have the same lower bound"))
        return None
    if ordered[-1].credit != 0:
        issues.append(
            Issue(where, "the highest tier must credit 0%: the uptime from which nothing is owed")
        )
    if any(a.credit < b.credit for a, b in itertools.pairwise(ordered)):
        issues.append(Issue(where, "a lower uptime must never earn a smaller credit"))
    return tuple(ordered)


def _tier_sets(value: object, issues: list[Issue]) -> dict[str, tuple[Tier, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        issues.append(Issue("credit_tiers", "a mapping of names to lists of tiers"))
        return {}
    out = {}
    for name, tiers in value.items():
        got = _tiers(tiers, f"credit_tiers.{name}", issues)
        if got is not None:
            out[str(name)] = got
    return out


# -- services --------------------------------------------------------------------------------------


def _services(
    value: object, weights: dict[str, Fraction], issues: list[Issue]
) -> dict[str, Service]:
    out: dict[str, Service] = {}
    for i, item in enumerate(_list(value, "services", issues)):
        where = f"services[{i}]"
        if not _mapping(item, where, _SERVICE_KEYS, issues):
            continue
        name = _name(item.get("name"), f"{where}.name", issues)
        if name is None:
            continue
        if name in out:
            issues.append(Issue(f"{where}.name", f"service {name!r} is defined twice"))
            continue
        components = tuple(
            c
            for j, c in enumerate(_list(item.get("components"), f"{where}.components", issues))
            if _name(c, f"{where}.components[{j}]", issues)
        )
        objectives = []
        alerts: dict[str, AlertRules] = {}
        for j, spec in enumerate(_list(item.get("objectives"), f"{where}.objectives", issues)):
            got = _objective(spec, name, f"{where}.objectives[{j}]", weights, issues)
            if got is not None:
                objectives.append(got)
                rules = _alert_rules(spec.get("alerts"), f"{where}.objectives[{j}].alerts", issues)
                if rules is not None:
                    alerts[got.name] = rules
        names = [o.name for o in objectives]
        if len(set(names)) != len(names):
            issues.append(Issue(f"{where}.objectives", "two objectives have the same name"))
        windows = tuple(
            m
            for j, spec in enumerate(_list(item.get("maintenance"), f"{where}.maintenance", issues))
            if (m := _maintenance(spec, name, f"{where}.maintenance[{j}]", issues)) is not None
        )
        out[name] = Service(name, components, tuple(objectives), windows, MappingProxyType(alerts))
    return out


def _objective(
    spec: object, service: str, where: str, weights: dict[str, Fraction], issues: list[Issue]
) -> Objective | None:
    if not _mapping(spec, where, _OBJECTIVE_KEYS, issues):
        return None
    assert isinstance(spec, Mapping)
    before = len(issues)
    name = _name(spec.get("name"), f"{where}.name", issues)
    target = share(spec.get("target"), f"{where}.target", issues)
    window = _window(spec.get("window"), f"{where}.window", issues)
    method = spec.get("method", "time")
    if method not in METHODS:
        issues.append(Issue(f"{where}.method", f"{method!r}: use {', '.join(METHODS)}"))
    slice_target = share(spec.get("slice_target", 1), f"{where}.slice_target", issues)
    maintenance = spec.get("maintenance", "excluded")
    if maintenance not in MAINTENANCE_POLICIES:
        issues.append(
            Issue(f"{where}.maintenance", f"{maintenance!r}: use {', '.join(MAINTENANCE_POLICIES)}")
        )
    unknown = spec.get("unknown", "up")
    if unknown not in UNKNOWN_POLICIES:
        issues.append(Issue(f"{where}.unknown", f"{unknown!r}: use {', '.join(UNKNOWN_POLICIES)}"))
    own = _weights(spec.get("weights"), f"{where}.weights", dict(weights), issues)
    if len(issues) > before or name is None or target is None or window is None:
        return None
    assert slice_target is not None
    return Objective(
        name,
        service,
        target,
        window,
        str(method),
        slice_target,
        str(maintenance),
        str(unknown),
        MappingProxyType(own),
    )


def _alert_rules(value: object, where: str, issues: list[Issue]) -> AlertRules | None:
    """``alerts: {burn_rates: [{budget: 2%, long: 1h, short: 5m, severity: page}, ...],
    budget_exhausted: true, credit_tiers: true}`` (absent: the SRE workbook's table; a day is
    written 24h)."""
    if value is None:
        return None
    if not _mapping(value, where, ("burn_rates", "budget_exhausted", "credit_tiers"), issues):
        return None
    assert isinstance(value, Mapping)
    flags = {}
    for key in ("budget_exhausted", "credit_tiers"):
        flag = value.get(key, True)
        if not isinstance(flag, bool):
            issues.append(Issue(f"{where}.{key}", f"{flag!r} must be true or false"))
        flags[key] = flag is True
    rules: tuple[BurnRule, ...] = WORKBOOK
    if "burn_rates" in value:
        found = []
        for i, rule in enumerate(_list(value["burn_rates"], f"{where}.burn_rates", issues)):
            here = f"{where}.burn_rates[{i}]"
            if not _mapping(rule, here, ("budget", "long", "short", "severity"), issues):
                continue
            budget = share(rule.get("budget"), f"{here}.budget", issues)
            spans = []
            for key in ("long", "short"):
                try:
                    spans.append(parse_duration(rule.get(key)) // timedelta(microseconds=1))
                except (ValueError, TypeError) as exc:
                    issues.append(Issue(f"{here}.{key}", f"{rule.get(key)!r}: {exc}"))
            severity = rule.get("severity", "page")
            if severity not in ("page", "ticket"):
                issues.append(Issue(f"{here}.severity", f"{severity!r}: use page or ticket"))
            if len(spans) == 2 and spans[1] >= spans[0]:
                issues.append(Issue(f"{here}.short", "must be shorter than long"))
            if budget is not None and len(spans) == 2 and spans[1] < spans[0]:
                found.append(BurnRule(budget, spans[0], spans[1], str(severity)))
        rules = tuple(found)
    return AlertRules(rules, flags["budget_exhausted"], flags["credit_tiers"])


def _window(
    value: object, where: str, issues: list[Issue]
) -> CalendarWindow | RollingWindow | None:
    hint = "{calendar: month, timezone: Europe/Berlin} or {rolling_days: 30}"
    if not isinstance(value, Mapping):
        issues.append(Issue(where, f"a window: {hint}"))
        return None
    if "rolling_days" in value:
        days = value["rolling_days"]
        if set(value) != {"rolling_days"}:
            issues.append(Issue(where, f"a rolling window has only rolling_days: {hint}"))
        elif isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
            issues.append(Issue(f"{where}.rolling_days", f"{days!r}: a number of days, 1 to 366"))
        else:
            return RollingWindow(days)
        return None
    if not _mapping(value, where, ("calendar", "timezone"), issues):
        return None
    unit = value.get("calendar")
    if unit not in UNITS:
        issues.append(Issue(f"{where}.calendar", f"{unit!r}: use {', '.join(UNITS)} ({hint})"))
        return None
    try:
        zone = load_zone(value.get("timezone", "UTC"))
    except ValueError as exc:
        issues.append(Issue(f"{where}.timezone", str(exc)))
        return None
    return CalendarWindow(str(unit), zone)


def _maintenance(spec: object, service: str, where: str, issues: list[Issue]) -> Maintenance | None:
    if not _mapping(spec, where, _MAINTENANCE_KEYS, issues):
        return None
    assert isinstance(spec, Mapping)
    before = len(issues)
    name = _name(spec.get("name"), f"{where}.name", issues)
    if "every" not in spec:
        start = _instant(spec.get("start"), f"{where}.start", issues)
        end = _instant(spec.get("end"), f"{where}.end", issues)
        if start is not None and end is not None and end <= start:
            issues.append(Issue(f"{where}.end", "must come after start"))
        if len(issues) > before or name is None or start is None or end is None:
            return None
        return Maintenance(name, service, start, end)
    days = _list(spec.get("every"), f"{where}.every", issues)
    weekdays = []
    for day in days:
        if day in WEEKDAYS:
            weekdays.append(WEEKDAYS.index(day))
        else:
            issues.append(Issue(f"{where}.every", f"{day!r}: use {', '.join(WEEKDAYS)}"))
    if not days:
        issues.append(Issue(f"{where}.every", "the weekdays it recurs on: [sun]"))
    at = _TIME.match(str(spec.get("at", "")))
    if at is None:
        issues.append(Issue(f"{where}.at", f"{spec.get('at')!r}: a local time such as 02:00"))
    minutes = spec.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 1440:
        issues.append(Issue(f"{where}.minutes", f"{minutes!r}: its length, 1 to 1440 minutes"))
    try:
        zone = load_zone(spec.get("timezone", "UTC"))
    except ValueError as exc:
        issues.append(Issue(f"{where}.timezone", str(exc)))
    first = _instant(spec["from"], f"{where}.from", issues, True) if "from" in spec else 0
    last = _instant(spec["until"], f"{where}.until", issues, True) if "until" in spec else _FAR
    if len(issues) > before or name is None or at is None or first is None or last is None:
        return None
    assert isinstance(minutes, int)
    return Maintenance(
        name,
        service,
        first,
        last,
        tuple(sorted(set(weekdays))),
        int(at.group(1)) * 60 + int(at.group(2)),
        minutes,
        zone,
    )


# -- contracts -------------------------------------------------------------------------------------


def _contracts(
    value: object,
    services: dict[str, Service],
    tier_sets: dict[str, tuple[Tier, ...]],
    issues: list[Issue],
) -> dict[str, Contract]:
    out: dict[str, Contract] = {}
    for i, item in enumerate(_list(value, "contracts", issues)):
        where = f"contracts[{i}]"
        if not _mapping(item, where, _CONTRACT_KEYS, issues):
            continue
        before = len(issues)
        customer = _name(item.get("customer"), f"{where}.customer", issues)
        if customer is not None and customer in out:
            issues.append(Issue(f"{where}.customer", f"customer {customer!r} has two contracts"))
        currency = item.get("currency", "EUR")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            issues.append(Issue(f"{where}.currency", f"{currency!r}: an ISO 4217 code such as EUR"))
        minimum = _amount(item.get("minimum", 0), f"{where}.minimum", issues)
        claim = item.get("claim_days", 30)
        if isinstance(claim, bool) or not isinstance(claim, int) or not 0 <= claim <= 3650:
            issues.append(Issue(f"{where}.claim_days", f"{claim!r}: a number of days"))
        start = _instant(item["start"], f"{where}.start", issues, True) if "start" in item else None
        end = _instant(item["end"], f"{where}.end", issues, True) if "end" in item else None
        terms = []
        for j, spec in enumerate(_list(item.get("services"), f"{where}.services", issues)):
            got = _terms(spec, services, tier_sets, f"{where}.services[{j}]", issues)
            if got is not None:
                terms.append(got)
        if not item.get("services"):
            issues.append(Issue(f"{where}.services", "the services the contract covers"))
        if len(issues) > before or customer is None or minimum is None:
            continue
        assert isinstance(claim, int)
        assert isinstance(currency, str)
        out[customer] = Contract(customer, currency, tuple(terms), minimum, claim, start, end)
    return out


def _terms(
    spec: object,
    services: dict[str, Service],
    tier_sets: dict[str, tuple[Tier, ...]],
    where: str,
    issues: list[Issue],
) -> ServiceTerms | None:
    if not _mapping(spec, where, _TERMS_KEYS, issues):
        return None
    assert isinstance(spec, Mapping)
    before = len(issues)
    service = services.get(str(spec.get("service")))
    if service is None:
        known = ", ".join(services) or "none defined under services"
        issues.append(Issue(f"{where}.service", f"{spec.get('service')!r}: use one of {known}"))
    objective = spec.get("objective")
    if service is not None:
        names = [o.name for o in service.objectives]
        if objective is None and names:
            objective = names[0]
        if objective not in names:
            issues.append(
                Issue(
                    f"{where}.objective",
                    f"{objective!r}: use one of {', '.join(names) or 'the service has none'}",
                )
            )
    fee = _amount(spec.get("monthly_fee"), f"{where}.monthly_fee", issues)
    tiers_spec = spec.get("tiers")
    tiers: tuple[Tier, ...] | None
    if isinstance(tiers_spec, str):
        tiers = tier_sets.get(tiers_spec)
        if tiers is None:
            issues.append(
                Issue(
                    f"{where}.tiers",
                    f"{tiers_spec!r}: use one of {', '.join(tier_sets) or 'the credit_tiers'}",
                )
            )
    else:
        tiers = _tiers(tiers_spec, f"{where}.tiers", issues)
    cap = share(spec.get("cap", 1), f"{where}.cap", issues)
    if len(issues) > before or service is None or fee is None or tiers is None or cap is None:
        return None
    return ServiceTerms(service.name, str(objective), fee, tiers, cap)
