"""OpenSLO v1 documents for slakeeper's availability objectives, both ways: what maps goes into
the standard fields, what is slakeeper's own into annotations under the reserved prefix
``slakeeper.io/`` (values are strings; JSON for structured ones), so a round trip gives back the
same objectives and maintenance windows. Only strings in and out: the callers read and write files.

Sources (the OpenSLO repository, github.com/OpenSLO/OpenSLO):

- ``README.md``, the v1 specification: the general schema (``apiVersion: openslo/v1``,
  ``metadata.name``/``displayName``/``annotations`` as ``map[string]string`` whose keys may carry a
  DNS-subdomain prefix, ``openslo.com/`` reserved; RFC 1123 names); the *duration-shorthand*
  (a positive integer and one of ``m h d w M Q Y``); SLO (``service``, ``indicator`` or
  ``indicatorRef``, ``timeWindow`` with exactly one item — ``{duration, isRolling: true}`` or
  ``{duration, calendar: {startTime, timeZone}, isRolling: false}``, ``startTime`` a local time
  without an offset, ``timeZone`` an IANA name —, ``budgetingMethod``, ``objectives``,
  ``alertPolicies``); Objectives (``target`` in [0, 1) or ``targetPercent`` in [0, 100), never
  both; ``timeSliceTarget`` and ``timeSliceWindow`` for Timeslices); SLI (``ratioMetric``
  good/bad/total or raw, or ``thresholdMetric``); AlertPolicy, AlertCondition,
  AlertNotificationTarget, DataSource and Service.
- ``pkg/openslo/v1/slo.go``: the budgeting methods ``Occurrences``, ``Timeslices`` and
  ``RatioTimeslices``; a composite SLO is one whose objectives carry their own ``indicator`` /
  ``indicatorRef`` (and ``compositeWeight``).
- ``examples/budgeting-method/*.yaml`` and ``pkg/openslo/v1/examples/slos.yaml``: SLOs with an
  inline ratio-metric indicator, Occurrences over a rolling ``2w``, Timeslices with
  ``timeSliceTarget``/``timeSliceWindow: 1m`` over a calendar window; files holding a YAML list
  of objects.

The mapping (slakeeper → OpenSLO):

==========================================  ====================================================
service name                                ``Service`` ``metadata.name`` (an RFC 1123 label;
                                            the name itself in ``displayName`` and, when the
                                            label differs, ``slakeeper.io/name``)
service components                          Service ``slakeeper.io/components`` (JSON list)
service maintenance windows                 Service ``slakeeper.io/maintenance-windows`` (JSON,
                                            as in the configuration)
``impact_weights`` (when not the default)   every Service's ``slakeeper.io/impact-weights``
objective name                              ``SLO`` ``metadata.name`` (+ ``slakeeper.io/name``),
                                            with an ``SLI`` of its own (``indicatorRef``)
target                                      ``objectives[0].target`` (a number: 0.999; exactly in
                                            ``slakeeper.io/target`` when a float cannot say it)
calendar window month | quarter | year      ``timeWindow: [{duration: 1M | 1Q | 1Y,
                                            isRolling: false, calendar: {startTime, timeZone}}]``
rolling window of N days                    ``timeWindow: [{duration: Nd, isRolling: true}]``
method occurrences | timeslices |           ``budgetingMethod`` Occurrences | Timeslices |
ratio_timeslices                            RatioTimeslices (``timeSliceWindow: 1m``)
method time (judged from incidents)         ``budgetingMethod: Timeslices``, ``timeSliceWindow:
                                            1m``, ``slakeeper.io/method: time``
slice_target                                ``timeSliceTarget`` (Timeslices), else
                                            ``slakeeper.io/slice-target`` when not 100%
maintenance policy                          ``slakeeper.io/maintenance``
unknown-slice policy                        ``slakeeper.io/unknown``
objective weights (when not the global)     ``slakeeper.io/weights`` (JSON)
explicit ``alerts`` (flags)                 SLO ``slakeeper.io/alerts`` (JSON budget_exhausted,
                                            credit_tiers; its presence marks explicit rules)
each burn-rate rule                         an ``AlertPolicy`` (the spec allows one condition
                                            per policy) in the SLO's ``alertPolicies``, its
                                            inline ``AlertCondition``: ``severity``,
                                            ``condition: {kind: burnrate, op: gt, threshold:
                                            budget*30d/long, lookbackWindow: long, alertAfter:
                                            short}``; the exact budget in ``slakeeper.io/budget``
                                            (and a span not in whole minutes in
                                            ``slakeeper.io/long`` / ``short``)
==========================================  ====================================================

Import reads one or many YAML documents (or a YAML list of objects) of kinds Service, SLO, SLI,
AlertPolicy and AlertCondition (referred to by name or inline; notification targets are not
kept: slakeeper's alert destinations are configured on their own); SLI queries are not kept
(slakeeper is sent good/total counts and incidents through its API, it queries no metric source).
Anything without a place in slakeeper — another kind, several objectives in one SLO, a composite
SLO, an alert condition other than ``burnrate`` with ``op: gt`` and a page or ticket severity, an
alert policy or condition nothing refers to, a calendar window other than 1M/1Q/1Y or one that
does not start at local midnight on the first of a month, a rolling window in months — is refused with an :class:`InvalidInput` naming each document and field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

import yaml

from slakeeper.adapters.config_file import _Expands, _Loader  # the alias-bomb-proof safe loader
from slakeeper.domain.availability import (
    DEFAULT_WEIGHTS,
    MAINTENANCE_POLICIES,
    UNKNOWN_POLICIES,
    CalendarWindow,
    Maintenance,
    Objective,
    burn_factor,
)
from slakeeper.domain.availability_alerts import AlertRules
from slakeeper.domain.availability_config import AvailabilityConfig, parse_availability, share
from slakeeper.domain.calendar_spec import WEEKDAYS, load_zone
from slakeeper.domain.durations import format_duration, parse_duration
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.events import format_instant

API_VERSION = "openslo/v1"
PREFIX = "slakeeper.io/"
KINDS = ("Service", "SLO", "SLI", "AlertPolicy", "AlertCondition")
START_TIME = "2020-01-01 00:00:00"  # a local midnight that begins a month, a quarter and a year

_DURATIONS = {"month": "1M", "quarter": "1Q", "year": "1Y"}
_UNITS = {v: k for k, v in _DURATIONS.items()}
_BUDGETING = {
    "time": "Timeslices",
    "occurrences": "Occurrences",
    "timeslices": "Timeslices",
    "ratio_timeslices": "RatioTimeslices",
}
_METHODS = {"Occurrences": "occurrences", "Timeslices": "timeslices"}
_METHODS["RatioTimeslices"] = "ratio_timeslices"
_SLICE_WINDOW = "1m"
_SHORTHAND = re.compile(r"^([1-9][0-9]*)([mhdwMQY])$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,127}$")  # a slakeeper name
_FAR = 253_402_300_799 * 1_000_000  # a weekly window without `until`
_SERVICE_NOTES = ("name", "components", "maintenance-windows", "impact-weights")
_SLO_NOTES = (
    "name",
    "method",
    "target",
    "slice-target",
    "maintenance",
    "unknown",
    "weights",
    "alerts",
)
_SLI_NOTES = ("name",)
_CONDITION_NOTES = ("name", "budget", "long", "short")
_ALERT_WINDOW = 30 * 86_400_000_000  # burn-rate thresholds are factors for a 30-day window
_MINUTE = 60_000_000
_SPAN_UNITS = {"m": 1, "h": 60, "d": 1440, "w": 10080}  # minutes; M Q Y have no fixed length


# -- export ------------------------------------------------------------------------------------


def export_documents(config: AvailabilityConfig) -> str:
    """Every service as a ``Service``, every objective as an ``SLI`` and an ``SLO``: one YAML
    stream of OpenSLO v1 documents."""
    documents: list[dict[str, Any]] = []
    service_names: set[str] = set()
    slo_names: set[str] = set()
    sli_names: set[str] = set()
    policy_names: set[str] = set()
    global_weights = dict(config.weights)
    for service in config.services.values():
        label = _unique(_label(service.name), service_names)
        notes: dict[str, str] = {}
        if service.components:
            notes["components"] = json.dumps(list(service.components))
        if service.maintenance:
            notes["maintenance-windows"] = json.dumps(
                [_maintenance_spec(m) for m in service.maintenance]
            )
        if global_weights != dict(DEFAULT_WEIGHTS):
            notes["impact-weights"] = json.dumps(_weights_spec(global_weights))
        documents.append(
            _document(
                "Service",
                label,
                service.name,
                notes,
                {"description": f"slakeeper service {service.name}"},
            )
        )
        for objective in service.objectives:
            slo = _unique(_label(objective.name), slo_names)
            sli = _unique(_label(f"{slo}-sli"), sli_names)
            documents.append(_sli(objective, sli))
            slo_document = _slo(objective, slo, label, sli, global_weights)
            documents.append(slo_document)
            rules = service.alerts.get(objective.name)
            if rules is not None:
                documents.extend(_alert_policies(rules, objective, slo_document, policy_names))
    if not documents:
        return ""
    body = yaml.safe_dump_all(
        documents, sort_keys=False, allow_unicode=True, explicit_start=True, width=4096
    )
    return f"# OpenSLO v1 ({API_VERSION}), exported by slakeeper\n{body}"


def _document(
    kind: str, label: str, name: str, notes: Mapping[str, str], spec: dict[str, Any]
) -> dict[str, Any]:
    annotations = {PREFIX + key: value for key, value in notes.items()}
    if label != name:
        annotations = {PREFIX + "name": name, **annotations}
    metadata: dict[str, Any] = {"name": label, "displayName": name}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def _sli(objective: Objective, label: str) -> dict[str, Any]:
    if objective.method == "time":
        signal, good, total = "incidents", "time up, by impact weight", "eligible time"
        text = "incidents on the service, each counting down by its impact's weight"
    else:
        signal, good, total = "measurements", "good", "total"
        text = "good and total counts (probe results) sent to slakeeper for the service"

    def source(query: str) -> dict[str, Any]:
        spec = {"service": objective.service, "signal": signal, "query": query}
        return {"metricSource": {"type": "slakeeper", "spec": spec}}

    spec = {
        "description": f"{objective.service}: {text}",
        "ratioMetric": {"counter": False, "good": source(good), "total": source(total)},
    }
    metadata = {"name": label, "displayName": f"{objective.name} indicator"}
    return {"apiVersion": API_VERSION, "kind": "SLI", "metadata": metadata, "spec": spec}


def _slo(
    objective: Objective,
    label: str,
    service: str,
    sli: str,
    global_weights: Mapping[str, Fraction],
) -> dict[str, Any]:
    notes: dict[str, str] = {}
    if objective.method == "time":
        notes["method"] = "time"
    if _float(objective.target) is None:
        notes["target"] = _exact(objective.target)
    threshold: dict[str, Any] = {"target": float(objective.target)}
    if objective.method in ("time", "timeslices"):
        threshold["timeSliceTarget"] = float(objective.slice_target)
        if _float(objective.slice_target) is None:
            notes["slice-target"] = _exact(objective.slice_target)
    elif objective.slice_target != 1:
        notes["slice-target"] = _exact(objective.slice_target)
    if objective.method != "occurrences":
        threshold["timeSliceWindow"] = _SLICE_WINDOW
    notes["maintenance"] = objective.maintenance
    notes["unknown"] = objective.unknown
    if dict(objective.weights) != dict(global_weights):
        notes["weights"] = json.dumps(_weights_spec(objective.weights))
    window = objective.window
    if isinstance(window, CalendarWindow):
        time_window: dict[str, Any] = {
            "duration": _DURATIONS[window.unit],
            "isRolling": False,
            "calendar": {"startTime": START_TIME, "timeZone": window.zone.key},
        }
        span = f"each calendar {window.unit} in {window.zone.key}"
    else:
        time_window = {"duration": f"{window.days}d", "isRolling": True}
        span = f"the last {window.days} days"
    judged = (
        "time up, judged from incidents weighted by impact"
        if objective.method == "time"
        else f"{objective.method.replace('_', ' ')} of the measurements"
    )
    spec = {
        "description": f"{_percent(objective.target)} over {span} ({judged})",
        "service": service,
        "indicatorRef": sli,
        "timeWindow": [time_window],
        "budgetingMethod": _BUDGETING[objective.method],
        "objectives": [threshold],
    }
    return _document("SLO", label, objective.name, notes, spec)


def _alert_policies(
    rules: AlertRules, objective: Objective, slo: dict[str, Any], taken: set[str]
) -> list[dict[str, Any]]:
    """One ``AlertPolicy`` per burn-rate rule (the v1 specification allows one condition per
    policy), each with its ``AlertCondition`` inline, referenced from the SLO; the flags in the
    SLO's ``slakeeper.io/alerts``, whose presence says the rules were given explicitly."""
    flags = {"budget_exhausted": rules.budget_exhausted, "credit_tiers": rules.credit_tiers}
    slo["metadata"].setdefault("annotations", {})[PREFIX + "alerts"] = json.dumps(flags)
    base = slo["metadata"]["name"]
    policies: list[dict[str, Any]] = []
    for n, rule in enumerate(rules.burn_rates, 1):
        label = _unique(_label(f"{base}-burn-{n}"), taken)
        factor = burn_factor(rule.budget, _ALERT_WINDOW, rule.long)
        notes = {PREFIX + "budget": _exact(rule.budget)}
        for key, span in (("long", rule.long), ("short", rule.short)):
            if span % _MINUTE:
                notes[PREFIX + key] = format_duration(timedelta(microseconds=span))
        lookback, after = _shorthand(rule.long), _shorthand(rule.short)
        text = (
            f"{_percent(rule.budget)} of a 30-day error budget spent in {lookback} "
            f"(burn rate above {float(factor):g}x over {lookback} and {after})"
        )
        condition = {
            "kind": "AlertCondition",
            "metadata": {"name": label, "annotations": notes},
            "spec": {
                "description": text,
                "severity": rule.severity,
                "condition": {
                    "kind": "burnrate",
                    "op": "gt",
                    "threshold": float(factor),
                    "lookbackWindow": lookback,
                    "alertAfter": after,
                },
            },
        }
        spec = {
            "description": f"{objective.name}: {text}",
            "alertWhenBreaching": True,
            "alertWhenResolved": False,
            "alertWhenNoData": False,
            "conditions": [condition],
        }
        name = f"{objective.name} burn rate {n}"
        policy = {
            "apiVersion": API_VERSION,
            "kind": "AlertPolicy",
            "metadata": {"name": label, "displayName": name},
            "spec": spec,
        }
        policies.append(policy)
    if policies:
        slo["spec"]["alertPolicies"] = [{"alertPolicyRef": p["metadata"]["name"]} for p in policies]
    return policies


def _shorthand(us: int) -> str:
    """A span as an OpenSLO duration-shorthand in whole minutes (rounded up): 5m, 1h."""
    minutes = -(-us // _MINUTE)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def _maintenance_spec(m: Maintenance) -> dict[str, Any]:
    if not m.weekdays:
        return {"name": m.id, "start": format_instant(m.start), "end": format_instant(m.end)}
    spec: dict[str, Any] = {
        "name": m.id,
        "every": [WEEKDAYS[d] for d in m.weekdays],
        "at": f"{m.at // 60:02d}:{m.at % 60:02d}",
        "minutes": m.minutes,
        "timezone": m.zone.key if m.zone is not None else "UTC",
    }
    if m.start != 0:
        spec["from"] = format_instant(m.start)
    if m.end != _FAR:
        spec["until"] = format_instant(m.end)
    return spec


def _weights_spec(weights: Mapping[str, Fraction]) -> dict[str, str]:
    return {impact: _exact(weight) for impact, weight in weights.items()}


def _label(name: str) -> str:
    """An RFC 1123 label for ``name``: lowercase letters, digits and ``-``, at most 63."""
    label = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].rstrip("-")
    return label or "x"


def _unique(base: str, taken: set[str]) -> str:
    label, n = base, 2
    while label in taken:
        suffix = f"-{n}"
        label = base[: 63 - len(suffix)].rstrip("-") + suffix
        n += 1
    taken.add(label)
    return label


# -- numbers -----------------------------------------------------------------------------------


def _decimal(value: Fraction) -> str | None:
    """``value`` as exact decimal text, or None when it has no finite decimal expansion."""
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return None
    places = max(twos, fives)
    scaled = int(value * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, fraction = divmod(abs(scaled), 10**places)
    tail = f"{fraction:0{places}d}".rstrip("0") if places else ""
    return f"{sign}{whole}.{tail}" if tail else f"{sign}{whole}"


def _exact(value: Fraction) -> str:
    return _decimal(value) or f"{value.numerator}/{value.denominator}"


def _percent(value: Fraction) -> str:
    text = _decimal(value * 100)
    return f"{text}%" if text is not None else _exact(value)


def _float(value: Fraction) -> float | None:
    """``value`` as a float whose YAML text reads back exactly, or None."""
    number = float(value)
    return number if Fraction(repr(number)) == value else None


def _number(value: object) -> Fraction | None:
    """A YAML number (or numeric text) exactly as written."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    text = repr(value) if isinstance(value, float) else value
    if not isinstance(text, str):
        return None
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return None


def _plain(value: Fraction) -> int | float | str:
    """A share for the configuration: a number when YAML can say it exactly."""
    if value.denominator == 1:
        return int(value)
    number = _float(value)
    return number if number is not None else _exact(value)


# -- import ------------------------------------------------------------------------------------


@dataclass
class _Object:
    where: str  # "document 3 (SLO storage-monthly)"
    kind: str
    label: str
    name: str  # slakeeper.io/name, else the label
    notes: dict[str, str]
    spec: Mapping[str, Any]


@dataclass
class _ServiceOut:
    name: str
    components: list[str] = field(default_factory=list)
    maintenance: list[Any] = field(default_factory=list)
    objectives: list[dict[str, Any]] = field(default_factory=list)
    where: str = ""


def import_documents(text: str) -> dict[str, Any]:
    """The ``impact_weights`` (when the documents carry them) and ``services`` sections of a
    slakeeper configuration for the OpenSLO v1 objects in ``text``; raises
    :class:`InvalidInput` naming every object and field that has no place in slakeeper."""
    issues: list[Issue] = []
    objects = [o for o in (_object(n, v, issues) for n, v in _load(text)) if o is not None]
    for kind in KINDS:
        seen: dict[str, str] = {}
        for o in (o for o in objects if o.kind == kind):
            if o.label in seen:
                issues.append(
                    Issue(f"{o.where} metadata.name", f"{kind} {o.label!r} is also {seen[o.label]}")
                )
            seen.setdefault(o.label, o.where)
    slis = {o.label: o for o in objects if o.kind == "SLI"}
    for sli in slis.values():
        _indicator_spec(sli.spec, f"{sli.where} spec", issues)
    services: dict[str, _ServiceOut] = {}
    weights: dict[str, Any] | None = None
    weights_from = ""
    for o in objects:
        if o.kind != "Service" or o.label in services:
            continue
        out = _service(o, issues)
        services[o.label] = out
        found = _impact_weights(o, issues)
        if found is None:
            continue
        if weights is not None and found != weights:
            issues.append(
                Issue(
                    f"{o.where} metadata.annotations.{PREFIX}impact-weights",
                    f"differs from the impact weights of {weights_from}",
                )
            )
        weights, weights_from = found, o.where
    alerting = _Alerting(
        {o.label: o for o in objects if o.kind == "AlertPolicy"},
        {o.label: o for o in objects if o.kind == "AlertCondition"},
    )
    for o in objects:
        if o.kind == "SLO":
            _objective(o, slis, alerting, services, issues)
    for o in objects:
        if o.kind in ("AlertPolicy", "AlertCondition") and o.where not in alerting.used:
            by = "an SLO's alertPolicies" if o.kind == "AlertPolicy" else "an AlertPolicy"
            issues.append(
                Issue(
                    f"{o.where} metadata.name",
                    f"nothing refers to this {o.kind}: slakeeper keeps alert rules per objective; "
                    f"refer to it from {by} or leave it out",
                )
            )
    for service in services.values():
        names = [str(spec.get("name")) for spec in service.objectives]
        for name in {n for n in names if names.count(n) > 1}:
            issues.append(
                Issue(service.where, f"service {service.name!r} has two objectives named {name!r}")
            )
    by_name: dict[str, str] = {}
    for service in services.values():
        if service.name in by_name:
            issues.append(
                Issue(service.where, f"service {service.name!r} is also {by_name[service.name]}")
            )
        by_name.setdefault(service.name, service.where)
    if issues:
        raise InvalidInput(issues)
    result: dict[str, Any] = {}
    if weights is not None:
        result["impact_weights"] = weights
    result["services"] = [_service_spec(s) for s in services.values()]
    guard: list[Issue] = []
    parse_availability(result, guard)  # everything was checked at its source; this is a guard
    if guard:
        raise InvalidInput(
            [Issue(f"the converted configuration: {i.where}", i.message) for i in guard]
        )
    return result


def _load(text: str) -> list[tuple[int, object]]:
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except _Expands:
        raise InvalidInput([Issue("", "too many values once its aliases are expanded")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput([Issue(where, f"not valid YAML: {problem}")]) from None
    except RecursionError:
        raise InvalidInput([Issue("", "nested too deeply to be OpenSLO")]) from None
    found: list[object] = []
    for document in documents:
        if isinstance(document, list):
            found.extend(document)
        elif document is not None:
            found.append(document)
    if not found:
        raise InvalidInput([Issue("", "no OpenSLO objects: expected apiVersion: openslo/v1")])
    return list(enumerate(found, 1))


def _object(n: int, value: object, issues: list[Issue]) -> _Object | None:
    here = f"document {n}"
    if not isinstance(value, Mapping):
        issues.append(
            Issue(here, "an OpenSLO object: a mapping of apiVersion, kind, metadata, spec")
        )
        return None
    kind, metadata = value.get("kind"), value.get("metadata")
    label = metadata.get("name") if isinstance(metadata, Mapping) else None
    where = f"{here} ({kind} {label})" if isinstance(label, str) else f"{here} ({kind})"
    before = len(issues)
    if value.get("apiVersion") != API_VERSION:
        issues.append(
            Issue(f"{where} apiVersion", f"{value.get('apiVersion')!r}: slakeeper reads openslo/v1")
        )
    if kind not in KINDS:
        issues.append(
            Issue(
                f"{where} kind",
                f"{kind!r} has no place in slakeeper's configuration: it imports "
                f"{', '.join(KINDS)}; leave the {kind} out",
            )
        )
    if not isinstance(label, str) or not label:
        issues.append(Issue(f"{where} metadata.name", "every object needs a name"))
    spec = value.get("spec")
    if not isinstance(spec, Mapping):
        issues.append(Issue(f"{where} spec", "a mapping"))
    if len(issues) > before:
        _notes(metadata, kind, where, issues)
        return None
    notes = _notes(metadata, kind, where, issues)
    assert isinstance(label, str)
    assert isinstance(spec, Mapping)
    name = notes.get("name", label)
    if not _NAME.match(name):
        issues.append(
            Issue(
                f"{where} metadata.name",
                f"{name!r} is not a slakeeper name (a letter or digit, then letters, digits, "
                "space, _.:/-; at most 128)",
            )
        )
    return _Object(where, str(kind), label, name, notes, spec)


def _notes(metadata: object, kind: object, where: str, issues: list[Issue]) -> dict[str, str]:
    """The ``slakeeper.io/`` annotations, without the prefix."""
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if annotations is None:
        return {}
    here = f"{where} metadata.annotations"
    if not isinstance(annotations, Mapping):
        issues.append(Issue(here, "a mapping of strings"))
        return {}
    known = {"Service": _SERVICE_NOTES, "SLO": _SLO_NOTES, "AlertCondition": _CONDITION_NOTES}.get(
        str(kind), _SLI_NOTES
    )
    notes: dict[str, str] = {}
    for key, value in annotations.items():
        if not isinstance(key, str) or not key.startswith(PREFIX):
            continue
        short = key[len(PREFIX) :]
        if short not in known:
            issues.append(
                Issue(
                    f"{here}.{key}",
                    f"not a slakeeper annotation of a {kind}; use "
                    + ", ".join(PREFIX + k for k in known),
                )
            )
        elif not isinstance(value, str):
            issues.append(Issue(f"{here}.{key}", f"{value!r}: annotation values are strings"))
        else:
            notes[short] = value
    return notes


def _json(o: _Object, key: str, issues: list[Issue]) -> object:
    try:
        return json.loads(o.notes[key])
    except ValueError as exc:
        issues.append(Issue(f"{o.where} metadata.annotations.{PREFIX}{key}", f"not JSON: {exc}"))
        return None


def _service(o: _Object, issues: list[Issue]) -> _ServiceOut:
    out = _ServiceOut(o.name, where=o.where)
    if "components" in o.notes:
        here = f"{o.where} metadata.annotations.{PREFIX}components"
        components = _json(o, "components", issues)
        if not isinstance(components, list) or not all(
            isinstance(c, str) and _NAME.match(c) for c in components
        ):
            issues.append(Issue(here, "a JSON list of component names"))
        else:
            out.components = components
    if "maintenance-windows" in o.notes:
        here = f"{o.where} metadata.annotations.{PREFIX}maintenance-windows"
        windows = _json(o, "maintenance-windows", issues)
        if not isinstance(windows, list):
            issues.append(Issue(here, "a JSON list of maintenance windows"))
        else:
            found: list[Issue] = []
            parse_availability({"services": [{"name": "s", "maintenance": windows}]}, found)
            prefix = "services[0].maintenance"
            issues.extend(Issue(here + i.where.removeprefix(prefix), i.message) for i in found)
            out.maintenance = windows
    return out


def _impact_weights(o: _Object, issues: list[Issue]) -> dict[str, Any] | None:
    if "impact-weights" not in o.notes:
        return None
    return _weights(o, "impact-weights", issues)


def _weights(o: _Object, key: str, issues: list[Issue]) -> dict[str, Any] | None:
    here = f"{o.where} metadata.annotations.{PREFIX}{key}"
    value = _json(o, key, issues)
    if not isinstance(value, Mapping) or not value:
        issues.append(Issue(here, 'a JSON mapping of impacts to weights: {"major": "1"}'))
        return None
    out: dict[str, Any] = {}
    for impact, weight in value.items():
        got = share(weight, f"{here}.{impact}", issues)
        if not _NAME.match(impact):
            issues.append(Issue(f"{here}.{impact}", "not an impact name"))
        elif got is not None:
            out[impact] = _plain(got)
    return out


def _objective(
    o: _Object,
    slis: Mapping[str, _Object],
    alerting: _Alerting,
    services: dict[str, _ServiceOut],
    issues: list[Issue],
) -> None:
    spec, where = o.spec, f"{o.where} spec"
    before = len(issues)
    service = spec.get("service")
    if not isinstance(service, str) or not service:
        issues.append(Issue(f"{where}.service", "the name of the service the SLO belongs to"))
    objectives = spec.get("objectives")
    composite = isinstance(objectives, list) and any(
        isinstance(t, Mapping) and ({"indicator", "indicatorRef", "compositeWeight"} & set(t))
        for t in objectives
    )
    if composite:
        issues.append(
            Issue(
                f"{where}.objectives",
                "a composite SLO (objectives with their own indicators) has no counterpart: a "
                "slakeeper objective judges one indicator; split it into one SLO per indicator",
            )
        )
    else:
        _indicator(spec, where, slis, issues)
    threshold: Mapping[str, Any] = {}
    if composite:
        pass
    elif not isinstance(objectives, list) or not objectives:
        issues.append(Issue(f"{where}.objectives", "exactly one objective: [{target: 0.999}]"))
    elif len(objectives) > 1:
        issues.append(
            Issue(
                f"{where}.objectives",
                f"{len(objectives)} objectives: a slakeeper objective has one target; "
                "write one SLO per objective",
            )
        )
    elif not isinstance(objectives[0], Mapping):
        issues.append(Issue(f"{where}.objectives[0]", "a mapping with target or targetPercent"))
    else:
        threshold = objectives[0]
    alerts = _alerts(o, spec.get("alertPolicies"), where, alerting, issues)
    window = _window(spec.get("timeWindow"), f"{where}.timeWindow", issues)
    method = _method(o, spec.get("budgetingMethod"), where, issues)
    target = _target(o, threshold, f"{where}.objectives[0]", issues) if threshold else None
    slice_target = _slice_target(o, threshold, f"{where}.objectives[0]", issues)
    window_value = threshold.get("timeSliceWindow")
    if window_value is not None and not (
        (isinstance(window_value, int) and not isinstance(window_value, bool) and window_value > 0)
        or (isinstance(window_value, str) and _SHORTHAND.match(window_value))
    ):
        issues.append(
            Issue(
                f"{where}.objectives[0].timeSliceWindow",
                f"{window_value!r}: minutes or a duration such as 1m",
            )
        )
    policies: dict[str, str] = {}
    for key, allowed in (("maintenance", MAINTENANCE_POLICIES), ("unknown", UNKNOWN_POLICIES)):
        if key in o.notes:
            if o.notes[key] in allowed:
                policies[key] = o.notes[key]
            else:
                issues.append(
                    Issue(
                        f"{o.where} metadata.annotations.{PREFIX}{key}",
                        f"{o.notes[key]!r}: use {', '.join(allowed)}",
                    )
                )
    weights = _weights(o, "weights", issues) if "weights" in o.notes else None
    if len(issues) > before:
        return
    assert isinstance(service, str)
    assert target is not None
    assert window is not None
    assert method is not None
    out: dict[str, Any] = {"name": o.name, "target": _percent(target), "window": window}
    out["method"] = method
    if slice_target is not None and slice_target != 1:
        out["slice_target"] = _percent(slice_target)
    for key, policy in policies.items():
        if policy != ("excluded" if key == "maintenance" else "up"):
            out[key] = policy
    if weights is not None:
        out["weights"] = weights
    if alerts is not None:
        out["alerts"] = alerts
    owner = services.get(service)
    if owner is None:
        owner = services[service] = _ServiceOut(service, where=o.where)
    owner.objectives.append(out)


@dataclass
class _Alerting:
    policies: Mapping[str, _Object]
    conditions: Mapping[str, _Object]
    used: set[str] = field(default_factory=set)  # the ``where`` of every object referred to


def _alerts(
    o: _Object, value: object, where: str, alerting: _Alerting, issues: list[Issue]
) -> dict[str, Any] | None:
    """The objective's ``alerts`` from its alert policies (each condition a burn-rate rule) and
    ``slakeeper.io/alerts`` (the two flags); None when it has neither: the default rules."""
    flags: dict[str, bool] = {}
    if "alerts" in o.notes:
        found = _json(o, "alerts", issues)
        if (
            not isinstance(found, Mapping)
            or not set(found) <= {"budget_exhausted", "credit_tiers"}
            or not all(isinstance(v, bool) for v in found.values())
        ):
            issues.append(
                Issue(
                    f"{o.where} metadata.annotations.{PREFIX}alerts",
                    'a JSON mapping: {"budget_exhausted": true, "credit_tiers": true}',
                )
            )
        else:
            flags = dict(found)
    if value is None:
        value = []
    if not isinstance(value, list):
        issues.append(Issue(f"{where}.alertPolicies", "a list: [{alertPolicyRef: name}]"))
        return None
    if not value and "alerts" not in o.notes:
        return None
    rules: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        here = f"{where}.alertPolicies[{i}]"
        policy = _part(item, "alertPolicyRef", "AlertPolicy", alerting.policies, here, alerting)
        if isinstance(policy, Issue):
            issues.append(policy)
            continue
        p_where, _, _, p_spec = policy
        conditions = p_spec.get("conditions")
        if not isinstance(conditions, list) or not conditions:
            issues.append(
                Issue(f"{p_where}.conditions", "a list of AlertConditions: [{conditionRef: name}]")
            )
            continue
        for j, c in enumerate(conditions):
            found_c = _part(
                c,
                "conditionRef",
                "AlertCondition",
                alerting.conditions,
                f"{p_where}.conditions[{j}]",
                alerting,
            )
            if isinstance(found_c, Issue):
                issues.append(found_c)
                continue
            rule = _burn_rule(*found_c, issues)
            if rule is not None:
                rules.append(rule)
    return {"burn_rates": rules, **flags}


def _part(
    item: object,
    ref_key: str,
    kind: str,
    known: Mapping[str, _Object],
    here: str,
    alerting: _Alerting,
) -> tuple[str, str, dict[str, str], Mapping[str, Any]] | Issue:
    """A referred-to or inline ``kind``: where its spec is, where its annotations are, its
    ``slakeeper.io/`` annotations and its spec."""
    if isinstance(item, Mapping) and ref_key in item:
        ref = item[ref_key]
        found = known.get(ref) if isinstance(ref, str) else None
        if found is None:
            names = ", ".join(sorted(known)) or "none in these documents"
            return Issue(f"{here}.{ref_key}", f"{ref!r} names no {kind} here ({kind}s: {names})")
        alerting.used.add(found.where)
        return f"{found.where} spec", f"{found.where} metadata.annotations", found.notes, found.spec
    if not isinstance(item, Mapping) or not isinstance(item.get("spec"), Mapping):
        return Issue(here, f"{{{ref_key}: name}} or an inline {kind}: {{kind, metadata, spec}}")
    if item.get("kind", kind) != kind:
        return Issue(f"{here}.kind", f"{item.get('kind')!r}: an inline {kind}")
    found_issues: list[Issue] = []
    notes = _notes(item.get("metadata"), kind, here, found_issues)
    if found_issues:
        return found_issues[0]
    return f"{here}.spec", f"{here}.metadata.annotations", notes, item["spec"]


def _burn_rule(
    where: str,
    notes_at: str,
    notes: Mapping[str, str],
    spec: Mapping[str, Any],
    issues: list[Issue],
) -> dict[str, Any] | None:
    """A burn-rate rule from an AlertCondition: ``op: gt`` over ``lookbackWindow`` (the long
    window) and ``alertAfter`` (the short one), ``threshold`` a factor for 30 days."""
    before = len(issues)
    severity = spec.get("severity")
    if severity not in ("page", "ticket"):
        issues.append(
            Issue(
                f"{where}.severity",
                f"{severity!r}: slakeeper's burn-rate alerts are page or ticket",
            )
        )
    condition = spec.get("condition")
    here = f"{where}.condition"
    if not isinstance(condition, Mapping):
        issues.append(
            Issue(here, "{kind: burnrate, op: gt, threshold, lookbackWindow, alertAfter}")
        )
        return None
    kind = condition.get("kind", "burnrate")
    if kind != "burnrate":
        issues.append(Issue(f"{here}.kind", f"{kind!r}: slakeeper alerts on burn rates (burnrate)"))
    op = condition.get("op")
    if op != "gt":
        issues.append(
            Issue(
                f"{here}.op",
                f"{op!r}: a slakeeper burn-rate rule fires when the rate is above its threshold; "
                "only gt has a counterpart",
            )
        )
    threshold = _number(condition.get("threshold"))
    if threshold is None or threshold <= 0:
        issues.append(
            Issue(f"{here}.threshold", f"{condition.get('threshold')!r}: a burn rate above 0")
        )
    long = _span(condition, "lookbackWindow", "long", here, notes_at, notes, issues)
    short = _span(condition, "alertAfter", "short", here, notes_at, notes, issues)
    if long is not None and short is not None and short >= long:
        issues.append(Issue(f"{here}.alertAfter", "must be shorter than lookbackWindow"))
    if len(issues) > before:
        return None
    assert threshold is not None
    assert long is not None
    assert short is not None
    budget: Fraction | None = threshold * long / _ALERT_WINDOW
    if "budget" in notes:
        note = f"{notes_at}.{PREFIX}budget"
        exact = share(notes["budget"], note, issues)
        if exact is None:
            return None
        if abs(float(burn_factor(exact, _ALERT_WINDOW, long)) - float(threshold)) > 1e-9 * float(
            threshold
        ):
            issues.append(Issue(note, f"{notes['budget']} disagrees with {here}.threshold"))
            return None
        budget = exact
    assert budget is not None
    if budget > 1:
        issues.append(
            Issue(
                f"{here}.threshold",
                f"{float(threshold):g} over {condition['lookbackWindow']} spends more than a "
                "30-day error budget",
            )
        )
        return None
    return {
        "budget": _percent(budget),
        "long": format_duration(timedelta(microseconds=long)),
        "short": format_duration(timedelta(microseconds=short)),
        "severity": severity,
    }


def _span(
    condition: Mapping[str, Any],
    key: str,
    note_key: str,
    here: str,
    notes_at: str,
    notes: Mapping[str, str],
    issues: list[Issue],
) -> int | None:
    """µs: a duration-shorthand in m, h, d or w (or its exact ``slakeeper.io/`` note)."""
    value = condition.get(key)
    match = _SHORTHAND.match(value) if isinstance(value, str) else None
    if match is None or match.group(2) not in _SPAN_UNITS:
        issues.append(Issue(f"{here}.{key}", f"{value!r}: a duration such as 5m, 1h, 3d or 1w"))
        return None
    us = int(match.group(1)) * _SPAN_UNITS[match.group(2)] * _MINUTE
    if note_key not in notes:
        return us
    note = f"{notes_at}.{PREFIX}{note_key}"
    try:
        exact = parse_duration(notes[note_key]) // timedelta(microseconds=1)
    except ValueError as exc:
        issues.append(Issue(note, str(exc)))
        return None
    if -(-exact // _MINUTE) * _MINUTE != us:
        issues.append(Issue(note, f"{notes[note_key]} disagrees with {here}.{key} ({value})"))
        return None
    return exact


def _indicator(
    spec: Mapping[str, Any], where: str, slis: Mapping[str, _Object], issues: list[Issue]
) -> None:
    inline, ref = spec.get("indicator"), spec.get("indicatorRef")
    if (inline is None) == (ref is None):
        issues.append(Issue(where, "exactly one of indicator and indicatorRef"))
    elif ref is not None:
        if not isinstance(ref, str) or ref not in slis:
            known = ", ".join(sorted(slis)) or "none in these documents"
            issues.append(
                Issue(f"{where}.indicatorRef", f"{ref!r} names no SLI here (SLIs: {known})")
            )
    elif not isinstance(inline, Mapping) or not isinstance(inline.get("spec"), Mapping):
        issues.append(Issue(f"{where}.indicator", "an SLI: {metadata: {name}, spec: ...}"))
    else:
        _indicator_spec(inline["spec"], f"{where}.indicator.spec", issues)


def _indicator_spec(spec: Mapping[str, Any], where: str, issues: list[Issue]) -> None:
    if ("ratioMetric" in spec) == ("thresholdMetric" in spec):
        issues.append(Issue(where, "exactly one of ratioMetric and thresholdMetric"))


def _window(value: object, where: str, issues: list[Issue]) -> dict[str, Any] | None:
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], Mapping):
        issues.append(Issue(where, "exactly one time window: [{duration: 30d, isRolling: true}]"))
        return None
    item, here = value[0], f"{where}[0]"
    duration, rolling, calendar = item.get("duration"), item.get("isRolling"), item.get("calendar")
    if rolling is not None and not isinstance(rolling, bool):
        issues.append(Issue(f"{here}.isRolling", f"{rolling!r}: true or false"))
        return None
    match = _SHORTHAND.match(duration) if isinstance(duration, str) else None
    if match is None:
        issues.append(
            Issue(f"{here}.duration", f"{duration!r}: a duration such as 30d, 4w, 1M, 1Q or 1Y")
        )
        return None
    count, unit = int(match.group(1)), match.group(2)
    if rolling or (rolling is None and calendar is None):
        if calendar is not None:
            issues.append(Issue(f"{here}.calendar", "a rolling window has no calendar"))
            return None
        per_day: dict[str, Fraction] = {
            "d": Fraction(1),
            "w": Fraction(1, 7),
            "h": Fraction(24),
            "m": Fraction(1440),
        }
        per = per_day.get(unit)
        days = None if per is None else Fraction(count) / per
        if days is None or days.denominator != 1:
            issues.append(
                Issue(
                    f"{here}.duration",
                    f"{duration!r}: slakeeper's rolling windows are whole days (28d, 30d, 4w)",
                )
            )
            return None
        if not 1 <= days <= 366:
            issues.append(Issue(f"{here}.duration", f"{duration!r}: 1 to 366 days"))
            return None
        return {"rolling_days": int(days)}
    unit_name = _UNITS.get(str(duration))
    if unit_name is None:
        issues.append(
            Issue(
                f"{here}.duration",
                f"{duration!r}: slakeeper's calendar windows are a month (1M), a quarter (1Q) "
                "or a year (1Y)",
            )
        )
        return None
    if calendar is None:
        calendar = {}
    if not isinstance(calendar, Mapping):
        issues.append(Issue(f"{here}.calendar", "a mapping: {startTime, timeZone}"))
        return None
    zone_name = calendar.get("timeZone", "UTC")
    try:
        zone = load_zone(zone_name)
    except ValueError as exc:
        issues.append(Issue(f"{here}.calendar.timeZone", str(exc)))
        return None
    if "startTime" in calendar and not _aligned(
        calendar["startTime"], unit_name, f"{here}.calendar.startTime", issues
    ):
        return None
    return {"calendar": unit_name, "timezone": zone.key}


def _aligned(value: object, unit: str, where: str, issues: list[Issue]) -> bool:
    start: datetime | None = None
    if isinstance(value, datetime):
        start = value
    elif isinstance(value, date):  # YAML reads 2022-01-01 as a date
        start = datetime(value.year, value.month, value.day)  # noqa: DTZ001 (a local time)
    elif isinstance(value, str):
        try:
            start = datetime.fromisoformat(value.strip())
        except ValueError:
            start = None
    if start is None:
        issues.append(Issue(where, f"{value!r}: a local date and time, 2022-01-01 00:00:00"))
        return False
    if start.tzinfo is not None:
        issues.append(Issue(where, f"{value!r}: a local time without an offset (see timeZone)"))
        return False
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    if start.time() != datetime.min.time() or start.day != 1 or (start.month - 1) % months:
        issues.append(
            Issue(
                where,
                f"{value!s}: slakeeper's {unit}s start at local midnight on the first day of "
                f"a {unit}; write {START_TIME}",
            )
        )
        return False
    return True


def _method(o: _Object, value: object, where: str, issues: list[Issue]) -> str | None:
    method = _METHODS.get(value) if isinstance(value, str) else None
    if method is None:
        issues.append(
            Issue(
                f"{where}.budgetingMethod",
                f"{value!r}: use Occurrences, Timeslices or RatioTimeslices",
            )
        )
        return None
    noted = o.notes.get("method")
    if noted is None or noted == method:
        return method
    if noted == "time" and method == "timeslices":
        return "time"
    issues.append(
        Issue(
            f"{o.where} metadata.annotations.{PREFIX}method",
            f"{noted!r} does not go with budgetingMethod {value}"
            + (" (time goes with Timeslices)" if noted == "time" else ""),
        )
    )
    return None


def _target(
    o: _Object, threshold: Mapping[str, Any], where: str, issues: list[Issue]
) -> Fraction | None:
    has_target, has_percent = "target" in threshold, "targetPercent" in threshold
    if has_target == has_percent:
        issues.append(Issue(where, "exactly one of target (0.999) and targetPercent (99.9)"))
        return None
    key = "target" if has_target else "targetPercent"
    number = _number(threshold[key])
    scale = 1 if has_target else 100
    if number is None or not 0 <= number <= scale:
        issues.append(Issue(f"{where}.{key}", f"{threshold[key]!r}: a number from 0 to {scale}"))
        return None
    return _exactly(o, "target", number / scale, f"{where}.{key}", issues)


def _slice_target(
    o: _Object, threshold: Mapping[str, Any], where: str, issues: list[Issue]
) -> Fraction | None:
    if "timeSliceTarget" not in threshold:
        if "slice-target" not in o.notes:
            return None
        return share(
            o.notes["slice-target"],
            f"{o.where} metadata.annotations.{PREFIX}slice-target",
            issues,
        )
    number = _number(threshold["timeSliceTarget"])
    if number is None or not 0 <= number <= 1:
        issues.append(
            Issue(
                f"{where}.timeSliceTarget",
                f"{threshold['timeSliceTarget']!r}: a number from 0 to 1",
            )
        )
        return None
    return _exactly(o, "slice-target", number, f"{where}.timeSliceTarget", issues)


def _exactly(
    o: _Object, key: str, number: Fraction, where: str, issues: list[Issue]
) -> Fraction | None:
    """``number``, or the exact value of annotation ``key`` when the number is its float."""
    if key not in o.notes:
        return number
    here = f"{o.where} metadata.annotations.{PREFIX}{key}"
    exact = share(o.notes[key], here, issues)
    if exact is None:
        return None
    if float(exact) != float(number):
        issues.append(Issue(here, f"{o.notes[key]} disagrees with {where} ({float(number)})"))
        return None
    return exact


def _service_spec(service: _ServiceOut) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": service.name}
    if service.components:
        spec["components"] = service.components
    spec["objectives"] = service.objectives
    if service.maintenance:
        spec["maintenance"] = service.maintenance
    return spec
