"""Warnings, breaches and escalation levels of a policy, and when each fires for a clock.

Configuration (per policy, see docs/semantics.md §9)::

    alerts:                       # warnings before the due instant
      - "75%"                     # when 75% of the target has elapsed (business time)
      - "30m before"              # 30 minutes of business time before due
      - "risk"                    # when the breach-risk model's risk reaches its threshold
      - "risk 60%"                # ... or this risk (docs/prediction.md)
    escalations:                  # ordered levels, each at an offset from the due instant
      - at: "30m before"          # or "1h after", or "due"; business time unless time: calendar
        time: business
        actions:
          - {notify: {channels: [slack, email], to: [oncall@example.com]}}
          - {reassign: {group: tier2}}      # or {assignee: ...}
          - {raise_priority: urgent}
          - {add_tag: escalated}
          - {add_note: "Breached: the duty manager has been told"}   # an internal note
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
from slakeeper.domain.channels import sendable_url
from slakeeper.domain.clocks import Clock
from slakeeper.domain.durations import parse_duration
from slakeeper.domain.errors import Issue

_US = 1_000_000
_SHARE = re.compile(r"^(\d{1,3}(?:\.\d+)?)%$")
_OFFSET = re.compile(r"^(\S+)\s+(before|after)$")
_RISK = re.compile(r"^risk(?:\s+(\d{1,3}(?:\.\d+)?)%)?$")
_SECRET_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
ACTIONS = ("notify", "reassign", "raise_priority", "add_tag", "add_note", "webhook")
# the actions written with one text, and the name it has in the message: {add_tag: x} -> tag x
TEXT_OPTION = {"raise_priority": "priority", "add_tag": "tag", "add_note": "note"}
TIMES = ("business", "calendar")


@dataclass(frozen=True, slots=True)
class Alert:
    """A warning before due: at a share of the target, a business time before due, or when the
    breach-risk model's risk reaches a threshold (``risk``; fired by the risk watch, not planned
    here)."""

    key: str  # as written, normalised: "75%", "30m before", "risk", "risk 60%" (its name)
    share: Fraction | None = None
    before: int = 0  # µs of business time before due
    risk: bool = False
    risk_at: Fraction | None = None  # the risk that warns; None: the model's own threshold


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
    at: str = "due"  # as written, normalised: "due", "30m before", "1h after"

    @property
    def key(self) -> str:
        """The threshold's name, from when it fires (not its position): adding, removing or
        reordering levels keeps what has fired fired."""
        return f"escalation {self.at}" + (" calendar" if self.calendar_time else "")


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
        risk = _RISK.match(text) if text else None
        if risk:
            if risk.group(1) is None:
                found.append(Alert("risk", risk=True))
                continue
            percent = Fraction(risk.group(1))
            if not 0 < percent < 100:
                issues.append(Issue(place, f"{item!r}: a risk must lie between 0% and 100%"))
                continue
            found.append(Alert(f"risk {risk.group(1)}%", risk=True, risk_at=percent / 100))
        elif share:
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
                Issue(
                    place,
                    f"{item!r} is not a warning; write e.g. '75%', '30m before' or 'risk 60%'",
                )
            )
    keys = [w.key for w in found]
    if len(set(keys)) != len(keys):
        issues.append(Issue(where, "the same warning is listed twice"))
    if sum(w.risk for w in found) > 1:
        issues.append(Issue(where, "list one risk warning"))
    return tuple(found)


def _parse_offset(value: object, place: str, issues: list[Issue]) -> int | None:
    if value == "due":
        return 0
    if isinstance(value, str) and value.strip() == "due":
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
    if kind in TEXT_OPTION:
        what = TEXT_OPTION[kind]
        return None if isinstance(options, str) and options.strip() else f"give the {what} as text"
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
        to = options.get("to", [])
        if not isinstance(to, list) or not all(isinstance(r, str) and r for r in to):
            return "notify's to is a list of recipients (addresses, phone numbers)"
    if kind == "reassign" and not (
        isinstance(options.get("group"), str) or isinstance(options.get("assignee"), str)
    ):
        return "reassign needs a group or an assignee"
    if kind == "webhook" and not (
        isinstance(options.get("url"), str) and sendable_url(options["url"])
    ):
        return "webhook needs an http(s) url (ASCII; %-encode the rest)"
    if kind == "webhook" and not (
        options.get("secret") is None or _SECRET_REF.match(str(options["secret"]))
    ):
        return "write the webhook's secret as ${NAME}: it is read from the worker's environment"
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
            at = "due" if offset == 0 else " ".join(str(item["at"]).split())
            levels.append(Escalation(i + 1, offset, time == "calendar", actions, at))
    offsets = [(e.calendar_time, e.offset) for e in levels]
    if offsets != sorted(offsets, key=lambda pair: pair[1]):
        issues.append(Issue(where, "levels must be in the order they fire"))
    keys = [e.key for e in levels]
    if len(set(keys)) != len(keys):
        issues.append(Issue(where, "two levels fire at the same offset; merge their actions"))
    return tuple(levels)


def plan(
    clock: Clock,
    warnings: Sequence[Alert],
    escalations: Sequence[Escalation],
    calendar: BusinessCalendar,
    now: int,
) -> list[Firing]:
    """What fires for a clock, and when (µs), as seen at ``now``; soonest first.

    ``clock`` is the clock as evaluated at ``now`` (its ``elapsed`` is the business time used by
    then). Instants already past are included (a worker that was down fires them late). Once the
    clock is breached, warnings and levels before due are moot and not planned. A paused clock
    plans only its breach and the levels at or after due, if it is breached; a stopped one only
    its breach: it is re-planned when it runs again, and a clock met meanwhile never warns.
    """
    if clock.due_at is None:
        return []
    due = clock.due_at
    target = clock.target
    if clock.status != "active":
        if not clock.breached:
            return []
        firings = [Firing("breach", "breach", due)]
        if clock.stopped_at is None:  # paused after its breach: levels after due still come
            firings += [
                Firing("escalation", e.key, _after_due(e, due, calendar))
                for e in escalations
                if e.offset >= 0
            ]
        return sorted(firings, key=lambda f: (f.at, f.kind, f.key))
    breached = due <= now  # warnings and levels before due no longer matter
    firings = []

    def when_elapsed(amount: int) -> int:
        """The instant the clock's elapsed time reaches ``amount``.

        Ahead of ``now`` it runs on from ``now``; already passed, it is the earliest instant it
        can have been reached — exact for a clock that never paused (a late firing is then judged
        against when it should have fired, not when it was noticed).
        """
        if amount > clock.elapsed:
            return calendar.add_us(now, amount - clock.elapsed)
        return min(now, calendar.add_us(clock.started_at, amount))

    if not breached:
        for w in warnings:
            if w.risk:  # fired by the risk watch when the model's risk is reached
                continue
            amount = int(w.share * target) if w.share is not None else target - w.before
            if amount > 0:
                firings.append(Firing("warning", w.key, when_elapsed(amount)))
    firings.append(Firing("breach", "breach", due))
    for e in escalations:
        if e.offset < 0 and breached:
            continue
        if e.offset >= 0:
            at = _after_due(e, due, calendar)
        elif e.calendar_time:
            at = due + e.offset
        else:
            at = when_elapsed(max(target + e.offset, 0))
        firings.append(Firing("escalation", e.key, at))
    firings.sort(key=lambda f: (f.at, f.kind, f.key))
    return firings


def _after_due(e: Escalation, due: int, calendar: BusinessCalendar) -> int:
    """A level at or after the due instant: a fixed instant, whatever the clock does next."""
    return due + e.offset if e.calendar_time else calendar.add_us(due, e.offset)


def next_check(firings: Sequence[Firing], after: int | None = None) -> int | None:
    """The earliest firing's instant (after ``after`` when given), or None when nothing is left."""
    found = [f.at for f in firings if after is None or f.at > after]
    return min(found) if found else None
