"""The SLA configuration (SPEC §3, semantics §3): what parses, and the exact path of each problem."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from slakeeper.adapters.config_file import load_config, load_config_text
from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.errors import ConfigError
from slakeeper.domain.policy import Attributes
from tests.factories import calendar, config, policy

H = 3600 * 1_000_000
M = 60 * 1_000_000


def _full() -> dict[str, Any]:
    """A configuration that uses every field of SPEC §3."""
    return {
        "calendars": [
            {
                "name": "eu-support",
                "timezone": "Europe/Berlin",
                "hours": {"mon": ["09:00-12:30", "13:30-17:00"], "tue": ["09:00-17:00"], "sat": []},
                "holidays": ["2026-12-25", {"date": "2026-12-26", "name": "St Stephen's Day"}],
            },
            calendar(),
        ],
        "policies": [
            {
                "name": "Corporate",
                "targets": {"first_response": {"default": "4h"}, "resolution": {"default": 1440}},
            },
            {
                "name": "Gold — ACME storage",
                "level": "customer",
                "customer": "acme",
                "service": "storage",
                "when": {
                    "priority": ["urgent", "high"],
                    "channel": ["email", "chat"],
                    "group": ["tier1"],
                    "tags_any": ["vip"],
                    "tags_all": ["contract"],
                    "tags_none": ["spam"],
                },
                "calendar": "eu-support",
                "targets": {
                    "first_response": {"urgent": "15m", "high": "1h", "default": "4h"},
                    "next_response": {"urgent": "30m", "default": "2h"},
                    "periodic_update": {"urgent": "1h"},
                    "resolution": {"urgent": "4h", "high": "8h", "default": "24h"},
                },
                "pause_statuses": ["pending", "on_hold"],
            },
            {
                "name": "Storage",
                "level": "service",
                "service": "storage",
                "calendar": "biz",
                "targets": {"resolution": {"default": "1h30m"}},
                "pause_statuses": [],
            },
            {
                "name": "Acme",
                "level": "customer",
                "customer": "acme",
                "targets": {"first_response": {"default": "45s"}},
            },
        ],
        "system_replies_count": True,
        "resolution_on_reopen": "restart",
    }


def issues_of(document: object) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return [(i.where, i.message) for i in caught.value.issues]


def paths_of(document: object) -> list[str]:
    return [where for where, _ in issues_of(document)]


# -- what parses -----------------------------------------------------------------------------------


def test_a_full_configuration_parses() -> None:
    sla = parse_config(_full())
    assert isinstance(sla, SlaConfig)
    assert sla.system_replies_count is True
    assert sla.resolution_on_reopen == "restart"
    assert set(sla.calendars) >= {"eu-support", "biz", "24x7"}
    # most specific first, then file order
    assert [p.name for p in sla.policies] == ["Gold — ACME storage", "Acme", "Storage", "Corporate"]
    gold = sla.policies[0]
    assert gold.calendar.name == "eu-support"
    assert gold.target_for("first_response", "urgent") == 15 * M
    assert gold.target_for("first_response", "low") == 4 * H  # default
    assert gold.target_for("periodic_update", "low") is None
    assert gold.pause_statuses == frozenset({"pending", "on_hold"})
    assert gold.when.tags_none == frozenset({"spam"})
    storage = next(p for p in sla.policies if p.name == "Storage")
    assert storage.target_for("resolution", "x") == 90 * M
    assert storage.pause_statuses == frozenset()
    corporate = next(p for p in sla.policies if p.name == "Corporate")
    assert corporate.target_for("resolution", "normal") == 24 * H  # integer minutes
    assert corporate.calendar.name == "24x7"  # the default
    assert (
        next(p for p in sla.policies if p.name == "Acme").target_for("first_response", "x")
        == 45 * 10**6
    )


def test_defaults() -> None:
    sla = parse_config({"policies": [{"name": "P", "targets": {"resolution": {"default": "8h"}}}]})
    assert sla.system_replies_count is False
    assert sla.resolution_on_reopen == "continue"
    only = sla.policies[0]
    assert only.level == "corporate"
    assert only.pause_statuses == frozenset({"pending", "on_hold"})
    assert only.calendar.name == "24x7"
    assert sla.book.select("resolution", Attributes()) is not None


def test_the_24x7_calendar_is_built_in_and_always_open() -> None:
    sla = parse_config(config(policy(calendar="24x7"), calendars=[]))
    cal = sla.policies[0].calendar
    assert cal.elapsed_us(0, 7 * 24 * H) == 7 * 24 * H


def test_a_condition_may_be_one_text() -> None:
    sla = parse_config(config(policy(when={"channel": "email"})))
    assert sla.policies[0].when.channel == frozenset({"email"})


def test_the_document_is_not_changed() -> None:
    document = _full()
    before = copy.deepcopy(document)
    parse_config(document)
    assert document == before


# -- each problem at its exact path ----------------------------------------------------------------


def _with_policies(*policies: dict[str, Any]) -> dict[str, Any]:
    return config(*policies)


BAD = [
    pytest.param(
        _with_policies(
            policy("A"),
            policy("B"),
            policy("C", {"resolution": {"urgent": "1h", "high": "4x"}}),
        ),
        "policies[2].targets.resolution.high",
        "4x",
        id="bad-duration",
    ),
    pytest.param(
        config(
            policy(calendar="24x7"),
            calendars=[dict(calendar(), hours={"mon": ["10:00-12:00", "9-17"]})],
        ),
        "calendars[0].hours.mon[1]",
        "9-17",
        id="bad-shift",
    ),
    pytest.param(
        _with_policies(policy("A", calendar="nowhere")),
        "policies[0].calendar",
        "nowhere",
        id="unknown-calendar",
    ),
    pytest.param(
        _with_policies(policy("A", {"first_reply": {"default": "1h"}})),
        "policies[0].targets.first_reply",
        "unknown metric",
        id="unknown-metric",
    ),
    pytest.param(
        _with_policies(policy("A", {"resolution": {"high": "0m"}})),
        "policies[0].targets.resolution.high",
        "zero",
        id="zero-target",
    ),
    pytest.param(
        _with_policies(policy("A", {"resolution": {"high": 0}})),
        "policies[0].targets.resolution.high",
        "positive",
        id="zero-minutes",
    ),
    pytest.param(
        _with_policies(policy("A", {"resolution": {"high": "-1h"}})),
        "policies[0].targets.resolution.high",
        "negative",
        id="negative-target",
    ),
    pytest.param(
        _with_policies(policy("A", {"resolution": {"default": "1d"}})),
        "policies[0].targets.resolution.default",
        "'d'",
        id="d-unit",
    ),
    pytest.param(
        _with_policies(policy("A", {"resolution": {"default": "90"}})),
        "policies[0].targets.resolution.default",
        "90",
        id="bare-number-text",
    ),
    pytest.param(
        _with_policies(policy("A", level="team")),
        "policies[0].level",
        "team",
        id="unknown-level",
    ),
    pytest.param(
        _with_policies(policy("A", level="customer")),
        "policies[0].customer",
        "required",
        id="customer-level-without-customer",
    ),
    pytest.param(
        _with_policies(policy("A", level="service", customer="acme")),
        "policies[0].service",
        "required",
        id="service-level-without-service",
    ),
    pytest.param(
        _with_policies(policy("A", level="corporate", customer="acme")),
        "policies[0].level",
        "corporate",
        id="corporate-with-customer",
    ),
    pytest.param(
        _with_policies(policy("Same"), policy("Other"), policy("Same")),
        "policies[2].name",
        "Same",
        id="duplicate-policy-name",
    ),
    pytest.param(
        dict(config(), escalation={"after": "1h"}),
        "escalation",
        "unknown field",
        id="unknown-top-level-field",
    ),
    pytest.param(
        dict(config(), resolution_on_reopen="reset"),
        "resolution_on_reopen",
        "reset",
        id="bad-resolution-on-reopen",
    ),
    pytest.param(
        dict(config(), system_replies_count="yes"),
        "system_replies_count",
        "yes",
        id="bad-system-replies-count",
    ),
    pytest.param(
        _with_policies(dict(policy("A"), prio="high")),
        "policies[0].prio",
        "unknown field",
        id="unknown-policy-field",
    ),
    pytest.param(
        _with_policies(policy("A", when={"tag_any": ["vip"]})),
        "policies[0].when.tag_any",
        "unknown condition",
        id="unknown-condition",
    ),
    pytest.param(
        _with_policies(policy("A", when={"tags_any": []})),
        "policies[0].when.tags_any",
        "list",
        id="empty-condition",
    ),
    pytest.param(
        _with_policies(policy("A", pause_statuses=["pending", "waiting"])),
        "policies[0].pause_statuses[1]",
        "waiting",
        id="unknown-pause-status",
    ),
    pytest.param(
        _with_policies({"name": "A"}),
        "policies[0].targets",
        "missing",
        id="missing-targets",
    ),
    pytest.param(
        _with_policies({"targets": {"resolution": {"default": "1h"}}}),
        "policies[0].name",
        "missing",
        id="missing-policy-name",
    ),
    pytest.param({"calendars": [calendar()]}, "policies", "missing", id="no-policies"),
    pytest.param(
        config(calendars=[calendar(), calendar()]),
        "calendars[1].name",
        "twice",
        id="duplicate-calendar",
    ),
    pytest.param(
        config(policy(calendar="24x7"), calendars=[calendar("24x7")]),
        "calendars[0].name",
        "built in",
        id="calendar-named-24x7",
    ),
    pytest.param(
        config(policy(calendar="24x7"), calendars=[dict(calendar(), timezone="Mars/Olympus")]),
        "calendars[0].timezone",
        "Mars/Olympus",
        id="unknown-zone",
    ),
    pytest.param(
        config(
            policy(calendar="24x7"), calendars=[dict(calendar(), hours={"monday": ["10:00-18:00"]})]
        ),
        "calendars[0].hours.monday",
        "monday",
        id="unknown-weekday",
    ),
    pytest.param(
        config(policy(calendar="24x7"), calendars=[dict(calendar(), holidays=["2024-13-01"])]),
        "calendars[0].holidays[0]",
        "2024-13-01",
        id="bad-holiday",
    ),
]


@pytest.mark.parametrize(("document", "where", "says"), BAD)
def test_each_problem_is_reported_at_its_path(
    document: dict[str, Any], where: str, says: str
) -> None:
    found = issues_of(document)
    assert [w for w, _ in found] == [where], found
    assert says in found[0][1], found


def test_a_policy_naming_a_defined_but_invalid_calendar_is_not_told_it_is_unknown() -> None:
    """The calendar's own problem is the one to report; "unknown calendar 'biz'; defined: 24x7"
    next to ``calendars[0]`` that is named ``biz`` sends the reader the wrong way."""
    found = issues_of(config(calendars=[dict(calendar(), hours={"mon": ["9-17"]})]))
    assert found[0][0] == "calendars[0].hours.mon[0]"
    assert not any("unknown calendar" in message for _, message in found), found


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    assert len(issues_of(["policies"])) == 1
    assert len(issues_of(None)) == 1


def test_several_problems_are_reported_at_once() -> None:
    document = {
        "calendars": [dict(calendar(), hours={"mon": ["25:00-26:00"]})],
        "policies": [
            policy("A", {"resolution": {"high": "4x"}}),
            policy("B", level="customer", calendar="nowhere"),
            policy("A", {"first_reply": {"default": "1h"}}),
        ],
        "resolution_on_reopen": "reset",
        "colour": "blue",
    }
    paths = paths_of(document)
    for where in (
        "colour",
        "calendars[0].hours.mon[0]",
        "policies[0].targets.resolution.high",
        "policies[1].customer",
        "policies[1].calendar",
        "policies[2].targets.first_reply",
        "resolution_on_reopen",
    ):
        assert where in paths, (where, paths)
    assert len(paths) >= 7


def test_a_config_error_is_a_value_error_and_prints_one_line_per_problem() -> None:
    with pytest.raises(ValueError) as caught:
        parse_config(_with_policies(policy("A", level="team"), policy("B", calendar="x")))
    assert isinstance(caught.value, ConfigError)
    assert len(caught.value.lines()) == 2
    assert all("policies[" in line for line in caught.value.lines())


# -- files -----------------------------------------------------------------------------------------


def test_load_config_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "sla.yaml"
    path.write_text(yaml.safe_dump(_full(), allow_unicode=True), encoding="utf-8")
    expected = parse_config(_full())
    sla = load_config(path)
    assert _summary(sla) == _summary(expected)


def _summary(sla: SlaConfig) -> list[tuple[Any, ...]]:
    return [
        (
            p.name,
            p.level,
            p.customer,
            p.service,
            p.calendar.name,
            p.when,
            p.pause_statuses,
            {m: dict(t) for m, t in p.targets.items()},
        )
        for p in sla.policies
    ] + [(sla.system_replies_count, sla.resolution_on_reopen)]


def test_load_config_reads_json(tmp_path: Path) -> None:
    path = tmp_path / "sla.json"
    path.write_text(json.dumps(_full()), encoding="utf-8")
    assert _summary(load_config(path)) == _summary(parse_config(_full()))


def test_load_config_reads_yaml_as_written_by_people(tmp_path: Path) -> None:
    path = tmp_path / "sla.yml"
    path.write_text(
        """\
calendars:
  - name: office
    timezone: Europe/Berlin
    hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"]}
    holidays:
      - 2026-12-25
policies:
  - name: Std
    calendar: office
    targets:
      first_response: {urgent: 15m, default: 4h}
      resolution: {default: 90}
""",
        encoding="utf-8",
    )
    sla = load_config(path)
    assert sla.policies[0].target_for("resolution", "normal") == 90 * M


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_load_config_errors_name_the_file_and_the_path(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"bad{suffix}"
    document = _with_policies(policy("A"), policy("B", {"resolution": {"high": "4x"}}))
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.source == str(path)
    assert [i.where for i in caught.value.issues] == ["policies[1].targets.resolution.high"]
    assert caught.value.lines() == [
        f"{path}: policies[1].targets.resolution.high: {caught.value.issues[0].message}"
    ]


def test_bad_yaml_syntax_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sla.yaml"
    path.write_text(
        "policies:\n  - name: A\n    targets: {resolution: [\n  bad: : :\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    issue = caught.value.issues[0]
    assert issue.where.startswith("line ")
    assert int(issue.where.removeprefix("line ")) in (3, 4, 5)
    assert "YAML" in issue.message
    assert str(path) in caught.value.lines()[0]


def test_a_mapping_with_a_tab_or_bad_indent_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "sla.yaml"
    path.write_text("policies:\n  - name: A\n   targets: x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.issues[0].where == "line 3"


def test_bad_json_syntax_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sla.json"
    path.write_text('{\n  "policies": [\n    {"name": "A",}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.issues[0].where == "line 3"
    assert caught.value.source == str(path)


def test_a_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.source == str(path)
    assert "cannot read" in caught.value.issues[0].message


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.source == str(path)


def test_load_config_text_names_its_source() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text("policies: []\n", "inline.yaml")
    assert caught.value.lines() == ["inline.yaml: policies: must be a non-empty list of policies"]


def test_a_policy_without_level_takes_the_level_its_scope_names() -> None:
    from slakeeper.domain.config import parse_config

    doc = {
        "policies": [
            {"name": "acme", "customer": "acme", "targets": {"resolution": {"default": "4h"}}},
            {"name": "storage", "service": "storage", "targets": {"resolution": {"default": "8h"}}},
            {"name": "everyone", "targets": {"resolution": {"default": "24h"}}},
        ]
    }
    levels = {p.name: p.level for p in parse_config(doc).policies}
    assert levels == {"acme": "customer", "storage": "service", "everyone": "corporate"}
