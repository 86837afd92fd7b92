"""OpenSLO v1 export and import of the availability objectives: round trips (the example
configuration and generated ones) give back the same objectives and maintenance windows; the
specification's own kinds of SLO import; what has no place in slakeeper is refused, named; and
the two `slakeeper availability openslo-*` commands."""

from __future__ import annotations

import json
import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from slakeeper.adapters.config_file import parse_document
from slakeeper.adapters.openslo import export_documents, import_documents
from slakeeper.domain.availability import CalendarWindow, RollingWindow
from slakeeper.domain.availability_config import AvailabilityConfig, parse_availability
from slakeeper.domain.config import parse_config
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.domain.events import format_instant
from slakeeper.entrypoints import cli
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # RFC 1123, as the spec asks


def availability(document: dict[str, Any]) -> AvailabilityConfig:
    issues: list[Issue] = []
    found = parse_availability(document, issues)
    assert issues == []
    return found


def assert_same(a: AvailabilityConfig, b: AvailabilityConfig) -> None:
    assert list(a.services) == list(b.services)
    for name, service in a.services.items():
        other = b.services[name]
        assert other.objectives == service.objectives
        assert other.maintenance == service.maintenance
        assert other.components == service.components
    assert dict(a.weights) == dict(b.weights)


def objects(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


# -- export, and back -----------------------------------------------------------------------------


def test_the_example_configuration_round_trips() -> None:
    document = parse_document(EXAMPLE_CONFIG.read_text(), "sla.yaml")
    assert isinstance(document, dict)
    before = parse_config(document).availability
    text = export_documents(before)
    sections = import_documents(text)
    merged = {**document, **sections}  # what merging the printed sections into sla.yaml gives
    after = parse_config(merged).availability
    assert_same(before, after)
    assert after.contracts == before.contracts  # they still find their objectives by name


def test_the_export_is_openslo_v1() -> None:
    config = parse_config(parse_document(EXAMPLE_CONFIG.read_text(), "sla.yaml")).availability
    docs = objects(export_documents(config))
    assert [d["kind"] for d in docs] == [
        "Service",
        "SLI",
        "SLO",
        "SLI",
        "SLO",
        "Service",
        "SLI",
        "SLO",
    ]
    for d in docs:
        assert d["apiVersion"] == "openslo/v1"
        assert _LABEL.match(d["metadata"]["name"])
        for key, value in d["metadata"].get("annotations", {}).items():
            assert key.startswith("slakeeper.io/")
            assert isinstance(value, str)
    storage = docs[0]["metadata"]["annotations"]
    assert json.loads(storage["slakeeper.io/components"]) == ["api", "blobs"]
    assert json.loads(storage["slakeeper.io/maintenance-windows"]) == [
        {
            "name": "weekly-patching",
            "every": ["sun"],
            "at": "02:00",
            "minutes": 60,
            "timezone": "Europe/Berlin",
        }
    ]
    monthly, probes = docs[2], docs[4]
    assert monthly["metadata"]["annotations"] == {
        "slakeeper.io/method": "time",
        "slakeeper.io/maintenance": "excluded",
        "slakeeper.io/unknown": "up",
    }
    spec = monthly["spec"]
    assert spec["service"] == "storage"
    assert spec["indicatorRef"] == docs[1]["metadata"]["name"]
    assert spec["timeWindow"] == [
        {
            "duration": "1M",
            "isRolling": False,
            "calendar": {"startTime": "2020-01-01 00:00:00", "timeZone": "Europe/Berlin"},
        }
    ]
    assert spec["budgetingMethod"] == "Timeslices"
    assert spec["objectives"] == [
        {"target": 0.999, "timeSliceTarget": 1.0, "timeSliceWindow": "1m"}
    ]
    assert "incidents" in docs[1]["spec"]["description"]
    assert "ratioMetric" in docs[1]["spec"]
    assert probes["spec"]["timeWindow"] == [{"duration": "30d", "isRolling": True}]
    assert probes["spec"]["budgetingMethod"] == "Timeslices"
    assert probes["metadata"]["annotations"] == {
        "slakeeper.io/maintenance": "up",
        "slakeeper.io/unknown": "excluded",
    }


def test_names_that_are_no_rfc1123_label_come_back_from_an_annotation() -> None:
    config = availability(
        {
            "impact_weights": {"major": 1, "minor": "25%"},
            "services": [
                {
                    "name": "Cloud Storage",
                    "objectives": [
                        {"name": "Monthly 99.9", "target": "1/3", "window": {"rolling_days": 7}},
                        {
                            "name": "monthly-99-9",
                            "target": "99.9%",
                            "window": {"calendar": "quarter", "timezone": "Asia/Kathmandu"},
                            "method": "occurrences",
                            "slice_target": "95%",
                            "weights": {"minor": 0},
                        },
                    ],
                },
                {
                    "name": "cloud/storage",
                    "objectives": [
                        {"name": "Monthly 99.9", "target": 0.5, "window": {"rolling_days": 1}}
                    ],
                },
            ],
        }
    )
    docs = objects(export_documents(config))
    labels = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(set(labels)) == len(labels)
    slo = docs[2]
    assert slo["metadata"]["name"] == "monthly-99-9"
    assert slo["metadata"]["annotations"]["slakeeper.io/name"] == "Monthly 99.9"
    assert slo["metadata"]["annotations"]["slakeeper.io/target"] == "1/3"  # no float says it
    assert docs[4]["metadata"]["name"] == "monthly-99-9-2"
    assert json.loads(docs[4]["metadata"]["annotations"]["slakeeper.io/weights"])["minor"] == "0"
    assert docs[4]["metadata"]["annotations"]["slakeeper.io/slice-target"] == "0.95"
    assert_same(config, availability(import_documents(export_documents(config))))


# -- generated objectives ---------------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,24}", fullmatch=True)
SHARES = st.one_of(
    st.integers(0, 100_000).map(lambda n: f"{Fraction(n, 1000)}%" if n % 7 else f"{n / 1000}%"),
    st.integers(0, 10**9).map(lambda n: str(Fraction(n, 10**9))),  # 1/3-like: no float says it
    st.sampled_from([0, 1, 0.5, 0.999, "99.99%", "100%", "0%"]),
)
ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu"])
INSTANTS = st.integers(946_684_800, 4_102_444_800)  # 2000 to 2100, in seconds


@st.composite
def objective_specs(draw: st.DrawFn, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "target": draw(SHARES)}
    if draw(st.booleans()):
        spec["window"] = {
            "calendar": draw(st.sampled_from(["month", "quarter", "year"])),
            "timezone": draw(ZONES),
        }
    else:
        spec["window"] = {"rolling_days": draw(st.integers(1, 366))}
    for key, values in (
        ("method", ["time", "occurrences", "timeslices", "ratio_timeslices"]),
        ("maintenance", ["excluded", "up", "down"]),
        ("unknown", ["up", "down", "excluded"]),
    ):
        if draw(st.booleans()):
            spec[key] = draw(st.sampled_from(values))
    if draw(st.booleans()):
        spec["slice_target"] = draw(SHARES)
    if draw(st.booleans()):
        spec["weights"] = draw(
            st.dictionaries(
                st.sampled_from(["major", "minor", "partial"]), SHARES, min_size=1, max_size=2
            )
        )
    return spec


@st.composite
def maintenance_specs(draw: st.DrawFn, name: str) -> dict[str, Any]:
    start = draw(INSTANTS)
    if draw(st.booleans()):
        return {
            "name": name,
            "start": format_instant(start * 1_000_000),
            "end": format_instant((start + draw(st.integers(1, 10**6))) * 1_000_000),
        }
    spec: dict[str, Any] = {
        "name": name,
        "every": draw(
            st.lists(
                st.sampled_from(["mon", "tue", "sat", "sun"]), min_size=1, max_size=3, unique=True
            )
        ),
        "at": f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}",
        "minutes": draw(st.integers(1, 1440)),
        "timezone": draw(ZONES),
    }
    if draw(st.booleans()):
        spec["from"] = format_instant(start * 1_000_000)
    if draw(st.booleans()):
        spec["until"] = format_instant((start + draw(st.integers(0, 10**8))) * 1_000_000)
    return spec


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if draw(st.booleans()):
        document["impact_weights"] = draw(
            st.dictionaries(
                st.sampled_from(["major", "partial", "degraded", "minor"]), SHARES, max_size=3
            )
        )
    services = []
    for name in draw(st.lists(NAMES, min_size=1, max_size=3, unique=True)):
        objective_names = draw(st.lists(NAMES, max_size=3, unique=True))
        window_names = draw(st.lists(NAMES, max_size=2))
        service: dict[str, Any] = {
            "name": name,
            "objectives": [draw(objective_specs(n)) for n in objective_names],
            "maintenance": [draw(maintenance_specs(n)) for n in window_names],
        }
        if draw(st.booleans()):
            service["components"] = draw(st.lists(NAMES, max_size=3))
        services.append(service)
    document["services"] = services
    return document


@settings(max_examples=150, deadline=None)
@given(documents())
def test_generated_objectives_round_trip(document: dict[str, Any]) -> None:
    before = availability(document)
    text = export_documents(before)
    for d in objects(text):
        assert _LABEL.match(d["metadata"]["name"])
        if d["kind"] == "SLO":
            (objective,) = d["spec"]["objectives"]
            assert isinstance(objective["target"], float)
    assert_same(before, availability(import_documents(text)))


# -- the specification's own kinds of SLO -----------------------------------------------------------

RATIO_OCCURRENCES = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: foo-slo
  displayName: Foo SLO
spec:
  service: foo
  indicator:
    metadata:
      name: foo-error
      displayName: Foo Error
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            metricSourceRef: datadog-datasource
            type: Datadog
            spec:
              query: sum:trace.http.request.hits.by_http_status{http.status_code:200}.as_count()
        total:
          metricSource:
            metricSourceRef: datadog-datasource
            type: Datadog
            spec:
              query: sum:trace.http.request.hits.by_http_status{*}.as_count()
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Foo Total Errors
      target: 0.98
"""

TIMESLICES_CALENDAR = """
apiVersion: openslo/v1
kind: Service
metadata:
  name: web
  displayName: Web
spec:
  description: The shop's web front
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: web-successful-requests-ratio
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        type: Prometheus
        spec:
          query: sum(http_requests{k8s_cluster="prod",component="web",code=~"2xx|4xx"})
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(http_requests{k8s_cluster="prod",component="web"})
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: web-availability
  displayName: SLO for web availability
  labels:
    team: [team-a, team-b]
  annotations:
    openslo.com/owner: team-a
spec:
  description: X% of search requests are successful
  service: web
  indicatorRef: web-successful-requests-ratio
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar:
        startTime: 2022-01-01 00:00:00
        timeZone: America/New_York
  budgetingMethod: Timeslices
  objectives:
    - displayName: Good
      op: gt
      target: 0.995
      timeSliceTarget: 0.95
      timeSliceWindow: 1m
  alertPolicies: []
"""

PERCENT_LIST = """
- apiVersion: openslo/v1
  kind: SLO
  metadata:
    name: main-page
  spec:
    service: web-shop
    indicator:
      metadata: {name: response-code}
      spec:
        ratioMetric:
          good: {metricSource: {type: Any, spec: {query: Any}}}
          total: {metricSource: {type: Any, spec: {query: Any}}}
    timeWindow:
      - {duration: 4w, isRolling: true}
    budgetingMethod: RatioTimeslices
    objectives:
      - {displayName: Good, timeSliceWindow: 1m, targetPercent: 99.95}
- apiVersion: openslo/v1
  kind: SLO
  metadata:
    name: search-slo
  spec:
    service: web-shop
    indicator:
      metadata: {name: search-latency}
      spec:
        thresholdMetric:
          metricSource: {type: Any, spec: {query: latency}}
    timeWindow:
      - {duration: 1Q, calendar: {startTime: 2024-04-01, timeZone: Europe/Berlin}}
    budgetingMethod: Occurrences
    objectives:
      - {displayName: Good experience, op: lt, value: 500, targetPercent: 99}
"""


def test_a_ratio_metric_slo_with_occurrences_over_28_rolling_days() -> None:
    sections = import_documents(RATIO_OCCURRENCES)
    assert sections == {
        "services": [
            {
                "name": "foo",
                "objectives": [
                    {
                        "name": "foo-slo",
                        "target": "98%",
                        "window": {"rolling_days": 28},
                        "method": "occurrences",
                    }
                ],
            }
        ]
    }
    (objective,) = availability(sections).services["foo"].objectives
    assert objective.target == Fraction(98, 100)
    assert objective.window == RollingWindow(28)
    assert objective.method == "occurrences"


def test_timeslices_over_a_calendar_month_in_a_zone() -> None:
    sections = import_documents(TIMESLICES_CALENDAR)
    (objective,) = availability(sections).services["web"].objectives
    assert objective.name == "web-availability"
    assert objective.target == Fraction(995, 1000)
    assert objective.method == "timeslices"
    assert objective.slice_target == Fraction(95, 100)
    assert isinstance(objective.window, CalendarWindow)
    assert (objective.window.unit, objective.window.zone.key) == ("month", "America/New_York")
    assert (objective.maintenance, objective.unknown) == ("excluded", "up")  # the defaults


def test_target_percent_rolling_weeks_a_quarter_and_a_list_of_objects() -> None:
    service = availability(import_documents(PERCENT_LIST)).services["web-shop"]
    page, search = service.objectives
    assert page.target == Fraction(9995, 10000)
    assert page.window == RollingWindow(28)
    assert page.method == "ratio_timeslices"
    assert search.target == Fraction(99, 100)
    assert search.method == "occurrences"
    assert isinstance(search.window, CalendarWindow)
    assert (search.window.unit, search.window.zone.key) == ("quarter", "Europe/Berlin")


# -- alert rules ------------------------------------------------------------------------------------

EXPLICIT_ALERTS = {
    "burn_rates": [
        {"budget": "2%", "long": "1h", "short": "5m", "severity": "page"},
        {"budget": "1/3", "long": "6h", "short": "30m", "severity": "page"},
        {"budget": "10%", "long": "72h", "short": "6h", "severity": "ticket"},
        {"budget": "0.5%", "long": "1h30m", "short": "90s", "severity": "ticket"},
    ],
    "budget_exhausted": False,
}


def test_explicit_alert_rules_round_trip_as_alert_policies() -> None:
    document = parse_document(EXAMPLE_CONFIG.read_text(), "sla.yaml")
    assert isinstance(document, dict)
    storage = document["services"][0]["objectives"]
    storage[0]["alerts"] = EXPLICIT_ALERTS
    storage[1]["alerts"] = {"burn_rates": [], "credit_tiers": False}
    before = parse_config(document).availability
    text = export_documents(before)
    docs = objects(text)
    policies = [d for d in docs if d["kind"] == "AlertPolicy"]
    assert len(policies) == 4  # one condition per policy, as the v1 specification allows
    first = policies[0]["spec"]["conditions"][0]
    assert first["kind"] == "AlertCondition"
    assert first["spec"]["severity"] == "page"
    assert first["spec"]["condition"] == {
        "kind": "burnrate",
        "op": "gt",
        "threshold": 14.4,
        "lookbackWindow": "1h",
        "alertAfter": "5m",
    }
    slos = {d["metadata"]["name"]: d for d in docs if d["kind"] == "SLO"}
    assert slos["storage-monthly"]["spec"]["alertPolicies"] == [
        {"alertPolicyRef": p["metadata"]["name"]} for p in policies
    ]
    assert "alertPolicies" not in slos["storage-probes"]["spec"]
    assert "alertPolicies" not in slos["compute-monthly"]["spec"]
    sections = import_documents(text)
    after = parse_config({**document, **sections}).availability
    assert_same(before, after)
    for name, service in before.services.items():
        assert dict(after.services[name].alerts) == dict(service.alerts)
    rules = after.services["storage"].alerts
    assert rules["storage-monthly"].burn_rates[1].budget == Fraction(1, 3)
    assert rules["storage-monthly"].budget_exhausted is False
    assert rules["storage-probes"].burn_rates == ()
    assert rules["storage-probes"].credit_tiers is False
    assert "compute-monthly" not in after.services["compute"].alerts


SPEC_ALERTS = """
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: slow-burn
  displayName: Slow burn
spec:
  description: burning 6 times too fast over six hours
  severity: ticket
  condition:
    kind: burnrate
    op: gt
    threshold: 6
    lookbackWindow: 6h
    alertAfter: 30m
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: slow-burn-policy
  displayName: Alert Policy
spec:
  alertWhenBreaching: true
  alertWhenResolved: false
  conditions:
    - conditionRef: slow-burn
  notificationTargets:
    - targetRef: OnCallDevopsMailNotification
"""

INLINE_POLICY = """
    - kind: AlertPolicy
      metadata:
        name: AlertPolicy
        displayName: Alert Policy
      spec:
        description: Alert policy for burn rate breaches, notifies on-call devops via email
        alertWhenBreaching: true
        alertWhenResolved: false
        conditions:
          - kind: AlertCondition
            metadata:
              name: fast-burn
              displayName: Fast burn
            spec:
              description: SLO burn rate exceeds 14.4
              severity: page
              condition:
                kind: burnrate
                op: gt
                threshold: 14.4
                lookbackWindow: 1h
                alertAfter: 5m
        notificationTargets:
          - targetRef: OnCallDevopsMailNotification
"""


def with_policies(refs: str) -> str:
    return RATIO_OCCURRENCES.rstrip() + "\n  alertPolicies:\n" + refs + SPEC_ALERTS


def test_alert_policies_written_as_the_specification_shows_import() -> None:
    text = with_policies("    - alertPolicyRef: slow-burn-policy" + INLINE_POLICY)
    sections = import_documents(text)
    (objective,) = sections["services"][0]["objectives"]
    assert objective["alerts"] == {
        "burn_rates": [
            {"budget": "5%", "long": "6h", "short": "30m", "severity": "ticket"},
            {"budget": "2%", "long": "1h", "short": "5m", "severity": "page"},
        ]
    }
    config = availability(sections)
    rules = config.services["foo"].alerts["foo-slo"]
    assert [(r.budget, r.severity) for r in rules.burn_rates] == [
        (Fraction(5, 100), "ticket"),
        (Fraction(2, 100), "page"),
    ]
    assert rules.budget_exhausted is True
    assert rules.credit_tiers is True


def test_alert_conditions_slakeeper_cannot_follow_are_refused_by_path() -> None:
    text = with_policies(INLINE_POLICY.replace("op: gt", "op: lte")).replace(
        "kind: burnrate\n    op: gt", "kind: threshold\n    op: gt"
    )
    text = text.replace("severity: ticket", "severity: sev1")
    text = text.replace(
        "alertPolicies:\n", "alertPolicies:\n    - alertPolicyRef: slow-burn-policy\n"
    )
    got = issues_of(text)
    inline = "document 1 (SLO foo-slo) spec.alertPolicies[1].spec.conditions[0].spec"
    assert "only gt" in got[f"{inline}.condition.op"]
    assert "burnrate" in got["document 2 (AlertCondition slow-burn) spec.condition.kind"]
    assert "page or ticket" in got["document 2 (AlertCondition slow-burn) spec.severity"]
    got = issues_of(RATIO_OCCURRENCES + SPEC_ALERTS)
    assert "nothing refers" in got["document 3 (AlertPolicy slow-burn-policy) metadata.name"]
    got = issues_of(with_policies(INLINE_POLICY.replace("1h", "1M")))
    assert "5m, 1h" in got[f"{inline.replace('[1]', '[0]')}.condition.lookbackWindow"]


# -- what does not map --------------------------------------------------------------------------------

NOT_MAPPING = """
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: cpu-alerts}
spec:
  alertWhenBreaching: true
  conditions: [{conditionRef: cpu-usage-breach}]
  notificationTargets: [{targetRef: on-call}]
---
apiVersion: openslo/v1alpha
kind: SLO
metadata: {name: old-one}
spec: {}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: two-objectives}
spec:
  service: web
  indicatorRef: nowhere
  timeWindow: [{duration: 1w, isRolling: false, calendar: {startTime: 2022-01-01 12:00:00,
                                                           timeZone: America/New_York}}]
  budgetingMethod: Timeslices
  objectives:
    - {displayName: Internal, target: 0.995, timeSliceTarget: 0.99, timeSliceWindow: 1m}
    - {displayName: SLA, target: 0.99, timeSliceTarget: 0.99, timeSliceWindow: 1m}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: composite}
spec:
  service: web
  budgetingMethod: Occurrences
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives:
    - {target: 0.99, indicatorRef: a, compositeWeight: 1}
    - {target: 0.99, indicatorRef: b, compositeWeight: 2}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: odd-window
  annotations: {slakeeper.io/maintenance: sometimes, slakeeper.io/colour: blue}
spec:
  service: web
  indicator: {metadata: {name: i}, spec: {}}
  timeWindow: [{duration: 1M, isRolling: false, calendar: {startTime: 2022-01-01 12:00:00,
                                                           timeZone: Europe/Berlin}}]
  budgetingMethod: Weekly
  objectives: [{target: 0.99, targetPercent: 99}]
  alertPolicies: [{alertPolicyRef: cpu-alerts}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: rolling-month}
spec:
  service: web
  indicator: {metadata: {name: i}, spec: {thresholdMetric: {}}}
  timeWindow: [{duration: 1M, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{targetPercent: 120}]
"""


def issues_of(text: str) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        import_documents(text)
    return {i.where: i.message for i in caught.value.issues}


def test_what_has_no_place_in_slakeeper_is_named_with_its_path() -> None:
    got = issues_of(NOT_MAPPING)
    expected = {
        "document 1 (AlertPolicy cpu-alerts) spec.conditions[0].conditionRef": "no AlertCondition",
        "document 2 (SLO old-one) apiVersion": "openslo/v1alpha",
        "document 3 (SLO two-objectives) spec.objectives": "2 objectives",
        "document 3 (SLO two-objectives) spec.indicatorRef": "'nowhere' names no SLI",
        "document 3 (SLO two-objectives) spec.timeWindow[0].duration": "1M",
        "document 4 (SLO composite) spec.objectives": "composite",
        "document 5 (SLO odd-window) metadata.annotations.slakeeper.io/colour": "not a slakeeper",
        "document 5 (SLO odd-window) metadata.annotations.slakeeper.io/maintenance": "sometimes",
    }
    for where, words in expected.items():
        assert words in got.get(where, ""), (where, got)
    got = issues_of(NOT_MAPPING.split("---")[-2].replace("slakeeper.io/colour: blue", "a: b"))
    expected = {
        "document 1 (SLO odd-window) spec.indicator.spec": "ratioMetric",
        "document 1 (SLO odd-window) spec.timeWindow[0].calendar.startTime": "local midnight",
        "document 1 (SLO odd-window) spec.budgetingMethod": "'Weekly'",
        "document 1 (SLO odd-window) spec.objectives[0]": "exactly one of target",
        "document 1 (SLO odd-window) spec.alertPolicies[0].alertPolicyRef": "no AlertPolicy",
        "document 1 (SLO odd-window) metadata.annotations.slakeeper.io/maintenance": "sometimes",
    }
    for where, words in expected.items():
        assert words in got.get(where, ""), (where, got)
    got = issues_of(NOT_MAPPING.split("---")[-1])
    assert "whole days" in got["document 1 (SLO rolling-month) spec.timeWindow[0].duration"]
    assert "0 to 100" in got["document 1 (SLO rolling-month) spec.objectives[0].targetPercent"]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("", "", "no OpenSLO objects"),
        ("kind: [unclosed", "line 1", "not valid YAML"),
        ("just text", "document 1", "a mapping"),
        (RATIO_OCCURRENCES.replace("28d", "0d"), "spec.timeWindow[0].duration", "0d"),
        (RATIO_OCCURRENCES.replace("28d", "400d"), "spec.timeWindow[0].duration", "1 to 366"),
        (RATIO_OCCURRENCES.replace("28d", "1Y"), "duration", "whole days"),
        (
            RATIO_OCCURRENCES.replace("28d\n      isRolling: true", "2M\n      isRolling: false"),
            "spec.timeWindow[0].duration",
            "a month (1M)",
        ),
        (RATIO_OCCURRENCES + "---\n" + RATIO_OCCURRENCES, "document 2", "also document 1"),
        (
            TIMESLICES_CALENDAR.replace("America/New_York", "Mars/Base"),
            "calendar.timeZone",
            "Mars/Base",
        ),
        (
            TIMESLICES_CALENDAR.replace("duration: 1M", "duration: 1Q").replace(
                "2022-01-01", "2022-02-01"
            ),
            "calendar.startTime",
            "first day of a quarter",
        ),
        (
            TIMESLICES_CALENDAR.replace(
                "  displayName: Web\n",
                "  annotations: {slakeeper.io/maintenance-windows: '[{\"name\": 1}]'}\n",
            ),
            "document 1 (Service web) metadata.annotations.slakeeper.io/maintenance-windows[0].name",
            "not a name",
        ),
    ],
)
def test_bad_documents(text: str, where: str, words: str) -> None:
    got = issues_of(text)
    assert any(where in w and words in m for w, m in got.items()), got


# -- the commands --------------------------------------------------------------------------------------


def test_the_commands_export_and_import(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(
        cli.app, ["availability", "openslo-export", "--config", str(EXAMPLE_CONFIG)]
    )
    assert done.exit_code == 0, done.output
    assert [d["kind"] for d in objects(done.stdout)].count("SLO") == 3
    exported = tmp_path / "openslo.yaml"
    done = runner.invoke(
        cli.app,
        ["availability", "openslo-export", "-c", str(EXAMPLE_CONFIG), "-o", str(exported)],
    )
    assert done.exit_code == 0, done.output
    done = runner.invoke(cli.app, ["availability", "openslo-import", str(exported)])
    assert done.exit_code == 0, done.output
    sections = yaml.safe_load(done.stdout)
    assert [s["name"] for s in sections["services"]] == ["storage", "compute"]
    written = tmp_path / "sections.yaml"
    done = runner.invoke(
        cli.app, ["availability", "openslo-import", str(exported), "-o", str(written)]
    )
    assert done.exit_code == 0, done.output
    assert yaml.safe_load(written.read_text()) == sections


def test_bad_input_is_named_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(NOT_MAPPING)
    done = CliRunner().invoke(cli.app, ["availability", "openslo-import", str(bad)])
    assert isinstance(done.exception, InvalidInput)
    assert any(str(bad) in i.where and "AlertPolicy" in i.where for i in done.exception.issues)
    monkeypatch.setattr(sys, "argv", ["slakeeper", "availability", "openslo-import", str(bad)])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"{bad}: document 3 (SLO two-objectives) spec.objectives: 2 objectives" in err
    assert "Traceback" not in err
    config = tmp_path / "sla.yaml"
    config.write_text("calendars: nope\n")
    monkeypatch.setattr(
        sys, "argv", ["slakeeper", "availability", "openslo-export", "-c", str(config)]
    )
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    assert f"{config}: " in capsys.readouterr().err
