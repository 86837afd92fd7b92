"""The demo generator (slakeeper.demo) and the example configuration (examples/sla.yaml).

The SPEC §4 rules are checked here directly, independently of slakeeper's own event reader, so a
bug in one cannot hide a bug in the other.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from slakeeper.demo import iter_events, main, write_events

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
START = datetime(2026, 3, 2, tzinfo=UTC)

# SPEC §4
STATUSES = {"new", "open", "pending", "on_hold", "solved", "closed"}
TICKET_FIELDS = {
    "priority",
    "status",
    "channel",
    "customer",
    "service",
    "group",
    "assignee",
    "tags",
}
FIELDS = {
    "ticket.created": TICKET_FIELDS,
    "ticket.updated": TICKET_FIELDS,
    "comment.added": {"author", "public"},
    "csat.rated": {"score"},
}
AUTHORS = {"agent", "customer", "system"}
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# SPEC §3
TOP_KEYS = {"calendars", "policies", "system_replies_count", "resolution_on_reopen"}
MONITORING_TOP_KEYS = {"channels", "notify", "outbound", "ticket_link"}  # docs/semantics.md §9
AVAILABILITY_TOP_KEYS = {"impact_weights", "credit_tiers", "services", "contracts"}  # §11
CUSTOMER_TOP_KEYS = {"customers", "organisations"}  # docs/semantics.md §12
ROUTING_TOP_KEYS = {"agents"}  # docs/routing.md
CALENDAR_KEYS = {"name", "timezone", "hours", "holidays", "holiday_country", "holiday_subdivision"}
POLICY_KEYS = {
    "name",
    "level",
    "customer",
    "service",
    "when",
    "calendar",
    "targets",
    "pause_statuses",
}
MONITORING_POLICY_KEYS = {"alerts", "escalations", "notify"}
VALIDITY_KEYS = {"valid_from", "valid_until"}  # SPEC §3's extension, docs/semantics.md §3
WHEN_KEYS = {"priority", "channel", "group", "tags_any", "tags_all", "tags_none"}
METRICS = {"first_response", "next_response", "periodic_update", "resolution"}
PRIORITY_KEYS = {"urgent", "high", "normal", "low", "default"}
LEVELS = {"corporate", "service", "customer"}
WEEKDAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
DURATION = re.compile(r"^(?=\d)(\d+h)?(\d+m)?(\d+s)?$")


def events(tickets: int, seed: int = 7, days: int = 30) -> list[dict[str, Any]]:
    return list(iter_events(tickets, seed=seed, start=START, days=days))


def parse_at(text: object) -> datetime:
    assert isinstance(text, str)
    assert RFC3339_UTC.match(text), text
    return datetime.fromisoformat(text)


def spec_problems(stream: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Every way ``stream`` breaks the SPEC §4 rules, in the order it is read."""
    ids: set[object] = set()
    created: set[object] = set()
    closed: set[object] = set()
    previous: datetime | None = None
    for event in stream:
        where = f"event {event.get('id')!r}"
        if event.get("id") in ids:
            yield f"{where}: repeated id"
        ids.add(event.get("id"))
        kind, ticket = event.get("type"), event.get("ticket")
        if kind not in FIELDS:
            yield f"{where}: unknown type {kind!r}"
            continue
        extra = set(event) - {"id", "ticket", "type", "at"} - FIELDS[kind]
        if extra:
            yield f"{where}: unknown fields {sorted(extra)}"
        if not isinstance(ticket, str) or not re.fullmatch(r"T-\d{6,}", ticket):
            yield f"{where}: ticket id {ticket!r}"
        at = parse_at(event.get("at"))
        if previous is not None and at < previous:
            yield f"{where}: out of order"
        previous = at
        if kind == "ticket.created":
            if ticket in created:
                yield f"{where}: second ticket.created"
            created.add(ticket)
        elif ticket not in created:
            yield f"{where}: before ticket.created"
        if ticket in closed:
            yield f"{where}: after closed"
        if "status" in event:
            if event["status"] not in STATUSES:
                yield f"{where}: status {event['status']!r}"
            if event["status"] == "closed":
                closed.add(ticket)
        if "tags" in event and not (
            isinstance(event["tags"], list) and all(isinstance(t, str) for t in event["tags"])
        ):
            yield f"{where}: tags {event['tags']!r}"
        if kind == "comment.added":
            if event.get("author") not in AUTHORS:
                yield f"{where}: author {event.get('author')!r}"
            if not isinstance(event.get("public", True), bool):
                yield f"{where}: public {event.get('public')!r}"
        if kind == "csat.rated":
            score = event.get("score")
            if type(score) is not int or not 1 <= score <= 5:
                yield f"{where}: score {score!r}"


# --- the generator ------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_events() -> None:
    assert events(200, seed=11) == events(200, seed=11)


def test_another_seed_gives_other_events() -> None:
    assert events(200, seed=11) != events(200, seed=12)


def test_a_stream_obeys_every_spec_rule() -> None:
    stream = events(3000)
    assert list(spec_problems(stream)) == []
    assert [e["id"] for e in stream] == [f"e-{n}" for n in range(1, len(stream) + 1)]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_other_seeds_and_short_windows_obey_the_rules_too(seed: int) -> None:
    assert list(spec_problems(events(400, seed=seed, days=2))) == []


def test_events_are_ordered_by_at_and_stay_in_the_window() -> None:
    stream = events(1500, days=5)
    instants = [parse_at(e["at"]) for e in stream]
    assert instants == sorted(instants)
    assert instants[0] >= START
    assert instants[-1] < START + timedelta(days=5)


def test_each_ticket_starts_with_its_creation_in_the_state_spec_expects() -> None:
    seen: set[str] = set()
    for event in events(1000):
        if event["ticket"] not in seen:
            seen.add(event["ticket"])
            assert event["type"] == "ticket.created"
            assert event["status"] == "new"
            assert event["priority"] in {"urgent", "high", "normal", "low"}
            assert event["channel"] in {"email", "web", "chat", "phone"}
    assert len(seen) == 1000
    assert sorted(seen) == [f"T-{n:06d}" for n in range(1, 1001)]


def test_counts_scale_with_tickets() -> None:
    small, large = len(events(500)), len(events(2000))
    assert 6 * 500 <= small <= 8 * 500
    assert 6 * 2000 <= large <= 8 * 2000
    assert 3.5 < large / small < 4.5
    assert events(0) == []


def test_the_mix_is_realistic() -> None:
    stream = events(4000)
    created = [e for e in stream if e["type"] == "ticket.created"]
    share = {p: sum(e["priority"] == p for e in created) / len(created) for p in ("urgent", "high")}
    assert 0.03 < share["urgent"] < 0.07
    assert 0.16 < share["high"] < 0.24
    kinds = {(e["type"], e.get("author"), e.get("public"), e.get("status")) for e in stream}
    for wanted in [
        ("comment.added", "agent", True, None),
        ("comment.added", "agent", False, None),
        ("comment.added", "customer", True, None),
        ("comment.added", "system", True, None),
        ("ticket.updated", None, None, "pending"),
        ("ticket.updated", None, None, "on_hold"),
        ("ticket.updated", None, None, "solved"),
        ("ticket.updated", None, None, "closed"),
    ]:
        assert wanted in kinds
    assert any(e["type"] == "csat.rated" for e in stream)
    assert any(e["type"] == "ticket.updated" and "priority" in e for e in stream)
    assert any("vip" in e.get("tags", []) for e in created)
    assert any("spam" in e.get("tags", []) for e in created)
    assert any("customer" not in e for e in created)


def test_some_tickets_are_reopened() -> None:
    status: dict[str, str] = {}
    reopened = 0
    for event in events(3000):
        if "status" in event:
            if status.get(event["ticket"]) == "solved" and event["status"] not in {
                "solved",
                "closed",
            }:
                reopened += 1
            status[event["ticket"]] = str(event["status"])
    assert reopened > 0


def test_arrivals_follow_business_hours() -> None:
    created = [parse_at(e["at"]) for e in events(3000, days=14) if e["type"] == "ticket.created"]
    weekend = sum(t.weekday() >= 5 for t in created) / len(created)
    assert weekend < 0.1  # two days in seven, were arrivals uniform


def test_write_events_writes_compact_json_lines_and_counts_them() -> None:
    out = io.StringIO()
    count = write_events(out, 300, seed=3, start=START, days=4)
    lines = out.getvalue().splitlines()
    assert count == len(lines) > 0
    assert all(" " not in line or '"' in line for line in lines)
    assert [json.loads(line) for line in lines] == list(
        iter_events(300, seed=3, start=START, days=4)
    )


def test_the_start_may_carry_any_offset_and_must_carry_one() -> None:
    berlin = START.astimezone(timezone(timedelta(hours=1)))
    assert events(50) == list(iter_events(50, start=berlin))
    with pytest.raises(ValueError, match="time zone"):
        iter_events(5, start=datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="tickets"):
        iter_events(-1, start=START)
    with pytest.raises(ValueError, match="days"):
        iter_events(5, start=START, days=0)


def test_main_writes_a_file_and_reports_the_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "events.jsonl"
    argv = ["--tickets", "40", "--seed", "5", "--start", "2026-03-02T00:00:00Z", "--days", "3"]
    assert main([*argv, "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert f"{len(lines)} events" in capsys.readouterr().err
    assert [json.loads(line) for line in lines] == list(
        iter_events(40, seed=5, start=START, days=3)
    )


# --- the bundled examples -----------------------------------------------------------------------


def test_the_bundled_events_are_valid_and_reproducible() -> None:
    text = (EXAMPLES / "events.jsonl").read_text(encoding="utf-8")
    stream = [json.loads(line) for line in text.splitlines()]
    assert list(spec_problems(stream)) == []
    regenerated = io.StringIO()
    write_events(regenerated, 60, seed=57, start=START, days=12)
    assert regenerated.getvalue() == text, "regenerate with the command in examples/README.md"


def load_example_config() -> dict[str, Any]:
    with (EXAMPLES / "sla.yaml").open(encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    assert isinstance(config, dict)
    return config


def is_duration(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return (
        isinstance(value, str)
        and bool(DURATION.match(value))
        and any(c != "0" for c in value if c.isdigit())
    )


def test_the_example_config_uses_only_spec_keys_and_its_extensions() -> None:
    config = load_example_config()
    assert set(config) <= (
        TOP_KEYS
        | MONITORING_TOP_KEYS
        | AVAILABILITY_TOP_KEYS
        | CUSTOMER_TOP_KEYS
        | ROUTING_TOP_KEYS
    )
    assert config["system_replies_count"] is False
    assert config["resolution_on_reopen"] in {"continue", "restart"}
    for calendar in config["calendars"]:
        assert set(calendar) <= CALENDAR_KEYS, calendar["name"]
        assert {"name", "timezone", "hours"} <= set(calendar)
        hours = calendar["hours"]
        assert hours == "24x7" or set(hours) <= WEEKDAYS
        for holiday in calendar.get("holidays", []):
            if isinstance(holiday, dict):
                assert set(holiday) == {"date", "name"}
                holiday = holiday["date"]
            assert isinstance(holiday, date)
    for policy in config["policies"]:
        name = policy["name"]
        assert set(policy) <= POLICY_KEYS | MONITORING_POLICY_KEYS | VALIDITY_KEYS, name
        assert policy.get("level", "corporate") in LEVELS, name
        if policy.get("level") == "customer":
            assert "customer" in policy, name
        if policy.get("level") == "service":
            assert "service" in policy, name
        assert {k for k in policy.get("when", {}) if not k.startswith("customer_")} <= WHEN_KEYS, (
            name
        )
        assert all(isinstance(v, list) for v in policy.get("when", {}).values()), name
        assert policy["targets"], name
        assert set(policy["targets"]) <= METRICS, name
        for metric, by_priority in policy["targets"].items():
            assert set(by_priority) <= PRIORITY_KEYS, (name, metric)
            assert all(is_duration(v) for v in by_priority.values()), (name, metric)
        assert set(policy.get("pause_statuses", [])) <= STATUSES - {"solved", "closed"}, name


def test_the_example_config_names_are_unique_and_calendars_defined() -> None:
    config = load_example_config()
    calendars = [c["name"] for c in config["calendars"]]
    policies = [p["name"] for p in config["policies"]]
    assert len(set(calendars)) == len(calendars)
    assert len(set(policies)) == len(policies)
    for policy in config["policies"]:
        assert policy.get("calendar", "24x7") in {*calendars, "24x7"}, policy["name"]


def test_the_example_config_shows_every_feature() -> None:
    config = load_example_config()
    policies = config["policies"]
    levels = {(p.get("level", "corporate"), "customer" in p, "service" in p) for p in policies}
    assert {("corporate", False, False), ("service", False, True)} <= levels
    assert {("customer", True, False), ("customer", True, True)} <= levels
    conditions = {key for p in policies for key in p.get("when", {})}
    assert conditions == WHEN_KEYS | {"customer_tier"}
    assert any(VALIDITY_KEYS & set(p) for p in policies)
    assert config["customers"]
    assert config["organisations"]
    metrics = {m for p in policies for m in p["targets"]}
    assert metrics == METRICS
    assert any("pause_statuses" in p for p in policies)
    assert any("default" in p["targets"].get("first_response", {}) for p in policies)
    shifts = [s for c in config["calendars"] for day in c["hours"].values() for s in day]
    assert any(s.split("-")[1] <= s.split("-")[0] for s in shifts)  # runs past midnight


def test_the_example_calendars_are_accepted_by_the_calendar() -> None:
    from slakeeper.calendar import BusinessCalendar

    for spec in load_example_config()["calendars"]:
        calendar = BusinessCalendar.from_spec(spec)
        assert calendar.elapsed(START, START + timedelta(days=7)) > timedelta(0)
