"""The SLA configuration (SPEC §3), validated as a whole from a plain mapping.

Every problem is collected with its path (``policies[2].targets.resolution.high``) before the
configuration is refused, so a user sees all of them at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slakeeper.domain.alerts import parse_alerts, parse_escalations
from slakeeper.domain.availability_config import KEYS as AVAILABILITY_KEYS
from slakeeper.domain.availability_config import AvailabilityConfig, parse_availability
from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.domain.calendar_spec import ALWAYS, load_zone, parse_date
from slakeeper.domain.channels import (
    Route,
    check_channel_names,
    check_recipients,
    parse_channels,
    parse_link,
    parse_route,
)
from slakeeper.domain.customers import ATTRIBUTE, ORGANISATION, Directory, parse_directory
from slakeeper.domain.customers import KEYS as CUSTOMER_KEYS
from slakeeper.domain.durations import parse_duration
from slakeeper.domain.errors import CalendarError, ConfigError, Issue
from slakeeper.domain.events import format_instant, parse_instant
from slakeeper.domain.policy import (
    DEFAULT_PAUSE,
    LEVELS,
    METRICS,
    STATUSES,
    Conditions,
    Policy,
    PolicyBook,
    frozen_targets,
)
from slakeeper.domain.roster import KEYS as ROSTER_KEYS
from slakeeper.domain.roster import RosterAgent, parse_roster

REOPEN_MODES = ("continue", "restart")
_TOP_KEYS = (
    "calendars",
    "policies",
    "system_replies_count",
    "resolution_on_reopen",
    "channels",
    "notify",
    "outbound",
    "ticket_link",
    *AVAILABILITY_KEYS,
    *CUSTOMER_KEYS,
    *ROSTER_KEYS,
)
_POLICY_KEYS = (
    "name",
    "level",
    "customer",
    "service",
    "when",
    "calendar",
    "targets",
    "pause_statuses",
    "alerts",
    "escalations",
    "notify",
    "valid_from",
    "valid_until",
)
_WHEN_KEYS = ("priority", "channel", "group", "tags_any", "tags_all", "tags_none")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CUSTOMER_CONDITION = "customer_"  # customer_tier: [gold] tests the customer's attribute tier
_US = 1_000_000


@dataclass(frozen=True, slots=True)
class SlaConfig:
    calendars: Mapping[str, BusinessCalendar]
    book: PolicyBook
    system_replies_count: bool = False
    resolution_on_reopen: str = "continue"
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    notify: Route | None = None  # warnings and breaches of policies without their own route
    outbound: str | None = None  # the channel that receives actions changing the ticket
    ticket_link: str | None = None  # a URL with {ticket}
    availability: AvailabilityConfig = field(default_factory=AvailabilityConfig)
    agents: tuple[RosterAgent, ...] = ()  # the team, for routing advice (domain/roster.py)

    @property
    def policies(self) -> tuple[Policy, ...]:
        """Policies in selection order (most specific first, then file order)."""
        return self.book.policies


def always_open_calendar() -> BusinessCalendar:
    return BusinessCalendar.from_spec({"name": ALWAYS, "timezone": "UTC", "hours": ALWAYS})


def parse_config(document: object) -> SlaConfig:
    """Validate a whole SLA document; raises :class:`ConfigError` listing every problem."""
    issues: list[Issue] = []
    if not isinstance(document, Mapping):
        raise ConfigError(
            [Issue("", "the configuration must be a mapping with calendars and policies")]
        )
    for key in document:
        if key not in _TOP_KEYS:
            issues.append(Issue(str(key), f"unknown field; use {', '.join(_TOP_KEYS)}"))
    broken: set[str] = set()
    calendars = parse_calendars(document.get("calendars"), issues, broken)
    channels = parse_channels(document.get("channels"), issues)
    known = {**dict.fromkeys(_channel_names(document.get("channels"))), **channels}
    directory = parse_directory(document, issues)
    policies = _parse_policies(
        document.get("policies"), calendars, broken, known, directory, issues
    )
    notify = parse_route(document.get("notify"), "notify", known, issues)
    outbound = document.get("outbound")
    if outbound is not None:
        if isinstance(outbound, str):
            check_channel_names([outbound], "outbound", known, issues)
        else:
            issues.append(Issue("outbound", "the name of the channel of the help desk"))
    link = parse_link(document.get("ticket_link"), issues)
    availability = parse_availability(document, issues)
    agents = parse_roster(document.get("agents"), calendars, broken, issues)
    replies = document.get("system_replies_count", False)
    if not isinstance(replies, bool):
        issues.append(Issue("system_replies_count", f"{replies!r} must be true or false"))
        replies = False
    reopen = document.get("resolution_on_reopen", "continue")
    if reopen not in REOPEN_MODES:
        issues.append(
            Issue("resolution_on_reopen", f"{reopen!r} must be one of {', '.join(REOPEN_MODES)}")
        )
        reopen = "continue"
    if issues:
        raise ConfigError(issues)
    return SlaConfig(
        calendars,
        PolicyBook.of(tuple(policies), directory),
        replies,
        str(reopen),
        channels,
        notify,
        outbound if isinstance(outbound, str) else None,
        link,
        availability,
        agents,
    )


def _channel_names(value: object) -> list[str]:
    """Names of channels as written, valid or not (so one broken channel is reported once)."""
    return [n for n in value if isinstance(n, str)] if isinstance(value, Mapping) else []


def parse_calendars(
    value: object, issues: list[Issue], broken: set[str]
) -> dict[str, BusinessCalendar]:
    """Valid calendars by name; names of calendars that are defined but invalid go in ``broken``."""
    calendars = {ALWAYS: always_open_calendar()}
    if value is None:
        return calendars
    if not isinstance(value, list):
        issues.append(Issue("calendars", "must be a list of calendars"))
        return calendars
    for i, spec in enumerate(value):
        where = f"calendars[{i}]"
        name = spec.get("name") if isinstance(spec, Mapping) else None
        if not isinstance(name, str) or not name.strip():
            issues.append(Issue(f"{where}.name", "missing; a calendar is referred to by its name"))
        elif name == ALWAYS:
            issues.append(Issue(f"{where}.name", f"{ALWAYS!r} is built in; choose another name"))
        elif name in calendars:
            issues.append(Issue(f"{where}.name", f"calendar {name!r} is defined twice"))
        if not isinstance(spec, Mapping):
            issues.append(Issue(where, "must be a mapping with name, timezone and hours"))
            continue
        try:
            calendar = BusinessCalendar.from_spec(spec)
        except CalendarError as exc:
            issues.extend(Issue(_path(where, i.where), i.message) for i in exc.issues)
            if isinstance(name, str):
                broken.add(name)
            continue
        if isinstance(name, str) and name.strip() and name not in calendars:
            calendars[name] = calendar
    return calendars


def _parse_policies(
    value: object,
    calendars: Mapping[str, BusinessCalendar],
    broken: set[str],
    channels: Mapping[str, object],
    directory: Directory,
    issues: list[Issue],
) -> list[Policy]:
    if value is None:
        issues.append(Issue("policies", "missing; define at least one policy"))
        return []
    if not isinstance(value, list) or not value:
        issues.append(Issue("policies", "must be a non-empty list of policies"))
        return []
    policies: list[Policy] = []
    names: set[str] = set()
    for i, item in enumerate(value):
        where = f"policies[{i}]"
        policy = _parse_policy(item, i, where, calendars, broken, channels, directory, issues)
        if policy is None:
            continue
        if policy.name in names:
            issues.append(Issue(f"{where}.name", f"policy {policy.name!r} is defined twice"))
        names.add(policy.name)
        policies.append(policy)
    return policies


def _parse_policy(
    item: object,
    index: int,
    where: str,
    calendars: Mapping[str, BusinessCalendar],
    broken: set[str],
    channels: Mapping[str, object],
    directory: Directory,
    issues: list[Issue],
) -> Policy | None:
    if not isinstance(item, Mapping):
        issues.append(Issue(where, "must be a mapping with name and targets"))
        return None
    before = len(issues)
    for key in item:
        if key not in _POLICY_KEYS:
            issues.append(Issue(f"{where}.{key}", f"unknown field; use {', '.join(_POLICY_KEYS)}"))
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        issues.append(Issue(f"{where}.name", "missing; every policy needs a name"))
        name = ""
    customer = _text(item, "customer", where, issues)
    service = _text(item, "service", where, issues)
    # without an explicit level, the scope the policy names says it
    implied = "customer" if customer else "service" if service else "corporate"
    level = item.get("level", implied)
    if level not in LEVELS:
        issues.append(Issue(f"{where}.level", f"{level!r} must be one of {', '.join(LEVELS)}"))
    if level == "customer" and customer is None:
        issues.append(Issue(f"{where}.customer", "required for a customer-level policy"))
    if level == "service" and service is None:
        issues.append(Issue(f"{where}.service", "required for a service-level policy"))
    if level == "corporate" and (customer is not None or service is not None):
        issues.append(
            Issue(
                f"{where}.level",
                "a corporate policy covers everyone; use level customer or service to narrow it",
            )
        )
    when = _parse_when(item.get("when"), f"{where}.when", issues)
    calendar_name = item.get("calendar", ALWAYS)
    calendar = calendars.get(calendar_name) if isinstance(calendar_name, str) else None
    if calendar is None and not (isinstance(calendar_name, str) and calendar_name in broken):
        known = ", ".join(sorted(calendars))
        issues.append(
            Issue(f"{where}.calendar", f"unknown calendar {calendar_name!r}; defined: {known}")
        )
    targets = _parse_targets(item.get("targets"), f"{where}.targets", issues)
    pause = _parse_pause(item.get("pause_statuses"), f"{where}.pause_statuses", issues)
    alerts = parse_alerts(item.get("alerts"), f"{where}.alerts", issues)
    escalations = parse_escalations(item.get("escalations"), f"{where}.escalations", issues)
    for level in escalations:
        for number, action in enumerate(level.actions):
            if action.kind == "notify":
                place = f"{where}.escalations[{level.level - 1}].actions[{number}].notify.channels"
                names = list(action.options["channels"])
                check_channel_names(names, place, channels, issues)
                to = action.options.get("to") or []
                check_recipients(names, to, place.rsplit(".", 1)[0] + ".to", channels, issues)
    notify = parse_route(item.get("notify"), f"{where}.notify", channels, issues)
    if len(issues) > before or calendar is None:
        return None
    valid = _validity(item, customer if level == "customer" else None, calendar, directory)
    if isinstance(valid, Issue):
        issues.append(Issue(f"{where}.{valid.where}", valid.message))
        return None
    return Policy(
        name=str(name),
        level=str(level),
        customer=customer,
        service=service,
        when=when,
        calendar=calendar,
        targets=frozen_targets(targets),
        pause_statuses=pause,
        position=index,
        alerts=alerts,
        escalations=escalations,
        notify=notify,
        valid_from=valid[0],
        valid_until=valid[1],
        validity=valid[2],
    )


def _validity(
    item: Mapping[str, Any],
    customer: str | None,
    calendar: BusinessCalendar,
    directory: Directory,
) -> tuple[int | None, int | None, str] | Issue:
    """The instants [from, until) a policy's clocks may start in: its ``valid_from`` /
    ``valid_until`` (a date is the whole local day on the policy's calendar; an instant is
    exact; ``valid_until`` is the last day or the first instant no longer covered) narrowed, for
    a customer-level policy, by the customer's contract dates; and how to say it."""
    zone = load_zone(calendar.timezone)
    bounds: list[int | None] = []
    words: list[str] = []
    for key, day_after in (("valid_from", False), ("valid_until", True)):
        raw = item.get(key)
        if raw is None:
            bounds.append(None)
            continue
        what = key.replace("_", " ")
        if isinstance(raw, datetime):  # YAML reads an unquoted instant as a datetime
            if raw.tzinfo is None:
                return Issue(key, f"{raw.isoformat()} has no offset; add Z or +01:00")
            bounds.append(int(raw.timestamp()) * _US + raw.microsecond)
            words.append(f"{what} {format_instant(bounds[-1] or 0)}")
            continue
        if isinstance(raw, str) and not _DAY.match(raw.strip()):
            try:
                bounds.append(parse_instant(raw.strip(), key))
            except ValueError:
                return Issue(key, f"{raw!r}: write a date (2026-01-01) or an RFC 3339 instant")
            words.append(f"{what} {raw.strip()}")
            continue
        try:
            day = parse_date(raw.strip() if isinstance(raw, str) else raw)
        except ValueError:
            return Issue(key, f"{raw!r}: write a date (2026-01-01) or an RFC 3339 instant")
        bounds.append(_midnight(day, zone, day_after))
        words.append(f"{what} {day.isoformat()}")
    start, end = bounds
    if start is not None and end is not None and end <= start:
        return Issue("valid_until", "ends before valid_from begins")
    if customer is not None:
        first, last = directory.contract(customer)
        contract: list[str] = []
        if first is not None:
            at = _midnight(first, zone, False)
            start = at if start is None else max(start, at)
            contract.append(f"from {first.isoformat()}")
        if last is not None:
            at = _midnight(last, zone, True)
            end = at if end is None else min(end, at)
            contract.append(f"until {last.isoformat()}")
        if contract:
            words.append(f"{customer}'s contract {' '.join(contract)}")
    if words and (start is not None or end is not None):
        span = f"{_shown_instant(start)} to {_shown_instant(end)}"
        return start, end, f"{'; '.join(words)}: clocks started {span}"
    return start, end, ""


def _midnight(day: date, zone: ZoneInfo, day_after: bool) -> int:
    """The first instant of local ``day`` (of the day after it) in ``zone``, in µs."""
    if day_after:
        day = day + timedelta(days=1)
    local = datetime.combine(day, time(0), tzinfo=zone)
    return int(local.timestamp()) * _US


def _shown_instant(at: int | None) -> str:
    return "(open)" if at is None else format_instant(at)


def _text(item: Mapping[str, Any], key: str, where: str, issues: list[Issue]) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        issues.append(Issue(f"{where}.{key}", f"{value!r} must be a non-empty text"))
        return None
    return value


def _parse_when(value: object, where: str, issues: list[Issue]) -> Conditions:
    if value is None:
        return Conditions()
    if not isinstance(value, Mapping):
        issues.append(Issue(where, "must be a mapping of conditions"))
        return Conditions()
    found: dict[str, frozenset[str]] = {}
    customer: list[tuple[str, frozenset[str]]] = []
    for key, raw in value.items():
        name = str(key).removeprefix(CUSTOMER_CONDITION)
        is_customer = str(key).startswith(CUSTOMER_CONDITION)
        if is_customer and not (ATTRIBUTE.match(name) or name == ORGANISATION):
            issues.append(
                Issue(f"{where}.{key}", "customer_<attribute>: lower-case letters, digits, '_'")
            )
            continue
        if not is_customer and key not in _WHEN_KEYS:
            known = ", ".join((*_WHEN_KEYS, "customer_<attribute>"))
            issues.append(Issue(f"{where}.{key}", f"unknown condition; use {known}"))
            continue
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)
        if isinstance(raw, list):
            raw = [
                str(x) if isinstance(x, int | float) and not isinstance(x, bool) else x for x in raw
            ]
        items = [raw] if isinstance(raw, str) else raw
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(x, str) and x for x in items)
        ):
            issues.append(Issue(f"{where}.{key}", "must be a non-empty list of texts"))
            continue
        if is_customer:
            customer.append((name, frozenset(items)))
        else:
            found[str(key)] = frozenset(items)
    return Conditions(**found, customer=tuple(customer))


def _parse_targets(value: object, where: str, issues: list[Issue]) -> dict[str, dict[str, int]]:
    if not isinstance(value, Mapping) or not value:
        issues.append(
            Issue(where, f"missing; give targets for at least one of {', '.join(METRICS)}")
        )
        return {}
    targets: dict[str, dict[str, int]] = {}
    for metric, by_priority in value.items():
        if metric not in METRICS:
            issues.append(Issue(f"{where}.{metric}", f"unknown metric; use {', '.join(METRICS)}"))
            continue
        if not isinstance(by_priority, Mapping) or not by_priority:
            issues.append(
                Issue(f"{where}.{metric}", "must map priorities (or default) to durations")
            )
            continue
        parsed: dict[str, int] = {}
        for priority, raw in by_priority.items():
            if isinstance(priority, bool) or not isinstance(priority, str | int):
                issues.append(Issue(f"{where}.{metric}", f"priority {priority!r} must be text"))
                continue
            try:
                duration = parse_duration(raw)
            except ValueError as exc:
                issues.append(Issue(f"{where}.{metric}.{priority}", str(exc)))
                continue
            parsed[str(priority)] = (duration.days * 86_400 + duration.seconds) * _US
        targets[str(metric)] = parsed
    return targets


def _parse_pause(value: object, where: str, issues: list[Issue]) -> frozenset[str]:
    if value is None:
        return DEFAULT_PAUSE
    if not isinstance(value, list):
        issues.append(Issue(where, "must be a list of statuses"))
        return DEFAULT_PAUSE
    for i, status in enumerate(value):
        if status not in STATUSES:
            issues.append(
                Issue(f"{where}[{i}]", f"unknown status {status!r}; use {', '.join(STATUSES)}")
            )
    return frozenset(s for s in value if isinstance(s, str))


def _path(prefix: str, where: str) -> str:
    if not where:
        return prefix
    return prefix + where if where.startswith("[") else f"{prefix}.{where}"
