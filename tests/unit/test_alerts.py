"""Warnings and escalation levels: their configuration, and when each fires for a clock."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slakeeper.domain.alerts import plan
from slakeeper.domain.clocks import Clock
from slakeeper.domain.config import parse_config
from slakeeper.domain.errors import ConfigError
from slakeeper.domain.events import format_instant, parse_instant

BIZ = {
    "name": "biz",
    "timezone": "UTC",
    "hours": {d: ["10:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
}
H = 3_600_000_000


def config(**extra: Any) -> Any:
    policy = {"name": "P", "calendar": "biz", "targets": {"first_response": {"default": "1h"}}}
    policy.update(extra)
    slack = {"type": "slack", "url": "https://hooks.slack.com/services/T/B/X"}
    return parse_config({"calendars": [BIZ], "policies": [policy], "channels": {"slack": slack}})


def running(started: str, target_h: float, now: str, elapsed_h: float, due: str) -> Clock:
    return Clock(
        "T",
        "first_response",
        1,
        "P",
        int(target_h * H),
        parse_instant(started),
        None,
        "active",
        int(elapsed_h * H),
        parse_instant(due),
        False,
    )


def fired(firings: list[Any]) -> list[tuple[str, str, str]]:
    return [(f.kind, f.key, format_instant(f.at)) for f in firings]


def test_warnings_breach_and_levels_fire_in_business_time() -> None:
    policy = config(
        alerts=["75%", "30m before"],
        escalations=[
            {"at": "30m before", "actions": [{"notify": {"channels": ["slack"]}}]},
            {"at": "due", "actions": [{"add_tag": "breached"}]},
            {"at": "2h after", "actions": [{"reassign": {"group": "tier2"}}]},
            {"at": "10h after", "time": "calendar", "actions": [{"raise_priority": "urgent"}]},
        ],
    ).policies[0]
    # Monday 2024-01-15 17:00, a 4h target: 1h today, due Tuesday 13:00
    clock = running("2024-01-15T17:00:00Z", 4, "2024-01-15T17:00:00Z", 0, "2024-01-16T13:00:00Z")
    now = parse_instant("2024-01-15T17:00:00Z")
    assert fired(plan(clock, policy.alerts, policy.escalations, policy.calendar, now)) == [
        ("warning", "75%", "2024-01-16T12:00:00Z"),
        ("escalation", "escalation 30m before", "2024-01-16T12:30:00Z"),
        ("warning", "30m before", "2024-01-16T12:30:00Z"),
        ("breach", "breach", "2024-01-16T13:00:00Z"),
        ("escalation", "escalation due", "2024-01-16T13:00:00Z"),
        ("escalation", "escalation 2h after", "2024-01-16T15:00:00Z"),
        ("escalation", "escalation 10h after calendar", "2024-01-16T23:00:00Z"),
    ]


def test_a_business_offset_after_due_skips_the_night() -> None:
    policy = config(escalations=[{"at": "1h after", "actions": [{"add_tag": "late"}]}]).policies[0]
    clock = running("2024-01-15T17:00:00Z", 1, "2024-01-15T17:00:00Z", 0, "2024-01-15T18:00:00Z")
    now = parse_instant("2024-01-15T17:00:00Z")
    found = fired(plan(clock, (), policy.escalations, policy.calendar, now))
    assert ("escalation", "escalation 1h after", "2024-01-16T11:00:00Z") in found


def test_passed_thresholds_are_planned_when_crossed_and_paused_or_stopped_plan_little() -> None:
    policy = config(
        alerts=["50%"],
        escalations=[
            {"at": "10m before", "actions": [{"add_tag": "soon"}]},
            {"at": "1h after", "actions": [{"add_tag": "late"}]},
        ],
    ).policies[0]
    clock = running(
        "2024-01-15T10:00:00Z", 1, "2024-01-15T10:40:00Z", 40 / 60, "2024-01-15T11:00:00Z"
    )
    now = parse_instant("2024-01-15T10:40:00Z")
    # crossed at 10:30 (the clock never paused): planned then, so firing now is judged late
    assert fired(plan(clock, policy.alerts, (), policy.calendar, now))[0] == (
        "warning",
        "50%",
        "2024-01-15T10:30:00Z",
    )
    assert (
        plan(clock._replace(status="paused", due_at=None), policy.alerts, (), policy.calendar, now)
        == []
    )
    assert plan(clock._replace(status="achieved"), policy.alerts, (), policy.calendar, now) == []
    # stopped after its due instant: only the breach is left to record
    met_late = clock._replace(status="achieved", breached=True, stopped_at=now)
    assert fired(plan(met_late, policy.alerts, policy.escalations, policy.calendar, now)) == [
        ("breach", "breach", "2024-01-15T11:00:00Z")
    ]
    # paused after its breach: the levels after due still come, at their fixed instants
    waiting = clock._replace(status="paused", breached=True)
    assert fired(plan(waiting, policy.alerts, policy.escalations, policy.calendar, now)) == [
        ("breach", "breach", "2024-01-15T11:00:00Z"),
        ("escalation", "escalation 1h after", "2024-01-15T12:00:00Z"),
    ]
    # seen only after the breach (an imported history): warnings and early levels are moot
    later = parse_instant("2024-01-15T12:30:00Z")
    overdue = clock._replace(elapsed=int(2.5 * H))
    assert fired(plan(overdue, policy.alerts, policy.escalations, policy.calendar, later)) == [
        ("breach", "breach", "2024-01-15T11:00:00Z"),
        ("escalation", "escalation 1h after", "2024-01-15T12:00:00Z"),
    ]


def test_levels_are_named_by_when_they_fire_and_may_not_repeat() -> None:
    levels = (
        config(
            escalations=[
                {"at": "30m before", "actions": [{"add_tag": "a"}]},
                {"at": "due", "actions": [{"add_tag": "b"}]},
                {"at": "1h after", "time": "calendar", "actions": [{"add_tag": "c"}]},
            ]
        )
        .policies[0]
        .escalations
    )
    assert [(e.level, e.key) for e in levels] == [
        (1, "escalation 30m before"),
        (2, "escalation due"),
        (3, "escalation 1h after calendar"),
    ]
    with pytest.raises(ConfigError, match="same offset"):
        config(
            escalations=[
                {"at": "1h after", "actions": [{"add_tag": "a"}]},
                {"at": "1h after", "actions": [{"add_tag": "b"}]},
            ]
        )


@settings(max_examples=60, deadline=None)
@given(
    shares=st.lists(st.integers(1, 99), min_size=2, max_size=5, unique=True),
    start=st.integers(0, 14 * 24 * 60),
    target_m=st.integers(1, 5000),
)
def test_warnings_are_monotonic_in_their_share_and_never_after_due(
    shares: list[int], start: int, target_m: int
) -> None:
    policy = config(alerts=[f"{s}%" for s in shares]).policies[0]
    cal = policy.calendar
    begin = parse_instant("2024-01-15T00:00:00Z") + start * 60_000_000
    target = target_m * 60_000_000
    due = cal.add_us(begin, target)
    clock = Clock("T", "first_response", 1, "P", target, begin, None, "active", 0, due, False)
    at = {f.key: f.at for f in plan(clock, policy.alerts, (), cal, begin) if f.kind == "warning"}
    ordered = [at[f"{s}%"] for s in sorted(shares)]
    assert ordered == sorted(ordered)
    assert all(begin <= t <= due for t in ordered)
    for s in shares:
        assert cal.elapsed_us(begin, at[f"{s}%"]) == int(target * s / 100)


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"alerts": ["150%"]}, "policies[0].alerts[0]"),
        ({"alerts": ["soon"]}, "policies[0].alerts[0]"),
        ({"alerts": ["30x before"]}, "policies[0].alerts[0]"),
        (
            {"escalations": [{"at": "later", "actions": [{"add_tag": "x"}]}]},
            "policies[0].escalations[0].at",
        ),
        (
            {"escalations": [{"at": "due", "actions": [{"page": "x"}]}]},
            "policies[0].escalations[0].actions[0].page",
        ),
        (
            {"escalations": [{"at": "due", "actions": [{"reassign": {}}]}]},
            "policies[0].escalations[0].actions[0].reassign",
        ),
        (
            {"escalations": [{"at": "due", "actions": [{"webhook": {"url": "ftp://x"}}]}]},
            "policies[0].escalations[0].actions[0].webhook",
        ),
        (
            {"escalations": [{"at": "due", "time": "wall", "actions": [{"add_tag": "x"}]}]},
            "policies[0].escalations[0].time",
        ),
        ({"escalations": [{"at": "due", "actions": []}]}, "policies[0].escalations[0].actions"),
        (
            {
                "escalations": [
                    {"at": "1h after", "actions": [{"add_tag": "a"}]},
                    {"at": "due", "actions": [{"add_tag": "b"}]},
                ]
            },
            "policies[0].escalations",
        ),
    ],
)
def test_bad_alert_configuration_names_the_place(extra: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(**extra)
    assert where in [i.where for i in caught.value.issues], caught.value.issues


def test_routes_to_people_need_recipients_and_recipients_are_a_list() -> None:
    email = {"type": "email", "host": "smtp.example.com", "from": "sla@example.com"}
    doc = {
        "calendars": [BIZ],
        "channels": {"mail": email},
        "notify": {"channels": ["mail"]},
        "policies": [
            {
                "name": "P",
                "calendar": "biz",
                "targets": {"first_response": {"default": "1h"}},
                "escalations": [
                    {"at": "due", "actions": [{"notify": {"channels": ["mail"], "to": "a@b"}}]},
                    {"at": "1h after", "actions": [{"notify": {"channels": ["mail"]}}]},
                ],
            }
        ],
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(doc)
    found = {(i.where, i.message.split(";")[0]) for i in caught.value.issues}
    assert ("notify.to", "channel 'mail' (email) needs recipients in `to`") in found
    assert any("to is a list" in message for _, message in found)
    assert any(where == "policies[0].escalations[1].actions[0].notify.to" for where, _ in found)


def test_risk_warnings_are_parsed_and_left_to_the_risk_pass() -> None:
    (policy,) = config(alerts=["75%", "risk 60%"]).policies
    risk = policy.alerts[1]
    assert (risk.key, risk.risk, risk.risk_at) == ("risk 60%", True, Fraction(3, 5))
    (plain,) = config(alerts=["risk"]).policies[0].alerts
    assert (plain.key, plain.risk, plain.risk_at) == ("risk", True, None)
    clock = running("2024-01-15T10:00:00Z", 1, "2024-01-15T10:00:00Z", 0, "2024-01-15T11:00:00Z")
    firings = plan(clock, policy.alerts, (), policy.calendar, parse_instant("2024-01-15T10:00:00Z"))
    assert [(f.kind, f.key) for f in firings] == [("warning", "75%"), ("breach", "breach")]


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        (["risk 0%"], "a risk must lie between 0% and 100%"),
        (["risk 100%"], "a risk must lie between 0% and 100%"),
        (["risk", "risk 50%"], "list one risk warning"),
        (["risk 0.6"], "is not a warning; write e.g. '75%', '30m before' or 'risk 60%'"),
    ],
)
def test_bad_risk_warnings_are_named(alerts: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(alerts=alerts)
    assert any(message in i.message for i in caught.value.issues), caught.value.issues
