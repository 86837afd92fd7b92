"""SLA policies (SPEC §3): scope, conditions, per-priority targets, and which policy applies.

A policy applies to a clock when its scope (customer, service) and its ``when`` conditions match
the ticket's attributes and it has a target for the clock's metric and the ticket's priority (or a
``default``). Policies are tried most specific first — customer with service, customer, service,
corporate — and in file order within one specificity.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from slakeeper.domain.customers import EMPTY, Directory

if TYPE_CHECKING:
    from collections.abc import Mapping

    from slakeeper.domain.alerts import Alert, Escalation
    from slakeeper.domain.calendar import BusinessCalendar
    from slakeeper.domain.channels import Route

METRICS = ("first_response", "next_response", "periodic_update", "resolution")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
DONE = frozenset({"solved", "closed"})
LEVELS = ("corporate", "service", "customer")
DEFAULT_PAUSE = frozenset({"pending", "on_hold"})
DEFAULT_PRIORITY = "default"


class Attributes(NamedTuple):
    """What a policy can look at: the ticket's attributes at one instant.

    The first six fields are all that selection depends on (``assignee`` is informational).
    """

    priority: str = "normal"
    channel: str | None = None
    customer: str | None = None
    service: str | None = None
    group: str | None = None
    tags: frozenset[str] = frozenset()
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class Conditions:
    """A policy's ``when``: every given condition must hold."""

    priority: frozenset[str] | None = None
    channel: frozenset[str] | None = None
    group: frozenset[str] | None = None
    tags_any: frozenset[str] | None = None
    tags_all: frozenset[str] | None = None
    tags_none: frozenset[str] | None = None
    # customer_<name>: the customer's (or its organisation's) attribute <name> is one of these
    customer: tuple[tuple[str, frozenset[str]], ...] = ()

    def mismatch(self, attrs: Attributes, directory: Directory = EMPTY) -> str | None:
        """None when the conditions hold, else why not (for explanations)."""
        for name, wanted, actual in (
            ("priority", self.priority, attrs.priority),
            ("channel", self.channel, attrs.channel),
            ("group", self.group, attrs.group),
        ):
            if wanted is not None and actual not in wanted:
                return f"{name} {_shown(actual)} is not in {sorted(wanted)}"
        if self.tags_any is not None and not (self.tags_any & attrs.tags):
            return f"none of the tags {sorted(self.tags_any)} is present"
        if self.tags_all is not None and not self.tags_all <= attrs.tags:
            return f"tags {sorted(self.tags_all - attrs.tags)} are missing"
        if self.tags_none is not None and self.tags_none & attrs.tags:
            return f"excluded tags {sorted(self.tags_none & attrs.tags)} are present"
        for name, wanted in self.customer:
            actual = directory.attribute(attrs.customer, name)
            if actual not in wanted:
                who = f"customer {_shown(attrs.customer)}"
                has = "has no " + name if actual is None else f"{name} is {actual!r}"
                return f"{who} {has}, not one of {sorted(wanted)}"
        return None


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    level: str
    customer: str | None
    service: str | None
    when: Conditions
    calendar: BusinessCalendar
    targets: Mapping[str, Mapping[str, int]]  # metric -> priority -> target in µs
    pause_statuses: frozenset[str] = DEFAULT_PAUSE
    position: int = 0  # index in the file
    alerts: tuple[Alert, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    notify: Route | None = None  # where warnings and breaches go (else the configuration's)
    # the clocks it may apply to start in [valid_from, valid_until) (µs; its own validity and,
    # for a customer-level policy, the customer's contract); ``validity`` says so in words
    valid_from: int | None = None
    valid_until: int | None = None
    validity: str = ""

    @property
    def specificity(self) -> int:
        """3 customer with service, 2 customer, 1 service, 0 corporate."""
        return (2 if self.customer else 0) + (1 if self.service else 0)

    def target_for(self, metric: str, priority: str) -> int | None:
        by_priority = self.targets.get(metric)
        if by_priority is None:
            return None
        target = by_priority.get(priority)
        return by_priority.get(DEFAULT_PRIORITY) if target is None else target

    def scope_mismatch(self, attrs: Attributes) -> str | None:
        if self.customer is not None and attrs.customer != self.customer:
            return f"customer {_shown(attrs.customer)} is not {self.customer!r}"
        if self.service is not None and attrs.service != self.service:
            return f"service {_shown(attrs.service)} is not {self.service!r}"
        return None

    def validity_mismatch(self, started_at: int | None) -> str | None:
        """Why a clock started at ``started_at`` is outside the policy's validity, or None."""
        if started_at is None:
            return None
        if (self.valid_from is not None and started_at < self.valid_from) or (
            self.valid_until is not None and started_at >= self.valid_until
        ):
            return f"the clock started outside the policy's validity ({self.validity})"
        return None


@dataclass(frozen=True, slots=True)
class Selection:
    policy: Policy
    target: int  # µs


@dataclass(frozen=True, slots=True)
class Verdict:
    """One step of a selection, for explanations: a policy and why it did or did not apply."""

    policy: str
    applies: bool
    reason: str


@dataclass(slots=True)
class PolicyBook:
    """The policies in selection order, with a cache of answers per (metric, attributes)."""

    policies: tuple[Policy, ...]
    directory: Directory = EMPTY
    _cache: dict[tuple[object, ...], Selection | None] = field(default_factory=dict)
    _by_name: dict[str, Policy] = field(default_factory=dict)
    _bounds: tuple[int, ...] = ()  # every validity boundary, sorted

    @classmethod
    def of(cls, policies: tuple[Policy, ...], directory: Directory = EMPTY) -> PolicyBook:
        ordered = tuple(sorted(policies, key=lambda p: (-p.specificity, p.position)))
        bounds = {b for p in ordered for b in (p.valid_from, p.valid_until) if b is not None}
        return cls(ordered, directory, {}, {p.name: p for p in ordered}, tuple(sorted(bounds)))

    def _rejects(self, policy: Policy, attrs: Attributes, started_at: int | None) -> str | None:
        return (
            policy.scope_mismatch(attrs)
            or policy.when.mismatch(attrs, self.directory)
            or policy.validity_mismatch(started_at)
        )

    def named(self, name: str) -> Policy | None:
        """The policy called ``name`` (a stored clock names the policy it was judged by)."""
        return self._by_name.get(name)

    def select(
        self, metric: str, attrs: Attributes, started_at: int | None = None
    ) -> Selection | None:
        """The policy that applies to a clock of ``metric`` started at ``started_at`` (validity
        dates are judged there; None: ignored) on a ticket with ``attrs``, and its target."""
        # clocks started between the same two validity boundaries see the same policies
        epoch = 0 if started_at is None else bisect_right(self._bounds, started_at)
        key = (metric, *attrs[:6], epoch, started_at is None)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found: Selection | None = None
        for policy in self.policies:
            if self._rejects(policy, attrs, started_at):
                continue
            target = policy.target_for(metric, attrs.priority)
            if target is not None:
                found = Selection(policy, target)
                break
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[key] = found
        return found

    def explain(
        self, metric: str, attrs: Attributes, started_at: int | None = None
    ) -> list[Verdict]:
        """Every policy tried, in order, up to and including the one that applies."""
        verdicts = []
        for policy in self.policies:
            reason = self._rejects(policy, attrs, started_at)
            if reason is None and policy.target_for(metric, attrs.priority) is None:
                reason = f"no {metric} target for priority {attrs.priority!r} and no default"
            if reason is None:
                why = _why_applies(policy, attrs)
                verdicts.append(Verdict(policy.name, True, why))
                break
            verdicts.append(Verdict(policy.name, False, reason))
        return verdicts


def _shown(value: str | None) -> str:
    return "(none)" if value is None else repr(value)


def _why_applies(policy: Policy, attrs: Attributes) -> str:
    scope = {3: "customer and service", 2: "customer", 1: "service", 0: "corporate"}[
        policy.specificity
    ]
    parts = [f"most specific match ({scope} level)"]
    if policy.customer:
        parts.append(f"customer {attrs.customer!r}")
    if policy.service:
        parts.append(f"service {attrs.service!r}")
    conditions = [
        k
        for k in ("priority", "channel", "group", "tags_any", "tags_all", "tags_none")
        if getattr(policy.when, k) is not None
    ]
    conditions.extend(f"customer_{name}" for name, _ in policy.when.customer)
    if conditions:
        parts.append("when " + ", ".join(conditions) + " hold")
    if policy.validity:
        parts.append(f"the clock started within its validity ({policy.validity})")
    parts.append(f"target for priority {attrs.priority!r}")
    return "; ".join(parts)


def frozen_targets(targets: dict[str, dict[str, int]]) -> Mapping[str, Mapping[str, int]]:
    return MappingProxyType({m: MappingProxyType(dict(t)) for m, t in targets.items()})
