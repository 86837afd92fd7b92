"""Warnings, breaches and escalation levels of a policy, and when each fires for a clock.

Configuration (per policy, see docs/semantics.md §9)::

    alerts:                       # warnings before the due instant
      - "75%"                     # when 75% of the target has elapsed (business time)
      - "30m before"              # 30 minutes of business time before due
    escalations:                  # ordered levels, each at an offset from the due instant
      - at: "30m before"          # or "1h after", or "due"; business time unless time: calendar
        time: business
        actions:
          - {notify: {channels: [slack, email], to: [oncall@example.com]}}
          - {reassign: {group: tier2}}      # or {assignee: ...}
          - {raise_priority: urgent}
          - {add_tag: escalated}
          - {webhook: {url: "https://hooks.example.com/sla"}}

:func:`plan` turns a clock into the instants at which each of these fires — a pure function of
the clock, the target, the calendar and the instant it is asked at. The breach itself fires at the
due instant. A paused clock plans nothing (it is re-planned when it resumes); a stopped clock
plans nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.domain.clocks import Clock
from slakeeper.domain.durations import parse_duration
from slakeeper.domain.errors import Issue

_US = 1_000_000
_SHARE = re.compile(r"^(\d{1,3}(?:\.\d+)?)%$")
_OFFSET = re.compile(r"^(\S+)\s+(before|after)$")
ACTIONS = ("notify", "reassign", "raise_priority", "add_tag", "webhook")
TIMES = ("business", "calendar")


@dataclass(frozen=True, slots=True)
class Alert:
    """A warning before due: at a share of the target, or a business time before due."""

    key: str  # what it was written as, normalised: "75%" or "30m before" (the threshold's name)
    share: Fraction | None = None
    before: int = 0  # µs of business time before due


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # one of ACTIONS
    options: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Escalation:
    level: int  # 1, 2, ... in file order
    offset: int  # µs from the due instant; negative before, positive after
    calendar_time: bool  # offset in wall time instead of business time
    actions: tuple[Action, ...]

    @property
    def key(self) -> str:
        return f"escalation {self.level}"


@dataclass(frozen=True, slots=True)
class Firing:
    """One thing to fire for a clock: ``kind`` warning | breach | escalation, at ``at`` (µs)."""

    kind: str
    key: str
    at: int


def _duration_us(text: str) -> int:
    d = parse_duration(text)
    return (d.days * 86_400 + d.seconds) * _US


def parse_alerts(value: object, where: str, issues: list[Issue]) -> tuple[Alert, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        issues.append(Issue(where, "write a list such as ['75%', '30m before']"))
        return ()
    found: list[Alert] = []
    for i, item in enumerate(value):
        place = f"{where}[{i}]"
        text = item.strip() if isinstance(item, str) else None
        share = _SHARE.match(text) if text else None
        offset = _OFFSET.match(text) if text else None
        if share:
            percent = Fraction(share.group(1))
            if not 0 < percent < 100:
                issues.append(Issue(place, f"{item!r}: a share must lie between 0% and 100%"))
                continue
            found.append(Alert(f"{share.group(1)}%", share=percent / 100))
        elif offset and offset.group(2) == "before":
            try:
                before = _duration_us(offset.group(1))
            except ValueError as exc:
                issues.append(Issue(place, str(exc)))
                continue
            found.append(Alert(f"{offset.group(1)} before", before=before))
        else:
            issues.append(
                Issue(place, f"{item!r} is not a warning; write e.g. '75%' or '30m before'")
            )
    keys = [w.key for w in found]
    if len(set(keys)) != len(keys):
        issues.append(Issue(where, "the same warning is listed twice"))
    return tuple(found)


def _parse_offset(value: object, place: str, issues: list[Issue]) -> int | None:
    if value == "due":
        return 0
    match = _OFFSET.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        issues.append(Issue(place, f"{value!r}: write 'due', e.g. '30m before' or '1h after'"))
        return None
    try:
        amount = _duration_us(match.group(1))
    except ValueError as exc:
        issues.append(Issue(place, str(exc)))
        return None
    return -amount if match.group(2) == "before" else amount


def _parse_actions(value: object, place: str, issues: list[Issue]) -> tuple[Action, ...]:
    if not isinstance(value, list) or not value:
        issues.append(Issue(place, f"give at least one action: {', '.join(ACTIONS)}"))
        return ()
    actions: list[Action] = []
    for i, item in enumerate(value):
        where = f"{place}[{i}]"
        if not isinstance(item, Mapping) or len(item) != 1:
            issues.append(
                Issue(
                    where,
                    f"one action per item, e.g. {{add_tag: escalated}}; use {', '.join(ACTIONS)}",
                )
            )
            continue
        ((kind, options),) = item.items()
        if kind not in ACTIONS:
            issues.append(Issue(f"{where}.{kind}", f"unknown action; use {', '.join(ACTIONS)}"))
            continue
        problem = _check_action(kind, options)
        if problem:
            issues.append(Issue(f"{where}.{kind}", problem))
            continue
        actions.append(
            Action(kind, options if isinstance(options, Mapping) else {"value": options})
        )
    return tuple(actions)


def _check_action(kind: str, options: object) -> str | None:
    if kind in ("raise_priority", "add_tag"):
        return None if isinstance(options, str) and options else "give the priority or tag as text"
    if not isinstance(options, Mapping):
        return "give the action's options as a mapping"
    if kind == "notify":
        channels = options.get("channels")
        if (
            not isinstance(channels, list)
            or not channels
            or not all(isinstance(c, str) for c in channels)
        ):
            return "notify needs channels: a list such as [slack, email]"
    if kind == "reassign" and not (
        isinstance(options.get("group"), str) or isinstance(options.get("assignee"), str)
    ):
        return "reassign needs a group or an assignee"
    if kind == "webhook" and not (
        isinstance(options.get("url"), str) and options["url"].startswith(("http://", "https://"))
    ):
        return "webhook needs an http(s) url"
    return None


def parse_escalations(value: object, where: str, issues: list[Issue]) -> tuple[Escalation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        issues.append(Issue(where, "write a list of levels, each with at and actions"))
        return ()
    levels: list[Escalation] = []
    for i, item in enumerate(value):
        place = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            issues.append(Issue(place, "a level is a mapping with at, time and actions"))
            continue
        unknown = set(item) - {"at", "time", "actions"}
        if unknown:
            issues.append(
                Issue(place, f"unknown field(s) {sorted(map(str, unknown))}; use at, time, actions")
            )
        offset = _parse_offset(item.get("at"), f"{place}.at", issues)
        time = item.get("time", "business")
        if time not in TIMES:
            issues.append(Issue(f"{place}.time", f"{time!r} must be business or calendar"))
        actions = _parse_actions(item.get("actions"), f"{place}.actions", issues)
        if offset is not None and actions:
            levels.append(Escalation(i + 1, offset, time == "calendar", actions))
    offsets = [(e.calendar_time, e.offset) for e in levels]
    if offsets != sorted(offsets, key=lambda pair: pair[1]):
        issues.append(Issue(where, "levels must be in the order they fire"))
    return tuple(levels)


def plan(
    clock: Clock,
    warnings: Sequence[Alert],
    escalations: Sequence[Escalation],
    calendar: BusinessCalendar,
    now: int,
) -> list[Firing]:
    """What fires for a running clock, and when (µs), as seen at ``now``; soonest first.

    ``clock`` is the clock as evaluated at ``now`` (its ``elapsed`` is the business time used by
    then). Instants already past are included (a worker that was down fires them late).
    A paused or stopped clock plans only its breach, if it has one: it is re-planned when it
    runs again, and a clock met meanwhile never warns.
    """
    if clock.due_at is None:
        return []
    if clock.status != "active":
        return [Firing("breach", "breach", clock.due_at)] if clock.breached else []
    target = clock.target
    firings: list[Firing] = []

    def when_elapsed(amount: int) -> int:
        """The instant the clock's elapsed time reaches ``amount`` (running from ``now`` on)."""
        if amount <= clock.elapsed:
            return now  # already passed: the worker fires it at once and marks it late
        return calendar.add_us(now, amount - clock.elapsed)

    for w in warnings:
        amount = int(w.share * target) if w.share is not None else target - w.before
        if amount > 0:
            firings.append(Firing("warning", w.key, when_elapsed(amount)))
    firings.append(Firing("breach", "breach", clock.due_at))
    for e in escalations:
        if e.calendar_time:
            at = clock.due_at + e.offset
        elif e.offset <= 0:
            at = when_elapsed(max(target + e.offset, 0))
        else:
            at = calendar.add_us(clock.due_at, e.offset)
        firings.append(Firing("escalation", e.key, at))
    firings.sort(key=lambda f: (f.at, f.kind, f.key))
    return firings


def next_check(firings: Sequence[Firing], after: int | None = None) -> int | None:
    """The earliest firing's instant (after ``after`` when given), or None when nothing is left."""
    found = [f.at for f in firings if after is None or f.at > after]
    return min(found) if found else None
